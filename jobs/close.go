package jobs

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"

	"cspbill/invoice"
	"cspbill/invoice/output"
	"cspbill/jobs/csvin"
	"cspbill/ledger"
)

// CloseOptions says what a close does.
type CloseOptions struct {
	Period invoice.Month
	Out    string
	// BillFrom is the cutover (P2), only on the first close; 0 = the period.
	BillFrom     invoice.Month
	PerCustomer  bool
	DryRun       bool
	MaxSheetRows int // 0: Excel's limit
}

// Close closes a period (SPEC P1–P5): every earlier billed month still open
// first, each posted through its last day, numbered and locked in one
// database transaction, and its files written under OUT/YYYY-MM/ only after
// they tie to the ledger. Re-running the close of a closed month posts
// nothing and rewrites identical files.
func Close(ctx context.Context, d Deps, opt CloseOptions) (Summary, error) {
	return run(ctx, d, "close", opt.Period.String(), func(runID string, s *Summary) error {
		s.DryRun = opt.DryRun
		s.Out = opt.Out
		cal, err := loadCalendar(ctx, d.Ledger)
		if err != nil {
			return err
		}
		first := cal.lastClosed + 1
		if cal.lastClosed == 0 {
			cutover := opt.Period
			if opt.BillFrom != 0 {
				cutover = opt.BillFrom
			}
			if cal.billFrom != 0 && cal.billFrom != cutover {
				return fmt.Errorf("%w: --bill-from %s differs from the cutover %s this ledger already has", ErrUsage, cutover, cal.billFrom)
			}
			if cutover > opt.Period {
				return fmt.Errorf("%w: --bill-from %s is after the period %s", ErrUsage, cutover, opt.Period)
			}
			cal.billFrom, first = cutover, cutover
		} else if opt.BillFrom != 0 && opt.BillFrom != cal.billFrom {
			return fmt.Errorf("%w: --bill-from is only for the first close; this ledger bills from %s", ErrUsage, cal.billFrom)
		}
		if opt.Period < cal.billFrom {
			return fmt.Errorf("%w: period %s is before the ledger's first billed month %s", ErrUsage, opt.Period, cal.billFrom)
		}
		log := d.logger().With("run", runID)
		if opt.DryRun {
			// One pass through the last month, with the cutover this close
			// sets: a pass a month, with nothing posted in between, counted
			// each earlier month's charges again (93 for the real 57).
			if opt.Period < first {
				// Closed already: the run rewrites its files, which list
				// the month's rejects and holds as before, counted as the
				// writer counts them (the dry run counted none: found by a
				// review).
				src := &periodSource{ctx: ctx, l: d.Ledger, period: opt.Period}
				if err := src.Rejects(func(invoice.RejectRow) error { return nil }); err != nil {
					return err
				}
				s.Rejected, s.Held = src.rejected, src.held
				return nil
			}
			return dryRunPlans(ctx, d, runID, opt.Period.Last(), cal, s, true)
		}
		// The files must be writable before a month is locked: a close into
		// a path that is a file, or a folder it may not write, locked the
		// month and then failed (the next close wrote it, but the month was
		// locked by a run that could never finish: found by an audit).
		// Each month's folder too, where one is there already (a file of
		// that name, or a folder the job may not write, failed only once
		// the month was locked: found by a review).
		for m := min(first, opt.Period); m <= opt.Period; m++ {
			if err := writable(opt.Out, m.String()); err != nil {
				return fmt.Errorf("cannot write the files in --out %s (nothing was closed): %w", opt.Out, err)
			}
		}
		// Statistics as of now: a post that wrote millions of transactions
		// leaves them stale, and the close's queries by period planned on
		// an empty table probed the whole ledger row by row (seen: 5 s for
		// the receivables at a million order lines).
		if err := d.Ledger.Analyze(ctx); err != nil {
			return err
		}
		// A close stopped between locking a month and writing its files
		// (killed, or its files failed) left the month closed and
		// unwritten: write it now, whichever month this close is for (P4:
		// the next run completes it).
		unpublished, err := d.Ledger.Unpublished(ctx)
		if err != nil {
			return err
		}
		for _, p := range unpublished {
			m, err := invoice.ParseMonth(p)
			if err != nil {
				return err
			}
			if m == opt.Period && opt.Period < first {
				continue // written below
			}
			log.Warn("writing the files of a month closed before but never written", "period", p)
			if err := writeMonth(ctx, d, runID, m, opt, m, s); err != nil {
				return err
			}
		}
		for m := first; m <= opt.Period; m++ {
			if err := closeMonth(ctx, d, runID, m, m == opt.Period, cal, s); err != nil {
				return err
			}
			if cal, err = loadCalendar(ctx, d.Ledger); err != nil { // m closed, the cutover recorded
				return err
			}
			s.Periods = append(s.Periods, m.String())
			log.Info("period closed", "period", m.String())
			if err := writeMonth(ctx, d, runID, m, opt, first, s); err != nil {
				return err
			}
		}
		if opt.Period < first { // already closed: rewrite its files only
			return writeMonth(ctx, d, runID, opt.Period, opt, opt.Period, s)
		}
		return nil
	})
}

