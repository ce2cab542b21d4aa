package recon

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
)

// LedgerLine is what reconciliation needs of one invoice line of the period
// (ledger.Line, SPEC §4 invoice-lines.csv). Amounts are minor units of
// Currency; a credit has negative amounts and a positive quantity.
type LedgerLine struct {
	InvoiceNumber  string
	CustomerID     string
	Currency       invoice.Currency
	ChargeType     string
	OrderID        string
	LineNo         int
	SubscriptionID string
	SKU            string
	ChargeStart    invoice.Date
	ChargeEnd      invoice.Date
	Quantity       int64
	Net, Tax       int64
	Gross          int64
	Source         string // file:line of the record the line comes from
}

// Customer is what matching needs of a customer: its id and its domain.
type Customer struct {
	ID     string
	Domain string
}

// Options tune Match.
type Options struct {
	// Tolerance per unit of quantity, in the currency's major unit; a line
	// of quantity q matches when its amounts differ by at most Tolerance × q.
	// Zero means the default, one minor unit of the line's currency (0.01
	// USD, 1 JPY, 0.001 KWD): Partner Center truncates where cspbill rounds
	// half away from zero. A negative value means none (exact).
	Tolerance decimal.Decimal
	// Map translates Partner Center ids (--map FILE).
	Map Map
}

// Kind says how a line reconciled.
type Kind string

// The four kinds, in the order reports list them.
const (
	Matched           Kind = "matched"             // same line on both sides, amounts within the tolerance
	Differs           Kind = "differs"             // same line, quantity or an amount outside the tolerance
	PartnerCenterOnly Kind = "partner_center_only" // billed by Partner Center, not in the ledger's period
	LedgerOnly        Kind = "ledger_only"         // invoiced by cspbill, not in Partner Center's file
)

// Kinds lists the kinds in report order.
var Kinds = []Kind{Matched, Differs, PartnerCenterOnly, LedgerOnly}

// Item is one line of the reconciliation: a ledger line, a Partner Center
// row, or both.
type Item struct {
	Kind           Kind
	CustomerID     string // cspbill's; "" for a row of a customer it does not know
	Currency       invoice.Currency
	ChargeType     string
	OrderID        string
	SubscriptionID string
	SKU            string // the ledger's sku_id, or the row's mapped or Partner Center SKU
	ChargeStart    invoice.Date
	Ledger         *LedgerLine // nil for PartnerCenterOnly
	Row            *Row        // nil for LedgerOnly
	// Delta is Partner Center's Subtotal minus the ledger's net, in major
	// units (a missing side counts as zero), so the deltas of a customer add
	// up to what Partner Center billed more than cspbill.
	Delta decimal.Decimal
	// DeltaTotal is Total minus gross, when they were compared (GrossCompared).
	DeltaTotal    decimal.Decimal
	GrossCompared bool
	Note          string
}

// Report is the outcome of Match or Run (Run leaves Items empty: it gives
// them to its caller one by one).
type Report struct {
	Period string
	Items  []Item
	Counts map[Kind]int
	Rows   int // Partner Center rows given to Match, before netting
	Netted int // rows removed by netting (a pair netted into one counts 1)
	Lines  int // ledger lines given to Match
	// Rejects are the rows of the file that could not be read (ReadFile's
	// row errors); the caller sets them so that Write reports them and
	// HasDifferences counts them.
	Rejects []*RowError
	// Rejected counts the row errors given straight to a Writer (Reconcile
	// streams them; Rejects is then empty).
	Rejected int
}

// HasDifferences reports whether anything did not reconcile: a line that
// differs or is on one side only, or a row of the file that could not be
// read. The command exits 3 when it is true.
func (r Report) HasDifferences() bool {
	return r.Counts[Differs]+r.Counts[PartnerCenterOnly]+r.Counts[LedgerOnly]+len(r.Rejects)+r.Rejected > 0
}

