package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

func TestPostTwiceWritesOnce(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		batch := []ledger.Txn{
			charge("A/1", "CUST1", "USD", "2026-10", 10000, 725),
			charge("A/2", "CUST2", "EUR", "2026-10", 5000, 1000),
		}
		res, err := l.Post(ctx, run, batch)
		if err != nil || res != (ledger.PostResult{Posted: 2}) {
			t.Fatalf("first Post = %+v, %v; want 2 posted", res, err)
		}
		// Period and Invoiced depend on when a txn is posted, not on what
		// it is: a rerun that files it elsewhere is still the same txn.
		again := append([]ledger.Txn(nil), batch...)
		again[0].Period, again[0].Invoiced = "2026-11", false
		res, err = l.Post(ctx, startRun(t, l), again)
		if err != nil || res != (ledger.PostResult{AlreadyPosted: 2}) {
			t.Fatalf("second Post = %+v, %v; want 2 already posted", res, err)
		}
		// The same key twice in one batch is posted once.
		res, err = l.Post(ctx, run, []ledger.Txn{batch[0], charge("A/3", "CUST1", "USD", "2026-10", 1, 0), charge("A/3", "CUST1", "USD", "2026-10", 1, 0)})
		if err != nil || res != (ledger.PostResult{Posted: 1, AlreadyPosted: 2}) {
			t.Fatalf("third Post = %+v, %v; want 1 posted, 2 already", res, err)
		}
		if n := count(t, l, "txns"); n != 3 {
			t.Errorf("txns = %d, want 3", n)
		}
		if n := count(t, l, "postings"); n != 9 {
			t.Errorf("postings = %d, want 9", n)
		}
		if n := count(t, l, "accounts"); n != 4 {
			t.Errorf("accounts = %d, want 4 (2 receivables, revenue, tax_payable)", n)
		}
		if err := l.Verify(ctx); err != nil {
			t.Error(err)
		}
	})
}

// TestP3_PostRefusesAnUnbalancedTransaction: a transaction whose postings
// do not balance, or do not carry its gross to the receivable, is refused
// with the batch it came in.
func TestP3_PostRefusesAnUnbalancedTransaction(t *testing.T) {
	good := charge("OK/1", "CUST1", "USD", "2026-10", 100, 10)
	cases := []struct {
		name  string
		edit  func(x *ledger.Txn)
		want  error
		inMsg string
	}{
		{"postings do not sum to zero", func(x *ledger.Txn) { x.Postings[1].Amount-- }, ledger.ErrUnbalanced, "postings sum to -1, not 0"},
		{"gross is not net + tax", func(x *ledger.Txn) { x.Gross++; x.Postings[0].Amount++; x.Postings[1].Amount-- }, ledger.ErrUnbalanced, "gross 111 != net 100 + tax 10"},
		{"receivable is not gross", func(x *ledger.Txn) {
			x.Postings[0].Amount -= 5
			x.Postings = append(x.Postings, ledger.Posting{Account: "suspense", Amount: 5})
		}, ledger.ErrUnbalanced, "receivable postings 105 != gross 110"},
		{"one posting", func(x *ledger.Txn) { x.Postings = x.Postings[:1] }, ledger.ErrUnbalanced, "1 posting(s)"},
		{"no key", func(x *ledger.Txn) { x.Key = "" }, ledger.ErrInvalid, "empty business key"},
		{"timestamp for a date", func(x *ledger.Txn) { x.Date = "2026-10-15T00:00:00Z" }, ledger.ErrInvalid, "is not YYYY-MM-DD"},
		{"bad period", func(x *ledger.Txn) { x.Period = "2026-13" }, ledger.ErrInvalid, "is not YYYY-MM"},
		{"unknown charge type", func(x *ledger.Txn) { x.ChargeType = "refund" }, ledger.ErrInvalid, "charge type"},
	}
	ledgertest.Each(t, func(t *testing.T, url string) {
		l := openLedger(t, url)
		run := startRun(t, l)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				bad := charge("BAD/1", "CUST1", "USD", "2026-10", 100, 10)
				c.edit(&bad)
				res, err := l.Post(context.Background(), run, []ledger.Txn{good, bad})
				if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.inMsg) {
					t.Fatalf("Post = %+v, %v; want %v containing %q", res, err, c.want, c.inMsg)
				}
				if n := count(t, l, "txns"); n != 0 {
					t.Errorf("txns = %d after a refused batch, want 0", n)
				}
			})
		}
	})
}

