package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

func TestLockBusy(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, b := openLedger(t, url), openLedger(t, url) // as two processes would
		release, err := a.Lock(ctx, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = b.Lock(ctx, 200*time.Millisecond)
		if !errors.Is(err, ledger.ErrBusy) {
			t.Fatalf("second Lock: %v, want ErrBusy", err)
		}
		if waited := time.Since(start); waited < 200*time.Millisecond {
			t.Errorf("gave up after %s, want to wait 200ms", waited)
		}
		const msg = "another cspbill run holds the ledger lock; try again later"
		if got := err.Error(); len(got) < len(msg) || got[:len(msg)] != msg {
			t.Errorf("message %q, want it to start %q", got, msg)
		}
		release()
		release() // twice is harmless
		r2, err := b.Lock(ctx, time.Second)
		if err != nil {
			t.Fatalf("Lock after release: %v", err)
		}
		r2()
	})
}

// Two writers each read a counter, post, and write it back under the lock;
// serialized, no update is lost and they are never inside together.
func TestLockSerializesWriters(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		ls := []*ledger.Ledger{openLedger(t, url), openLedger(t, url)}
		run := startRun(t, ls[0])
		var inside, overlaps atomic.Int32
		var wg sync.WaitGroup
		const rounds = 10
		for w, l := range ls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					release, err := l.Lock(ctx, 30*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					n := len(collect(t, l.Posted(ctx)))
					time.Sleep(2 * time.Millisecond)
					key := fmt.Sprintf("N%03d", n) // the next key, from what is posted
					x := charge(key, fmt.Sprintf("W%d", w), "USD", "2026-10", int64(i+1), 0)
					if _, err := l.Post(ctx, run, []ledger.Txn{x}); err != nil {
						t.Errorf("writer %d: %v", w, err)
					}
					inside.Add(-1)
					release()
				}
			}()
		}
		wg.Wait()
		if overlaps.Load() != 0 {
			t.Errorf("%d overlapping critical sections", overlaps.Load())
		}
		if n := count(t, ls[0], "txns"); n != 2*rounds {
			t.Errorf("txns = %d, want %d", n, 2*rounds)
		}
	})
}

func TestLockIsPerSchema(t *testing.T) {
	ctx := context.Background()
	a := openLedger(t, ledgertest.Postgres(t))
	b := openLedger(t, ledgertest.Postgres(t))
	ra, err := a.Lock(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer ra()
	rb, err := b.Lock(ctx, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("a ledger in another schema is blocked: %v", err)
	}
	rb()
}
