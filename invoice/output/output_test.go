package output

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"cspbill/invoice"
)

func stage(t *testing.T, out string, src Source, opt Options) *Staged {
	t.Helper()
	st, err := Stage(context.Background(), out, "2026-10", src, opt)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func publish(t *testing.T, out string, src Source, opt Options) *Staged {
	t.Helper()
	st := stage(t, out, src, opt)
	if err := st.Publish(); err != nil {
		t.Fatal(err)
	}
	return st
}

// entries lists every path under root (relative, slash-separated).
func entries(t *testing.T, root string) []string {
	t.Helper()
	var all []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			rel, _ := filepath.Rel(root, p)
			all = append(all, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestStagedTotals(t *testing.T) {
	src := goldenSource()
	st := stage(t, t.TempDir(), src, Options{})
	defer st.Discard()
	// invoice-lines.csv and the workbook's Lines sheet come from one read
	// of the lines (the per-customer files, not asked for here, need one
	// more).
	if src.linePasses != 1 {
		t.Errorf("the lines were read %d times, want once", src.linePasses)
	}
	want := map[string]Totals{
		"INV-2026-10-000001": {Currency: usd, Net: 45612, Tax: 3307, Gross: 48919, Lines: 3},
		"INV-2026-10-000002": {Currency: eur, Net: 112050, Tax: 21290, Gross: 133340, Lines: 2},
		"INV-2026-10-000003": {Currency: jpy, Net: 125000, Tax: 12500, Gross: 137500, Lines: 3},
		"INV-2026-10-000004": {Currency: kwd, Net: 1234442, Tax: 61722, Gross: 1296164, Lines: 2},
	}
	got := map[string]Totals{}
	var order []string
	for s, err := range st.Stated() {
		if err != nil {
			t.Fatal(err)
		}
		got[s.InvoiceNumber] = s.Totals
		order = append(order, s.InvoiceNumber)
	}
	if len(got) != len(want) || st.Invoices != len(want) {
		t.Fatalf("Stated = %v, Invoices = %d", got, st.Invoices)
	}
	if !slices.IsSorted(order) {
		t.Errorf("Stated gives %v, not in invoice order", order)
	}
	for no, w := range want {
		if got[no] != w {
			t.Errorf("Stated %s = %+v, want %+v", no, got[no], w)
		}
		if st.PeriodTotals[w.Currency.Code] != w { // one invoice per currency here
			t.Errorf("PeriodTotals[%s] = %+v, want %+v", w.Currency.Code, st.PeriodTotals[w.Currency.Code], w)
		}
	}
	if st.Rejects != 4 {
		t.Errorf("Rejects = %d, want 4", st.Rejects)
	}
	if got, want := strings.Join(st.Files, ","), "invoice-lines.csv,invoices.csv,invoices.xlsx,rejects.csv"; got != want {
		t.Errorf("Files = %s, want %s", got, want)
	}
	// Nothing else is staged: the temporary files are gone.
	if got := strings.Join(entries(t, st.Dir), ","); got != strings.Join(st.Files, ",") {
		t.Errorf("staging directory holds %s", got)
	}
}

// TestCSVInjection: free text is neutralised, amounts never are.
// TestCSVFilesKeepTextAsItIs: the CSV files are the contract other tools
// read (SPEC §4), so a text that starts with =, +, - or @ is written as it
// is (the workbook makes it a string cell: xlsx_test.go), and a credit's
// amounts are plain negative numbers.
func TestCSVFilesKeepTextAsItIs(t *testing.T) {
	out := t.TempDir()
	publish(t, out, goldenSource(), Options{})
	recs := readCSVFile(t, filepath.Join(out, "2026-10", LinesFile))
	credit := recs[2] // INV-…-000001's credit
	if got := credit[12:15]; strings.Join(got, ",") != "-233.87,-16.96,-250.83" {
		t.Errorf("credit amounts = %v, want them as plain negative numbers", got)
	}
	if got := recs[3][8]; got != "=SUM(A1:A9) Office LTSC Professional Plus 2024" {
		t.Errorf("description = %q, want the catalog's text as it is", got)
	}
}

// TestRerunIdentical: a second close of the same data writes the same bytes,
// replaces the earlier files and leaves no stale customer file.
func TestRerunIdentical(t *testing.T) {
	out := t.TempDir()
	publish(t, out, goldenSource(), Options{PerCustomer: true})
	dir := filepath.Join(out, "2026-10")
	first := map[string][]byte{}
	for _, name := range listFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		first[name] = b
	}
	stale := filepath.Join(dir, CustomersDir, "C999", "INV-2026-10-000999.csv")
	if err := os.MkdirAll(filepath.Dir(stale), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("stale"), 0o640); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "reconcile-report.csv") // another job's file
	if err := os.WriteFile(other, []byte("kept"), 0o640); err != nil {
		t.Fatal(err)
	}
	publish(t, out, goldenSource(), Options{PerCustomer: true})
	got := listFiles(t, dir)
	if len(got) != len(first)+1 {
		t.Errorf("files after re-run: %v", got)
	}
	for name, b := range first {
		nb, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, nb) {
			t.Errorf("%s differs on re-run", name)
		}
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale customer file survived the re-run: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another job's file was removed: %v", err)
	}
	for _, e := range entries(t, out) {
		if strings.HasPrefix(filepath.Base(e), ".") {
			t.Errorf("left behind: %s", e)
		}
	}
}