// normType compares charge types as Partner Center may spell them:
// "cycleCharge", "CycleCharge", "cycle charge".
func normType(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

// resolved is a row translated into cspbill's ids: what Run sorts by
// customer (and spills, hence the exported fields).
type resolved struct {
	Seq      int // the row's place in the file (a netted row: its first row's)
	Row      Row
	Customer string // "" when the customer is not known (CustNote says why)
	CustNote string
	Order    string
	Sub      string
	SKUs     []string // cspbill sku_ids the row may stand for
	SKU      string   // the one shown in the report
	CType    string   // normType
	Note     string   // what netting says of the row
	used     bool
}

type bucketKey struct {
	customer string
	currency string
	ctype    string
	start    invoice.Date
}

// refKey is a bucket and a subscription or order id as foldKey gives it.
type refKey struct {
	bucketKey
	ref string
}

// foldKey is s with every rune replaced by the smallest rune of its
// case-folding orbit: two strings have the same key exactly when
// strings.EqualFold says they are equal (ids pair case-insensitively).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// Match reconciles Partner Center's rows for a period with the ledger's
// invoice lines of that period, in memory: Run over slices, the items
// collected in the report. Rows sharing a ReferenceId are first netted
// into one. Each row is then paired with at most one ledger line and each
// line with at most one row (see the package doc for what makes a pair);
// pairs whose quantity and amounts agree within the tolerance are preferred,
// so that when a key is shared the closest lines pair up.
//
// Items come out ordered by customer id, currency, charge start, order id,
// subscription id, SKU, charges before credits, charge type, then ledger
// order or file order; a row of an unknown customer sorts last.
func Match(period string, ledger []LedgerLine, customers []Customer, rows []Row, opt Options) Report {
	byCustomer := slices.Clone(ledger)
	slices.SortStableFunc(byCustomer, func(a, b LedgerLine) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	var items []Item
	rep, err := Run(context.Background(), Input{
		Period: period, Customers: customers, Options: opt,
		Rows: sliceRows(rows), Ledger: sliceLines(byCustomer),
		RunSize: len(rows) + 1, // held whole: no run file, so no error
	}, func(it *Item) error {
		items = append(items, *it)
		return nil
	})
	if err != nil { // nothing in memory can fail
		panic("recon: Match in memory: " + err.Error())
	}
	rep.Items = items
	return rep
}

// sliceRows gives rows to Run's Input.Rows.
func sliceRows(rows []Row) func(func(Row) error) error {
	return func(emit func(Row) error) error {
		for _, r := range rows {
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// sliceLines gives lines to Run's Input.Ledger.
func sliceLines(lines []LedgerLine) iter.Seq2[LedgerLine, error] {
	return func(yield func(LedgerLine, error) bool) {
		for _, l := range lines {
			if !yield(l, nil) {
				return
			}
		}
	}
}

// perUnit is the difference Options allows per unit of quantity in
// currency cur. The default was 0.01 whatever the currency: in JPY every
// truncated yen differed, in KWD ten fils a unit matched (found by an audit).
func (o Options) perUnit(cur invoice.Currency) decimal.Decimal {
	switch {
	case o.Tolerance.IsZero():
		return decimal.New(1, -cur.Digits)
	case o.Tolerance.IsNegative():
		return decimal.Zero
	}
	return o.Tolerance
}

// matchCustomer pairs one customer's ledger lines (in ledger order) with the
// rows resolved to that customer (in file order) and returns every line and
// row as an item, in report order. Nothing pairs across customers, so
// matching customer by customer is matching the whole month.
func matchCustomer(period string, ledger []LedgerLine, res []*resolved, tol func(invoice.Currency) decimal.Decimal) []Item {
	// The lines a row may pair with share its bucket and its subscription
	// (where both have one), else its order, so the lines are indexed by both: a row looks at
	// those only, not at its whole bucket, which for a customer with a
	// hundred thousand lines on one day made matching quadratic (400,000
	// lines took 390 s).
	bySub, byOrder := map[refKey][]int{}, map[refKey][]int{}
	for i := range ledger {
		l := &ledger[i]
		k := bucketKey{l.CustomerID, l.Currency.Code, normType(l.ChargeType), l.ChargeStart}
		if l.SubscriptionID != "" {
			bySub[refKey{k, foldKey(l.SubscriptionID)}] = append(bySub[refKey{k, foldKey(l.SubscriptionID)}], i)
		}
		if l.OrderID != "" {
			byOrder[refKey{k, foldKey(l.OrderID)}] = append(byOrder[refKey{k, foldKey(l.OrderID)}], i)
		}
	}
	pairOf := make([]int, len(ledger)) // ledger line → index into res, or -1
	for i := range pairOf {
		pairOf[i] = -1
	}
	candidates := func(r *resolved) []int {
		if r.Customer == "" {
			return nil
		}
		k := bucketKey{r.Customer, r.Row.Currency.Code, r.CType, r.Row.ChargeStart}
		var from []int
		if r.Sub != "" {
			// Lines with a subscription pair by it; lines without one by
			// the order (sameRef). Both lists are in ledger order.
			from = append(from, bySub[refKey{k, foldKey(r.Sub)}]...)
			for _, i := range byOrder[refKey{k, foldKey(r.Order)}] {
				if ledger[i].SubscriptionID == "" {
					from = append(from, i)
				}
			}
			slices.Sort(from)
		} else {
			from = byOrder[refKey{k, foldKey(r.Order)}]
		}
		var out []int
		for _, i := range from { // from holds the lines sameRef accepts (TestMatchCustomerPairsAsAScanOfTheBucket)
			if pairOf[i] < 0 && sameSKU(&ledger[i], r) {
				out = append(out, i)
			}
		}
		return out
	}
	// Pass 1: pairs that agree; pass 2: the rest, first candidate in ledger order.
	for pass := 1; pass <= 2; pass++ {
		for j, r := range res {
			if r.used {
				continue
			}
			for _, i := range candidates(r) {
				if pass == 1 && compare(&ledger[i], &r.Row, tol).Kind != Matched {
					continue
				}
				pairOf[i], r.used = j, true
				break
			}
		}
	}

	items := make([]Item, 0, len(ledger)+len(res))
	for i := range ledger {
		l := &ledger[i]
		it := Item{
			CustomerID: l.CustomerID, Currency: l.Currency, ChargeType: l.ChargeType,
			OrderID: l.OrderID, SubscriptionID: l.SubscriptionID, SKU: l.SKU, ChargeStart: l.ChargeStart,
			Ledger: l,
		}
		if j := pairOf[i]; j >= 0 {
			r := res[j]
			c := compare(l, &r.Row, tol)
			it.Kind, it.Row, it.Delta, it.DeltaTotal, it.GrossCompared = c.Kind, &r.Row, c.Delta, c.DeltaTotal, c.GrossCompared
			it.Note = joinNotes(c.Note, r.Note)
		} else {
			it.Kind = LedgerOnly
			it.Delta = l.Currency.Decimal(l.Net).Neg()
			it.Note = "not in Partner Center's file"
		}
		items = append(items, it)
	}
	for _, r := range res {
		if !r.used {
			items = append(items, r.unpaired(period))
		}
	}
	slices.SortStableFunc(items, func(a, b Item) int { return a.order().compare(b.order()) })
	return items
}

// unpaired is the item of a row no ledger line pairs with.
func (r *resolved) unpaired(period string) Item {
	row := &r.Row
	it := Item{
		Kind: PartnerCenterOnly, CustomerID: r.Customer, Currency: row.Currency, ChargeType: row.ChargeType,
		OrderID: r.Order, SubscriptionID: r.Sub, SKU: r.SKU, ChargeStart: row.ChargeStart,
		Row: row, Delta: row.Subtotal,
	}
	switch {
	case r.CustNote != "":
		it.Note = r.CustNote
	case row.Subtotal.IsZero() && row.Total.IsZero() && row.Quantity.IsZero():
		// A wipe-and-recreate that nets to nothing, with nothing in
		// the ledger: both sides agree there is no charge.
		it.Kind = Matched
		it.Note = "nets to zero in Partner Center; nothing in the ledger"
	default:
		it.Note = "not in the ledger's lines of " + period
	}
	it.Note = joinNotes(it.Note, r.Note)
	return it
}

// itemOrder is what items are sorted by (Match's doc states it); items
// equal in it keep ledger order, then file order.
type itemOrder struct {
	customer, currency string
	start              invoice.Date
	order, sub, sku    string
	credit             int
	ctype              string
}

func (it *Item) order() itemOrder {
	return itemOrder{it.CustomerID, it.Currency.Code, it.ChargeStart, it.OrderID, it.SubscriptionID, it.SKU, it.credit(), it.ChargeType}
}

func (a itemOrder) compare(b itemOrder) int {
	if (a.customer == "") != (b.customer == "") { // a row of an unknown customer sorts last
		if a.customer == "" {
			return 1
		}
		return -1
	}
	return cmp.Or(
		strings.Compare(a.customer, b.customer),
		strings.Compare(a.currency, b.currency),
		cmp.Compare(a.start, b.start),
		strings.Compare(a.order, b.order),
		strings.Compare(a.sub, b.sub),
		strings.Compare(a.sku, b.sku),
		cmp.Compare(a.credit, b.credit), // charges before credits, as on the invoice
		strings.Compare(a.ctype, b.ctype),
	)
}

// credit reports whether the item gives money back: a ledger credit, or a
// refund row.
func (it *Item) credit() int {
	if it.Ledger != nil && (it.Ledger.Net < 0 || it.Ledger.Gross < 0) || it.Ledger == nil && it.Row != nil && it.Row.refund() {
		return 1
	}
	return 0
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// resolve translates a row's ids (the package doc states the rules).
func (e *engine) resolve(row Row, seq int, note string) resolved {
	m := e.m
	r := resolved{Seq: seq, Row: row, Note: note, CType: normType(row.ChargeType), Order: row.OrderID, Sub: row.SubscriptionID}
	if id, ok := lookup(m.Order, row.OrderID); ok {
		r.Order = id
	}
	if id, ok := lookup(m.Subscription, row.SubscriptionID); ok {
		r.Sub = id
	}

	// Customer: the mapping (by CustomerId, then by domain), then a
	// customer_id equal to CustomerId, then a customer whose domain is
	// CustomerDomainName.
	if id, ok := lookup(m.Customer, row.CustomerID); ok {
		r.Customer = id
	} else if id, ok := lookup(m.Customer, row.CustomerDomainName); ok {
		r.Customer = id
	} else if row.CustomerID != "" && e.ids[row.CustomerID] {
		r.Customer = row.CustomerID
	} else if d := e.domains[strings.ToLower(row.CustomerDomainName)]; row.CustomerDomainName != "" && len(d) == 1 {
		r.Customer = d[0]
	} else if len(d) > 1 {
		r.CustNote = fmt.Sprintf("customer domain %s belongs to %s; map CustomerId %s with --map", row.CustomerDomainName, strings.Join(d, " and "), row.CustomerID)
	} else {
		r.CustNote = fmt.Sprintf("unknown customer: CustomerId %s, CustomerDomainName %s", row.CustomerID, row.CustomerDomainName)
	}

	// SKU: a mapped "ProductId:SkuId", else a mapped ProductId; without a
	// mapping, any of "ProductId:SkuId", ProductId and SkuId.
	both := ""
	if row.ProductID != "" && row.SKUID != "" {
		both = row.ProductID + ":" + row.SKUID
	}
	if id, ok := lookup(m.SKU, both); ok {
		r.SKUs = []string{id}
	} else if id, ok := lookup(m.SKU, row.ProductID); ok {
		r.SKUs = []string{id}
	} else {
		for _, s := range []string{both, row.ProductID, row.SKUID} {
			if s != "" {
				r.SKUs = append(r.SKUs, s)
			}
		}
	}
	r.SKU = r.SKUs[0]
	return r
}

func sameSKU(l *LedgerLine, r *resolved) bool {
	for _, s := range r.SKUs {
		if strings.EqualFold(l.SKU, s) {
			return true
		}
	}
	return false
}

type comparison struct {
	Kind          Kind
	Delta         decimal.Decimal
	DeltaTotal    decimal.Decimal
	GrossCompared bool
	Note          string
}

// compare checks a pair: the quantities must be equal, the ledger's net and
// Partner Center's Subtotal within tol × quantity (the ledger's), and, when
// the row carries a non-zero TaxTotal, gross and Total too.
func compare(l *LedgerLine, r *Row, tol func(invoice.Currency) decimal.Decimal) comparison {
	c := comparison{Kind: Matched}
	cur := l.Currency
	allow := tol(cur).Mul(decimal.NewFromInt(l.Quantity))
	qty := decimal.NewFromInt(l.Quantity)
	c.Delta = r.Subtotal.Sub(cur.Decimal(l.Net))
	var diffs, small []string
	if !qty.Equal(r.Quantity) {
		diffs = append(diffs, fmt.Sprintf("quantity: ledger %s, Partner Center %s", qty, r.Quantity))
	}
	check := func(what, ours, theirs string, delta decimal.Decimal) {
		switch {
		case delta.Abs().GreaterThan(allow):
			diffs = append(diffs, fmt.Sprintf("%s: ledger %s, Partner Center %s, delta %s (tolerance %s)", what, ours, theirs, amount(delta, cur), amount(allow, cur)))
		case !delta.IsZero():
			small = append(small, fmt.Sprintf("%s delta %s", what, amount(delta, cur)))
		}
	}
	check("net", cur.Format(l.Net), amount(r.Subtotal, cur), c.Delta)
	if r.HasTax && !r.TaxTotal.IsZero() {
		c.GrossCompared = true
		c.DeltaTotal = r.Total.Sub(cur.Decimal(l.Gross))
		check("gross", cur.Format(l.Gross), amount(r.Total, cur), c.DeltaTotal)
	}
	if len(diffs) > 0 {
		c.Kind = Differs
		c.Note = strings.Join(diffs, "; ")
	} else if len(small) > 0 {
		c.Note = "within tolerance " + amount(allow, cur) + ": " + strings.Join(small, ", ")
	}
	return c
}

// amount prints a decimal with at least the currency's decimals (more if it
// has them: nothing Partner Center wrote is rounded away).
func amount(d decimal.Decimal, c invoice.Currency) string {
	if -d.Exponent() > c.Digits && !d.Equal(d.Round(c.Digits)) {
		return d.String()
	}
	return d.StringFixed(c.Digits)
}

// netRows nets the rows sharing a ReferenceId into one (SPEC: a
// wipe-and-recreate is summed, never deduplicated). Amounts add up;
// quantities add up signed, a refund row counting negative, and the netted
// quantity is the absolute value. The ids, dates and charge type are those
// of the first row whose sign is that of the net (the charge that stands),
// or of the first row when the net is zero. Rows of one ReferenceId but
// another customer or currency are not netted with it; they get a note.
// A netted row takes the place of the first row of its group. first gives
// the index in rows of each row out (a netted row's first row), notes what
// netting says of it.
// sameCharge reports whether two rows bill the same charge: the same order,
// subscription, product and SKU, charge type and charge start.
func sameCharge(a, b *Row) bool {
	return strings.EqualFold(a.OrderID, b.OrderID) && strings.EqualFold(a.SubscriptionID, b.SubscriptionID) &&
		strings.EqualFold(a.ProductID, b.ProductID) && strings.EqualFold(a.SKUID, b.SKUID) &&
		strings.EqualFold(a.ChargeType, b.ChargeType) && a.ChargeStart == b.ChargeStart
}

func netRows(rows []Row) (out []Row, first []int, notes []string) {
	type group struct {
		idx []int
	}
	groups := map[string]*group{}
	var order []string
	noted := map[int]string{}
	for i := range rows {
		ref := rows[i].ReferenceID
		if ref == "" {
			continue
		}
		g := groups[ref]
		if g == nil {
			g = &group{}
			groups[ref] = g
			order = append(order, ref)
		}
		if len(g.idx) > 0 {
			first := &rows[g.idx[0]]
			if !strings.EqualFold(first.CustomerID, rows[i].CustomerID) ||
				!strings.EqualFold(first.CustomerDomainName, rows[i].CustomerDomainName) ||
				first.Currency != rows[i].Currency {
				noted[i] = fmt.Sprintf("ReferenceId %s is shared with %s, another customer or currency: not netted", ref, first.Source())
				continue
			}
			if !sameCharge(first, &rows[i]) {
				// A wipe and its recreation bill the same line again; a
				// row of another order, subscription, product, charge type
				// or charge start is another line, which netting added
				// under the first row's (two false differences).
				noted[i] = fmt.Sprintf("ReferenceId %s is shared with %s, another charge (order, subscription, product, charge type or start): not netted", ref, first.Source())
				continue
			}
		}
		g.idx = append(g.idx, i)
	}
	skip := map[int]bool{}
	merged := map[int]Row{}
	for _, ref := range order {
		g := groups[ref]
		if len(g.idx) < 2 {
			continue
		}
		var sub, tax, total, qty decimal.Decimal
		hasTax := false
		lines := make([]int, 0, len(g.idx))
		for _, i := range g.idx {
			r := &rows[i]
			sub, tax, total = sub.Add(r.Subtotal), tax.Add(r.TaxTotal), total.Add(r.Total)
			if r.refund() {
				qty = qty.Sub(r.Quantity)
			} else {
				qty = qty.Add(r.Quantity)
			}
			hasTax = hasTax || r.HasTax
			lines = append(lines, r.Line)
		}
		rep := rows[g.idx[0]]
		sign := total.Sign()
		if sign == 0 {
			sign = sub.Sign()
		}
		if sign != 0 {
			for _, i := range g.idx {
				r := &rows[i]
				s := 1
				if r.refund() {
					s = -1
				}
				if s == sign {
					rep = *r
					break
				}
			}
		}
		rep.Line = rows[g.idx[0]].Line
		rep.Lines = lines
		rep.Subtotal, rep.TaxTotal, rep.Total, rep.Quantity, rep.HasTax = sub, tax, total, qty.Abs(), hasTax
		merged[g.idx[0]] = rep
		for _, i := range g.idx[1:] {
			skip[i] = true
		}
	}
	out = make([]Row, 0, len(rows))
	for i := range rows {
		if skip[i] {
			continue
		}
		if m, ok := merged[i]; ok {
			out = append(out, m)
			notes = append(notes, fmt.Sprintf("netted %d rows of ReferenceId %s", len(m.Lines), m.ReferenceID))
		} else {
			out = append(out, rows[i])
			notes = append(notes, noted[i])
		}
		first = append(first, i)
	}
	return out, first, notes
}
