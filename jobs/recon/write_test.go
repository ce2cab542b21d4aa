package recon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"cspbill/invoice"
	"cspbill/invoice/output"
)

func writeReport() Report {
	evil := func(l *LedgerLine) { l.CustomerID, l.OrderID = "=HYPERLINK(\"http://x\")", "+O-9" }
	ledger := []LedgerLine{
		line(),
		line(func(l *LedgerLine) {
			l.ChargeStart = invoice.MustDate("2026-10-20")
			l.OrderID = "O-2"
			l.SubscriptionID = "S-2"
		}),
		line(evil),
		line(func(l *LedgerLine) {
			l.CustomerID, l.Currency, l.ChargeType, l.OrderID, l.SubscriptionID = "C002", invoice.MustCurrency("KWD"), "new", "O-3", ""
			l.Quantity, l.Net, l.Tax, l.Gross = 3, 1113704, 55685, 1169389
		}),
	}
	rows := []Row{
		row(func(r *Row) { r.Subtotal, r.Total = dec("131.39"), dec("131.39") }),
		row(func(r *Row) {
			r.Line, r.CustomerID, r.CustomerDomainName = 3, "=HYPERLINK(\"http://x\")", ""
			r.OrderID = "+O-9"
		}),
		row(func(r *Row) {
			r.Line, r.CustomerDomainName, r.Currency, r.ChargeType, r.OrderID, r.SubscriptionID = 4, "fabrikam.de", invoice.MustCurrency("KWD"), "new", "O-3", "pc-sub"
			r.Quantity, r.Subtotal, r.TaxTotal, r.Total = dec("3"), dec("1113.7045"), dec("55.685"), dec("1169.3895")
		}),
		row(func(r *Row) { r.Line, r.OrderID, r.SubscriptionID, r.ChargeType = 5, "O-4", "S-4", "new" }),
	}
	customers := append([]Customer{{"=HYPERLINK(\"http://x\")", ""}}, testCustomers...)
	rep := Match("2026-10", ledger, customers, rows, Options{})
	rep.Rejects = []*RowError{{File: "recon.csv", Line: 6, Field: "Subtotal", Value: "@SUM(1)", Err: invoice.ErrBadAmount}}
	return rep
}

func TestWrite(t *testing.T) {
	out := t.TempDir()
	rep := writeReport()
	if err := Write(context.Background(), out, "2026-10", rep); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "2026-10")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want 0640", e.Name(), fi.Mode().Perm())
		}
	}
	if want := []string{RejectsFile, CSVFile, WorkbookFile}; !reflect.DeepEqual(names, want) {
		t.Errorf("files %v, want %v (no temporary file left)", names, want)
	}

	b, err := os.ReadFile(filepath.Join(dir, CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"kind,customer_id,currency,charge_type,order_id,subscription_id,sku_id,charge_start,invoice_number,ledger_quantity,ledger_net,ledger_tax,ledger_gross,partner_center_quantity,partner_center_subtotal,partner_center_tax,partner_center_total,delta,delta_total,ledger_source,partner_center_source,note",
		`matched,"=HYPERLINK(""http://x"")",USD,cycleCharge,+O-9,S-1,RDS-CAL,2026-10-15,INV-2026-10-000001,12,131.40,0.00,131.40,12,131.40,0.00,131.40,0.00,,orders.csv:5,recon.csv:3,`,
		"matched,C001,USD,cycleCharge,O-1,S-1,RDS-CAL,2026-10-15,INV-2026-10-000001,12,131.40,0.00,131.40,12,131.39,0.00,131.39,-0.01,,orders.csv:5,recon.csv:2,within tolerance 0.12: net delta -0.01",
		"partner_center_only,C001,USD,new,O-4,S-4,RDS-CAL:0001,2026-10-15,,,,,,12,131.40,0.00,131.40,131.40,,,recon.csv:5,not in the ledger's lines of 2026-10",
		"ledger_only,C001,USD,cycleCharge,O-2,S-2,RDS-CAL,2026-10-20,INV-2026-10-000001,12,131.40,0.00,131.40,,,,,-131.40,,orders.csv:5,,not in Partner Center's file",
		"matched,C002,KWD,new,O-3,,RDS-CAL,2026-10-15,INV-2026-10-000001,3,1113.704,55.685,1169.389,3,1113.7045,55.685,1169.3895,0.0005,0.0005,orders.csv:5,recon.csv:4,\"within tolerance 0.003: net delta 0.0005, gross delta 0.0005\"",
		"",
	}, "\n")
	if string(b) != want {
		t.Errorf("%s\n%s\nwant\n%s", CSVFile, b, want)
	}
	b, _ = os.ReadFile(filepath.Join(dir, RejectsFile))
	if want := "file,line,field,value,message\nrecon.csv,6,Subtotal,@SUM(1),not a decimal amount\n"; string(b) != want {
		t.Errorf("%s\n%s\nwant\n%s", RejectsFile, b, want)
	}

	f, err := excelize.OpenFile(filepath.Join(dir, WorkbookFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{SummarySheet, DetailSheet, RejectsSheet}) {
		t.Errorf("sheets %v", got)
	}
	summary, _ := f.GetRows(SummarySheet, excelize.Options{RawCellValue: true})
	wantSummary := [][]string{
		SummaryColumns,
		{`=HYPERLINK("http://x")`, "USD", "1", "0", "0", "0", "131.4", "131.4", "0"},
		{"C001", "USD", "1", "0", "1", "1", "262.8", "262.79", "-0.01"},
		{"C002", "KWD", "1", "0", "0", "0", "1113.704", "1113.7045", "0.0005"},
	}
	if !reflect.DeepEqual(summary, wantSummary) {
		t.Errorf("Summary\n%q\nwant\n%q", summary, wantSummary)
	}
	// A number cell has no type attribute (CellTypeUnset); text is an
	// inline string, never a formula.
	for _, c := range []struct {
		sheet, cell string
		typ         excelize.CellType
		value       string
	}{
		{SummarySheet, "A2", excelize.CellTypeInlineString, `=HYPERLINK("http://x")`},
		{DetailSheet, "B2", excelize.CellTypeInlineString, `=HYPERLINK("http://x")`},
		{DetailSheet, "E2", excelize.CellTypeInlineString, "+O-9"},
		{DetailSheet, "K3", excelize.CellTypeUnset, "131.4"},
		{DetailSheet, "O3", excelize.CellTypeUnset, "131.39"},
		{DetailSheet, "R3", excelize.CellTypeUnset, "-0.01"},
		{DetailSheet, "O6", excelize.CellTypeUnset, "1113.7045"},
		{RejectsSheet, "D2", excelize.CellTypeInlineString, "@SUM(1)"},
	} {
		typ, _ := f.GetCellType(c.sheet, c.cell)
		v, _ := f.GetCellValue(c.sheet, c.cell, excelize.Options{RawCellValue: true})
		formula, _ := f.GetCellFormula(c.sheet, c.cell)
		if typ != c.typ || v != c.value || formula != "" {
			t.Errorf("%s!%s: type %v value %q formula %q; want type %v value %q, no formula", c.sheet, c.cell, typ, v, formula, c.typ, c.value)
		}
	}
	if st, _ := f.GetCellStyle(DetailSheet, "K3"); st == 0 {
		t.Errorf("Detail!K3 has no money format")
	}

	// A second run replaces the files in place.
	rep.Rejects = nil
	if err := Write(context.Background(), out, "2026-10", rep); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, RejectsFile))
	if string(b) != "file,line,field,value,message\n" {
		t.Errorf("rejects after the second run: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d files after the second run, want 3", len(entries))
	}
}

