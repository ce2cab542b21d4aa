package output

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"cspbill/invoice"
)

// writer writes one period's files into the staging directory, streaming:
// the Source's counts size the workbook's sheets; one pass over the lines
// writes invoice-lines.csv and the Lines sheets; one pass over the headers,
// beside a read of the staged invoice-lines.csv, checks each header against
// its lines and writes invoices.csv and the Summary sheet; one pass over the
// rejects writes rejects.csv and the Rejects sheet; then (on request) the
// per-customer files. Nothing it keeps grows with the period: Source
// streams in invoice order, so one invoice is enough to hold.
type writer struct {
	ctx   context.Context
	src   Source
	limit int
	dir   string
	tmp   string // temporary files, inside dir, removed before Stage returns

	counts   Counts // as the Source gave them
	invoices int    // headers written
	lines    int    // lines written
	period   map[string]Totals
	rejects  int
	files    []string

	book      *book  // the workbook, open from openBook to finishWorkbook
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

// openBook asks the Source how many invoices, lines and rejects it has and
// opens the workbook: the counts size its sheets (their filters cover the
// rows to come), so each sheet is filled in the one pass that writes the
// matching CSV file.
func (w *writer) openBook() error {
	c, err := w.src.Counts()
	if err != nil {
		return err
	}
	if c.Invoices < 0 || c.Lines < 0 || c.Rejects < 0 {
		return fmt.Errorf("%w: counts %+v", ErrBadData, c)
	}
	w.counts = c
	if w.book, err = newBook(w.limit, w.tmp); err != nil {
		return err
	}
	w.lineSheet = w.book.table(LinesSheet, lineCols, c.Lines, w.book.limit)
	return nil
}

// inOrder checks that invoice number no follows prev (when there is one)
// in byte order, the order of Source.
func inOrder(what, prev, no string, has bool) error {
	switch {
	case !has || prev < no:
		return nil
	case prev == no:
		return fmt.Errorf("%w: invoice %s has two %ss", ErrBadData, no, what)
	}
	return fmt.Errorf("%w: %s of invoice %s after invoice %s (Source must order by invoice number)", ErrBadData, what, no, prev)
}

// writeLines writes invoice-lines.csv and the workbook's Lines sheets in
// one pass over the lines, checking that an invoice's lines come together
// and share its customer and currency.
func (w *writer) writeLines() error {
	out, err := CreateCSV(w.path(LinesFile), LineColumns)
	if err != nil {
		return err
	}
	var first invoice.Line // the current invoice's first line
	err = w.src.Lines(func(l invoice.Line) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := checkLine(&l); err != nil {
			return err
		}
		if w.lines == 0 || l.InvoiceNumber != first.InvoiceNumber {
			if w.lines > 0 && l.InvoiceNumber < first.InvoiceNumber {
				return fmt.Errorf("%w: lines of invoice %s are not together (Source.Lines must order by invoice number)", ErrBadData, l.InvoiceNumber)
			}
			first = l
		}
		if l.CustomerID != first.CustomerID || l.Currency != first.Currency {
			return fmt.Errorf("%w: invoice %s has lines for %s %s and %s %s", ErrBadData, l.InvoiceNumber,
				first.CustomerID, first.Currency.Code, l.CustomerID, l.Currency.Code)
		}
		w.lines++
		cells, err := w.book.lineCells(&l)
		if err == nil {
			err = w.lineSheet.add(cells)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", WorkbookFile, err)
		}
		return out.Write(lineRecord(&l))
	})
	if err == nil {
		err = out.Close()
	} else {
		out.Abort()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", LinesFile, err)
	}
	if w.lines != w.counts.Lines {
		// Left open for writeInvoices, which says which header is wrong.
		return nil
	}
	return w.closeLineSheet()
}

func (w *writer) closeLineSheet() error {
	t := w.lineSheet
	if t == nil {
		return nil
	}
	w.lineSheet = nil
	if err := t.close(); err != nil {
		return fmt.Errorf("%s: %w", WorkbookFile, err)
	}
	return nil
}

