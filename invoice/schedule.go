package invoice

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"sort"

	"github.com/shopspring/decimal"
)

// Charge is one charge or credit due for an order line: what the ledger posts
// as one balanced transaction and the close prints as one invoice line.
type Charge struct {
	// Key is the stable business key: order_id/line_no/T<term>/I<instalment>,
	// with /credit for a K4 or K3 credit and /reversal for a K7 reversal.
	Key        string
	Type       string // ChargeNew, ChargeCycle, ChargeRenew or ChargeCancelImmediate
	Date       Date   // the day it is due: its invoice month is Date's (C3, K5)
	Start, End Date   // charge_start and the inclusive charge_end (NoDate for perpetual)
	Quantity   int64
	Net        int64
	Tax        int64
	Gross      int64
	Src        Source // the record it comes from
	CreditsKey string // on a credit: the key of the charge it credits
	// TermKey and UnitPrice identify the term and the price it was billed at,
	// so the caller can lock the price once the term's first charge is posted (C1).
	TermKey     string
	UnitPrice   decimal.Decimal
	SKU         string
	Description string
	Order       *Order
	// Late says the charge exists only through a record that arrived after
	// the ledger's first close (Env.CutoverRecord): a toggle that renewed
	// an expired subscription, or a term that follows such a renewal. P2
	// bills it in the first open month, whenever it is dated.
	Late bool
	// Was, when set, is the net, tax and gross an earlier version computed
	// for this key (a last instalment before the tenth session: see
	// Instalment.Amount): posted so, it stands, as what was invoiced.
	Was *[3]int64
}

// Verdict is a decision Schedule makes about a record that the ingest could
// not judge alone: a cancellation outside its window (K1) or of a software
// plan (K2), a late toggle (R2), a renewal that cannot apply (R3, K7), or a
// record held because its tax rate (C4) or renewal price (R3) is missing.
type Verdict struct {
	Src    Source
	Kind   string // "order", "cancellation" or "renewal"
	Key    string // the record's business key
	Reject *Reject
}

// Result is everything Schedule says about one order line.
type Result struct {
	Charges  []Charge
	Verdicts []Verdict
}

// Env is what Schedule needs besides the book.
type Env struct {
	// AsOf is the last day whose charges are due.
	AsOf Date
	// Posted reports whether a business key is already in the ledger (K7
	// reversals of late cancellations, R2 late toggles). nil: nothing is.
	Posted func(key string) bool
	// LockedPrice returns the unit price a term was first posted at (C1).
	// nil: no term is locked yet.
	LockedPrice func(termKey string) (decimal.Decimal, bool)
	// Charge returns what the ledger holds of a posted charge (R3: a
	// renewal is compared with the one posted). nil: nothing is posted.
	Charge func(key string) (PostedCharge, bool)
	// CutoverRecord is the id of the last source record that arrived
	// before the ledger's first close (P2); 0 before it.
	CutoverRecord int64
}

// PostedCharge is what the walk compares of a posted charge.
type PostedCharge struct {
	Quantity   int64
	End        Date // charge_end, the last day served
	Net, Gross int64
}

func (e Env) posted(key string) bool { return e.Posted != nil && e.Posted(key) }

func (e Env) charge(key string) (PostedCharge, bool) {
	if e.Charge == nil {
		return PostedCharge{}, false
	}
	return e.Charge(key)
}

// term is one term of a subscription as the walk found it.
type term struct {
	index      int
	start, end Date
	term, plan string
	quantity   int64
	price      Price
	unitPrice  decimal.Decimal
	insts      []Instalment
	src        Source     // the order, or the renew record that renewed it
	applied    []*Renewal // the renew records that shaped a renewal
	late       bool       // renewed only through a record that arrived after the first close
}

// Schedule returns every charge and credit due for the order line through
// env.AsOf, each with its business key, and the verdicts on its records. The
// same book and env give the same result, in the same order.
func (b *Book) Schedule(o *Order, env Env) Result {
	var res Result
	cust, rate, hasRate := b.rate(o)
	cancel := b.cancellation(o.Key())
	if cancel != nil && cancel.Date > env.AsOf {
		cancel = nil // not yet in effect
	}
	if o.Kind == KindPerpetual {
		b.perpetual(&res, o, cust, rate, cancel, env)
	} else {
		b.subscription(&res, o, cust, rate, cancel, env)
	}
	if !hasRate && !Inclusive(cust.Country) {
		// A K1 reject's credit was split at no rate: it is the net.
		for _, v := range res.Verdicts {
			if v.Reject != nil && v.Reject.Support != nil {
				v.Reject.Support.NoRate = cust.Country
			}
		}
	}
	if !hasRate && len(res.Charges) > 0 {
		res = holdForTax(res, o, cust)
	}
	return res
}

