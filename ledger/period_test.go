package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

func TestClosedPeriodRefusesWrites(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		if _, err := l.Post(ctx, run, []ledger.Txn{
			charge("OCT/1", "CUST1", "USD", "2026-10", 100, 10),
			charge("NOV/1", "CUST1", "USD", "2026-11", 100, 10),
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ClosePeriod(ctx, "2026-10"); err != nil {
			t.Fatal(err)
		}
		_, err := l.Post(ctx, run, []ledger.Txn{charge("OCT/2", "CUST1", "USD", "2026-10", 1, 0)})
		if !errors.Is(err, ledger.ErrPeriodClosed) {
			t.Fatalf("Post into closed period: %v, want ErrPeriodClosed", err)
		}
		// Straight SQL, as a careless script would send it: the
		// database's own triggers refuse every write touching October.
		var octID, novID int64
		db := l.DB()
		if err := db.Get(&octID, db.Rebind(`SELECT id FROM txns WHERE key = ?`), "OCT/1"); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(&novID, db.Rebind(`SELECT id FROM txns WHERE key = ?`), "NOV/1"); err != nil {
			t.Fatal(err)
		}
		raw := []struct {
			name, sql string
			args      []any
		}{
			{"insert txn", `INSERT INTO txns (id, key, hash, period, invoiced, date, customer_id, currency,
				charge_type, order_id, line_no, subscription_id, sku, description, charge_start, charge_end,
				quantity, net, tax, gross, source, run_id)
				VALUES (999, 'RAW/1', 'h', '2026-10', ?, '2026-10-01', 'CUST1', 'USD', 'new', 'O', 1, '', 'S', 'd',
				'2026-10-01', '', 1, 5, 0, 5, 'x:1', ?)`, []any{true, run}},
			{"insert posting", `INSERT INTO postings (txn_id, seq, period, account, amount) VALUES (?, 9, '2026-10', 'revenue', 0)`, []any{octID}},
			{"update amount", `UPDATE txns SET net = net + 1, gross = gross + 1 WHERE id = ?`, []any{octID}},
			{"move into October", `UPDATE txns SET period = '2026-10' WHERE id = ?`, []any{novID}},
			{"update posting", `UPDATE postings SET amount = amount + 1 WHERE txn_id = ?`, []any{octID}},
			{"delete postings", `DELETE FROM postings WHERE txn_id = ?`, []any{octID}},
			{"delete invoice", `DELETE FROM invoices WHERE period = '2026-10'`, nil},
			{"insert invoice", `INSERT INTO invoices (number, period, seq, customer_id, currency, net, tax, gross, lines)
				VALUES ('INV-2026-10-000009', '2026-10', 9, 'X', 'USD', 0, 0, 0, 0)`, nil},
			{"reopen period", `UPDATE periods SET status = 'open' WHERE month = '2026-10'`, nil},
			{"delete period", `DELETE FROM periods WHERE month = '2026-10'`, nil},
		}
		for _, r := range raw {
			t.Run(r.name, func(t *testing.T) {
				_, err := db.Exec(db.Rebind(r.sql), r.args...)
				// Edits and deletes of txns and postings meet the
				// append-only rule first; deleting an invoice that
				// txns name breaks a foreign key first on PostgreSQL.
				if err == nil || !strings.Contains(err.Error(), "cspbill: period is closed") &&
					!strings.Contains(err.Error(), "append-only") &&
					!strings.Contains(err.Error(), "violates foreign key constraint") {
					t.Fatalf("raw SQL %s: err = %v, want the closed-period trigger", r.name, err)
				}
			})
		}
		if l.Dialect() == "postgres" {
			if _, err := db.Exec(`TRUNCATE postings`); err == nil {
				t.Error("TRUNCATE postings with a closed period was allowed")
			}
		}
		// November stays open to raw SQL too (for the one update the
		// append-only ledger allows).
		if _, err := db.Exec(db.Rebind(`UPDATE txns SET invoice_number = NULL WHERE id = ?`), novID); err != nil {
			t.Errorf("update in open November: %v", err)
		}
		if err := l.Verify(ctx); err != nil {
			t.Error(err)
		}
	})
}

