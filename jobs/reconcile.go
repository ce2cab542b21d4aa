package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
	"cspbill/jobs/recon"
)

// ReconcileOptions says what to reconcile.
type ReconcileOptions struct {
	Period    invoice.Month
	File      string // Partner Center's reconciliation file
	Map       string // optional mapping file (kind,partner_center_id,cspbill_id)
	Out       string
	Tolerance decimal.Decimal // per unit; zero: one minor unit of each line's currency; negative: exact
	// RunSize is how many rows the sorts hold in memory (0:
	// recon.DefaultRunSize); tests make it small to spill.
	RunSize int
}

// Reconcile holds a closed period's invoice lines against Partner Center's
// reconciliation file (SPEC §7) and writes reconciliation.csv and .xlsx under
// OUT/YYYY-MM/. Differences make the summary need attention (exit 3).
//
// It streams (recon.Run): the file is read row by row and sorted by
// customer through run files in OUT/YYYY-MM/ (hidden, removed at the end),
// the ledger's lines are read by customer, and items are written as each
// customer is matched. Its memory is bounded by the largest customer's
// month, not by the file.
func Reconcile(ctx context.Context, d Deps, opt ReconcileOptions) (Summary, recon.Report, error) {
	var rep recon.Report
	s, err := run(ctx, d, "reconcile", opt.Period.String(), func(runID string, s *Summary) error {
		s.Out = opt.Out
		period := opt.Period.String()
		closed, err := d.Ledger.IsClosed(ctx, period)
		if err != nil {
			return err
		}
		if !closed {
			cal, err := loadCalendar(ctx, d.Ledger)
			if err != nil {
				return err
			}
			if cal.billFrom != 0 && opt.Period < cal.billFrom {
				// Closing it is refused too: say why (found by an audit).
				return fmt.Errorf("%w: period %s is before the ledger's first billed month %s: it has no invoices to reconcile", ErrUsage, opt.Period, cal.billFrom)
			}
			return fmt.Errorf("%w: period %s is not closed: close it first (its invoice lines are final only then)", ErrUsage, opt.Period)
		}
		f, err := os.Open(opt.File)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		defer f.Close()
		var m recon.Map
		var mapRejects []*recon.RowError
		if opt.Map != "" {
			mf, err := os.Open(opt.Map)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			defer mf.Close()
			if m, mapRejects, err = recon.ReadMap(filepath.Base(opt.Map), mf); err != nil {
				return fmt.Errorf("mapping file: %w", err)
			}
		}
		ref, err := loadKinds(ctx, d, csvin.KindCustomers) // the catalog and taxes are not needed
		if err != nil {
			return err
		}
		var customers []recon.Customer
		for _, c := range ref.Ref.Customers {
			customers = append(customers, recon.Customer{ID: c.ID, Domain: c.Domain})
		}

		w, err := recon.NewWriter(opt.Out, period)
		if err != nil {
			return err
		}
		defer w.Abort()
		fileName := filepath.Base(opt.File)
		in := recon.Input{
			Period: period, Customers: customers, Options: recon.Options{Tolerance: opt.Tolerance, Map: m},
			TempDir: filepath.Join(opt.Out, period), RunSize: opt.RunSize,
			Rows: func(emit func(recon.Row) error) error {
				var theirs error // an error of emit or of the writer, not of the file
				err := recon.ScanFile(fileName, f, func(r recon.Row) error {
					theirs = emit(r)
					return theirs
				}, func(e *recon.RowError) error {
					theirs = w.Reject(e)
					return theirs
				})
				if err != nil && theirs == nil {
					return fmt.Errorf("reconciliation file: %w", err)
				}
				return err
			},
			Ledger: func(yield func(recon.LedgerLine, error) bool) {
				for ln, err := range d.Ledger.InvoiceLinesByCustomer(ctx, period) {
					var l invoice.Line
					if err == nil {
						l, err = lineOf(ln)
					}
					if err != nil {
						yield(recon.LedgerLine{}, err)
						return
					}
					if !yield(recon.LedgerLine{InvoiceNumber: l.InvoiceNumber, CustomerID: l.CustomerID, Currency: l.Currency,
						ChargeType: l.ChargeType, OrderID: l.OrderID, LineNo: l.LineNo, SubscriptionID: l.SubscriptionID, SKU: l.SKU,
						ChargeStart: l.ChargeStart, ChargeEnd: l.ChargeEnd, Quantity: l.Quantity, Net: l.Net, Tax: l.Tax, Gross: l.Gross, Source: l.Source}, nil) {
						return
					}
				}
			},
		}
		if rep, err = recon.Run(ctx, in, w.Item); err != nil {
			return err
		}
		// The CSV files are written, the workbook's rows and the sort runs
		// are on disk beside them, nothing is renamed yet.
		if err := d.hook("reconcile:matched"); err != nil {
			return err
		}
		for _, e := range mapRejects { // after the file's, as they are read
			if err := w.Reject(e); err != nil {
				return err
			}
		}
		if err := w.Commit(ctx); err != nil {
			return err
		}
		rep.Rejected = w.Rejected()
		// Rows read = accepted + rejected (§5), as ingest counts: the
		// readable rows, and those that were not, the mapping file's
		// included (accepted was 0 and read left the unreadable out: found
		// by an audit).
		s.Accepted = rep.Rows
		s.Rejected = rep.Rejected
		s.Read = s.Accepted + s.Rejected
		s.Differences = rep.Counts[recon.Differs] + rep.Counts[recon.PartnerCenterOnly] + rep.Counts[recon.LedgerOnly]
		d.logger().Info("reconciled", "run", runID, "period", period, "matched", rep.Counts[recon.Matched],
			"differs", rep.Counts[recon.Differs], "partner_center_only", rep.Counts[recon.PartnerCenterOnly],
			"ledger_only", rep.Counts[recon.LedgerOnly], "unreadable_rows", rep.Rejected)
		return nil
	})
	return s, rep, err
}
