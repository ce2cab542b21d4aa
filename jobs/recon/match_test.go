package recon

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
)

var testCustomers = []Customer{{"C001", "contoso.com"}, {"C002", "fabrikam.de"}}

// line is a USD ledger line of C001: 12 units of RDS-CAL at 10.95.
func line(mod ...func(*LedgerLine)) LedgerLine {
	l := LedgerLine{
		InvoiceNumber: "INV-2026-10-000001", CustomerID: "C001", Currency: invoice.MustCurrency("USD"),
		ChargeType: "cycleCharge", OrderID: "O-1", LineNo: 1, SubscriptionID: "S-1", SKU: "RDS-CAL",
		ChargeStart: invoice.MustDate("2026-10-15"), ChargeEnd: invoice.MustDate("2026-11-14"),
		Quantity: 12, Net: 13140, Tax: 0, Gross: 13140, Source: "orders.csv:5",
	}
	for _, m := range mod {
		m(&l)
	}
	return l
}

// row is Partner Center's row for line().
func row(mod ...func(*Row)) Row {
	r := Row{
		File: "recon.csv", Line: 2, CustomerID: "guid-c001", CustomerDomainName: "contoso.com",
		OrderID: "O-1", SubscriptionID: "S-1", ProductID: "RDS-CAL", SKUID: "0001", ChargeType: "cycleCharge",
		ChargeStart: invoice.MustDate("2026-10-15"), Currency: invoice.MustCurrency("USD"),
		Quantity: dec("12"), EffectiveUnitPrice: dec("10.95"),
		Subtotal: dec("131.40"), TaxTotal: dec("0"), Total: dec("131.40"), HasTax: true,
	}
	for _, m := range mod {
		m(&r)
	}
	return r
}

// got summarises a report as "kind customer order/sub type start delta [note]" lines.
func got(rep Report) []string {
	var out []string
	for _, it := range rep.Items {
		s := fmt.Sprintf("%s %s %s/%s %s %s delta=%s", it.Kind, it.CustomerID, it.OrderID, it.SubscriptionID,
			it.ChargeType, it.ChargeStart, amount(it.Delta, it.Currency))
		if it.GrossCompared {
			s += " delta_total=" + amount(it.DeltaTotal, it.Currency)
		}
		if it.Row != nil {
			s += " @" + it.Row.Source()
		}
		if it.Note != "" {
			s += " [" + it.Note + "]"
		}
		out = append(out, s)
	}
	return out
}

