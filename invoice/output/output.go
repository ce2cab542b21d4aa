package output

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cspbill/invoice"
)

// File names under OUT/YYYY-MM/.
const (
	LinesFile    = "invoice-lines.csv"
	InvoicesFile = "invoices.csv"
	RejectsFile  = "rejects.csv"
	WorkbookFile = "invoices.xlsx"
	CustomersDir = "customers"
)

// Errors wrapped by Stage.
var (
	// ErrTotalMismatch: an invoice header does not equal the sum of its lines.
	ErrTotalMismatch = errors.New("invoice total does not match its lines")
	// ErrBadData: a line or header the files cannot hold as given.
	ErrBadData = errors.New("bad invoice data")
	// ErrSourceChanged: a second pass over the Source did not return what the first did.
	ErrSourceChanged = errors.New("source changed while the files were written")
)

// Source gives a period's data. Each method may be called more than once and
// must stream the same rows in the same order each time.
type Source interface {
	// Headers gives one header per invoice, ordered by invoice number.
	Headers(fn func(invoice.Header) error) error
	// Lines gives every line, ordered by invoice (all lines of an invoice
	// together), then charge_start, order_id, line_no, charges before credits.
	// The files keep this order.
	Lines(fn func(invoice.Line) error) error
	// Rejects gives the rejected and held records to report.
	Rejects(fn func(invoice.RejectRow) error) error
}

// Options tune Stage.
type Options struct {
	// PerCustomer also writes customers/<customer_id>/<invoice_number>.csv
	// and .xlsx, each holding one invoice's lines only.
	PerCustomer bool
	// MaxSheetRows is the number of rows, header included, of a Lines or
	// Rejects sheet before it continues on the next; 0 means ExcelMaxRows.
	MaxSheetRows int
}

// Totals are the sums of an invoice's (or a currency's) lines.
type Totals struct {
	Currency        invoice.Currency
	Net, Tax, Gross int64 // minor units
	Lines           int
}

func (t *Totals) add(net, tax, gross int64) {
	t.Net += net
	t.Tax += tax
	t.Gross += gross
	t.Lines++
}

// Staged is a complete set of files in a staging directory, not yet visible
// under OUT/YYYY-MM/.
type Staged struct {
	Period string // YYYY-MM
	Dir    string // the staging directory, hidden in the output directory
	Final  string // OUT/YYYY-MM, where Publish puts the files
	Files  []string
	// Totals per invoice number and PeriodTotals per currency code, read
	// back from the staged invoice-lines.csv: what the files say, for the
	// caller to tie to the ledger before it publishes.
	Totals       map[string]Totals
	PeriodTotals map[string]Totals
	Rejects      int // rows of rejects.csv

	outDir      string
	perCustomer bool
	state       int
}

const (
	staged = iota
	published
	discarded
)

// ErrNotStaged is returned by Publish after Discard.
var ErrNotStaged = errors.New("files were discarded, nothing to publish")

