package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// SPEC §5 over random batches: random charges split over several revenue
// accounts, partial and full credits of earlier charges, re-posted batches,
// late records for closed months, and a close every month. After each
// close the invoices must tie to their lines and to the receivable
// movement, and at the end Verify must pass and every transaction,
// customer and period must balance.
func TestInvariantsRandomBatches(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
				randomLedger(t, url, seed)
			})
		}
	})
}

func randomLedger(t *testing.T, url string, seed uint64) {
	ctx := context.Background()
	l := openLedger(t, url)
	rng := rand.New(rand.NewPCG(seed, 99))
	customers := []string{"C1", "C2", "c3", "C10", "Z"}
	currencies := []string{"USD", "EUR", "JPY"}
	type chargeState struct {
		txn      ledger.Txn
		credited int64 // gross credited so far
	}
	var charges []*chargeState
	var posted []ledger.Txn
	n := 0
	for month := 1; month <= 6; month++ {
		period := fmt.Sprintf("%d-%02d", 2026+seed, month)
		run := startRun(t, l)
		for range 1 + rng.IntN(3) {
			var batch []ledger.Txn
			for range rng.IntN(40) {
				n++
				net, tax := rng.Int64N(1_000_000)-1000, rng.Int64N(20_000)
				x := charge(fmt.Sprintf("S%dT%d", seed, n), customers[rng.IntN(len(customers))],
					currencies[rng.IntN(len(currencies))], period, net, tax)
				x.Invoiced = rng.IntN(10) > 0
				// Split revenue over two accounts: the split must still balance.
				cut := rng.Int64N(net/2 + 1)
				x.Postings = append(x.Postings, ledger.Posting{Account: "revenue:azure", Amount: cut})
				x.Postings[1].Amount -= cut
				batch = append(batch, x)
				if net+tax > 0 {
					charges = append(charges, &chargeState{txn: x})
				}
			}
			for range rng.IntN(10) {
				if len(charges) == 0 {
					break
				}
				c := charges[rng.IntN(len(charges))]
				left := c.txn.Gross - c.credited
				if left <= 0 || c.txn.Tax > 0 && rng.IntN(2) == 0 {
					continue
				}
				n++
				var cr ledger.Txn
				if c.credited == 0 && rng.IntN(2) == 0 {
					cr = credit(fmt.Sprintf("S%dT%d", seed, n), c.txn, period, c.txn.Net, c.txn.Tax) // 100%
				} else {
					cr = credit(fmt.Sprintf("S%dT%d", seed, n), c.txn, period, 1+rng.Int64N(left), 0)
				}
				c.credited -= cr.Gross
				batch = append(batch, cr)
			}
			// Re-post some of what is already posted, as a rerun would.
			for range rng.IntN(5) {
				if len(posted) > 0 {
					batch = append(batch, posted[rng.IntN(len(posted))])
				}
			}
			rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			if _, err := l.Post(ctx, run, batch); err != nil {
				t.Fatalf("Post: %v", err)
			}
			posted = append(posted, batch...)
		}
		// A late record for a closed month is refused, then posted to the
		// first open month.
		if month > 1 {
			n++
			late := charge(fmt.Sprintf("S%dT%d", seed, n), "C1", "USD", fmt.Sprintf("%d-%02d", 2026+seed, month-1), 500, 50)
			if _, err := l.Post(ctx, run, []ledger.Txn{late}); !errors.Is(err, ledger.ErrPeriodClosed) {
				t.Fatalf("late Post: %v, want ErrPeriodClosed", err)
			}
			late.Period, _ = l.FirstOpen(ctx, late.Period)
			if _, err := l.Post(ctx, run, []ledger.Txn{late}); err != nil {
				t.Fatal(err)
			}
		}
		invs, err := l.ClosePeriod(ctx, period)
		if err != nil {
			t.Fatal(err)
		}
		checkTies(t, l, period, invs)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM (SELECT txn_id FROM postings GROUP BY txn_id HAVING SUM(amount) <> 0) x`,
		`SELECT COUNT(*) FROM (SELECT t.customer_id FROM postings p JOIN txns t ON t.id = p.txn_id
			GROUP BY t.customer_id HAVING SUM(p.amount) <> 0) x`,
		`SELECT COUNT(*) FROM (SELECT period FROM postings GROUP BY period HAVING SUM(amount) <> 0) x`,
		`SELECT COUNT(*) FROM (SELECT key FROM txns GROUP BY key HAVING COUNT(*) > 1) x`,
	} {
		var bad int
		if err := l.DB().Get(&bad, q); err != nil || bad != 0 {
			t.Errorf("%s: %d, %v", q, bad, err)
		}
	}
}

// checkTies: invoice totals = Σ their lines = receivable movement (SPEC §5),
// numbers gapless from 000001.
func checkTies(t *testing.T, l *ledger.Ledger, period string, invs []ledger.Invoice) {
	t.Helper()
	ctx := context.Background()
	type sums struct{ net, tax, gross, lines int64 }
	byInv := map[string]*sums{}
	for x, err := range l.InvoiceLines(ctx, period) {
		if err != nil {
			t.Fatal(err)
		}
		s := byInv[x.InvoiceNumber]
		if s == nil {
			s = &sums{}
			byInv[x.InvoiceNumber] = s
		}
		s.net, s.tax, s.gross, s.lines = s.net+x.Net, s.tax+x.Tax, s.gross+x.Gross, s.lines+1
	}
	mv := map[string]int64{}
	for m, err := range l.Receivables(ctx, period) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Receivable != 0 {
			mv[m.CustomerID+"/"+m.Currency] = m.Receivable
		}
	}
	if len(byInv) != len(invs) {
		t.Errorf("%s: %d invoices, lines name %d", period, len(invs), len(byInv))
	}
	for i, inv := range invs {
		if want := fmt.Sprintf("INV-%s-%06d", period, i+1); inv.Number != want {
			t.Errorf("invoice %d is %s, want %s", i, inv.Number, want)
		}
		s := byInv[inv.Number]
		if s == nil || *s != (sums{inv.Net, inv.Tax, inv.Gross, inv.Lines}) {
			t.Errorf("%s: totals %+v, lines add up to %+v", inv.Number, inv, s)
		}
		if got := mv[inv.CustomerID+"/"+inv.Currency]; got != inv.Gross {
			t.Errorf("%s: gross %d, receivable movement %d", inv.Number, inv.Gross, got)
		}
		delete(mv, inv.CustomerID+"/"+inv.Currency)
	}
	if len(mv) != 0 {
		t.Errorf("%s: receivable movement on no invoice: %v", period, mv)
	}
}
