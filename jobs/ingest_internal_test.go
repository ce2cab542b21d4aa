package jobs

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// eachShare visits every index once, whatever the number of cores, and
// reports the failure of the lowest index.
func TestEachShareVisitsEveryIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 7, 5000} {
			visits := make([]atomic.Int32, n)
			if err := eachShare(n, func(i int) error { visits[i].Add(1); return nil }); err != nil {
				t.Fatalf("procs %d n %d: %v", procs, n, err)
			}
			for i := range visits {
				if v := visits[i].Load(); v != 1 {
					t.Fatalf("procs %d n %d: index %d visited %d times", procs, n, i, v)
				}
			}
		}
		fail := map[int]bool{4100: true, 1234: true, 4999: true}
		err := eachShare(5000, func(i int) error {
			if fail[i] {
				return fmt.Errorf("row %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "row 1234" {
			t.Errorf("procs %d: err = %v, want the lowest failing index's (row 1234)", procs, err)
		}
	}
	if err := eachShare(3, func(int) error { return errors.New("x") }); err == nil {
		t.Error("a failure was lost")
	}
}

// fakeCustomers answers customer look-ups from rows and counts the ids it
// was asked for.
type fakeCustomers struct {
	recs  map[string]ledger.SourceRecord
	asked int
}

func (f *fakeCustomers) RecordsByKey(_ context.Context, kind string, keys []string) ([]ledger.SourceRecord, error) {
	if kind != csvin.KindCustomers {
		return nil, fmt.Errorf("asked for %s", kind)
	}
	var out []ledger.SourceRecord
	for _, k := range keys {
		f.asked++
		if r, ok := f.recs[k]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func customerRecords(t *testing.T, n int) *fakeCustomers {
	t.Helper()
	f := &fakeCustomers{recs: map[string]ledger.SourceRecord{}}
	for i := range n {
		id := fmt.Sprintf("C%03d", i)
		raw, err := encodeRaw(csvin.CustomerRow{CustomerID: id, Name: "Name " + id, Domain: id + ".example",
			Country: "DE", Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.recs[id] = ledger.SourceRecord{ID: int64(i + 1), Kind: csvin.KindCustomers, Key: id, Raw: raw,
			File: "customers.csv", Line: int64(i + 2), Status: ledger.Accepted}
	}
	return f
}

// A cached customer, or a cached absence, is not asked for again; every
// book still holds exactly the known customers its ids name; and the cache
// never holds more than its bound.
func TestCustomerCacheAsksOnceAndStaysBounded(t *testing.T) {
	ctx := context.Background()
	prices := invoice.NewBook()
	f := customerRecords(t, 40)
	k := newCustomerCache()
	check := func(ids []string) {
		t.Helper()
		b, err := k.book(ctx, f, prices, ids)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, id := range ids {
			c, ok := b.Ref.Customers[id]
			if _, known := f.recs[id]; known {
				want[id] = true
				if !ok || c.ID != id || c.Name != "Name "+id || c.Currency.Code != "EUR" {
					t.Fatalf("customer %s = %+v, %v", id, c, ok)
				}
			} else if ok {
				t.Fatalf("unknown customer %s is in the book", id)
			}
		}
		if len(b.Ref.Customers) != len(want) {
			t.Fatalf("book holds %d customers, want %d", len(b.Ref.Customers), len(want))
		}
	}
	check([]string{"C001", "C002", "NOPE"})
	if f.asked != 3 {
		t.Fatalf("asked for %d ids, want 3", f.asked)
	}
	check([]string{"C002", "NOPE", "C001", "C003"})
	if f.asked != 4 {
		t.Fatalf("asked for %d ids after a second page, want 4 (only C003 is new)", f.asked)
	}

	defer func(n int) { customerCacheSize = n }(customerCacheSize)
	// With room for one, a new id evicts the cached one; a cached id
	// named after it must still reach the book (it once did not: the
	// evicted customer was taken for one with no row, and its order lines
	// were rejected at a million order lines).
	customerCacheSize = 1
	k = newCustomerCache()
	check([]string{"C005"})
	check([]string{"C006", "C005"})
	check([]string{"C007", "C006", "C005", "NOPE"})

	// Random pages of known, unknown and repeated ids, under small bounds:
	// each book is the one the ledger alone gives (check).
	rng := rand.New(rand.NewPCG(7, 7))
	for _, bound := range []int{1, 2, 3, 5, 8, 64} {
		customerCacheSize = bound
		k = newCustomerCache()
		for range 300 {
			ids := make([]string, rng.IntN(12))
			for i := range ids {
				ids[i] = fmt.Sprintf("C%03d", rng.IntN(50)) // C040–C049 have no row
			}
			check(ids)
		}
	}

	customerCacheSize = 8
	k = newCustomerCache()
	for round := range 3 {
		for i := 0; i < 40; i += 5 {
			var ids []string
			for j := i; j < i+5; j++ {
				ids = append(ids, fmt.Sprintf("C%03d", (j+round*7)%40))
			}
			check(append(ids, "NOPE"))
			if len(k.m) > customerCacheSize {
				t.Fatalf("cache holds %d entries, bound %d", len(k.m), customerCacheSize)
			}
		}
	}
}

// The customer cache and the page and batch sizes change nothing a post or
// an ingest leaves in the ledger: with pages of four order lines, batches of
// three rows and a cache of one to three customers (evicting on almost
// every look-up), the fixtures' two months give the same transactions and
// the same record verdicts as in one page with every customer cached.
// (Small pages found a post that panicked on a page whose order records
// were all rejected or seen — a resent file of 5,000 identical rows would
// have made one.)
func TestCustomerCacheAndPagingChangeNothing(t *testing.T) {
	ctx := context.Background()
	defer func(p, b, c int) { pageSize, ingestBatch, customerCacheSize = p, b, c }(pageSize, ingestBatch, customerCacheSize)
	run := func(page, batch, cache int) (map[string]string, []string) {
		pageSize, ingestBatch, customerCacheSize = page, batch, cache
		l, d := sqliteDeps(t)
		for _, step := range []struct {
			inbox string
			asOf  string
		}{{"../fixtures/inbox", "2026-10-31"}, {"../fixtures/inbox-2026-11", "2026-11-30"}} {
			if _, err := Ingest(ctx, d, step.inbox); err != nil {
				t.Fatal(err)
			}
			if _, err := Post(ctx, d, invoice.MustDate(step.asOf), false); err != nil {
				t.Fatal(err)
			}
		}
		var verdicts []string
		for r, err := range l.Records(ctx, ledger.RecordFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			verdicts = append(verdicts, fmt.Sprintf("%s:%d %s %s %s", r.File, r.Line, r.Status, r.Rule, r.Message))
		}
		return postedState(t, l), verdicts
	}
	wantTxns, wantVerdicts := run(5000, 5000, 1<<20)
	if len(wantTxns) == 0 {
		t.Fatal("nothing posted")
	}
	for _, cache := range []int{1, 2, 3} {
		gotTxns, gotVerdicts := run(4, 3, cache)
		diffStates(t, gotTxns, wantTxns)
		if !reflect.DeepEqual(gotVerdicts, wantVerdicts) {
			t.Errorf("cache %d: record verdicts differ:\n got %q\nwant %q", cache, gotVerdicts, wantVerdicts)
		}
	}
}

// An order lines file's batch is written while the next one is judged, so
// the next batch's look-ups add it from memory. Rows that repeat or reuse
// what the batch before them holds must be judged as if it were stored:
// the same verdicts, records and ids as with one batch for the whole file.
func TestIngestWriteBehindSeesTheBatchBeingWritten(t *testing.T) {
	defer func(b int) { ingestBatch = b }(ingestBatch)
	inbox := referenceInbox(t)
	f, err := os.Open("../fixtures/inbox/orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// With batches of two rows, each repeat below is in the batch after
	// the row it repeats: judged while that row is being written.
	head, first, second := rows[0], rows[1], rows[2]
	conflicting := slices.Clone(second)
	conflicting[slices.Index(head, "quantity")] = "99"
	sameSub := slices.Clone(second)
	sameSub[slices.Index(head, "order_id")] = "O-9999"
	out := [][]string{head, first, second, first, sameSub, conflicting}
	out = append(out, rows[3:]...)
	var buf strings.Builder
	w := csv.NewWriter(&buf)
	w.WriteAll(out)
	if err := os.WriteFile(filepath.Join(inbox, "orders.csv"), []byte(buf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) { ingestTwiceAlike(t, db, inbox) })
	}
}

// ingestTwiceAlike ingests inbox into two fresh ledgers of kind db, in one
// batch and in batches of two rows, and compares every record.
func ingestTwiceAlike(t *testing.T, db, inbox string) {
	ctx := context.Background()
	ingest := func(batch int) []string {
		ingestBatch = batch
		l, err := ledger.Open(ctx, ledgertest.URL(t, db))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if _, err := Ingest(ctx, Deps{Ledger: l}, inbox); err != nil {
			t.Fatal(err)
		}
		var recs []string
		for r, err := range l.Records(ctx, ledger.RecordFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, fmt.Sprintf("%d %s:%d %s %s %s %s %s", r.ID, r.File, r.Line, r.Status, r.Rule, r.Message, r.Hash, r.Raw))
		}
		return recs
	}
	want, got := ingest(5000), ingest(2)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batches of 2 judged differently:\n got %q\nwant %q", got, want)
	}
	// The repeats were seen as repeats: lines 4 (identical), 5 (another
	// order line with the subscription of line 3) and 6 (conflicting).
	for _, r := range want {
		if strings.Contains(r, " orders.csv:4 ") && !strings.Contains(r, " seen ") {
			t.Errorf("identical resend not seen: %s", r)
		}
		if strings.Contains(r, " orders.csv:5 ") && !strings.Contains(r, " rejected ") {
			t.Errorf("second order line of a subscription not rejected: %s", r)
		}
		if strings.Contains(r, " orders.csv:6 ") && !strings.Contains(r, " rejected ") {
			t.Errorf("conflicting resend not rejected: %s", r)
		}
	}
}

// TestK7_AReversalPostedOnTheCancelDayStands: a K7 reversal posted before
// the eighth session is dated on the cancel day; the rules now date it on
// the instalment's start. The posted one stands (same key, amounts and
// type): a re-post must not fail on it. Any other charge posted with
// another date is still a conflict.
func TestK7_AReversalPostedOnTheCancelDayStands(t *testing.T) {
	prev := ledger.PostedTxn{Key: "O1/1/T0/I1/reversal", Date: "2026-02-10", ChargeType: invoice.ChargeCancelImmediate, Net: -1000, Tax: -100, Gross: -1100}
	c := invoice.Charge{Key: "O1/1/T0/I1/reversal", Type: invoice.ChargeCancelImmediate, Date: invoice.MustDate("2026-03-01"), Net: -1000, Tax: -100, Gross: -1100}
	if err := samePosting(prev, c); err != nil {
		t.Errorf("reversal dated otherwise: %v", err)
	}
	c.Net, c.Gross = -999, -1099
	if err := samePosting(prev, c); err == nil {
		t.Error("a reversal of other amounts accepted")
	}
	prev.Key, c.Key, c.Net, c.Gross = "O1/1/T0/I1", "O1/1/T0/I1", -1000, -1100
	if err := samePosting(prev, c); err == nil {
		t.Error("a charge posted on another day accepted")
	}
}

// TestC2_ALastInstalmentPostedByAnEarlierVersionStands: a last instalment
// negative on an exact half was posted as round(exact) before the tenth
// session (−0.05 where the rules now give −0.04, so the line adds up): what
// was posted and invoiced stands (Charge.Was), anything else is a conflict.
func TestC2_ALastInstalmentPostedByAnEarlierVersionStands(t *testing.T) {
	prev := ledger.PostedTxn{Key: "O1/1/T0/I11", Date: "2026-12-05", ChargeType: invoice.ChargeCycle, Net: -5, Tax: 0, Gross: -5}
	c := invoice.Charge{Key: "O1/1/T0/I11", Type: invoice.ChargeCycle, Date: invoice.MustDate("2026-12-05"), Net: -4, Tax: 0, Gross: -4}
	if err := samePosting(prev, c); err == nil {
		t.Error("other amounts accepted without an earlier version's")
	}
	c.Was = &[3]int64{-5, 0, -5}
	if err := samePosting(prev, c); err != nil {
		t.Errorf("the earlier version's amounts refused: %v", err)
	}
	prev.Net, prev.Gross = -6, -6
	if err := samePosting(prev, c); err == nil {
		t.Error("amounts neither version gives accepted")
	}
}

// TestGuardTurnsAPanicIntoAnError: guard, around a job and the goroutines
// an ingest starts, returns a panic as an error that says so (the run then
// fails and is recorded), and fn's own result otherwise.
func TestGuardTurnsAPanicIntoAnError(t *testing.T) {
	err := guard(func() error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("guard(panic) = %v, want an internal error naming the panic", err)
	}
	want := errors.New("plain")
	if err := guard(func() error { return want }); err != want {
		t.Errorf("guard(error) = %v, want %v", err, want)
	}
	if err := guard(func() error { return nil }); err != nil {
		t.Errorf("guard(nil) = %v", err)
	}
}