// Stage writes every file of the period into a new hidden staging directory
// under outDir (.cspbill-staging-YYYY-MM-*, on the same file system, so that
// publishing is a rename) and returns what it wrote. It checks, while
// writing, that each invoice header equals the sum of its lines; on any
// error it removes the staging directory and nothing is published.
func Stage(ctx context.Context, outDir, period string, src Source, opt Options) (_ *Staged, err error) {
	period, err = periodDir(period)
	if err != nil {
		return nil, err
	}
	limit := opt.MaxSheetRows
	if limit == 0 {
		limit = ExcelMaxRows
	}
	if limit < 2 || limit > ExcelMaxRows {
		return nil, fmt.Errorf("output: MaxSheetRows %d out of range 2..%d", opt.MaxSheetRows, ExcelMaxRows)
	}
	if err := os.MkdirAll(outDir, dirMode); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(outDir, ".cspbill-staging-"+period+"-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if err := os.Chmod(dir, dirMode); err != nil {
		return nil, err
	}
	w := &writer{ctx: ctx, src: src, opt: opt, limit: limit, dir: dir, invoices: map[string]*invoiceSum{}}
	steps := []func() error{w.writeLines, w.writeInvoices, w.writeRejects, w.writeWorkbook}
	if opt.PerCustomer {
		steps = append(steps, w.writeCustomers)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	st := &Staged{
		Period: period, Dir: dir, Final: filepath.Join(outDir, period),
		Files: w.files, Rejects: w.rejects, outDir: outDir, perCustomer: opt.PerCustomer,
	}
	if st.Totals, st.PeriodTotals, err = w.readBack(); err != nil {
		return nil, err
	}
	sort.Strings(st.Files)
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return st, nil
}

// Publish moves the staged files to OUT/YYYY-MM/. On the first close of a
// period the whole staging directory is renamed at once; on a re-run each
// file replaces the earlier one by a rename (atomic per file; a re-run writes
// the same bytes, so a crash half-way leaves a consistent set) and the
// customers folder is swapped as a whole.
func (s *Staged) Publish() error {
	switch s.state {
	case published:
		return nil
	case discarded:
		return ErrNotStaged
	}
	fi, err := os.Stat(s.Final)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Rename(s.Dir, s.Final); err != nil {
			return fmt.Errorf("publish %s: %w", s.Period, err)
		}
		s.state = published
		return syncDir(s.outDir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("publish %s: %s is not a directory", s.Period, s.Final)
	}
	for _, name := range s.Files {
		if strings.Contains(name, "/") {
			continue // under customers/, moved below as one folder
		}
		if err := os.Rename(filepath.Join(s.Dir, name), filepath.Join(s.Final, name)); err != nil {
			return fmt.Errorf("publish %s: %w", s.Period, err)
		}
	}
	if s.perCustomer {
		if err := s.swapCustomers(); err != nil {
			return err
		}
	}
	if err := syncDir(s.Final); err != nil {
		return err
	}
	s.state = published
	return os.RemoveAll(s.Dir)
}

// swapCustomers replaces OUT/YYYY-MM/customers with the staged one, so no
// file of an earlier run survives beside the new ones.
func (s *Staged) swapCustomers() error {
	dst := filepath.Join(s.Final, CustomersDir)
	old := ""
	if _, err := os.Lstat(dst); err == nil {
		// Move the old folder into a fresh hidden one, then delete that.
		if old, err = os.MkdirTemp(s.Final, ".customers-old-"); err != nil {
			return err
		}
		if err := os.Rename(dst, filepath.Join(old, CustomersDir)); err != nil {
			return fmt.Errorf("publish %s: %w", s.Period, err)
		}
	}
	if err := os.Rename(filepath.Join(s.Dir, CustomersDir), dst); err != nil {
		return fmt.Errorf("publish %s: %w", s.Period, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// Discard removes the staged files. It does nothing after Publish.
func (s *Staged) Discard() error {
	if s.state != staged {
		return nil
	}
	s.state = discarded
	return os.RemoveAll(s.Dir)
}

// invoiceSum is what the lines of one invoice add up to.
type invoiceSum struct {
	Totals
	customer string
}

// writer writes one period's files into the staging directory, in passes
// over the Source: lines, headers and rejects to CSV, then the workbook, then
// the per-customer files.
type writer struct {
	ctx   context.Context
	src   Source
	opt   Options
	limit int
	dir   string

	invoices map[string]*invoiceSum // from the lines, per invoice number
	order    []string               // invoice numbers in line order
	lines    int
	headers  []invoice.Header
	rejects  int
	files    []string
}

func (w *writer) path(name string) string {
	w.files = append(w.files, name)
	return filepath.Join(w.dir, filepath.FromSlash(name))
}

// checkLine refuses a line the files cannot hold as given.
func checkLine(l *invoice.Line) error {
	where := fmt.Sprintf("invoice %q line (order %q, line_no %d)", l.InvoiceNumber, l.OrderID, l.LineNo)
	if err := safeName("invoice number", l.InvoiceNumber); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if l.CustomerID == "" {
		return fmt.Errorf("%w: %s: no customer id", ErrBadData, where)
	}
	if err := checkCurrency(l.Currency); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if l.Net+l.Tax != l.Gross {
		c := l.Currency
		return fmt.Errorf("%w: %s: net %s + tax %s ≠ gross %s", ErrBadData, where,
			c.Format(l.Net), c.Format(l.Tax), c.Format(l.Gross))
	}
	return nil
}

// checkCurrency refuses a currency that is not ISO 4217 with its own minor
// units; its code goes into number formats and SUMIF criteria.
func checkCurrency(c invoice.Currency) error {
	known, err := invoice.LookupCurrency(c.Code)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadData, err)
	}
	if known != c {
		return fmt.Errorf("%w: currency %s with %d decimals (ISO 4217: %d)", ErrBadData, c.Code, c.Digits, known.Digits)
	}
	return nil
}

func (w *writer) writeLines() error {
	out, err := createCSV(w.path(LinesFile), LineColumns)
	if err != nil {
		return err
	}
	var cur *invoiceSum
	curNo := ""
	err = w.src.Lines(func(l invoice.Line) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := checkLine(&l); err != nil {
			return err
		}
		if cur == nil || l.InvoiceNumber != curNo {
			if w.invoices[l.InvoiceNumber] != nil {
				return fmt.Errorf("%w: lines of invoice %s are not together (Source.Lines must order by invoice)", ErrBadData, l.InvoiceNumber)
			}
			cur = &invoiceSum{Totals: Totals{Currency: l.Currency}, customer: l.CustomerID}
			curNo = l.InvoiceNumber
			w.invoices[curNo] = cur
			w.order = append(w.order, curNo)
		}
		if l.CustomerID != cur.customer || l.Currency != cur.Currency {
			return fmt.Errorf("%w: invoice %s has lines for %s %s and %s %s", ErrBadData, curNo,
				cur.customer, cur.Currency.Code, l.CustomerID, l.Currency.Code)
		}
		cur.add(l.Net, l.Tax, l.Gross)
		w.lines++
		return out.write(lineRecord(&l))
	})
	if err != nil {
		out.abort()
		return fmt.Errorf("%s: %w", LinesFile, err)
	}
	return out.close()
}

func (w *writer) writeInvoices() error {
	out, err := createCSV(w.path(InvoicesFile), InvoiceColumns)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(w.invoices))
	var mismatches []error
	err = w.src.Headers(func(h invoice.Header) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if seen[h.InvoiceNumber] {
			return fmt.Errorf("%w: invoice %s has two headers", ErrBadData, h.InvoiceNumber)
		}
		seen[h.InvoiceNumber] = true
		if err := checkHeader(&h, w.invoices[h.InvoiceNumber]); err != nil {
			mismatches = append(mismatches, err)
			return nil
		}
		w.headers = append(w.headers, h)
		return out.write(invoiceRecord(&h))
	})
	if err == nil {
		for _, no := range w.order {
			if !seen[no] {
				mismatches = append(mismatches, fmt.Errorf("%w: invoice %s has %d lines and no header", ErrTotalMismatch, no, w.invoices[no].Lines))
			}
		}
		err = joinErrors(mismatches)
	}
	if err != nil {
		out.abort()
		return fmt.Errorf("%s: %w", InvoicesFile, err)
	}
	return out.close()
}