func TestPostKeyConflict(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		if _, err := l.Post(ctx, run, []ledger.Txn{charge("ORD9/1#0", "CUST1", "USD", "2026-10", 100, 10)}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			batch []ledger.Txn
		}{
			{"other amounts", []ledger.Txn{charge("NEW/1", "CUST1", "USD", "2026-10", 1, 0), charge("ORD9/1#0", "CUST1", "USD", "2026-10", 200, 20)}},
			{"other customer", []ledger.Txn{charge("ORD9/1#0", "CUST2", "USD", "2026-10", 100, 10)}},
			{"twice in the batch", []ledger.Txn{charge("NEW/2", "CUST1", "USD", "2026-10", 1, 0), charge("NEW/2", "CUST1", "USD", "2026-10", 2, 0)}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := l.Post(ctx, run, c.batch)
				if !errors.Is(err, ledger.ErrKeyConflict) {
					t.Fatalf("Post: %v, want ErrKeyConflict", err)
				}
				key := c.batch[len(c.batch)-1].Key
				if !strings.Contains(err.Error(), `"`+key+`"`) {
					t.Errorf("error %q does not name key %q", err, key)
				}
				if n := count(t, l, "txns"); n != 1 {
					t.Errorf("txns = %d, want 1: nothing of a conflicting batch is written", n)
				}
			})
		}
	})
}

func TestCreditMustCreditAPostedCharge(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		c := charge("C/1", "CUST1", "USD", "2026-10", 100, 10)
		// Charge and credit in one batch, credit first: the foreign key
		// is checked at commit.
		if _, err := l.Post(ctx, run, []ledger.Txn{credit("C/1-x", c, "2026-10", 100, 10), c}); err != nil {
			t.Fatalf("Post: %v", err)
		}
		orphan := credit("C/2-x", charge("C/2", "CUST1", "USD", "2026-10", 100, 10), "2026-10", 100, 10)
		if _, err := l.Post(ctx, run, []ledger.Txn{orphan}); err == nil {
			t.Fatal("a credit of a charge never posted was accepted")
		}
		if n := count(t, l, "txns"); n != 2 {
			t.Errorf("txns = %d, want 2", n)
		}
	})
}

func TestLookupAndPosted(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		var batch []ledger.Txn
		for i, k := range keys("K", 25000) { // more than one lookup chunk
			batch = append(batch, charge(k, "CUST1", "USD", "2026-10", int64(i), 0))
		}
		if _, err := l.Post(ctx, run, batch); err != nil {
			t.Fatal(err)
		}
		ask := append(keys("K", 3), "nope", batch[24999].Key)
		got := map[string]string{}
		for p, err := range l.Lookup(ctx, ask) {
			if err != nil {
				t.Fatal(err)
			}
			got[p.Key] = p.Hash
		}
		if len(got) != 4 || got["K000001"] != batch[1].Hash() || got["nope"] != "" {
			t.Errorf("Lookup = %v", got)
		}
		all := collect(t, l.Posted(ctx))
		if len(all) != 25000 || all[7].Key != "K000007" || all[7].Period != "2026-10" || all[7].Net != 7 || all[7].RunID != run {
			t.Errorf("Posted: %d txns, [7] = %+v", len(all), all[7])
		}
	})
}

