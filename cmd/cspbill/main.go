// Command cspbill is the monthly close of a Microsoft CSP partner: it ingests
// order, cancellation and renewal records, posts charges and credits to a
// double-entry ledger, closes periods and writes the invoices.
//
// Exit codes: 0 done, 1 failed, 2 bad usage, 3 done but some records were
// rejected or held.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/term"

	"cspbill/invoice"
	"cspbill/jobs"
	"cspbill/ledger"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const (
	exitOK        = 0
	exitFailed    = 1
	exitUsage     = 2
	exitAttention = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfiles := startProfiles()
	args := commandFirst(os.Args[1:])
	if len(args) > 0 {
		limitMemory(args[0])
	}
	code := run(ctx, args, os.Stdout, os.Stderr)
	stopProfiles()
	stop()
	os.Exit(code)
}

const usage = `cspbill — the monthly close of a CSP partner

Usage:
  cspbill ingest --inbox DIR                 load new inbox files (each file once)
  cspbill post --as-of YYYY-MM-DD            post everything due through that day
  cspbill close --period YYYY-MM --out DIR [--bill-from YYYY-MM]
                                             post, lock, and write OUT/YYYY-MM/…
  cspbill reconcile --period YYYY-MM --file RECON.csv --out DIR [--map MAP.csv] [--tolerance T]
                                             hold a closed period against Partner Center's file
  cspbill schedule                           run the jobs on cron schedules until stopped
  cspbill demo --out DIR                     a whole close on the bundled fixtures
  cspbill migrate                            apply the ledger's migrations
  cspbill version                            print the version

Every command takes --db URL (or CSPBILL_DB; default sqlite:cspbill.db),
--log-format text|json and --help. Exit codes: 0 done, 1 failed,
2 bad usage, 3 done but some records were rejected or held.
`

// common are the flags every command takes.
type common struct {
	db          string
	logFormat   string
	window      int
	lockWait    time.Duration
	perCustomer bool
}