// holdForTax turns the charges into C4 holds: one per source record. A
// record held for another reason and without charges keeps its hold (a
// renew record whose renewal waits for a price, R3: it went unlisted
// before); one with charges is held for the rate.
func holdForTax(res Result, o *Order, cust Customer) Result {
	charged := map[Source]bool{}
	for _, c := range res.Charges {
		charged[c.Src] = true
	}
	out := Result{}
	for _, v := range res.Verdicts {
		if v.Reject != nil && (!v.Reject.Held || !charged[v.Src]) {
			out.Verdicts = append(out.Verdicts, v)
		}
	}
	seen := map[Source]bool{}
	for _, c := range res.Charges {
		if seen[c.Src] {
			continue
		}
		seen[c.Src] = true
		kind, key := "order", o.Key()
		if c.Src != o.Src {
			kind, key = "cancellation", o.Key()
			if c.Type != ChargeCancelImmediate {
				kind, key = "renewal", o.SubscriptionID
			}
		}
		out.Verdicts = append(out.Verdicts, Verdict{Src: c.Src, Kind: kind, Key: key, Reject: held("C4", "country", cust.Country,
			"postings held: the taxes file has no rate for %s, the country of customer %s; they post to the first open month when it arrives",
			cust.Country, cust.ID)})
	}
	return out
}

func (b *Book) priceFor(termKey, sku, termName string, cur Currency, day Date, env Env) (Price, decimal.Decimal, bool) {
	p, ok := b.Ref.Catalog.Lookup(sku, termName, cur, day)
	if env.LockedPrice != nil {
		if locked, ok2 := env.LockedPrice(termKey); ok2 {
			if !ok {
				p = Price{SKU: sku, Term: termName, Currency: cur, ProductName: b.productName(sku, termName, cur)}
			}
			return p, locked, true
		}
	}
	return p, p.UnitPrice, ok
}

// productName describes a locked term whose catalog row in effect is gone
// (a later row ended it): the latest row of the same SKU, term and currency.
// It took the latest row of whichever of the SKU's (term, currency) keys a
// map gave first before, so a SKU named differently in two currencies could
// be described either way.
func (b *Book) productName(sku, term string, cur Currency) string {
	if rows := b.Ref.Catalog.prices[priceKey{sku, term, cur.Code}]; len(rows) > 0 {
		return rows[len(rows)-1].ProductName
	}
	return sku
}

func (b *Book) perpetual(res *Result, o *Order, cust Customer, rate decimal.Decimal, cancel *Cancellation, env Env) {
	termKey := o.Key() + "/T0"
	price, unit, ok := b.priceFor(termKey, o.SKU, TermNone, cust.Currency, o.Date, env)
	if !ok {
		rej := held("V1", "order_date", o.Date.String(),
			"no catalog price in effect for SKU %q in %s on %s any more; the line waits for one", o.SKU, cust.Currency.Code, o.Date)
		rej.Due = o.Date
		res.Verdicts = append(res.Verdicts, Verdict{Src: o.Src, Kind: "order", Key: o.Key(), Reject: rej})
		if cancel != nil {
			res.Verdicts = append(res.Verdicts, b.waitForPrice(cancel, o.Date, rej, o, cust))
		}
		return
	}
	if rej := lineTooLarge(LineTotal(unit, o.Quantity), o.Quantity, cust.Currency, "quantity", fmt.Sprint(o.Quantity)); rej != nil {
		// Checked when the order was accepted; an order accepted before
		// that check waits here rather than post a wrapped amount.
		rej.Held, rej.Due = true, o.Date
		res.Verdicts = append(res.Verdicts, Verdict{Src: o.Src, Kind: "order", Key: o.Key(), Reject: rej})
		if cancel != nil {
			res.Verdicts = append(res.Verdicts, b.waitForPrice(cancel, o.Date, rej, o, cust))
		}
		return
	}
	amount := Round(LineTotal(unit, o.Quantity), cust.Currency)
	net, tax, gross := Split(amount, rate, Inclusive(cust.Country))
	charge := Charge{
		Key: termKey + "/I0", Type: ChargeNew, Date: o.Date, Start: o.Date, Quantity: o.Quantity,
		Net: net, Tax: tax, Gross: gross, Src: o.Src, TermKey: termKey, UnitPrice: unit,
		SKU: o.SKU, Description: price.ProductName, Order: o,
	}
	if o.Date <= env.AsOf {
		res.Charges = append(res.Charges, charge)
	}
	if cancel == nil {
		return
	}
	// A cancellation whose credit is posted stands, whatever the window
	// is now (a run with a narrower --cancel-window-days must not undo it).
	if rej := b.window(cancel, o.Date, o, cust, -gross); rej != nil && !env.posted(charge.Key+"/credit") {
		res.Verdicts = append(res.Verdicts, Verdict{Src: cancel.Src, Kind: "cancellation", Key: o.Key(), Reject: rej})
		return
	}
	// K3: 100% of every amount charged, exactly negated.
	res.Charges = append(res.Charges, Charge{
		Key: charge.Key + "/credit", Type: ChargeCancelImmediate, Date: cancel.Date, Start: cancel.Date, Quantity: o.Quantity,
		Net: -net, Tax: -tax, Gross: -gross, Src: cancel.Src, CreditsKey: charge.Key, TermKey: termKey, UnitPrice: unit,
		SKU: o.SKU, Description: price.ProductName, Order: o,
	})
}

