package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"cspbill/invoice"
	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// The database-fault tests cut the PostgreSQL connection of a run in the
// middle of its posting transaction, from a separate connection, as a
// failover, a restart or a network cut would. They only make sense on
// PostgreSQL (SQLite has no connection to lose) and are not parallel: they
// terminate backends, though only those carrying this test's own
// application_name.

// faultLedger returns a fresh PostgreSQL ledger URL whose connections carry
// a unique application_name (so the test kills only its own backends, with
// a password spliced in so redaction is checked too), and that name.
func faultLedger(t *testing.T) (string, string) {
	t.Helper()
	raw := ledgertest.Postgres(t) // skips without PostgreSQL
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	app := "cspbill_fault_" + hex.EncodeToString(rnd[:])
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	// Trust auth accepts any password: this one must never be printed.
	u.User = url.UserPassword(u.User.Username(), faultPassword)
	return u.String(), app
}

const faultPassword = "f4ult-s3cr3t"

// killer terminates every backend whose application_name is app and waits
// (up to 5 s each) until they are gone. It returns how many it terminated.
func killer(t *testing.T, app string) func() (int, error) {
	t.Helper()
	base := os.Getenv("CSPBILL_TEST_POSTGRES")
	if base == "" {
		base = ledgertest.CIPostgres
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "killer")
	u.RawQuery = q.Encode()
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func() (int, error) {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 5000) AS ok FROM pg_stat_activity
			WHERE application_name = $1 AND pid <> pg_backend_pid()) k WHERE ok`, app).Scan(&n)
		return n, err
	}
}

// ingestedReference is a fresh PostgreSQL ledger with the fixtures'
// inbox ingested, closed when the test ends: what an uninterrupted run
// gives, to compare with.
func ingestedReference(t *testing.T) *ledger.Ledger {
	t.Helper()
	ref, err := ledger.Open(context.Background(), ledgertest.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	if _, err := Ingest(context.Background(), Deps{Ledger: ref}, "../fixtures/inbox"); err != nil {
		t.Fatal(err)
	}
	return ref
}

// killableLedger is a fresh PostgreSQL ledger, closed when the test ends,
// and kill, which terminates its backends (see killer).
func killableLedger(t *testing.T) (*ledger.Ledger, func() (int, error)) {
	t.Helper()
	raw, app := faultLedger(t)
	kill := killer(t, app)
	l, err := ledger.Open(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, kill
}

// postedState is a ledger's transactions, key → amounts and period, for
// comparing two ledgers.
func postedState(t *testing.T, l *ledger.Ledger) map[string]string {
	t.Helper()
	ctx := context.Background()
	if err := l.Verify(ctx); err != nil {
		t.Fatalf("SPEC §5 invariants: %v", err)
	}
	m := map[string]string{}
	for p, err := range l.Posted(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := m[p.Key]; dup {
			t.Fatalf("business key %s posted twice", p.Key)
		}
		m[p.Key] = fmt.Sprintf("%s %s %s inv=%v %s net %d tax %d gross %d", p.Period, p.Date, p.ChargeType, p.Invoiced, p.InvoiceNumber, p.Net, p.Tax, p.Gross)
	}
	return m
}

func diffStates(t *testing.T, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+k+": "+w)
		} else if g != w {
			diffs = append(diffs, "differs "+k+": "+g+" want "+w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra "+k+": "+g)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("the ledger after a cut connection and a re-run differs from an uninterrupted run (%d differences):\n%s",
			len(diffs), strings.Join(diffs, "\n"))
	}
}

// wantConnectionLost checks the error an operator reads when the database
// went away: it says so, and does not show the password.
func wantConnectionLost(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("the run succeeded although its database connection was cut")
	}
	msg := err.Error()
	if strings.Contains(msg, faultPassword) {
		t.Errorf("the error shows the database password: %s", msg)
	}
	if !errors.Is(err, ledger.ErrConnLost) ||
		!strings.Contains(msg, "ledger: lost the connection to the database (postgres://postgres:xxxxx@") ||
		!strings.Contains(msg, "nothing of this transaction was committed; run the job again") {
		t.Errorf("the error does not say plainly that the database connection was lost: %s", msg)
	}
	t.Logf("error an operator reads: %s", msg)
}

func TestFault_ConnectionCutDuringPost(t *testing.T) {
	ctx := context.Background()
	asOf := invoice.MustDate("2026-10-31")

	// The reference: the same input posted without interruption.
	ref := ingestedReference(t)
	if _, err := Post(ctx, Deps{Ledger: ref}, asOf, false); err != nil {
		t.Fatal(err)
	}
	want := postedState(t, ref)
	if len(want) == 0 {
		t.Fatal("the reference run posted nothing")
	}

	l, kill := killableLedger(t)
	if _, err := Ingest(ctx, Deps{Ledger: l}, "../fixtures/inbox"); err != nil {
		t.Fatal(err)
	}
	killed := 0
	d := Deps{Ledger: l, Hook: func(point string) error {
		if point == "post:posted" && killed == 0 {
			n, err := kill()
			if err != nil {
				return err
			}
			killed = n
		}
		return nil
	}}
	failed, err := Post(ctx, d, asOf, false)
	if killed == 0 {
		t.Fatal("no backend of the run was terminated at post:posted")
	}
	wantConnectionLost(t, err)
	if got := postedState(t, l); len(got) != 0 {
		t.Fatalf("the cut posting transaction left %d transactions", len(got))
	}
	if failed.Posted != 0 {
		t.Errorf("the failed post's summary says %d transactions posted; nothing was", failed.Posted)
	}

	// The next run completes it, on the same handle (its pool must replace
	// the dead connections) and then from a fresh process-like handle.
	s, err := Post(ctx, Deps{Ledger: l}, asOf, false)
	if err != nil {
		t.Fatalf("the post after the cut: %v", err)
	}
	if s.Posted != len(want) {
		t.Errorf("the post after the cut posted %d transactions, an uninterrupted run %d", s.Posted, len(want))
	}
	diffStates(t, postedState(t, l), want)
	if s, err := Post(ctx, Deps{Ledger: l}, asOf, false); err != nil || s.Posted != 0 {
		t.Fatalf("a third post posted %d: %v", s.Posted, err)
	}
	wantRunsRecorded(t, l, "post", "failed")
}

func TestFault_ConnectionCutDuringClose(t *testing.T) {
	ctx := context.Background()
	oct, _ := invoice.ParseMonth("2026-10")

	ref := ingestedReference(t)
	refOut := t.TempDir()
	if _, err := Close(ctx, Deps{Ledger: ref}, CloseOptions{Period: oct, BillFrom: oct, Out: refOut}); err != nil {
		t.Fatal(err)
	}
	want := postedState(t, ref)

	l, kill := killableLedger(t)
	out := t.TempDir()
	if _, err := Ingest(ctx, Deps{Ledger: l}, "../fixtures/inbox"); err != nil {
		t.Fatal(err)
	}
	killed := 0
	d := Deps{Ledger: l, Hook: func(point string) error {
		if point == "close:locked" && killed == 0 {
			n, err := kill()
			if err != nil {
				return err
			}
			killed = n
		}
		return nil
	}}
	_, err := Close(ctx, d, CloseOptions{Period: oct, BillFrom: oct, Out: out})
	if killed == 0 {
		t.Fatal("no backend of the run was terminated at close:locked")
	}
	wantConnectionLost(t, err)
	if closed, err := l.ClosedPeriods(ctx); err != nil || len(closed) != 0 {
		t.Fatalf("the cut close left closed periods %v (%v)", closed, err)
	}
	if got := postedState(t, l); len(got) != 0 {
		t.Fatalf("the cut close transaction left %d transactions", len(got))
	}
	if _, err := os.Stat(filepath.Join(out, "2026-10")); !os.IsNotExist(err) {
		t.Fatalf("the cut close published files: %v", err)
	}

	if _, err := Close(ctx, Deps{Ledger: l}, CloseOptions{Period: oct, BillFrom: oct, Out: out}); err != nil {
		t.Fatalf("the close after the cut: %v", err)
	}
	diffStates(t, postedState(t, l), want)
	for _, f := range []string{"invoice-lines.csv", "invoices.csv", "rejects.csv"} {
		a, err1 := os.ReadFile(filepath.Join(out, "2026-10", f))
		b, err2 := os.ReadFile(filepath.Join(refOut, "2026-10", f))
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Errorf("%s after the cut and a re-run differs from an uninterrupted close (%v %v)", f, err1, err2)
		}
	}
	wantRunsRecorded(t, l, "close", "failed")
}

// wantRunsRecorded checks that job_runs says how the cut run ended (it is
// finished on a fresh connection) and never holds the password.
func wantRunsRecorded(t *testing.T, l *ledger.Ledger, command, outcome string) {
	t.Helper()
	rows, err := l.DB().Queryx(`SELECT * FROM job_runs`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprint(m)
		for k, v := range m {
			if b, ok := v.([]byte); ok {
				line += " " + k + "=" + string(b)
			}
		}
		if strings.Contains(line, faultPassword) {
			t.Errorf("job_runs holds the password: %s", line)
		}
		if strings.Contains(line, command) && strings.Contains(line, outcome) {
			found = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Errorf("job_runs has no %s run with outcome %s", command, outcome)
	}
}

// The connection is cut while an order lines batch is being written behind
// the next one's judging: the ingest fails saying so, loads nothing of the
// file, and the next run loads it as an uninterrupted run does.
func TestFault_ConnectionCutDuringIngest(t *testing.T) {
	ctx := context.Background()
	defer func(b int) { ingestBatch = b }(ingestBatch)
	ingestBatch = 4 // several batches of the fixtures' order lines

	records := func(l *ledger.Ledger) []string {
		t.Helper()
		var out []string
		for r, err := range l.Records(ctx, ledger.RecordFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s:%d %s %s %s %s %s", r.File, r.Line, r.Status, r.Rule, r.Message, r.Hash, r.Raw))
		}
		return out
	}
	ref := ingestedReference(t)
	want := records(ref)

	l, kill := killableLedger(t)
	batches, killed := 0, 0
	d := Deps{Ledger: l, Hook: func(point string) error {
		if point == "ingest:batch-behind:orders.csv" {
			if batches++; batches == 2 && killed == 0 {
				n, err := kill()
				if err != nil {
					return err
				}
				killed = n
			}
		}
		return nil
	}}
	_, err := Ingest(ctx, d, "../fixtures/inbox")
	if killed == 0 {
		t.Fatal("no backend of the run was terminated while a batch was written behind")
	}
	wantConnectionLost(t, err)
	for _, f := range collectFiles(t, l) {
		if f == "orders.csv" {
			t.Fatal("the cut ingest recorded orders.csv as loaded")
		}
	}
	if _, err := Ingest(ctx, Deps{Ledger: l}, "../fixtures/inbox"); err != nil {
		t.Fatalf("the ingest after the cut: %v", err)
	}
	if got := records(l); !reflect.DeepEqual(got, want) {
		t.Errorf("records after the cut and a re-run differ from an uninterrupted run:\n got %q\nwant %q", got, want)
	}
}

// collectFiles names the inbox files l has loaded.
func collectFiles(t *testing.T, l *ledger.Ledger) []string {
	t.Helper()
	var names []string
	for f, err := range l.Files(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
	}
	return names
}

// TestPost_AFailedPostSaysItPostedNothing: a post is one database
// transaction, so one that fails after writing some pages posted nothing,
// and its summary (and job_runs row) says so; it said what it had written
// before failing.
func TestPost_AFailedPostSaysItPostedNothing(t *testing.T) {
	ctx := context.Background()
	l, d := sqliteDeps(t)
	if _, err := Ingest(ctx, d, "../fixtures/inbox"); err != nil {
		t.Fatal(err)
	}
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 3
	pages := 0
	d.Hook = func(point string) error {
		if point == "post:posted" {
			if pages++; pages == 4 {
				return fmt.Errorf("stop on purpose")
			}
		}
		return nil
	}
	s, err := Post(ctx, d, invoice.MustDate("2026-10-31"), false)
	if err == nil || pages != 4 {
		t.Fatalf("post: %v after %d pages, want it stopped on the fourth", err, pages)
	}
	if s.Posted != 0 || s.Rejected != 0 || s.Held != 0 {
		t.Errorf("the failed post's summary: posted %d, rejected %d, held %d; nothing was", s.Posted, s.Rejected, s.Held)
	}
	if got := postedState(t, l); len(got) != 0 {
		t.Fatalf("the failed post left %d transactions", len(got))
	}
}