func check(t *testing.T, rep Report, want []string) {
	t.Helper()
	g := got(rep)
	if !reflect.DeepEqual(g, want) {
		t.Errorf("items\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	n := map[Kind]int{}
	for _, it := range rep.Items {
		n[it.Kind]++
	}
	if !reflect.DeepEqual(n, rep.Counts) {
		t.Errorf("counts %v, items say %v", rep.Counts, n)
	}
}

func TestMatchKinds(t *testing.T) {
	const m = "matched C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 @recon.csv:2"
	tests := []struct {
		name   string
		ledger []LedgerLine
		rows   []Row
		opt    Options
		want   []string
		diff   bool
	}{
		{"matched", []LedgerLine{line()}, []Row{row()}, Options{}, []string{m}, false},
		{
			"amount differs",
			[]LedgerLine{line()}, []Row{row(func(r *Row) { r.Subtotal, r.Total = dec("141.40"), dec("141.40") })}, Options{},
			[]string{"differs C001 O-1/S-1 cycleCharge 2026-10-15 delta=10.00 @recon.csv:2 [net: ledger 131.40, Partner Center 141.40, delta 10.00 (tolerance 0.12)]"},
			true,
		},
		{
			"quantity differs",
			[]LedgerLine{line()}, []Row{row(func(r *Row) { r.Quantity = dec("11") })}, Options{},
			[]string{"differs C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 @recon.csv:2 [quantity: ledger 12, Partner Center 11]"},
			true,
		},
		{
			"in Partner Center only",
			nil, []Row{row()}, Options{},
			[]string{"partner_center_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=131.40 @recon.csv:2 [not in the ledger's lines of 2026-10]"},
			true,
		},
		{
			"in the ledger only",
			[]LedgerLine{line()}, nil, Options{},
			[]string{"ledger_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=-131.40 [not in Partner Center's file]"},
			true,
		},
		{
			"unknown customer",
			nil, []Row{row(func(r *Row) { r.CustomerDomainName = "other.example" })}, Options{},
			[]string{"partner_center_only  O-1/S-1 cycleCharge 2026-10-15 delta=131.40 @recon.csv:2 [unknown customer: CustomerId guid-c001, CustomerDomainName other.example]"},
			true,
		},
		{
			"another charge start",
			[]LedgerLine{line()}, []Row{row(func(r *Row) { r.ChargeStart = invoice.MustDate("2026-10-14") })}, Options{},
			[]string{
				"partner_center_only C001 O-1/S-1 cycleCharge 2026-10-14 delta=131.40 @recon.csv:2 [not in the ledger's lines of 2026-10]",
				"ledger_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=-131.40 [not in Partner Center's file]",
			},
			true,
		},
		{"customer by CustomerId = customer_id", []LedgerLine{line()}, []Row{row(func(r *Row) { r.CustomerID, r.CustomerDomainName = "C001", "" })}, Options{}, []string{m}, false},
		{"customer domain, case-insensitive", []LedgerLine{line()}, []Row{row(func(r *Row) { r.CustomerDomainName = "Contoso.COM" })}, Options{}, []string{m}, false},
		{
			"customer through the map, before the domain",
			[]LedgerLine{line(func(l *LedgerLine) { l.CustomerID = "C002" })}, []Row{row()},
			Options{Map: Map{Customer: map[string]string{"guid-c001": "C002"}}},
			[]string{"matched C002 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 @recon.csv:2"}, false,
		},
		{"SKU = SkuId", []LedgerLine{line(func(l *LedgerLine) { l.SKU = "0001" })}, []Row{row()}, Options{}, []string{m}, false},
		{"SKU = ProductId:SkuId", []LedgerLine{line(func(l *LedgerLine) { l.SKU = "RDS-CAL:0001" })}, []Row{row()}, Options{}, []string{m}, false},
		{
			"SKU through the map",
			[]LedgerLine{line(func(l *LedgerLine) { l.SKU = "RDS-CAL-2022" })}, []Row{row()},
			Options{Map: Map{SKU: map[string]string{"rds-cal:0001": "RDS-CAL-2022"}}}, []string{m}, false,
		},
		{
			"a mapped SKU must be the mapped one",
			[]LedgerLine{line()}, []Row{row()}, Options{Map: Map{SKU: map[string]string{"rds-cal": "OTHER"}}},
			[]string{ // sku OTHER sorts before RDS-CAL
				"partner_center_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=131.40 @recon.csv:2 [not in the ledger's lines of 2026-10]",
				"ledger_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=-131.40 [not in Partner Center's file]",
			},
			true,
		},
		{
			"subscription decides when both have one (a renewal under a new order id)",
			[]LedgerLine{line(func(l *LedgerLine) { l.ChargeType = "renew" })}, []Row{row(func(r *Row) { r.OrderID, r.ChargeType = "O-NEW", "Renew" })}, Options{},
			[]string{"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2"}, false,
		},
		{
			"order decides for a perpetual line (no subscription in the ledger)",
			[]LedgerLine{line(func(l *LedgerLine) { l.SubscriptionID = "" })}, []Row{row(func(r *Row) { r.SubscriptionID = "pc-sub-guid" })}, Options{},
			[]string{"matched C001 O-1/ cycleCharge 2026-10-15 delta=0.00 @recon.csv:2"}, false,
		},
		{
			"another subscription does not match",
			[]LedgerLine{line()}, []Row{row(func(r *Row) { r.SubscriptionID = "S-2" })}, Options{},
			[]string{
				"ledger_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=-131.40 [not in Partner Center's file]",
				"partner_center_only C001 O-1/S-2 cycleCharge 2026-10-15 delta=131.40 @recon.csv:2 [not in the ledger's lines of 2026-10]",
			},
			true,
		},
		{
			"order and subscription through the map",
			[]LedgerLine{line()}, []Row{row(func(r *Row) { r.OrderID, r.SubscriptionID = "pc-order", "pc-sub" })},
			Options{Map: Map{Order: map[string]string{"pc-order": "O-1"}, Subscription: map[string]string{"pc-sub": "S-1"}}},
			[]string{m}, false,
		},
		{
			"charge type spelled otherwise",
			[]LedgerLine{line()}, []Row{row(func(r *Row) { r.ChargeType = "Cycle Charge" })}, Options{},
			[]string{m}, false,
		},
		{
			"refund row for a credit",
			[]LedgerLine{line(func(l *LedgerLine) {
				l.ChargeType, l.ChargeStart, l.Net, l.Gross = "cancelImmediate", invoice.MustDate("2026-10-18"), -11826, -11826
			})},
			[]Row{row(func(r *Row) {
				r.ChargeType, r.ChargeStart = "cancelImmediate", invoice.MustDate("2026-10-18")
				r.EffectiveUnitPrice, r.Subtotal, r.Total = dec("-9.855"), dec("-118.26"), dec("-118.26")
			})},
			Options{},
			[]string{"matched C001 O-1/S-1 cancelImmediate 2026-10-18 delta=0.00 @recon.csv:2"}, false,
		},
		{
			"two identical rows are never deduplicated",
			[]LedgerLine{line()}, []Row{row(), row(func(r *Row) { r.Line = 3 })}, Options{},
			[]string{m, "partner_center_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=131.40 @recon.csv:3 [not in the ledger's lines of 2026-10]"},
			true,
		},
		{
			"a shared key pairs the lines that agree",
			[]LedgerLine{
				line(func(l *LedgerLine) { l.SubscriptionID, l.Quantity, l.Net, l.Gross = "", 2, 200000, 200000 }),
				line(func(l *LedgerLine) { l.SubscriptionID, l.LineNo, l.Quantity, l.Net, l.Gross = "", 2, 1, 100000, 100000 }),
			},
			[]Row{
				row(func(r *Row) {
					r.SubscriptionID, r.Quantity, r.Subtotal, r.Total = "", dec("1"), dec("1000.00"), dec("1000.00")
				}),
				row(func(r *Row) {
					r.Line, r.SubscriptionID, r.Quantity, r.Subtotal, r.Total = 3, "", dec("2"), dec("2000.00"), dec("2000.00")
				}),
			},
			Options{},
			[]string{
				"matched C001 O-1/ cycleCharge 2026-10-15 delta=0.00 @recon.csv:3",
				"matched C001 O-1/ cycleCharge 2026-10-15 delta=0.00 @recon.csv:2",
			},
			false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := Match("2026-10", tc.ledger, testCustomers, tc.rows, tc.opt)
			check(t, rep, tc.want)
			if rep.HasDifferences() != tc.diff {
				t.Errorf("HasDifferences = %v, want %v", rep.HasDifferences(), tc.diff)
			}
		})
	}
}

func TestTolerance(t *testing.T) {
	subtotal := func(s string) func(*Row) { return func(r *Row) { r.Subtotal, r.Total = dec(s), dec(s) } }
	qty := func(q int64, net int64) func(*LedgerLine) {
		return func(l *LedgerLine) { l.Quantity, l.Net, l.Gross = q, net, net }
	}
	tests := []struct {
		name  string
		line  LedgerLine
		row   Row
		tol   decimal.Decimal
		kind  Kind
		delta string
		note  string
	}{
		{"12 units: 0.12 below is just inside", line(), row(subtotal("131.28")), decimal.Zero, Matched, "-0.12",
			"within tolerance 0.12: net delta -0.12"},
		{"12 units: 0.13 below is just outside", line(), row(subtotal("131.27")), decimal.Zero, Differs, "-0.13",
			"net: ledger 131.40, Partner Center 131.27, delta -0.13 (tolerance 0.12)"},
		{"12 units: 0.12 above is just inside", line(), row(subtotal("131.52")), decimal.Zero, Matched, "0.12",
			"within tolerance 0.12: net delta 0.12"},
		{"1 unit: 0.01 is inside", line(qty(1, 1095)), row(subtotal("10.94"), func(r *Row) { r.Quantity = dec("1") }), decimal.Zero, Matched, "-0.01",
			"within tolerance 0.01: net delta -0.01"},
		{"1 unit: 0.02 is outside", line(qty(1, 1095)), row(subtotal("10.93"), func(r *Row) { r.Quantity = dec("1") }), decimal.Zero, Differs, "-0.02",
			"net: ledger 10.95, Partner Center 10.93, delta -0.02 (tolerance 0.01)"},
		{"Partner Center's extra decimals are kept", line(), row(subtotal("131.395")), decimal.Zero, Matched, "-0.005",
			"within tolerance 0.12: net delta -0.005"},
		{"tolerance option 0.001 per unit", line(), row(subtotal("131.39")), dec("0.001"), Matched, "-0.01",
			"within tolerance 0.012: net delta -0.01"},
		{"negative tolerance is exact", line(), row(subtotal("131.39")), dec("-1"), Differs, "-0.01",
			"net: ledger 131.40, Partner Center 131.39, delta -0.01 (tolerance 0.00)"},
		// The default is one minor unit of the line's currency a unit: a
		// yen in JPY (it was 0.01 whatever the currency, and every truncated
		// yen differed: found by an audit).
		{"JPY: a yen a unit by default", line(func(l *LedgerLine) {
			l.Currency, l.Net, l.Gross = invoice.MustCurrency("JPY"), 9624, 9624
		}), row(subtotal("9623"), func(r *Row) { r.Currency = invoice.MustCurrency("JPY") }), decimal.Zero, Matched, "-1",
			"within tolerance 12: net delta -1"},
		{"JPY: 13 yen below 12 units is outside", line(func(l *LedgerLine) {
			l.Currency, l.Net, l.Gross = invoice.MustCurrency("JPY"), 9624, 9624
		}), row(subtotal("9611"), func(r *Row) { r.Currency = invoice.MustCurrency("JPY") }), decimal.Zero, Differs, "-13",
			"net: ledger 9624, Partner Center 9611, delta -13 (tolerance 12)"},
		{"JPY: an explicit tolerance is in yen", line(func(l *LedgerLine) {
			l.Currency, l.Net, l.Gross = invoice.MustCurrency("JPY"), 9624, 9624
		}), row(subtotal("9623"), func(r *Row) { r.Currency = invoice.MustCurrency("JPY") }), dec("0.01"), Differs, "-1",
			"net: ledger 9624, Partner Center 9623, delta -1 (tolerance 0.12)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := Match("2026-10", []LedgerLine{tc.line}, testCustomers, []Row{tc.row}, Options{Tolerance: tc.tol})
			if len(rep.Items) != 1 {
				t.Fatalf("items %v", got(rep))
			}
			it := rep.Items[0]
			if it.Kind != tc.kind || amount(it.Delta, it.Currency) != tc.delta || it.Note != tc.note {
				t.Errorf("got %s delta %s [%s]\nwant %s delta %s [%s]", it.Kind, amount(it.Delta, it.Currency), it.Note, tc.kind, tc.delta, tc.note)
			}
		})
	}
}