// TestCustomerFilesHoldOnlyTheirLines reads every per-customer CSV and
// workbook back.
func TestCustomerFilesHoldOnlyTheirLines(t *testing.T) {
	out := t.TempDir()
	src := goldenSource()
	publish(t, out, src, Options{PerCustomer: true})
	root := filepath.Join(out, "2026-10", CustomersDir)
	seen := 0
	for _, h := range src.headers {
		base := filepath.Join(root, h.CustomerID, h.InvoiceNumber)
		recs := readCSVFile(t, base+".csv")
		if strings.Join(recs[0], ",") != strings.Join(LineColumns, ",") {
			t.Errorf("%s header %v", base, recs[0])
		}
		if len(recs)-1 != h.Lines {
			t.Errorf("%s.csv: %d lines, want %d", base, len(recs)-1, h.Lines)
		}
		for _, r := range recs[1:] {
			if r[0] != h.InvoiceNumber || r[1] != h.CustomerID {
				t.Errorf("%s.csv holds a line of %s/%s", base, r[1], r[0])
			}
		}
		f, err := excelize.OpenFile(base + ".xlsx")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.GetSheetList(); strings.Join(got, ",") != "Summary,Lines" {
			t.Errorf("%s.xlsx sheets %v (no Rejects: they name other customers)", base, got)
		}
		rows, err := f.GetRows(LinesSheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows)-1 != h.Lines {
			t.Errorf("%s.xlsx: %d lines, want %d", base, len(rows)-1, h.Lines)
		}
		for _, r := range rows[1:] {
			if r[0] != h.InvoiceNumber || r[1] != h.CustomerID {
				t.Errorf("%s.xlsx holds a line of %s/%s", base, r[1], r[0])
			}
		}
		sum, err := f.GetRows(SummarySheet)
		if err != nil {
			t.Fatal(err)
		}
		if sum[1][0] != h.InvoiceNumber {
			t.Errorf("%s.xlsx Summary row %v", base, sum[1])
		}
		f.Close()
		seen += h.Lines
	}
	if seen != len(src.lines) {
		t.Errorf("customer files hold %d lines, the period %d", seen, len(src.lines))
	}
	if got := len(entries(t, root)); got != 4+8 {
		t.Errorf("customers/ holds %d entries, want 4 folders and 8 files", got)
	}
}

