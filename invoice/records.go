package invoice

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Source is where a record came from: its file and physical line (the header
// is line 1), and the ledger's id for it once stored.
type Source struct {
	ID   int64
	File string
	Line int
}

func (s Source) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// The raw records hold a CSV row's trimmed values by contract column. The
// readers fill them; the functions below turn them into typed records or a
// Reject. Values() returns the contract columns in contract order: two records
// with equal Values are identical (V6).

// RawCustomer is a customers row.
type RawCustomer struct{ CustomerID, Name, Domain, Country, Currency string }

// RawCatalog is a catalog row.
type RawCatalog struct {
	SKU, ProductName, Kind, Publisher, Term, BillingPlans, Currency, UnitPrice, EffectiveFrom, EffectiveTo string
}

// RawTax is a taxes row.
type RawTax struct{ Country, Rate string }

// RawOrder is an orders row.
type RawOrder struct {
	OrderID, LineNo, CustomerID, OrderDate, SKU, Term, BillingPlan, Quantity, SubscriptionID, AutoRenew string
}

// RawCancellation is a cancellations row.
type RawCancellation struct{ OrderID, LineNo, CancelledAt, RequestedBy, Role, Reason string }

// RawRenewal is a renewals row.
type RawRenewal struct {
	SubscriptionID, Action, EffectiveAt, RequestedBy, Role, Term, BillingPlan, Quantity string
}

// Values returns the contract columns in order.
func (r RawCustomer) Values() []string {
	return []string{r.CustomerID, r.Name, r.Domain, r.Country, r.Currency}
}

// Values returns the contract columns in order.
func (r RawCatalog) Values() []string {
	return []string{r.SKU, r.ProductName, r.Kind, r.Publisher, r.Term, r.BillingPlans, r.Currency, r.UnitPrice, r.EffectiveFrom, r.EffectiveTo}
}

// Values returns the contract columns in order.
func (r RawTax) Values() []string { return []string{r.Country, r.Rate} }

// Values returns the contract columns in order.
func (r RawOrder) Values() []string {
	return []string{r.OrderID, r.LineNo, r.CustomerID, r.OrderDate, r.SKU, r.Term, r.BillingPlan, r.Quantity, r.SubscriptionID, r.AutoRenew}
}

// Values returns the contract columns in order.
func (r RawCancellation) Values() []string {
	return []string{r.OrderID, r.LineNo, r.CancelledAt, r.RequestedBy, r.Role, r.Reason}
}

// Values returns the contract columns in order.
func (r RawRenewal) Values() []string {
	return []string{r.SubscriptionID, r.Action, r.EffectiveAt, r.RequestedBy, r.Role, r.Term, r.BillingPlan, r.Quantity}
}

// Key returns the order line's business key, order_id/line_no.
func (r RawOrder) Key() string { return lineKey(r.OrderID, canonicalLineNo(r.LineNo)) }

// Key returns the business key of the order line it cancels.
func (r RawCancellation) Key() string { return lineKey(r.OrderID, canonicalLineNo(r.LineNo)) }

func lineKey(orderID, lineNo string) string { return orderID + "/" + lineNo }

// canonicalLineNo is line_no as the key of an order line holds it: the
// number, so "01", "001" and "+1" name line 1, as they do once the line is
// accepted (Order.Key). A row keyed by its text was a new key at ingest and
// line 1 when posted: two accepted records under one posting key, which
// failed every later post. The same line written "01" after "1" is now a
// different record with the same key (V6). Text that is not a whole number
// is kept as it is (the row is rejected, V1).
func canonicalLineNo(s string) string {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return strconv.Itoa(n)
	}
	return s
}

// Order is an accepted order line.
type Order struct {
	Src            Source
	OrderID        string
	LineNo         int
	CustomerID     string
	Date           Date // order_date's UTC day
	SKU            string
	Kind           string
	Term           string // resolved (V4); "none" for perpetual
	Plan           string // resolved ("one_time" for perpetual)
	Quantity       int64
	SubscriptionID string
	AutoRenew      *bool // nil: the R1 default
}

// Key is the order line's business key, order_id/line_no.
func (o *Order) Key() string { return lineKey(o.OrderID, strconv.Itoa(o.LineNo)) }

// Cancellation is an accepted (or held) cancellation.
type Cancellation struct {
	Src         Source
	OrderID     string
	LineNo      int
	Date        Date // cancelled_at's UTC day
	RequestedBy string
	Role        string
	Reason      string
}

// Key is the business key of the line it cancels.
func (c *Cancellation) Key() string { return lineKey(c.OrderID, strconv.Itoa(c.LineNo)) }

// Renewal actions.
const (
	ActionOn    = "auto_renew_on"
	ActionOff   = "auto_renew_off"
	ActionRenew = "renew"
)

// Renewal is an accepted renewals record.
type Renewal struct {
	Src            Source
	SubscriptionID string
	Action         string
	Date           Date      // effective_at's UTC day
	At             time.Time // effective_at, the instant (UTC)
	RequestedBy    string
	Role           string
	Term           string // renew only, "" = unchanged
	Plan           string // renew only, "" = unchanged
	Quantity       int64  // renew only, 0 = unchanged
}

