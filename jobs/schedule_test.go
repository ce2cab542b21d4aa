package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
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

// TestP1_ScheduledJobsPostAndCloseUTCDays: a period is a calendar month in
// UTC (P1), so a scheduled post runs through today's UTC day and a
// scheduled close closes the UTC month before today, whatever zone --tz
// reads the specs in. At 02:00 UTC on 1 November it is still 31 October in
// Los Angeles: the post runs through 2026-11-01 and the close closes
// October (the local day gave 2026-10-31 and September before).
func TestP1_ScheduledJobsPostAndCloseUTCDays(t *testing.T) {
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledgertest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	d := Deps{Ledger: l, LockWait: time.Second, Now: func() time.Time { return time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC) }}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Schedule(runCtx, d, ScheduleConfig{Location: la, Post: "@every 1s", Close: "@every 1s", Out: t.TempDir()})
	}()
	deadline := time.After(20 * time.Second)
	asOf := map[string]string{}
	for asOf["post"] == "" || asOf["close"] == "" {
		select {
		case <-deadline:
			t.Fatalf("scheduled runs: %v", asOf)
		case <-time.After(200 * time.Millisecond):
		}
		for r, err := range l.Runs(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			asOf[r.Command] = r.AsOf
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if asOf["post"] != "2026-11-01" || asOf["close"] != "2026-10" {
		t.Errorf("post ran through %s and close closed %s; want 2026-11-01 and 2026-10 (UTC)", asOf["post"], asOf["close"])
	}
}

// TestSchedule_ASkippedTurnNamesTheJobStillRunning: when a job's next turn
// comes while it still runs, the turn is skipped and the log line saying so
// names the job (robfig/cron's own line says only "skip").
func TestSchedule_ASkippedTurnNamesTheJobStillRunning(t *testing.T) {
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledgertest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var logged bytes.Buffer
	started := make(chan struct{}, 8)
	d := Deps{Ledger: l, Log: slog.New(slog.NewTextHandler(&logged, nil)), Hook: func(point string) error {
		if point == "post:start" {
			started <- struct{}{}
			time.Sleep(2500 * time.Millisecond) // through the next turns
		}
		return nil
	}}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Schedule(runCtx, d, ScheduleConfig{Post: "@every 1s"}) }()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the scheduled post did not start in 20 s")
	}
	time.Sleep(2 * time.Second) // a turn or two comes while it sleeps
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var skips int
	for _, line := range strings.Split(logged.String(), "\n") {
		if strings.Contains(line, "cron: skip") {
			skips++
			if !strings.Contains(line, "job=post") {
				t.Errorf("skip line names no job: %s", line)
			}
		}
	}
	if skips == 0 {
		t.Errorf("no turn was skipped while the post ran:\n%s", logged.String())
	}
}
