package invoice

import (
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// SKU kinds (catalog `kind`).
const (
	KindPerpetual    = "perpetual"
	KindSubscription = "subscription"
	KindReservation  = "reservation"
	KindSoftwarePlan = "software_plan"
)

// Terms and billing plans.
const (
	TermNone = "none"
	TermP1Y  = "P1Y"
	TermP3Y  = "P3Y"

	PlanOneTime   = "one_time"
	PlanMonthly   = "monthly"
	PlanAnnual    = "annual"
	PlanTriennial = "triennial"
)

var (
	kinds = []string{KindPerpetual, KindSubscription, KindReservation, KindSoftwarePlan}
	terms = []string{TermNone, TermP1Y, TermP3Y}
	plans = []string{PlanOneTime, PlanMonthly, PlanAnnual, PlanTriennial}
)

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Customer is an accepted customers row.
type Customer struct {
	ID       string
	Name     string
	Domain   string
	Country  string
	Currency Currency
}

// Price is an accepted catalog row: the price of one unit for the whole term
// of (SKU, Term) in Currency, in effect from From to To inclusive (To is
// NoDate when open).
type Price struct {
	SKU         string
	ProductName string
	Kind        string
	Publisher   string
	Term        string
	Plans       []string
	Currency    Currency
	UnitPrice   decimal.Decimal
	From, To    Date
}

func (p Price) lists(plan string) bool { return contains(p.Plans, plan) }

func (p Price) same(q Price) bool {
	return p.SKU == q.SKU && p.ProductName == q.ProductName && p.Kind == q.Kind &&
		p.Publisher == q.Publisher && p.Term == q.Term && strings.Join(p.Plans, ";") == strings.Join(q.Plans, ";") &&
		p.Currency == q.Currency && p.UnitPrice.Equal(q.UnitPrice) && p.From == q.From && p.To == q.To
}

type priceKey struct {
	sku, term, currency string
}

// Catalog holds effective-dated prices looked up by (sku, term, currency, date).
type Catalog struct {
	prices map[priceKey][]Price // sorted by From
	kind   map[string]string    // sku → kind (a SKU has one kind)
	terms  map[string][]string  // sku → distinct terms, any currency, any date
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{prices: map[priceKey][]Price{}, kind: map[string]string{}, terms: map[string][]string{}}
}

// Add adds a price. An identical row already present returns seen; a row with
// the same (sku, term, currency, effective_from) and other content, or a kind
// that contradicts the SKU's accepted kind, is rejected (SPEC §1).
func (c *Catalog) Add(p Price) (seen bool, rej *Reject) {
	if k, ok := c.kind[p.SKU]; ok && k != p.Kind {
		return false, reject("V6", "kind", p.Kind, "catalog row for SKU %q says kind %q, but an accepted row says %q", p.SKU, p.Kind, k)
	}
	key := priceKey{p.SKU, p.Term, p.Currency.Code}
	rows := c.prices[key]
	i := sort.Search(len(rows), func(i int) bool { return rows[i].From >= p.From })
	if i < len(rows) && rows[i].From == p.From {
		if rows[i].same(p) {
			return true, nil
		}
		return false, reject("V6", "effective_from", p.From.String(),
			"catalog row for SKU %q term %s currency %s effective from %s contradicts an accepted row with the same key",
			p.SKU, p.Term, p.Currency.Code, p.From)
	}
	rows = append(rows, Price{})
	copy(rows[i+1:], rows[i:])
	rows[i] = p
	c.prices[key] = rows
	c.kind[p.SKU] = p.Kind
	if !contains(c.terms[p.SKU], p.Term) {
		c.terms[p.SKU] = append(c.terms[p.SKU], p.Term)
		sort.Strings(c.terms[p.SKU])
	}
	return false, nil
}

// Kind returns the SKU's kind, if the SKU is known.
func (c *Catalog) Kind(sku string) (string, bool) {
	k, ok := c.kind[sku]
	return k, ok
}

// Terms returns the distinct terms the catalog lists for a SKU, in any
// currency and on any date.
func (c *Catalog) Terms(sku string) []string { return c.terms[sku] }

// EverLists reports whether any row of (sku, term), in any currency and on
// any date, lists plan.
func (c *Catalog) EverLists(sku, term, plan string) bool {
	for k, rows := range c.prices {
		if k.sku == sku && k.term == term && slices.ContainsFunc(rows, func(p Price) bool { return p.lists(plan) }) {
			return true
		}
	}
	return false
}

// Lookup returns the price in effect on day for (sku, term, currency): the row
// with the latest effective_from on or before day, unless its effective_to is
// earlier than day (then none is in effect).
func (c *Catalog) Lookup(sku, term string, cur Currency, day Date) (Price, bool) {
	rows := c.prices[priceKey{sku, term, cur.Code}]
	i := sort.Search(len(rows), func(i int) bool { return rows[i].From > day }) - 1
	if i < 0 {
		return Price{}, false
	}
	p := rows[i]
	if p.To != NoDate && p.To < day {
		return Price{}, false
	}
	return p, true
}

// Reference is the accepted reference data: customers, catalog, tax rates.
type Reference struct {
	Customers map[string]Customer
	Catalog   *Catalog
	Taxes     map[string]decimal.Decimal
}

// NewReference returns empty reference data.
func NewReference() *Reference {
	return &Reference{Customers: map[string]Customer{}, Catalog: NewCatalog(), Taxes: map[string]decimal.Decimal{}}
}

// TaxRate returns the country's rate; ok is false when taxes has no row for it (C4).
func (r *Reference) TaxRate(country string) (decimal.Decimal, bool) {
	rate, ok := r.Taxes[country]
	return rate, ok
}

// Inclusive reports whether prices include tax for customers in the country
// (C4: Australia and Brazil).
func Inclusive(country string) bool { return country == "AU" || country == "BR" }
