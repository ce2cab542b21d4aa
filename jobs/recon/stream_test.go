package recon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
)

// wholeMatch is how Match worked before it streamed, kept as the oracle:
// every row netted and resolved at once, every line in one set of buckets
// (any order), the items sorted at the end.
func wholeMatch(period string, ledger []LedgerLine, customers []Customer, rows []Row, opt Options) []Item {
	e := &engine{period: period, tol: opt.perUnit, m: opt.Map, ids: map[string]bool{}, domains: map[string][]string{}}
	for _, c := range customers {
		e.ids[c.ID] = true
		if c.Domain != "" {
			d := strings.ToLower(c.Domain)
			e.domains[d] = append(e.domains[d], c.ID)
		}
	}
	// netRows nets every group of the whole file at once here.
	netted, first, notes := netRows(rows)
	res := make([]*resolved, len(netted))
	for i := range netted {
		r := e.resolve(netted[i], first[i], notes[i])
		res[i] = &r
	}
	// matchCustomer's buckets are keyed by customer too, so given every
	// line and row it is the whole-month match.
	return matchCustomer(period, slices.Clone(ledger), res, e.tol)
}

// itemText is everything Write prints of an item.
func itemText(it *Item) string {
	d := detailOf(it)
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%+v|%s", it.Kind, it.CustomerID, it.Currency.Code, it.ChargeType,
		it.OrderID, it.SubscriptionID, it.SKU, it.ChargeStart, d, it.Note)
}

// randomMonth makes a month where keys collide on purpose: few customers
// (one known only by domain, two sharing a domain, unknown ones), few
// orders, SKUs and dates, ReferenceIds shared within and across customers,
// refunds, amounts off by a cent or more.
func randomMonth(rng *rand.Rand, n int) ([]LedgerLine, []Customer, []Row) {
	customers := []Customer{{"C1", "one.com"}, {"C2", "two.com"}, {"C3", "shared.com"}, {"C4", "shared.com"}, {"C10", ""}}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	usd, eur := invoice.MustCurrency("USD"), invoice.MustCurrency("EUR")
	var lines []LedgerLine
	var rows []Row
	for i := range n {
		cust := pick("C1", "C2", "C3", "C4", "C10")
		cur := usd
		if rng.IntN(4) == 0 {
			cur = eur
		}
		qty := int64(1 + rng.IntN(3))
		net := qty * int64(100+rng.IntN(3))
		if rng.IntN(5) == 0 {
			net = -net
		}
		l := LedgerLine{
			InvoiceNumber: "INV-" + cust, CustomerID: cust, Currency: cur, ChargeType: pick("new", "cycleCharge", "cancelImmediate"),
			OrderID: pick("O1", "O2", "o1"), LineNo: 1, SubscriptionID: pick("", "S1", "S2"), SKU: pick("SKU-A", "P:1"),
			ChargeStart: invoice.MustDate(pick("2026-10-01", "2026-10-15")), Quantity: qty, Net: net, Gross: net,
			Source: fmt.Sprintf("orders.csv:%d", i+2),
		}
		if rng.IntN(4) > 0 {
			lines = append(lines, l)
		}
		if rng.IntN(4) == 0 {
			continue // ledger only
		}
		sub := decimal.New(l.Net, -2)
		if rng.IntN(6) == 0 {
			sub = sub.Add(decimal.New(int64(rng.IntN(5)-2), -2))
		}
		r := Row{
			File: "recon.csv", Line: len(rows) + 2, CustomerID: l.CustomerID, OrderID: l.OrderID, SubscriptionID: l.SubscriptionID,
			ProductID: pick("SKU-A", "P"), SKUID: pick("1", ""), ChargeType: pick(l.ChargeType, "cycle charge"),
			ChargeStart: l.ChargeStart, Currency: l.Currency, Quantity: decimal.NewFromInt(qty),
			Subtotal: sub, Total: sub, TaxTotal: decimal.Zero, HasTax: rng.IntN(2) == 0,
		}
		switch rng.IntN(6) {
		case 0:
			r.CustomerID, r.CustomerDomainName = "guid-"+cust, pick("one.com", "shared.com", "nobody.com")
		case 1:
			r.CustomerID = strings.ToLower(cust) // unknown as written
		}
		if rng.IntN(3) == 0 {
			r.ReferenceID = pick("R1", "R2", "R3", "R4")
		}
		rows = append(rows, r)
		if rng.IntN(5) == 0 { // a wipe of it, maybe under the same ReferenceId
			w := r
			w.Line = len(rows) + 2
			w.Subtotal, w.Total = r.Subtotal.Neg(), r.Total.Neg()
			rows = append(rows, w)
		}
	}
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	return lines, customers, rows
}

