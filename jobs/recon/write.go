package recon

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cspbill/invoice"
	"cspbill/invoice/output"
)

// Files Write puts under OUT/YYYY-MM/.
const (
	CSVFile      = "reconciliation.csv"
	WorkbookFile = "reconciliation.xlsx"
	RejectsFile  = "reconciliation-rejects.csv"
)

// Sheets of reconciliation.xlsx.
const (
	SummarySheet = "Summary"
	DetailSheet  = "Detail"
	RejectsSheet = "Rejects"
)

// Columns of reconciliation.csv and of the Detail sheet.
var Columns = []string{
	"kind", "customer_id", "currency", "charge_type", "order_id", "subscription_id", "sku_id",
	"charge_start", "invoice_number",
	"ledger_quantity", "ledger_net", "ledger_tax", "ledger_gross",
	"partner_center_quantity", "partner_center_subtotal", "partner_center_tax", "partner_center_total",
	"delta", "delta_total", "ledger_source", "partner_center_source", "note",
}

// SummaryColumns are the columns of the Summary sheet.
var SummaryColumns = []string{
	"customer_id", "currency", string(Matched), string(Differs), string(PartnerCenterOnly), string(LedgerOnly),
	"ledger_net", "partner_center_subtotal", "net_delta",
}

// RejectColumns are the columns of reconciliation-rejects.csv and the Rejects sheet.
var RejectColumns = []string{"file", "line", "field", "value", "message"}

// dirMode is the period folder's mode, as a close's: readable by the
// finance group, never by others (the files are output.CSVFile's, 0640).
const dirMode os.FileMode = 0o750

// Write writes a report held whole (Match's): its items and rejects given
// to a Writer in order, then committed.
func Write(ctx context.Context, outDir, period string, r Report) error {
	return writeWhole(ctx, outDir, period, r, 0)
}

// writeWhole is Write with sheetRows rows per sheet (0: Excel's most).
func writeWhole(ctx context.Context, outDir, period string, r Report, sheetRows int) error {
	w, err := NewWriter(outDir, period)
	if err != nil {
		return err
	}
	w.sheetRows = sheetRows
	defer w.Abort()
	for i := range r.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Item(&r.Items[i]); err != nil {
			return err
		}
	}
	for _, e := range r.Rejects {
		if err := w.Reject(e); err != nil {
			return err
		}
	}
	return w.Commit(ctx)
}

// Writer writes reconciliation.csv, reconciliation-rejects.csv and
// reconciliation.xlsx under OUT/YYYY-MM/ from items given one by one in
// report order, so that no file is held whole. Each file is written to a
// hidden temporary file in that folder (0640), synced, and renamed over its
// final name only once all three are complete (Commit), so a failed run
// never leaves a partial file or a mix of runs' files; files of a close in
// the same folder are left alone.
//
// The CSV files are written as items come. The workbook's sheets need their
// row counts first (for their filters), so the values of its rows go to
// hidden spill files (CSV, unescaped) in the same folder and are read back
// by Commit; the Summary's rows (one per customer and currency: items come
// grouped so) are summed as items come.
type Writer struct {
	dir                   string
	csv, rejects          *output.CSVFile // the files, renamed by Commit
	detail, summary, rejs *output.CSVFile // the workbook's rows, removed by Commit
	book                  string          // the workbook Commit wrote, until renamed
	items, sums, rejected int
	sum                   *CustomerSummary // the customer and currency being summed
	sheetRows             int              // rows per sheet, header included (0: Excel's most); tests set it
}

// CustomerSummary is one row of the Summary sheet: a customer's lines in one currency.
type CustomerSummary struct {
	CustomerID string // "" for rows of customers cspbill does not know
	Currency   invoice.Currency
	Counts     map[Kind]int
	LedgerNet  decimal.Decimal // Σ ledger net of its items
	Subtotal   decimal.Decimal // Σ Partner Center Subtotal of its items
	Delta      decimal.Decimal // Σ Item.Delta = Subtotal − LedgerNet
}