// writeInvoices passes over the headers a second time beside the staged
// invoice-lines.csv, both in invoice number order: each header must state
// what its lines in the file add up to. It writes invoices.csv and the
// workbook's Summary sheet, and sums the period per currency.
func (w *writer) writeInvoices() error {
	groups, err := openGroups(filepath.Join(w.dir, LinesFile))
	if err != nil {
		return fmt.Errorf("read back %s: %w", LinesFile, err)
	}
	defer groups.close()
	out, err := CreateCSV(w.path(InvoicesFile), InvoiceColumns)
	if err != nil {
		return err
	}
	summary := w.book.summary(w.counts.Invoices)
	var mismatches mismatchList
	g, gerr := groups.next() // the file's next invoice, nil after the last
	// noHeader reports the file's invoices before number (all, if "")
	// as having no header.
	noHeader := func(number string) error {
		for gerr == nil && g != nil && (number == "" || g.number < number) {
			mismatches.add(fmt.Errorf("%w: invoice %s has %d lines and no header", ErrTotalMismatch, g.number, g.Lines))
			g, gerr = groups.next()
		}
		return gerr
	}
	last := ""
	herr := w.src.Headers(func(h invoice.Header) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := inOrder("header", last, h.InvoiceNumber, w.invoices > 0); err != nil {
			return err
		}
		last = h.InvoiceNumber
		if w.invoices++; w.invoices > w.counts.Invoices {
			return fmt.Errorf("%w: more than %d headers", ErrSourceChanged, w.counts.Invoices)
		}
		if err := noHeader(h.InvoiceNumber); err != nil {
			return err
		}
		var sum *lineGroup
		if g != nil && g.number == h.InvoiceNumber {
			sum = g
			if g, gerr = groups.next(); gerr != nil {
				return gerr
			}
		}
		if err := checkHeader(&h, sum); err != nil {
			if errors.Is(err, ErrTotalMismatch) {
				mismatches.add(err)
				return nil
			}
			return err
		}
		w.addPeriod(sum.Totals)
		if err := summary.add(&h); err != nil {
			return fmt.Errorf("%s: %w", WorkbookFile, err)
		}
		return out.Write(invoiceRecord(&h))
	})
	if herr == nil {
		herr = noHeader("")
	}
	if herr == nil && w.invoices != w.counts.Invoices {
		herr = fmt.Errorf("%w: %d headers, %d counted", ErrSourceChanged, w.invoices, w.counts.Invoices)
	}
	if herr == nil {
		herr = mismatches.err()
	}
	if herr == nil {
		herr = w.closeLineSheet()
	}
	if herr == nil {
		herr = out.Close()
	} else {
		out.Abort()
	}
	if herr != nil {
		return fmt.Errorf("%s: %w", InvoicesFile, herr)
	}
	if err := summary.close(); err != nil {
		return fmt.Errorf("%s: %w", WorkbookFile, err)
	}
	return nil
}

func (w *writer) addPeriod(t Totals) {
	p, ok := w.period[t.Currency.Code]
	if !ok {
		p.Currency = t.Currency
	}
	p.Net += t.Net
	p.Tax += t.Tax
	p.Gross += t.Gross
	p.Lines += t.Lines
	w.period[t.Currency.Code] = p
}

// mismatchList keeps the first ten mismatches and counts the rest.
type mismatchList struct {
	first []error
	more  int
}

func (m *mismatchList) add(err error) {
	if len(m.first) < 10 {
		m.first = append(m.first, err)
	} else {
		m.more++
	}
}

func (m *mismatchList) err() error {
	errs := m.first
	if m.more > 0 {
		errs = append(errs, fmt.Errorf("… and %d more", m.more))
	}
	return errors.Join(errs...)
}

// checkHeader compares a header with the sum of its lines.
func checkHeader(h *invoice.Header, sum *lineGroup) error {
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

// writeRejects writes rejects.csv and the workbook's Rejects sheet in one
// pass over the rejects.
func (w *writer) writeRejects() error {
	out, err := CreateCSV(w.path(RejectsFile), RejectColumns)
	if err != nil {
		return err
	}
	b := w.book
	sheet := b.table(RejectsSheet, rejectCols, w.counts.Rejects, b.limit)
	err = w.src.Rejects(func(r invoice.RejectRow) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if w.rejects++; w.rejects > w.counts.Rejects {
			return fmt.Errorf("%w: more than %d rejects", ErrSourceChanged, w.counts.Rejects)
		}
		if err := sheet.add(b.rejectCells(&r)); err != nil {
			return fmt.Errorf("%s: %w", WorkbookFile, err)
		}
		return out.Write(rejectRecord(&r))
	})
	if err == nil {
		err = sheet.close()
	}
	if err == nil {
		err = out.Close()
	} else {
		out.Abort()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", RejectsFile, err)
	}
	return nil
}

// finishWorkbook saves invoices.xlsx, whose sheets the steps before filled.
// Summary, the first sheet, is the active one (SetActiveSheet would parse
// every streamed sheet back into memory).
func (w *writer) finishWorkbook() error {
	b := w.book
	w.book = nil
	return b.save(w.path(WorkbookFile))
}

func (w *writer) discardWorkbook() {
	if w.book != nil {
		w.book.discard()
		w.book = nil
	}
}