// Run, matching customer by customer with rows sorted and spilled through
// run files of any size, gives the items the whole-month match gives, in
// the same order.
func TestRunMatchesWholeMonth(t *testing.T) {
	m := Map{Customer: map[string]string{"guid-c2": "C2"}}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		lines, customers, rows := randomMonth(rng, 1+rng.IntN(40))
		opt := Options{}
		if seed%3 == 0 {
			opt.Map = m
		}
		var want []string
		for _, it := range wholeMatch("2026-10", lines, customers, rows, opt) {
			want = append(want, itemText(&it))
		}
		// The ledger's order: customer, currency, charge start.
		byCustomer := slices.Clone(lines)
		slices.SortStableFunc(byCustomer, func(a, b LedgerLine) int { return groupOfLine(&a).compare(groupOfLine(&b)) })
		for _, runSize := range []int{1, 2, 5, 1000} {
			var gotItems []string
			dir := t.TempDir()
			rep, err := Run(context.Background(), Input{
				Period: "2026-10", Customers: customers, Options: opt, TempDir: dir, RunSize: runSize,
				Rows:   sliceRows(rows),
				Ledger: sliceLines(byCustomer),
			}, func(it *Item) error {
				gotItems = append(gotItems, itemText(it))
				return nil
			})
			if err != nil {
				t.Fatalf("seed %d, runs of %d: %v", seed, runSize, err)
			}
			if !slices.Equal(gotItems, want) {
				t.Fatalf("seed %d, runs of %d:\n got %s\nwant %s", seed, runSize, strings.Join(gotItems, "\n     "), strings.Join(want, "\n     "))
			}
			if rep.Rows != len(rows) || rep.Lines != len(lines) {
				t.Errorf("seed %d: Rows %d Lines %d, want %d %d", seed, rep.Rows, rep.Lines, len(rows), len(lines))
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("seed %d: run files left: %v", seed, left)
			}
		}
	}
}

// A run file keeps every value of a row exactly: decimals with their
// exponent (trailing zeros, zero, negative), netted lines, dates.
func TestSortRunKeepsRowsExact(t *testing.T) {
	rows := []Row{
		row(func(r *Row) { r.Line, r.Subtotal, r.Total = 3, dec("131.4000"), dec("-0.00") }),
		row(func(r *Row) { r.Line, r.Lines, r.TaxTotal, r.HasTax = 2, []int{2, 9}, decimal.Decimal{}, false }),
		row(func(r *Row) { r.Line, r.ChargeEnd, r.Quantity = 1, invoice.NoDate, dec("0.5") }),
	}
	s := newSorter(t.TempDir(), 1, func(a, b *referenced) int { return a.Row.Line - b.Row.Line })
	defer s.close()
	for i, r := range rows {
		if err := s.add(referenced{Seq: i, Row: r}); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.runs) != 3 {
		t.Fatalf("%d run files, want 3", len(s.runs))
	}
	var back []Row
	for r, err := range s.sorted() {
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, r.Row)
	}
	for i, want := range []Row{rows[2], rows[1], rows[0]} {
		g := back[i]
		for _, p := range [][2]decimal.Decimal{{g.Subtotal, want.Subtotal}, {g.Total, want.Total}, {g.TaxTotal, want.TaxTotal}, {g.Quantity, want.Quantity}} {
			if p[0].String() != p[1].String() || p[0].Exponent() != p[1].Exponent() {
				t.Errorf("row %d: %s (exp %d), want %s (exp %d)", i, p[0], p[0].Exponent(), p[1], p[1].Exponent())
			}
		}
		g.Subtotal, g.Total, g.TaxTotal, g.Quantity, g.EffectiveUnitPrice = want.Subtotal, want.Total, want.TaxTotal, want.Quantity, want.EffectiveUnitPrice
		if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", want) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
}

