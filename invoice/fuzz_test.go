package invoice

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzOrderRules feeds random order, cancellation and renewal strings into a
// Book with fixed reference data (testBook), then schedules the lines
// through several as-of days. Whatever the strings: no panic; every charge
// has net + tax = gross; a credit credits a charge of the same result and
// never more than it; business keys are unique; a later as-of day never
// changes a charge an earlier one gave (recompute-and-diff relies on it);
// and the instalments of a whole, uncancelled term add up to round(total).
// Seeds are in testdata/fuzz/FuzzOrderRules.
func FuzzOrderRules(f *testing.F) {
	f.Add("US1", "2025-10-15T16:00:00Z", "SQL-SUB", "P3Y", "annual", "4", "", "2026-10-20", "admin_agent", "renew", "2028-10-01", "P1Y", "annual", "3", uint16(400))
	f.Add("AU1", "2026-10-05", "WS-STD", "", "", "2", "", "2026-10-05", "admin_agent", "auto_renew_off", "2026-10-06", "", "", "", uint16(3))
	f.Add("JP1", "2021-10-20T12:00:00-03:00", "RDS-CAL", "P1Y", "monthly", "7", "true", "", "", "auto_renew_on", "2021-11-01", "", "", "", uint16(1500))
	f.Add("BR1", "2022-01-21", "SQL-SUB", "", "one_time", "1", "false", "2022-02-20", "admin_agent", "renew", "2023-01-21", "P1Y", "annual", "", uint16(800))
	f.Add("KW1", "2026-01-31", "RDS-CAL", "P1Y", "monthly", "3", "", "2026-02-28", "global_admin", "renew", "2027-01-31", "", "monthly", "9", uint16(30))
	f.Fuzz(func(t *testing.T, cust, orderDate, sku, term, plan, qty, autoRenew, cancelAt, role, action, effectiveAt, rTerm, rPlan, rQty string, days uint16) {
		b := testBook(t)
		src := func(file string, line int) Source { return Source{ID: int64(line), File: file, Line: line} }
		// The fuzzed line, and a fixed second line of the same order, so
		// business keys must differ between lines.
		raw := RawOrder{OrderID: "F1", LineNo: "1", CustomerID: cust, OrderDate: orderDate, SKU: sku, Term: term, BillingPlan: plan,
			Quantity: qty, SubscriptionID: "SUB-F1", AutoRenew: autoRenew}
		o, out, rej := b.AddOrder(raw, src("orders.csv", 2))
		if (out == Rejected) != (rej != nil) {
			t.Fatalf("AddOrder: outcome %v with reject %v", out, rej)
		}
		b.AddOrder(RawOrder{OrderID: "F1", LineNo: "2", CustomerID: "US1", OrderDate: "2025-06-30", SKU: "RDS-CAL", Term: "P1Y",
			BillingPlan: "monthly", Quantity: "5", SubscriptionID: "SUB-F2"}, src("orders.csv", 3))
		// A repeat of the fuzzed line with other content is never accepted (V6).
		if out == Accepted {
			again := raw
			again.Quantity += "0"
			if _, out2, _ := b.AddOrder(again, src("orders.csv", 4)); out2 != Rejected {
				t.Fatalf("a repeated key with other content was %v", out2)
			}
		}
		if cancelAt != "" {
			_, cout, crej := b.AddCancellation(RawCancellation{OrderID: "F1", LineNo: "1", CancelledAt: cancelAt, RequestedBy: "fuzz", Role: role}, src("cancellations.csv", 2))
			if (cout == Rejected || cout == Held) != (crej != nil) {
				t.Fatalf("AddCancellation: outcome %v with reject %v", cout, crej)
			}
		}
		for i, sub := range []string{"SUB-F1", "SUB-F2"} {
			b.AddRenewal(RawRenewal{SubscriptionID: sub, Action: action, EffectiveAt: effectiveAt, RequestedBy: "fuzz", Role: role,
				Term: rTerm, BillingPlan: rPlan, Quantity: rQty}, src("renewals.csv", 2+i))
		}
		b.Release()

		asOfs := []Date{MustDate("2026-10-31"), MustDate("2031-12-31")}
		if out == Accepted {
			asOfs = append(asOfs, o.Date, o.Date+Date(days), o.Date+Date(days)*3)
		}
		var lines []*Order
		for _, o := range b.orders {
			lines = append(lines, o)
		}
		// Earlier as-of days first, for the "never changes" check.
		for i := range asOfs {
			for j := i + 1; j < len(asOfs); j++ {
				if asOfs[j] < asOfs[i] {
					asOfs[i], asOfs[j] = asOfs[j], asOfs[i]
				}
			}
		}
		earlier := map[string]Charge{}
		for _, asOf := range asOfs {
			keys := map[string]bool{}
			for _, o := range lines {
				env := Env{AsOf: asOf}
				res := b.Schedule(o, env)
				if again := b.Schedule(o, env); !reflect.DeepEqual(res, again) {
					t.Fatalf("%s as of %s: two schedules differ", o.Key(), asOf)
				}
				checkSchedule(t, b, o, res, asOf, keys)
				for _, c := range res.Charges {
					if prev, ok := earlier[c.Key]; ok && (prev.Net != c.Net || prev.Tax != c.Tax || prev.Gross != c.Gross || prev.Date != c.Date || prev.Type != c.Type) {
						t.Fatalf("%s: as of %s it is %s %s %+v, earlier %s %s %+v", c.Key, asOf, c.Type, c.Date, amountsOf(c), prev.Type, prev.Date, amountsOf(prev))
					}
					earlier[c.Key] = c
				}
			}
		}
	})
}