func TestHashIgnoresWhenNotWhat(t *testing.T) {
	a := charge("H/1", "C1", "USD", "2026-10", 100, 10)
	b := a
	b.Period, b.Invoiced = "2026-12", false
	b.Postings = []ledger.Posting{a.Postings[2], a.Postings[0], a.Postings[1]}
	if a.Hash() != b.Hash() {
		t.Error("period, invoiced or posting order changed the hash")
	}
	for name, edit := range map[string]func(x *ledger.Txn){
		"net":         func(x *ledger.Txn) { x.Net++; x.Gross++ },
		"description": func(x *ledger.Txn) { x.Description += " " },
		"account":     func(x *ledger.Txn) { x.Postings[1].Account = "revenue:x" },
		"shifted":     func(x *ledger.Txn) { x.OrderID, x.SubscriptionID = x.OrderID+"S", x.SubscriptionID[1:] },
		"credits":     func(x *ledger.Txn) { x.CreditsKey = "K" },
	} {
		c := a
		c.Postings = append([]ledger.Posting(nil), a.Postings...)
		edit(&c)
		if c.Hash() == a.Hash() {
			t.Errorf("%s: same hash", name)
		}
	}
}

// PostNew skips the look-up of posted keys, but a key posted before still
// cannot be posted twice: the UNIQUE constraint refuses the whole batch.
func TestPostNewStillRefusesAPostedKey(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		if _, err := l.Post(ctx, run, []ledger.Txn{charge("A/1", "CUST1", "USD", "2026-10", 10000, 725)}); err != nil {
			t.Fatal(err)
		}
		err := l.InTx(ctx, func(tx *ledger.Tx) error {
			_, err := tx.PostNew(ctx, run, []ledger.Txn{
				charge("B/1", "CUST1", "USD", "2026-10", 100, 0),
				charge("A/1", "CUST1", "USD", "2026-10", 10000, 725),
			})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "another writer posted some of these keys") {
			t.Fatalf("PostNew of a posted key: %v", err)
		}
		if n := count(t, l, "txns"); n != 1 {
			t.Fatalf("txns = %d after the refused batch, want 1", n)
		}
	})
}

// TestPostKeepsTextExactly posts text COPY's format must escape (tab,
// newline, carriage return, backslash, a literal \N) and text it must not
// touch (quotes, commas, non-ASCII), and reads every field back unchanged.
func TestPostKeepsTextExactly(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		x := charge("T/1\\N", "CUST\t1", "USD", "2026-10", 1234, 56)
		x.Description = "Line one\nline two\r\n\ttabbed \\ back\\slash \\N \"quoted\", Ünïcödé €"
		x.SKU = `SKU\t-literal`
		x.Source = "orders.csv:7"
		if _, err := l.Post(ctx, run, []ledger.Txn{x}); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Key, CustomerID, Description, SKU, Hash string
		}
		if err := l.DB().Get(&got, `SELECT key AS "key", customer_id AS "customerid", description AS "description",
			sku AS "sku", hash AS "hash" FROM txns`); err != nil {
			t.Fatal(err)
		}
		if got.Key != x.Key || got.CustomerID != x.CustomerID || got.Description != x.Description || got.SKU != x.SKU {
			t.Errorf("read back key %q customer %q description %q sku %q;\nposted %q %q %q %q",
				got.Key, got.CustomerID, got.Description, got.SKU, x.Key, x.CustomerID, x.Description, x.SKU)
		}
		if got.Hash != x.Hash() {
			t.Errorf("hash %s, want %s", got.Hash, x.Hash())
		}
		// Posting it again finds it, byte for byte: nothing new.
		res, err := l.Post(ctx, run, []ledger.Txn{x})
		if err != nil || res != (ledger.PostResult{AlreadyPosted: 1}) {
			t.Errorf("second Post = %+v, %v; want it already posted", res, err)
		}
	})
}

