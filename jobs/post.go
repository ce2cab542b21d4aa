package jobs

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"cspbill/invoice"
	"cspbill/ledger"
)

// calendar places a charge in a period (SPEC P1, P2, C3, K5).
type calendar struct {
	billFrom   invoice.Month // 0 until the first close sets the cutover
	lastClosed invoice.Month // 0 while no period is closed
	// cutoverRecord is the last source record that arrived before the
	// first close (0 before it).
	cutoverRecord int64
}

func loadCalendar(ctx context.Context, l *ledger.Ledger) (calendar, error) {
	var c calendar
	bf, err := l.BillFrom(ctx)
	if err != nil {
		return c, err
	}
	if bf != "" {
		if c.billFrom, err = invoice.ParseMonth(bf); err != nil {
			return c, err
		}
	}
	if c.cutoverRecord, err = l.CutoverRecord(ctx); err != nil {
		return c, err
	}
	closed, err := l.ClosedPeriods(ctx)
	if err != nil {
		return c, err
	}
	if len(closed) > 0 {
		if c.lastClosed, err = invoice.ParseMonth(closed[len(closed)-1]); err != nil {
			return c, err
		}
	}
	return c, nil
}

// place returns the period a charge dated day posts to and whether it is
// invoiced; src is the id of the last of its records to arrive (its own and
// its order line's). A charge dated before the cutover whose records arrived
// before the first close is recorded on no invoice
// (P2): before the first close, and after it when the record was held then
// (C4 without a rate, R3 without a price) and is released later — until the
// ninth session such a charge went to the first open month and was billed
// twice. Otherwise, after the first close, anything dated in a closed month
// or before the cutover goes to the first open month (P1, P2).
func (c calendar) place(day invoice.Date, src int64) (invoice.Month, bool) {
	m := day.Month()
	if c.lastClosed == 0 {
		if c.billFrom != 0 && m < c.billFrom {
			return m, false
		}
		return m, true
	}
	if m < c.billFrom && src != 0 && src <= c.cutoverRecord {
		return m, false
	}
	if first := c.lastClosed + 1; m < first {
		return first, true
	}
	return m, true
}

// plan is what a post would do: the transactions the ledger lacks, the
// records whose status changes, and the term prices to lock.
type plan struct {
	txns     []ledger.Txn
	status   map[int64]statusChange
	prices   []ledger.TermPrice
	released []invoice.Cancellation // K6 holds whose order line is here
	held     int
	pending  []invoice.Verdict
}

type statusChange struct {
	status, rule, message, support string
	src                            invoice.Source // of a verdict's record, for the log
}

// holdDetail is the support detail of a held record: the as-of day at which
// the hold was found. A later run through an earlier day cannot tell whether
// the hold is over, so only a run through that day or later releases it.
type holdDetail struct {
	AsOf string `json:"held_as_of"`
	// Due is the day the hold waits for (Reject.Due): a renewal held for a
	// price is judged by any run that reaches the renewal; a run that
	// reaches neither day judges the hold through AsOf (page.holdsNothing).
	Due string `json:"due,omitempty"`
}

// samePosting refuses a business key whose recomputed amounts differ from
// what is posted: it is never silently skipped, nor posted twice.
func samePosting(prev ledger.PostedTxn, c invoice.Charge) error {
	// A K7 reversal posted before the eighth session is dated on the cancel
	// day, now on the instalment's start: the same reversal, posted, stands.
	sameDay := prev.Date == c.Date.String() || strings.HasSuffix(c.Key, "/reversal")
	same := prev.Net == c.Net && prev.Tax == c.Tax && prev.Gross == c.Gross
	// A last instalment an earlier version computed otherwise (Charge.Was)
	// was invoiced so: it stands.
	was := c.Was != nil && [3]int64{prev.Net, prev.Tax, prev.Gross} == *c.Was
	if (same || was) && sameDay && prev.ChargeType == c.Type {
		return nil
	}
	return fmt.Errorf("%w: business key %s was posted as %s %s net %d tax %d gross %d, the rules now give %s %s net %d tax %d gross %d; nothing posted",
		ledger.ErrKeyConflict, c.Key, prev.ChargeType, prev.Date, prev.Net, prev.Tax, prev.Gross, c.Type, c.Date, c.Net, c.Tax, c.Gross)
}

