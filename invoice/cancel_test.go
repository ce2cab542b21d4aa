package invoice

import (
	"strings"
	"testing"
)

func TestK1_CancellationWindow(t *testing.T) {
	b := testBook(t)
	// Perpetual WS-STD on 2026-10-01 for US1: net 1000.00, tax 100.00, gross 1100.00.
	in := addOrder(t, b, order("O1", "US1", "2026-10-01", "WS-STD", "", "", "1", ""))
	addCancel(t, b, cancelOf("O1", "2026-10-31T23:00:00Z")) // 30 days: allowed
	wantCharge(t, b.Schedule(in, asOf("2026-10-31")), "O1/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-31", "", amounts{-100000, -10000, -110000})

	out := addOrder(t, b, order("O2", "US1", "2026-10-01", "WS-STD", "", "", "1", ""))
	c := cancelOf("O2", "2026-11-01")
	c.Reason = "bought by mistake"
	addCancel(t, b, c) // 31 days: refused
	res := b.Schedule(out, asOf("2026-11-30"))
	if len(res.Charges) != 1 {
		t.Fatalf("charges %v", keys(res))
	}
	rej := wantVerdict(t, res, "K1")
	if rej.Message != "cancellation on 2026-11-01 is outside the 30-day window of the purchase or renewal on 2026-10-01 (31 days)" {
		t.Fatalf("message %q", rej.Message)
	}
	if s := rej.Support; s == nil || s.GrossCredit != -110000 || s.Domain != "contoso.com" || s.OrderID != "O2" || s.Reason != "bought by mistake" {
		t.Fatalf("support %+v", s)
	}
	if !strings.Contains(rej.FullMessage(), `support request: customer US1 (contoso.com), order O2, subscription (none), reason "bought by mistake", credit it would have made -1100.00 USD`) {
		t.Fatalf("full message %q", rej.FullMessage())
	}

	// The window is a setting.
	b.Window = 10
	short := addOrder(t, b, order("O3", "US1", "2026-10-01", "WS-STD", "", "", "1", ""))
	addCancel(t, b, cancelOf("O3", "2026-10-12"))
	wantVerdict(t, b.Schedule(short, asOf("2026-10-31")), "K1")
	b.Window = DefaultWindow

	// Before the order date: refused.
	early := addOrder(t, b, order("O4", "US1", "2026-10-05", "WS-STD", "", "", "1", ""))
	addCancel(t, b, cancelOf("O4", "2026-10-04"))
	wantVerdict(t, b.Schedule(early, asOf("2026-10-31")), "K1")
}