// window is K1: a cancellation is allowed when 0 ≤ cancel − start ≤ Window
// days, where start is the order date or, for a renewed term, the renewal date.
func (b *Book) window(c *Cancellation, start Date, o *Order, cust Customer, grossCredit int64) *Reject {
	days := int(c.Date - start)
	if days >= 0 && days <= b.Window {
		return nil
	}
	return k1(c, o, cust, grossCredit, "cancellation on %s is outside the %d-day window of the purchase or renewal on %s (%d days)", c.Date, b.Window, start, days)
}

// waitForPrice judges cancellation c of a line whose term from start is
// held (hold: V1 for a purchase, R3 for a renewal, waiting for a catalog
// price; C1 when its price makes the line too large). Outside the K1 window
// it is rejected now, the credit it would have made not known; inside, it
// is held under the hold's rule and credited once the term is priced.
// Such a cancellation was listed nowhere while the hold lasted.
func (b *Book) waitForPrice(c *Cancellation, start Date, hold *Reject, o *Order, cust Customer) Verdict {
	v := Verdict{Src: c.Src, Kind: "cancellation", Key: o.Key()}
	if v.Reject = b.window(c, start, o, cust, 0); v.Reject != nil {
		v.Reject.Support.NoPrice = true
		return v
	}
	v.Reject = held(hold.Rule, "cancelled_at", c.Date.String(), "cancellation on %s waits with the term from %s: %s", c.Date, start, hold.Message)
	// Judged again by a run that reaches the cancel day, not the term's
	// start: one before it does not see the cancellation at all, and
	// released it while it still waited.
	v.Reject.Due = c.Date
	return v
}

// k1 is a K1 reject of cancellation c with what a support request needs.
func k1(c *Cancellation, o *Order, cust Customer, grossCredit int64, format string, args ...any) *Reject {
	r := reject("K1", "cancelled_at", c.Date.String(), format, args...)
	r.Support = &Support{CustomerID: cust.ID, Domain: cust.Domain, OrderID: o.OrderID, SubscriptionID: o.SubscriptionID,
		Reason: c.Reason, Currency: cust.Currency, GrossCredit: grossCredit}
	return r
}

func sortedRenewals(rs []*Renewal) []*Renewal {
	out := append([]*Renewal(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		// Then by the time of day (R2: from effective_at on): two toggles
		// of one day applied in the order they were read before.
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		if out[i].Src.ID != out[j].Src.ID {
			return out[i].Src.ID < out[j].Src.ID
		}
		if out[i].Src.File != out[j].Src.File {
			return out[i].Src.File < out[j].Src.File
		}
		return out[i].Src.Line < out[j].Src.Line
	})
	return out
}

// autoRenewDefault is R1's default by order date, with the order's explicit
// setting overriding it from 2021-10-14 on. ok is false before 2021-10-14:
// such subscriptions cannot auto-renew at all.
func autoRenewDefault(o *Order) (on, possible bool) {
	switch {
	case o.Date < AutoRenewIntroduced:
		return false, false
	case o.AutoRenew != nil:
		return *o.AutoRenew, true
	default:
		return o.Date >= AutoRenewDefaultOn, true
	}
}

