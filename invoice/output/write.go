package output

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"cspbill/invoice"
)

// invoiceSum is what the lines of one invoice add up to.
type invoiceSum struct {
	Totals
	customer string
}

// writer writes one period's files into the staging directory: the headers
// are read first; one pass over the lines writes invoice-lines.csv and the
// workbook's Lines sheets; then invoices.csv (the headers checked against
// their lines), rejects.csv, the workbook's Summary and Rejects sheets, and
// the per-customer files from a second pass over the lines.
type writer struct {
	ctx   context.Context
	src   Source
	limit int
	dir   string

	invoices map[string]*invoiceSum // from the lines, per invoice number
	order    []string               // invoice numbers in line order
	lines    int
	headers  []invoice.Header // as the Source gave them; writeInvoices checks them all
	rejects  int
	files    []string

	book      *book  // the workbook, open from readHeaders to finishWorkbook
	lineSheet *table // its Lines table, filled by writeLines
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

// readHeaders reads the invoice headers, to be checked against the lines
// once those are written, and opens the workbook: the line count the
// headers state sizes its Lines sheets, so the lines are read once for
// both invoice-lines.csv and the workbook.
func (w *writer) readHeaders() error {
	stated := 0
	err := w.src.Headers(func(h invoice.Header) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		w.headers = append(w.headers, h)
		stated += max(h.Lines, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", InvoicesFile, err)
	}
	if w.book, err = newBook(w.limit); err != nil {
		return err
	}
	w.lineSheet = w.book.table(LinesSheet, lineCols, stated, w.book.limit)
	return nil
}

// writeLines writes invoice-lines.csv and the workbook's Lines sheets in
// one pass over the lines, summing each invoice's lines for writeInvoices.
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
		cells, err := w.book.lineCells(&l)
		if err == nil {
			err = w.lineSheet.add(cells)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", WorkbookFile, err)
		}
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
	err = func() error {
		for i := range w.headers {
			h := &w.headers[i]
			if seen[h.InvoiceNumber] {
				return fmt.Errorf("%w: invoice %s has two headers", ErrBadData, h.InvoiceNumber)
			}
			seen[h.InvoiceNumber] = true
			if err := checkHeader(h, w.invoices[h.InvoiceNumber]); err != nil {
				mismatches = append(mismatches, err)
				continue
			}
			if err := out.write(invoiceRecord(h)); err != nil {
				return err
			}
		}
		return nil
	}()
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

// finishWorkbook completes invoices.xlsx, whose Lines sheets writeLines
// filled: Summary (its first sheet, there from the start) from the checked
// headers, then Rejects.
func (w *writer) finishWorkbook() error {
	b := w.book
	w.book = nil
	if err := w.fillWorkbook(b); err != nil {
		b.discard()
		return fmt.Errorf("%s: %w", WorkbookFile, err)
	}
	return b.save(w.path(WorkbookFile))
}

// discardWorkbook releases a workbook a failed step left open.
func (w *writer) discardWorkbook() {
	if w.book != nil {
		w.book.discard()
		w.book = nil
	}
}

func (w *writer) fillWorkbook(b *book) error {
	if err := w.lineSheet.close(); err != nil {
		return err
	}
	if err := b.writeSummary(w.headers); err != nil {
		return err
	}
	rejects := b.table(RejectsSheet, rejectCols, w.rejects, b.limit)
	err := w.src.Rejects(func(r invoice.RejectRow) error {
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
	// Summary, the first sheet, is the active one; SetActiveSheet would parse
	// every streamed sheet back into memory.
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
