package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"

	"cspbill/invoice"
	"cspbill/ledger"
)

// Deps is what every job needs.
type Deps struct {
	Ledger *ledger.Ledger
	Log    *slog.Logger
	// Now is the clock (injected so tests and golden files are stable).
	Now func() time.Time
	// Window is K1's cancellation window in days (0: the order's own day
	// only); nil is the default, 30.
	Window *int
	// LockWait bounds how long a job waits for another run's ledger lock.
	LockWait time.Duration
	// Progress, when not nil, receives progress bars for long steps (a
	// terminal); nil when output is not a terminal.
	Progress io.Writer
	// Hook, when not nil, is called at named points of a job; tests use it
	// to stop a run partway (crash tests).
	Hook func(point string) error
}

// ErrUsage marks errors in how a job was asked to run (exit code 2).
var ErrUsage = errors.New("bad usage")

// ErrHook is returned when a test hook stops a job.
var ErrHook = errors.New("stopped by test hook")

func (d Deps) hook(point string) error {
	if d.Hook == nil {
		return nil
	}
	if err := d.Hook(point); err != nil {
		return fmt.Errorf("%w at %s: %v", ErrHook, point, err)
	}
	return nil
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d Deps) window() int {
	if d.Window != nil {
		return *d.Window
	}
	return invoice.DefaultWindow
}

func (d Deps) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Summary is what a run did, printed at its end and stored with the run.
type Summary struct {
	Command      string      `json:"command"`
	RunID        string      `json:"run_id"`
	Files        []FileCount `json:"files,omitempty"`
	FilesSkipped int         `json:"files_skipped"`
	// FilesRejected counts files rejected whole (not CSV, not UTF-8, a
	// required column missing): none of their rows is read or loaded.
	FilesRejected int `json:"files_rejected"`
	Read          int `json:"rows_read"`
	Accepted      int `json:"rows_accepted"`
	Rejected      int `json:"rows_rejected"`
	Held          int `json:"held"`
	Posted        int `json:"transactions_posted"`
	Invoices      int `json:"invoices_written"`
	// Differences counts reconciliation lines that differ or are missing on
	// one side.
	Differences int           `json:"differences,omitempty"`
	Periods     []string      `json:"periods_closed,omitempty"`
	Out         string        `json:"out,omitempty"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	DryRun      bool          `json:"dry_run,omitempty"`
}

// FileCount is one inbox file's control totals: read = accepted + rejected.
type FileCount struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Read     int    `json:"read"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Held     int    `json:"held"`
	Skipped  bool   `json:"skipped,omitempty"`
	Error    string `json:"error,omitempty"`
}

// NeedsAttention reports whether the run leaves rejected or held records
// (exit code 3, so a timer can alert).
func (s Summary) NeedsAttention() bool {
	return s.Rejected > 0 || s.Held > 0 || s.FilesRejected > 0 || s.Differences > 0
}

// run wraps a job: lock, run record, summary.
func run(ctx context.Context, d Deps, command, asOf string, fn func(runID string, s *Summary) error) (Summary, error) {
	start := d.now()
	s := Summary{Command: command}
	release, err := d.Ledger.Lock(ctx, 0)
	if errors.Is(err, ledger.ErrBusy) && d.LockWait > 0 {
		// Say why nothing happens yet: another run holds the ledger.
		d.logger().Info("another cspbill run holds the ledger lock: waiting for it", "command", command, "up_to", d.LockWait.String())
		release, err = d.Ledger.Lock(ctx, d.LockWait)
	}
	if err != nil {
		return s, err
	}
	defer release()
	s.RunID, err = d.Ledger.StartRun(ctx, command, asOf)
	if err != nil {
		return s, fmt.Errorf("record run: %w", err)
	}
	log := d.logger().With("run", s.RunID, "command", command)
	log.Info("run started", "as_of", asOf)
	err = d.hook(command + ":start")
	if err == nil {
		err = guard(func() error { return fn(s.RunID, &s) })
	}
	if err == nil {
		err = d.hook(command + ":finishing")
	}
	s.Elapsed = d.now().Sub(start)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "failed"
	case s.NeedsAttention():
		outcome = "attention"
	}
	// The run record is finished with a fresh context so a cancelled run
	// still says how it ended.
	if ferr := d.Ledger.FinishRun(context.WithoutCancel(ctx), s.RunID, outcome, s); ferr != nil && err == nil {
		err = fmt.Errorf("record run end: %w", ferr)
	}
	if err != nil {
		log.Error("run failed", "error", err.Error(), "elapsed", s.Elapsed.String())
		return s, err
	}
	log.Info("run finished", "outcome", outcome, "files", len(s.Files), "rows_read", s.Read, "rows_accepted", s.Accepted,
		"rows_rejected", s.Rejected, "held", s.Held, "posted", s.Posted, "invoices", s.Invoices, "elapsed", s.Elapsed.String())
	return s, nil
}

// guard runs fn and turns a panic in it (a bug) into an error, so the run
// is recorded as failed: the transaction fn had open is rolled back on the
// way up. It was left "running" in job_runs before.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (a bug; what the run had not committed is rolled back): %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// progress is a bar on the terminal for a long step, or nothing when the
// output is not a terminal.
type progress interface{ Add(int) error }

type noProgress struct{}

func (noProgress) Add(int) error { return nil }

func (d Deps) bar(total int, what string) (progress, func()) {
	if d.Progress == nil || total < 1000 {
		return noProgress{}, func() {}
	}
	b := progressbar.NewOptions(total, progressbar.OptionSetWriter(d.Progress), progressbar.OptionSetDescription(what),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	return b, func() { b.Finish() }
}