// TestSealedTxnPostsTheSame: a transaction sealed before posting is stored
// with the same hash as one Post hashes itself, and Seal refuses what Post
// would refuse.
func TestSealedTxnPostsTheSame(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		sealed, plain := charge("S/1", "CUST1", "USD", "2026-10", 100, 7), charge("S/1", "CUST1", "USD", "2026-10", 100, 7)
		if err := sealed.Seal(); err != nil {
			t.Fatal(err)
		}
		if res, err := l.Post(ctx, run, []ledger.Txn{sealed}); err != nil || res.Posted != 1 {
			t.Fatalf("Post(sealed) = %+v, %v", res, err)
		}
		if res, err := l.Post(ctx, run, []ledger.Txn{plain}); err != nil || res.AlreadyPosted != 1 {
			t.Fatalf("Post(same, unsealed) = %+v, %v; want already posted", res, err)
		}
		bad := charge("S/2", "CUST1", "USD", "2026-10", 100, 7)
		bad.Gross++
		if err := bad.Seal(); !errors.Is(err, ledger.ErrUnbalanced) {
			t.Errorf("Seal(unbalanced) = %v, want ErrUnbalanced", err)
		}
		if _, err := l.Post(ctx, run, []ledger.Txn{bad}); !errors.Is(err, ledger.ErrUnbalanced) {
			t.Errorf("Post(unbalanced after a failed Seal) = %v, want ErrUnbalanced", err)
		}
	})
}

// TestRolledBackAccountsAreCreatedAgain: the ledger remembers the accounts
// a committed transaction created, not those of one rolled back, so a
// posting after a failed run still finds (or makes) its account.
func TestRolledBackAccountsAreCreatedAgain(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		boom := errors.New("boom")
		err := l.InTx(ctx, func(tx *ledger.Tx) error {
			if _, err := tx.Post(ctx, run, []ledger.Txn{charge("R/1", "NEWCUST", "USD", "2026-10", 100, 0)}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if n := count(t, l, "accounts"); n != 0 {
			t.Fatalf("accounts after the rollback = %d, want 0", n)
		}
		if res, err := l.Post(ctx, run, []ledger.Txn{charge("R/1", "NEWCUST", "USD", "2026-10", 100, 0)}); err != nil || res.Posted != 1 {
			t.Fatalf("Post after the rollback = %+v, %v", res, err)
		}
		// Known now: a second batch posts to it without creating it again.
		if res, err := l.Post(ctx, run, []ledger.Txn{charge("R/2", "NEWCUST", "USD", "2026-10", 50, 0)}); err != nil || res.Posted != 1 {
			t.Fatalf("second Post = %+v, %v", res, err)
		}
		if n := count(t, l, "accounts"); n != 3 {
			t.Errorf("accounts = %d, want 3 (receivable:NEWCUST, revenue, tax_payable)", n)
		}
	})
}

// The sets of accounts known to exist are bounded (one account per
// customer would grow them with the customers): past the bound they start
// afresh, and an account forgotten is inserted again as a no-op.
func TestKnownAccountsStayBounded(t *testing.T) {
	defer ledger.SetAccountCache(4)()
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		var batch []ledger.Txn
		for i := range 10 {
			batch = append(batch, charge(fmt.Sprintf("B/%d", i), fmt.Sprintf("CUST%d", i), "USD", "2026-10", 100, 10))
		}
		if res, err := l.Post(ctx, run, batch); err != nil || res.Posted != 10 {
			t.Fatalf("Post = %+v, %v", res, err)
		}
		// The same customers again, in a new transaction, and in one
		// batch with a key already posted (the savepoint path).
		again := []ledger.Txn{batch[0]}
		for i := range 10 {
			again = append(again, charge(fmt.Sprintf("C/%d", i), fmt.Sprintf("CUST%d", i), "USD", "2026-10", 50, 5))
		}
		if res, err := l.Post(ctx, run, again); err != nil || res.Posted != 10 || res.AlreadyPosted != 1 {
			t.Fatalf("second Post = %+v, %v", res, err)
		}
		if n := ledger.KnownAccounts(l); n > 4 {
			t.Errorf("%d accounts known, bound 4", n)
		}
		// receivable:CUST0…9, revenue, tax_payable: each once.
		if n := count(t, l, "accounts"); n != 12 {
			t.Errorf("accounts = %d, want 12", n)
		}
		if err := l.Verify(ctx); err != nil {
			t.Error(err)
		}
	})
}

