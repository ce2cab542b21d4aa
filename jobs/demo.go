package jobs

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"cspbill/invoice"
)

// Demo copies a bundled inbox to a folder beside the output, ingests it and
// closes period (its first billed month) into out: a whole close with no
// setup. It returns the two runs' summaries.
func Demo(ctx context.Context, d Deps, inbox fs.FS, period invoice.Month, out string) (ingest, closed Summary, err error) {
	dir := filepath.Join(out, "demo-inbox")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return ingest, closed, err
	}
	names, err := fs.Glob(inbox, "inbox/*.csv") // the recon files stay out of the inbox
	if err != nil {
		return ingest, closed, err
	}
	for _, n := range names {
		if err := copyFile(inbox, n, filepath.Join(dir, filepath.Base(n))); err != nil {
			return ingest, closed, err
		}
	}
	if ingest, err = Ingest(ctx, d, dir); err != nil {
		return ingest, closed, err
	}
	closed, err = Close(ctx, d, CloseOptions{Period: period, Out: out, BillFrom: period, PerCustomer: true})
	return ingest, closed, err
}

// DemoReconcile reconciles the demo period against the bundled Partner
// Center file, which carries a few deliberate differences
// (fixtures/recon/README.md).
func DemoReconcile(ctx context.Context, d Deps, bundle fs.FS, period invoice.Month, out string) (Summary, error) {
	dir := filepath.Join(out, "demo-inbox")
	file, mapping := filepath.Join(dir, "recon-"+period.String()+".csv"), filepath.Join(dir, "map-"+period.String()+".csv")
	if err := copyFile(bundle, "recon/recon-"+period.String()+".csv", file); err != nil {
		return Summary{}, err
	}
	if err := copyFile(bundle, "recon/map-"+period.String()+".csv", mapping); err != nil {
		return Summary{}, err
	}
	s, _, err := Reconcile(ctx, d, ReconcileOptions{Period: period, File: file, Map: mapping, Out: out})
	return s, err
}

func copyFile(src fs.FS, name, dst string) error {
	in, err := src.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", name, err)
	}
	return nil
}
