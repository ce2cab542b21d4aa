package output

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"

	"cspbill/invoice"
)

// ExcelMaxRows is the number of rows of an Excel worksheet, header included.
const ExcelMaxRows = 1_048_576

// Sheet names of the workbook. A Lines or Rejects sheet that would pass the
// row limit continues on "Lines 2", "Lines 3", …
const (
	SummarySheet = "Summary"
	LinesSheet   = "Lines"
	RejectsSheet = "Rejects"
)

// DateFormat is the number format of date cells.
const DateFormat = "yyyy-mm-dd"

// MoneyFormat is the number format of amount cells in currency c: thousands
// separators, exactly the currency's decimals and its code, e.g.
// `#,##0.00 "USD"`, `#,##0 "JPY"`, `#,##0.000 "KWD"`.
func MoneyFormat(c invoice.Currency) string {
	f := "#,##0"
	if c.Digits > 0 {
		f += "." + strings.Repeat("0", int(c.Digits))
	}
	return f + ` "` + c.Code + `"`
}

// maxExactMinor is the largest amount, in minor units, written to a cell: an
// amount of at most 15 significant digits is exact in a float64 and in Excel.
const maxExactMinor = 999_999_999_999_999

// excelNumber is the one place where money becomes a float64, because
// excelize's StreamWriter writes a numeric cell only from a Go number (a
// string becomes a text cell). The value is not computed in floating point:
// the exact decimal that Currency.Format prints is parsed with strconv. A
// decimal of at most 15 significant digits maps to a distinct float64, and
// excelize prints the cell with strconv.FormatFloat(v, 'f', -1, 64), the
// shortest decimal that maps back to v, which is therefore the same decimal:
// "1234.50" is stored in the sheet XML as exactly 1234.5. Larger amounts,
// which Excel could not hold exactly, are refused.
func excelNumber(c invoice.Currency, minor int64) (float64, error) {
	if minor > maxExactMinor || minor < -maxExactMinor {
		return 0, fmt.Errorf("%w: amount %s %s has more than 15 digits, which Excel cannot hold exactly", ErrBadData, c.Format(minor), c.Code)
	}
	return strconv.ParseFloat(c.Format(minor), 64)
}

type column struct {
	name  string
	width float64
}

func columns(names []string, widths ...float64) []column {
	cols := make([]column, len(names))
	for i, n := range names {
		cols[i] = column{name: n, width: widths[i]}
	}
	return cols
}

var (
	summaryCols = columns(InvoiceColumns, 21, 16, 36, 10, 18, 16, 18, 8)
	lineCols    = columns(LineColumns, 21, 16, 10, 16, 14, 8, 22, 22, 44, 13, 13, 10, 16, 14, 16, 30, 21)
	rejectCols  = columns(RejectColumns, 30, 8, 24, 8, 90)
)

// book is a workbook being written: excelize writes its sheets with their
// header rows, the data rows go to a rowSink per sheet (sheetrows.go).
type book struct {
	f       *excelize.File
	rows    map[string]*rowSink // per sheet name
	tmp     string              // folder of the temporary files
	limit   int                 // rows per Lines or Rejects sheet, header included
	head    int                 // style ids
	date    int
	label   int
	money   map[string]int
	moneyLb map[string]int // bold amounts for the totals rows
}

// newBook starts a close's workbook whose temporary files (excelize's and
// the rows') go in tmpDir ("": the system's).
func newBook(limit int, tmpDir string) (*book, error) {
	return newBookOf(SummarySheet, limit, tmpDir, true)
}

// newBookOf starts a workbook whose first sheet is named first; calc asks
// Excel to compute its formulas when it opens the file.
func newBookOf(first string, limit int, tmpDir string, calc bool) (*book, error) {
	f := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
	f.SetZipWriter(newStoringZip)
	b := &book{f: f, tmp: tmpDir, rows: map[string]*rowSink{}, limit: limit, money: map[string]int{}, moneyLb: map[string]int{}}
	err := f.SetSheetName("Sheet1", first)
	if err == nil {
		b.head, err = f.NewStyle(&excelize.Style{
			Font:   &excelize.Font{Bold: true},
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}},
		})
	}
	if err == nil {
		df := DateFormat
		b.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &df})
	}
	if err == nil {
		b.label, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	}
	if err == nil && calc {
		// Formulas are recomputed when the workbook is opened; the cached
		// values written with them are exact too.
		on := true
		err = f.SetCalcProps(&excelize.CalcPropsOptions{FullCalcOnLoad: &on})
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("new workbook: %w", err)
	}
	return b, nil
}