// Post writes a batch before looking its keys up and takes the attempt back
// to a savepoint when a key is there already. The accounts that attempt
// created go with it, and are created again by the write that follows.
func TestPostFindingAPostedKeyTakesBackItsFirstAttempt(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		old := charge("OLD/1", "C1", "USD", "2026-10", 100, 10)
		if _, err := l.Post(ctx, run, []ledger.Txn{old}); err != nil {
			t.Fatal(err)
		}
		// NEW/1 comes first, so the first attempt writes it and its new
		// account before meeting OLD/1.
		batch := []ledger.Txn{charge("NEW/1", "C2", "EUR", "2026-10", 40, 8), old}
		res, err := l.Post(ctx, run, batch)
		if err != nil || res.Posted != 1 || res.AlreadyPosted != 1 {
			t.Fatalf("Post = %+v, %v; want 1 posted, 1 already posted", res, err)
		}
		if n := count(t, l, "txns"); n != 2 {
			t.Errorf("txns = %d, want 2", n)
		}
		if n := count(t, l, "postings"); n != 6 {
			t.Errorf("postings = %d, want 6", n)
		}
		var names []string
		if err := l.DB().Select(&names, `SELECT name FROM accounts ORDER BY name`); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, ledger.ReceivablePrefix+"C2") {
			t.Errorf("accounts = %v, want %sC2 among them", names, ledger.ReceivablePrefix)
		}
		// The other content under a posted key still fails, after the
		// first attempt is taken back, and writes nothing.
		changed := charge("OLD/1", "C1", "USD", "2026-10", 101, 10)
		if _, err := l.Post(ctx, run, []ledger.Txn{charge("NEW/2", "C3", "USD", "2026-10", 5, 0), changed}); !errors.Is(err, ledger.ErrKeyConflict) {
			t.Fatalf("Post = %v, want ErrKeyConflict", err)
		}
		if n := count(t, l, "txns"); n != 2 {
			t.Errorf("txns after the conflict = %d, want 2", n)
		}
		if err := l.Verify(ctx); err != nil {
			t.Error(err)
		}
	})
}

// Check takes a date only in the form YYYY-MM-DD and only if the calendar
// has that day, and a period only as YYYY-MM of a real month.
func TestCheckDatesAndPeriods(t *testing.T) {
	for _, c := range []struct {
		date, period string
		ok           bool
	}{
		{"2026-10-15", "2026-10", true},
		{"2028-02-29", "2028-02", true}, // leap year
		{"2000-02-29", "2000-02", true}, // divisible by 400
		{"2026-12-31", "2026-12", true},
		{"2026-02-29", "2026-02", false},
		{"1900-02-29", "1900-02", false}, // divisible by 100, not 400
		{"2026-04-31", "2026-04", false},
		{"2026-13-01", "2026-10", false},
		{"2026-00-10", "2026-10", false},
		{"2026-10-00", "2026-10", false},
		{"2026-10-1", "2026-10", false},
		{"2026-10-1x", "2026-10", false},
		{"+026-10-15", "2026-10", false},
		{"2026/10/15", "2026-10", false},
		{"2026-10-15 ", "2026-10", false},
		{"2026-10-15", "2026-13", false},
		{"2026-10-15", "2026-1", false},
		{"2026-10-15", "2026-00", false},
		{"2026-10-15", "20261-0", false},
	} {
		x := charge("K/1", "C1", "USD", "2026-10", 100, 0)
		x.Date, x.ChargeStart, x.Period = c.date, c.date, c.period
		err := x.Check()
		if c.ok && err != nil || !c.ok && !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("date %q period %q: Check = %v, want ok %v", c.date, c.period, err, c.ok)
		}
	}
}