func (b *Book) subscription(res *Result, o *Order, cust Customer, rate decimal.Decimal, cancel *Cancellation, env Env) {
	terms, ended, verdicts := b.walk(o, cust, env)
	inclusive := Inclusive(cust.Country)
	split := func(amount int64) (int64, int64, int64) { return Split(amount, rate, inclusive) }

	// Find the term the cancellation falls in (K1, K2).
	cutoff := NoDate // charges starting after this day are not due (K7)
	cancelTerm, cancelInst := -1, -1
	if cancel != nil {
		for i := range terms {
			if terms[i].start <= cancel.Date && cancel.Date < terms[i].end {
				cancelTerm = i
			}
		}
		var rej *Reject
		switch {
		case o.Kind == KindSoftwarePlan:
			rej = reject("K2", "order_id", o.OrderID,
				"software plan %q (subscription %s) can never be cancelled", o.SKU, o.SubscriptionID)
		case cancelTerm < 0 && cancel.Date < o.Date:
			// Before the purchase: the credit a support request would ask
			// for is the first instalment's, whole (as on its start day).
			var g int64
			if len(terms) > 0 && len(terms[0].insts) > 0 {
				first := terms[0].insts[0]
				_, _, g = split(-prorate(first, first.Start))
			}
			rej = b.window(cancel, o.Date, o, cust, g)
		case cancelTerm < 0 && ended != NoDate && cancel.Date >= ended:
			last := terms[len(terms)-1].start
			if rej = b.window(cancel, last, o, cust, 0); rej == nil {
				// A window at least a term long (--cancel-window-days 365)
				// lets the date pass, but no term is left to cancel (a nil
				// reject here panicked every post before).
				rej = k1(cancel, o, cust, 0, "cancellation on %s finds no term to cancel (%d days after the purchase or renewal on %s)",
					cancel.Date, int(cancel.Date-last), last)
			}
			rej.Message += fmt.Sprintf("; the subscription ended on %s", ended)
		case cancelTerm < 0:
			// The term it falls in waits for a catalog price (the walk's
			// last verdict holds it): judged against the window now, else
			// held with it (it was listed nowhere before).
			for _, v := range verdicts {
				if v.Reject != nil && v.Reject.Held && v.Reject.Due != NoDate {
					rej = b.waitForPrice(cancel, v.Reject.Due, v.Reject, o, cust).Reject
				}
			}
		default:
			t := &terms[cancelTerm]
			for k, in := range t.insts {
				if in.Start <= cancel.Date && cancel.Date < in.End {
					cancelInst = k
				}
			}
			credit := prorate(t.insts[cancelInst], cancel.Date)
			_, _, g := split(-credit)
			rej = b.window(cancel, t.start, o, cust, g)
			if rej != nil && env.posted(fmt.Sprintf("%s/T%d/I%d/credit", o.Key(), t.index, cancelInst)) {
				// Its credit is posted: the cancellation stands, whatever
				// the window is now (a run with a narrower
				// --cancel-window-days must not bill the ended
				// subscription again).
				rej = nil
			}
		}
		if rej != nil {
			res.Verdicts = append(res.Verdicts, Verdict{Src: cancel.Src, Kind: "cancellation", Key: o.Key(), Reject: rej})
			cancel, cancelTerm = nil, -1
		} else if cancelTerm >= 0 {
			cutoff = cancel.Date
		}
	}

	for ti := range terms {
		t := &terms[ti]
		termKey := fmt.Sprintf("%s/T%d", o.Key(), t.index)
		for k, in := range t.insts {
			if in.Start > env.AsOf {
				break
			}
			key := fmt.Sprintf("%s/I%d", termKey, k)
			typ := ChargeCycle
			if k == 0 {
				typ = ChargeNew
				if t.index > 0 {
					typ = ChargeRenew
				}
			}
			net, tax, gross := split(in.Amount)
			c := Charge{
				Key: key, Type: typ, Date: in.Start, Start: in.Start, End: in.End - 1, Quantity: t.quantity,
				Net: net, Tax: tax, Gross: gross, Src: t.src, TermKey: termKey, UnitPrice: t.unitPrice,
				SKU: o.SKU, Description: t.price.ProductName, Order: o, Late: t.late,
			}
			if in.Rounded != in.Amount {
				wasNet, wasTax, wasGross := split(in.Rounded)
				c.Was = &[3]int64{wasNet, wasTax, wasGross}
			}
			if cutoff != NoDate && in.Start > cutoff {
				// K7: not charged after cancellation; if a late cancellation
				// finds it posted, reverse it exactly in the first open month
				// from the instalment's own: dated on its start, so an
				// instalment a post placed ahead in a month still open is
				// reversed on that month's invoice, beside its charge, and
				// the credit names the invoice that billed it. Dated on the
				// cancel day, it went to an earlier open month, before that
				// invoice existed: credited_invoice was empty, and filled in
				// when the closed month was written again (P1).
				if env.posted(key) {
					rev := Charge{
						Key: key + "/reversal", Type: ChargeCancelImmediate, Date: in.Start, Start: in.Start, End: in.End - 1,
						Quantity: t.quantity, Net: -net, Tax: -tax, Gross: -gross, Src: cancel.Src, CreditsKey: key,
						TermKey: termKey, UnitPrice: t.unitPrice, SKU: o.SKU, Description: t.price.ProductName, Order: o, Late: t.late,
					}
					if pc, ok := env.charge(key); ok {
						// Exactly what was billed (K7), whatever the rules
						// give for it now.
						rev.Quantity, rev.End = pc.Quantity, pc.End
						rev.Net, rev.Tax, rev.Gross = -pc.Net, -(pc.Gross - pc.Net), -pc.Gross
					}
					if pr, ok := env.charge(rev.Key); ok && (pr.Net != rev.Net || pr.Gross != rev.Gross) {
						// A reversal an earlier version posted that does
						// not negate the charge (before the ninth session a
						// renewal shaped by a renew record was reversed at
						// the order's quantity): it stands, and a correction
						// credits what it left billed.
						fix := rev
						fix.Key = rev.Key + "/correction"
						fix.Net, fix.Tax, fix.Gross = rev.Net-pr.Net, rev.Tax-(pr.Gross-pr.Net), rev.Gross-pr.Gross
						rev.Quantity, rev.End = pr.Quantity, pr.End
						rev.Net, rev.Tax, rev.Gross = pr.Net, pr.Gross-pr.Net, pr.Gross
						res.Charges = append(res.Charges, rev, fix)
						continue
					}
					res.Charges = append(res.Charges, rev)
				}
				continue
			}
			res.Charges = append(res.Charges, c)
			if ti == cancelTerm && k == cancelInst {
				credit := prorate(in, cancel.Date)
				cn, ct, cg := split(-credit)
				cr := Charge{
					Key: key + "/credit", Type: ChargeCancelImmediate, Date: cancel.Date, Start: cancel.Date, End: in.End - 1,
					Quantity: t.quantity, Net: cn, Tax: ct, Gross: cg, Src: cancel.Src, CreditsKey: key,
					TermKey: termKey, UnitPrice: t.unitPrice, SKU: o.SKU, Description: t.price.ProductName, Order: o, Late: t.late,
				}
				if c.Was != nil && cancel.Date <= in.Start {
					// 100% of a last instalment an earlier version posted
					// otherwise (Charge.Was): the credit negates what was
					// charged, and one it posted (−round(Exact)) stands.
					if pc, ok := env.charge(key); ok {
						cr.Net, cr.Tax, cr.Gross = -pc.Net, -(pc.Gross - pc.Net), -pc.Gross
					}
					cr.Was = &[3]int64{-c.Was[0], -c.Was[1], -c.Was[2]}
				}
				res.Charges = append(res.Charges, cr)
			}
		}
	}

	// Verdicts from the walk: after a cancellation, renewals cannot apply (K7)
	// and nothing waits any more.
	noRenewal := func(src Source) Verdict {
		return Verdict{Src: src, Kind: "renewal", Key: o.SubscriptionID, Reject: reject("K7", "subscription_id", o.SubscriptionID,
			"subscription %s was cancelled on %s: no renewal after cancellation", o.SubscriptionID, cutoff)}
	}
	for _, v := range verdicts {
		if cutoff != NoDate && v.after > cutoff {
			switch {
			case v.Kind == "renewal" && v.action == ActionRenew:
				v.Verdict = noRenewal(v.Src)
			case v.Kind == "renewal" && v.action == ActionOff:
				// R2 against a renewal after the cancellation: K7 reverses
				// that renewal, so the toggle undoes nothing posted, and is
				// accepted (dated after the cancellation it is for a
				// subscription that has ended). It was rejected R2 against
				// the reversed renewal (found by an audit).
				continue
			case v.Reject == nil || v.Reject.Held:
				continue
			}
		}
		if v.Reject != nil {
			res.Verdicts = append(res.Verdicts, v.Verdict)
		}
	}
	if cutoff != NoDate {
		// The subscription ended on the cancel day, so a renew record for a
		// term end after it can never apply: reject it as soon as it is
		// dated, not when the term it would have renewed ends (a renew
		// dated after a cancellation stayed accepted, on no list, until
		// then). Those are the records dated after the cancelled term's
		// start (for the first term, all: they apply to its end), with the
		// records of renewed terms a late cancellation undoes.
		judged := map[Source]bool{}
		for _, v := range res.Verdicts {
			judged[v.Src] = true
		}
		// A renewal already posted stands until reversed (as for R2 and
		// R3's late records): the records that shaped it keep it as it
		// was posted, so the K7 reversals negate what was billed. Rejected,
		// they left the next run to recompute the renewal from the order:
		// a reversal at the order's quantity, or a key that no longer
		// matched and failed every later post (found by an audit).
		// Only a record that arrived before the cancellation can have shaped
		// a posted renewal: one that arrived after it met a subscription the
		// rules already ended, so no renewal was posted with it, and it is
		// K7 (it stood, accepted and on no list, when it applied to a
		// renewal posted before the cancellation arrived: found by an
		// audit). Decision: one that arrived before the cancellation and
		// applied to a posted renewal stands, also if it changed nothing
		// (the ledger cannot tell whether the renewal was posted with it,
		// its line naming it as source, or before it arrived).
		protect := func(terms []term) {
			for _, t := range terms {
				if t.index > 0 && env.posted(fmt.Sprintf("%s/T%d/I0", o.Key(), t.index)) {
					for _, r := range t.applied {
						if r.Src.ID < cancel.Src.ID {
							judged[r.Src] = true
						}
					}
				}
			}
		}
		protect(terms)
		start := terms[cancelTerm].start
		candidate := func(r *Renewal) bool {
			return r.Action == ActionRenew && r.Date <= env.AsOf && (cancelTerm == 0 || r.Date > start) && !judged[r.Src]
		}
		records := sortedRenewals(b.renewals[o.SubscriptionID])
		horizon := NoDate
		for _, r := range records {
			if candidate(r) {
				// The term end it applies to is at most a P3Y term after
				// its date, or after the order's for a record dated
				// before the order.
				horizon = max(horizon, max(r.Date, o.Date).AddMonths(36))
			}
		}
		if horizon > env.AsOf {
			// A renewal a post placed ahead, past this run's day, may have
			// used it: walk that far to see the terms it shaped.
			far := env
			far.AsOf = horizon
			ahead, _, _ := b.walk(o, cust, far)
			protect(ahead)
		}
		for _, r := range records {
			if candidate(r) {
				judged[r.Src] = true
				res.Verdicts = append(res.Verdicts, noRenewal(r.Src))
			}
		}
		for _, t := range terms {
			if t.start > cutoff && t.src != o.Src && !judged[t.src] {
				judged[t.src] = true
				res.Verdicts = append(res.Verdicts, noRenewal(t.src))
			}
		}
	}
}