// checkHeader compares a header with the sum of its lines.
func checkHeader(h *invoice.Header, sum *invoiceSum) error {
	if err := safeName("invoice number", h.InvoiceNumber); err != nil {
		return err
	}
	if err := checkCurrency(h.Currency); err != nil {
		return fmt.Errorf("invoice %s: %w", h.InvoiceNumber, err)
	}
	if sum == nil {
		return fmt.Errorf("%w: invoice %s has a header and no lines", ErrTotalMismatch, h.InvoiceNumber)
	}
	var diffs []string
	if h.CustomerID != sum.customer {
		diffs = append(diffs, fmt.Sprintf("customer %q, lines %q", h.CustomerID, sum.customer))
	}
	if h.Currency != sum.Currency {
		diffs = append(diffs, fmt.Sprintf("currency %s, lines %s", h.Currency.Code, sum.Currency.Code))
	} else {
		c := h.Currency
		for _, a := range []struct {
			name        string
			header, sum int64
		}{{"net", h.Net, sum.Net}, {"tax", h.Tax, sum.Tax}, {"gross", h.Gross, sum.Gross}} {
			if a.header != a.sum {
				diffs = append(diffs, fmt.Sprintf("%s %s, Σ lines %s", a.name, c.Format(a.header), c.Format(a.sum)))
			}
		}
	}
	if h.Lines != sum.Lines {
		diffs = append(diffs, fmt.Sprintf("lines %d, counted %d", h.Lines, sum.Lines))
	}
	if diffs != nil {
		return fmt.Errorf("%w: invoice %s: header %s", ErrTotalMismatch, h.InvoiceNumber, strings.Join(diffs, "; "))
	}
	return nil
}

// joinErrors joins the first ten errors and counts the rest.
func joinErrors(errs []error) error {
	if len(errs) > 10 {
		errs = append(errs[:10:10], fmt.Errorf("… and %d more", len(errs)-10))
	}
	return errors.Join(errs...)
}