// writeCustomers writes customers/<customer_id>/<invoice_number>.csv and
// .xlsx from one more pass over the lines, beside a pass over the headers
// (every header has lines: writeInvoices checked). Each file is opened for
// one invoice and given all its lines before the next invoice's begin, so it
// can hold no other lines. Closing an invoice's files (the CSV's flush and
// sync, the workbook's zip) is most of the work, a few milliseconds a
// workbook, and runs on another goroutine while the lines of the next
// invoices are read: at most one file pair per core is closing at a time,
// so what is held stays a few workbooks whatever the period's size.
func (w *writer) writeCustomers() error {
	root := filepath.Join(w.dir, CustomersDir)
	if err := mkdir(root); err != nil {
		return err
	}
	nextHeader, stopHeaders := pull(w.src.Headers)
	closing, cctx := errgroup.WithContext(w.ctx)
	closing.SetLimit(runtime.GOMAXPROCS(0))
	var (
		h     invoice.Header
		open  bool // h's files are open
		out   *CSVFile
		b     *book
		tbl   *table
		made  = map[string]bool{} // customer folders made
		count = 0
	)
	finish := func() error {
		if !open {
			return nil
		}
		open = false
		base := CustomersDir + "/" + CustomerFolder(h.CustomerID) + "/" + h.InvoiceNumber
		out, b, tbl, path := out, b, tbl, w.path(base+".xlsx")
		closing.Go(func() error {
			err := out.Close()
			if err == nil {
				err = tbl.close()
			}
			if err == nil {
				err = b.save(path)
			} else {
				b.discard()
			}
			return err
		})
		return nil
	}
	start := func(l *invoice.Line) error {
		var ok bool
		if h, ok = nextHeader(); !ok {
			return fmt.Errorf("%w: invoice %s has lines and no header", ErrSourceChanged, l.InvoiceNumber)
		}
		if h.InvoiceNumber != l.InvoiceNumber {
			return fmt.Errorf("%w: invoice %s where the lines of %s begin", ErrSourceChanged, h.InvoiceNumber, l.InvoiceNumber)
		}
		folder := CustomerFolder(h.CustomerID)
		dir := filepath.Join(root, folder)
		if !made[folder] {
			if err := mkdir(dir); err != nil {
				return err
			}
			made[folder] = true
		}
		base := CustomersDir + "/" + folder + "/" + h.InvoiceNumber
		var err error
		if out, err = CreateCSV(w.path(base+".csv"), LineColumns); err != nil {
			return err
		}
		if b, err = newBook(w.limit, w.tmp); err == nil {
			s := b.summary(1)
			if err = s.add(&h); err == nil {
				err = s.close()
			}
			if err != nil {
				b.discard()
			}
		}
		if err != nil {
			out.Abort()
			return err
		}
		open = true
		tbl = b.table(LinesSheet, lineCols, h.Lines, b.limit)
		return nil
	}
	err := w.src.Lines(func(l invoice.Line) error {
		if err := cctx.Err(); err != nil {
			return err // cancelled, or a file failed to close: Wait says which
		}
		if count == w.lines {
			return fmt.Errorf("%w: more than %d lines", ErrSourceChanged, w.lines)
		}
		count++
		if !open || l.InvoiceNumber != h.InvoiceNumber {
			if err := finish(); err != nil {
				return err
			}
			if err := start(&l); err != nil {
				return err
			}
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
		return out.Write(lineRecord(&l))
	})
	if err == nil {
		err = finish()
	} else if open {
		out.Abort()
		b.discard()
	}
	// Every file closed (or failed) before this returns: a failed stage is
	// removed whole, with nothing still writing into it.
	if cerr := closing.Wait(); cerr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = cerr
	}
	if _, more := nextHeader(); more && err == nil {
		err = fmt.Errorf("%w: a header past the last invoice with lines", ErrSourceChanged)
	}
	if serr := stopHeaders(); err == nil {
		err = serr
	}
	if err == nil && count != w.lines {
		err = fmt.Errorf("%w: %d lines, expected %d", ErrSourceChanged, count, w.lines)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", CustomersDir, err)
	}
	return nil
}

// errStopped ends a Source stream that pull's caller stopped early.
var errStopped = errors.New("stream stopped")

// pull turns a Source stream into a pull iterator: next gives the next row
// (false at the end or after an error); stop ends the stream and returns the
// error that ended it, if any.
func pull[T any](stream func(func(T) error) error) (next func() (T, bool), stop func() error) {
	var err error
	n, s := iter.Pull(func(yield func(T) bool) {
		err = stream(func(v T) error {
			if !yield(v) {
				return errStopped
			}
			return nil
		})
	})
	return n, func() error {
		s()
		if errors.Is(err, errStopped) {
			return nil
		}
		return err
	}
}
