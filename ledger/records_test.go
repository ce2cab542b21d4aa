package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

func TestFilesRecordsRuns(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)

		f := ledger.InboxFile{Name: "orders-1.csv", Hash: "h1", Kind: "orders", RowsRead: 3, RowsAccepted: 2, RowsRejected: 1, RunID: run}
		if added, err := l.AddFile(ctx, &f); err != nil || !added || f.ID == 0 {
			t.Fatalf("AddFile = %v, %v (id %d)", added, err, f.ID)
		}
		dup := f
		dup.ID = 0
		if added, err := l.AddFile(ctx, &dup); err != nil || added || dup.ID != 0 {
			t.Errorf("the same file (name and content) again: added = %v, %v", added, err)
		}
		bad := ledger.InboxFile{Name: "x.csv", Hash: "h2", Kind: "orders", RowsRead: 3, RowsAccepted: 1, RowsRejected: 1, RunID: run}
		if _, err := l.AddFile(ctx, &bad); err == nil {
			t.Error("a file whose counts do not add up was accepted")
		}
		if ok, _ := l.FileLoaded(ctx, "orders-1.csv", "h1"); !ok {
			t.Error("FileLoaded(orders-1.csv, h1) = false")
		}

		var recs []ledger.SourceRecord
		for i, st := range []string{ledger.Accepted, ledger.Held, ledger.Rejected, ledger.Seen, ledger.Rejected} {
			recs = append(recs, ledger.SourceRecord{Kind: "orders", Key: fmt.Sprintf("O%d/1", i),
				Hash: "r", Raw: `{"order_id":"O"}`, File: "orders-1.csv", Line: int64(i + 2),
				Status: st, RunID: run})
		}
		recs[1].Rule, recs[1].Message = "C4", "no tax rate for XK"
		if err := l.AddRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if recs[0].ID == 0 || recs[4].ID != recs[0].ID+4 {
			t.Errorf("ids = %d..%d", recs[0].ID, recs[4].ID)
		}
		if err := l.AddRecords(ctx, []ledger.SourceRecord{{Kind: "orders", Status: "lost", RunID: run}}); err == nil {
			t.Error("status lost accepted")
		}
		held := collect(t, l.Records(ctx, ledger.RecordFilter{Kind: "orders", Status: ledger.Held}))
		if len(held) != 1 || held[0].Rule != "C4" || held[0].Line != 3 {
			t.Fatalf("held = %+v", held)
		}
		if err := l.SetStatus(ctx, []int64{held[0].ID}, ledger.Accepted, "", ""); err != nil {
			t.Fatal(err)
		}
		if n := len(collect(t, l.Records(ctx, ledger.RecordFilter{Status: ledger.Accepted}))); n != 2 {
			t.Errorf("accepted = %d, want 2", n)
		}
		if n, err := l.MarkReported(ctx, "2026-10"); err != nil || n != 2 {
			t.Errorf("MarkReported = %d, %v; want 2", n, err)
		}
		if n, _ := l.MarkReported(ctx, "2026-11"); n != 0 {
			t.Errorf("MarkReported again = %d, want 0", n)
		}
		rej := collect(t, l.Records(ctx, ledger.RecordFilter{Status: ledger.Rejected}))
		if len(rej) != 2 || rej[0].ReportedPeriod != "2026-10" {
			t.Errorf("rejects = %+v", rej)
		}
		if n := len(collect(t, l.Records(ctx, ledger.RecordFilter{Unreported: true, Status: ledger.Rejected}))); n != 0 {
			t.Errorf("unreported rejects = %d", n)
		}

		if err := l.FinishRun(ctx, run, "ok", map[string]int64{"posted": 3, "held": 1}); err != nil {
			t.Fatal(err)
		}
		runs := collect(t, l.Runs(ctx))
		if len(runs) != 1 || runs[0].Outcome != "ok" || runs[0].Counts != `{"held":1,"posted":3}` || runs[0].Finished == "" {
			t.Errorf("runs = %+v", runs)
		}
	})
}