func TestDiscardLeavesNothing(t *testing.T) {
	out := t.TempDir()
	st := stage(t, out, goldenSource(), Options{PerCustomer: true})
	if _, err := os.Stat(filepath.Join(st.Dir, WorkbookFile)); err != nil {
		t.Fatalf("staged workbook: %v", err)
	}
	if err := st.Discard(); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, out); len(got) != 0 {
		t.Errorf("after Discard: %v", got)
	}
	if err := st.Publish(); !errors.Is(err, ErrNotStaged) {
		t.Errorf("Publish after Discard = %v, want ErrNotStaged", err)
	}
}

// TestStageFailurePublishesNothing: whatever goes wrong, Stage leaves no file
// at a final name and no staging folder, and an earlier close stays as it was.
func TestStageFailurePublishesNothing(t *testing.T) {
	cases := []struct {
		name   string
		change func(s *memSource)
		want   error
	}{
		{"header net differs", func(s *memSource) { s.headers[1].Net++ }, ErrTotalMismatch},
		{"header line count differs", func(s *memSource) { s.headers[0].Lines = 2 }, ErrTotalMismatch},
		{"header without lines", func(s *memSource) {
			s.headers = append(s.headers, invoice.Header{InvoiceNumber: "INV-2026-10-000005", CustomerID: "C005", Currency: usd})
		}, ErrTotalMismatch},
		{"lines without header", func(s *memSource) { s.headers = s.headers[:3] }, ErrTotalMismatch},
		{"lines without header between two", func(s *memSource) { s.headers = slices.Delete(s.headers, 1, 2) }, ErrTotalMismatch},
		{"two headers", func(s *memSource) { s.headers = slices.Insert(s.headers, 1, s.headers[1]) }, ErrBadData},
		{"headers out of order", func(s *memSource) { s.headers[0], s.headers[1] = s.headers[1], s.headers[0] }, ErrBadData},
		{"headers change between passes", func(s *memSource) { s.later = s.headers[:3] }, ErrSourceChanged},
		{"one header fewer counted", func(s *memSource) { s.skew.Invoices = -1 }, ErrSourceChanged},
		{"one reject more counted", func(s *memSource) { s.skew.Rejects = 1 }, ErrSourceChanged},
		{"one line more counted", func(s *memSource) { s.skew.Lines = 1 }, ErrSourceChanged},
		{"lines of an invoice apart", func(s *memSource) { s.lines[1], s.lines[3] = s.lines[3], s.lines[1] }, ErrBadData},
		{"net + tax ≠ gross", func(s *memSource) { s.lines[0].Tax++ }, ErrBadData},
		{"unknown currency", func(s *memSource) { s.lines[0].Currency = invoice.Currency{Code: "XXX", Digits: 2} }, ErrBadData},
		{"source fails", func(s *memSource) { s.failAfter = 4 }, errBoom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			publish(t, out, goldenSource(), Options{PerCustomer: true}) // an earlier close
			before := map[string][]byte{}
			for _, name := range listFiles(t, out) {
				before[name], _ = os.ReadFile(filepath.Join(out, name))
			}
			src := goldenSource()
			tc.change(src)
			st, err := Stage(context.Background(), out, "2026-10", src, Options{PerCustomer: true})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Stage = %v, want %v", err, tc.want)
			}
			if st != nil {
				t.Errorf("Stage returned files with an error")
			}
			after := listFiles(t, out)
			if len(after) != len(before) {
				t.Errorf("files changed: %v", after)
			}
			for _, name := range after {
				b, _ := os.ReadFile(filepath.Join(out, name))
				if !bytes.Equal(b, before[name]) {
					t.Errorf("%s changed", name)
				}
			}
			for _, e := range entries(t, out) {
				if strings.HasPrefix(e, ".") {
					t.Errorf("staging left behind: %s", e)
				}
			}
		})
	}
}