// A large batch is checked on every core; the error is still the first bad
// transaction's in batch order, and nothing of the batch is written.
func TestLargeBatchReportsItsFirstBadTxn(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		batch := make([]ledger.Txn, 5000)
		for i := range batch {
			batch[i] = charge(fmt.Sprintf("BIG/%d", i), "C1", "USD", "2026-10", 100, 10)
		}
		batch[4500].Gross++
		batch[3001].Date = "2026-02-30"
		_, err := l.Post(ctx, run, batch)
		if !errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(), `"BIG/3001"`) {
			t.Fatalf("Post = %v, want ErrInvalid naming BIG/3001", err)
		}
		if n := count(t, l, "txns"); n != 0 {
			t.Errorf("txns = %d, want 0", n)
		}
		batch[3001], batch[4500] = charge("BIG/3001", "C1", "USD", "2026-10", 100, 10), charge("BIG/4500", "C1", "USD", "2026-10", 100, 10)
		if res, err := l.Post(ctx, run, batch); err != nil || res.Posted != 5000 {
			t.Fatalf("Post = %+v, %v; want 5000 posted", res, err)
		}
	})
}

// A COPY on a connection that broke inside a transaction fails with
// ErrConnLost; it once hung for good (database/sql closing the connection
// waited for the transaction, which waited for the COPY). The transaction
// here ends its own backend, then copies.
func TestCopyOnALostConnectionFailsInsteadOfHanging(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, ledgertest.Postgres(t))
	run := startRun(t, l)
	done := make(chan error, 1)
	go func() {
		done <- l.InTx(ctx, func(tx *ledger.Tx) error {
			tx.EndOwnBackend(ctx)
			// A COPY first thing (Post would fail sooner, on its lock).
			return tx.LockNewPrices(ctx, run, []ledger.TermPrice{{TermKey: "O-1/1/T0", UnitPrice: "10.00"}})
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ledger.ErrConnLost) {
			t.Fatalf("COPY on a lost connection: %v, want ErrConnLost", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("COPY on a lost connection still waiting after 30 s: hung")
	}
	// The ledger goes on with a fresh connection.
	if _, err := l.Post(ctx, run, []ledger.Txn{charge("K1", "C1", "USD", "2026-10", 1000, 100)}); err != nil {
		t.Fatalf("post after the lost connection: %v", err)
	}
}

// A panic while transactions are sealed on the worker goroutines (a bug)
// fails the post with the key of the transaction it was sealing; it used
// to end the process, as no goroutine but the caller's recovered it.
func TestSealingPanicIsAnError(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // worker goroutines on any machine
	txns := make([]ledger.Txn, 5000)
	for i := range txns {
		txns[i].Key = fmt.Sprintf("T%d", i)
	}
	hashes, err := ledger.SealEach(txns, func(tx *ledger.Txn) (string, error) {
		if tx.Key == "T4000" {
			panic("boom")
		}
		return "h" + tx.Key, nil
	})
	if err == nil || !strings.Contains(err.Error(), `sealing txn "T4000": boom`) {
		t.Fatalf("err = %v, want the panic named with its transaction", err)
	}
	if hashes != nil {
		t.Errorf("hashes = %d, want none on an error", len(hashes))
	}
	hashes, err = ledger.SealEach(txns[:3], func(tx *ledger.Txn) (string, error) { return "h" + tx.Key, nil })
	if err != nil || !slices.Equal(hashes, []string{"hT0", "hT1", "hT2"}) {
		t.Fatalf("hashes = %v, %v; want hT0..hT2", hashes, err)
	}
}
