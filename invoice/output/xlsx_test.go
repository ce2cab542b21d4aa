package output

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cspbill/invoice"
)

func openWorkbook(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func numFmt(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	sid, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(sid)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

func raw(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// autoFilters returns the autoFilter ref of every worksheet in the archive.
func autoFilters(t *testing.T, path string) []string {
	t.Helper()
	re := regexp.MustCompile(`<autoFilter ref="([$A-Z0-9:]+)"`)
	var refs []string
	for _, xml := range worksheets(t, path) {
		if m := re.FindStringSubmatch(xml); m != nil {
			refs = append(refs, m[1])
		}
	}
	slices.Sort(refs)
	return refs
}

// filterNames returns sheet → range of the _xlnm._FilterDatabase names.
func filterNames(f *excelize.File) map[string]string {
	m := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			m[dn.Scope] = dn.RefersTo
		}
	}
	return m
}

func TestWorkbook(t *testing.T) {
	out := t.TempDir()
	src := goldenSource()
	publish(t, out, src, Options{})
	path := filepath.Join(out, "2026-10", WorkbookFile)
	f := openWorkbook(t, path)

	if got := strings.Join(f.GetSheetList(), ","); got != "Summary,Lines,Rejects" {
		t.Fatalf("sheets = %s", got)
	}

	t.Run("summary totals are SUMIF formulas per currency", func(t *testing.T) {
		// Rows 2–5 hold the four invoices, row 6 is blank, rows 7–10 the
		// currencies in code order, row 11 the count of lines.
		for i, tc := range []struct {
			code, net, tax, gross, lines string
		}{
			{"EUR", "1120.5", "212.9", "1333.4", "2"},
			{"JPY", "125000", "12500", "137500", "3"},
			{"KWD", "1234.442", "61.722", "1296.164", "2"},
			{"USD", "456.12", "33.07", "489.19", "3"},
		} {
			row := 7 + i
			if got := raw(t, f, SummarySheet, fmt.Sprintf("D%d", row)); got != tc.code {
				t.Errorf("D%d = %q, want %s", row, got, tc.code)
			}
			for j, col := range []string{"E", "F", "G", "H"} {
				ref := fmt.Sprintf("%s%d", col, row)
				formula, err := f.GetCellFormula(SummarySheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("SUMIF($D$2:$D$5,$D%d,%s$2:%s$5)", row, col, col)
				if formula != want {
					t.Errorf("%s formula = %q, want %q", ref, formula, want)
				}
				if got := raw(t, f, SummarySheet, ref); got != []string{tc.net, tc.tax, tc.gross, tc.lines}[j] {
					t.Errorf("%s cached value = %q", ref, got)
				}
				if j < 3 {
					if got, want := numFmt(t, f, SummarySheet, ref), MoneyFormat(invoice.MustCurrency(tc.code)); got != want {
						t.Errorf("%s format = %q, want %q", ref, got, want)
					}
				}
			}
		}
		if formula, _ := f.GetCellFormula(SummarySheet, "H11"); formula != "SUM(H2:H5)" {
			t.Errorf("H11 formula = %q", formula)
		}
		if got := raw(t, f, SummarySheet, "H11"); got != "10" {
			t.Errorf("H11 = %q, want 10", got)
		}
	})

	t.Run("amounts are exact numbers with the currency's format", func(t *testing.T) {
		for i, l := range src.lines {
			row := i + 2
			for j, v := range []int64{l.Net, l.Tax, l.Gross} {
				ref := fmt.Sprintf("%c%d", 'M'+j, row)
				typ, _ := f.GetCellType(LinesSheet, ref)
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Errorf("%s type %v, want a number", ref, typ)
				}
				got := raw(t, f, LinesSheet, ref)
				if strings.ContainsAny(got, "eE") || !decimal.RequireFromString(got).Equal(l.Currency.Decimal(v)) {
					t.Errorf("%s = %q, want exactly %s", ref, got, l.Currency.Format(v))
				}
				if got, want := numFmt(t, f, LinesSheet, ref), MoneyFormat(l.Currency); got != want {
					t.Errorf("%s format = %q, want %q", ref, got, want)
				}
			}
		}
		for code, want := range map[string]string{"USD": `#,##0.00 "USD"`, "JPY": `#,##0 "JPY"`, "KWD": `#,##0.000 "KWD"`, "EUR": `#,##0.00 "EUR"`} {
			if got := MoneyFormat(invoice.MustCurrency(code)); got != want {
				t.Errorf("MoneyFormat(%s) = %q, want %q", code, got, want)
			}
		}
	})

	t.Run("dates are real dates", func(t *testing.T) {
		epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
		for i, l := range src.lines {
			row := i + 2
			for j, d := range []invoice.Date{l.ChargeStart, l.ChargeEnd} {
				ref := fmt.Sprintf("%c%d", 'J'+j, row)
				if d == invoice.NoDate {
					if got := raw(t, f, LinesSheet, ref); got != "" {
						t.Errorf("%s = %q, want empty (perpetual)", ref, got)
					}
					continue
				}
				serial := fmt.Sprint(int(d.Time().Sub(epoch).Hours() / 24))
				if got := raw(t, f, LinesSheet, ref); got != serial {
					t.Errorf("%s = %q, want serial %s", ref, got, serial)
				}
				if got := numFmt(t, f, LinesSheet, ref); got != DateFormat {
					t.Errorf("%s format = %q", ref, got)
				}
				if got, _ := f.GetCellValue(LinesSheet, ref); got != d.String() {
					t.Errorf("%s shows %q, want %s", ref, got, d)
				}
			}
		}
	})

	t.Run("frozen header, filters and widths", func(t *testing.T) {
		for _, sheet := range f.GetSheetList() {
			p, err := f.GetPanes(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Freeze || p.YSplit != 1 || p.XSplit != 0 || p.TopLeftCell != "A2" {
				t.Errorf("%s panes %+v, want the header row frozen", sheet, p)
			}
			w, err := f.GetColWidth(sheet, "A")
			if err != nil || w < 8 {
				t.Errorf("%s column A width %v %v", sheet, w, err)
			}
		}
		if got := strings.Join(autoFilters(t, path), " "); got != "$A$1:$E$5 $A$1:$H$5 $A$1:$Q$11" {
			t.Errorf("autoFilter refs = %s", got)
		}
		want := map[string]string{"Summary": "'Summary'!$A$1:$H$5", "Lines": "'Lines'!$A$1:$Q$11", "Rejects": "'Rejects'!$A$1:$E$5"}
		if got := filterNames(f); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("filter names = %v, want %v", got, want)
		}
	})

	t.Run("text that looks like a formula stays text", func(t *testing.T) {
		for _, c := range []struct{ sheet, ref, want string }{
			{LinesSheet, "I4", "=SUM(A1:A9) Office LTSC Professional Plus 2024"},
			{LinesSheet, "G10", "-S-1190"},
			{SummarySheet, "C4", "+Tailspin Toys 株式会社"},
			{SummarySheet, "C5", "@Alpine Ski House W.L.L."},
			{RejectsSheet, "C3", "-O-1400/2"},
			{RejectsSheet, "E3", src.rejects[1].Message},
			{RejectsSheet, "E4", src.rejects[2].Message},
		} {
			typ, err := f.GetCellType(c.sheet, c.ref)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("%s!%s type %v, want a string", c.sheet, c.ref, typ)
			}
			if formula, _ := f.GetCellFormula(c.sheet, c.ref); formula != "" {
				t.Errorf("%s!%s has formula %q", c.sheet, c.ref, formula)
			}
			if got := raw(t, f, c.sheet, c.ref); got != c.want {
				t.Errorf("%s!%s = %q, want %q (kept as is)", c.sheet, c.ref, got, c.want)
			}
		}
	})
}