// ParseCustomer validates a customers row (V1 for a bad country or currency).
func ParseCustomer(r RawCustomer) (Customer, *Reject) {
	if r.CustomerID == "" {
		return Customer{}, reject("V1", "customer_id", "", "customer_id is empty")
	}
	if !KnownCountry(r.Country) {
		return Customer{}, reject("V1", "country", r.Country, "unknown country %q: want an ISO 3166-1 alpha-2 code such as US, DE or XK", r.Country)
	}
	cur, err := LookupCurrency(r.Currency)
	if err != nil {
		return Customer{}, reject("V1", "currency", r.Currency, "unknown currency %q: want an ISO 4217 code such as USD, EUR or JPY", r.Currency)
	}
	return Customer{ID: r.CustomerID, Name: r.Name, Domain: r.Domain, Country: r.Country, Currency: cur}, nil
}

// ParseTax validates a taxes row: a known country and a rate in [0, 1).
func ParseTax(r RawTax) (string, decimal.Decimal, *Reject) {
	if !KnownCountry(r.Country) {
		return "", decimal.Decimal{}, reject("V1", "country", r.Country, "unknown country %q: want an ISO 3166-1 alpha-2 code", r.Country)
	}
	rate, err := ParseDecimal(r.Rate)
	if err != nil || rate.IsNegative() || rate.GreaterThanOrEqual(decimal.NewFromInt(1)) {
		return "", decimal.Decimal{}, reject("V1", "rate", r.Rate, "tax rate %q is not a decimal from 0 to below 1, such as 0.19", r.Rate)
	}
	return r.Country, rate, nil
}

// ParsePrice validates a catalog row.
func ParsePrice(r RawCatalog) (Price, *Reject) {
	p := Price{SKU: r.SKU, ProductName: r.ProductName, Kind: r.Kind, Publisher: r.Publisher, Term: r.Term}
	if r.SKU == "" {
		return p, reject("V1", "sku_id", "", "sku_id is empty")
	}
	if !contains(kinds, r.Kind) {
		return p, reject("V1", "kind", r.Kind, "unknown kind %q: want one of %s", r.Kind, quoteList(kinds))
	}
	if !contains(terms, r.Term) {
		return p, reject("V1", "term", r.Term, "unknown term %q: want one of %s", r.Term, quoteList(terms))
	}
	if (r.Kind == KindPerpetual) != (r.Term == TermNone) {
		return p, reject("V1", "term", r.Term, "kind %q cannot have term %q: perpetual SKUs have term none, all others P1Y or P3Y", r.Kind, r.Term)
	}
	for _, pl := range strings.Split(r.BillingPlans, ";") {
		pl = strings.TrimSpace(pl)
		if !contains(plans, pl) {
			return p, reject("V1", "billing_plans", r.BillingPlans, "unknown billing plan %q: want %s separated by ';'", pl, quoteList(plans))
		}
		if _, ok := periodMonths(pl, r.Term); !ok && r.Kind != KindPerpetual {
			return p, reject("V1", "billing_plans", r.BillingPlans, "billing plan %q does not divide term %s", pl, r.Term)
		}
		if !contains(p.Plans, pl) {
			p.Plans = append(p.Plans, pl)
		}
	}
	cur, err := LookupCurrency(r.Currency)
	if err != nil {
		return p, reject("V1", "currency", r.Currency, "unknown currency %q: want an ISO 4217 code such as USD, EUR or JPY", r.Currency)
	}
	p.Currency = cur
	price, err := ParseDecimal(r.UnitPrice)
	if err != nil || price.IsNegative() {
		return p, reject("V1", "unit_price", r.UnitPrice, "unit_price %q is not a decimal amount of zero or more, such as 1234.50", r.UnitPrice)
	}
	p.UnitPrice = price
	if p.From, err = ParseDate(r.EffectiveFrom); err != nil {
		return p, reject("V1", "effective_from", r.EffectiveFrom, "effective_from %q is not a date YYYY-MM-DD", r.EffectiveFrom)
	}
	if r.EffectiveTo != "" {
		if p.To, err = ParseDate(r.EffectiveTo); err != nil {
			return p, reject("V1", "effective_to", r.EffectiveTo, "effective_to %q is not a date YYYY-MM-DD (or empty for open)", r.EffectiveTo)
		}
		if p.To < p.From {
			return p, reject("V1", "effective_to", r.EffectiveTo, "effective_to %s is before effective_from %s", p.To, p.From)
		}
	}
	return p, nil
}

// maxQuantity is the largest quantity one order line (or a renewal's new
// quantity) may have: a plausibility bound far above any real seat count,
// which also keeps unit_price × quantity inside the int64 minor units amounts
// are posted in for unit prices up to about 9.2e9 minor units (92 million in
// a two-decimal currency).
const maxQuantity = 1_000_000_000

// parseQuantity enforces V6: a positive whole number, at most maxQuantity.
func parseQuantity(field, s string) (int64, *Reject) {
	q, err := strconv.ParseInt(s, 10, 64)
	// Past the int64 range ParseInt returns math.MaxInt64 (with ErrRange)
	// for a positive number, so every whole number above the limit lands here.
	if q > maxQuantity {
		return 0, reject("V6", field, s, "%s %q is larger than %d, the most one order line may have", field, s, maxQuantity)
	}
	if err != nil || q <= 0 {
		return 0, reject("V6", field, s, "%s %q is not a positive whole number", field, s)
	}
	return q, nil
}

func parseLineNo(s string) (int, *Reject) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, reject("V1", "line_no", s, "line_no %q is not a whole number", s)
	}
	return n, nil
}