func (w *writer) writeRejects() error {
	out, err := createCSV(w.path(RejectsFile), RejectColumns)
	if err != nil {
		return err
	}
	err = w.src.Rejects(func(r invoice.RejectRow) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		w.rejects++
		return out.write(rejectRecord(&r))
	})
	if err != nil {
		out.abort()
		return fmt.Errorf("%s: %w", RejectsFile, err)
	}
	return out.close()
}

// writeWorkbook writes invoices.xlsx: Summary from the checked headers, Lines
// and Rejects from a second pass over the Source, which must give what the
// first pass gave.
func (w *writer) writeWorkbook() error {
	b, err := newBook(w.limit)
	if err != nil {
		return err
	}
	if err := w.fillWorkbook(b); err != nil {
		b.discard()
		return fmt.Errorf("%s: %w", WorkbookFile, err)
	}
	return b.save(w.path(WorkbookFile))
}

func (w *writer) fillWorkbook(b *book) error {
	if err := b.writeSummary(w.headers); err != nil {
		return err
	}
	lines := b.table(LinesSheet, lineCols, w.lines, b.limit)
	sums := map[string]*Totals{}
	err := w.src.Lines(func(l invoice.Line) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if lines.done == w.lines {
			return fmt.Errorf("%w: more than %d lines", ErrSourceChanged, w.lines)
		}
		if err := checkLine(&l); err != nil {
			return err
		}
		t := sums[l.InvoiceNumber]
		if t == nil {
			t = &Totals{Currency: l.Currency}
			sums[l.InvoiceNumber] = t
		}
		t.add(l.Net, l.Tax, l.Gross)
		cells, err := b.lineCells(&l)
		if err != nil {
			return err
		}
		return lines.add(cells)
	})
	if err != nil {
		return err
	}
	if err := lines.close(); err != nil {
		return err
	}
	for no, t := range sums {
		if s := w.invoices[no]; s == nil || s.Totals != *t {
			return fmt.Errorf("%w: lines of invoice %s", ErrSourceChanged, no)
		}
	}
	rejects := b.table(RejectsSheet, rejectCols, w.rejects, b.limit)
	err = w.src.Rejects(func(r invoice.RejectRow) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if rejects.done == w.rejects {
			return fmt.Errorf("%w: more than %d rejects", ErrSourceChanged, w.rejects)
		}
		return rejects.add(b.rejectCells(&r))
	})
	if err != nil {
		return err
	}
	if err := rejects.close(); err != nil {
		return err
	}
	b.f.SetActiveSheet(0)
	return nil
}

// writeCustomers writes customers/<customer_id>/<invoice_number>.csv and
// .xlsx from a third pass over the lines. Each file is opened for one invoice
// and closed before the next invoice's lines, so it can hold no other lines.
func (w *writer) writeCustomers() error {
	byNo := make(map[string]*invoice.Header, len(w.headers))
	for i := range w.headers {
		h := &w.headers[i]
		if err := safeName("customer id", h.CustomerID); err != nil {
			return fmt.Errorf("%s: invoice %s: %w", CustomersDir, h.InvoiceNumber, err)
		}
		byNo[h.InvoiceNumber] = h
	}
	root := filepath.Join(w.dir, CustomersDir)
	if err := mkdir(root); err != nil {
		return err
	}
	var (
		h     *invoice.Header
		out   *csvFile
		b     *book
		tbl   *table
		made  = map[string]bool{}
		count = 0
	)
	finish := func() error {
		if h == nil {
			return nil
		}
		base := CustomersDir + "/" + h.CustomerID + "/" + h.InvoiceNumber
		err := out.close()
		if err == nil {
			err = tbl.close()
		}
		if err == nil {
			err = b.save(w.path(base + ".xlsx"))
		} else {
			b.discard()
		}
		h, out, b = nil, nil, nil
		return err
	}
	abort := func() {
		if out != nil {
			out.abort()
			b.discard()
		}
	}
	err := w.src.Lines(func(l invoice.Line) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if count == w.lines {
			return fmt.Errorf("%w: more than %d lines", ErrSourceChanged, w.lines)
		}
		count++
		if h == nil || l.InvoiceNumber != h.InvoiceNumber {
			if err := finish(); err != nil {
				return err
			}
			next := byNo[l.InvoiceNumber]
			if next == nil {
				return fmt.Errorf("%w: invoice %s", ErrSourceChanged, l.InvoiceNumber)
			}
			if next.CustomerID != l.CustomerID {
				return fmt.Errorf("%w: invoice %s is for customer %s, a line for %s", ErrSourceChanged, next.InvoiceNumber, next.CustomerID, l.CustomerID)
			}
			dir := filepath.Join(root, next.CustomerID)
			if !made[next.CustomerID] {
				if err := mkdir(dir); err != nil {
					return err
				}
				made[next.CustomerID] = true
			}
			base := CustomersDir + "/" + next.CustomerID + "/" + next.InvoiceNumber
			var err error
			if out, err = createCSV(w.path(base+".csv"), LineColumns); err != nil {
				return err
			}
			if b, err = newBook(w.limit); err != nil {
				out.abort()
				out = nil
				return err
			}
			if err := b.writeSummary([]invoice.Header{*next}); err != nil {
				return err
			}
			h = next
			tbl = b.table(LinesSheet, lineCols, h.Lines, b.limit)
		}
		if l.CustomerID != h.CustomerID {
			return fmt.Errorf("%w: invoice %s is for customer %s, a line for %s", ErrSourceChanged, h.InvoiceNumber, h.CustomerID, l.CustomerID)
		}
		cells, err := b.lineCells(&l)
		if err != nil {
			return err
		}
		if err := tbl.add(cells); err != nil {
			return err
		}
		return out.write(lineRecord(&l))
	})
	if err == nil {
		err = finish()
	} else {
		abort()
	}
	if err == nil && count != w.lines {
		err = fmt.Errorf("%w: %d lines, expected %d", ErrSourceChanged, count, w.lines)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", CustomersDir, err)
	}
	return nil
}