// Lines that do not come in the ledger's order (customer, currency, charge
// start) would be matched against part of a group's rows: Run refuses them.
func TestRunRefusesLedgerOutOfOrder(t *testing.T) {
	for _, c := range []struct {
		lines []LedgerLine
		want  string
	}{
		{[]LedgerLine{line(func(l *LedgerLine) { l.CustomerID = "C002" }), line()}, "out of order: C001 USD 2026-10-15 after C002 USD 2026-10-15"},
		{[]LedgerLine{line(func(l *LedgerLine) { l.Currency = invoice.MustCurrency("USD") }), line(func(l *LedgerLine) { l.Currency = invoice.MustCurrency("EUR") })},
			"out of order: C001 EUR 2026-10-15 after C001 USD 2026-10-15"},
		{[]LedgerLine{line(func(l *LedgerLine) { l.ChargeStart = invoice.MustDate("2026-10-20") }), line()}, "out of order: C001 USD 2026-10-15 after C001 USD 2026-10-20"},
	} {
		_, err := Run(context.Background(), Input{Period: "2026-10", Customers: testCustomers, Rows: sliceRows(nil), Ledger: sliceLines(c.lines)},
			func(*Item) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

// scanMatch pairs as matchCustomer did before it indexed its lines: each
// row scans its whole bucket. The test's oracle for the index.
func scanMatch(ledger []LedgerLine, res []*resolved, tol func(invoice.Currency) decimal.Decimal) []int {
	buckets := map[bucketKey][]int{}
	for i := range ledger {
		l := &ledger[i]
		k := bucketKey{l.CustomerID, l.Currency.Code, normType(l.ChargeType), l.ChargeStart}
		buckets[k] = append(buckets[k], i)
	}
	pairOf := make([]int, len(ledger))
	for i := range pairOf {
		pairOf[i] = -1
	}
	for pass := 1; pass <= 2; pass++ {
		for j, r := range res {
			if r.used || r.Customer == "" {
				continue
			}
			for _, i := range buckets[bucketKey{r.Customer, r.Row.Currency.Code, r.CType, r.Row.ChargeStart}] {
				if pairOf[i] >= 0 || !sameRef(&ledger[i], r) || !sameSKU(&ledger[i], r) {
					continue
				}
				if pass == 1 && compare(&ledger[i], &r.Row, tol).Kind != Matched {
					continue
				}
				pairOf[i], r.used = j, true
				break
			}
		}
	}
	return pairOf
}

// TestMatchCustomerPairsAsAScanOfTheBucket: the lines matchCustomer indexes
// by subscription and order give the pairs a scan of the whole bucket gave,
// on random months with colliding keys, ids in other cases (O1 and o1, and
// letters whose case-folding is not ASCII's: K and the Kelvin sign, s and ſ).
func TestMatchCustomerPairsAsAScanOfTheBucket(t *testing.T) {
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 11))
		lines, customers, rows := randomMonth(rng, 1+rng.IntN(60))
		for i := range lines {
			switch rng.IntN(6) {
			case 0:
				lines[i].SubscriptionID = strings.ToUpper(lines[i].SubscriptionID)
			case 1:
				lines[i].OrderID = "\u212a" + lines[i].OrderID // Kelvin sign: folds to k and K
			case 2:
				lines[i].SubscriptionID += "\u017f" // long s: folds to s and S
			}
		}
		for i := range rows {
			switch rng.IntN(6) {
			case 0:
				rows[i].SubscriptionID = strings.ToLower(rows[i].SubscriptionID)
			case 1:
				rows[i].OrderID = "k" + rows[i].OrderID
			case 2:
				rows[i].SubscriptionID += "S"
			}
		}
		e := &engine{period: "2026-10", tol: Options{}.perUnit, ids: map[string]bool{}, domains: map[string][]string{}}
		for _, c := range customers {
			e.ids[c.ID] = true
			if c.Domain != "" {
				e.domains[c.Domain] = append(e.domains[c.Domain], c.ID)
			}
		}
		netted, first, notes := netRows(rows)
		resolve := func() []*resolved {
			res := make([]*resolved, len(netted))
			for i := range netted {
				r := e.resolve(netted[i], first[i], notes[i])
				res[i] = &r
			}
			return res
		}
		want := scanMatch(lines, resolve(), e.tol)
		res := resolve()
		items := matchCustomer("2026-10", slices.Clone(lines), res, e.tol)
		// Every paired row appears in an item with its ledger line; compare
		// which row each line paired with through the items' sources.
		got := map[string]string{}
		for _, it := range items {
			if it.Ledger != nil && it.Row != nil {
				got[it.Ledger.Source] = it.Row.Source()
			}
		}
		for i, j := range want {
			g, ok := got[lines[i].Source]
			switch {
			case j < 0 && ok:
				t.Fatalf("seed %d: line %s paired with %s, the scan left it unpaired", seed, lines[i].Source, g)
			case j >= 0 && g != res[j].Row.Source():
				t.Fatalf("seed %d: line %s paired with %q, the scan with %q", seed, lines[i].Source, g, res[j].Row.Source())
			}
		}
	}
}

// sameRef is the rule the index of matchCustomer implements: a line and a
// row agree on the subscription where both have one, else on the order.
func sameRef(l *LedgerLine, r *resolved) bool {
	if l.SubscriptionID != "" && r.Sub != "" {
		return strings.EqualFold(l.SubscriptionID, r.Sub)
	}
	return l.OrderID != "" && strings.EqualFold(l.OrderID, r.Order)
}
