package csvin

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Record is a raw row of one input kind: its fields are the trimmed strings of
// the contract columns, mapped by gocsv through the `csv` tags.
type Record interface {
	// InputKind is the input kind: "customers", "catalog", "taxes", "orders",
	// "cancellations" or "renewals".
	InputKind() string
	// Columns lists the contract columns in contract order. Every one of them
	// is required in the header except the optional ones (see
	// optionalColumns), which a file may leave out: a missing optional
	// column reads as the column with every value empty, so Values, Digest
	// and the V6 comparison cannot tell the two files apart.
	Columns() []string
	// Values returns the row's values in the order of Columns.
	Values() []string
}

// CustomerRow is a row of customers*.csv.
type CustomerRow struct {
	CustomerID string `csv:"customer_id"`
	Name       string `csv:"name"`
	Domain     string `csv:"domain"`
	Country    string `csv:"country"`
	Currency   string `csv:"currency"`
}

// CatalogRow is a row of catalog*.csv.
type CatalogRow struct {
	SKUID         string `csv:"sku_id"`
	ProductName   string `csv:"product_name"`
	Kind          string `csv:"kind"`
	Publisher     string `csv:"publisher"`
	Term          string `csv:"term"`
	BillingPlans  string `csv:"billing_plans"`
	Currency      string `csv:"currency"`
	UnitPrice     string `csv:"unit_price"`
	EffectiveFrom string `csv:"effective_from"`
	EffectiveTo   string `csv:"effective_to"`
}

// TaxRow is a row of taxes*.csv.
type TaxRow struct {
	Country string `csv:"country"`
	Rate    string `csv:"rate"`
}

// OrderRow is a row of orders*.csv.
type OrderRow struct {
	OrderID        string `csv:"order_id"`
	LineNo         string `csv:"line_no"`
	CustomerID     string `csv:"customer_id"`
	OrderDate      string `csv:"order_date"`
	SKUID          string `csv:"sku_id"`
	Term           string `csv:"term"`
	BillingPlan    string `csv:"billing_plan"`
	Quantity       string `csv:"quantity"`
	SubscriptionID string `csv:"subscription_id"`
	AutoRenew      string `csv:"auto_renew"`
}

// CancellationRow is a row of cancellations*.csv.
type CancellationRow struct {
	OrderID     string `csv:"order_id"`
	LineNo      string `csv:"line_no"`
	CancelledAt string `csv:"cancelled_at"`
	RequestedBy string `csv:"requested_by"`
	Role        string `csv:"role"`
	Reason      string `csv:"reason"`
}

// RenewalRow is a row of renewals*.csv.
type RenewalRow struct {
	SubscriptionID string `csv:"subscription_id"`
	Action         string `csv:"action"`
	EffectiveAt    string `csv:"effective_at"`
	RequestedBy    string `csv:"requested_by"`
	Role           string `csv:"role"`
	Term           string `csv:"term"`
	BillingPlan    string `csv:"billing_plan"`
	Quantity       string `csv:"quantity"`
}

// Input kinds, in the order SPEC §1 reads them, and the reconciliation kind.
const (
	KindCustomers     = "customers"
	KindCatalog       = "catalog"
	KindTaxes         = "taxes"
	KindOrders        = "orders"
	KindCancellations = "cancellations"
	KindRenewals      = "renewals"
	KindRecon         = "recon"
)

// Kinds lists the input kinds in reading order (recon is not an input kind).
var Kinds = [...]string{KindCustomers, KindCatalog, KindTaxes, KindOrders, KindCancellations, KindRenewals}

var (
	customerColumns     = []string{"customer_id", "name", "domain", "country", "currency"}
	catalogColumns      = []string{"sku_id", "product_name", "kind", "publisher", "term", "billing_plans", "currency", "unit_price", "effective_from", "effective_to"}
	taxColumns          = []string{"country", "rate"}
	orderColumns        = []string{"order_id", "line_no", "customer_id", "order_date", "sku_id", "term", "billing_plan", "quantity", "subscription_id", "auto_renew"}
	cancellationColumns = []string{"order_id", "line_no", "cancelled_at", "requested_by", "role", "reason"}
	renewalColumns      = []string{"subscription_id", "action", "effective_at", "requested_by", "role", "term", "billing_plan", "quantity"}
)