// The ledger is append-only even in an open period, and the parents that
// PostgreSQL checks with statement triggers instead of foreign keys (run,
// transaction, account) are checked on both databases.
func TestAppendOnlyAndReferences(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		l := openLedger(t, url)
		run := startRun(t, l)
		if _, err := l.Post(context.Background(), run, []ledger.Txn{charge("NOV/1", "C1", "USD", "2026-11", 100, 10)}); err != nil {
			t.Fatal(err)
		}
		db := l.DB()
		var id int64
		if err := db.Get(&id, `SELECT id FROM txns`); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, sql, want string }{
			{"edit amount", `UPDATE txns SET net = 0, gross = 10`, "append-only"},
			{"delete txn", `DELETE FROM txns`, "append-only"},
			{"edit posting", `UPDATE postings SET amount = 0`, "append-only"},
			{"delete posting", `DELETE FROM postings`, "append-only"},
			{"rename account", `UPDATE accounts SET name = 'x' WHERE name = 'revenue'`, "append-only"},
			{"delete run", `DELETE FROM job_runs`, "append-only"},
			{"posting of no txn", fmt.Sprintf(`INSERT INTO postings (txn_id, seq, period, account, amount) VALUES (%d, 0, '2026-11', 'revenue', 0)`, id+1), "FOREIGN KEY|not in txns"},
			{"posting in the wrong period", fmt.Sprintf(`INSERT INTO postings (txn_id, seq, period, account, amount) VALUES (%d, 7, '2026-12', 'revenue', 0)`, id), "FOREIGN KEY|not in txns"},
			{"posting to no account", fmt.Sprintf(`INSERT INTO postings (txn_id, seq, period, account, amount) VALUES (%d, 8, '2026-11', 'nowhere', 0)`, id), "FOREIGN KEY|not in accounts"},
			{"txn of no run", rawTxn("no-such-run", "2026-11", "2026-11-01", "", ""), "FOREIGN KEY|not in job_runs"},
			{"price of no run", `INSERT INTO term_prices (term_key, unit_price, run_id) VALUES ('O/1/T0', '1', 'no-such-run')`, "FOREIGN KEY|not in job_runs"},
			{"record of no run", `INSERT INTO source_records (kind, key, hash, raw, file, line, status, run_id)
				VALUES ('orders', 'O/1', 'h', '{}', 'orders.csv', 2, 'accepted', 'no-such-run')`, "FOREIGN KEY|not in job_runs"},
			{"credit of no txn", rawTxn(run, "2026-11", "2026-11-01", "NO/SUCH/KEY", ""), "FOREIGN KEY|not in txns"},
			{"txn on no invoice", rawTxn(run, "2026-11", "2026-11-01", "", "INV-2026-11-000001"), "FOREIGN KEY|not in invoices"},
			{"stamped with no invoice", `UPDATE txns SET invoice_number = 'INV-2026-11-000009'`, "FOREIGN KEY|not in invoices"},
			{"month not YYYY-MM", rawTxn(run, "2026-1", "2026-11-01", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"month 13", rawTxn(run, "2026-13", "2026-11-01", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"date with a space", rawTxn(run, "2026-11", "2026-11-1 ", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"date of letters", rawTxn(run, "2026-11", "2026-1x-01", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"date with an extra dash", rawTxn(run, "2026-11", "2026-11-0-", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"date with a non-ASCII digit", rawTxn(run, "2026-11", "2026-11-0\u0663", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"dates shifted between columns", strings.Replace(rawTxn(run, "2026-11", "2026-11-01", "", ""),
				"'2026-11-01', 'C1'", "'2026-11-0', 'C1'", 1), "CHECK|check|out of range|invalid input syntax"},
			{"no such day", rawTxn(run, "2026-11", "2026-02-30", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"day 00", rawTxn(run, "2026-11", "2026-11-00", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"month 00 in a date", rawTxn(run, "2026-11", "2026-00-10", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"29 February of a common year", rawTxn(run, "2026-11", "2027-02-29", "", ""), "CHECK|check|out of range|invalid input syntax"},
			{"31 April as the last day served", strings.Replace(rawTxn(run, "2026-11", "2026-11-01", "", ""),
				"'2026-11-01', '', 1", "'2026-11-01', '2026-04-31', 1", 1), "CHECK|check|out of range|invalid input syntax"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := db.Exec(c.sql)
				if err == nil || !matchesAny(err.Error(), c.want) {
					t.Errorf("err = %v, want %q", err, c.want)
				}
			})
		}
		if err := l.Verify(context.Background()); err != nil {
			t.Error(err)
		}
	})
}

// rawTxn is an INSERT of one transaction through raw SQL, bypassing Post's
// checks, so the database's own are what refuse it.
func rawTxn(run, period, date, creditsKey, invoice string) string {
	null := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return "'" + s + "'"
	}
	return fmt.Sprintf(`INSERT INTO txns (id, key, hash, period, invoiced, date, customer_id, currency,
		charge_type, order_id, line_no, subscription_id, sku, description, charge_start, charge_end,
		quantity, net, tax, gross, source, credits_key, invoice_number, run_id)
		VALUES (999, 'RAW/1', 'h', '%s', true, '%s', 'C1', 'USD', 'new', 'O', 1, '', 'S', 'd',
		'%s', '', 1, 5, 0, 5, 'x:1', %s, %s, '%s')`, period, date, date, null(creditsKey), null(invoice), run)
}

func matchesAny(s, alternatives string) bool {
	for _, a := range strings.Split(alternatives, "|") {
		if strings.Contains(s, a) {
			return true
		}
	}
	return false
}

// TestP5_InvoicesNumberedGaplesslyByCustomerThenCurrency: a period's
// invoices are numbered from 000001 without gaps in byte order of customer
// id, then currency; one per customer and currency with lines (none for a
// customer whose only line is on no invoice), a negative one issued too.
func TestP5_InvoicesNumberedGaplesslyByCustomerThenCurrency(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		l.SetClock(func() time.Time { return time.Date(2026, 11, 1, 2, 3, 4, 0, time.UTC) })
		run := startRun(t, l)
		c1 := charge("B/1", "b-cust", "USD", "2026-09", 1000, 100) // billed in September
		old := charge("A/0", "A-CUST", "EUR", "2026-08", 700, 0)   // before the cutover
		old.Invoiced = false
		oct := []ledger.Txn{
			// Lower-case sorts after upper-case byte by byte ("C" collation).
			charge("B/2", "b-cust", "USD", "2026-10", 300, 30),
			charge("A/2", "A-CUST", "USD", "2026-10", 50, 5),
			charge("A/1", "A-CUST", "EUR", "2026-10", 2000, 0),
			credit("B/1-x", c1, "2026-10", 1000, 100),
			credit("A/0-x", old, "2026-10", 700, 0),
			charge("Z/1", "Z-CUST", "USD", "2026-10", 10, 0),
		}
		oct[5].Invoiced = false // recorded, on no invoice: Z-CUST gets none
		if _, err := l.Post(ctx, run, append([]ledger.Txn{c1, old}, oct...)); err != nil {
			t.Fatal(err)
		}
		sep, err := l.ClosePeriod(ctx, "2026-09")
		if err != nil || len(sep) != 1 || sep[0].Number != "INV-2026-09-000001" {
			t.Fatalf("close September = %+v, %v", sep, err)
		}
		invs, err := l.ClosePeriod(ctx, "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		want := []ledger.Invoice{
			{Number: "INV-2026-10-000001", Period: "2026-10", Seq: 1, CustomerID: "A-CUST", Currency: "EUR", Net: 1300, Tax: 0, Gross: 1300, Lines: 2},
			{Number: "INV-2026-10-000002", Period: "2026-10", Seq: 2, CustomerID: "A-CUST", Currency: "USD", Net: 50, Tax: 5, Gross: 55, Lines: 1},
			{Number: "INV-2026-10-000003", Period: "2026-10", Seq: 3, CustomerID: "b-cust", Currency: "USD", Net: -700, Tax: -70, Gross: -770, Lines: 2},
		}
		if len(invs) != len(want) {
			t.Fatalf("invoices = %+v, want %+v", invs, want)
		}
		for i := range want {
			if invs[i] != want[i] {
				t.Errorf("invoice %d = %+v, want %+v", i, invs[i], want[i])
			}
		}
		if n, lines, err := l.CountInvoices(ctx, "2026-10"); err != nil || n != 3 || lines != 5 {
			t.Errorf("CountInvoices = %d invoices, %d lines, %v; want 3, 5", n, lines, err)
		}
		// Closing again changes nothing and returns the same invoices.
		again, err := l.ClosePeriod(ctx, "2026-10")
		if err != nil || len(again) != 3 || again[2] != want[2] {
			t.Errorf("second close = %+v, %v", again, err)
		}
		if n := count(t, l, "invoices"); n != 4 {
			t.Errorf("invoices = %d, want 4", n)
		}

		lines := collect(t, l.InvoiceLines(ctx, "2026-10"))
		var got []string
		for _, x := range lines {
			got = append(got, x.InvoiceNumber+" "+x.Key+" credits:"+x.CreditedInvoice)
		}
		wantLines := []string{
			"INV-2026-10-000001 A/0-x credits:", // credited charge billed before the cutover
			"INV-2026-10-000001 A/1 credits:",
			"INV-2026-10-000002 A/2 credits:",
			"INV-2026-10-000003 B/1-x credits:INV-2026-09-000001",
			"INV-2026-10-000003 B/2 credits:",
		}
		sameLines(t, "lines", got, wantLines)

		// The tie check: invoice gross = receivable movement.
		mv := collect(t, l.Receivables(ctx, "2026-10"))
		wantMv := []ledger.Movement{
			{CustomerID: "A-CUST", Currency: "EUR", Receivable: 1300},
			{CustomerID: "A-CUST", Currency: "USD", Receivable: 55},
			{CustomerID: "Z-CUST", Currency: "USD", Unbilled: 10},
			{CustomerID: "b-cust", Currency: "USD", Receivable: -770},
		}
		if len(mv) != len(wantMv) {
			t.Fatalf("movement = %+v", mv)
		}
		for i := range wantMv {
			if mv[i] != wantMv[i] {
				t.Errorf("movement %d = %+v, want %+v", i, mv[i], wantMv[i])
			}
		}
		if err := l.Verify(ctx); err != nil {
			t.Error(err)
		}

		// Closing stamps no transaction: a line's invoice is the one of its
		// period, customer and currency, joined when read.
		if n := count(t, l, "txns WHERE invoice_number IS NOT NULL"); n != 0 {
			t.Errorf("%d transactions stamped by the close, want none", n)
		}
		onInvoice := map[string]string{}
		for p, err := range l.Posted(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			onInvoice[p.Key] = p.InvoiceNumber
		}
		for key, want := range map[string]string{"A/1": "INV-2026-10-000001", "B/2": "INV-2026-10-000003",
			"B/1": "INV-2026-09-000001", "A/0": "", "Z/1": ""} {
			if onInvoice[key] != want {
				t.Errorf("Posted: %s on invoice %q, want %q", key, onInvoice[key], want)
			}
		}

		// A number an earlier version stamped must be the line's own
		// invoice: stamp A/1 (A-CUST EUR) with A-CUST's USD invoice, past
		// the closed-period triggers, and Verify names it.
		db := l.DB()
		disable := map[string]string{"sqlite": `DROP TRIGGER txns_closed_update`,
			"postgres": `ALTER TABLE txns DISABLE TRIGGER USER`}[l.Dialect()]
		if _, err := db.Exec(disable); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE txns SET invoice_number = 'INV-2026-10-000002' WHERE key = 'A/1'`); err != nil {
			t.Fatal(err)
		}
		if err := l.Verify(ctx); err == nil || !strings.Contains(err.Error(), "stamped invoice number") || !strings.Contains(err.Error(), "A/1") {
			t.Errorf("Verify = %v, want the stamped number of A/1 named", err)
		}

		// SPEC §5, invoice gross = receivable movement, compared by the
		// database: nothing while they tie (Z-CUST's unbilled movement is on
		// no invoice and not compared); an invoice one cent off is named.
		if u := collect(t, l.Unreceivables(ctx, "2026-10")); len(u) != 0 {
			t.Errorf("Unreceivables of a tied period = %+v", u)
		}
		disable = map[string]string{"sqlite": `DROP TRIGGER invoices_closed_update`,
			"postgres": `ALTER TABLE invoices DISABLE TRIGGER USER`}[l.Dialect()]
		if _, err := db.Exec(disable); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE invoices SET net = net + 1, gross = gross + 1 WHERE number = 'INV-2026-10-000002'`); err != nil {
			t.Fatal(err)
		}
		u := collect(t, l.Unreceivables(ctx, "2026-10"))
		wantU := ledger.Unreceivable{CustomerID: "A-CUST", Currency: "USD", Receivable: 55, Invoiced: 56}
		if len(u) != 1 || u[0] != wantU {
			t.Errorf("Unreceivables = %+v, want %+v", u, wantU)
		}
	})
}

func TestChargesBeforeCredits(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		c := charge("P/1", "C1", "USD", "2026-10", 100, 0)
		cr := credit("P/1-x", c, "2026-10", 100, 0) // same start, order and line
		cr.Key = "A-first-by-key"
		if _, err := l.Post(ctx, run, []ledger.Txn{cr, c}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ClosePeriod(ctx, "2026-10"); err != nil {
			t.Fatal(err)
		}
		lines := collect(t, l.InvoiceLines(ctx, "2026-10"))
		if len(lines) != 2 || lines[0].Key != "P/1" || lines[1].CreditedInvoice != "INV-2026-10-000001" {
			t.Errorf("lines = %+v", lines)
		}
	})
}