// toTxn makes a charge one balanced transaction (P3): debit the customer's
// receivable with gross, credit revenue with net and tax payable with tax
// (signs reversed for credits).
func toTxn(c invoice.Charge, cust invoice.Customer, period invoice.Month, invoiced bool) ledger.Txn {
	o := c.Order
	cur := cust.Currency.Code
	postings := []ledger.Posting{
		{Account: ledger.ReceivablePrefix + cust.ID, Amount: c.Gross},
		{Account: "revenue:" + cur, Amount: -c.Net},
	}
	if c.Tax != 0 {
		postings = append(postings, ledger.Posting{Account: "tax_payable:" + cur, Amount: -c.Tax})
	}
	return ledger.Txn{
		Key: c.Key, Period: period.String(), Invoiced: invoiced, Date: c.Date.String(),
		CustomerID: cust.ID, Currency: cur, ChargeType: c.Type, OrderID: o.OrderID, LineNo: o.LineNo,
		SubscriptionID: o.SubscriptionID, SKU: c.SKU, Description: c.Description,
		ChargeStart: c.Start.String(), ChargeEnd: c.End.String(), Quantity: c.Quantity,
		Net: c.Net, Tax: c.Tax, Gross: c.Gross, Source: c.Src.String(), CreditsKey: c.CreditsKey, Postings: postings,
	}
}

// apply writes a plan in one database transaction: postings, status changes
// and price locks all land, or none do.
func apply(ctx context.Context, d Deps, runID string, p *plan, tx *ledger.Tx) (int, error) {
	res, err := tx.PostNew(ctx, runID, p.txns) // compute looked every key up, under the lock
	if err != nil {
		return 0, err
	}
	if err := d.hook("post:posted"); err != nil {
		return 0, err
	}
	if err := tx.LockNewPrices(ctx, runID, p.prices); err != nil { // compute looked every term up, under the lock
		return 0, err
	}
	if err := d.hook("post:prices-locked"); err != nil {
		return 0, err
	}
	changes := make([]ledger.Restatus, 0, len(p.status))
	for id, ch := range p.status {
		changes = append(changes, ledger.Restatus{ID: id, Status: ch.status, Rule: ch.rule, Message: ch.message, Support: ch.support})
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].ID < changes[j].ID })
	if err := tx.SetStatuses(ctx, changes); err != nil {
		return 0, err
	}
	if err := d.hook("post:statuses"); err != nil {
		return 0, err
	}
	return res.Posted, nil
}

// Post posts everything due through asOf that the ledger lacks. With dryRun
// it computes and reports the same, and writes nothing.
func Post(ctx context.Context, d Deps, asOf invoice.Date, dryRun bool) (Summary, error) {
	return run(ctx, d, "post", asOf.String(), func(runID string, s *Summary) error {
		s.DryRun = dryRun
		if err := postThrough(ctx, d, runID, asOf, dryRun, s); err != nil || dryRun {
			return err
		}
		// Held is every record the ledger holds after the run (K6, C4, R3),
		// whether or not this run looked at it (a run with nothing new
		// skips the recompute), so the exit code says 3 while anything
		// waits, as a timer expects.
		n, err := d.Ledger.CountHeld(ctx)
		s.Held = n
		return err
	})
}

// dryRunPlans computes and reports what a post through asOf with calendar
// cal would post, and writes nothing. Its summary counts what the real run
// would: the records held when it is done (held now, less those it
// releases, plus those it holds; a dry run counted only the last, so a K6
// hold left it at exit 0 where the run exits 3: found by an audit), and
// for a close (listed) the rejects no close has listed yet besides those
// it finds.
func dryRunPlans(ctx context.Context, d Deps, runID string, asOf invoice.Date, cal calendar, s *Summary, listed bool) error {
	held := map[int64]bool{} // the held records: a few percent of them
	for rec, err := range d.Ledger.Records(ctx, ledger.RecordFilter{Status: ledger.Held}) {
		if err != nil {
			return err
		}
		held[rec.ID] = true
	}
	if listed {
		n, err := d.Ledger.CountRecords(ctx, ledger.RecordFilter{Status: ledger.Rejected, Unreported: true})
		if err != nil {
			return err
		}
		s.Rejected += n
	}
	err := eachPlan(ctx, d, asOf, cal, func(p *plan) error {
		report(d, runID, p, s)
		for _, c := range p.released {
			delete(held, c.Src.ID)
		}
		for id, ch := range p.status {
			if ch.status == ledger.Held {
				held[id] = true
			} else {
				delete(held, id)
			}
		}
		s.Posted += len(p.txns)
		for _, t := range p.txns {
			d.logger().Info("would post", "run", runID, "key", t.Key, "period", t.Period, "type", t.ChargeType,
				"customer", t.CustomerID, "gross", t.Gross, "currency", t.Currency)
		}
		return nil
	})
	s.Held = len(held)
	return err
}

