package invoice

import (
	"testing"
)

// addPrices adds catalog rows to b for one test.
func addPrices(t *testing.T, b *Book, rows ...RawCatalog) {
	t.Helper()
	for i, p := range rows {
		if _, rej := b.AddPrice(p, Source{File: "catalog-limits.csv", Line: i + 2}); rej != nil {
			t.Fatalf("catalog %s: %v", p.SKU, rej)
		}
	}
}

// TestC1_ALineTooLargeForTheLedgerIsRejected: C1's exact line total must
// fit what the ledger posts: fewer than 10^14 minor units (a trillion US
// dollars). 92,233,720,368,547,758.08 × 2 is 2^64 cents, which wrapped to
// 0.00 in int64 and was posted as a zero line; it is rejected now, with the
// limit in the message. The largest line that fits posts exactly.
func TestC1_ALineTooLargeForTheLedgerIsRejected(t *testing.T) {
	b := testBook(t)
	addPrices(t, b,
		RawCatalog{"HUGE", "Huge", "perpetual", "Microsoft", "none", "one_time", "USD", "92233720368547758.08", "2020-01-01", ""},
		RawCatalog{"EDGE", "Edge", "perpetual", "Microsoft", "none", "one_time", "USD", "999999999999.99", "2020-01-01", ""},
		RawCatalog{"EDGE", "Edge", "perpetual", "Microsoft", "none", "one_time", "JPY", "99999999999999", "2020-01-01", ""},
		RawCatalog{"OVER", "Over", "perpetual", "Microsoft", "none", "one_time", "USD", "1000000000000.00", "2020-01-01", ""},
		RawCatalog{"OVER", "Over", "perpetual", "Microsoft", "none", "one_time", "JPY", "100000000000000", "2020-01-01", ""},
	)
	for _, c := range []struct {
		name string
		raw  RawOrder
		want string
	}{
		{"2^64 cents", order("O1", "US1", "2026-10-05", "HUGE", "none", "one_time", "2", ""),
			"line total 184467440737095516.16 USD (quantity 2) is more than one line may carry: at most 999999999999.99 USD"},
		{"10^14 cents", order("O2", "US1", "2026-10-05", "OVER", "none", "one_time", "1", ""),
			"line total 1000000000000 USD (quantity 1) is more than one line may carry: at most 999999999999.99 USD"},
		{"two halves of the limit", order("O3", "US1", "2026-10-05", "EDGE", "none", "one_time", "2", ""),
			"line total 1999999999999.98 USD (quantity 2) is more than one line may carry: at most 999999999999.99 USD"},
		{"10^14 yen", order("O4", "JP1", "2026-10-05", "OVER", "none", "one_time", "1", ""),
			"line total 100000000000000 JPY (quantity 1) is more than one line may carry: at most 99999999999999 JPY"},
	} {
		_, out, rej := b.AddOrder(c.raw, Source{File: "orders.csv", Line: 2})
		if out != Rejected {
			t.Errorf("%s: %v, want rejected", c.name, out)
			continue
		}
		wantReject(t, rej, "C1", "quantity", c.want)
	}

	// The largest line posts exactly: net 99,999,999,999,999 cents, tax
	// round(9,999,999,999,999.9) = 10,000,000,000,000, gross their sum.
	o := addOrder(t, b, order("O5", "US1", "2026-10-05", "EDGE", "none", "one_time", "1", ""))
	wantCharge(t, b.Schedule(o, asOf("2026-10-31")), "O5/1/T0/I0", ChargeNew, "2026-10-05", "",
		amounts{99_999_999_999_999, 10_000_000_000_000, 109_999_999_999_999})
	j := addOrder(t, b, order("O6", "JP1", "2026-10-05", "EDGE", "none", "one_time", "1", ""))
	wantCharge(t, b.Schedule(j, asOf("2026-10-31")), "O6/1/T0/I0", ChargeNew, "2026-10-05", "",
		amounts{99_999_999_999_999, 10_000_000_000_000, 109_999_999_999_999})
}

// TestC1_ARenewalTooLargeForTheLedger: a renew record whose quantity makes
// the renewed line too large is rejected (C1) and the renewal decided
// without it; a renewal whose new catalog price makes the line too large is
// held, listed at every close, never posted with a wrapped amount.
func TestC1_ARenewalTooLargeForTheLedger(t *testing.T) {
	b := testBook(t)
	// 1,200.00 × 1,000,000,000 = 1.2 × 10^12 USD = 1.2 × 10^14 cents.
	o := addOrder(t, b, order("O1", "US1", "2025-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	addRenewal(t, b, RawRenewal{SubscriptionID: "S1", Action: ActionRenew, EffectiveAt: "2026-09-01", Role: "admin_agent", Quantity: "1000000000"}, 2)
	res := b.Schedule(o, asOf("2026-10-31"))
	rej := wantVerdict(t, res, "C1")
	if rej.Held || rej.Message != "line total 1200000000000 USD (quantity 1000000000) is more than one line may carry: at most 999999999999.99 USD" {
		t.Errorf("renew record verdict %+v", rej)
	}
	// Auto-renew is on (ordered after 2022-01-22): it renews with quantity 1.
	wantCharge(t, res, "O1/1/T1/I0", ChargeRenew, "2026-10-01", "2027-09-30", amounts{120000, 12000, 132000})

	addPrices(t, b,
		RawCatalog{"DEAR", "Dear", "subscription", "Microsoft", "P1Y", "annual", "USD", "100.00", "2020-01-01", "2026-09-30"},
		RawCatalog{"DEAR", "Dear", "subscription", "Microsoft", "P1Y", "annual", "USD", "999999999999.99", "2026-10-01", ""},
	)
	d := addOrder(t, b, order("O2", "US1", "2025-10-01", "DEAR", "P1Y", "annual", "2", "S2"))
	res = b.Schedule(d, asOf("2026-10-31"))
	rej = wantVerdict(t, res, "C1")
	if !rej.Held || rej.Message != "renewal of subscription S2 on 2026-10-01 held: line total 1999999999999.98 USD (quantity 2) is more than one line may carry: at most 999999999999.99 USD" {
		t.Errorf("renewal verdict %+v", rej)
	}
	// The first term's line, 100.00 × 2, is charged; nothing of the second.
	wantCharge(t, res, "O2/1/T0/I0", ChargeNew, "2025-10-01", "2026-09-30", amounts{20000, 2000, 22000})
	if len(res.Charges) != 1 {
		t.Errorf("charges %v, want the first term's only", keys(res))
	}
}