// closeMonth posts everything due through the month's last day and closes
// it, in one database transaction. last says m is the last month this close
// writes.
func closeMonth(ctx context.Context, d Deps, runID string, m invoice.Month, last bool, cal calendar, s *Summary) error {
	if err := d.hook("close:computed"); err != nil {
		return err
	}
	var posted Summary // added to s once committed (a failed month rolls back whole)
	err := d.Ledger.InTx(ctx, func(tx *ledger.Tx) error {
		if cal.lastClosed == 0 {
			// Transactions a post placed in months before the cutover, before
			// the cutover was known, stay there: those months are never closed,
			// so they are on no invoice (P2) and the ledger stays append-only.
			if err := tx.SetBillFrom(ctx, cal.billFrom.String()); err != nil {
				return err
			}
			if err := tx.SetCutoverRecord(ctx); err != nil {
				return err
			}
		}
		// The close's summary counts the rejects and holds its files list
		// (writeMonth), not those the posting found on the way: the same
		// records, counted twice before.
		if err := postPlans(ctx, d, runID, m.Last(), cal, tx, &posted); err != nil {
			return err
		}
		if err := d.hook("close:before-lock"); err != nil {
			return err
		}
		if err := tx.ClosePeriod(ctx, m.String()); err != nil {
			return err
		}
		if err := reportRejects(ctx, tx, m, last); err != nil {
			return err
		}
		return d.hook("close:locked")
	})
	if err != nil {
		return err
	}
	s.Posted += posted.Posted
	return d.hook("close:committed")
}

// reportRejects stamps the rejects this close lists under month m (SPEC §4:
// every record rejected since the previous close, under the month of the
// record's date, or the first month this close writes if that is earlier):
// those not yet listed whose record is dated in or before m (or has no
// date) and, when m is the last month the close writes, all the others too.
// Decision: a record dated after the last month written (an order for next
// month with an unknown SKU) is listed now, under that last month, not held
// back to the close of its own month: a reject is something to fix, and
// this close is the first to see it.
func reportRejects(ctx context.Context, tx *ledger.Tx, m invoice.Month, last bool) error {
	var ids []int64
	for rec, err := range tx.Records(ctx, ledger.RecordFilter{Status: ledger.Rejected, Unreported: true}) {
		if err != nil {
			return err
		}
		if last || recordMonth(rec) <= m {
			ids = append(ids, rec.ID)
		}
	}
	return tx.Report(ctx, ids, m.String())
}

// recordMonth is the month of a record's own date (0 when it has none).
func recordMonth(rec ledger.SourceRecord) invoice.Month {
	col := map[string]string{csvin.KindOrders: "order_date", csvin.KindCancellations: "cancelled_at", csvin.KindRenewals: "effective_at"}[rec.Kind]
	if col == "" {
		return 0
	}
	row, err := decodeRow(rec)
	if err != nil {
		return 0
	}
	day, err := invoice.ParseTimestamp(row[col])
	if err != nil {
		return 0
	}
	return day.Month()
}

