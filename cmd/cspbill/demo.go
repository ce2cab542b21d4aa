package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"cspbill/fixtures"
	"cspbill/invoice"
	"cspbill/jobs"
	"cspbill/ledger"
)

// demo runs a whole close on the bundled fixtures with a fresh embedded
// SQLite ledger of its own, OUT/demo.db (whatever CSPBILL_DB says), and
// prints where the files are and their totals.
func demo(ctx context.Context, c common, out string, log *slog.Logger, stdout, stderr io.Writer) int {
	if err := os.MkdirAll(out, 0o750); err != nil {
		fmt.Fprintf(stderr, "cspbill demo: %v\n", err)
		return exitFailed
	}
	path := filepath.Join(out, "demo.db")
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		os.Remove(path + suffix) // a fresh ledger every time
	}
	db := "sqlite:" + path
	l, err := ledger.Open(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "cspbill demo: open ledger %s: %v\n", ledger.Redact(db), err)
		return exitFailed
	}
	defer l.Close()
	d := jobs.Deps{Ledger: l, Log: log, Window: &c.window, LockWait: c.lockWait, Progress: progressOut(stderr)}
	period, _ := invoice.ParseMonth(fixtures.DemoPeriod)
	in, closed, err := jobs.Demo(ctx, d, fixtures.Inbox, period, out)
	printSummary(stdout, in)
	if err != nil {
		return finish("demo", closed, err, stdout, stderr)
	}
	code := finish("demo", closed, nil, stdout, stderr)
	rs, err := jobs.DemoReconcile(ctx, d, fixtures.Inbox, period, out)
	if rcode := finish("reconcile", rs, err, stdout, stderr); rcode == exitFailed || rcode == exitUsage {
		return rcode
	}
	dir := filepath.Join(out, period.String())
	fmt.Fprintf(stdout, "\nThe %s invoices are in %s:\n", period, dir)
	for _, f := range []string{"invoices.xlsx", "invoices.csv", "invoice-lines.csv", "rejects.csv", "customers/", "reconciliation.xlsx", "reconciliation.csv"} {
		fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, f))
	}
	fmt.Fprintln(stdout, "\nTotals by currency:")
	totals := map[string][3]int64{}
	var order []string
	for inv, err := range l.Invoices(ctx, period.String()) {
		if err != nil {
			fmt.Fprintf(stderr, "cspbill demo: %v\n", err)
			return exitFailed
		}
		t, ok := totals[inv.Currency]
		if !ok {
			order = append(order, inv.Currency)
		}
		totals[inv.Currency] = [3]int64{t[0] + inv.Net, t[1] + inv.Tax, t[2] + inv.Gross}
	}
	for _, code := range order {
		cur := invoice.MustCurrency(code)
		t := totals[code]
		fmt.Fprintf(stdout, "  %s  net %14s  tax %12s  gross %14s\n", code, cur.Format(t[0]), cur.Format(t[1]), cur.Format(t[2]))
	}
	fmt.Fprintf(stdout, "\nThe ledger is %s. Exit code %d (3 means some fixture records are rejected or held, and Partner Center's file differs, on purpose: see rejects.csv and reconciliation.csv).\n", ledger.Redact(db), code)
	return code
}