func (c *common) register(fs *flag.FlagSet) {
	def := os.Getenv("CSPBILL_DB")
	if def == "" {
		def = "sqlite:cspbill.db"
	}
	fs.StringVar(&c.db, "db", def, "ledger URL: sqlite:PATH or postgres://… (env CSPBILL_DB)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.IntVar(&c.window, "cancel-window-days", invoice.DefaultWindow, "K1: days after purchase or renewal within which a cancellation is allowed")
	fs.DurationVar(&c.lockWait, "lock-wait", 30*time.Second, "how long to wait for another run's ledger lock before giving up")
}

// Months and days the jobs take lie in these years (decision). A close
// locks every month from the cutover through its period for good, so a
// typo (0026-10, 2226-10) locked thousands of months or set the cutover
// centuries away (found by an audit); a post through year 9999 walked
// every subscription's renewals for millennia.
const firstYear, lastYear = "2000", "2099"

// inYears refuses a YYYY-MM or YYYY-MM-DD outside firstYear..lastYear.
func inYears(s string) error {
	if y := s[:4]; y < firstYear || y > lastYear {
		return fmt.Errorf("%s: want a year from %s to %s", s, firstYear, lastYear)
	}
	return nil
}

// monthArg is a --period or --bill-from value: a month in the years the
// jobs take.
func monthArg(v string) (invoice.Month, error) {
	m, err := invoice.ParseMonth(v)
	if err == nil {
		err = inYears(m.String())
	}
	return m, err
}

// commandFirst moves flags given before the command after it, so
// `cspbill --db URL ingest --inbox DIR` works as `cspbill ingest --db URL
// --inbox DIR` does (SPEC §6 names --db without saying where it goes). A
// flag before the command takes its value from the next argument unless it
// is written --flag=value; every flag that may come first (--db,
// --log-format, --cancel-window-days, --lock-wait) takes one. Help and
// version stay where they are.
func commandFirst(args []string) []string {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		switch args[i] {
		case "-h", "-help", "--help", "--version", "-version":
			return args
		}
		if strings.Contains(args[i], "=") {
			i++
		} else {
			i += 2
		}
	}
	if i == 0 || i >= len(args) {
		return args
	}
	out := append([]string{args[i]}, args[:i]...)
	return append(out, args[i+1:]...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	// A panic (a bug) would end the process with Go's exit code 2, which
	// says "bad usage" to a timer: it is a failure (1), said as one, once
	// the deferred rollbacks and unlocks have run on the way up.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "cspbill: internal error (a bug; what the run had not committed is rolled back): %v\n%s", r, debug.Stack())
			code = exitFailed
		}
	}()
	args = commandFirst(args)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "cspbill", version)
		return exitOK
	}
	fs := flag.NewFlagSet("cspbill "+cmd, flag.ContinueOnError)
	var flagOut bytes.Buffer // what the flag package says, shown once the log format is known
	fs.SetOutput(&flagOut)
	var c common
	c.register(fs)
	var (
		inbox, out, asOf, period, billFrom string
		reconFile, reconMap, tolerance     string
		dryRun                             bool
		sched                              scheduleFlags
	)
	switch cmd {
	case "ingest":
		fs.StringVar(&inbox, "inbox", "", "inbox folder to load (required)")
	case "post":
		fs.StringVar(&asOf, "as-of", "", "post everything due through this day, YYYY-MM-DD (required)")
		fs.BoolVar(&dryRun, "dry-run", false, "show what would be posted, write nothing")
	case "close":
		fs.StringVar(&period, "period", "", "the month to close, YYYY-MM (required)")
		fs.StringVar(&out, "out", "", "folder for the invoice files (required)")
		fs.StringVar(&billFrom, "bill-from", "", "first billed month, YYYY-MM (first close only; default the period)")
		fs.BoolVar(&dryRun, "dry-run", false, "show what would be posted and billed, write nothing")
		fs.BoolVar(&c.perCustomer, "per-customer", false, "also write OUT/YYYY-MM/customers/<id>/<invoice>.csv and .xlsx")
	case "reconcile":
		fs.StringVar(&period, "period", "", "the closed month to reconcile, YYYY-MM (required)")
		fs.StringVar(&reconFile, "file", "", "Partner Center's reconciliation CSV (required)")
		fs.StringVar(&reconMap, "map", "", "optional mapping CSV: kind,partner_center_id,cspbill_id")
		fs.StringVar(&out, "out", "", "folder for reconciliation.csv and .xlsx (required)")
		fs.StringVar(&tolerance, "tolerance", "", "rounding tolerance per unit, in the currency's major unit (default one minor unit: 0.01 USD, 1 JPY; 0: exact)")
	case "demo":
		fs.StringVar(&out, "out", "out", "folder for the invoice files")
	case "schedule":
		sched.register(fs)
	case "migrate":
	default:
		fmt.Fprintf(stderr, "cspbill: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.Copy(stderr, &flagOut) // asked for by a person
			return exitOK
		}
		if log, lerr := newLogger(stderr, c.logFormat); lerr == nil && c.logFormat == "json" {
			log.Error(fmt.Sprintf("cspbill %s: %v", cmd, err)) // a JSON log stays JSON lines
		} else {
			io.Copy(stderr, &flagOut)
		}
		return exitUsage
	}
	io.Copy(stderr, &flagOut)
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cspbill %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return exitUsage
	}
	log, err := newLogger(stderr, c.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "cspbill %s: %v\n", cmd, err)
		return exitUsage
	}
	if c.logFormat == "json" {
		stderr = jsonErrors{log} // from here on, every message is a log line
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "cspbill %s: "+format+"\n", append([]any{cmd}, a...)...)
		return exitUsage
	}
	if c.window < 0 {
		return usageErr("--cancel-window-days %d: want 0 or more days (0: the day of the purchase only)", c.window)
	}
	// Parse every argument before touching the ledger.
	var asOfDay invoice.Date
	var month, from invoice.Month
	var tol decimal.Decimal
	switch cmd {
	case "ingest":
		if inbox == "" {
			return usageErr("--inbox is required")
		}
	case "post":
		if asOfDay, err = invoice.ParseDate(asOf); err == nil {
			err = inYears(asOfDay.String())
		}
		if err != nil {
			return usageErr("--as-of: %v", err)
		}
	case "close":
		if month, err = monthArg(period); err != nil {
			return usageErr("--period: %v", err)
		}
		if out == "" {
			return usageErr("--out is required")
		}
		if billFrom != "" {
			if from, err = monthArg(billFrom); err != nil {
				return usageErr("--bill-from: %v", err)
			}
		}
	case "reconcile":
		if month, err = monthArg(period); err != nil {
			return usageErr("--period: %v", err)
		}
		if reconFile == "" || out == "" {
			return usageErr("--file and --out are required")
		}
		if tolerance == "" {
			tol = decimal.Zero // recon's default: one minor unit of each line's currency
		} else if tol, err = invoice.ParseDecimal(tolerance); err != nil || tol.IsNegative() {
			return usageErr("--tolerance %q: want a decimal of zero or more", tolerance)
		} else if tol.IsZero() {
			// Exact, as asked: to recon a zero tolerance means its default
			// (0.01), and --tolerance 0 reported differences of a cent as
			// matched (found by an audit); a negative one means none.
			tol = decimal.NewFromInt(-1)
		}
	case "schedule":
		if err := sched.check(); err != nil {
			return usageErr("%v", err)
		}
	}
	if c.lockWait < 0 {
		return usageErr("--lock-wait %s: want 0s (do not wait) or more", c.lockWait)
	}
	if cmd == "demo" {
		// The demo loads the fixtures into its ledger: never into one
		// --db or CSPBILL_DB names (a production ledger, in a cron
		// environment), which it used to wipe (SQLite) or fill (found by
		// an audit).
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "db" })
		if given {
			return usageErr("--db: the demo runs on a fresh ledger of its own, %s, never on another (it would load the fixtures into it)",
				filepath.Join(out, "demo.db"))
		}
		return demo(ctx, c, out, log, stdout, stderr)
	}
	if err := ledger.CheckURL(c.db); err != nil {
		return usageErr("--db: %v", err)
	}

	l, err := ledger.Open(ctx, c.db)
	if err != nil {
		fmt.Fprintf(stderr, "cspbill %s: open ledger %s: %v\n", cmd, ledger.Redact(c.db), err)
		return exitFailed
	}
	defer l.Close()
	d := jobs.Deps{Ledger: l, Log: log, Window: &c.window, LockWait: c.lockWait, Progress: progressOut(stderr), Hook: crashHook()}

	var s jobs.Summary
	switch cmd {
	case "migrate":
		fmt.Fprintf(stdout, "ledger %s is migrated\n", ledger.Redact(c.db))
		return exitOK
	case "ingest":
		s, err = jobs.Ingest(ctx, d, inbox)
	case "post":
		s, err = jobs.Post(ctx, d, asOfDay, dryRun)
	case "close":
		s, err = jobs.Close(ctx, d, jobs.CloseOptions{Period: month, Out: out, BillFrom: from, PerCustomer: c.perCustomer, DryRun: dryRun})
	case "reconcile":
		s, _, err = jobs.Reconcile(ctx, d, jobs.ReconcileOptions{Period: month, File: reconFile, Map: reconMap, Out: out, Tolerance: tol})
	case "schedule":
		err = runSchedule(ctx, d, sched, stdout)
		if err == nil {
			return exitOK
		}
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		// Stopped by a signal: PostgreSQL reports the statement it cancelled
		// as an error of its own (57014), which read as a lost connection
		// (found by a review).
		err = fmt.Errorf("%w (%v)", context.Canceled, err)
	}
	if c.logFormat == "json" {
		// Logs and summary in one format: a cron job's file (stdout and
		// stderr together) is all JSON lines.
		printJSONSummary(stdout, s)
		return outcome(cmd, s, err, stderr)
	}
	return finish(cmd, s, err, stdout, stderr)
}

