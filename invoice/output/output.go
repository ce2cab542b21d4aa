package output

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
// must stream the same rows in the same order each time. The writer holds
// one invoice at a time: it checks headers and lines against each other as
// both pass in invoice number order.
type Source interface {
	// Counts says how many headers, lines and rejects the methods below
	// give. The workbook's sheets are sized from it before their rows
	// arrive; a pass that gives another number fails the stage
	// (ErrSourceChanged).
	Counts() (Counts, error)
	// Headers gives one header per invoice, ordered by invoice number, byte
	// by byte (as Go compares strings).
	Headers(fn func(invoice.Header) error) error
	// Lines gives every line, ordered by invoice number as Headers (all
	// lines of an invoice together), then charge_start, order_id, line_no,
	// charges before credits. The files keep this order.
	Lines(fn func(invoice.Line) error) error
	// Rejects gives the rejected and held records to report.
	Rejects(fn func(invoice.RejectRow) error) error
}

// Counts are the rows a Source gives: invoices (headers), lines (the sum
// the headers state) and rejects.
type Counts struct {
	Invoices, Lines, Rejects int
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
	Period string   // YYYY-MM
	Dir    string   // the staging directory, hidden in the output directory
	Final  string   // OUT/YYYY-MM, where Publish puts the files
	Files  []string // staged files, slash-separated paths relative to Dir, sorted
	// Invoices is the number of rows of invoices.csv; PeriodTotals, per
	// currency code, what the staged invoice-lines.csv adds up to. Stated
	// streams what invoices.csv says of each invoice, for the caller to tie
	// to the ledger before it publishes.
	Invoices     int
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
	if err := removeLeftovers(outDir, period); err != nil {
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
	// Temporary files (the workbooks' rows past 1 MiB, excelize's own) stay
	// beside the files, on their file system, and go with a failed stage.
	tmp := filepath.Join(dir, ".tmp")
	if err := os.Mkdir(tmp, dirMode); err != nil {
		return nil, err
	}
	w := &writer{ctx: ctx, src: src, limit: limit, dir: dir, tmp: tmp, period: map[string]Totals{}}
	steps := []func() error{w.openBook, w.writeLines, w.writeInvoices, w.writeRejects, w.finishWorkbook}
	if opt.PerCustomer {
		steps = append(steps, w.writeCustomers)
	}
	defer w.discardWorkbook()
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := step(); err != nil {
			return nil, err
		}
	}
	w.discardWorkbook()
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	st := &Staged{
		Period: period, Dir: dir, Final: filepath.Join(outDir, period),
		Files: w.files, Invoices: w.invoices, PeriodTotals: w.period, Rejects: w.rejects,
		outDir: outDir, perCustomer: opt.PerCustomer,
	}
	sort.Strings(st.Files)
	if err := SyncDir(dir); err != nil {
		return nil, err
	}
	return st, nil
}

// removeLeftovers removes what a close of the period killed before it
// finished left: its staging folder, and the old customers folder of a swap
// it did not end. The close runs under the ledger's lock, so no other close
// of the ledger is writing them; an output folder belongs to one ledger.
func removeLeftovers(outDir, period string) error {
	for _, d := range []struct{ dir, prefix string }{
		{outDir, ".cspbill-staging-" + period + "-"},
		{filepath.Join(outDir, period), ".customers-old-"},
	} {
		if err := RemoveHidden(d.dir, d.prefix); err != nil {
			return fmt.Errorf("remove what a killed close left: %w", err)
		}
	}
	return nil
}

// RemoveHidden removes the entries of dir whose names start with prefix
// (hidden: it starts with '.'), folders with what they hold. A dir that
// does not exist holds none.
func RemoveHidden(dir, prefix string) error {
	if !strings.HasPrefix(prefix, ".") || strings.ContainsRune(prefix, filepath.Separator) {
		return fmt.Errorf("output: %q is not a hidden name's prefix", prefix)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
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
		return SyncDir(s.outDir)
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
	if err := SyncDir(s.Final); err != nil {
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