// prorate is K4: round(instalment × unused ÷ days), where instalment is the
// instalment's exact C2 amount, days = end − start and unused = end − cancel
// day (the cancel day itself is not billed). Cancelling on the start day
// credits the whole posted instalment: its exact negation, also for a last
// instalment whose posted amount is not round(Exact) (Instalment.Amount).
func prorate(in Instalment, cancel Date) int64 {
	if cancel <= in.Start {
		return in.Amount
	}
	unused, days := int64(in.End-cancel), int64(in.End-in.Start)
	return roundRat(new(big.Rat).Mul(in.Exact, big.NewRat(unused, days)))
}

type walkVerdict struct {
	Verdict
	action string
	after  Date // the verdict concerns the subscription after this day
}

// walk follows a subscription's terms from the order through renewals (R1–R3)
// until a term that ends after asOf, an expiry, or a renewal held for a price.
// ended is the expiry day (NoDate while it runs or is held).
func (b *Book) walk(o *Order, cust Customer, env Env) (terms []term, ended Date, verdicts []walkVerdict) {
	defOn, possible := autoRenewDefault(o)
	records := sortedRenewals(b.renewals[o.SubscriptionID])
	rejected := map[*Renewal]bool{}
	cur := term{start: o.Date, term: o.Term, plan: o.Plan, quantity: o.Quantity, src: o.Src}
	prevEnd := NoDate
	for {
		termKey := fmt.Sprintf("%s/T%d", o.Key(), cur.index)
		price, unit, ok := b.priceFor(termKey, o.SKU, cur.term, cust.Currency, cur.start, env)
		if !ok {
			kind, key := "renewal", o.SubscriptionID
			rej := held("R3", "effective_at", cur.start.String(),
				"renewal of subscription %s on %s held: no catalog price in effect for SKU %q term %s in %s; it renews when the catalog provides one",
				o.SubscriptionID, cur.start, o.SKU, cur.term, cust.Currency.Code)
			if cur.index == 0 {
				// The purchase itself, accepted when priced, whose price a
				// later catalog row ended: held as a perpetual line is (V1),
				// not called a renewal (R3) that does not exist.
				kind, key = "order", o.Key()
				rej = held("V1", "order_date", o.Date.String(),
					"no catalog price in effect for SKU %q term %s in %s on %s any more; the line waits for one", o.SKU, cur.term, cust.Currency.Code, o.Date)
			}
			rej.Due = cur.start
			verdicts = append(verdicts, walkVerdict{Verdict: Verdict{Src: cur.src, Kind: kind, Key: key, Reject: rej}, after: cur.start})
			return terms, NoDate, verdicts
		}
		cur.price, cur.unitPrice = price, unit
		if rej := lineTooLarge(LineTotal(unit, cur.quantity), cur.quantity, cust.Currency, "quantity", fmt.Sprint(cur.quantity)); rej != nil {
			// C1: never posted with an amount the ledger cannot hold. The
			// order was checked when accepted and a renew record that asks
			// for such a quantity is rejected below, so this is a renewal
			// whose new catalog price makes its line too large: held,
			// listed at every close, like a renewal without a price.
			kind, key, what := "renewal", o.SubscriptionID, "renewal of subscription "+o.SubscriptionID
			if cur.index == 0 {
				kind, key, what = "order", o.Key(), "order line "+o.Key()
			}
			rej.Held, rej.Due = true, cur.start
			rej.Message = fmt.Sprintf("%s on %s held: %s", what, cur.start, rej.Message)
			verdicts = append(verdicts, walkVerdict{Verdict: Verdict{Src: cur.src, Kind: kind, Key: key, Reject: rej}, after: cur.start})
			return terms, NoDate, verdicts
		}
		cur.end = cur.start.AddMonths(termMonths(cur.term))
		cur.insts = Instalments(LineTotal(unit, cur.quantity), cust.Currency, cur.start, cur.term, cur.plan)
		terms = append(terms, cur)
		T := cur.end
		if T > env.AsOf {
			return terms, NoDate, verdicts
		}

		// R3: a renew record applies to the first term end on or after its
		// date. Decision: several for one term end are applied in order, each
		// given field overriding the earlier ones.
		var applied []*Renewal
		on := defOn
		for _, r := range records {
			if rejected[r] || r.Date > T {
				continue
			}
			switch r.Action {
			case ActionRenew:
				if prevEnd == NoDate || r.Date > prevEnd {
					applied = append(applied, r)
				}
			case ActionOn, ActionOff:
				if possible {
					on = r.Action == ActionOn
				}
			}
		}
		renews := possible && (on || len(applied) > 0)
		nextKey := fmt.Sprintf("%s/T%d/I0", o.Key(), cur.index+1)
		for possible && !renews && env.posted(nextKey) {
			// R2: a toggle that arrives after the renewal was posted and is dated
			// before it cannot undo it. Reject the last off toggle on or before T.
			var last *Renewal
			for _, r := range records {
				if !rejected[r] && r.Date <= T && r.Action == ActionOff {
					last = r
				}
			}
			if last == nil {
				renews = true // posted already; a posted renewal stands
				break
			}
			rejected[last] = true
			verdicts = append(verdicts, walkVerdict{Verdict: Verdict{Src: last.Src, Kind: "renewal", Key: o.SubscriptionID,
				Reject: reject("R2", "effective_at", last.Date.String(),
					"auto_renew_off dated %s arrived after subscription %s was renewed on %s and cannot undo it; cancel the renewed term instead (K1)",
					last.Date, o.SubscriptionID, T)}, action: ActionOff, after: T})
			on = defOn
			for _, r := range records {
				if !rejected[r] && r.Date <= T && (r.Action == ActionOn || r.Action == ActionOff) {
					on = r.Action == ActionOn
				}
			}
			renews = on || len(applied) > 0
		}
		if !renews {
			// Expired at T. Later renew records are rejected (R3); toggles for an
			// ended subscription are accepted and change nothing (R2).
			for _, r := range records {
				if r.Action == ActionRenew && r.Date > T && r.Date <= env.AsOf {
					verdicts = append(verdicts, walkVerdict{Verdict: Verdict{Src: r.Src, Kind: "renewal", Key: o.SubscriptionID,
						Reject: reject("R3", "effective_at", r.Date.String(),
							"subscription %s ended on %s without renewal; a renew dated %s cannot apply", o.SubscriptionID, T, r.Date)},
						action: ActionRenew, after: T})
				}
			}
			return terms, T, verdicts
		}
		next := term{index: cur.index + 1, start: T, term: cur.term, plan: cur.plan, quantity: cur.quantity, src: o.Src, applied: applied,
			late: cur.late || env.CutoverRecord > 0 && !renewsOn(records, rejected, T, prevEnd, defOn, possible, env.CutoverRecord)}
		for _, r := range applied {
			if r.Term != "" {
				next.term = r.Term
			}
			if r.Plan != "" {
				next.plan = r.Plan
			}
			if r.Quantity != 0 {
				next.quantity = r.Quantity
			}
			next.src = r.Src
		}
		if next.plan == PlanOneTime {
			// R3: a legacy one_time plan renews as annual on P1Y, triennial
			// on P3Y — the renewed term's, once a renew record changed it
			// (mapped from the old term before, a P3Y line renewed onto P1Y
			// was given "triennial" and its renew record rejected).
			next.plan = map[string]string{TermP1Y: PlanAnnual, TermP3Y: PlanTriennial}[next.term]
		}
		// redecide rejects renew record r and decides term end T again
		// without it: cur is walked again, so it leaves terms until then
		// (it was appended twice, and its charges computed twice, before).
		redecide := func(r *Renewal, rej *Reject) {
			rejected[r] = true
			verdicts = append(verdicts, walkVerdict{Verdict: Verdict{Src: r.Src, Kind: "renewal", Key: o.SubscriptionID, Reject: rej},
				action: ActionRenew, after: T})
			records = removeRenewal(records, r)
			terms = terms[:len(terms)-1]
		}
		if pc, ok := env.charge(nextKey); ok && len(applied) > 0 && !b.renewedAs(pc, o, next, cust, env) && cur.plan == PlanOneTime &&
			!slices.ContainsFunc(applied, func(a *Renewal) bool { return a.Plan != "" }) {
			// A legacy one_time line renewed onto another term, posted by
			// a version before the ninth session, which took the plan from
			// the old term: the renewal stands as it was posted.
			posted := next
			posted.plan = map[string]string{TermP1Y: PlanAnnual, TermP3Y: PlanTriennial}[cur.term]
			if b.renewedAs(pc, o, posted, cust, env) {
				next = posted
			}
		}
		if pc, ok := env.charge(nextKey); ok && len(applied) > 0 && !b.renewedAs(pc, o, next, cust, env) {
			// R3: the renewal on T is posted, and a posted renewal stands
			// (as for R2's late toggles). A renew record that arrived after
			// it and would change its term, plan or quantity cannot: reject
			// the last to arrive of those that change something, and decide
			// again without it (it failed every later post with a key
			// conflict before). Judged before the checks below: a late
			// record naming only a term made the posted plan not fit, and
			// the record that had shaped the renewal was blamed for it.
			var r *Renewal
			for _, a := range applied {
				if (a.Term != "" || a.Plan != "" || a.Quantity != 0) && (r == nil || a.Src.ID >= r.Src.ID) {
					r = a
				}
			}
			if r != nil {
				redecide(r, reject("R3", "effective_at", r.Date.String(),
					"renew dated %s arrived after subscription %s was renewed on %s and cannot change that renewal; cancel the renewed term instead (K1)",
					r.Date, o.SubscriptionID, T))
				continue
			}
		}
		// V1: a renew record that names a term the SKU has in no currency
		// and on no date asks for an unknown term, as an order would. It
		// held the renewal (R3, "no price in effect") for good before, the
		// subscription neither renewing nor expiring; and a later record
		// naming a known term hid it, its other fields applied.
		skuTerms := b.Ref.Catalog.Terms(o.SKU)
		if i := slices.IndexFunc(applied, func(a *Renewal) bool { return a.Term != "" && !contains(skuTerms, a.Term) }); i >= 0 {
			redecide(applied[i], reject("V1", "term", applied[i].Term, "unknown term %q for SKU %q in the renewal of %s: the catalog lists %s",
				applied[i].Term, o.SKU, o.SubscriptionID, quoteList(skuTerms)))
			continue
		}
		// A plan that does not fit the renewal is the fault of the record
		// that named the plan, else of the one that named the term (the
		// last record applied was blamed before, a quantity change lost
		// with it).
		blame := func() *Renewal {
			return cmp.Or(lastSetting(applied, func(a *Renewal) bool { return a.Plan != "" }),
				lastSetting(applied, func(a *Renewal) bool { return a.Term != "" }), applied[len(applied)-1])
		}
		if _, ok := periodMonths(next.plan, next.term); !ok {
			// The renew record asked for a plan the new term cannot have.
			redecide(blame(), reject("V2", "billing_plan", next.plan,
				"billing plan %q does not fit term %s for the renewal of %s", next.plan, next.term, o.SubscriptionID))
			continue
		}
		p, priced := b.Ref.Catalog.Lookup(o.SKU, next.term, cust.Currency, T)
		if len(applied) > 0 && priced && !p.lists(next.plan) {
			redecide(blame(), reject("V2", "billing_plan", next.plan,
				"SKU %q term %s does not list billing plan %q on %s; the catalog lists %s", o.SKU, next.term, next.plan, T, quoteList(p.Plans)))
			continue
		}
		if len(applied) > 0 && !priced && !b.Ref.Catalog.EverLists(o.SKU, next.term, next.plan) {
			// No price yet in the customer's currency, but no row of the
			// SKU and term lists the plan in any: judged now (V2), not held
			// for a price that could never make it valid (R3).
			redecide(blame(), reject("V2", "billing_plan", next.plan,
				"no catalog row of SKU %q term %s lists billing plan %q", o.SKU, next.term, next.plan))
			continue
		}
		if priced && next.quantity != cur.quantity {
			// A renew record's new quantity makes the line larger than the
			// ledger holds (C1): reject the record that set it.
			r := lastSetting(applied, func(a *Renewal) bool { return a.Quantity != 0 })
			if rej := lineTooLarge(LineTotal(p.UnitPrice, next.quantity), next.quantity, cust.Currency, "quantity", fmt.Sprint(next.quantity)); rej != nil && r != nil {
				redecide(r, rej)
				continue
			}
		}
		prevEnd = T
		cur = next
	}
}