// TestSheetSplit injects a small row limit: Lines and Rejects continue on
// numbered sheets, each with its header, frozen pane and filter.
func TestSheetSplit(t *testing.T) {
	cases := []struct {
		limit int
		want  map[string]int // sheet → data rows
		order string
	}{
		{5, map[string]int{"Lines": 4, "Lines 2": 4, "Lines 3": 2, "Rejects": 4}, "Summary,Lines,Lines 2,Lines 3,Rejects"},
		{6, map[string]int{"Lines": 5, "Lines 2": 5, "Rejects": 4}, "Summary,Lines,Lines 2,Rejects"},
		{3, map[string]int{"Lines": 2, "Lines 2": 2, "Lines 3": 2, "Lines 4": 2, "Lines 5": 2, "Rejects": 2, "Rejects 2": 2}, "Summary,Lines,Lines 2,Lines 3,Lines 4,Lines 5,Rejects,Rejects 2"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint("limit ", tc.limit), func(t *testing.T) {
			out := t.TempDir()
			src := goldenSource()
			st := publish(t, out, src, Options{MaxSheetRows: tc.limit, PerCustomer: true})
			f := openWorkbook(t, filepath.Join(st.Final, WorkbookFile))
			if got := strings.Join(f.GetSheetList(), ","); got != tc.order {
				t.Fatalf("sheets = %s, want %s", got, tc.order)
			}
			var lines []string // invoice + order + line_no of every line, in sheet order
			for _, sheet := range f.GetSheetList()[1:] {
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) > tc.limit {
					t.Errorf("%s has %d rows, limit %d", sheet, len(rows), tc.limit)
				}
				if len(rows)-1 != tc.want[sheet] {
					t.Errorf("%s has %d data rows, want %d", sheet, len(rows)-1, tc.want[sheet])
				}
				head := LineColumns
				if strings.HasPrefix(sheet, RejectsSheet) {
					head = RejectColumns
				}
				if strings.Join(rows[0], ",") != strings.Join(head, ",") {
					t.Errorf("%s header %v", sheet, rows[0])
				}
				p, _ := f.GetPanes(sheet)
				if !p.Freeze || p.YSplit != 1 {
					t.Errorf("%s not frozen: %+v", sheet, p)
				}
				last, _ := excelize.CoordinatesToCellName(len(head), len(rows))
				if got, want := filterNames(f)[sheet], fmt.Sprintf("'%s'!$A$1:$%s", sheet, strings.Replace(last, string(last[0]), string(last[0])+"$", 1)); got != want {
					t.Errorf("%s filter %s, want %s", sheet, got, want)
				}
				if head[0] == "invoice_number" {
					for _, r := range rows[1:] {
						lines = append(lines, r[0]+" "+r[4]+"/"+r[5])
					}
				}
			}
			var want []string
			for _, l := range src.lines {
				want = append(want, fmt.Sprintf("%s %s/%d", l.InvoiceNumber, l.OrderID, l.LineNo))
			}
			if !slices.Equal(lines, want) {
				t.Errorf("lines across sheets:\n got %v\nwant %v", lines, want)
			}
			// A per-customer workbook splits the same way.
			cf := openWorkbook(t, filepath.Join(st.Final, CustomersDir, "C001", "INV-2026-10-000001.xlsx"))
			wantSheets := "Summary,Lines"
			if tc.limit == 3 {
				wantSheets = "Summary,Lines,Lines 2"
			}
			if got := strings.Join(cf.GetSheetList(), ","); got != wantSheets {
				t.Errorf("C001 workbook sheets = %s, want %s", got, wantSheets)
			}
		})
	}
	for _, bad := range []int{1, -1, ExcelMaxRows + 1} {
		if _, err := Stage(context.Background(), t.TempDir(), "2026-10", goldenSource(), Options{MaxSheetRows: bad}); err == nil {
			t.Errorf("MaxSheetRows %d accepted", bad)
		}
	}
}