func TestInTxIsAtomic(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		err := l.InTx(ctx, func(tx *ledger.Tx) error {
			if err := tx.AddRecords(ctx, []ledger.SourceRecord{{Kind: "orders", Key: "O1/1", Status: ledger.Accepted, RunID: run}}); err != nil {
				return err
			}
			if _, err := tx.Post(ctx, run, []ledger.Txn{charge("O1/1#0", "C", "USD", "2026-10", 1, 0)}); err != nil {
				return err
			}
			if n := len(collect(t, tx.Posted(ctx))); n != 1 {
				t.Errorf("inside the tx Posted = %d, want 1", n)
			}
			return fmt.Errorf("fail on purpose")
		})
		if err == nil {
			t.Fatal("InTx returned nil")
		}
		if count(t, l, "txns")+count(t, l, "source_records") != 0 {
			t.Error("a rolled back InTx left rows")
		}
	})
}

// TestListedOrdersAndFiltersTheRejectsOfAPeriod: rejects.csv's rows come
// sorted by the database, by file and rule byte by byte (upper case before
// lower), line as a number, rejected before held, then as added; rejects
// listed by another month's close are not among them, held ones always are.
func TestListedOrdersAndFiltersTheRejectsOfAPeriod(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		rec := func(key, file string, line int64, status, rule string) ledger.SourceRecord {
			return ledger.SourceRecord{Kind: "orders", Key: key, Hash: "h", Raw: `{}`, File: file, Line: line,
				Status: status, Rule: rule, Message: "m " + key, RunID: run}
		}
		recs := []ledger.SourceRecord{
			rec("k1", "orders-b.csv", 10, ledger.Rejected, "V1"),
			rec("k2", "orders-b.csv", 9, ledger.Held, "C4"),
			rec("k3", "Orders-z.csv", 2, ledger.Rejected, "V2"),  // 'O' < 'o'
			rec("k4", "orders-b.csv", 10, ledger.Held, "V1"),     // ties k1: held after rejected
			rec("k5", "orders-b.csv", 10, ledger.Rejected, "V1"), // ties k1: added after it
			rec("k6", "orders-b.csv", 10, ledger.Rejected, "R3"), // 'R' < 'V'
			rec("k7", "orders-a.csv", 1, ledger.Rejected, "V1"),  // listed by September
			rec("k8", "orders-a.csv", 1, ledger.Accepted, ""),
		}
		if err := l.AddRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
		closeAndReport(t, l, "2026-09", recs[6].ID)
		closeAndReport(t, l, "2026-10", recs[0].ID, recs[2].ID, recs[4].ID, recs[5].ID)
		got := listedLines(t, l, "2026-10")
		want := []string{
			"k3 Orders-z.csv:2 V2 held=false m k3",
			"k2 orders-b.csv:9 C4 held=true m k2",
			"k6 orders-b.csv:10 R3 held=false m k6",
			"k1 orders-b.csv:10 V1 held=false m k1",
			"k5 orders-b.csv:10 V1 held=false m k5",
			"k4 orders-b.csv:10 V1 held=true m k4",
		}
		sameLines(t, "Listed(2026-10)", got, want)
		if n, err := l.CountListed(ctx, "2026-10"); err != nil || n != len(want) {
			t.Errorf("CountListed(2026-10) = %d, %v; want %d", n, err, len(want))
		}
		if n := len(collect(t, l.Listed(ctx, "2026-09"))); n != 3 { // k7 and the two held
			t.Errorf("Listed(2026-09) = %d rows, want 3", n)
		}
		// CountRecords counts what Records gives: here the rejects listed by
		// no close (none: September and October stamped all five), the held
		// (k2, k4) and the accepted orders (k8).
		for f, want := range map[ledger.RecordFilter]int{
			{Status: ledger.Rejected, Unreported: true}: 0,
			{Status: ledger.Held}:                       2,
			{Kind: "orders", Status: ledger.Accepted}:   1,
			{Kind: "orders"}:                            8,
		} {
			if n, err := l.CountRecords(ctx, f); err != nil || n != want || n != len(collect(t, l.Records(ctx, f))) {
				t.Errorf("CountRecords(%+v) = %d, %v; want %d", f, n, err, want)
			}
		}
	})
}