// renewedAs reports whether term next, as the walk would make it, is the
// renewal posted as pc: the same quantity, first instalment's end and
// amount (net, or gross where prices include tax). When its price cannot be
// told, it says yes: the posting itself then decides (a conflict is an
// error a person must look at).
func (b *Book) renewedAs(pc PostedCharge, o *Order, next term, cust Customer, env Env) bool {
	_, unit, ok := b.priceFor(fmt.Sprintf("%s/T%d", o.Key(), next.index), o.SKU, next.term, cust.Currency, next.start, env)
	if !ok {
		return true
	}
	insts := Instalments(LineTotal(unit, next.quantity), cust.Currency, next.start, next.term, next.plan)
	if len(insts) == 0 {
		return false // a plan that does not fit the term: not what was posted
	}
	amount := pc.Net
	if Inclusive(cust.Country) {
		amount = pc.Gross
	}
	return pc.Quantity == next.quantity && pc.End == insts[0].End-1 && amount == insts[0].Amount
}

// renewsOn reports whether the term ending on T renews (R1–R3) on the
// records that arrived by record id upTo alone: false when only a record
// that arrived later (after the first close) renews it.
func renewsOn(records []*Renewal, rejected map[*Renewal]bool, T, prevEnd Date, defOn, possible bool, upTo int64) bool {
	if !possible {
		return false
	}
	on := defOn
	for _, r := range records {
		if rejected[r] || r.Date > T || r.Src.ID > upTo {
			continue
		}
		switch r.Action {
		case ActionRenew:
			if prevEnd == NoDate || r.Date > prevEnd {
				return true
			}
		case ActionOn, ActionOff:
			on = r.Action == ActionOn
		}
	}
	return on
}

// lastSetting is the last of the applied renew records for which set holds
// (the one whose value for that field the renewal takes), nil if none.
func lastSetting(applied []*Renewal, set func(*Renewal) bool) *Renewal {
	var last *Renewal
	for _, a := range applied {
		if set(a) {
			last = a
		}
	}
	return last
}

func removeRenewal(rs []*Renewal, r *Renewal) []*Renewal {
	out := make([]*Renewal, 0, len(rs))
	for _, x := range rs {
		if x != r {
			out = append(out, x)
		}
	}
	return out
}