// writeMonth stages the month's files, ties them to the ledger, and
// publishes them.
func writeMonth(ctx context.Context, d Deps, runID string, m invoice.Month, opt CloseOptions, first invoice.Month, s *Summary) error {
	src := &periodSource{ctx: ctx, l: d.Ledger, period: m}
	staged, err := output.Stage(ctx, opt.Out, m.String(), src, output.Options{PerCustomer: opt.PerCustomer, MaxSheetRows: opt.MaxSheetRows})
	if err != nil {
		return fmt.Errorf("writing %s: %w", m, err)
	}
	if err := d.hook("close:staged"); err != nil {
		staged.Discard()
		return err
	}
	if err := tieOut(ctx, d.Ledger, m, staged); err != nil {
		staged.Discard()
		return err
	}
	if err := d.hook("close:before-publish"); err != nil {
		staged.Discard()
		return err
	}
	if err := staged.Publish(); err != nil {
		return fmt.Errorf("publishing %s: %w", m, err)
	}
	if err := d.Ledger.MarkPublished(ctx, m.String(), runID); err != nil {
		return err
	}
	if err := d.hook("close:published"); err != nil {
		return err
	}
	s.Invoices += staged.Invoices
	s.Held = src.held // each month of a close lists the records held: count them once, as the last month lists them
	s.Rejected += src.rejected
	d.logger().Info("files written", "run", runID, "period", m.String(), "dir", filepath.Join(opt.Out, m.String()),
		"invoices", staged.Invoices, "rejects", staged.Rejects)
	return nil
}

// tieOut compares what the files say with the ledger (SPEC §5): every
// invoice of invoices.csv (which Stage checked against its lines in
// invoice-lines.csv) with the ledger's invoice, both in invoice number
// order; then every customer's receivable movement with its invoice, which
// the ledger compares. Any difference fails the close.
func tieOut(ctx context.Context, l *ledger.Ledger, m invoice.Month, st *output.Staged) error {
	next, stop := iter.Pull2(st.Stated())
	defer stop()
	n := 0
	for inv, err := range l.Invoices(ctx, m.String()) {
		if err != nil {
			return err
		}
		f, ferr, ok := next()
		if ferr != nil {
			return ferr
		}
		if !ok {
			return fmt.Errorf("tie-out %s: the files hold %d invoices, the ledger more (%s next); nothing published", m, n, inv.Number)
		}
		n++
		if f.InvoiceNumber != inv.Number || f.CustomerID != inv.CustomerID || f.Currency.Code != inv.Currency ||
			f.Net != inv.Net || f.Tax != inv.Tax || f.Gross != inv.Gross || int64(f.Lines) != inv.Lines {
			return fmt.Errorf("tie-out %s: invoice %s in the files (customer %s, %+v) differs from the ledger's %s (customer %s %s, net %d tax %d gross %d lines %d); nothing published",
				m, f.InvoiceNumber, f.CustomerID, f.Totals, inv.Number, inv.CustomerID, inv.Currency, inv.Net, inv.Tax, inv.Gross, inv.Lines)
		}
	}
	if f, ferr, ok := next(); ferr != nil {
		return ferr
	} else if ok {
		return fmt.Errorf("tie-out %s: the files hold invoice %s after the ledger's %d; nothing published", m, f.InvoiceNumber, n)
	}
	for u, err := range l.Unreceivables(ctx, m.String()) {
		if err != nil {
			return err
		}
		return fmt.Errorf("tie-out %s: customer %s %s receivable movement %d differs from its invoice's gross %d (0 when it has none); nothing published",
			m, u.CustomerID, u.Currency, u.Receivable, u.Invoiced)
	}
	return nil
}

// periodSource feeds a closed period from the ledger to the file writers,
// a page or a row at a time: nothing it holds grows with the period.
type periodSource struct {
	ctx    context.Context
	l      *ledger.Ledger
	period invoice.Month
	// rejected and held count the rows of the last pass over Rejects.
	rejected, held int
}

// Counts gives the period's numbers of invoices, lines and listed records.
func (p *periodSource) Counts() (output.Counts, error) {
	invs, lines, err := p.l.CountInvoices(p.ctx, p.period.String())
	if err != nil {
		return output.Counts{}, err
	}
	rejects, err := p.l.CountListed(p.ctx, p.period.String())
	return output.Counts{Invoices: invs, Lines: lines, Rejects: rejects}, err
}