func (b *book) moneyStyle(c invoice.Currency, bold bool) (int, error) {
	m := b.money
	if bold {
		m = b.moneyLb
	}
	if id, ok := m[c.Code]; ok {
		return id, nil
	}
	nf := MoneyFormat(c)
	st := &excelize.Style{CustomNumFmt: &nf}
	if bold {
		st.Font = &excelize.Font{Bold: true}
	}
	id, err := b.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	m[c.Code] = id
	return id, nil
}

// amount is a numeric cell with the currency's number format.
func (b *book) amount(c invoice.Currency, minor int64, bold bool) (any, error) {
	st, err := b.moneyStyle(c, bold)
	if err != nil {
		return nil, err
	}
	v, err := excelNumber(c, minor)
	if err != nil {
		return nil, err
	}
	return excelize.Cell{StyleID: st, Value: v}, nil
}

// amounts are the net, tax and gross cells of a row.
func (b *book) amounts(c invoice.Currency, net, tax, gross int64) ([3]any, error) {
	var cells [3]any
	for i, v := range []int64{net, tax, gross} {
		var err error
		if cells[i], err = b.amount(c, v, false); err != nil {
			return cells, err
		}
	}
	return cells, nil
}

// dateCell is a real Excel date (a serial day number) shown as YYYY-MM-DD;
// no cell for NoDate.
func (b *book) dateCell(d invoice.Date) any {
	if d == invoice.NoDate {
		return nil
	}
	return excelize.Cell{StyleID: b.date, Value: d.Time()}
}

// str is a text cell. The StreamWriter writes a Go string as an inline
// string: never a formula, whatever its first character, so the text is
// kept as it is (no quote prefix as in the CSV files).
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (b *book) lineCells(l *invoice.Line) ([]any, error) {
	c := l.Currency
	a, err := b.amounts(c, l.Net, l.Tax, l.Gross)
	if err != nil {
		return nil, err
	}
	return []any{
		str(l.InvoiceNumber), str(l.CustomerID), str(c.Code), str(l.ChargeType),
		str(l.OrderID), l.LineNo, str(l.SubscriptionID), str(l.SKU), str(l.Description),
		b.dateCell(l.ChargeStart), b.dateCell(l.ChargeEnd), l.Quantity, a[0], a[1], a[2],
		str(l.Source), str(l.CreditedInvoice),
	}, nil
}

func (b *book) rejectCells(r *invoice.RejectRow) []any {
	var line any
	if r.Line > 0 {
		line = r.Line
	}
	return []any{str(r.File), line, str(r.Key), str(r.Rule), str(r.Message)}
}

// table is one logical sheet streamed row by row; past the row limit it
// continues on a new sheet named "<base> 2", "<base> 3", … each with its own
// header row, frozen header and filter.
type table struct {
	b     *book
	base  string
	cols  []column
	total int // data rows the table will hold, for the filter ranges
	limit int // rows per sheet, header included
	part  int
	rows  *rowSink // the current sheet's data rows
	row   int      // last row written on the current sheet
	done  int      // data rows written
}

func (b *book) table(base string, cols []column, total, limit int) *table {
	return &table{b: b, base: base, cols: cols, total: total, limit: limit}
}

func (t *table) add(cells []any) error {
	if t.rows == nil || t.row >= t.limit {
		if err := t.next(); err != nil {
			return err
		}
	}
	t.row++
	t.done++
	return t.setRow(t.row, cells)
}

func (t *table) setRow(row int, cells []any) error {
	return t.rows.row(row, cells)
}