// TestP1_AClosedMonthsRejectsKeepTheHoldsItListed: a closed month's
// rejects.csv lists the records held when it closed, with the rule and
// message it listed them with; a hold released, found or changed after it
// closed changes only the later months' lists (P1: a closed period never
// changes, so re-running its close rewrites the same rejects.csv).
func TestP1_AClosedMonthsRejectsKeepTheHoldsItListed(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		rec := func(key string, line int64, status, rule string) ledger.SourceRecord {
			return ledger.SourceRecord{Kind: "cancellations", Key: key, Hash: "h", Raw: `{}`, File: "cancellations.csv",
				Line: line, Status: status, Rule: rule, Message: "held: m " + key, RunID: run}
		}
		recs := []ledger.SourceRecord{
			rec("k1", 2, ledger.Held, "K6"),     // released after October
			rec("k2", 3, ledger.Held, "C4"),     // held on, with another message
			rec("k3", 4, ledger.Accepted, ""),   // held after October
			rec("k4", 5, ledger.Rejected, "K1"), // October's reject
		}
		if err := l.AddRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
		closeAndReport(t, l, "2026-10", recs[3].ID)
		october := []string{
			"k1 cancellations.csv:2 K6 held=true held: m k1",
			"k2 cancellations.csv:3 C4 held=true held: m k2",
			"k4 cancellations.csv:5 K1 held=false held: m k4",
		}
		sameLines(t, "Listed(2026-10) when it closed", listedLines(t, l, "2026-10"), october)

		if err := l.SetStatus(ctx, []int64{recs[0].ID}, ledger.Accepted, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := l.SetStatus(ctx, []int64{recs[1].ID}, ledger.Held, "C4", "held: no tax rate for XX"); err != nil {
			t.Fatal(err)
		}
		if err := l.SetStatus(ctx, []int64{recs[2].ID}, ledger.Held, "R3", "held: no price"); err != nil {
			t.Fatal(err)
		}
		sameLines(t, "Listed(2026-10) after its holds changed", listedLines(t, l, "2026-10"), october)
		if n, err := l.CountListed(ctx, "2026-10"); err != nil || n != len(october) {
			t.Errorf("CountListed(2026-10) = %d, %v; want %d", n, err, len(october))
		}

		closeAndReport(t, l, "2026-11")
		sameLines(t, "Listed(2026-11)", listedLines(t, l, "2026-11"), []string{
			"k2 cancellations.csv:3 C4 held=true held: no tax rate for XX",
			"k3 cancellations.csv:4 R3 held=true held: no price",
		})
		sameLines(t, "Listed(2026-10) after November closed", listedLines(t, l, "2026-10"), october)

		if _, err := l.DB().ExecContext(ctx, `UPDATE listed_holds SET message = 'edited'`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE listed_holds: %v, want the append-only refusal", err)
		}
		if _, err := l.DB().ExecContext(ctx, `DELETE FROM listed_holds`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE FROM listed_holds: %v, want the append-only refusal", err)
		}
	})
}

// TestP1_MonthsClosedBeforeListedHoldsKeepTheHoldsOfTheirLastRerun: a ledger
// whose months were closed before migration 00010 gets, for each closed
// month, the records held when it ran (what a re-run of its close listed
// until then), and keeps them from then on.
func TestP1_MonthsClosedBeforeListedHoldsKeepTheHoldsOfTheirLastRerun(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		if err := ledger.MigrateDownTo(ctx, l, 9); err != nil {
			t.Fatal(err)
		}
		run := startRun(t, l)
		recs := []ledger.SourceRecord{
			{Kind: "orders", Key: "O-1/1", Hash: "h", Raw: `{}`, File: "orders.csv", Line: 2, Status: ledger.Held, Rule: "C4", Message: "held: no rate", RunID: run},
			{Kind: "orders", Key: "O-2/1", Hash: "h", Raw: `{}`, File: "orders.csv", Line: 3, Status: ledger.Accepted, RunID: run},
		}
		if err := l.AddRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if _, err := l.DB().ExecContext(ctx, l.DB().Rebind(`INSERT INTO periods (month, status, closed_at) VALUES
			('2026-09', 'closed', 'x'), ('2026-10', 'closed', 'x'), ('2026-11', 'open', NULL)`)); err != nil {
			t.Fatal(err)
		}
		if err := l.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.SetStatus(ctx, []int64{recs[0].ID}, ledger.Accepted, "", ""); err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"2026-09", "2026-10"} {
			sameLines(t, "Listed("+m+")", listedLines(t, l, m), []string{"O-1/1 orders.csv:2 C4 held=true held: no rate"})
		}
		if got := listedLines(t, l, "2026-11"); len(got) != 0 {
			t.Errorf("Listed(2026-11), an open month = %q, want nothing", got)
		}
	})
}

