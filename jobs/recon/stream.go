package recon

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
)

// Input is what Run reconciles.
type Input struct {
	Period string
	// Rows gives the file's readable rows to emit in file order (ScanFile).
	Rows func(emit func(Row) error) error
	// Ledger yields the period's invoice lines in the ledger's order: by
	// customer id, currency and charge start (the order of the invoices'
	// lines, SPEC §4). A line coming after a greater one is an error.
	Ledger    iter.Seq2[LedgerLine, error]
	Customers []Customer
	Options
	// TempDir holds the sorts' run files while Run runs ("": os.TempDir()).
	TempDir string
	// RunSize is how many rows a sort holds in memory (0: DefaultRunSize).
	RunSize int
}

// engine is one Run's state.
type engine struct {
	period  string
	tol     func(invoice.Currency) decimal.Decimal // per unit
	m       Map
	ids     map[string]bool
	domains map[string][]string
}

// referenced is a row with a ReferenceId waiting to be netted.
type referenced struct {
	Seq int
	Row Row
}

// Run reconciles in bounded memory: the same items as Match holds whole,
// given to emit one by one in report order.
//
//  1. The rows are read in file order. A row without a ReferenceId is
//     resolved to cspbill's ids at once; the others are sorted by
//     ReferenceId (an external sort: runs of RunSize rows in temporary
//     files, merged), so each group is netted as it is read back, then
//     resolved.
//  2. The resolved rows are sorted by customer, currency and charge start,
//     then file order; rows of unknown customers last, in report order.
//  3. The ledger's lines, in the same order, are merged with them: the
//     lines and rows of each customer, currency and charge start are
//     matched (a pair agrees on all three, so nothing pairs across these
//     groups) and their items given out, sorted; then the rows of unknown
//     customers.
//
// Memory is a sort run, one customer's charges of one currency and day,
// the mapping and the customers' ids and domains, whatever the number of
// lines. (Grouped by customer alone, a customer with 400,000 lines in a
// month took 666 MB.)
func Run(ctx context.Context, in Input, emit func(*Item) error) (Report, error) {
	e := &engine{period: in.Period, tol: in.perUnit, m: in.Map, ids: map[string]bool{}, domains: map[string][]string{}}
	rep := Report{Period: in.Period, Counts: map[Kind]int{}}
	for _, c := range in.Customers {
		e.ids[c.ID] = true
		if c.Domain != "" {
			d := strings.ToLower(c.Domain)
			e.domains[d] = append(e.domains[d], c.ID)
		}
	}
	for _, ids := range e.domains {
		// In id order, whatever order the customers came in (from a map:
		// a shared domain's note named them either way, P4).
		slices.Sort(ids)
	}
	in.Customers = nil // the maps hold what matching needs of them

	byRef := newSorter(in.TempDir, in.RunSize, func(a, b *referenced) int {
		return cmp.Or(strings.Compare(a.Row.ReferenceID, b.Row.ReferenceID), cmp.Compare(a.Seq, b.Seq))
	})
	defer byRef.close()
	byCustomer := newSorter(in.TempDir, in.RunSize, resolvedOrder)
	defer byCustomer.close()

	resolvedRows := 0
	add := func(row Row, seq int, note string) error {
		resolvedRows++
		return byCustomer.add(e.resolve(row, seq, note))
	}
	err := in.Rows(func(row Row) error {
		seq := rep.Rows
		rep.Rows++
		if seq%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if row.ReferenceID == "" {
			return add(row, seq, "")
		}
		return byRef.add(referenced{Seq: seq, Row: row})
	})
	if err != nil {
		return rep, err
	}
	var group []referenced
	netGroup := func() error {
		rows := make([]Row, len(group))
		for i := range group {
			rows[i] = group[i].Row
		}
		out, first, notes := netRows(rows)
		for i := range out {
			if err := add(out[i], group[first[i]].Seq, notes[i]); err != nil {
				return err
			}
		}
		group = group[:0]
		return nil
	}
	for r, err := range byRef.sorted() {
		if err != nil {
			return rep, err
		}
		if len(group) > 0 && group[0].Row.ReferenceID != r.Row.ReferenceID {
			if err := netGroup(); err != nil {
				return rep, err
			}
		}
		group = append(group, *r)
	}
	if err := netGroup(); err != nil {
		return rep, err
	}
	if err := byRef.close(); err != nil {
		return rep, err
	}
	rep.Netted = rep.Rows - resolvedRows

	give := func(items []Item) error {
		for i := range items {
			rep.Counts[items[i].Kind]++
			if err := emit(&items[i]); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	nextLine, stopLines := iter.Pull2(in.Ledger)
	defer stopLines()
	nextRow, stopRows := iter.Pull2(byCustomer.sorted())
	defer stopRows()

	var line LedgerLine
	haveLine := false
	pullLine := func() error {
		prev := groupOfLine(&line)
		l, err, ok := nextLine()
		if err != nil {
			return err
		}
		if haveLine = ok; ok {
			if g := groupOfLine(&l); rep.Lines > 0 && g.compare(prev) < 0 {
				return fmt.Errorf("recon: ledger lines out of order: %s %s %s after %s %s %s",
					g.customer, g.currency, g.start, prev.customer, prev.currency, prev.start)
			}
			line = l
			rep.Lines++
		}
		return nil
	}
	var row *resolved
	pullRow := func() error {
		r, err, ok := nextRow()
		if err != nil {
			return err
		}
		row = nil
		if ok {
			row = r
		}
		return nil
	}
	if err := pullLine(); err != nil {
		return rep, err
	}
	if err := pullRow(); err != nil {
		return rep, err
	}
	for haveLine || row != nil && row.Customer != "" {
		g := groupOfLine(&line)
		if row != nil && row.Customer != "" && (!haveLine || groupOfRow(row).compare(g) < 0) {
			g = groupOfRow(row)
		}
		var lines []LedgerLine
		for haveLine && groupOfLine(&line) == g {
			lines = append(lines, line)
			if err := pullLine(); err != nil {
				return rep, err
			}
		}
		var res []*resolved
		for row != nil && row.Customer != "" && groupOfRow(row) == g {
			r := *row
			res = append(res, &r)
			if err := pullRow(); err != nil {
				return rep, err
			}
		}
		if err := give(matchCustomer(e.period, lines, res, e.tol)); err != nil {
			return rep, err
		}
	}
	for row != nil {
		if err := give([]Item{row.unpaired(e.period)}); err != nil {
			return rep, err
		}
		if err := pullRow(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// group is what Run matches at once: one customer's lines and rows of one
// currency and charge start. Every pair agrees on all three (a bucket of
// matchCustomer is a part of a group), and the report's order begins with
// them (itemOrder), so the groups' items, each group sorted, come in
// report order.
type group struct {
	customer, currency string
	start              invoice.Date
}

func groupOfLine(l *LedgerLine) group { return group{l.CustomerID, l.Currency.Code, l.ChargeStart} }

func groupOfRow(r *resolved) group {
	return group{r.Customer, r.Row.Currency.Code, r.Row.ChargeStart}
}

func (a group) compare(b group) int {
	return cmp.Or(strings.Compare(a.customer, b.customer), strings.Compare(a.currency, b.currency), cmp.Compare(a.start, b.start))
}

// resolvedOrder sorts resolved rows for the merge with the ledger: rows of
// known customers by group, then file order; then the rows of unknown
// customers in the order of their items in the report.
func resolvedOrder(a, b *resolved) int {
	if a.Customer != "" && b.Customer != "" {
		return cmp.Or(groupOfRow(a).compare(groupOfRow(b)), cmp.Compare(a.Seq, b.Seq))
	}
	if a.Customer != "" || b.Customer != "" {
		return itemOrder{customer: a.Customer}.compare(itemOrder{customer: b.Customer})
	}
	return cmp.Or(a.unknownOrder().compare(b.unknownOrder()), cmp.Compare(a.Seq, b.Seq))
}

// unknownOrder is the report order of the item of a row whose customer is
// not known (its item is always PartnerCenterOnly).
func (r *resolved) unknownOrder() itemOrder {
	credit := 0
	if r.Row.refund() {
		credit = 1
	}
	return itemOrder{r.Customer, r.Row.Currency.Code, r.Row.ChargeStart, r.Order, r.Sub, r.SKU, credit, r.Row.ChargeType}
}
