package invoice

// Charge types, with Partner Center's names (SPEC §4).
const (
	ChargeNew             = "new"             // first charge of a purchase
	ChargeCycle           = "cycleCharge"     // later instalments
	ChargeRenew           = "renew"           // first charge of a renewed term
	ChargeCancelImmediate = "cancelImmediate" // a credit
)

// Line is one invoice line as the close writes it (SPEC §4 invoice-lines.csv).
// Amounts are minor units of Currency; credits are negative, Quantity stays positive.
type Line struct {
	InvoiceNumber   string
	CustomerID      string
	Currency        Currency
	ChargeType      string
	OrderID         string
	LineNo          int
	SubscriptionID  string
	SKU             string
	Description     string
	ChargeStart     Date
	ChargeEnd       Date // inclusive last day served; NoDate for perpetual
	Quantity        int64
	Net, Tax, Gross int64
	Source          string // file:line of the record the line comes from
	CreditedInvoice string // on a credit: the invoice that billed the credited charge
}

// Header is one invoice (SPEC §4 invoices.csv).
type Header struct {
	InvoiceNumber   string
	CustomerID      string
	CustomerName    string
	Currency        Currency
	Net, Tax, Gross int64
	Lines           int
}

// RejectRow is one rejected or held record (SPEC §4 rejects.csv).
type RejectRow struct {
	File    string
	Line    int
	Key     string
	Rule    string
	Message string
}
