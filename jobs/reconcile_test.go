package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"cspbill/fixtures"
	"cspbill/invoice"
	"cspbill/jobs/recon"
)

var october, _ = invoice.ParseMonth("2026-10")

// closedDemo is the demo ledger with October closed.
func closedDemo(t *testing.T) Deps {
	t.Helper()
	_, d := sqliteDeps(t)
	out := t.TempDir()
	if _, _, err := Demo(context.Background(), d, fixtures.Inbox, october, out); err != nil {
		t.Fatal(err)
	}
	return d
}

// reconcileOptions reconcile October against the bundled Partner Center
// file with runs of runSize rows.
func reconcileOptions(out string, runSize int) ReconcileOptions {
	return ReconcileOptions{Period: october, Out: out, RunSize: runSize,
		File: "../fixtures/recon/recon-2026-10.csv", Map: "../fixtures/recon/map-2026-10.csv"}
}

// sheetRows is every sheet of a workbook as text rows.
func sheetRows(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		if out[name], err = f.GetRows(name); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The reconciliation streams through sort runs on disk; however small the
// runs, it writes the same files (the fixture's 22 items: 19 matched, one
// differs, one only in Partner Center, one only in the ledger) and leaves
// nothing but them in the period folder.
func TestReconcile_SpilledRunsWriteTheSameFiles(t *testing.T) {
	d := closedDemo(t)
	var files [2]map[string]string
	var books [2]map[string][][]string
	for i, runSize := range []int{0, 1} {
		out := t.TempDir()
		s, rep, err := Reconcile(context.Background(), d, reconcileOptions(out, runSize))
		if err != nil {
			t.Fatal(err)
		}
		want := map[recon.Kind]int{recon.Matched: 19, recon.Differs: 1, recon.PartnerCenterOnly: 1, recon.LedgerOnly: 1}
		for k, n := range want {
			if rep.Counts[k] != n {
				t.Errorf("runs of %d: %d %s, want %d", runSize, rep.Counts[k], k, n)
			}
		}
		if s.Read != 23 || s.Differences != 3 || s.Rejected != 0 || !rep.HasDifferences() {
			t.Errorf("runs of %d: summary read %d, differences %d, rejected %d", runSize, s.Read, s.Differences, s.Rejected)
		}
		dir := filepath.Join(out, "2026-10")
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{recon.RejectsFile, recon.CSVFile, recon.WorkbookFile}; !slices.Equal(names, want) {
			t.Errorf("runs of %d: folder holds %v, want %v", runSize, names, want)
		}
		files[i] = map[string]string{}
		for _, name := range []string{recon.CSVFile, recon.RejectsFile} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			files[i][name] = string(b)
		}
		books[i] = sheetRows(t, filepath.Join(dir, recon.WorkbookFile))
		if n := strings.Count(files[i][recon.CSVFile], "\n"); n != 23 {
			t.Errorf("runs of %d: reconciliation.csv has %d lines, want a header and 22 items", runSize, n)
		}
		if got := len(books[i][recon.DetailSheet]); got != 23 {
			t.Errorf("runs of %d: Detail has %d rows, want 23", runSize, got)
		}
	}
	for name := range files[0] {
		if files[0][name] != files[1][name] {
			t.Errorf("%s differs with runs of one row:\n%s\nvs\n%s", name, files[1][name], files[0][name])
		}
	}
	for sheet, rows := range books[0] {
		if !slices.EqualFunc(rows, books[1][sheet], slices.Equal) {
			t.Errorf("sheet %s differs with runs of one row", sheet)
		}
	}
}

// A reconciliation stopped partway leaves neither its files nor its sort
// runs, and a file that cannot be read is named.
func TestReconcile_FailedRunLeavesNothing(t *testing.T) {
	d := closedDemo(t)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Reconcile(ctx, d, reconcileOptions(out, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled reconcile: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "recon.csv")
	if err := os.WriteFile(bad, []byte("CustomerId,OrderId\nx,y\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	opt := reconcileOptions(out, 1)
	opt.File = bad
	_, _, err := Reconcile(context.Background(), d, opt)
	if err == nil || !strings.Contains(err.Error(), "reconciliation file: recon.csv:1") {
		t.Fatalf("reconcile of a file without columns: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(out, "2026-10"))
	if len(entries) != 0 {
		t.Errorf("failed runs left %d files", len(entries))
	}
}

// TestReconcile_RowsReadAreAcceptedPlusRejected: the summary counts as
// ingest does (§5): a file of the bundled 23 rows and one unreadable row
// reads 24 = 23 + 1. It said read 23, accepted 0, rejected 1 (found by an
// audit).
func TestReconcile_RowsReadAreAcceptedPlusRejected(t *testing.T) {
	d := closedDemo(t)
	b, err := os.ReadFile("../fixtures/recon/recon-2026-10.csv")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "recon-2026-10.csv")
	bad := strings.Repeat("x,", 45) + "x\r\n" // 46 columns, nothing readable
	if err := os.WriteFile(file, append(b, bad...), 0o640); err != nil {
		t.Fatal(err)
	}
	opt := reconcileOptions(t.TempDir(), 0)
	opt.File = file
	s, _, err := Reconcile(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	if s.Read != 24 || s.Accepted != 23 || s.Rejected != 1 {
		t.Errorf("read %d accepted %d rejected %d, want 24 = 23 + 1", s.Read, s.Accepted, s.Rejected)
	}
}
