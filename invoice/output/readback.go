package output

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"cspbill/invoice"
)

// Reading the staged files back: what the files say, checked against the
// headers while they are written (writeInvoices) and against the ledger
// before they are published (Staged.Stated).

// lineGroup is one invoice as the staged invoice-lines.csv states it: its
// number and customer as written (Text applied) and its lines' totals.
type lineGroup struct {
	number, customer string
	Totals
}

// lineGroups reads invoice-lines.csv back an invoice at a time.
type lineGroups struct {
	f    *os.File
	r    *csv.Reader
	peek []string // the first line of the next invoice; nil at the end
	name string
}

func openGroups(path string) (*lineGroups, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	g := &lineGroups{f: f, r: csv.NewReader(f), name: filepath.Base(path)}
	g.r.FieldsPerRecord = len(LineColumns)
	head, err := g.r.Read()
	if err == nil && !slices.Equal(head, LineColumns) {
		err = fmt.Errorf("header %v", head)
	}
	if err == nil {
		err = g.read()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return g, nil
}

// read reads the next record into peek (nil at the end of the file).
func (g *lineGroups) read() error {
	rec, err := g.r.Read()
	switch {
	case err == io.EOF:
		g.peek = nil
		return nil
	case err != nil:
		return err
	}
	g.peek = rec
	return nil
}

// next returns the next invoice, nil after the last.
func (g *lineGroups) next() (*lineGroup, error) {
	if g.peek == nil {
		return nil, nil
	}
	c, err := invoice.LookupCurrency(g.peek[2])
	if err != nil {
		return nil, g.fail(err)
	}
	grp := &lineGroup{number: g.peek[0], customer: g.peek[1], Totals: Totals{Currency: c}}
	for g.peek != nil && g.peek[0] == grp.number {
		rec := g.peek
		if rec[1] != grp.customer || rec[2] != c.Code {
			return nil, g.fail(fmt.Errorf("%w: invoice %s has lines for %s %s and %s %s", ErrSourceChanged,
				grp.number, grp.customer, c.Code, rec[1], rec[2]))
		}
		var a [3]int64
		for i := range a {
			if a[i], err = c.ParseAmount(rec[12+i]); err != nil {
				return nil, g.fail(fmt.Errorf("%s: %w", LineColumns[12+i], err))
			}
		}
		grp.add(a[0], a[1], a[2])
		if err := g.read(); err != nil {
			return nil, g.fail(err)
		}
	}
	return grp, nil
}

func (g *lineGroups) fail(err error) error {
	line, _ := g.r.FieldPos(0)
	return fmt.Errorf("read back %s line %d: %w", g.name, line, err)
}

func (g *lineGroups) close() { g.f.Close() }

// Stated is what the staged invoices.csv says of one invoice.
type Stated struct {
	InvoiceNumber string
	CustomerID    string // as written: Text applied
	Totals
}

// Stated streams the staged invoices.csv: what the files say of each
// invoice, in file order. Stage checked, while writing it, that each row
// states what the invoice's lines in invoice-lines.csv add up to.
func (s *Staged) Stated() iter.Seq2[Stated, error] {
	return func(yield func(Stated, error) bool) {
		err := readCSV(filepath.Join(s.Dir, InvoicesFile), InvoiceColumns, func(rec []string) error {
			c, err := invoice.LookupCurrency(rec[3])
			if err != nil {
				return err
			}
			st := Stated{InvoiceNumber: rec[0], CustomerID: rec[1], Totals: Totals{Currency: c}}
			for i, a := range []*int64{&st.Net, &st.Tax, &st.Gross} {
				if *a, err = c.ParseAmount(rec[4+i]); err != nil {
					return fmt.Errorf("%s: %w", InvoiceColumns[4+i], err)
				}
			}
			if st.Lines, err = strconv.Atoi(rec[7]); err != nil {
				return fmt.Errorf("lines: %w", err)
			}
			if !yield(st, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(Stated{}, fmt.Errorf("read back %s: %w", InvoicesFile, err))
		}
	}
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