func TestK1_WindowReopensOnRenewal(t *testing.T) {
	b := testBook(t)
	// SQL-SUB P1Y annual from 2025-10-01, auto-renew on by default: renews 2026-10-01.
	o := addOrder(t, b, order("O1", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-10-20"))
	res := b.Schedule(o, asOf("2026-10-31"))
	wantCharge(t, res, "O1/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{120000, 12000, 132000})
	// 19 days into the renewed term: allowed. days = 2027-10-01 − 2026-10-01 = 365,
	// unused = 2027-10-01 − 2026-10-20 = 346; 1200.00 × 346 ÷ 365 = 1137.534… → 1137.53;
	// tax round(113.753) = 113.75; gross 1251.28.
	wantCharge(t, res, "O1/1/T1/I0/credit", ChargeCancelImmediate, "2026-10-20", "2027-09-30", amounts{-113753, -11375, -125128})
}

func TestK2_SoftwarePlanNeverCancelled(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("O1", "US1", "2026-10-01", "SUSE", "P1Y", "annual", "1", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-10-02"))
	res := b.Schedule(o, asOf("2026-10-31"))
	rej := wantVerdict(t, res, "K2")
	if rej.Message != `software plan "SUSE" (subscription S1) can never be cancelled` {
		t.Fatalf("message %q", rej.Message)
	}
	if len(res.Charges) != 1 || res.Charges[0].Type != ChargeNew {
		t.Fatalf("charges %v", keys(res))
	}
}

func TestK3_PerpetualCreditIsExactNegation(t *testing.T) {
	b := testBook(t)
	// AU1 buys 2 × WS-STD at 1100.00 AUD, tax-inclusive 10%: gross 2200.00,
	// net round(2200.00 ÷ 1.1) = 2000.00, tax 200.00.
	o := addOrder(t, b, order("O1", "AU1", "2026-10-01", "WS-STD", "", "", "2", ""))
	addCancel(t, b, cancelOf("O1", "2026-10-05"))
	res := b.Schedule(o, asOf("2026-10-31"))
	ch := wantCharge(t, res, "O1/1/T0/I0", ChargeNew, "2026-10-01", "", amounts{200000, 20000, 220000})
	cr := wantCharge(t, res, "O1/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-05", "", amounts{-200000, -20000, -220000})
	if cr.CreditsKey != ch.Key || cr.Quantity != 2 {
		t.Fatalf("credit %+v", cr)
	}
}

func TestK4_ProratedCreditForUnusedDays(t *testing.T) {
	b := testBook(t)
	// RDS-CAL monthly ×10 at 132.00 from 2026-10-01: 1320.00 ÷ 12 = 110.00 a month.
	// Cancelled 2026-10-03: days = 31, unused = 2026-11-01 − 2026-10-03 = 29;
	// 110.00 × 29 ÷ 31 = 102.903… → 102.90; tax round(10.290) = 10.29; gross 113.19.
	o := addOrder(t, b, order("O1", "US1", "2026-10-01", "RDS-CAL", "P1Y", "monthly", "10", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-10-03T09:00:00Z"))
	res := b.Schedule(o, asOf("2026-12-31"))
	wantCharge(t, res, "O1/1/T0/I0", ChargeNew, "2026-10-01", "2026-10-31", amounts{11000, 1100, 12100})
	wantCharge(t, res, "O1/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-03", "2026-10-31", amounts{-10290, -1029, -11319})
	if len(res.Charges) != 2 {
		t.Fatalf("later instalments charged: %v", keys(res))
	}

	// Cancelled on the start date: charged and credited 100%.
	s := addOrder(t, b, order("O2", "US1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	addCancel(t, b, cancelOf("O2", "2026-10-01"))
	res = b.Schedule(s, asOf("2026-10-31"))
	wantCharge(t, res, "O2/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-01", "2027-09-30", amounts{-120000, -12000, -132000})

	// Cancelled on the start of the second instalment (day 28 of a February
	// start, inside the window): instalment 1 is charged and credited 100%;
	// instalment 0 (120.00 ÷ 12 = 10.00 at the old price) is not credited.
	f := addOrder(t, b, order("O3", "US1", "2026-02-01", "RDS-CAL", "P1Y", "monthly", "1", "S3"))
	addCancel(t, b, cancelOf("O3", "2026-03-01"))
	res = b.Schedule(f, asOf("2026-06-30"))
	wantCharge(t, res, "O3/1/T0/I1", ChargeCycle, "2026-03-01", "2026-03-31", amounts{1000, 100, 1100})
	wantCharge(t, res, "O3/1/T0/I1/credit", ChargeCancelImmediate, "2026-03-01", "2026-03-31", amounts{-1000, -100, -1100})
	if _, ok := byKey(res)["O3/1/T0/I0/credit"]; ok || len(res.Charges) != 3 {
		t.Fatalf("charges %v", keys(res))
	}

	// KWD, three decimals: 37.125 ÷ 12 = 3.09375 → 3.094; cancelled 2026-10-10:
	// unused 22 of 31 days: 3.094 × 22 ÷ 31 = 2.19574… → 2.196; KW tax 0.
	k := addOrder(t, b, order("O4", "KW1", "2026-10-01", "RDS-CAL", "P1Y", "monthly", "1", "S4"))
	addCancel(t, b, cancelOf("O4", "2026-10-10"))
	res = b.Schedule(k, asOf("2026-10-31"))
	wantCharge(t, res, "O4/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-10", "2026-10-31", amounts{-2196, 0, -2196})
}

func TestK5_CreditDatedOnCancelDay(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("O1", "US1", "2026-09-20", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-10-02"))
	res := b.Schedule(o, asOf("2026-10-31"))
	cr := byKey(res)["O1/1/T0/I0/credit"]
	// The charge is September's; the credit is due on the cancel day, in October,
	// charge_start the cancel day, charge_end the credited instalment's last day.
	if cr.Date.String() != "2026-10-02" || cr.Date.Month().String() != "2026-10" || cr.Start.String() != "2026-10-02" || cr.End.String() != "2027-09-19" {
		t.Fatalf("credit %+v", cr)
	}
	// 12 of 365 days used: 1200.00 × 353 ÷ 365 = 1160.547… → 1160.55, tax 116.06 (116.055 half away), gross 1276.61.
	if amountsOf(cr) != (amounts{-116055, -11606, -127661}) {
		t.Fatalf("amounts %+v", amountsOf(cr))
	}
}

func TestK6_CancellationHeldUntilOrderArrives(t *testing.T) {
	b := testBook(t)
	_, out, rej := b.AddCancellation(cancelOf("O1", "2026-10-05"), Source{File: "cancellations.csv", Line: 2})
	if out != Held || rej == nil || !rej.Held || rej.Rule != "K6" {
		t.Fatalf("outcome %v %+v", out, rej)
	}
	if rej.Message != "cancellation pending: order line O1/1 has not been accepted yet; it is applied when the order line arrives" {
		t.Fatalf("held message %q", rej.Message)
	}
	if r := b.Release(); len(r) != 0 {
		t.Fatalf("released early: %+v", r)
	}
	o := addOrder(t, b, order("O1", "US1", "2026-10-01", "WS-STD", "", "", "1", ""))
	if r := b.Release(); len(r) != 1 || r[0].Key() != "O1/1" {
		t.Fatalf("released %+v", r)
	}
	if r := b.Release(); len(r) != 0 {
		t.Fatalf("released twice: %+v", r)
	}
	wantCharge(t, b.Schedule(o, asOf("2026-10-31")), "O1/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-05", "", amounts{-100000, -10000, -110000})
	// A renewal for an unknown subscription is a V1 reject, not held.
	_, out, rej = b.AddRenewal(renewal("NOPE", ActionOff, "2026-10-05"), Source{File: "renewals.csv", Line: 2})
	if out != Rejected || rej.Rule != "V1" || rej.Held {
		t.Fatalf("renewal for unknown subscription: %v %+v", out, rej)
	}
}

func TestK7_NothingAfterCancellation(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("O1", "US1", "2026-02-01", "RDS-CAL", "P1Y", "monthly", "1", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-02-10"))
	// A second, different cancellation of the line is rejected.
	_, out, rej := b.AddCancellation(cancelOf("O1", "2026-02-11"), Source{File: "cancellations.csv", Line: 3})
	if out != Rejected {
		t.Fatalf("second cancellation %v", out)
	}
	wantReject(t, rej, "K7", "order_id", "order line O1/1 already has a different cancellation")
	// The same one again is seen.
	if _, out, _ := b.AddCancellation(cancelOf("O1", "2026-02-10"), Source{File: "cancellations-2.csv", Line: 2}); out != Seen {
		t.Fatalf("identical cancellation %v", out)
	}
	// The cancellation arrives late: instalments 1 and 2 (March, April) were
	// posted. They are reversed exactly; instalment 3 on was never posted and is
	// not charged. Instalment 0 gets its K4 credit: 10.00 × 19 ÷ 28 = 6.785… → 6.79.
	env := asOf("2026-06-30")
	env.Posted = func(k string) bool { return k == "O1/1/T0/I0" || k == "O1/1/T0/I1" || k == "O1/1/T0/I2" }
	res := b.Schedule(o, env)
	wantCharge(t, res, "O1/1/T0/I0/credit", ChargeCancelImmediate, "2026-02-10", "2026-02-28", amounts{-679, -68, -747})
	r1 := wantCharge(t, res, "O1/1/T0/I1/reversal", ChargeCancelImmediate, "2026-03-01", "2026-03-31", amounts{-1000, -100, -1100})
	wantCharge(t, res, "O1/1/T0/I2/reversal", ChargeCancelImmediate, "2026-04-01", "2026-04-30", amounts{-1000, -100, -1100})
	// A reversal is dated on its instalment's start: it posts to that
	// month if still open (beside its charge), else to the first open one.
	if r1.Date.String() != "2026-03-01" || r1.CreditsKey != "O1/1/T0/I1" {
		t.Fatalf("reversal %+v", r1)
	}
	if len(res.Charges) != 4 {
		t.Fatalf("charges %v", keys(res))
	}

	// No renewal after cancellation: a renew record is rejected (K7).
	s := addOrder(t, b, order("O2", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	addCancel(t, b, cancelOf("O2", "2025-10-15"))
	addRenewal(t, b, renewal("S2", ActionRenew, "2026-09-01"), 2)
	res = b.Schedule(s, asOf("2026-12-31"))
	for _, c := range res.Charges {
		if strings.Contains(c.Key, "/T1/") {
			t.Fatalf("renewed after cancellation: %v", keys(res))
		}
	}
	wantVerdict(t, res, "K7")
}

// TestK7_ARenewForACancelledSubscriptionIsRejectedOnceDated: a cancellation
// ends the subscription on its day, so a renew record for a term end after
// it can never apply. It is rejected (K7) by the first run through its date,
// so the close of its month lists it, not the close of the month the term
// would have ended in, a year later. A renew that already renewed the
// cancelled term stays accepted.
func TestK7_ARenewForACancelledSubscriptionIsRejectedOnceDated(t *testing.T) {
	b := testBook(t)
	// First term: 2026-10-01 to 2027-10-01, cancelled on 2026-10-05.
	o := addOrder(t, b, order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-10-05"))
	addRenewal(t, b, renewal("S1", ActionRenew, "2026-10-03"), 2) // before the cancel, for the term's end
	addRenewal(t, b, renewal("S1", ActionRenew, "2026-10-06"), 3)
	addRenewal(t, b, renewal("S1", ActionRenew, "2026-11-15"), 4)
	addRenewal(t, b, renewal("S1", ActionOff, "2026-10-07"), 5) // a toggle of an ended subscription: accepted
	byLine := func(res Result) map[int]string {
		m := map[int]string{}
		for _, v := range res.Verdicts {
			if v.Src.File == "renewals.csv" && v.Reject != nil {
				m[v.Src.Line] = v.Reject.Rule + " " + v.Reject.Message
			}
		}
		return m
	}
	want := "K7 subscription S1 was cancelled on 2026-10-05: no renewal after cancellation"
	got := byLine(b.Schedule(o, asOf("2026-10-31")))
	if len(got) != 2 || got[2] != want || got[3] != want {
		t.Errorf("October: renewals verdicts %v, want lines 2 and 3: %q", got, want)
	}
	got = byLine(b.Schedule(o, asOf("2026-11-30")))
	if len(got) != 3 || got[4] != want {
		t.Errorf("November: renewals verdicts %v, want lines 2, 3 and 4: %q", got, want)
	}

	// A renewed term cancelled within its window (K1 reopens on the renewal
	// day): the renew that renewed it applied; one dated after its start is
	// rejected.
	s := addOrder(t, b, order("O2", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	addRenewal(t, b, renewal("S2", ActionRenew, "2026-09-15"), 6)
	addRenewal(t, b, renewal("S2", ActionRenew, "2026-10-02"), 7)
	addCancel(t, b, cancelOf("O2", "2026-10-05"))
	res := b.Schedule(s, asOf("2026-10-31"))
	got = byLine(res)
	if len(got) != 1 || got[7] != "K7 subscription S2 was cancelled on 2026-10-05: no renewal after cancellation" {
		t.Errorf("renewed term: renewals verdicts %v, want line 7 only", got)
	}
	// The renewed term's first charge (1200.00 + 10% tax) and its K4 credit:
	// 1200.00 × 361 ÷ 365 = 1186.849… → 1186.85, tax 118.69.
	wantCharge(t, res, "O2/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{120000, 12000, 132000})
	wantCharge(t, res, "O2/1/T1/I0/credit", ChargeCancelImmediate, "2026-10-05", "2027-09-30", amounts{-118685, -11869, -130554})
}

// TestK1_ACreditedCancellationStandsWhenTheWindowNarrows: the window is a
// setting (K1), and a run may use a narrower one than the run that accepted
// and credited a cancellation. That cancellation stands: re-judging it
// rejected it and billed the ended subscription again (K7). One not yet
// credited is judged by the window of the run.
func TestK1_ACreditedCancellationStandsWhenTheWindowNarrows(t *testing.T) {
	b := testBook(t)
	b.Window = 14
	// Monthly, 132.00 a year from 2026-10-01: 11.00 an instalment. Cancelled
	// 25 days after the order, on 2026-10-26: 6 of 31 days unused.
	o := addOrder(t, b, order("O1", "US1", "2026-10-01", "RDS-CAL", "P1Y", "monthly", "1", "S1"))
	addCancel(t, b, cancelOf("O1", "2026-10-26"))
	p := addOrder(t, b, order("O2", "US1", "2026-10-01", "WS-STD", "none", "one_time", "1", ""))
	b.AddCancellation(cancelOf("O2", "2026-10-26"), Source{File: "cancellations.csv", Line: 3})
	posted := map[string]PostedCharge{"O1/1/T0/I0": {}, "O1/1/T0/I0/credit": {}, "O2/1/T0/I0": {}, "O2/1/T0/I0/credit": {}}
	res := b.Schedule(o, postedEnv("2026-12-31", posted))
	if len(res.Verdicts) != 0 {
		t.Errorf("verdicts %+v, want none: the credited cancellation stands", res.Verdicts)
	}
	// round(1100 × 6 ÷ 31) = round(212.90…) = 213 cents; tax 21.
	wantCharge(t, res, "O1/1/T0/I0/credit", ChargeCancelImmediate, "2026-10-26", "2026-10-31", amounts{-213, -21, -234})
	if got := strings.Join(keys(res), " "); got != "O1/1/T0/I0 O1/1/T0/I0/credit" {
		t.Errorf("charges %s, want no instalment after the cancellation", got)
	}
	res = b.Schedule(p, postedEnv("2026-12-31", posted))
	if len(res.Verdicts) != 0 || len(res.Charges) != 2 {
		t.Errorf("perpetual: verdicts %+v, charges %v; want its charge and 100%% credit", res.Verdicts, keys(res))
	}

	// Nothing credited yet: the 14-day window of this run rejects it.
	res = b.Schedule(o, asOf("2026-12-31"))
	wantVerdict(t, res, "K1")
	if got := strings.Join(keys(res), " "); got != "O1/1/T0/I0 O1/1/T0/I1 O1/1/T0/I2" {
		t.Errorf("charges %s, want the instalments of a subscription not cancelled", got)
	}
}

// TestK1_ARejectQuotesTheCreditBeforeTaxWhileTheRateIsMissing: K1's reject
// row carries the gross credit the cancellation would have made. While the
// customer's country has no tax rate (C4) the gross is not known: the row
// says the amount is before tax, instead of calling the net the gross.
func TestK1_ARejectQuotesTheCreditBeforeTaxWhileTheRateIsMissing(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("O1", "FR1", "2026-03-01", "WS-STD", "none", "one_time", "1", ""))
	addCancel(t, b, cancelOf("O1", "2026-04-15")) // 45 days
	rej := wantVerdict(t, b.Schedule(o, asOf("2026-04-30")), "K1")
	// 1,234.5675 → 1,234.57 EUR, not taxed yet.
	if want := `credit it would have made -1234.57 EUR before tax (the taxes file has no rate for FR yet)`; !strings.HasSuffix(rej.FullMessage(), want) {
		t.Errorf("message %q, want it to end %q", rej.FullMessage(), want)
	}
}

// K1: a subscription's cancellation dated before its purchase is refused,
// and its reject quotes the credit a support request would ask for: the
// first instalment whole, as a cancellation on the start day would make
// (it quoted 0.00: no instalment contains a day before the purchase; found
// by an audit).
func TestK1_ACancellationBeforeThePurchaseQuotesTheFirstInstalment(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("E1", "US1", "2026-10-10", "SQL-SUB", "P1Y", "annual", "1", "SE1"))
	addCancel(t, b, cancelOf("E1", "2026-10-09T23:00:00Z"))
	res := b.Schedule(o, asOf("2026-10-31"))
	rej := wantVerdict(t, res, "K1")
	// The annual instalment: 1,200.00 net + 10% tax = 1,320.00 gross.
	if rej.Support == nil || rej.Support.GrossCredit != -132000 {
		t.Fatalf("support %+v, want a gross credit of -1320.00", rej.Support)
	}
	if !strings.Contains(rej.FullMessage(), "(-1 days)") || !strings.HasSuffix(rej.FullMessage(), "credit it would have made -1320.00 USD") {
		t.Errorf("message %q", rej.FullMessage())
	}
	wantCharge(t, res, "E1/1/T0/I0", ChargeNew, "2026-10-10", "2027-10-09", amounts{120000, 12000, 132000})
}

// K1: a cancellation dated after the subscription expired finds no term to
// cancel, whatever the window. With a window at least a term long
// (--cancel-window-days 400) the date passed the window check and the
// reject was nil: every post panicked (exit 2) on this one record.
func TestK1_ACancellationAfterExpiryIsRejectedUnderAWideWindow(t *testing.T) {
	b := testBook(t)
	b.Window = 400
	raw := order("W1", "US1", "2025-03-01", "SQL-SUB", "P1Y", "annual", "1", "WS1")
	raw.AutoRenew = "false"
	o := addOrder(t, b, raw)
	addCancel(t, b, cancelOf("W1", "2026-03-10"))
	res := b.Schedule(o, asOf("2026-03-31"))
	rej := wantVerdict(t, res, "K1")
	if !strings.Contains(rej.Message, "ended on 2026-03-01") || rej.Support == nil || rej.Support.GrossCredit != 0 {
		t.Errorf("K1 reject %q support %+v, want the end date named and no credit", rej.Message, rej.Support)
	}
	// The order's one annual charge (1,200.00 + 10%) and nothing else.
	wantCharge(t, res, "W1/1/T0/I0", ChargeNew, "2025-03-01", "2026-02-28", amounts{120000, 12000, 132000})
	if got := keys(res); len(got) != 1 {
		t.Errorf("keys %v, want the order's charge only", got)
	}
}

// K7 on a ledger an earlier version posted: a renewal billed at quantity 2
// (a renew record since rejected) was reversed at the order's quantity 1,
// -3,300.00 of 6,600.00, before the ninth session. That reversal stands (its
// key is posted) and a correction credits the rest, so the renewal is
// reversed exactly; recomputed from the posted charge alone, the reversal's
// key failed every post (found by a review).
func TestK7_AShortReversalAnEarlierVersionPostedIsCorrected(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("R1", "US1", "2022-07-05", "SQL-SUB", "P3Y", "triennial", "1", "RS1"))
	addCancel(t, b, cancelOf("R1", "2022-08-02"))
	posted := map[string]PostedCharge{
		"R1/1/T0/I0":          {Quantity: 1, End: MustDate("2025-07-04"), Net: 330000, Gross: 363000},
		"R1/1/T1/I0":          {Quantity: 2, End: MustDate("2028-07-04"), Net: 660000, Gross: 726000},
		"R1/1/T1/I0/reversal": {Quantity: 1, End: MustDate("2028-07-04"), Net: -330000, Gross: -363000},
	}
	env := postedEnv("2025-08-31", posted)
	res := b.Schedule(o, env)
	wantCharge(t, res, "R1/1/T1/I0/reversal", ChargeCancelImmediate, "2025-07-05", "2028-07-04", amounts{-330000, -33000, -363000})
	c := wantCharge(t, res, "R1/1/T1/I0/reversal/correction", ChargeCancelImmediate, "2025-07-05", "2028-07-04", amounts{-330000, -33000, -363000})
	if c.CreditsKey != "R1/1/T1/I0" || c.Quantity != 2 {
		t.Errorf("correction credits %s at quantity %d, want R1/1/T1/I0 at 2", c.CreditsKey, c.Quantity)
	}
}

// K7 before the renewal's own checks: a renew record for a term end after
// the subscription was cancelled is rejected because the subscription
// ended (K7), whatever else is wrong with it; it was named by the check
// the walk met first (here V2, a plan P1Y does not list), which audits
// built from the spec read as K7.
func TestK7_ARenewRecordAfterACancellationIsRejectedAsSuch(t *testing.T) {
	b := testBook(t)
	o := addOrder(t, b, order("C7", "US1", "2025-03-01", "SQL-SUB", "P1Y", "annual", "1", "CS7"))
	addCancel(t, b, cancelOf("C7", "2025-03-10"))
	r := renewal("CS7", ActionRenew, "2026-01-01")
	r.BillingPlan = "monthly" // SQL-SUB P1Y lists annual only
	addRenewal(t, b, r, 2)
	res := b.Schedule(o, asOf("2026-03-31"))
	wantVerdicts(t, res, "the renew record rejected K7", "renewals.csv:2 K7")
}

// K4 on a last instalment negative on an exact half (C2: posted as
// round(total) minus the others, not round of its exact amount): a
// cancellation on its start day credits it 100%, the exact negation of
// what was charged, as K4 says. The charge carries what an earlier
// version posted for it (Was), which a re-post accepts.
func TestK4_AWholeCreditOfANegativeLastInstalmentNegatesIt(t *testing.T) {
	b := testBook(t)
	if _, rej := b.AddPrice(RawCatalog{"TINY", "Tiny CAL", "subscription", "Microsoft", "P1Y", "monthly", "USD", "0.065", "2020-01-01", ""},
		Source{File: "catalog.csv", Line: 99}); rej != nil {
		t.Fatal(rej)
	}
	b.Window = 400 // a setting: lets a cancellation reach the last instalment
	raw := order("T1", "GL1", "2026-01-05", "TINY", "P1Y", "monthly", "1", "ST1")
	raw.AutoRenew = "false"
	o := addOrder(t, b, raw)
	addCancel(t, b, cancelOf("T1", "2026-12-05"))
	res := b.Schedule(o, asOf("2026-12-31"))
	// GL has a 0% rate. Eleven instalments of 0.01, the last 0.07 − 0.11 = −0.04.
	last := wantCharge(t, res, "T1/1/T0/I11", ChargeCycle, "2026-12-05", "2027-01-04", amounts{-4, 0, -4})
	if last.Was == nil || *last.Was != [3]int64{-5, 0, -5} {
		t.Errorf("Was = %v, want round(−0.045) = −0.05", last.Was)
	}
	wantCharge(t, res, "T1/1/T0/I11/credit", ChargeCancelImmediate, "2026-12-05", "2027-01-04", amounts{4, 0, 4})
	var sum int64
	for _, c := range res.Charges {
		if c.Type != ChargeCancelImmediate {
			sum += c.Net
		}
	}
	if sum != 7 {
		t.Errorf("instalments sum to %d, want round(0.065) = 7", sum)
	}

	// A ledger an earlier version posted, the last instalment at −0.05
	// (round(−0.045)): the whole credit negates what it charged, +0.05, not
	// the rules' −0.04, and a credit it posted (+0.05) stands (Was); the
	// credit was +0.04, leaving the customer charged 0.01 (found by a review).
	posted := map[string]PostedCharge{"T1/1/T0/I11": {Quantity: 1, End: MustDate("2027-01-04"), Net: -5, Gross: -5}}
	res = b.Schedule(o, postedEnv("2026-12-31", posted))
	credit := wantCharge(t, res, "T1/1/T0/I11/credit", ChargeCancelImmediate, "2026-12-05", "2027-01-04", amounts{5, 0, 5})
	if credit.Was == nil || *credit.Was != [3]int64{5, 0, 5} {
		t.Errorf("credit Was = %v, want the earlier version's +0.05", credit.Was)
	}
}