// The column lists are shared; callers must not modify them.

// optionalColumns are, per kind, the contract columns a header may leave out.
// A column is optional when SPEC §1 lets its value be empty on every row and
// no rule needs it from a row that is otherwise valid; every key column and
// every column a rule takes a value from stays required, so a file that lacks
// one is rejected whole with the column named, not row by row.
//
//   - catalog.effective_to: "empty = open".
//   - orders.auto_renew: "empty = default" (R1).
//   - renewals.term, billing_plan, quantity: "each optional" (only renew
//     reads them; empty means no change for the next term).
//   - cancellations.requested_by, reason and renewals.requested_by: not in
//     SPEC's list of optional values, but no rule reads them (K1's reject
//     row only quotes the reason), so a feed without them is read with
//     empty values rather than refused; a finance team would not expect a
//     whole file of valid cancellations to be turned away for a comment
//     column.
//
// Still required although SPEC lets some rows leave the value empty:
// orders.subscription_id, term and billing_plan (empty only for perpetual
// or legacy lines; every subscription line needs them, so a file without
// them would reject those lines one by one with less helpful messages), and
// the informational customers.name, customers.domain, catalog.product_name
// and catalog.publisher (SPEC gives no empty value for them; they are printed
// on invoices and reject rows).
var optionalColumns = map[string][]string{
	KindCatalog:       {"effective_to"},
	KindOrders:        {"auto_renew"},
	KindCancellations: {"requested_by", "reason"},
	KindRenewals:      {"requested_by", "term", "billing_plan", "quantity"},
}

// isOptional reports whether a file of kind may leave out column.
func isOptional(kind, column string) bool {
	for _, c := range optionalColumns[kind] {
		if c == column {
			return true
		}
	}
	return false
}

func (CustomerRow) InputKind() string     { return KindCustomers }
func (CustomerRow) Columns() []string     { return customerColumns }
func (CatalogRow) InputKind() string      { return KindCatalog }
func (CatalogRow) Columns() []string      { return catalogColumns }
func (TaxRow) InputKind() string          { return KindTaxes }
func (TaxRow) Columns() []string          { return taxColumns }
func (OrderRow) InputKind() string        { return KindOrders }
func (OrderRow) Columns() []string        { return orderColumns }
func (CancellationRow) InputKind() string { return KindCancellations }
func (CancellationRow) Columns() []string { return cancellationColumns }
func (RenewalRow) InputKind() string      { return KindRenewals }
func (RenewalRow) Columns() []string      { return renewalColumns }

func (r CustomerRow) Values() []string {
	return []string{r.CustomerID, r.Name, r.Domain, r.Country, r.Currency}
}

func (r CatalogRow) Values() []string {
	return []string{r.SKUID, r.ProductName, r.Kind, r.Publisher, r.Term, r.BillingPlans, r.Currency, r.UnitPrice, r.EffectiveFrom, r.EffectiveTo}
}

func (r TaxRow) Values() []string { return []string{r.Country, r.Rate} }

func (r OrderRow) Values() []string {
	return []string{r.OrderID, r.LineNo, r.CustomerID, r.OrderDate, r.SKUID, r.Term, r.BillingPlan, r.Quantity, r.SubscriptionID, r.AutoRenew}
}

func (r CancellationRow) Values() []string {
	return []string{r.OrderID, r.LineNo, r.CancelledAt, r.RequestedBy, r.Role, r.Reason}
}

func (r RenewalRow) Values() []string {
	return []string{r.SubscriptionID, r.Action, r.EffectiveAt, r.RequestedBy, r.Role, r.Term, r.BillingPlan, r.Quantity}
}

// Digest is the canonical content hash of a record: hex SHA-256 over its kind
// and its contract values in contract order, each length-prefixed so that no
// two different records share an encoding. Two records with the same digest
// are identical in the sense of SPEC V6 (same trimmed values in every
// contract column); unknown columns never take part.
func Digest(r Record) string {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write(r.InputKind())
	for _, v := range r.Values() {
		write(v)
	}
	return hex.EncodeToString(h.Sum(nil))
}