// next starts the table's next sheet: excelize writes it whole with its
// header row; the data rows follow in a rowSink of their own.
func (t *table) next() error {
	t.part++
	name := t.base
	if t.part > 1 {
		name = t.base + " " + strconv.Itoa(t.part)
	}
	f := t.b.f
	if idx, _ := f.GetSheetIndex(name); idx < 0 {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	// The filter covers the header and the data rows this sheet will get;
	// it is set before the stream starts, which writes it with the sheet.
	n := min(t.limit-1, t.total-t.done)
	last, err := excelize.CoordinatesToCellName(len(t.cols), 1+max(n, 0))
	if err != nil {
		return err
	}
	if err := f.AutoFilter(name, "A1:"+last, nil); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	// Widths from the last column to the first: excelize lists each new
	// one before those it has, and readers expect <col> in column order
	// (exceljs drops the widths of an unsorted list).
	for i := len(t.cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, t.cols[i].width); err != nil {
			return err
		}
	}
	head := make([]any, len(t.cols))
	for i, c := range t.cols {
		head[i] = excelize.Cell{StyleID: t.b.head, Value: c.name}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	t.rows, t.row = &rowSink{dir: t.b.tmp, cols: len(t.cols), last: 1}, 1
	t.b.rows[name] = t.rows
	return nil
}

// close ends the table; a table without rows still gets its header.
func (t *table) close() error {
	if t.rows == nil {
		if err := t.next(); err != nil {
			return err
		}
	}
	if t.done != t.total {
		return fmt.Errorf("%w: sheet %s got %d rows, expected %d", ErrSourceChanged, t.base, t.done, t.total)
	}
	return nil
}

// summaryTable writes the Summary sheet as the headers stream by: one row
// per invoice, a blank row, then per currency (in code order) a row of
// SUMIF formulas over the invoice rows, and a last row with the SUM of all
// lines.
type summaryTable struct {
	b   *book
	t   *table
	n   int                // invoices to come
	cur map[string]*Totals // per currency code
}

// summary starts the Summary sheet for n invoices.
func (b *book) summary(n int) *summaryTable {
	return &summaryTable{b: b, t: b.table(SummarySheet, summaryCols, n, ExcelMaxRows), n: n, cur: map[string]*Totals{}}
}

func (s *summaryTable) add(h *invoice.Header) error {
	if s.t.done == 0 && 1+s.n+3 > ExcelMaxRows {
		return fmt.Errorf("%w: %d invoices do not fit on one Summary sheet", ErrBadData, s.n)
	}
	c := h.Currency
	t := s.cur[c.Code]
	if t == nil {
		t = &Totals{Currency: c}
		s.cur[c.Code] = t
	}
	t.Net += h.Net
	t.Tax += h.Tax
	t.Gross += h.Gross
	t.Lines += h.Lines
	a, err := s.b.amounts(c, h.Net, h.Tax, h.Gross)
	if err != nil {
		return err
	}
	return s.t.add([]any{
		str(h.InvoiceNumber), str(h.CustomerID), str(h.CustomerName), str(c.Code),
		a[0], a[1], a[2], h.Lines,
	})
}

// close writes the totals rows and ends the sheet.
func (s *summaryTable) close() error {
	b, t, n := s.b, s.t, s.t.done
	if need := 1 + n + 1 + len(s.cur) + 1; n > 0 && need > ExcelMaxRows {
		return fmt.Errorf("%w: %d invoices do not fit on one Summary sheet", ErrBadData, n)
	}
	if t.rows == nil {
		if err := t.next(); err != nil {
			return err
		}
	}
	if n > 0 {
		last := 1 + n
		codes := make([]string, 0, len(s.cur))
		all := 0
		for code, ct := range s.cur {
			codes = append(codes, code)
			all += ct.Lines
		}
		sort.Strings(codes)
		row := last + 2
		for _, code := range codes {
			ct := s.cur[code]
			cells := []any{excelize.Cell{StyleID: b.label, Value: "Total " + code}, nil, nil,
				excelize.Cell{StyleID: b.label, Value: code}}
			for i, v := range []int64{ct.Net, ct.Tax, ct.Gross} {
				col := string(rune('E' + i))
				a, err := b.amount(ct.Currency, v, true)
				if err != nil {
					return err
				}
				cell := a.(excelize.Cell)
				cell.Formula = fmt.Sprintf("SUMIF($D$2:$D$%d,$D%d,%s$2:%s$%d)", last, row, col, col, last)
				cells = append(cells, cell)
			}
			cells = append(cells, excelize.Cell{StyleID: b.label, Value: ct.Lines,
				Formula: fmt.Sprintf("SUMIF($D$2:$D$%d,$D%d,H$2:H$%d)", last, row, last)})
			if err := t.setRow(row, cells); err != nil {
				return err
			}
			row++
		}
		cells := []any{excelize.Cell{StyleID: b.label, Value: "Total lines"}, nil, nil, nil, nil, nil, nil,
			excelize.Cell{StyleID: b.label, Value: all, Formula: fmt.Sprintf("SUM(H2:H%d)", last)}}
		if err := t.setRow(row, cells); err != nil {
			return err
		}
	}
	return t.close()
}

// save writes the workbook and releases the rows' temporary files.
// excelize's part of it is small — styles, theme, and sheets that hold
// their header row only, the data rows being in the sinks — so excelize
// builds it in memory, its entries stored uncompressed (newStoringZip). It
// writes them in map order, so they are copied, entry by entry, into the
// file in name order and compressed there, once: the same cells give the
// same bytes on every run. The copy puts each sheet's data rows into it
// (sheetrows.go).
func (b *book) save(path string) error {
	return writeFile(path, b.writeTo)
}

// writeTo writes the workbook to w (save's doc says how).
func (b *book) writeTo(w io.Writer) error {
	defer b.discardRows()
	var archive bytes.Buffer
	err := b.f.Write(&archive)
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(archive.Bytes()), int64(archive.Len()))
	if err != nil {
		return err
	}
	return sortZip(zr, w, b.rows)
}

