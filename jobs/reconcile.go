package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
	"cspbill/jobs/recon"
)

// ReconcileOptions says what to reconcile.
type ReconcileOptions struct {
	Period    invoice.Month
	File      string // Partner Center's reconciliation file
	Map       string // optional mapping file (kind,partner_center_id,cspbill_id)
	Out       string
	Tolerance decimal.Decimal // per unit; zero: recon.DefaultTolerance
}

// Reconcile holds a closed period's invoice lines against Partner Center's
// reconciliation file (SPEC §7) and writes reconciliation.csv and .xlsx under
// OUT/YYYY-MM/. Differences make the summary need attention (exit 3).
func Reconcile(ctx context.Context, d Deps, opt ReconcileOptions) (Summary, recon.Report, error) {
	var rep recon.Report
	s, err := run(ctx, d, "reconcile", opt.Period.String(), func(runID string, s *Summary) error {
		s.Out = opt.Out
		closed, err := d.Ledger.IsClosed(ctx, opt.Period.String())
		if err != nil {
			return err
		}
		if !closed {
			return fmt.Errorf("%w: period %s is not closed: close it first (its invoice lines are final only then)", ErrUsage, opt.Period)
		}
		f, err := os.Open(opt.File)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		defer f.Close()
		rows, rejects, err := recon.ReadFile(filepath.Base(opt.File), f)
		if err != nil {
			return fmt.Errorf("reconciliation file: %w", err)
		}
		var m recon.Map
		if opt.Map != "" {
			mf, err := os.Open(opt.Map)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			defer mf.Close()
			var mapRejects []*recon.RowError
			if m, mapRejects, err = recon.ReadMap(filepath.Base(opt.Map), mf); err != nil {
				return fmt.Errorf("mapping file: %w", err)
			}
			rejects = append(rejects, mapRejects...)
		}
		ref, err := loadReference(ctx, d)
		if err != nil {
			return err
		}
		var customers []recon.Customer
		for _, c := range ref.Ref.Customers {
			customers = append(customers, recon.Customer{ID: c.ID, Domain: c.Domain})
		}
		var lines []recon.LedgerLine
		src := &periodSource{ctx: ctx, l: d.Ledger, period: opt.Period}
		err = src.Lines(func(l invoice.Line) error {
			lines = append(lines, recon.LedgerLine{InvoiceNumber: l.InvoiceNumber, CustomerID: l.CustomerID, Currency: l.Currency,
				ChargeType: l.ChargeType, OrderID: l.OrderID, LineNo: l.LineNo, SubscriptionID: l.SubscriptionID, SKU: l.SKU,
				ChargeStart: l.ChargeStart, ChargeEnd: l.ChargeEnd, Quantity: l.Quantity, Net: l.Net, Tax: l.Tax, Gross: l.Gross, Source: l.Source})
			return nil
		})
		if err != nil {
			return err
		}
		rep = recon.Match(opt.Period.String(), lines, customers, rows, recon.Options{Tolerance: opt.Tolerance, Map: m})
		rep.Rejects = append(rep.Rejects, rejects...)
		if err := recon.Write(ctx, opt.Out, opt.Period.String(), rep); err != nil {
			return err
		}
		s.Read = rep.Rows
		s.Rejected = len(rep.Rejects)
		s.Differences = rep.Counts[recon.Differs] + rep.Counts[recon.PartnerCenterOnly] + rep.Counts[recon.LedgerOnly]
		d.logger().Info("reconciled", "run", runID, "period", opt.Period.String(), "matched", rep.Counts[recon.Matched],
			"differs", rep.Counts[recon.Differs], "partner_center_only", rep.Counts[recon.PartnerCenterOnly],
			"ledger_only", rep.Counts[recon.LedgerOnly], "unreadable_rows", len(rep.Rejects))
		return nil
	})
	return s, rep, err
}
