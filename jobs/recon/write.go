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

// Modes of what Write creates: readable by the finance group, never by others.
const (
	fileMode os.FileMode = 0o640
	dirMode  os.FileMode = 0o750
)

// CustomerSummary is one row of the Summary sheet: a customer's lines in one currency.
type CustomerSummary struct {
	CustomerID string // "" for rows of customers cspbill does not know
	Currency   invoice.Currency
	Counts     map[Kind]int
	LedgerNet  decimal.Decimal // Σ ledger net of its items
	Subtotal   decimal.Decimal // Σ Partner Center Subtotal of its items
	Delta      decimal.Decimal // Σ Item.Delta = Subtotal − LedgerNet
}

// Customers sums the items per customer and currency, in item order.
func (r Report) Customers() []CustomerSummary {
	var out []CustomerSummary
	at := map[[2]string]int{}
	for _, it := range r.Items {
		k := [2]string{it.CustomerID, it.Currency.Code}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, CustomerSummary{CustomerID: it.CustomerID, Currency: it.Currency, Counts: map[Kind]int{}})
		}
		s := &out[i]
		s.Counts[it.Kind]++
		if it.Ledger != nil {
			s.LedgerNet = s.LedgerNet.Add(it.Currency.Decimal(it.Ledger.Net))
		}
		if it.Row != nil {
			s.Subtotal = s.Subtotal.Add(it.Row.Subtotal)
		}
		s.Delta = s.Delta.Add(it.Delta)
	}
	return out
}

// Write writes reconciliation.csv, reconciliation-rejects.csv and
// reconciliation.xlsx under outDir/period/. Each file is written to a hidden
// temporary file in that folder (0640), synced, and renamed over its final
// name only once all three are complete, so a failed run never leaves a
// partial file or a mix of runs' files; files of a close in the same folder
// are left alone.
func Write(ctx context.Context, outDir, period string, r Report) (err error) {
	m, err := invoice.ParseMonth(period)
	if err != nil || m.String() != period {
		return fmt.Errorf("%w: period %q (want YYYY-MM)", output.ErrUnsafeName, period)
	}
	for i := range r.Items {
		c := r.Items[i].Currency
		if known, err := invoice.LookupCurrency(c.Code); err != nil || known != c {
			return fmt.Errorf("recon: item %d (%s %s): currency %q with %d decimals is not ISO 4217's", i+1, r.Items[i].CustomerID, r.Items[i].OrderID, c.Code, c.Digits)
		}
	}
	dir := filepath.Join(outDir, period)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	type staged struct{ tmp, final string }
	var done []staged
	defer func() {
		if err != nil {
			for _, s := range done {
				os.Remove(s.tmp)
			}
		}
	}()
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{CSVFile, func(w io.Writer) error { return writeCSV(ctx, w, r) }},
		{RejectsFile, func(w io.Writer) error { return writeRejects(w, r.Rejects) }},
		{WorkbookFile, func(w io.Writer) error { return writeWorkbook(ctx, w, r) }},
	} {
		tmp, err := writeTemp(dir, f.name, f.write)
		if err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
		done = append(done, staged{tmp, filepath.Join(dir, f.name)})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, s := range done {
		if err := os.Rename(s.tmp, s.final); err != nil {
			return err
		}
	}
	return output.SyncDir(dir)
}