func postThrough(ctx context.Context, d Deps, runID string, asOf invoice.Date, dryRun bool, s *Summary) error {
	cal, err := loadCalendar(ctx, d.Ledger)
	if err != nil {
		return err
	}
	if dryRun {
		return dryRunPlans(ctx, d, runID, asOf, cal, s, false)
	}
	// Counted apart and added once committed: a post that fails rolls back
	// whole, and its summary (and job_runs row) said it had posted what it
	// wrote before failing.
	var done Summary
	err = d.Ledger.InTx(ctx, func(tx *ledger.Tx) error {
		return postPlans(ctx, d, runID, asOf, cal, tx, &done)
	})
	if err != nil {
		return err
	}
	s.Posted += done.Posted
	s.Rejected += done.Rejected
	s.Held += done.Held
	return d.hook("post:committed")
}

// postPlans computes and applies every page's plan inside tx. The next
// page is computed (reading through the pool, not tx) while the database
// writes the last one: pages never share a business key, so the order of
// the two does not matter, and nothing commits until tx does.
func postPlans(ctx context.Context, d Deps, runID string, asOf invoice.Date, cal calendar, tx *ledger.Tx, s *Summary) error {
	// Nothing new since a run that computed everything through asOf or
	// later: no record arrived and no setting changed, so the recompute
	// would find everything posted. Skip it.
	mark, marked, err := tx.PostMark(ctx)
	if err != nil {
		return err
	}
	last, err := tx.LastRecordID(ctx)
	if err != nil {
		return err
	}
	if marked && asOf.String() <= mark.AsOf && last == mark.LastRecord && mark.WindowDays == d.window() {
		d.logger().Info("nothing new since the ledger was posted through "+mark.AsOf+": recompute skipped", "run", runID)
		return nil
	}
	if err := postEachPlan(ctx, d, runID, asOf, cal, tx, s); err != nil {
		return err
	}
	if marked && asOf.String() < mark.AsOf && last == mark.LastRecord && mark.WindowDays == d.window() {
		return nil // the mark already says more
	}
	return tx.SetPostMark(ctx, runID, ledger.PostMark{AsOf: asOf.String(), LastRecord: last, WindowDays: d.window()})
}

func postEachPlan(ctx context.Context, d Deps, runID string, asOf invoice.Date, cal calendar, tx *ledger.Tx, s *Summary) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	plans := make(chan *plan, 1)
	done := make(chan error, 1)
	go func() {
		defer close(plans)
		// A panic here (a bug in the rules) would kill the process with
		// Go's exit code 2, "bad usage" to a timer: it fails the run
		// instead, which rolls back whole, and names itself.
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("internal error computing the charges (a bug; the run is rolled back): %v\n%s", r, debug.Stack())
			}
		}()
		done <- eachPlan(pctx, d, asOf, cal, func(p *plan) error {
			select {
			case plans <- p:
				return nil
			case <-pctx.Done():
				return pctx.Err()
			}
		})
	}()
	first := true
	for p := range plans {
		err := func() error {
			if first {
				first = false
				if err := d.hook("post:computed"); err != nil {
					return err
				}
			}
			report(d, runID, p, s)
			if err := releaseHeld(ctx, tx, p.released); err != nil {
				return err
			}
			n, err := apply(ctx, d, runID, p, tx)
			s.Posted += n
			return err
		}()
		if err != nil {
			cancel()
			for range plans { // let the producer finish
			}
			<-done
			return err
		}
	}
	return <-done
}

// report logs a page's holds and rejects and counts them.
func report(d Deps, runID string, p *plan, s *Summary) {
	log := d.logger().With("run", runID)
	s.Held += p.held
	for _, v := range p.pending {
		log.Warn("record held", "source", v.Src.String(), "rule", v.Reject.Rule, "message", v.Reject.Message)
	}
	ids := make([]int64, 0, len(p.status))
	for id := range p.status {
		ids = append(ids, id)
	}
	slices.Sort(ids) // the log in the order the records were read, run after run
	for _, id := range ids {
		if ch := p.status[id]; ch.status == ledger.Rejected {
			s.Rejected++
			log.Warn("record rejected", "source", ch.src.String(), "rule", ch.rule, "message", ch.message)
		}
	}
}