// NewWriter creates outDir/period/ and the Writer's temporary files in it.
// The caller calls Commit, or Abort (which removes them; a no-op after
// Commit). It first removes the temporary files a reconciliation killed
// before it finished left there (the command runs under the ledger's lock,
// so no other reconciliation of the ledger is writing them).
func NewWriter(outDir, period string) (w *Writer, err error) {
	m, err := invoice.ParseMonth(period)
	if err != nil || m.String() != period {
		return nil, fmt.Errorf("%w: period %q (want YYYY-MM)", output.ErrUnsafeName, period)
	}
	w = &Writer{dir: filepath.Join(outDir, period)}
	if err := os.MkdirAll(w.dir, dirMode); err != nil {
		return nil, err
	}
	for _, prefix := range leftovers {
		if err := output.RemoveHidden(w.dir, prefix); err != nil {
			return nil, fmt.Errorf("remove what a killed reconciliation left: %w", err)
		}
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	for _, f := range []struct {
		s    **output.CSVFile
		name string // the final name, or the spill's
		head []string
	}{
		{&w.csv, CSVFile, Columns}, {&w.rejects, RejectsFile, RejectColumns},
		{&w.detail, WorkbookFile + "." + DetailSheet, nil}, {&w.summary, WorkbookFile + "." + SummarySheet, nil},
		{&w.rejs, WorkbookFile + "." + RejectsSheet, nil},
	} {
		if *f.s, err = output.CreateTempCSV(w.dir, f.name, f.head); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// leftovers are the prefixes of the hidden files a reconciliation writes in
// the period folder: its files being written and the workbook's rows
// (.reconciliation…), the sort runs (.reconciliation-sort-…) and the
// workbook's row sinks (.cspbill-rows-…, output.Workbook's).
var leftovers = []string{".reconciliation", ".cspbill-rows-"}

// Item writes one item; items come in report order (Match's), so each
// customer's items in a currency come together.
func (w *Writer) Item(it *Item) error {
	w.items++
	c := it.Currency
	if known, err := invoice.LookupCurrency(c.Code); err != nil || known != c {
		return fmt.Errorf("recon: item %d (%s %s): currency %q with %d decimals is not ISO 4217's", w.items, it.CustomerID, it.OrderID, c.Code, c.Digits)
	}
	if err := w.add(it); err != nil {
		return err
	}
	d := detailOf(it)
	rec := []string{
		string(it.Kind), it.CustomerID, c.Code, it.ChargeType, it.OrderID, it.SubscriptionID, it.SKU, it.ChargeStart.String(), d.invoice,
		d.ledgerQty, d.ledgerNet, d.ledgerTax, d.ledgerGross, d.pcQty, d.pcSub, d.pcTax, d.pcTotal,
		d.delta, d.deltaTotal, d.ledgerSrc, d.pcSrc, it.Note,
	}
	if err := w.detail.Write(rec); err != nil {
		return err
	}
	return w.csv.Write(rec) // values as they are, like the close's CSV files (invoice/output)
}

// add sums the item into its customer and currency's Summary row.
func (w *Writer) add(it *Item) error {
	if s := w.sum; s == nil || s.CustomerID != it.CustomerID || s.Currency != it.Currency {
		if s != nil && (itemOrder{customer: it.CustomerID, currency: it.Currency.Code}).compare(itemOrder{customer: s.CustomerID, currency: s.Currency.Code}) < 0 {
			return fmt.Errorf("recon: item %d (%s %s) after %s %s: items out of report order", w.items, it.CustomerID, it.Currency.Code, s.CustomerID, s.Currency.Code)
		}
		if err := w.flushSum(); err != nil {
			return err
		}
		w.sum = &CustomerSummary{CustomerID: it.CustomerID, Currency: it.Currency, Counts: map[Kind]int{}}
	}
	s := w.sum
	s.Counts[it.Kind]++
	if it.Ledger != nil {
		s.LedgerNet = s.LedgerNet.Add(it.Currency.Decimal(it.Ledger.Net))
	}
	if it.Row != nil {
		s.Subtotal = s.Subtotal.Add(it.Row.Subtotal)
	}
	s.Delta = s.Delta.Add(it.Delta)
	return nil
}

func (w *Writer) flushSum() error {
	s := w.sum
	if s == nil {
		return nil
	}
	w.sums++
	w.sum = nil
	rec := []string{s.CustomerID, s.Currency.Code}
	for _, k := range Kinds {
		rec = append(rec, strconv.Itoa(s.Counts[k]))
	}
	for _, d := range []decimal.Decimal{s.LedgerNet, s.Subtotal, s.Delta} {
		rec = append(rec, amount(d, s.Currency))
	}
	return w.summary.Write(rec)
}

// Reject writes a row of the file (or of the mapping file) that could not
// be read.
func (w *Writer) Reject(e *RowError) error {
	w.rejected++
	rec := []string{e.File, strconv.Itoa(e.Line), e.Field, e.Value, errText(e)}
	if err := w.rejs.Write(rec); err != nil {
		return err
	}
	return w.rejects.Write(rec)
}

// Rejected is the number of rejects written.
func (w *Writer) Rejected() int { return w.rejected }

// Commit writes the workbook and renames the three files over their final
// names.
func (w *Writer) Commit(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	if err := w.flushSum(); err != nil {
		return err
	}
	for _, f := range []*output.CSVFile{w.csv, w.rejects, w.detail, w.summary, w.rejs} {
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.book, err = output.WriteTemp(w.dir, WorkbookFile, func(out io.Writer) error { return w.writeWorkbook(ctx, out) }); err != nil {
		return fmt.Errorf("write %s: %w", WorkbookFile, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, f := range [][2]string{{w.csv.Path(), CSVFile}, {w.rejects.Path(), RejectsFile}, {w.book, WorkbookFile}} {
		if err := os.Rename(f[0], filepath.Join(w.dir, f[1])); err != nil {
			return err
		}
	}
	w.Abort() // the spill files
	return output.SyncDir(w.dir)
}

// Abort removes the Writer's temporary files; the files Commit renamed
// stay where they went.
func (w *Writer) Abort() {
	for _, f := range []*output.CSVFile{w.csv, w.rejects, w.detail, w.summary, w.rejs} {
		if f != nil {
			f.Abort()
		}
	}
	if w.book != "" {
		os.Remove(w.book)
	}
}

// spilled reads a spill file back, record by record (the slice is reused).
func spilled(f *output.CSVFile, fn func([]string) error) error {
	file, err := os.Open(f.Path())
	if err != nil {
		return err
	}
	defer file.Close()
	r := csv.NewReader(bufio.NewReaderSize(file, 64<<10))
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// detail holds one item's values as printed, shared by the CSV and the sheet.
type detail struct {
	ledgerQty, ledgerNet, ledgerTax, ledgerGross string
	pcQty, pcSub, pcTax, pcTotal                 string
	delta, deltaTotal                            string
	invoice, ledgerSrc, pcSrc                    string
}

func detailOf(it *Item) detail {
	c := it.Currency
	d := detail{delta: amount(it.Delta, c)}
	if it.GrossCompared {
		d.deltaTotal = amount(it.DeltaTotal, c)
	}
	if l := it.Ledger; l != nil {
		d.ledgerQty = strconv.FormatInt(l.Quantity, 10)
		d.ledgerNet, d.ledgerTax, d.ledgerGross = c.Format(l.Net), c.Format(l.Tax), c.Format(l.Gross)
		d.invoice, d.ledgerSrc = l.InvoiceNumber, l.Source
	}
	if r := it.Row; r != nil {
		d.pcQty = r.Quantity.String()
		d.pcSub, d.pcTotal = amount(r.Subtotal, c), amount(r.Total, c)
		if r.HasTax {
			d.pcTax = amount(r.TaxTotal, c)
		}
		d.pcSrc = r.Source()
	}
	return d
}

// errText is the message of a row error without its "file:line: field …:"
// prefix, which the other columns carry.
func errText(e *RowError) string {
	if e.Err == nil {
		return "invalid"
	}
	return e.Err.Error()
}

// maxExactDigits: a decimal of at most 15 significant digits is exact in a
// float64 and in Excel.
const maxExactDigits = 15

var errTooLong = errors.New("more than 15 significant digits, which Excel cannot hold exactly")

// excelNumber is the one place where an amount or quantity becomes a
// float64, because excelize's StreamWriter writes a numeric cell only from a
// Go number. As in invoice/output, the value is not computed in floating
// point: the exact decimal string is parsed with strconv, and a decimal of
// at most 15 significant digits round-trips to the same text in the sheet.
func excelNumber(s string) (float64, error) {
	digits := 0
	for _, c := range strings.TrimLeft(strings.TrimLeft(s, "-"), "0.") {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits > maxExactDigits {
		return 0, fmt.Errorf("%s: %w", s, errTooLong)
	}
	return strconv.ParseFloat(s, 64)
}

// book is the reconciliation workbook being written: output's Workbook
// (the close's way), with this package's cells.
type book struct {
	*output.Workbook
}

// num is a numeric cell from an exact decimal string, with the currency's
// number format when c is given; no cell for "".
func (b book) num(s string, c *invoice.Currency) (any, error) {
	if s == "" {
		return nil, nil
	}
	v, err := excelNumber(s)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return v, nil
	}
	st, err := b.MoneyStyle(*c)
	if err != nil {
		return nil, err
	}
	return excelize.Cell{StyleID: st, Value: v}, nil
}

// str is a text cell: a Go string is written as an inline string, never a
// formula, whatever its first character.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (b book) dateCell(d invoice.Date) any {
	if d == invoice.NoDate {
		return nil
	}
	return excelize.Cell{StyleID: b.DateStyle(), Value: d.Time()}
}

// writeWorkbook writes the workbook from the spilled rows, whose counts are
// known now. A sheet longer than Excel's 1,048,576 rows continues on
// "Detail 2", … as the close's Lines do.
func (w *Writer) writeWorkbook(ctx context.Context, out io.Writer) error {
	wb, err := output.NewWorkbook(SummarySheet, w.dir, w.sheetRows)
	if err != nil {
		return err
	}
	written := false
	defer func() {
		if !written {
			wb.Discard()
		}
	}()
	b := book{wb}
	currency := func(code string) (invoice.Currency, error) {
		return invoice.LookupCurrency(code) // Item checked it
	}

	s := wb.Table(SummarySheet, SummaryColumns, []float64{16, 10, 10, 10, 20, 12, 18, 24, 16}, w.sums)
	err = spilled(w.summary, func(rec []string) error {
		c, err := currency(rec[1])
		if err != nil {
			return err
		}
		cells := []any{str(rec[0]), str(c.Code)}
		for _, n := range rec[2:6] {
			v, err := strconv.Atoi(n)
			if err != nil {
				return err
			}
			cells = append(cells, v)
		}
		for _, d := range rec[6:9] {
			v, err := b.num(d, &c)
			if err != nil {
				return err
			}
			cells = append(cells, v)
		}
		return s.Add(cells)
	})
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		return err
	}

	s = wb.Table(DetailSheet, Columns, []float64{20, 16, 10, 16, 14, 22, 22, 13, 21, 10, 16, 14, 16, 10, 16, 14, 16, 12, 12, 22, 22, 60}, w.items)
	n := 0
	err = spilled(w.detail, func(rec []string) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c, err := currency(rec[2])
		if err != nil {
			return err
		}
		cells := make([]any, 0, len(rec))
		for _, v := range rec[:7] {
			cells = append(cells, str(v))
		}
		start := invoice.NoDate
		if rec[7] != "" {
			if start, err = invoice.ParseDate(rec[7]); err != nil {
				return err
			}
		}
		cells = append(cells, b.dateCell(start), str(rec[8]))
		for i, v := range rec[9:19] {
			cur := &c
			if i == 0 || i == 4 { // the quantities
				cur = nil
			}
			cell, err := b.num(v, cur)
			if err != nil {
				return fmt.Errorf("%s: %w", c.Code, err)
			}
			cells = append(cells, cell)
		}
		for _, v := range rec[19:] {
			cells = append(cells, str(v))
		}
		return s.Add(cells)
	})
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		return err
	}

	s = wb.Table(RejectsSheet, RejectColumns, []float64{24, 8, 20, 30, 80}, w.rejected)
	err = spilled(w.rejs, func(rec []string) error {
		line, err := strconv.Atoi(rec[1])
		if err != nil {
			return err
		}
		return s.Add([]any{str(rec[0]), line, str(rec[2]), str(rec[3]), str(rec[4])})
	})
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		return err
	}
	written = true // Write releases the workbook, whatever happens
	return wb.Write(out)
}