func TestWriteRefusesBadPeriod(t *testing.T) {
	out := t.TempDir()
	for _, p := range []string{"2026-1", "../2026-10", "2026-10/x", ""} {
		err := Write(context.Background(), out, p, Report{})
		if !errors.Is(err, output.ErrUnsafeName) {
			t.Errorf("Write(%q) = %v, want ErrUnsafeName", p, err)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %d entries for bad periods", len(entries))
	}
}

func TestWriteCancelled(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Write(ctx, out, "2026-10", writeReport()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(filepath.Join(out, "2026-10"))
	if len(entries) != 0 {
		t.Errorf("a cancelled run left %d files", len(entries))
	}
}

// The Summary is summed as items come, so a customer and currency met again
// after another would be two rows: the Writer refuses it and leaves
// nothing behind.
func TestWriterRefusesItemsOutOfReportOrder(t *testing.T) {
	out := t.TempDir()
	rep := writeReport()
	items := append(slices.Clone(rep.Items), rep.Items[0])
	err := Write(context.Background(), out, "2026-10", Report{Items: items})
	if err == nil || !strings.Contains(err.Error(), "items out of report order") {
		t.Fatalf("Write = %v, want items out of report order", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "2026-10")); len(entries) != 0 {
		t.Errorf("a refused write left %d files", len(entries))
	}
}

// Items past a sheet's rows continue on "Detail 2", … each with its header,
// as the close's Lines do, instead of failing the reconciliation; the CSV
// is one file whatever the count.
func TestWriteSplitsLongSheets(t *testing.T) {
	out := t.TempDir()
	rep := writeReport()
	if err := writeWhole(context.Background(), out, "2026-10", rep, 3); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(out, "2026-10", WorkbookFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var details []string
	var rows [][]string
	for _, name := range f.GetSheetList() {
		if !strings.HasPrefix(name, DetailSheet) {
			continue
		}
		details = append(details, name)
		got, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !slices.Equal(got[0], Columns) {
			t.Fatalf("sheet %s has no header row: %q", name, got)
		}
		rows = append(rows, got[1:]...)
	}
	// 5 items, 2 a sheet under a header: Detail, Detail 2, Detail 3.
	if want := []string{"Detail", "Detail 2", "Detail 3"}; !slices.Equal(details, want) || len(rep.Items) != 5 {
		t.Fatalf("sheets %q for %d items, want %q", details, len(rep.Items), want)
	}
	if len(rows) != len(rep.Items) {
		t.Fatalf("%d Detail rows, want %d", len(rows), len(rep.Items))
	}
	for i, it := range rep.Items {
		if rows[i][0] != string(it.Kind) || rows[i][1] != it.CustomerID || rows[i][4] != it.OrderID {
			t.Errorf("Detail row %d = %q, want item %s %s %s", i+1, rows[i][:5], it.Kind, it.CustomerID, it.OrderID)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "2026-10", CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 1+len(rep.Items) {
		t.Errorf("reconciliation.csv has %d lines, want %d", n, 1+len(rep.Items))
	}
}

// A reconciliation killed partway leaves hidden files; the next one removes
// them, and nothing of a close's beside them.
func TestWriteRemovesWhatAKilledRunLeft(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join(out, "2026-10")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	left := []string{".reconciliation.csv.tmp-123", ".reconciliation.xlsx.Detail.tmp-9", ".reconciliation-sort-77", ".cspbill-rows-5"}
	kept := []string{"invoices.csv", ".customers-old-1"}
	for _, name := range append(slices.Clone(left), kept...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(context.Background(), out, "2026-10", writeReport()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{".customers-old-1", "invoices.csv", RejectsFile, CSVFile, WorkbookFile}
	if !slices.Equal(names, want) {
		t.Errorf("folder holds %q, want %q", names, want)
	}
}