// writeTemp writes a new hidden file beside name and returns its path.
func writeTemp(dir, name string, fn func(io.Writer) error) (path string, err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(fileMode); err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = fn(bw); err != nil {
		return "", err
	}
	if err = bw.Flush(); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
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

func writeCSV(ctx context.Context, w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for i := range r.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := &r.Items[i]
		d := detailOf(it)
		if err := cw.Write([]string{
			string(it.Kind), output.Text(it.CustomerID), output.Text(it.Currency.Code), output.Text(it.ChargeType),
			output.Text(it.OrderID), output.Text(it.SubscriptionID), output.Text(it.SKU), it.ChargeStart.String(), output.Text(d.invoice),
			d.ledgerQty, d.ledgerNet, d.ledgerTax, d.ledgerGross,
			d.pcQty, d.pcSub, d.pcTax, d.pcTotal,
			d.delta, d.deltaTotal, output.Text(d.ledgerSrc), output.Text(d.pcSrc), output.Text(it.Note),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeRejects(w io.Writer, rejects []*RowError) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RejectColumns); err != nil {
		return err
	}
	for _, e := range rejects {
		if err := cw.Write([]string{output.Text(e.File), strconv.Itoa(e.Line), output.Text(e.Field), output.Text(e.Value), output.Text(errText(e))}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
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

// sheet is one worksheet streamed row by row with a frozen, bold header and
// a filter.
type sheet struct {
	sw  *excelize.StreamWriter
	row int
}

type book struct {
	f     *excelize.File
	head  int
	date  int
	money map[string]int
}

func (b *book) newSheet(name string, cols []string, widths []float64, rows int) (*sheet, error) {
	if idx, _ := b.f.GetSheetIndex(name); idx < 0 {
		if _, err := b.f.NewSheet(name); err != nil {
			return nil, err
		}
	}
	last, err := excelize.CoordinatesToCellName(len(cols), 1+rows)
	if err != nil {
		return nil, err
	}
	if err := b.f.AutoFilter(name, "A1:"+last, nil); err != nil {
		return nil, err
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return nil, err
		}
		head[i] = excelize.Cell{StyleID: b.head, Value: c}
	}
	s := &sheet{sw: sw}
	return s, s.add(head)
}

func (s *sheet) add(cells []any) error {
	s.row++
	ref, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	return s.sw.SetRow(ref, cells)
}

// num is a numeric cell from an exact decimal string, with the currency's
// number format when c is given; no cell for "".
func (b *book) num(s string, c *invoice.Currency) (any, error) {
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
	st, ok := b.money[c.Code]
	if !ok {
		nf := output.MoneyFormat(*c)
		if st, err = b.f.NewStyle(&excelize.Style{CustomNumFmt: &nf}); err != nil {
			return nil, err
		}
		b.money[c.Code] = st
	}
	return excelize.Cell{StyleID: st, Value: v}, nil
}

// str is a text cell: the StreamWriter writes a Go string as an inline
// string, never a formula, whatever its first character.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (b *book) dateCell(d invoice.Date) any {
	if d == invoice.NoDate {
		return nil
	}
	return excelize.Cell{StyleID: b.date, Value: d.Time()}
}

func writeWorkbook(ctx context.Context, w io.Writer, r Report) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	b := &book{f: f, money: map[string]int{}}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return err
	}
	if b.head, err = f.NewStyle(&excelize.Style{
		Font:   &excelize.Font{Bold: true},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}},
	}); err != nil {
		return err
	}
	df := output.DateFormat
	if b.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &df}); err != nil {
		return err
	}
	if 1+len(r.Items) > output.ExcelMaxRows || 1+len(r.Rejects) > output.ExcelMaxRows {
		return fmt.Errorf("%d items do not fit on one sheet", len(r.Items))
	}

	sums := r.Customers()
	s, err := b.newSheet(SummarySheet, SummaryColumns, []float64{16, 10, 10, 10, 20, 12, 18, 24, 16}, len(sums))
	if err != nil {
		return err
	}
	for _, cs := range sums {
		c := cs.Currency
		cells := []any{str(cs.CustomerID), str(c.Code)}
		for _, k := range Kinds {
			cells = append(cells, cs.Counts[k])
		}
		for _, d := range []decimal.Decimal{cs.LedgerNet, cs.Subtotal, cs.Delta} {
			v, err := b.num(amount(d, c), &c)
			if err != nil {
				return err
			}
			cells = append(cells, v)
		}
		if err := s.add(cells); err != nil {
			return err
		}
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}

	s, err = b.newSheet(DetailSheet, Columns, []float64{20, 16, 10, 16, 14, 22, 22, 13, 21, 10, 16, 14, 16, 10, 16, 14, 16, 12, 12, 22, 22, 60}, len(r.Items))
	if err != nil {
		return err
	}
	for i := range r.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := &r.Items[i]
		c := it.Currency
		d := detailOf(it)
		cells := []any{
			str(string(it.Kind)), str(it.CustomerID), str(c.Code), str(it.ChargeType), str(it.OrderID),
			str(it.SubscriptionID), str(it.SKU), b.dateCell(it.ChargeStart), str(d.invoice),
		}
		for _, v := range []struct {
			s     string
			money bool
		}{
			{d.ledgerQty, false}, {d.ledgerNet, true}, {d.ledgerTax, true}, {d.ledgerGross, true},
			{d.pcQty, false}, {d.pcSub, true}, {d.pcTax, true}, {d.pcTotal, true},
			{d.delta, true}, {d.deltaTotal, true},
		} {
			cur := &c
			if !v.money {
				cur = nil
			}
			cell, err := b.num(v.s, cur)
			if err != nil {
				return fmt.Errorf("%s: %w", it.Currency.Code, err)
			}
			cells = append(cells, cell)
		}
		cells = append(cells, str(d.ledgerSrc), str(d.pcSrc), str(it.Note))
		if err := s.add(cells); err != nil {
			return err
		}
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}

	s, err = b.newSheet(RejectsSheet, RejectColumns, []float64{24, 8, 20, 30, 80}, len(r.Rejects))
	if err != nil {
		return err
	}
	for _, e := range r.Rejects {
		if err := s.add([]any{str(e.File), e.Line, str(e.Field), str(e.Value), str(errText(e))}); err != nil {
			return err
		}
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