// closeAndReport closes period and reports the rejects ids as its close
// does, in one transaction.
func closeAndReport(t *testing.T, l *ledger.Ledger, period string, ids ...int64) {
	t.Helper()
	ctx := context.Background()
	err := l.InTx(ctx, func(tx *ledger.Tx) error {
		if err := tx.ClosePeriod(ctx, period); err != nil {
			return err
		}
		return tx.Report(ctx, ids, period)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listedLines is Listed(period), a line per row.
func listedLines(t *testing.T, l *ledger.Ledger, period string) []string {
	t.Helper()
	var got []string
	for r, err := range l.Listed(context.Background(), period) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s:%d %s held=%v %s", r.Key, r.File, r.Line, r.Rule, r.Held, r.Message))
	}
	return got
}

// The index on status keeps only rejected and held records (PostgreSQL
// migration 00007); every query that finds records by status must still be
// able to use it, or a close would read every record to list a few. With
// sequential scans priced out, a plan that cannot use the partial index
// (its predicate not implied by the query) falls back to a scan of
// another index or the table, which the plan names.
func TestStatusQueriesUseThePartialStatusIndex(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, ledgertest.Postgres(t))
	run := startRun(t, l)
	var recs []ledger.SourceRecord
	for i, st := range []string{ledger.Accepted, ledger.Rejected, ledger.Held, ledger.Seen} {
		recs = append(recs, ledger.SourceRecord{Kind: "orders", Key: fmt.Sprintf("k%d", i), Hash: "h", Raw: `{}`,
			File: "orders.csv", Line: int64(i + 2), Status: st, RunID: run})
	}
	if err := l.AddRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var indexed []string
	if err := l.DB().Select(&indexed, `SELECT indexdef FROM pg_indexes WHERE indexname = 'source_records_status' AND schemaname = current_schema()`); err != nil {
		t.Fatal(err)
	}
	if len(indexed) != 1 || !strings.Contains(indexed[0], "WHERE (status = ANY (ARRAY['rejected'::text, 'held'::text]))") {
		t.Fatalf("source_records_status = %q, want the partial index of migration 00007", indexed)
	}
	for _, q := range ledger.StatusQueries(l, "2026-10") {
		tx, err := l.DB().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		if _, err = tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err == nil {
			err = tx.SelectContext(ctx, &plan, `EXPLAIN `+q.SQL, q.Args...)
		}
		tx.Rollback() // EXPLAIN without ANALYZE runs nothing; MarkReported stamps nothing
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, "source_records_status") {
			t.Errorf("%s does not use the status index:\n%s", q.Name, text)
		}
	}
}

// Analyze samples only the columns the jobs' queries filter, join or group
// on: the planner gets their statistics, and the wide text columns
// (descriptions, hashes, raw JSON), which no query filters on, are not
// sampled, which halved the close's ANALYZE.
func TestAnalyzeSamplesTheQueriedColumns(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, ledgertest.Postgres(t))
	run := startRun(t, l)
	var txns []ledger.Txn
	for i, k := range keys("K", 50) {
		txns = append(txns, charge(k, fmt.Sprintf("C%d", i%5), "USD", "2026-10", 1000, 100))
	}
	if _, err := l.Post(ctx, run, txns); err != nil {
		t.Fatal(err)
	}
	if err := l.AddRecords(ctx, []ledger.SourceRecord{{Kind: "orders", Key: "O-1/1", Hash: "h", Raw: `{}`,
		File: "orders.csv", Line: 2, Status: ledger.Accepted, RunID: run}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"txns":           "credits_key currency customer_id id invoice_number invoiced key period",
		"postings":       "account period txn_id",
		"source_records": "id key kind ref reported_period status",
	}
	for table, cols := range want {
		var got []string
		if err := l.DB().Select(&got, `SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1
			ORDER BY attname`, table); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") != cols {
			t.Errorf("%s: statistics for %q, want %q", table, got, cols)
		}
	}
}

