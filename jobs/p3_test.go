package jobs

import (
	"context"
	"slices"
	"testing"

	"cspbill/invoice"
	"cspbill/ledger/ledgertest"
)

// p3Offenders are SPEC P3 as queries over the whole ledger, each returning
// the keys of the transactions that break it.
var p3Offenders = []struct{ name, query string }{
	{"the customer's receivable takes the gross", `SELECT t.key FROM txns t WHERE t.gross <> COALESCE((
		SELECT SUM(p.amount) FROM postings p WHERE p.txn_id = t.id AND p.account = 'receivable:' || t.customer_id), 0)`},
	{"revenue takes the net", `SELECT t.key FROM txns t WHERE -t.net <> COALESCE((
		SELECT SUM(p.amount) FROM postings p WHERE p.txn_id = t.id AND p.account = 'revenue:' || t.currency), 0)`},
	{"tax payable takes the tax", `SELECT t.key FROM txns t WHERE -t.tax <> COALESCE((
		SELECT SUM(p.amount) FROM postings p WHERE p.txn_id = t.id AND p.account = 'tax_payable:' || t.currency), 0)`},
	{"no other account", `SELECT t.key FROM txns t JOIN postings p ON p.txn_id = t.id
		WHERE p.account NOT IN ('receivable:' || t.customer_id, 'revenue:' || t.currency, 'tax_payable:' || t.currency)`},
	{"a credit is credited to the receivable", `SELECT key FROM txns WHERE charge_type = 'cancelImmediate' AND gross > 0`},
	{"names an accepted order, cancellation or renewal record", `SELECT t.key FROM txns t WHERE NOT EXISTS (
		SELECT 1 FROM source_records s WHERE s.file || ':' || CAST(s.line AS TEXT) = t.source
		AND s.kind IN ('orders', 'cancellations', 'renewals') AND s.status = 'accepted')`},
	{"names the post or close run that made it", `SELECT t.key FROM txns t WHERE NOT EXISTS (
		SELECT 1 FROM job_runs j WHERE j.id = t.run_id AND j.command IN ('post', 'close'))`},
}

// TestP3_EveryTransactionBalancesAndNamesItsSourceAndRun: after two months
// of the fixtures (a post through 15 October, October closed from a
// September cutover, the November inbox, November closed), every charge and
// credit is one balanced transaction — the customer's receivable debited
// with the gross, revenue credited with the net and tax payable with the
// tax, all reversed for a credit — and names the accepted record it came
// from (file:line) and the post or close run that made it.
func TestP3_EveryTransactionBalancesAndNamesItsSourceAndRun(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, d := resendLedger(t, url)
		mustIngest(t, d, "../fixtures/inbox")
		asOf, err := invoice.ParseDate("2026-10-15")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Post(ctx, d, asOf, false); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		mustClose(t, d, CloseOptions{Period: resendMonth(t, "2026-10"), BillFrom: resendMonth(t, "2026-09"), Out: out})
		mustIngest(t, d, "../fixtures/inbox-2026-11")
		mustClose(t, d, CloseOptions{Period: resendMonth(t, "2026-11"), Out: out})

		if err := l.Verify(ctx); err != nil {
			t.Error(err)
		}
		for _, c := range p3Offenders {
			var bad []string
			if err := l.DB().Select(&bad, l.DB().Rebind(c.query)); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if len(bad) > 0 {
				t.Errorf("%s: broken by %v", c.name, bad)
			}
		}

		// The checks saw charges, credits and taxed lines made by both kinds
		// of run, so none of them held by having nothing to look at.
		var kinds []string
		if err := l.DB().Select(&kinds, `SELECT DISTINCT charge_type FROM txns ORDER BY charge_type`); err != nil {
			t.Fatal(err)
		}
		if want := []string{"cancelImmediate", "cycleCharge", "new", "renew"}; !slices.Equal(kinds, want) {
			t.Errorf("charge types posted %v, want %v", kinds, want)
		}
		var commands []string
		if err := l.DB().Select(&commands, `SELECT DISTINCT j.command FROM txns t JOIN job_runs j ON j.id = t.run_id ORDER BY j.command`); err != nil {
			t.Fatal(err)
		}
		if want := []string{"close", "post"}; !slices.Equal(commands, want) {
			t.Errorf("runs that posted %v, want %v", commands, want)
		}
		var taxed, total int
		if err := l.DB().Get(&taxed, `SELECT COUNT(*) FROM txns WHERE tax <> 0`); err != nil {
			t.Fatal(err)
		}
		if err := l.DB().Get(&total, `SELECT COUNT(*) FROM txns`); err != nil {
			t.Fatal(err)
		}
		if taxed == 0 || taxed == total {
			t.Errorf("%d of %d transactions taxed; want some with tax and some without", taxed, total)
		}
	})
}
