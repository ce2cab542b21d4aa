package output

import (
	"strconv"

	"cspbill/invoice"
)

// Columns of the CSV files, in order (SPEC §4). The workbook's sheets use the
// same columns.
var (
	LineColumns = []string{
		"invoice_number", "customer_id", "currency", "charge_type", "order_id", "line_no",
		"subscription_id", "sku_id", "description", "charge_start", "charge_end",
		"quantity", "net", "tax", "gross", "source", "credited_invoice",
	}
	InvoiceColumns = []string{
		"invoice_number", "customer_id", "customer_name", "currency", "net", "tax", "gross", "lines",
	}
	RejectColumns = []string{"file", "line", "record_key", "rule", "message"}
)

// The CSV files carry every value exactly as the ledger holds it: they are
// the contract other tools read (SPEC §4), and a leading quote against
// spreadsheet formulas would change an id such as "-O5" into "'-O5".
// Decision: the protection SPEC §4 asks for ("text that starts with =, +, -
// or @ is written as text, never as a formula") is the workbook's, where
// every text is a string cell; an accountant opens invoices.xlsx, and a
// spreadsheet that opens a CSV is told by its import which columns are text.

// lineRecord is one row of invoice-lines.csv.
func lineRecord(l *invoice.Line) []string {
	c := l.Currency
	return []string{
		l.InvoiceNumber, l.CustomerID, c.Code, l.ChargeType,
		l.OrderID, strconv.Itoa(l.LineNo), l.SubscriptionID, l.SKU,
		l.Description, l.ChargeStart.String(), l.ChargeEnd.String(),
		strconv.FormatInt(l.Quantity, 10), c.Format(l.Net), c.Format(l.Tax), c.Format(l.Gross),
		l.Source, l.CreditedInvoice,
	}
}

// invoiceRecord is one row of invoices.csv.
func invoiceRecord(h *invoice.Header) []string {
	c := h.Currency
	return []string{
		h.InvoiceNumber, h.CustomerID, h.CustomerName, c.Code,
		c.Format(h.Net), c.Format(h.Tax), c.Format(h.Gross), strconv.Itoa(h.Lines),
	}
}

// rejectRecord is one row of rejects.csv; an unknown line (0) is left empty.
func rejectRecord(r *invoice.RejectRow) []string {
	line := ""
	if r.Line > 0 {
		line = strconv.Itoa(r.Line)
	}
	return []string{r.File, line, r.Key, r.Rule, r.Message}
}