func TestPeriodsAndCutover(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		if m, err := l.BillFrom(ctx); err != nil || m != "" {
			t.Fatalf("BillFrom on a fresh ledger = %q, %v", m, err)
		}
		if err := l.SetBillFrom(ctx, "2026-09"); err != nil {
			t.Fatal(err)
		}
		if err := l.SetBillFrom(ctx, "2026-09"); err != nil {
			t.Errorf("same bill-from again: %v", err)
		}
		if err := l.SetBillFrom(ctx, "2026-07"); !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("other bill-from: %v, want ErrInvalid", err)
		}
		if m, _ := l.BillFrom(ctx); m != "2026-09" {
			t.Errorf("BillFrom = %q", m)
		}
		for _, m := range []string{"2026-09", "2026-10", "2026-12"} {
			if _, err := l.ClosePeriod(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		closed, err := l.ClosedPeriods(ctx)
		if err != nil || strings.Join(closed, ",") != "2026-09,2026-10,2026-12" {
			t.Errorf("ClosedPeriods = %v, %v", closed, err)
		}
		for _, c := range []struct{ in, want string }{
			{"2026-08", "2026-08"}, {"2026-09", "2026-11"}, {"2026-10", "2026-11"},
			{"2026-12", "2027-01"}, {"2027-03", "2027-03"},
		} {
			if got, err := l.FirstOpen(ctx, c.in); err != nil || got != c.want {
				t.Errorf("FirstOpen(%s) = %q, %v; want %s", c.in, got, err, c.want)
			}
		}
		if ok, _ := l.IsClosed(ctx, "2026-10"); !ok {
			t.Error("IsClosed(2026-10) = false")
		}
		if ok, _ := l.IsClosed(ctx, "2026-11"); ok {
			t.Error("IsClosed(2026-11) = true")
		}
	})
}