// checkSchedule checks one Schedule result; keys collects the business keys
// of every line scheduled at the same as-of day.
func checkSchedule(t *testing.T, b *Book, o *Order, res Result, asOf Date, keys map[string]bool) {
	t.Helper()
	charges := byKey(res)
	cust := b.Ref.Customers[o.CustomerID]
	perTerm := map[string]int64{}
	first := map[string]Charge{}
	for _, c := range res.Charges {
		if keys[c.Key] {
			t.Fatalf("business key %s repeated", c.Key)
		}
		keys[c.Key] = true
		if !strings.HasPrefix(c.Key, o.Key()+"/") {
			t.Fatalf("charge %s of line %s", c.Key, o.Key())
		}
		if c.Net+c.Tax != c.Gross {
			t.Fatalf("%s: net %d + tax %d != gross %d", c.Key, c.Net, c.Tax, c.Gross)
		}
		if c.Date > asOf {
			t.Fatalf("%s dated %s is due after the as-of day %s", c.Key, c.Date, asOf)
		}
		if c.Type == ChargeCancelImmediate {
			orig, ok := charges[c.CreditsKey]
			if !ok {
				t.Fatalf("%s credits %s, which this result does not charge", c.Key, c.CreditsKey)
			}
			if c.Gross > 0 || c.Net > 0 || -c.Gross > orig.Gross || -c.Net > orig.Net {
				t.Fatalf("%s credits %+v, more than its charge %+v (or with the wrong sign)", c.Key, amountsOf(c), amountsOf(orig))
			}
			continue
		}
		if c.Gross < 0 || c.Net < 0 {
			t.Fatalf("%s: a negative charge %+v", c.Key, amountsOf(c))
		}
		perTerm[c.TermKey] += c.Net
		if Inclusive(cust.Country) {
			perTerm[c.TermKey] += c.Tax
		}
		if f, ok := first[c.TermKey]; !ok || c.Start < f.Start {
			first[c.TermKey] = c
		}
	}
	// Σ instalments of a whole term = round(line total), for a line with no
	// cancellation. The first term's length is the order's; a renewed term
	// may have another, so it is only judged once even three years are over.
	if b.cancellation(o.Key()) != nil || o.Kind == KindPerpetual {
		return
	}
	for termKey, sum := range perTerm {
		t0 := first[termKey]
		months := 36
		if strings.HasSuffix(termKey, "/T0") {
			months = map[string]int{TermP1Y: 12, TermP3Y: 36}[o.Term]
		}
		if t0.Start.AddMonths(months) > asOf {
			continue
		}
		if want := Round(LineTotal(t0.UnitPrice, t0.Quantity), cust.Currency); sum != want {
			t.Fatalf("%s as of %s: instalments sum to %d, want round(total) = %d", termKey, asOf, sum, want)
		}
	}
}