// readBack reads the staged invoice-lines.csv and invoices.csv and returns
// the totals they state, per invoice and per currency, after checking that
// they equal what was written.
func (w *writer) readBack() (inv, period map[string]Totals, err error) {
	inv = map[string]Totals{}
	err = readCSV(filepath.Join(w.dir, LinesFile), LineColumns, func(rec []string) error {
		c, err := invoice.LookupCurrency(rec[2])
		if err != nil {
			return err
		}
		var a [3]int64
		for i := range a {
			if a[i], err = c.ParseAmount(rec[12+i]); err != nil {
				return err
			}
		}
		t, ok := inv[rec[0]]
		if !ok {
			t.Currency = c
		}
		t.add(a[0], a[1], a[2])
		inv[rec[0]] = t
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read back %s: %w", LinesFile, err)
	}
	if len(inv) != len(w.invoices) {
		return nil, nil, fmt.Errorf("%w: %s has %d invoices, %d written", ErrSourceChanged, LinesFile, len(inv), len(w.invoices))
	}
	period = map[string]Totals{}
	for no, t := range inv {
		if s := w.invoices[no]; s == nil || s.Totals != t {
			return nil, nil, fmt.Errorf("%w: %s states other totals for invoice %s than were written", ErrSourceChanged, LinesFile, no)
		}
		p, ok := period[t.Currency.Code]
		if !ok {
			p.Currency = t.Currency
		}
		p.Net += t.Net
		p.Tax += t.Tax
		p.Gross += t.Gross
		p.Lines += t.Lines
		period[t.Currency.Code] = p
	}
	n := 0
	err = readCSV(filepath.Join(w.dir, InvoicesFile), InvoiceColumns, func(rec []string) error {
		n++
		t, ok := inv[rec[0]]
		if !ok {
			return fmt.Errorf("invoice %s has no lines", rec[0])
		}
		stated := []string{t.Currency.Format(t.Net), t.Currency.Format(t.Tax), t.Currency.Format(t.Gross), strconv.Itoa(t.Lines)}
		if !slices.Equal(rec[4:8], stated) {
			return fmt.Errorf("%w: invoice %s states %v, its lines %v", ErrTotalMismatch, rec[0], rec[4:8], stated)
		}
		return nil
	})
	if err == nil && n != len(inv) {
		err = fmt.Errorf("%w: %d invoices, %d with lines", ErrTotalMismatch, n, len(inv))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read back %s: %w", InvoicesFile, err)
	}
	return inv, period, nil
}

func readCSV(path string, header []string, fn func(rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = true
	rec, err := r.Read()
	if err != nil {
		return err
	}
	if !slices.Equal(rec, header) {
		return fmt.Errorf("header %v", rec)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
}
