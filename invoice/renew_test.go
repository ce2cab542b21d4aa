package invoice

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func hasTerm(res Result, term string) bool {
	for _, c := range res.Charges {
		if strings.Contains(c.Key, "/"+term+"/") {
			return true
		}
	}
	return false
}

func TestR1_AutoRenewDefaultsByOrderDate(t *testing.T) {
	b := testBook(t)
	// Before 2021-10-14: no auto-renew at all; the order's auto_renew=true is ignored.
	raw := order("O1", "US1", "2021-06-01", "SQL-SUB", "P1Y", "one_time", "1", "S1")
	raw.AutoRenew = "true"
	old := addOrder(t, b, raw)
	if res := b.Schedule(old, asOf("2023-12-31")); hasTerm(res, "T1") || len(res.Charges) != 1 {
		t.Fatalf("pre-2021-10-14 subscription renewed: %v", keys(res))
	}
	for i, action := range []string{ActionOn, ActionRenew} {
		_, out, rej := b.AddRenewal(renewal("S1", action, "2022-05-01"), Source{File: "renewals.csv", Line: i + 2})
		if out != Rejected {
			t.Fatalf("%s accepted", action)
		}
		wantReject(t, rej, "R1", "action", "was ordered on 2021-06-01, before 2021-10-14: it has no auto-renew")
	}
	addRenewal(t, b, renewal("S1", ActionOff, "2022-05-01"), 4) // accepted, no effect

	// 2021-10-14 to 2022-01-21: default off, so it expires…
	off := addOrder(t, b, order("O2", "US1", "2021-11-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	if res := b.Schedule(off, asOf("2023-12-31")); hasTerm(res, "T1") {
		t.Fatalf("default-off subscription renewed: %v", keys(res))
	}
	// …unless the order says auto_renew=true.
	raw = order("O3", "US1", "2021-11-01", "SQL-SUB", "P1Y", "annual", "1", "S3")
	raw.AutoRenew = "true"
	on := addOrder(t, b, raw)
	wantCharge(t, b.Schedule(on, asOf("2022-11-01")), "O3/1/T1/I0", ChargeRenew, "2022-11-01", "2023-10-31", amounts{120000, 12000, 132000})
	// From 2022-01-22 the default is on; auto_renew=false overrides it.
	def := addOrder(t, b, order("O4", "US1", "2022-03-01", "SQL-SUB", "P1Y", "annual", "1", "S4"))
	wantCharge(t, b.Schedule(def, asOf("2023-03-01")), "O4/1/T1/I0", ChargeRenew, "2023-03-01", "2024-02-29", amounts{120000, 12000, 132000})
	raw = order("O5", "US1", "2022-03-01", "SQL-SUB", "P1Y", "annual", "1", "S5")
	raw.AutoRenew = "false"
	if res := b.Schedule(addOrder(t, b, raw), asOf("2024-12-31")); hasTerm(res, "T1") {
		t.Fatalf("auto_renew=false renewed: %v", keys(res))
	}
}

func TestR2_TogglesFromTheirDate(t *testing.T) {
	b := testBook(t)
	// Term 2025-10-01 → 2026-10-01, default on. Off on the term-end day counts.
	o := addOrder(t, b, order("O1", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	addRenewal(t, b, renewal("S1", ActionOff, "2026-10-01T18:00:00Z"), 2)
	if res := b.Schedule(o, asOf("2026-12-31")); hasTerm(res, "T1") {
		t.Fatalf("renewed despite off on the term-end day: %v", keys(res))
	}
	// Off then on again before term end: renews.
	o2 := addOrder(t, b, order("O2", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	addRenewal(t, b, renewal("S2", ActionOff, "2026-09-01"), 3)
	addRenewal(t, b, renewal("S2", ActionOn, "2026-09-15"), 4)
	if res := b.Schedule(o2, asOf("2026-10-01")); !hasTerm(res, "T1") {
		t.Fatalf("not renewed: %v", keys(res))
	}
	// A toggle for a subscription that has ended is accepted and changes nothing.
	addRenewal(t, b, renewal("S1", ActionOn, "2026-11-01"), 5)
	if res := b.Schedule(o, asOf("2027-12-31")); hasTerm(res, "T1") || len(res.Verdicts) != 0 {
		t.Fatalf("toggle after the end had an effect: %v %+v", keys(res), res.Verdicts)
	}
	// A toggle that arrives after the renewal was posted, dated before it: rejected, the renewal stands.
	o3 := addOrder(t, b, order("O3", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S3"))
	addRenewal(t, b, renewal("S3", ActionOff, "2026-09-20"), 6)
	env := asOf("2026-10-31")
	env.Posted = func(k string) bool { return k == "O3/1/T1/I0" || k == "O3/1/T0/I0" }
	res := b.Schedule(o3, env)
	if !hasTerm(res, "T1") {
		t.Fatalf("posted renewal undone: %v", keys(res))
	}
	rej := wantVerdict(t, res, "R2")
	if rej.Message != "auto_renew_off dated 2026-09-20 arrived after subscription S3 was renewed on 2026-10-01 and cannot undo it; cancel the renewed term instead (K1)" {
		t.Fatalf("message %q", rej.Message)
	}
}

func TestR3_RenewalPricedOnRenewalDate(t *testing.T) {
	b := testBook(t)
	// RDS-CAL annual from 2025-10-01 at 120.00; the catalog's 132.00 row is in
	// effect on the renewal date 2026-10-01. A renew record dated 2026-09-20 sets
	// quantity 2: 132.00 × 2 = 264.00, tax 26.40, gross 290.40.
	o := addOrder(t, b, order("O1", "US1", "2025-10-01", "RDS-CAL", "P1Y", "annual", "1", "S1"))
	r := renewal("S1", ActionRenew, "2026-09-20")
	r.Quantity = "2"
	addRenewal(t, b, r, 2)
	res := b.Schedule(o, asOf("2026-10-31"))
	wantCharge(t, res, "O1/1/T0/I0", ChargeNew, "2025-10-01", "2026-09-30", amounts{12000, 1200, 13200})
	c := wantCharge(t, res, "O1/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{26400, 2640, 29040})
	if c.Quantity != 2 || c.Src.File != "renewals.csv" || c.Src.Line != 2 {
		t.Fatalf("renewal %+v", c)
	}

	// A plan change: monthly, 264.00 ÷ 12 = 22.00 a month.
	o2 := addOrder(t, b, order("O2", "US1", "2025-10-01", "RDS-CAL", "P1Y", "annual", "2", "S2"))
	r = renewal("S2", ActionRenew, "2026-09-20")
	r.BillingPlan = "monthly"
	addRenewal(t, b, r, 3)
	res = b.Schedule(o2, asOf("2026-11-01"))
	wantCharge(t, res, "O2/1/T1/I1", ChargeCycle, "2026-11-01", "2026-11-30", amounts{2200, 220, 2420})

	// A legacy one_time plan renews as annual on P1Y.
	raw := order("O3", "US1", "2021-12-01", "SQL-SUB", "P1Y", "one_time", "1", "S3")
	raw.AutoRenew = "true"
	o3 := addOrder(t, b, raw)
	res = b.Schedule(o3, asOf("2022-12-01"))
	wantCharge(t, res, "O3/1/T1/I0", ChargeRenew, "2022-12-01", "2023-11-30", amounts{120000, 12000, 132000})

	// No price in effect on the renewal date: held until the catalog has one.
	o4 := addOrder(t, b, order("O4", "US1", "2025-10-01", "SQL-OLD", "P1Y", "annual", "1", "S4"))
	res = b.Schedule(o4, asOf("2026-10-31"))
	if hasTerm(res, "T1") {
		t.Fatalf("renewed without a price: %v", keys(res))
	}
	if v := wantVerdict(t, res, "R3"); !v.Held || !strings.Contains(v.Message, "renewal of subscription S4 on 2026-10-01 held: no catalog price in effect") {
		t.Fatalf("verdict %+v", v)
	}
	b.AddPrice(RawCatalog{"SQL-OLD", "SQL Server 2019 Standard", "subscription", "Microsoft", "P1Y", "annual", "USD", "900.00", "2026-09-01", ""}, Source{File: "catalog-2.csv", Line: 2})
	wantCharge(t, b.Schedule(o4, asOf("2026-10-31")), "O4/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{90000, 9000, 99000})

	// A renew record for a subscription that has already ended is rejected.
	o5 := addOrder(t, b, order("O5", "US1", "2021-11-01", "SQL-SUB", "P1Y", "annual", "1", "S5"))
	addRenewal(t, b, renewal("S5", ActionRenew, "2022-12-01"), 4)
	res = b.Schedule(o5, asOf("2023-12-31"))
	if rej := wantVerdict(t, res, "R3"); rej.Message != "subscription S5 ended on 2022-11-01 without renewal; a renew dated 2022-12-01 cannot apply" {
		t.Fatalf("message %q", rej.Message)
	}
}

// postedEnv is an Env in which the charges of posted are in the ledger.
func postedEnv(day string, posted map[string]PostedCharge) Env {
	env := asOf(day)
	env.Posted = func(k string) bool { _, ok := posted[k]; return ok }
	env.Charge = func(k string) (PostedCharge, bool) { pc, ok := posted[k]; return pc, ok }
	return env
}

// TestR3_ALateRenewCannotChangeAPostedRenewal: a posted renewal stands (as
// R2 says of late toggles). A renew record that arrives after the renewal
// was posted and would change its quantity, plan or term is rejected (R3),
// and the renewal is computed as posted; before, the rules gave a different
// first charge under the posted key and every later post and close failed.
// A late renew that changes nothing is harmless.
func TestR3_ALateRenewCannotChangeAPostedRenewal(t *testing.T) {
	b := testBook(t)
	// Ordered 2025-10-01 (auto-renew on); renewed 2026-10-01 with quantity 1:
	// 1,200.00 + 10% tax, charge end 2027-09-30, posted.
	o := addOrder(t, b, order("O1", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	posted := map[string]PostedCharge{
		"O1/1/T0/I0": {Quantity: 1, End: MustDate("2026-09-30"), Net: 120000, Gross: 132000},
		"O1/1/T1/I0": {Quantity: 1, End: MustDate("2027-09-30"), Net: 120000, Gross: 132000},
	}
	if _, _, rej := b.AddRenewal(RawRenewal{SubscriptionID: "S1", Action: ActionRenew, EffectiveAt: "2026-09-01", Role: "admin_agent", Quantity: "4"},
		Source{ID: 7, File: "renewals-late.csv", Line: 2}); rej != nil {
		t.Fatal(rej)
	}
	res := b.Schedule(o, postedEnv("2026-11-30", posted))
	rej := wantVerdict(t, res, "R3")
	if rej.Message != "renew dated 2026-09-01 arrived after subscription S1 was renewed on 2026-10-01 and cannot change that renewal; cancel the renewed term instead (K1)" {
		t.Errorf("R3 message %q", rej.Message)
	}
	if got := keys(res); strings.Join(got, " ") != "O1/1/T0/I0 O1/1/T1/I0" {
		t.Errorf("charges %v, want each term's one instalment once", got)
	}
	wantCharge(t, res, "O1/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{120000, 12000, 132000})

	// Renewed with quantity 4 by a renew record (id 8), posted; a later one
	// (id 9) asks for 2 and is rejected; an earlier-dated one that arrived
	// later still (id 10) and changes nothing stands.
	s := addOrder(t, b, order("O2", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	for id, r := range map[int64]RawRenewal{
		8:  {SubscriptionID: "S2", Action: ActionRenew, EffectiveAt: "2026-08-01", Role: "admin_agent", Quantity: "4"},
		9:  {SubscriptionID: "S2", Action: ActionRenew, EffectiveAt: "2026-09-01", Role: "admin_agent", Quantity: "2"},
		10: {SubscriptionID: "S2", Action: ActionRenew, EffectiveAt: "2026-07-01", Role: "admin_agent"},
	} {
		if _, _, rej := b.AddRenewal(r, Source{ID: id, File: "renewals.csv", Line: int(id)}); rej != nil {
			t.Fatal(rej)
		}
	}
	posted = map[string]PostedCharge{
		"O2/1/T0/I0": {Quantity: 1, End: MustDate("2026-09-30"), Net: 120000, Gross: 132000},
		"O2/1/T1/I0": {Quantity: 4, End: MustDate("2027-09-30"), Net: 480000, Gross: 528000},
	}
	res = b.Schedule(s, postedEnv("2026-11-30", posted))
	if len(res.Verdicts) != 1 || res.Verdicts[0].Src.ID != 9 || res.Verdicts[0].Reject.Rule != "R3" {
		t.Errorf("verdicts %+v, want R3 for record 9 only", res.Verdicts)
	}
	wantCharge(t, res, "O2/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{480000, 48000, 528000})
	if len(res.Charges) != 2 {
		t.Errorf("charges %v", keys(res))
	}
}

// TestV2_ARenewRejectedForItsPlanLeavesEachTermOnce: a renew record naming a
// plan the catalog does not list for the new term is rejected (V2) and the
// renewal decided without it. Deciding again walked the term twice, so its
// charges came twice under one key (a post could never write them).
func TestV2_ARenewRejectedForItsPlanLeavesEachTermOnce(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("O1", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	addRenewal(t, b, RawRenewal{SubscriptionID: "S1", Action: ActionRenew, EffectiveAt: "2026-09-01", Role: "admin_agent", BillingPlan: "monthly"}, 2)
	res := b.Schedule(o, asOf("2026-10-31"))
	wantVerdict(t, res, "V2")
	if got := keys(res); strings.Join(got, " ") != "O1/1/T0/I0 O1/1/T1/I0" {
		t.Errorf("charges %v, want each term's one instalment once", got)
	}
}

// R3: a legacy one_time plan renews as annual on P1Y and triennial on P3Y —
// on the renewed term when a renew record changes it. Before, the plan was
// mapped from the old term: P3Y → P1Y got "triennial" and its renew record
// was rejected (the line renewed for three more years at 3,300.00), and
// P1Y → P3Y billed three annual instalments of 1,100.00.
func TestR3_LegacyOneTimeRenewsAsThePlanOfTheNewTerm(t *testing.T) {
	t.Run("P3Y renewed onto P1Y is annual", func(t *testing.T) {
		b := testBook(t)
		raw := order("L1", "US1", "2021-11-01", "SQL-SUB", "P3Y", "one_time", "1", "LS1")
		raw.AutoRenew = "true"
		o := addOrder(t, b, raw)
		r := renewal("LS1", ActionRenew, "2024-10-01")
		r.Term = "P1Y"
		addRenewal(t, b, r, 2)
		res := b.Schedule(o, asOf("2024-11-30"))
		for _, v := range res.Verdicts {
			if v.Reject != nil {
				t.Errorf("renew record judged %s: %s", v.Reject.Rule, v.Reject.Message)
			}
		}
		// SQL-SUB P1Y USD 1,200.00 a year, one annual instalment; US tax 10%.
		c := wantCharge(t, res, "L1/1/T1/I0", ChargeRenew, "2024-11-01", "2025-10-31", amounts{120000, 12000, 132000})
		if c.Src.File != "renewals.csv" || c.Src.Line != 2 {
			t.Errorf("renewal's source %s:%d, want the renew record renewals.csv:2", c.Src.File, c.Src.Line)
		}
	})
	t.Run("P1Y renewed onto P3Y is triennial", func(t *testing.T) {
		b := testBook(t)
		raw := order("L2", "US1", "2021-11-01", "SQL-SUB", "P1Y", "one_time", "1", "LS2")
		raw.AutoRenew = "true"
		o := addOrder(t, b, raw)
		r := renewal("LS2", ActionRenew, "2022-10-01")
		r.Term = "P3Y"
		addRenewal(t, b, r, 2)
		res := b.Schedule(o, asOf("2024-11-30"))
		// SQL-SUB P3Y USD 3,300.00 for the term, one triennial instalment.
		wantCharge(t, res, "L2/1/T1/I0", ChargeRenew, "2022-11-01", "2025-10-31", amounts{330000, 33000, 363000})
		if got := keys(res); len(got) != 2 {
			t.Errorf("keys %v, want the order's charge and one triennial renewal", got)
		}
	})
}

// V1/R3: a renew record naming a term the SKU has in no currency and on no
// date is an unknown term, rejected like an order's, and the renewal is
// decided without it. It held the renewal for good before (R3, "no price in
// effect"): the subscription neither renewed nor expired.
func TestV1_ARenewRecordWithATermTheSKUNeverHadIsRejected(t *testing.T) {
	b := testBook(t)
	// RDS-CAL has P1Y only; auto-renew is on by default for a 2025 order.
	o := addOrder(t, b, order("U1", "US1", "2025-03-01", "RDS-CAL", "P1Y", "monthly", "1", "U1S"))
	r := renewal("U1S", ActionRenew, "2026-02-01")
	r.Term = "P3Y"
	addRenewal(t, b, r, 2)
	res := b.Schedule(o, asOf("2026-04-30"))
	rej := wantVerdict(t, res, "V1")
	if rej.Held || !strings.Contains(rej.Message, `unknown term "P3Y"`) {
		t.Errorf("V1 verdict %+v, want a reject naming the unknown term", rej)
	}
	for _, v := range res.Verdicts {
		if v.Reject != nil && v.Reject.Held {
			t.Errorf("held: %s %s", v.Reject.Rule, v.Reject.Message)
		}
	}
	// Auto-renewed on P1Y monthly at the 120.00 row in effect on 2026-03-01:
	// 120.00 / 12 = 10.00 a month, US tax 1.00.
	wantCharge(t, res, "U1/1/T1/I0", ChargeRenew, "2026-03-01", "2026-03-31", amounts{1000, 100, 1100})
	wantCharge(t, res, "U1/1/T1/I1", ChargeCycle, "2026-04-01", "2026-04-30", amounts{1000, 100, 1100})
}

// R3 with C4: a renewal held for a price is reported as held even while the
// customer's country has no tax rate. The C4 holds replaced every other
// hold before, and the renew record, which has no charge, went unlisted.
func TestR3_ARenewalHeldForAPriceIsListedWhileTheRateIsMissing(t *testing.T) {
	b := testBook(t)
	if _, rej := b.AddPrice(RawCatalog{"GAP", "Gap SKU", "subscription", "Microsoft", "P1Y", "annual", "EUR", "100.00", "2020-01-01", "2026-06-30"}, Source{File: "catalog.csv", Line: 99}); rej != nil {
		t.Fatal(rej)
	}
	// FR1 is in FR, which the taxes file does not list.
	o := addOrder(t, b, order("G1", "FR1", "2025-08-01", "GAP", "P1Y", "annual", "1", "GS1"))
	r := renewal("GS1", ActionRenew, "2026-07-01")
	r.Quantity = "2"
	addRenewal(t, b, r, 7)
	res := b.Schedule(o, asOf("2026-09-30"))
	got := map[string]string{}
	for _, v := range res.Verdicts {
		if v.Reject == nil || !v.Reject.Held {
			t.Errorf("verdict %+v, want holds only", v)
			continue
		}
		got[fmt.Sprintf("%s:%d", v.Src.File, v.Src.Line)] = v.Reject.Rule
	}
	want := map[string]string{o.Src.File + ":" + fmt.Sprint(o.Src.Line): "C4", "renewals.csv:7": "R3"}
	if !maps.Equal(got, want) {
		t.Errorf("holds %v, want %v", got, want)
	}
}

// V1: a subscription purchase accepted while priced, whose price a later
// catalog row ended before the order date, is held as a purchase waiting
// for a price — V1, as a perpetual line is — not as a renewal (R3) of a
// subscription never billed. It was "R3 … renewal of subscription S1" before.
func TestV1_APurchaseWhosePriceEndedIsHeldAsAPurchase(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("N1", "US1", "2026-10-20", "SQL-SUB", "P1Y", "annual", "1", "NS1"))
	// A promotion row from 2026-10-15 to 2026-10-16: on 2026-10-20 no row is in effect.
	if _, rej := b.AddPrice(RawCatalog{"SQL-SUB", "SQL Server 2022 Standard", "subscription", "Microsoft", "P1Y", "annual", "USD", "999.00", "2026-10-15", "2026-10-16"}, Source{File: "catalog-2.csv", Line: 2}); rej != nil {
		t.Fatal(rej)
	}
	res := b.Schedule(o, asOf("2026-10-31"))
	if len(res.Charges) != 0 || len(res.Verdicts) != 1 {
		t.Fatalf("charges %v verdicts %+v, want one hold and nothing charged", keys(res), res.Verdicts)
	}
	v := res.Verdicts[0]
	want := `no catalog price in effect for SKU "SQL-SUB" term P1Y in USD on 2026-10-20 any more; the line waits for one`
	if v.Kind != "order" || v.Key != "N1/1" || v.Reject.Rule != "V1" || !v.Reject.Held || v.Reject.Message != want || v.Reject.Due != MustDate("2026-10-20") {
		t.Errorf("verdict %s %s %+v, want the order held V1: %s", v.Kind, v.Key, v.Reject, want)
	}
	// The price back from 2026-10-17 at 1,100.00: charged as the new purchase.
	if _, rej := b.AddPrice(RawCatalog{"SQL-SUB", "SQL Server 2022 Standard", "subscription", "Microsoft", "P1Y", "annual", "USD", "1100.00", "2026-10-17", ""}, Source{File: "catalog-3.csv", Line: 2}); rej != nil {
		t.Fatal(rej)
	}
	wantCharge(t, b.Schedule(o, asOf("2026-10-31")), "N1/1/T0/I0", ChargeNew, "2026-10-20", "2027-10-19", amounts{110000, 11000, 121000})
}

// wantVerdicts checks a result's rejects and holds, as "file:line rule",
// against want (what they should be, said in words, and the list).
func wantVerdicts(t *testing.T, res Result, what string, want ...string) {
	t.Helper()
	if got := verdictRules(res); !slices.Equal(got, want) {
		t.Errorf("verdicts %v, want %s: %v", got, what, want)
	}
}

// verdictRules lists a result's rejects and holds as "file:line rule".
func verdictRules(res Result) []string {
	var out []string
	for _, v := range res.Verdicts {
		if v.Reject != nil {
			out = append(out, fmt.Sprintf("%s:%d %s", v.Src.File, v.Src.Line, v.Reject.Rule))
		}
	}
	return out
}

// V2 with R3: a renew record naming a plan the new term's row does not
// list is rejected — that record, not the last one applied to the term
// end. A second record that only changes the quantity applies. Before, the
// last record applied was blamed and its quantity lost (found by an audit).
func TestV2_TheRenewRecordThatNamedThePlanIsTheOneRejected(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("Q1", "US1", "2023-03-13", "SQL-SUB", "P3Y", "annual", "2", "QS1"))
	a := renewal("QS1", ActionRenew, "2026-01-18")
	a.BillingPlan = "monthly" // P3Y lists annual;triennial
	addRenewal(t, b, a, 2)
	q := renewal("QS1", ActionRenew, "2026-03-13")
	q.Quantity = "3"
	addRenewal(t, b, q, 3)
	res := b.Schedule(o, asOf("2026-03-31"))
	wantVerdicts(t, res, "the plan's record rejected V2 only", "renewals.csv:2 V2")
	// P3Y annual at 3,300.00 × 3 ÷ 3 = 3,300.00 a year, US tax 330.00.
	c := wantCharge(t, res, "Q1/1/T1/I0", ChargeRenew, "2026-03-13", "2027-03-12", amounts{330000, 33000, 363000})
	if c.Quantity != 3 || c.Src.Line != 3 {
		t.Errorf("renewal quantity %d from line %d, want 3 from renewals.csv:3", c.Quantity, c.Src.Line)
	}
}

// V1 with R3: a renew record naming a term the SKU never had is rejected
// even when a later record for the same term end names a known term; its
// other fields do not apply. Before, only the merged term was checked, and
// the unknown term's plan was billed (found by an audit).
func TestV1_AnUnknownTermIsRejectedWhenALaterRecordNamesAKnownOne(t *testing.T) {
	b := testBook(t)
	raw := order("U2", "US1", "2025-03-01", "RDS-CAL", "P1Y", "monthly", "1", "U2S")
	raw.AutoRenew = "false"
	o := addOrder(t, b, raw)
	a := renewal("U2S", ActionRenew, "2025-12-01")
	a.Term, a.BillingPlan = "P3Y", "annual" // RDS-CAL has P1Y only
	addRenewal(t, b, a, 2)
	q := renewal("U2S", ActionRenew, "2026-03-01")
	q.Term, q.Quantity = "P1Y", "2"
	addRenewal(t, b, q, 3)
	res := b.Schedule(o, asOf("2026-03-31"))
	wantVerdicts(t, res, "the unknown term's record rejected V1 only", "renewals.csv:2 V1")
	// P1Y monthly (the order's plan) at quantity 2: 120.00 × 2 ÷ 12 = 20.00, tax 2.00.
	wantCharge(t, res, "U2/1/T1/I0", ChargeRenew, "2026-03-01", "2026-03-31", amounts{2000, 200, 2200})
}

// V2 before R3: a renew record whose plan no row of the new term lists, in
// any currency, is rejected at the term end, and the subscription renews
// without it, though the customer's currency has no row for that term yet.
// It held the renewal for a price that could never make the plan valid
// before (found by an audit). A plan some row lists still waits (R3).
func TestV2_APlanNoRowOfTheTermListsIsRejectedNotHeld(t *testing.T) {
	b := testBook(t)
	// AU1 pays AUD; SQL-SUB has P1Y in AUD, P3Y (annual;triennial) in USD only.
	o := addOrder(t, b, order("A1", "AU1", "2025-02-26", "SQL-SUB", "P1Y", "annual", "1", "AS1"))
	r := renewal("AS1", ActionRenew, "2026-02-01")
	r.Term, r.BillingPlan = "P3Y", "monthly"
	addRenewal(t, b, r, 2)
	res := b.Schedule(o, asOf("2026-02-28"))
	wantVerdicts(t, res, "the record rejected V2 only", "renewals.csv:2 V2")
	// Auto-renewed P1Y annual at 1,100.00 AUD, tax included (AU 10%):
	// net round(1,100.00 ÷ 1.1) = 1,000.00, tax 100.00.
	wantCharge(t, res, "A1/1/T1/I0", ChargeRenew, "2026-02-26", "2027-02-25", amounts{100000, 10000, 110000})

	b = testBook(t)
	o = addOrder(t, b, order("A2", "AU1", "2025-02-26", "SQL-SUB", "P1Y", "annual", "1", "AS2"))
	r = renewal("AS2", ActionRenew, "2026-02-01")
	r.Term, r.BillingPlan = "P3Y", "triennial" // listed in USD: waits for an AUD row
	addRenewal(t, b, r, 2)
	wantVerdicts(t, b.Schedule(o, asOf("2026-02-28")), "the renewal held for a price (R3)", "renewals.csv:2 R3")
}

// R2/R3: records of one day apply in the order of their effective_at times,
// not of the rows: an auto_renew_on at 18:00 read before an auto_renew_off
// at 08:00 leaves auto-renew on, and of two renew records of one day the
// later one's quantity wins. Before, the day alone was compared and the
// rows' order decided (found by an audit).
func TestR2_RecordsOfOneDayApplyInTheOrderOfTheirTimes(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("T1", "US1", "2024-03-01", "SQL-SUB", "P1Y", "annual", "1", "TS1"))
	addRenewal(t, b, renewal("TS1", ActionOn, "2025-02-10T18:00:00Z"), 2)
	addRenewal(t, b, renewal("TS1", ActionOff, "2025-02-10T08:00:00Z"), 3)
	// On at the term end: renewed at 1,200.00 + 10%.
	wantCharge(t, b.Schedule(o, asOf("2025-03-31")), "T1/1/T1/I0", ChargeRenew, "2025-03-01", "2026-02-28", amounts{120000, 12000, 132000})

	raw := order("T2", "US1", "2024-03-01", "SQL-SUB", "P1Y", "annual", "1", "TS2")
	raw.AutoRenew = "false"
	o = addOrder(t, b, raw)
	five := renewal("TS2", ActionRenew, "2025-02-10T18:00:00+02:00") // 16:00 UTC
	five.Quantity = "5"
	addRenewal(t, b, five, 4)
	seven := renewal("TS2", ActionRenew, "2025-02-10T08:00:00Z")
	seven.Quantity = "7"
	addRenewal(t, b, seven, 5)
	// Quantity 5 (the later): 1,200.00 × 5 = 6,000.00 + 10%, from renewals.csv:4.
	c := wantCharge(t, b.Schedule(o, asOf("2025-03-31")), "T2/1/T1/I0", ChargeRenew, "2025-03-01", "2026-02-28", amounts{600000, 60000, 660000})
	if c.Src.Line != 4 {
		t.Errorf("renewal from renewals.csv:%d, want 4", c.Src.Line)
	}
}

// R3: a renew record that arrives after the renewal it applies to was
// posted, and names only a term, is the one rejected (R3), though the term
// makes the posted plan not fit: the record that shaped the posted renewal
// was blamed for the plan (V2) before, the renewal recomputed from the
// order, and every later post failed on its key (found by an audit).
func TestR3_ALateTermOnlyRecordCannotUnshapeAPostedRenewal(t *testing.T) {
	b := testBook(t)
	raw := order("L3", "US1", "2022-03-01", "SQL-SUB", "P3Y", "triennial", "2", "LS3")
	raw.AutoRenew = "false"
	o := addOrder(t, b, raw)
	a := renewal("LS3", ActionRenew, "2024-06-01")
	a.BillingPlan, a.Quantity = "triennial", "3"
	late := renewal("LS3", ActionRenew, "2024-05-01") // dated earlier, arrived later
	late.Term = "P1Y"
	for i, r := range []RawRenewal{a, late} {
		if _, out, rej := b.AddRenewal(r, Source{ID: int64(100 + i), File: []string{"renewals.csv", "renewals-late.csv"}[i], Line: 2}); rej != nil || out != Accepted {
			t.Fatalf("renewal %d: %v %v", i, out, rej)
		}
	}
	// Posted: the order's triennial 6,600.00 and the renewal A shaped,
	// 3,300.00 × 3 = 9,900.00 + 10% for 2025-03-01..2028-02-29.
	posted := map[string]PostedCharge{
		"L3/1/T0/I0": {Quantity: 2, End: MustDate("2025-02-28"), Net: 660000, Gross: 726000},
		"L3/1/T1/I0": {Quantity: 3, End: MustDate("2028-02-29"), Net: 990000, Gross: 1089000},
	}
	env := postedEnv("2025-04-30", posted)
	env.LockedPrice = func(k string) (decimal.Decimal, bool) {
		return decimal.RequireFromString("3300.00"), k == "L3/1/T0" || k == "L3/1/T1"
	}
	res := b.Schedule(o, env)
	wantVerdicts(t, res, "the late record rejected R3 only", "renewals-late.csv:2 R3")
	wantCharge(t, res, "L3/1/T1/I0", ChargeRenew, "2025-03-01", "2028-02-29", amounts{990000, 99000, 1089000})
}

// K1/R3: a cancellation dated in a renewed term held for a price is held
// with it (listed, R3) while inside the window, rejected at once (K1) when
// outside, and credited when the catalog prices the renewal. It was listed
// nowhere while the hold lasted (found by two audits).
func TestR3_ACancellationInATermHeldForAPriceIsHeldWithIt(t *testing.T) {
	b := testBook(t)
	// SQL-OLD's only row ends 2026-06-30: the renewal on 2026-10-01 has no price.
	o := addOrder(t, b, order("H1", "US1", "2025-10-01", "SQL-OLD", "P1Y", "annual", "1", "HS1"))
	addCancel(t, b, cancelOf("H1", "2026-10-10"))
	res := b.Schedule(o, asOf("2026-10-31"))
	if got := verdictRules(res); !slices.Equal(got, []string{"cancellations.csv:2 R3", "orders.csv:" + fmt.Sprint(o.Src.Line) + " R3"}) {
		t.Fatalf("verdicts %v, want the renewal and its cancellation held (R3)", got)
	}
	if v := res.Verdicts[0].Reject; !v.Held || v.Due != MustDate("2026-10-10") || !strings.HasPrefix(v.Message, "cancellation on 2026-10-10 waits with the term from 2026-10-01: renewal of subscription HS1") {
		t.Errorf("cancellation's hold %+v", v)
	}
	// The catalog prices the renewal: 900.00 + 10%, and 356 of 365 days
	// credited, 900.00 × 356 ÷ 365 = 877.808 → 877.81, tax 87.78.
	b.AddPrice(RawCatalog{"SQL-OLD", "SQL Server 2019 Standard", "subscription", "Microsoft", "P1Y", "annual", "USD", "900.00", "2026-09-01", ""}, Source{File: "catalog-2.csv", Line: 2})
	res = b.Schedule(o, asOf("2026-10-31"))
	if len(res.Verdicts) != 0 {
		t.Errorf("verdicts %v once priced, want none", verdictRules(res))
	}
	wantCharge(t, res, "H1/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{90000, 9000, 99000})
	wantCharge(t, res, "H1/1/T1/I0/credit", ChargeCancelImmediate, "2026-10-10", "2027-09-30", amounts{-87781, -8778, -96559})

	// Outside the window (45 days after the renewal): rejected at once.
	b = testBook(t)
	o = addOrder(t, b, order("H2", "US1", "2025-10-01", "SQL-OLD", "P1Y", "annual", "1", "HS2"))
	addCancel(t, b, cancelOf("H2", "2026-11-15"))
	rej := wantVerdict(t, b.Schedule(o, asOf("2026-11-30")), "K1")
	if !strings.HasSuffix(rej.FullMessage(), "credit it would have made not known (the line has no catalog price yet)") {
		t.Errorf("K1 reject %q, want the credit said to be unknown", rej.FullMessage())
	}
}

// V1/K1: a cancellation of a purchase held for a price (a later catalog
// row ended it) is held with it inside the window and rejected outside it.
func TestV1_ACancellationOfAPurchaseHeldForAPriceIsHeldWithIt(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("P1", "US1", "2026-10-20", "WS-STD", "none", "one_time", "1", ""))
	b.AddPrice(RawCatalog{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "USD", "900.00", "2026-10-15", "2026-10-16"}, Source{File: "catalog-2.csv", Line: 2})
	addCancel(t, b, cancelOf("P1", "2026-10-25"))
	res := b.Schedule(o, asOf("2026-10-31"))
	if got := verdictRules(res); !slices.Equal(got, []string{"orders.csv:" + fmt.Sprint(o.Src.Line) + " V1", "cancellations.csv:2 V1"}) || !res.Verdicts[1].Reject.Held {
		t.Fatalf("verdicts %v, want the purchase and its cancellation held (V1)", got)
	}
	b = testBook(t)
	o = addOrder(t, b, order("P2", "US1", "2026-10-20", "WS-STD", "none", "one_time", "1", ""))
	b.AddPrice(RawCatalog{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "USD", "900.00", "2026-10-15", "2026-10-16"}, Source{File: "catalog-2.csv", Line: 2})
	addCancel(t, b, cancelOf("P2", "2026-12-01")) // 42 days
	if rej := wantVerdict(t, b.Schedule(o, asOf("2026-12-31")), "K1"); rej.Held {
		t.Errorf("K1 verdict %+v, want a reject", rej)
	}
}

// R3 on a ledger an earlier version posted: a legacy one_time P1Y line
// renewed onto P3Y was posted as the first of three annual instalments (the
// plan taken from the old term, before the ninth session). The renewal
// stands as posted and goes on as it began; recomputed as triennial, it
// failed every later post on its key (found by a review).
func TestR3_ALegacyRenewalPostedByAnEarlierVersionStandsAsPosted(t *testing.T) {
	b := testBook(t)
	raw := order("L4", "US1", "2021-11-01", "SQL-SUB", "P1Y", "one_time", "1", "LS4")
	raw.AutoRenew = "true"
	o := addOrder(t, b, raw)
	r := renewal("LS4", ActionRenew, "2022-10-01")
	r.Term = "P3Y"
	addRenewal(t, b, r, 2)
	posted := map[string]PostedCharge{
		"L4/1/T0/I0": {Quantity: 1, End: MustDate("2022-10-31"), Net: 120000, Gross: 132000},
		"L4/1/T1/I0": {Quantity: 1, End: MustDate("2023-10-31"), Net: 110000, Gross: 121000}, // 3,300.00 ÷ 3
	}
	env := postedEnv("2023-11-30", posted)
	env.LockedPrice = func(k string) (decimal.Decimal, bool) {
		p := map[string]string{"L4/1/T0": "1200.00", "L4/1/T1": "3300.00"}[k]
		if p == "" {
			return decimal.Decimal{}, false
		}
		return decimal.RequireFromString(p), true
	}
	res := b.Schedule(o, env)
	wantVerdicts(t, res, "none: the posted renewal stands")
	wantCharge(t, res, "L4/1/T1/I0", ChargeRenew, "2022-11-01", "2023-10-31", amounts{110000, 11000, 121000})
	wantCharge(t, res, "L4/1/T1/I1", ChargeCycle, "2023-11-01", "2024-10-31", amounts{110000, 11000, 121000})
}