func TestTax(t *testing.T) {
	// An EUR line with 19% tax: net 131.40, tax 24.97, gross 156.37.
	eur := line(func(l *LedgerLine) {
		l.Currency, l.Net, l.Tax, l.Gross = invoice.MustCurrency("EUR"), 13140, 2497, 15637
	})
	pc := func(tax, total string, has bool) Row {
		return row(func(r *Row) {
			r.Currency, r.TaxTotal, r.Total, r.HasTax = invoice.MustCurrency("EUR"), dec(tax), dec(total), has
		})
	}
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"tax on the invoice only (TaxTotal 0): gross not compared", pc("0.00", "131.40", true),
			"matched C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 @recon.csv:2"},
		{"no TaxTotal column: gross not compared", pc("0", "131.40", false),
			"matched C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 @recon.csv:2"},
		{"tax given and equal", pc("24.97", "156.37", true),
			"matched C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 delta_total=0.00 @recon.csv:2"},
		{"tax given, gross within tolerance", pc("24.96", "156.36", true),
			"matched C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 delta_total=-0.01 @recon.csv:2 [within tolerance 0.12: gross delta -0.01]"},
		{"tax given, gross outside", pc("26.28", "157.68", true),
			"differs C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 delta_total=1.31 @recon.csv:2 [gross: ledger 156.37, Partner Center 157.68, delta 1.31 (tolerance 0.12)]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check(t, Match("2026-10", []LedgerLine{eur}, testCustomers, []Row{tc.row}, Options{}), []string{tc.want})
		})
	}
}

