package jobs

import (
	"context"
	"testing"
	"time"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// TestSchedule_RunsJobsUntilStopped runs the scheduler with an ingest every
// second, stops it, and checks the job ran through the same function as the
// one-shot command and that Schedule returned once stopped.
func TestSchedule_RunsJobsUntilStopped(t *testing.T) {
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledgertest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Schedule(runCtx, Deps{Ledger: l, LockWait: time.Second}, ScheduleConfig{Ingest: "@every 1s", Inbox: "../fixtures/inbox"})
	}()
	deadline := time.After(20 * time.Second)
	for loaded := 0; loaded < 6; {
		select {
		case <-deadline:
			t.Fatalf("the scheduled ingest loaded %d files in 20 s", loaded)
		case <-time.After(200 * time.Millisecond):
		}
		loaded = 0
		for _, err := range l.Files(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			loaded++
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Schedule did not return after cancellation")
	}
	// A bad spec is a usage error.
	if err := Schedule(ctx, Deps{Ledger: l}, ScheduleConfig{Post: "not a spec"}); err == nil {
		t.Fatal("bad spec accepted")
	}
}