// storingZip is the zip writer excelize writes a workbook with: its entries
// are stored, not compressed, since sortZip reads them back at once and
// compresses each in the file it writes. (excelize compressing them first
// cost as much again: with --per-customer, a workbook per invoice, that was
// a third of the close.)
type storingZip struct{ *zip.Writer }

func newStoringZip(w io.Writer) excelize.ZipWriter { return storingZip{zip.NewWriter(w)} }

func (z storingZip) Create(name string) (io.Writer, error) {
	return z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
}

// sortZip copies the zip archive zr to w with its entries in name order
// ("[Content_Types].xml" stays first), compressed, putting the data rows of
// each sheet named in rows into its sheet.
func sortZip(zr *zip.Reader, w io.Writer, rows map[string]*rowSink) error {
	paths, err := sheetPaths(zr)
	if err != nil {
		return err
	}
	byEntry := map[string]*rowSink{}
	for name, r := range rows {
		p, ok := paths[name]
		if !ok {
			return fmt.Errorf("sheet %s is not in the workbook", name)
		}
		byEntry[p] = r
	}
	entries := slices.Clone(zr.File)
	slices.SortFunc(entries, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if r := byEntry[e.Name]; r != nil {
			delete(byEntry, e.Name)
			if err := spliceRows(zw, e, r); err != nil {
				return err
			}
			continue
		}
		if err := deflateEntry(zw, e); err != nil {
			return err
		}
	}
	for name := range byEntry {
		return fmt.Errorf("no entry %s in the workbook for its rows", name)
	}
	return zw.Close()
}

// deflated is one entry's content and its compressed form.
type deflated struct {
	content []byte
	hdr     zip.FileHeader // sizes and CRC-32 of the compressed form
	data    []byte
}

// deflatedCache keeps the compressed form of the entries that recur alike
// in every workbook (styles, one per set of currencies, theme,
// relationships, document properties), so the per-customer workbooks of a
// close compress each only once. It holds at most deflatedVariants forms
// of an entry (the oldest goes first) and deflatedCacheSize names; when it
// has that many it starts afresh.
var deflatedCache struct {
	sync.Mutex
	m map[string][]*deflated // by entry name, oldest first
}

const (
	deflatedCacheSize = 32
	deflatedVariants  = 8
	deflatedMaxBytes  = 16 << 10 // larger entries are not kept
)

// deflateLevel is archive/zip's own level for Deflate.
const deflateLevel = 5

// flateWriters are reused: a new one allocates and clears ~1 MiB of tables.
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, deflateLevel)
	return w
}}

// deflateEntry writes the stored entry e to zw, compressed.
func deflateEntry(zw *zip.Writer, e *zip.File) error {
	r, err := e.Open()
	if err != nil {
		return err
	}
	content, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return err
	}
	d, err := deflateOnce(e.Name, content)
	if err != nil {
		return err
	}
	hdr := d.hdr // CreateRaw may change it
	w, err := zw.CreateRaw(&hdr)
	if err != nil {
		return err
	}
	_, err = w.Write(d.data)
	return err
}

// deflateOnce returns content compressed, from the cache when an entry of
// that name had that content before.
func deflateOnce(name string, content []byte) (*deflated, error) {
	deflatedCache.Lock()
	for _, d := range deflatedCache.m[name] {
		if bytes.Equal(d.content, content) {
			deflatedCache.Unlock()
			return d, nil
		}
	}
	deflatedCache.Unlock()
	var buf bytes.Buffer
	fw := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(fw)
	fw.Reset(&buf)
	if _, err := fw.Write(content); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	d := &deflated{
		content: content,
		hdr: zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
			CompressedSize64: uint64(buf.Len()), UncompressedSize64: uint64(len(content))},
		data: buf.Bytes(),
	}
	if len(content) <= deflatedMaxBytes {
		deflatedCache.Lock()
		m := deflatedCache.m
		if m == nil || (len(m) >= deflatedCacheSize && m[name] == nil) {
			m = map[string][]*deflated{}
			deflatedCache.m = m
		}
		if len(m[name]) >= deflatedVariants {
			m[name] = m[name][1:]
		}
		m[name] = append(m[name], d)
		deflatedCache.Unlock()
	}
	return d, nil
}

func (b *book) discard() {
	b.f.Close()
	b.discardRows()
}

func (b *book) discardRows() {
	for _, r := range b.rows {
		r.discard()
	}
}