// TestMismatchMessage pins the wording an operator reads.
func TestMismatchMessage(t *testing.T) {
	src := goldenSource()
	src.headers[0].Net = 45611
	src.headers[0].Gross = 48918
	_, err := Stage(context.Background(), t.TempDir(), "2026-10", src, Options{})
	want := "invoices.csv: invoice total does not match its lines: invoice INV-2026-10-000001: header net 456.11, Σ lines 456.12; gross 489.18, Σ lines 489.19"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := t.TempDir()
	if _, err := Stage(ctx, out, "2026-10", goldenSource(), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stage = %v, want context.Canceled", err)
	}
	if got := entries(t, out); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func TestEmptyPeriod(t *testing.T) {
	out := t.TempDir()
	st := publish(t, out, &memSource{}, Options{PerCustomer: true})
	if st.Invoices != 0 || len(st.PeriodTotals) != 0 {
		t.Errorf("totals of an empty period: %d invoices, %v", st.Invoices, st.PeriodTotals)
	}
	dir := filepath.Join(out, "2026-10")
	for name, want := range map[string][]string{LinesFile: LineColumns, InvoicesFile: InvoiceColumns, RejectsFile: RejectColumns} {
		recs := readCSVFile(t, filepath.Join(dir, name))
		if len(recs) != 1 || strings.Join(recs[0], ",") != strings.Join(want, ",") {
			t.Errorf("%s = %v, want the header only", name, recs)
		}
	}
	f, err := excelize.OpenFile(filepath.Join(dir, WorkbookFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Summary,Lines,Rejects" {
		t.Errorf("sheets %s", got)
	}
}

func TestPeriodAndNames(t *testing.T) {
	for _, p := range []string{"2026-10", "1999-01"} {
		if _, err := periodDir(p); err != nil {
			t.Errorf("periodDir(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "2026-13", "2026-1", " 2026-10", "2026-10/..", "../2026-10", "2026-10-01"} {
		if _, err := periodDir(p); !errors.Is(err, ErrUnsafeName) {
			t.Errorf("periodDir(%q) = %v, want ErrUnsafeName", p, err)
		}
	}
	for _, s := range []string{"C001", "INV-2026-10-000001", "a.b_c-d", "7f3c9d2e-1b4a-4c8e-9f00-123456789abc"} {
		if err := safeName("id", s); err != nil {
			t.Errorf("safeName(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", ".", "..", ".hidden", "-rf", "_x", "a/b", `a\b`, "a..b", "a b", "C001\x00", "é", strings.Repeat("a", 129)} {
		if err := safeName("id", s); !errors.Is(err, ErrUnsafeName) {
			t.Errorf("safeName(%q) = %v, want ErrUnsafeName", s, err)
		}
	}
	if _, err := Stage(context.Background(), t.TempDir(), "../x", &memSource{}, Options{}); !errors.Is(err, ErrUnsafeName) {
		t.Errorf("Stage with period ../x = %v", err)
	}
}

// TestKilledBeforePublish: a run that stops after Stage leaves only its
// hidden staging folder; the next run publishes normally.
func TestKilledBeforePublish(t *testing.T) {
	out := t.TempDir()
	stage(t, out, goldenSource(), Options{}) // never published nor discarded
	got := entries(t, out)
	for _, e := range got {
		if !strings.HasPrefix(e, ".cspbill-staging-2026-10-") {
			t.Errorf("visible after Stage: %s", e)
		}
	}
	publish(t, out, goldenSource(), Options{})
	if _, err := os.Stat(filepath.Join(out, "2026-10", LinesFile)); err != nil {
		t.Error(err)
	}
}

// BenchmarkStage writes a period of 20,000 lines (5,000 invoices) with the
// workbook, per-customer files off.
func BenchmarkStage(b *testing.B) {
	src := bigSource(5000, 4)
	for b.Loop() {
		st, err := Stage(context.Background(), b.TempDir(), "2026-10", src, Options{})
		if err != nil {
			b.Fatal(err)
		}
		st.Discard()
	}
}

func bigSource(invoices, perInvoice int) *memSource {
	s := &memSource{}
	for i := range invoices {
		no := fmt.Sprintf("INV-2026-10-%06d", i+1)
		cust := fmt.Sprintf("C%05d", i)
		h := invoice.Header{InvoiceNumber: no, CustomerID: cust, CustomerName: "Customer " + cust, Currency: usd}
		for j := range perInvoice {
			net := int64(1000*i + 7*j + 1)
			tax := net / 10
			l := invoice.Line{InvoiceNumber: no, CustomerID: cust, Currency: usd, ChargeType: invoice.ChargeNew,
				OrderID: fmt.Sprintf("O-%d", i), LineNo: j + 1, SubscriptionID: fmt.Sprintf("S-%d-%d", i, j), SKU: "SKU:0001",
				Description: "Product", ChargeStart: day("2026-10-01"), ChargeEnd: day("2026-10-31"), Quantity: 1,
				Net: net, Tax: tax, Gross: net + tax, Source: "orders.csv:2"}
			s.lines = append(s.lines, l)
			h.Net += net
			h.Tax += tax
			h.Gross += net + tax
			h.Lines++
		}
		s.headers = append(s.headers, h)
	}
	return s
}

// A period big enough for its Lines sheet to move to a temporary file
// stages only its files, and the workbook holds every line.
func TestStageSpillsRowsAndLeavesOnlyItsFiles(t *testing.T) {
	const n = 12000 // ~10 MB of sheet XML, past sinkMemory
	src := &memSource{}
	for i := range n {
		src.lines = append(src.lines, invoice.Line{InvoiceNumber: "INV-2026-10-000001", CustomerID: "C001", Currency: usd,
			ChargeType: invoice.ChargeNew, OrderID: fmt.Sprintf("O-%05d", i), LineNo: 1, SubscriptionID: "S", SKU: "SKU",
			Description: strings.Repeat("d", 200), ChargeStart: day("2026-10-01"), ChargeEnd: day("2026-10-31"),
			Quantity: 1, Net: 100, Tax: 10, Gross: 110, Source: "orders.csv:2"})
	}
	src.headers = []invoice.Header{{InvoiceNumber: "INV-2026-10-000001", CustomerID: "C001", CustomerName: "Contoso",
		Currency: usd, Net: 100 * n, Tax: 10 * n, Gross: 110 * n, Lines: n}}
	st := stage(t, t.TempDir(), src, Options{})
	defer st.Discard()
	if got := strings.Join(entries(t, st.Dir), ","); got != strings.Join(st.Files, ",") {
		t.Errorf("staging directory holds %s", got)
	}
	f, err := excelize.OpenFile(filepath.Join(st.Dir, WorkbookFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(LinesSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 || rows[n][4] != fmt.Sprintf("O-%05d", n-1) {
		t.Errorf("Lines sheet: %d rows, last %v", len(rows), rows[len(rows)-1])
	}
}

// A per-customer file pair is closed on another goroutine while the next
// invoices' lines are read. When one fails to close (here its customer's
// folder is gone before its workbook is written), Stage fails with that
// error, waits for the others, and leaves no staging folder and no file.
func TestCustomerFileFailingToCloseFailsTheStage(t *testing.T) {
	out := t.TempDir()
	src := goldenSource()
	var prev invoice.Line
	removed := ""
	src.onLine = func(l invoice.Line) {
		// Only the per-customer pass has made the customer folders.
		if removed == "" && prev.InvoiceNumber != "" && l.InvoiceNumber != prev.InvoiceNumber {
			dirs, _ := filepath.Glob(filepath.Join(out, ".cspbill-staging-*", CustomersDir, prev.CustomerID))
			if len(dirs) == 1 {
				if err := os.RemoveAll(dirs[0]); err != nil {
					t.Error(err)
				}
				removed = prev.InvoiceNumber
			}
		}
		prev = l
	}
	st, err := Stage(context.Background(), out, "2026-10", src, Options{PerCustomer: true})
	if removed == "" {
		t.Fatal("the second pass never reached a second invoice")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), removed+".xlsx") {
		t.Fatalf("Stage = %v, want the failure to create %s.xlsx", err, removed)
	}
	if st != nil {
		t.Error("Stage returned files with an error")
	}
	if left := entries(t, out); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A close killed before it published leaves its staging folder, and one
// killed while swapping the customers folder leaves the old one: the next
// close of the period removes both, and nothing of another period's or the
// operator's. RemoveHidden refuses a prefix that is not hidden.
func TestStageRemovesWhatAKilledCloseLeft(t *testing.T) {
	out := t.TempDir()
	for _, d := range []string{".cspbill-staging-2026-10-111/x", ".cspbill-staging-2026-11-222", "2026-10/.customers-old-333/customers", "notes"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeLeftovers(out, "2026-10"); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if rel, _ := filepath.Rel(out, p); rel != "." {
			left = append(left, filepath.ToSlash(rel))
		}
		return err
	})
	if want := []string{".cspbill-staging-2026-11-222", "2026-10", "notes"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
	for _, p := range []string{"notes", "", "../x", "./.x"} {
		if err := RemoveHidden(out, p); err == nil {
			t.Errorf("RemoveHidden(%q) removed what it was given", p)
		}
	}
}

// TestCustomerFolder: every customer id the ledger accepts has a folder of
// its own under customers/: a safe id is its own name, any other is
// written %XX byte by byte (a close with --per-customer failed on it after
// locking its month, and every later close too: found by a review).
func TestCustomerFolder(t *testing.T) {
	long := strings.Repeat("é", 120)
	for id, want := range map[string]string{
		"C001":        "C001",
		"c-1.x_2":     "c-1.x_2",
		"../C001":     "%2E%2E%2FC001",
		"-C2":         "%2DC2",
		"Contoso Ltd": "Contoso%20Ltd",
		"ACME/7":      "ACME%2F7",
		"%2DC2":       "%252DC2",
		"a..b":        "a%2E%2Eb",
		"müller":      "m%C3%BCller",
	} {
		if got := CustomerFolder(id); got != want {
			t.Errorf("CustomerFolder(%q) = %q, want %q", id, got, want)
		}
		if err := safeName("folder", strings.ReplaceAll(CustomerFolder(id), "%", "x")); err != nil {
			t.Errorf("CustomerFolder(%q): %v", id, err)
		}
	}
	a, b := CustomerFolder(long), CustomerFolder(long+"x")
	if a == b || len(a) > 200 || len(b) > 200 {
		t.Errorf("long ids: %q and %q", a, b)
	}
}

// TestPerCustomerFilesOfAnyCustomerID: a customer whose id is no safe file
// name gets its files under its encoded folder, holding its lines only.
func TestPerCustomerFilesOfAnyCustomerID(t *testing.T) {
	src := goldenSource()
	for i := range src.lines {
		if src.lines[i].CustomerID == "C001" {
			src.lines[i].CustomerID = "../C 1"
		}
	}
	for i := range src.headers {
		if src.headers[i].CustomerID == "C001" {
			src.headers[i].CustomerID = "../C 1"
		}
	}
	out := t.TempDir()
	st := publish(t, out, src, Options{PerCustomer: true})
	b, err := os.ReadFile(filepath.Join(st.Final, CustomersDir, "%2E%2E%2FC%201", "INV-2026-10-000001.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		t.Fatalf("file:\n%s", b)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "INV-2026-10-000001,../C 1,") {
			t.Errorf("a line of another invoice or customer: %s", l)
		}
	}
	if _, err := os.Stat(filepath.Join(st.Final, CustomersDir, "%2E%2E%2FC%201", "INV-2026-10-000001.xlsx")); err != nil {
		t.Error(err)
	}
}