// SQLite finds a period's transactions through txns_period (keyed by period
// alone since migration 00008) and each line's invoice through the
// invoices' unique key: no query of the close reads every transaction of
// the ledger, or the period's transactions once per invoice.
func TestCloseQueriesFindThePeriodByIndex(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, ledgertest.SQLite(t))
	run := startRun(t, l)
	var txns []ledger.Txn
	for i := range 300 {
		period := fmt.Sprintf("2026-%02d", 8+i%3)
		txns = append(txns, charge(fmt.Sprintf("K/%d", i), fmt.Sprintf("C%d", i%40), "USD", period, int64(100+i), 10))
	}
	if _, err := l.Post(ctx, run, txns); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ClosePeriod(ctx, "2026-09"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DB().Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	var cols []string
	if err := l.DB().Select(&cols, `SELECT name FROM pragma_index_info('txns_period')`); err != nil || strings.Join(cols, ",") != "period" {
		t.Fatalf("txns_period columns = %v, %v; want period (migration 00008)", cols, err)
	}
	for _, q := range ledger.PeriodQueries(l, "2026-10") {
		rows, err := l.DB().Queryx(`EXPLAIN QUERY PLAN `+q.SQL, q.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "USING INDEX txns_period") || strings.Contains(text, "SCAN t\n") || strings.HasSuffix(text, "SCAN t") {
			t.Errorf("%s reads txns without txns_period:\n%s", q.Name, text)
		}
		if strings.Contains(q.SQL, "JOIN invoices i") && !strings.Contains(text, "SEARCH i USING INDEX") {
			t.Errorf("%s does not find each line's invoice by its key:\n%s", q.Name, text)
		}
	}
}