// TestExcelNumberExact: the float64 handed to excelize prints back as the
// exact decimal, up to 15 significant digits; beyond that Stage refuses.
func TestExcelNumberExact(t *testing.T) {
	amounts := []int64{0, 1, -1, 5, 10, 99, 101, 12345, -23387, 1999999, 33333333, 70000000000001, maxExactMinor, -maxExactMinor}
	for _, code := range []string{"USD", "JPY", "KWD"} {
		c := invoice.MustCurrency(code)
		b, err := newBook(ExcelMaxRows, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		tbl := b.table(LinesSheet, []column{{"amount", 20}}, len(amounts), ExcelMaxRows)
		for _, a := range amounts {
			cell, err := b.amount(c, a, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := tbl.add([]any{cell}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tbl.close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "n.xlsx")
		if err := b.save(path); err != nil {
			t.Fatal(err)
		}
		f := openWorkbook(t, path)
		for i, a := range amounts {
			ref := fmt.Sprintf("A%d", i+2)
			got := raw(t, f, LinesSheet, ref)
			if strings.ContainsAny(got, "eE") || !decimal.RequireFromString(got).Equal(c.Decimal(a)) {
				t.Errorf("%s %d minor: cell holds %q, want %s", code, a, got, c.Format(a))
			}
		}
		if _, err := excelNumber(c, maxExactMinor+1); !errors.Is(err, ErrBadData) {
			t.Errorf("%s: 16 digits accepted: %v", code, err)
		}
	}
}

// TestCellTextCutsBeforeAHalvedCharacter: text past a cell's 32,767 UTF-16
// units is cut at the limit, or one unit before it when the limit falls
// inside a character outside the Basic Multilingual Plane (an emoji is two
// units): the cell never ends in half a character, which readers show as
// U+FFFD.
func TestCellTextCutsBeforeAHalvedCharacter(t *testing.T) {
	n := excelize.TotalCellChars
	for _, c := range []struct {
		name, in, want string
	}{
		{"an emoji across the limit", strings.Repeat("a", n-1) + "😀" + "tail", strings.Repeat("a", n-1)},
		{"an emoji ending at the limit", strings.Repeat("a", n-2) + "😀" + "tail", strings.Repeat("a", n-2) + "😀"},
		{"one unit characters", strings.Repeat("é", n+3), strings.Repeat("é", n)},
	} {
		got, _ := cellText(c.in)
		if got != c.want {
			t.Errorf("%s: %d runes ending %q, want %d runes ending %q", c.name,
				len([]rune(got)), got[max(0, len(got)-8):], len([]rune(c.want)), c.want[max(0, len(c.want)-8):])
		}
		if strings.ContainsRune(got, utf8.RuneError) {
			t.Errorf("%s: the cut left U+FFFD", c.name)
		}
	}
}

// TestRowsEncodeAsExcelize: the data rows this package encodes itself
// (sheetrows.go) are byte for byte what excelize's StreamWriter writes for
// the same cells: text that XML, Excel or a spreadsheet could misread,
// integers, amounts, dates, styles and formulas.
func TestRowsEncodeAsExcelize(t *testing.T) {
	long := strings.Repeat("é", excelize.TotalCellChars+5) + "😀"
	rows := [][]any{
		{"plain", "", nil, "<&>\"'", " lead", "trail\t", "two\nlines", "cr\rhere", "_x0041_", "_x005F_x0041_", "a_x12G4_b", "\x01ctl", "=SUM(A1)", "+1", "-2", "@x", "株式会社", long},
		{1, int64(-42), 0, 1234567.891, -0.5, 100.0, 123456789012345.0, excelize.Cell{StyleID: 2, Value: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)}},
		{excelize.Cell{StyleID: 3, Value: "label"}, excelize.Cell{StyleID: 4, Value: 12.5}, excelize.Cell{StyleID: 2, Value: time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)},
			excelize.Cell{StyleID: 5, Value: 99.99, Formula: `SUMIF($D$2:$D$9,$D11,E$2:E$9)`}, excelize.Cell{StyleID: 3, Value: 7, Formula: "SUM(H2:H9)"},
			excelize.Cell{Value: int64(3), Formula: `IF(A1<>"x",1,2)`}},
	}
	rowNums := []int{2, 3, 1048576}

	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		ref, _ := excelize.CoordinatesToCellName(1, rowNums[i])
		if err := sw.SetRow(ref, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	if err := f.Write(&zbuf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := fs.ReadFile(zr, "xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(sheet, []byte("<sheetData>")) + len("<sheetData>")
	end := bytes.Index(sheet, []byte("</sheetData>"))
	want := sheet[start:end]

	var s rowSink
	for i, r := range rows {
		if err := s.row(rowNums[i], r); err != nil {
			t.Fatal(err)
		}
	}
	rr, err := s.reader()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rr)
	if !bytes.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("rows differ from excelize's at byte %d:\n ours: %.200q\nexcelize: %.200q", i, got[max(0, i-80):], want[max(0, i-80):])
			}
		}
		t.Fatalf("rows differ from excelize's in length: %d, excelize %d", len(got), len(want))
	}
}