func TestNetting(t *testing.T) {
	renew := func(l *LedgerLine) { l.ChargeType, l.Quantity, l.Net, l.Gross = "renew", 5, 159250, 159250 }
	pc := func(line int, ref, qty, sub string) Row {
		return row(func(r *Row) {
			r.Line, r.ReferenceID, r.ChargeType, r.Quantity = line, ref, "renew", dec(qty)
			r.Subtotal, r.Total, r.EffectiveUnitPrice = dec(sub), dec(sub), dec(sub).Div(dec(qty))
		})
	}
	tests := []struct {
		name   string
		ledger []LedgerLine
		rows   []Row
		want   []string
		netted int
	}{
		{
			"wipe and recreate: charge, wipe, recreate",
			[]LedgerLine{line(renew)},
			[]Row{pc(2, "R1", "5", "1600.00"), pc(3, "R1", "5", "-1600.00"), pc(4, "R1", "5", "1592.50")},
			[]string{"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2+3+4 [netted 3 rows of ReferenceId R1]"},
			2,
		},
		{
			"a pair: 6 units charged, 1 refunded",
			[]LedgerLine{line(renew)},
			[]Row{pc(2, "R1", "6", "1911.00"), pc(3, "R1", "1", "-318.50")},
			[]string{"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2+3 [netted 2 rows of ReferenceId R1]"},
			1,
		},
		{
			"a pair that nets to another amount differs",
			[]LedgerLine{line(renew)},
			[]Row{pc(2, "R1", "5", "-1600.00"), pc(5, "R1", "5", "1600.00"), pc(7, "R1", "5", "1600.00")},
			[]string{"differs C001 O-1/S-1 renew 2026-10-15 delta=7.50 @recon.csv:2+5+7 [net: ledger 1592.50, Partner Center 1600.00, delta 7.50 (tolerance 0.05); netted 3 rows of ReferenceId R1]"},
			2,
		},
		{
			"rows of other ReferenceIds are not netted",
			[]LedgerLine{line(renew)},
			[]Row{pc(2, "R1", "5", "1592.50"), pc(3, "R2", "5", "-1592.50")},
			[]string{
				"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2",
				"partner_center_only C001 O-1/S-1 renew 2026-10-15 delta=-1592.50 @recon.csv:3 [not in the ledger's lines of 2026-10]",
			},
			0,
		},
		{
			"a wipe and recreate of nothing: nets to zero, nothing in the ledger",
			nil,
			[]Row{pc(2, "R1", "5", "1592.50"), pc(3, "R1", "5", "-1592.50")},
			[]string{"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2+3 [nets to zero in Partner Center; nothing in the ledger; netted 2 rows of ReferenceId R1]"},
			1,
		},
		{
			"a ReferenceId shared by another customer is not netted",
			[]LedgerLine{line(renew)},
			[]Row{pc(2, "R1", "5", "1592.50"), pc(3, "R1", "5", "-1592.50"), func() Row {
				r := pc(4, "R1", "1", "10.00")
				r.CustomerID, r.CustomerDomainName = "guid-c002", "fabrikam.de"
				return r
			}()},
			// C001's charge was wiped and not recreated: it differs from
			// the ledger's line; C002's row stays apart.
			[]string{
				"differs C001 O-1/S-1 renew 2026-10-15 delta=-1592.50 @recon.csv:2+3 [quantity: ledger 5, Partner Center 0; net: ledger 1592.50, Partner Center 0.00, delta -1592.50 (tolerance 0.05); netted 2 rows of ReferenceId R1]",
				"partner_center_only C002 O-1/S-1 renew 2026-10-15 delta=10.00 @recon.csv:4 [not in the ledger's lines of 2026-10; ReferenceId R1 is shared with recon.csv:2, another customer or currency: not netted]",
			},
			1,
		},
		{
			// Two lines of one customer under one ReferenceId were summed
			// under the first row's order: a false difference and a false
			// ledger-only line.
			"a ReferenceId shared by another order of the customer is not netted",
			[]LedgerLine{line(renew), line(renew, func(l *LedgerLine) { l.OrderID, l.SubscriptionID, l.Net, l.Gross = "O-2", "S-2", 1000, 1000 })},
			[]Row{pc(2, "R1", "5", "1592.50"), func() Row {
				r := pc(3, "R1", "5", "10.00")
				r.OrderID, r.SubscriptionID = "O-2", "S-2"
				return r
			}()},
			[]string{
				"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2",
				"matched C001 O-2/S-2 renew 2026-10-15 delta=0.00 @recon.csv:3 [ReferenceId R1 is shared with recon.csv:2, another charge (order, subscription, product, charge type or start): not netted]",
			},
			0,
		},
		{
			// Recreated on another charge start: the original and its wipe
			// net to nothing, the recreation pairs with the line of its day.
			"a recreation on another charge start is not netted with the original",
			[]LedgerLine{line(renew, func(l *LedgerLine) { l.ChargeStart = invoice.MustDate("2026-10-16") })},
			[]Row{pc(2, "R1", "5", "1592.50"), pc(3, "R1", "5", "-1592.50"), func() Row {
				r := pc(4, "R1", "5", "1592.50")
				r.ChargeStart = invoice.MustDate("2026-10-16")
				return r
			}()},
			[]string{
				"matched C001 O-1/S-1 renew 2026-10-15 delta=0.00 @recon.csv:2+3 [nets to zero in Partner Center; nothing in the ledger; netted 2 rows of ReferenceId R1]",
				"matched C001 O-1/S-1 renew 2026-10-16 delta=0.00 @recon.csv:4 [ReferenceId R1 is shared with recon.csv:2, another charge (order, subscription, product, charge type or start): not netted]",
			},
			1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := Match("2026-10", tc.ledger, testCustomers, tc.rows, Options{})
			check(t, rep, tc.want)
			if rep.Netted != tc.netted || rep.Rows != len(tc.rows) {
				t.Errorf("Netted %d, Rows %d; want %d, %d", rep.Netted, rep.Rows, tc.netted, len(tc.rows))
			}
		})
	}
}

func TestMatchSharedDomain(t *testing.T) {
	customers := []Customer{{"C001", "contoso.com"}, {"C009", "Contoso.com"}}
	// The customers come from a map: the note names them in id order
	// whatever order they come in (P4; it followed the map's before).
	for _, cs := range [][]Customer{customers, {customers[1], customers[0]}} {
		rep := Match("2026-10", []LedgerLine{line()}, cs, []Row{row()}, Options{})
		check(t, rep, []string{
			"ledger_only C001 O-1/S-1 cycleCharge 2026-10-15 delta=-131.40 [not in Partner Center's file]",
			"partner_center_only  O-1/S-1 cycleCharge 2026-10-15 delta=131.40 @recon.csv:2 [customer domain contoso.com belongs to C001 and C009; map CustomerId guid-c001 with --map]",
		})
	}
	// The mapping settles it.
	rep := Match("2026-10", []LedgerLine{line()}, customers, []Row{row()}, Options{Map: Map{Customer: map[string]string{"guid-c001": "C001"}}})
	check(t, rep, []string{"matched C001 O-1/S-1 cycleCharge 2026-10-15 delta=0.00 @recon.csv:2"})
}