// finish prints the run's summary and maps its outcome to an exit code.
func finish(cmd string, s jobs.Summary, err error, stdout, stderr io.Writer) int {
	printSummary(stdout, s)
	return outcome(cmd, s, err, stderr)
}

// outcome says what went wrong, if anything, and returns the exit code.
func outcome(cmd string, s jobs.Summary, err error, stderr io.Writer) int {
	switch {
	case errors.Is(err, jobs.ErrUsage):
		fmt.Fprintf(stderr, "cspbill %s: %v\n", cmd, err)
		return exitUsage
	case errors.Is(err, ledger.ErrBusy):
		fmt.Fprintf(stderr, "cspbill %s: %v\n", cmd, err)
		return exitFailed
	case errors.Is(err, context.Canceled):
		// SIGINT or SIGTERM: what the run had not committed rolled back.
		fmt.Fprintf(stderr, "cspbill %s stopped by a signal: nothing uncommitted was kept; run it again to finish (%v)\n", cmd, err)
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "cspbill %s failed: %v\n", cmd, err)
		return exitFailed
	case s.NeedsAttention():
		return exitAttention
	}
	return exitOK
}

// printJSONSummary is printSummary under --log-format json: the summary as
// one JSON object.
func printJSONSummary(w io.Writer, s jobs.Summary) {
	if s.RunID == "" {
		return
	}
	json.NewEncoder(w).Encode(struct {
		Msg string `json:"msg"`
		jobs.Summary
	}{"summary", s})
}