// TestP2_TheCutoverRecordIsTheLastRecordBeforeTheFirstClose: the first
// close records the last source record that arrived before it, once; a
// ledger closed before migration 00013 gets the last record ingested by a
// run that started before its first month was closed.
func TestP2_TheCutoverRecordIsTheLastRecordBeforeTheFirstClose(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		kind := "postgres"
		if strings.HasPrefix(url, "sqlite:") {
			kind = "sqlite"
		}
		addRecords := func(l *ledger.Ledger, run string, n int) []ledger.SourceRecord {
			recs := make([]ledger.SourceRecord, n)
			for i := range recs {
				recs[i] = ledger.SourceRecord{Kind: "orders", Key: fmt.Sprintf("%s-%d/1", run, i), Hash: "h", Raw: `{}`,
					File: "orders.csv", Line: int64(i + 2), Status: ledger.Accepted, RunID: run}
			}
			if err := l.AddRecords(ctx, recs); err != nil {
				t.Fatal(err)
			}
			return recs
		}
		t.Run("set at the first close", func(t *testing.T) {
			l := openLedger(t, ledgertest.URL(t, kind))
			if id, err := l.CutoverRecord(ctx); err != nil || id != 0 {
				t.Fatalf("CutoverRecord before any close = %d, %v; want 0", id, err)
			}
			before := addRecords(l, startRun(t, l), 2)
			if err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.SetCutoverRecord(ctx) }); err != nil {
				t.Fatal(err)
			}
			addRecords(l, startRun(t, l), 1)
			if err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.SetCutoverRecord(ctx) }); err != nil {
				t.Fatal(err)
			}
			if id, err := l.CutoverRecord(ctx); err != nil || id != before[1].ID {
				t.Errorf("CutoverRecord = %d, %v; want %d, the last record before the first close", id, err, before[1].ID)
			}
		})
		t.Run("a ledger closed before migration 00013", func(t *testing.T) {
			l := openLedger(t, ledgertest.URL(t, kind))
			if err := ledger.MigrateDownTo(ctx, l, 12); err != nil {
				t.Fatal(err)
			}
			before := addRecords(l, startRun(t, l), 2)
			time.Sleep(2 * time.Millisecond)
			closedAt := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
			if _, err := l.DB().ExecContext(ctx, l.DB().Rebind(`INSERT INTO periods (month, status, closed_at) VALUES ('2026-09', 'closed', ?)`), closedAt); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
			addRecords(l, startRun(t, l), 1)
			if err := l.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if id, err := l.CutoverRecord(ctx); err != nil || id != before[1].ID {
				t.Errorf("CutoverRecord after the migration = %d, %v; want %d", id, err, before[1].ID)
			}
		})
	})
}