// Headers gives the period's invoices with their customers' names, which
// it looks up a page of invoices at a time rather than loading every
// customer.
func (p *periodSource) Headers(fn func(invoice.Header) error) error {
	after := ""
	for {
		var page []ledger.Invoice
		for inv, err := range p.l.InvoicesAfter(p.ctx, p.period.String(), after, pageSize) {
			if err != nil {
				return err
			}
			page = append(page, inv)
		}
		if len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].Number
		ids := make([]string, len(page))
		for i, inv := range page {
			ids[i] = inv.CustomerID
		}
		b, err := pageCustomers(p.ctx, p.l, invoice.NewBook(), ids)
		if err != nil {
			return err
		}
		for _, inv := range page {
			cur, err := invoice.LookupCurrency(inv.Currency)
			if err != nil {
				return err
			}
			h := invoice.Header{InvoiceNumber: inv.Number, CustomerID: inv.CustomerID, CustomerName: b.Ref.Customers[inv.CustomerID].Name,
				Currency: cur, Net: inv.Net, Tax: inv.Tax, Gross: inv.Gross, Lines: int(inv.Lines)}
			if err := fn(h); err != nil {
				return err
			}
		}
	}
}

func (p *periodSource) Lines(fn func(invoice.Line) error) error {
	for ln, err := range p.l.InvoiceLines(p.ctx, p.period.String()) {
		if err != nil {
			return err
		}
		l, err := lineOf(ln)
		if err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

// lineOf is an invoice line as the ledger stores it, typed.
func lineOf(ln ledger.Line) (invoice.Line, error) {
	cur, err := invoice.LookupCurrency(ln.Currency)
	if err != nil {
		return invoice.Line{}, err
	}
	start, err := invoice.ParseDate(ln.ChargeStart)
	if err != nil {
		return invoice.Line{}, err
	}
	end := invoice.NoDate
	if ln.ChargeEnd != "" {
		if end, err = invoice.ParseDate(ln.ChargeEnd); err != nil {
			return invoice.Line{}, err
		}
	}
	return invoice.Line{InvoiceNumber: ln.InvoiceNumber, CustomerID: ln.CustomerID, Currency: cur, ChargeType: ln.ChargeType,
		OrderID: ln.OrderID, LineNo: ln.LineNo, SubscriptionID: ln.SubscriptionID, SKU: ln.SKU, Description: ln.Description,
		ChargeStart: start, ChargeEnd: end, Quantity: ln.Quantity, Net: ln.Net, Tax: ln.Tax, Gross: ln.Gross,
		Source: ln.Source, CreditedInvoice: ln.CreditedInvoice}, nil
}

// Rejects gives the records the period's rejects.csv lists, in the
// ledger's order (file, line, rule), counting them.
func (p *periodSource) Rejects(fn func(invoice.RejectRow) error) error {
	p.rejected, p.held = 0, 0
	for r, err := range p.l.Listed(p.ctx, p.period.String()) {
		if err != nil {
			return err
		}
		msg := r.Message
		if r.Held {
			msg = "held: " + msg
			p.held++
		} else {
			p.rejected++
		}
		if err := fn(invoice.RejectRow{File: r.File, Line: int(r.Line), Key: r.Key, Rule: r.Rule, Message: msg}); err != nil {
			return err
		}
	}
	return nil
}

// writable makes folder out if need be and checks a file can be made in it
// and, if folder out/month is there already, in that folder too.
func writable(out, month string) error {
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	dirs := []string{out}
	if fi, err := os.Stat(filepath.Join(out, month)); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is a file, not a folder", filepath.Join(out, month))
		}
		dirs = append(dirs, filepath.Join(out, month))
	}
	for _, dir := range dirs {
		f, err := os.CreateTemp(dir, ".cspbill-probe-")
		if err != nil {
			return err
		}
		f.Close()
		if err := os.Remove(f.Name()); err != nil {
			return err
		}
	}
	return nil
}