// A sheet's rows past sinkMemory move to a temporary file, which the saved
// workbook reads back whole and save removes.
func TestRowSinkSpillsAndCleansUp(t *testing.T) {
	var s rowSink
	row := []any{strings.Repeat("x", 1000), 1, 2.5}
	n := 2 * sinkMemory / 1000
	for i := range n {
		if err := s.row(i+2, row); err != nil {
			t.Fatal(err)
		}
	}
	if s.file == nil {
		t.Fatal("rows past sinkMemory are still in memory")
	}
	if s.mem.Cap() > 0 {
		t.Errorf("the memory buffer (%d bytes) is kept after the spill", s.mem.Cap())
	}
	name := s.file.Name()
	rr, err := s.reader()
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(rr)
	if got := bytes.Count(all, []byte("</row>")); got != n {
		t.Errorf("read back %d rows, wrote %d", got, n)
	}
	s.discard()
	if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

// What the row encoder cannot write as excelize would is refused, never
// written differently.
func TestRowSinkRefusesWhatItCannotEncode(t *testing.T) {
	for name, cell := range map[string]any{
		"a date without a format":   time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
		"a date before March 1900":  excelize.Cell{StyleID: 2, Value: time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC)},
		"a time of day":             excelize.Cell{StyleID: 2, Value: time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)},
		"16 significant digits":     1234567890123456.0,
		"a formula over text":       excelize.Cell{Value: "x", Formula: "A1"},
		"a type it does not encode": true,
	} {
		var s rowSink
		if err := s.row(2, []any{cell}); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

// deflateOnce serves an entry's compressed form from its cache only for the
// same name and the same content, and the cache stays bounded.
func TestDeflateOnceServesOnlyTheSameContent(t *testing.T) {
	inflate := func(d *deflated) string {
		t.Helper()
		b, err := io.ReadAll(flate.NewReader(bytes.NewReader(d.data)))
		if err != nil {
			t.Fatal(err)
		}
		if crc32.ChecksumIEEE(b) != d.hdr.CRC32 || uint64(len(b)) != d.hdr.UncompressedSize64 || uint64(len(d.data)) != d.hdr.CompressedSize64 {
			t.Errorf("%s: header %+v does not describe its data", d.hdr.Name, d.hdr)
		}
		return string(b)
	}
	styles := []byte(strings.Repeat("<style/>", 100))
	a, err := deflateOnce("xl/styles.xml", styles)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := deflateOnce("xl/styles.xml", slices.Clone(styles))
	if again != a {
		t.Error("the same content was compressed again")
	}
	other, _ := deflateOnce("xl/styles.xml", []byte("<other/>"))
	if got := inflate(other); got != "<other/>" {
		t.Errorf("other content under the same name inflates to %q", got)
	}
	if back, _ := deflateOnce("xl/styles.xml", styles); back != a {
		t.Error("the first content was not kept beside the other")
	}
	for i := range deflatedVariants {
		deflateOnce("xl/styles.xml", []byte(fmt.Sprintf("<v%d/>", i)))
	}
	if n := len(deflatedCache.m["xl/styles.xml"]); n != deflatedVariants {
		t.Errorf("%d forms of one entry kept, want %d", n, deflatedVariants)
	}
	if back, _ := deflateOnce("xl/styles.xml", styles); back == a || inflate(back) != string(styles) {
		t.Error("the oldest form was not the one dropped")
	}
	elsewhere, _ := deflateOnce("xl/theme/theme1.xml", styles)
	if elsewhere.hdr.Name != "xl/theme/theme1.xml" || inflate(elsewhere) != string(styles) {
		t.Errorf("the same content under another name: %q", elsewhere.hdr.Name)
	}
	for i := range 3 * deflatedCacheSize {
		if _, err := deflateOnce(fmt.Sprintf("xl/part%d.xml", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(deflatedCache.m); n > deflatedCacheSize {
		t.Errorf("cache holds %d names, at most %d", n, deflatedCacheSize)
	}
}

// TestSheetsDeclareTheirUsedRange: every worksheet's <dimension> is the
// range its cells fill, header and totals included, its column widths come
// in column order, and no sheet claims a filter is hiding rows. excelize's
// stream writer left "A1", listed the widths last column first and set
// filterMode: openpyxl in read-only mode read each sheet as one cell, and
// exceljs drops unsorted widths (found by an audit).
func TestSheetsDeclareTheirUsedRange(t *testing.T) {
	dimension := regexp.MustCompile(`<dimension ref="([A-Z0-9:]+)">`)
	cell := regexp.MustCompile(`<c r="([A-Z]+)([0-9]+)"`)
	col := regexp.MustCompile(`<col min="([0-9]+)"`)
	for _, limit := range []int{5, ExcelMaxRows} {
		out := t.TempDir()
		st := publish(t, out, goldenSource(), Options{MaxSheetRows: limit})
		sheets := 0
		for name, xml := range worksheets(t, filepath.Join(st.Final, WorkbookFile)) {
			sheets++
			maxCol, maxRow := 0, 0
			for _, m := range cell.FindAllStringSubmatch(xml, -1) {
				c, err := excelize.ColumnNameToNumber(m[1])
				if err != nil {
					t.Fatal(err)
				}
				r, _ := strconv.Atoi(m[2])
				maxCol, maxRow = max(maxCol, c), max(maxRow, r)
			}
			last, _ := excelize.CoordinatesToCellName(maxCol, maxRow)
			if m := dimension.FindStringSubmatch(xml); m == nil || m[1] != "A1:"+last || maxRow < 2 {
				t.Errorf("limit %d, %s: dimension %v, want A1:%s", limit, name, m, last)
			}
			var mins []int
			for _, m := range col.FindAllStringSubmatch(xml, -1) {
				n, _ := strconv.Atoi(m[1])
				mins = append(mins, n)
			}
			if len(mins) != maxCol || !slices.IsSorted(mins) {
				t.Errorf("limit %d, %s: column widths for %v, want 1..%d in order", limit, name, mins, maxCol)
			}
			if strings.Contains(xml, "filterMode") {
				t.Errorf("limit %d, %s: filterMode set on a filter with no criteria", limit, name)
			}
		}
		if want := map[int]int{5: 5, ExcelMaxRows: 3}[limit]; sheets != want {
			t.Errorf("limit %d: %d worksheets, want %d", limit, sheets, want)
		}
	}
}

// worksheets returns the XML of every worksheet in the archive by entry name.
func worksheets(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	sheets := map[string]string{}
	for _, e := range zr.File {
		if !strings.HasPrefix(e.Name, "xl/worksheets/sheet") {
			continue
		}
		r, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		sheets[e.Name] = string(b)
	}
	return sheets
}