// SetStatuses holds a record with its support detail, and rejects or
// accepts one with its detail unchanged, as SetStatus does; records
// it does not name stay as they were. LockNewPrices locks the prices it is
// given and refuses a term already locked, or given twice, writing nothing.
func TestSetStatusesAndLockPricesInBulk(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		var recs []ledger.SourceRecord
		for i := range 4 {
			recs = append(recs, ledger.SourceRecord{Kind: "orders", Key: fmt.Sprintf("O-%d/1", i), Hash: "h", Raw: `{}`,
				File: "orders.csv", Line: int64(i + 2), Status: ledger.Accepted, Support: `{"kept":true}`, RunID: run})
		}
		if err := l.AddRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
		err := l.InTx(ctx, func(tx *ledger.Tx) error {
			if err := tx.SetStatuses(ctx, []ledger.Restatus{
				{ID: recs[0].ID, Status: ledger.Held, Rule: "C4", Message: "held: no tax rate", Support: `{"held_as_of":"2026-10-31"}`},
				{ID: recs[1].ID, Status: ledger.Rejected, Rule: "K2", Message: "bad", Support: "ignored"},
				{ID: recs[3].ID, Status: ledger.Accepted},
			}); err != nil {
				return err
			}
			if err := tx.LockNewPrices(ctx, run, []ledger.TermPrice{{TermKey: "O-1/1/T0", UnitPrice: "10.00"},
				{TermKey: "O-2/1/T0", UnitPrice: "20.00"}}); err != nil {
				return err
			}
			return tx.LockNewPrices(ctx, run, []ledger.TermPrice{{TermKey: "O-3/1/T0", UnitPrice: "30.00"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, again := range [][]ledger.TermPrice{
			{{TermKey: "O-4/1/T0", UnitPrice: "40.00"}, {TermKey: "O-2/1/T0", UnitPrice: "21.00"}}, // locked before
			{{TermKey: "O-5/1/T0", UnitPrice: "50.00"}, {TermKey: "O-5/1/T0", UnitPrice: "51.00"}}, // twice
		} {
			if err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.LockNewPrices(ctx, run, again) }); err == nil {
				t.Errorf("LockNewPrices(%v) locked a term twice", again)
			}
		}
		var got []string
		for r, err := range l.Records(ctx, ledger.RecordFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %s %s %s", r.Key, r.Status, r.Rule, r.Message, r.Support))
		}
		sameLines(t, "records", got, []string{
			`O-0/1 held C4 held: no tax rate {"held_as_of":"2026-10-31"}`,
			`O-1/1 rejected K2 bad {"kept":true}`,
			`O-2/1 accepted   {"kept":true}`,
			`O-3/1 accepted   {"kept":true}`,
		})
		var prices []string
		for _, p := range collect(t, l.TermPrices(ctx)) {
			prices = append(prices, p.TermKey+" "+p.UnitPrice)
		}
		sameLines(t, "term prices", prices, []string{"O-1/1/T0 10.00", "O-2/1/T0 20.00", "O-3/1/T0 30.00"})
		if err := l.InTx(ctx, func(tx *ledger.Tx) error {
			return tx.SetStatuses(ctx, []ledger.Restatus{{ID: recs[2].ID, Status: "lost"}})
		}); !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("unknown status: %v, want ErrInvalid", err)
		}
	})
}

// TestP4_MonthsClosedBeforeMigration12CountAsPublished: migration 00012 adds
// the record of which closed months had their files written; months closed
// before it are taken as written, so no close rewrites them. A month closed
// after it is unpublished until its files are marked.
func TestP4_MonthsClosedBeforeMigration12CountAsPublished(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		if err := ledger.MigrateDownTo(ctx, l, 11); err != nil {
			t.Fatal(err)
		}
		run := startRun(t, l)
		if _, err := l.DB().ExecContext(ctx, `INSERT INTO periods (month, status, closed_at) VALUES ('2026-09', 'closed', 'x')`); err != nil {
			t.Fatal(err)
		}
		if err := l.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.ClosePeriod(ctx, "2026-10") }); err != nil {
			t.Fatal(err)
		}
		if got, err := l.Unpublished(ctx); err != nil || len(got) != 1 || got[0] != "2026-10" {
			t.Fatalf("Unpublished = %v, %v; want [2026-10]", got, err)
		}
		for range 2 { // marking twice changes nothing
			if err := l.MarkPublished(ctx, "2026-10", run); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := l.Unpublished(ctx); err != nil || len(got) != 0 {
			t.Errorf("Unpublished = %v, %v; want none", got, err)
		}
	})
}
