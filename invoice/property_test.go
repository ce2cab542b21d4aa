package invoice

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestProperties_RandomOrderLines checks SPEC §5's invariants over thousands of
// random order lines, cancellations and renewal records per run.
func TestProperties_RandomOrderLines(t *testing.T) {
	seed := uint64(20261125)
	rng := rand.New(rand.NewPCG(seed, 1))
	b := testBook(t)
	custs := []string{"US1", "DE1", "AU1", "BR1", "JP1", "KW1", "GL1"}
	type skuPlan struct{ sku, term, plan string }
	options := []skuPlan{
		{"WS-STD", "", ""}, {"SQL-SUB", "P1Y", "annual"}, {"SQL-SUB", "P3Y", "annual"}, {"SQL-SUB", "P3Y", "triennial"},
		{"RDS-CAL", "P1Y", "monthly"}, {"RDS-CAL", "P1Y", "annual"}, {"AZ-RI", "P1Y", "monthly"}, {"AZ-RI", "P3Y", "monthly"},
		{"AZ-RI", "P3Y", "annual"}, {"SUSE", "P1Y", "annual"}, {"SQL-SUB", "P1Y", "one_time"},
	}
	start, days := MustDate("2021-01-01"), int(MustDate("2026-10-31")-MustDate("2021-01-01"))
	asOfDay := MustDate("2029-12-31")
	accepted := 0
	for i := 0; i < 6000; i++ {
		opt := options[rng.IntN(len(options))]
		day := start + Date(rng.IntN(days))
		raw := order(fmt.Sprintf("P%d", i), custs[rng.IntN(len(custs))], day.String(), opt.sku, opt.term, opt.plan,
			fmt.Sprint(1+rng.IntN(50)), fmt.Sprintf("SUB%d", i))
		if rng.IntN(4) == 0 {
			raw.AutoRenew = []string{"true", "false"}[rng.IntN(2)]
		}
		o, out, _ := b.AddOrder(raw, Source{File: "orders.csv", Line: i + 2})
		if out != Accepted {
			continue // e.g. V3, V5, no price in that currency
		}
		accepted++
		if rng.IntN(3) == 0 {
			b.AddCancellation(cancelOf(o.OrderID, (day+Date(rng.IntN(400))).String()), Source{File: "cancellations.csv", Line: i + 2})
		}
		for j := rng.IntN(3); j > 0; j-- {
			action := []string{ActionOn, ActionOff, ActionRenew}[rng.IntN(3)]
			r := renewal(o.SubscriptionID, action, (day + Date(rng.IntN(1500))).String())
			if action == ActionRenew && rng.IntN(2) == 0 {
				r.Quantity = fmt.Sprint(1 + rng.IntN(9))
			}
			b.AddRenewal(r, Source{File: "renewals.csv", Line: i*3 + j})
		}
	}
	if accepted < 2000 {
		t.Fatalf("only %d random lines accepted", accepted)
	}
	allKeys := map[string]bool{}
	checked := 0
	for _, o := range b.orders {
		env := Env{AsOf: asOfDay}
		res := b.Schedule(o, env)
		if again := b.Schedule(o, env); !reflect.DeepEqual(res, again) {
			t.Fatalf("%s: two runs differ", o.Key())
		}
		charges := byKey(res)
		cancel := b.cancellation(o.Key())
		perTerm := map[string]int64{}
		for _, c := range res.Charges {
			if allKeys[c.Key] {
				t.Fatalf("business key %s repeated", c.Key)
			}
			allKeys[c.Key] = true
			if c.Net+c.Tax != c.Gross {
				t.Fatalf("%s: net %d + tax %d != gross %d", c.Key, c.Net, c.Tax, c.Gross)
			}
			if c.Type == ChargeCancelImmediate {
				orig, ok := charges[c.CreditsKey]
				if !ok {
					t.Fatalf("%s credits %s, which is not charged", c.Key, c.CreditsKey)
				}
				if -c.Gross > orig.Gross || -c.Net > orig.Net || c.Gross > 0 {
					t.Fatalf("%s credits %+v more than its charge %+v", c.Key, amountsOf(c), amountsOf(orig))
				}
				if strings.HasSuffix(c.Key, "/reversal") || c.Start == orig.Start && c.End == orig.End {
					if amountsOf(c) != (amounts{-orig.Net, -orig.Tax, -orig.Gross}) {
						t.Fatalf("%s: 100%% credit %+v is not the negation of %+v", c.Key, amountsOf(c), amountsOf(orig))
					}
				}
				continue
			}
			if cancel != nil && !hasReject(res, "K1", "K2") && c.Start > cancel.Date {
				t.Fatalf("%s charged on %s after cancellation on %s", c.Key, c.Start, cancel.Date)
			}
			perTerm[c.TermKey] += c.Net
			if Inclusive(b.Ref.Customers[o.CustomerID].Country) {
				perTerm[c.TermKey] += c.Tax
			}
		}
		// Σ posted instalments of a whole, uncancelled term = round(line total).
		if cancel == nil {
			for termKey, sum := range perTerm {
				var t0 *Charge
				for _, c := range res.Charges {
					if c.TermKey == termKey {
						c := c
						t0 = &c
						break
					}
				}
				cur := b.Ref.Customers[o.CustomerID].Currency
				term := map[string]int{TermNone: 0, TermP1Y: 12, TermP3Y: 36}[t0.Order.Term]
				if t0.Order.Kind == KindPerpetual || t0.Start.AddMonths(term) > asOfDay {
					continue
				}
				if want := Round(LineTotal(t0.UnitPrice, t0.Quantity), cur); sum != want {
					t.Fatalf("%s: instalments sum to %d, want round(total) = %d", termKey, sum, want)
				}
				checked++
			}
		}
		// Nothing after expiry: a subscription ordered before 2021-10-14 never renews.
		if o.Date < AutoRenewIntroduced && hasTerm(res, "T1") {
			t.Fatalf("%s renewed after its expiry: %v", o.Key(), keys(res))
		}
	}
	if checked < 500 {
		t.Fatalf("only %d terms checked for their sum", checked)
	}
}

func hasReject(res Result, rules ...string) bool {
	for _, v := range res.Verdicts {
		for _, r := range rules {
			if v.Reject != nil && v.Reject.Rule == r {
				return true
			}
		}
	}
	return false
}