func printSummary(w io.Writer, s jobs.Summary) {
	if s.RunID == "" {
		return
	}
	dry := ""
	if s.DryRun {
		dry = " (dry run: nothing written)"
	}
	fmt.Fprintf(w, "%s run %s%s\n", s.Command, s.RunID, dry)
	if s.Command == "reconcile" {
		fmt.Fprintf(w, "  partner center rows %d, unreadable %d, lines that differ or are missing on one side %d (see %s)\n",
			s.Read, s.Rejected, s.Differences, s.Out)
		return
	}
	for _, f := range s.Files {
		switch {
		case f.Skipped:
			fmt.Fprintf(w, "  %-32s already loaded, skipped\n", f.Name)
		case f.Error != "":
			fmt.Fprintf(w, "  %-32s REJECTED WHOLE: %s\n", f.Name, f.Error)
		default:
			fmt.Fprintf(w, "  %-32s read %d = accepted %d + rejected %d (held %d)\n", f.Name, f.Read, f.Accepted, f.Rejected, f.Held)
		}
	}
	fmt.Fprintf(w, "  files %d (skipped %d, rejected whole %d), rows read %d, accepted %d, rejected %d, held %d\n",
		len(s.Files), s.FilesSkipped, s.FilesRejected, s.Read, s.Accepted, s.Rejected, s.Held)
	fmt.Fprintf(w, "  transactions posted %d, invoices written %d", s.Posted, s.Invoices)
	if len(s.Periods) > 0 {
		fmt.Fprintf(w, ", periods closed %v", s.Periods)
	}
	fmt.Fprintf(w, ", %s\n", s.Elapsed.Round(10*time.Millisecond))
}

// jsonErrors writes each message a run prints for a person (a usage error,
// a failure, the lock's "try again later") as one JSON log line at level
// ERROR, under --log-format json: a cron job's file, stdout and stderr
// together, is then all JSON lines (they were plain text among them: found
// by an audit).
type jsonErrors struct{ log *slog.Logger }

func (j jsonErrors) Write(p []byte) (int, error) {
	if msg := strings.TrimRight(string(p), "\n"); msg != "" {
		j.log.Error(msg)
	}
	return len(p), nil
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// crashHook lets the crash tests kill the process with SIGKILL at a named
// point of a job (CSPBILL_TEST_CRASH_AT=post:posted, close:before-publish, …;
// jobs.Deps.Hook lists them): no deferred function runs, no transaction
// commits, as in a power cut.
// CSPBILL_TEST_PANIC_AT=point panics there instead, as a bug would;
// CSPBILL_TEST_SIGNAL_AT=point sends the process SIGTERM.
func crashHook() func(string) error {
	at, panicAt, signalAt := os.Getenv("CSPBILL_TEST_CRASH_AT"), os.Getenv("CSPBILL_TEST_PANIC_AT"), os.Getenv("CSPBILL_TEST_SIGNAL_AT")
	if at == "" && panicAt == "" && signalAt == "" {
		return nil
	}
	return func(point string) error {
		if point == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // SIGKILL cannot be caught; wait for it
		}
		if point == signalAt {
			// As a timer stopping the run: the run goes on until its
			// context's cancellation reaches it.
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			time.Sleep(100 * time.Millisecond)
		}
		if point == panicAt {
			panic("test panic at " + point)
		}
		return nil
	}
}

// progressOut is the terminal progress bars draw on, or nil when output is
// not a terminal (cron, systemd, pipes).
func progressOut(stderr io.Writer) io.Writer {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}
