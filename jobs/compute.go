package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
	"cspbill/ledger"
)

// pageSize is how many order lines post and close work on at a time: the
// order lines, their cancellations and renewal records, and what the ledger
// holds for them are in memory one page at a time, so memory does not grow
// with the number of order lines.
var pageSize = 5000 // a var so tests can make pages small

// loadReference rebuilds the reference data (customers, catalog, taxes) by
// replaying the accepted rows through the same checks, in the order they
// were accepted.
func loadReference(ctx context.Context, d Deps) (*invoice.Book, error) {
	return loadKinds(ctx, d, csvin.KindCustomers, csvin.KindCatalog, csvin.KindTaxes)
}

// loadPrices is loadReference without the customers: post, close and
// ingest load the customers a page or batch names with it (pageCustomers),
// so memory does not grow with the number of customers.
func loadPrices(ctx context.Context, d Deps) (*invoice.Book, error) {
	return loadKinds(ctx, d, csvin.KindCatalog, csvin.KindTaxes)
}

func loadKinds(ctx context.Context, d Deps, kinds ...string) (*invoice.Book, error) {
	b := invoice.NewBook()
	b.Window = d.window()
	for _, kind := range kinds {
		for rec, err := range d.Ledger.Records(ctx, ledger.RecordFilter{Kind: kind, Status: ledger.Accepted}) {
			if err != nil {
				return nil, err
			}
			if err := replayReference(b, rec); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// page is one page of order lines with everything the rules need of them.
type page struct {
	book   *invoice.Book
	orders []*invoice.Order
	status map[int64]statusChange // held records' current status, by record id
	// orderOf is the order line each held record belongs to.
	orderOf map[int64]*invoice.Order
	// unseen: no committed post or close has read these order records, so
	// nothing is posted for their lines and no price is locked for their
	// terms (every key and term key starts with the order line's key).
	unseen bool
}

// rated reports whether held record id's customer has a tax rate now (C4).
func (pg *page) rated(id int64) bool {
	o := pg.orderOf[id]
	if o == nil {
		return false
	}
	cust, ok := pg.book.Ref.Customers[o.CustomerID]
	if !ok {
		return false
	}
	_, ok = pg.book.Ref.TaxRate(cust.Country)
	return ok
}

// holdsNothing reports whether held record id would hold nothing in a run
// through day (the day its hold was found): its order line's schedule
// through day gives it no hold. A close of a month before that day then
// no longer lists a hold the catalog has since priced, or a later record
// made moot. What is posted of the line is as the run found it; nothing
// here is posted.
func (pg *page) holdsNothing(id int64, day string, posted map[string]ledger.PostedTxn) bool {
	o := pg.orderOf[id]
	through, err := invoice.ParseDate(day)
	if o == nil || err != nil {
		return false
	}
	res := pg.book.Schedule(o, invoice.Env{AsOf: through, Posted: func(k string) bool { _, ok := posted[k]; return ok }})
	for _, v := range res.Verdicts {
		if v.Src.ID == id && v.Reject != nil && v.Reject.Held {
			return false
		}
	}
	return true
}

// loadPage loads the order lines after afterID (at most pageSize), their
// customers, cancellations and renewal records into a book that shares the
// catalog and taxes of prices.
func loadPage(ctx context.Context, d Deps, prices *invoice.Book, customers *customerCache, afterID, unseenAfter int64) (*page, int64, error) {
	var recs []ledger.SourceRecord
	var last int64
	for len(recs) == 0 {
		var err error
		recs, last, err = d.Ledger.RecordPage(ctx, csvin.KindOrders, afterID, pageSize)
		if err != nil || last == 0 {
			return nil, afterID, err
		}
		// A page whose records were all rejected or seen (a resent file of
		// pageSize identical rows) has nothing to compute: read on.
		afterID = last
	}
	orders := make([]invoice.Order, len(recs))
	custIDs := make([]string, len(recs))
	for i, rec := range recs {
		if err := decodeRecord(rec, &orders[i]); err != nil {
			return nil, afterID, err
		}
		custIDs[i] = orders[i].CustomerID
	}
	b, err := customers.book(ctx, d.Ledger, prices, custIDs)
	if err != nil {
		return nil, afterID, err
	}
	p := &page{book: b, status: map[int64]statusChange{}, orderOf: map[int64]*invoice.Order{}, unseen: recs[0].ID > unseenAfter}
	byLine, bySub := map[string]*invoice.Order{}, map[string]*invoice.Order{} // order line key, subscription → order line
	note := func(rec ledger.SourceRecord, o *invoice.Order) {
		if rec.Status == ledger.Held {
			p.status[rec.ID] = statusChange{status: rec.Status, rule: rec.Rule, message: rec.Message, support: rec.Support}
			p.orderOf[rec.ID] = o
		}
	}
	var lineKeys, subs []string
	for i, rec := range recs {
		o := orders[i]
		o.Src = srcOf(rec)
		b.PutOrder(o, rec.Hash)
		po, _ := b.Order(o.Key())
		p.orders = append(p.orders, po)
		byLine[po.Key()] = po
		note(rec, po)
		lineKeys = append(lineKeys, o.Key())
		// A perpetual line may carry a subscription id (SPEC §1 asks it
		// unique for the others only), but renewals are a subscription's
		// (Book.PutOrder): such a line took the renew records and holds of
		// the subscription with its id before, and released them.
		if po.SubscriptionID != "" && po.Kind != invoice.KindPerpetual {
			bySub[po.SubscriptionID] = po
			subs = append(subs, po.SubscriptionID)
		}
	}
	cancels, err := d.Ledger.RecordsByKey(ctx, csvin.KindCancellations, lineKeys)
	if err != nil {
		return nil, afterID, err
	}
	for _, rec := range cancels {
		var c invoice.Cancellation
		if err := decodeRecord(rec, &c); err != nil {
			return nil, afterID, err
		}
		c.Src = srcOf(rec)
		// Held for its order line (K6) until Release; held for a tax rate
		// (C4) it is scheduled like any other.
		b.PutCancellation(c, rec.Hash, rec.Status == ledger.Held && rec.Rule == "K6")
		note(rec, byLine[c.Key()])
	}
	renewals, err := d.Ledger.RecordsByKey(ctx, csvin.KindRenewals, subs)
	if err != nil {
		return nil, afterID, err
	}
	for _, rec := range renewals {
		n, err := decodeRenewal(rec)
		if err != nil {
			return nil, afterID, err
		}
		b.PutRenewal(n, rec.Hash)
		note(rec, bySub[n.SubscriptionID])
	}
	return p, last, nil
}

// recordReader is what pageCustomers reads records through: the Ledger, or
// an ingest's own transaction, which sees the rows it has written.
type recordReader interface {
	RecordsByKey(ctx context.Context, kind string, keys []string) ([]ledger.SourceRecord, error)
}

// pageCustomers returns a book with the catalog and taxes of prices and
// the customers ids name, replayed from their accepted rows in the order they
// were accepted, as loadReference would.
func pageCustomers(ctx context.Context, l recordReader, prices *invoice.Book, ids []string) (*invoice.Book, error) {
	b := invoice.NewBook()
	b.Ref = &invoice.Reference{Customers: map[string]invoice.Customer{}, Catalog: prices.Ref.Catalog, Taxes: prices.Ref.Taxes}
	b.Window = prices.Window
	custs, err := l.RecordsByKey(ctx, csvin.KindCustomers, ids)
	if err != nil {
		return nil, err
	}
	for _, rec := range custs {
		if rec.Status != ledger.Accepted {
			continue
		}
		if err := replayReference(b, rec); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// customerCacheSize bounds a customerCache: ~250 bytes a customer, so at
// most ~2 MiB however many customers the ledger has. It is full as soon as
// a ledger has more customers, so a job's memory is the same at 100,000
// order lines (10,000 customers) as at a million (100,000): with 32,768
// the post of a million peaked 11–14 MiB higher. At 100,000 order lines it
// answers ~70% of the look-ups; at a million, whose customers it cannot
// hold, ~7% (32,768 answered ~30%: SQLite's million took 35 s less).
var customerCacheSize = 1 << 13

// customerCache remembers the customers, and the customer ids with no
// accepted row, that earlier pages or batches of one job looked up, while
// nothing can change them: a post's pages, an ingest's batches of order
// lines (customers change only through a customers file, which never uses
// one). Order lines name the same customers again and again: at 100,000
// order lines a post or an ingest asked the ledger for ~60,000 customers
// (10,000 distinct) and replayed each; with the cache, a 100k ingest
// takes ~1 s less on SQLite and a post ~1.5 s less. It is bounded: when
// full, an arbitrary entry makes room, so memory does not follow the
// customers.
type customerCache struct {
	m map[string]cachedCustomer
}

type cachedCustomer struct {
	c  invoice.Customer
	ok bool // false: no accepted row for the id
}

func newCustomerCache() *customerCache {
	return &customerCache{m: make(map[string]cachedCustomer)}
}

// book is pageCustomers, asking l only for the ids not cached.
func (k *customerCache) book(ctx context.Context, l recordReader, prices *invoice.Book, ids []string) (*invoice.Book, error) {
	var missing []string
	for _, id := range ids {
		if _, ok := k.m[id]; !ok {
			missing = append(missing, id)
		}
	}
	b, err := pageCustomers(ctx, l, prices, missing)
	if err != nil {
		return nil, err
	}
	// Every cached id goes into the book before anything is evicted: an
	// entry evicted first would be taken for a customer with no row.
	for _, id := range ids {
		if e, ok := k.m[id]; ok && e.ok {
			b.Ref.Customers[id] = e.c
		}
	}
	for _, id := range missing {
		if _, ok := k.m[id]; ok {
			continue // named twice
		}
		if len(k.m) >= customerCacheSize {
			for old := range k.m { // map order: an arbitrary entry
				delete(k.m, old)
				break
			}
		}
		c, ok := b.Ref.Customers[id] // as the ledger answered
		k.m[id] = cachedCustomer{c: c, ok: ok}
	}
	return b, nil
}

// eachPlan is recompute-and-diff, a page of order lines at a time: the
// schedule of every order line through asOf, less what the ledger already
// holds, handed to fn page by page.
func eachPlan(ctx context.Context, d Deps, asOf invoice.Date, cal calendar, fn func(*plan) error) error {
	// Statistics as of now, so the per-page look-ups use their indexes
	// however much an earlier run wrote.
	if err := d.Ledger.Analyze(ctx); err != nil {
		return err
	}
	prices, err := loadPrices(ctx, d)
	if err != nil {
		return err
	}
	unseen, err := unseenAfter(ctx, d)
	if err != nil {
		return err
	}
	customers := newCustomerCache() // a post's customers do not change under it
	var bar progress = noProgress{}
	if d.Progress != nil { // on a terminal: counting costs a scan, not worth it under cron
		n, err := d.Ledger.CountKept(ctx, csvin.KindOrders)
		if err != nil {
			return err
		}
		var done func()
		bar, done = d.bar(n, "posting order lines through "+asOf.String())
		defer done()
	}
	for after := int64(0); ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		pg, next, err := loadPage(ctx, d, prices, customers, after, unseen)
		if err != nil || pg == nil {
			return err
		}
		after = next
		p, err := pg.plan(ctx, d, asOf, cal)
		if err != nil {
			return err
		}
		if err := d.hook("post:planned"); err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		bar.Add(len(pg.orders))
	}
}

// unseenAfter is the source record id after which no committed post or
// close has read the records: the last one the post mark names. A post
// computes, posts and marks in one database transaction, so a run that did
// not commit left nothing behind. With no mark, nothing was posted unless
// the ledger predates the mark; then every page is looked up.
func unseenAfter(ctx context.Context, d Deps) (int64, error) {
	mark, ok, err := d.Ledger.PostMark(ctx)
	if err != nil || ok {
		return mark.LastRecord, err
	}
	anyPosted, err := d.Ledger.AnyPosted(ctx)
	if err != nil || !anyPosted {
		return 0, err
	}
	return math.MaxInt64, nil
}

// schedules runs the rules on every order line of the page, looking up in
// the ledger what they ask about (posted keys, locked term prices) until a
// pass asks nothing new: usually two passes.
func (pg *page) schedules(ctx context.Context, d Deps, asOf invoice.Date, cal calendar) ([]invoice.Result, map[string]ledger.PostedTxn, map[string]bool, error) {
	posted := map[string]ledger.PostedTxn{}
	locked := map[string]decimal.Decimal{}
	asked, askedTerms := map[string]bool{}, map[string]bool{}
	for pass := 0; ; pass++ {
		var keys, terms []string
		ask := func(k string) {
			if !asked[k] {
				asked[k] = true
				keys = append(keys, k)
			}
		}
		// What the rules themselves asked (K7 reversals, R2 late toggles):
		// if none of it is posted, and every locked price is the one the
		// pass used, this pass's result is already the final one.
		var rulesAsked []string
		ruleAsks := func(k string) (ledger.PostedTxn, bool) {
			ask(k)
			rulesAsked = append(rulesAsked, k)
			p, ok := posted[k]
			return p, ok
		}
		env := invoice.Env{
			AsOf:          asOf,
			CutoverRecord: cal.cutoverRecord,
			Posted:        func(k string) bool { _, ok := ruleAsks(k); return ok },
			Charge: func(k string) (invoice.PostedCharge, bool) {
				p, ok := ruleAsks(k)
				if !ok {
					return invoice.PostedCharge{}, false
				}
				end, _ := invoice.ParseDate(p.ChargeEnd) // NoDate for perpetual ("")
				return invoice.PostedCharge{Quantity: p.Quantity, End: end, Net: p.Net, Gross: p.Gross}, true
			},
			LockedPrice: func(k string) (decimal.Decimal, bool) {
				if !askedTerms[k] {
					askedTerms[k] = true
					terms = append(terms, k)
				}
				p, ok := locked[k]
				return p, ok
			},
		}
		results := make([]invoice.Result, len(pg.orders))
		for i, o := range pg.orders {
			results[i] = pg.book.Schedule(o, env)
			for _, c := range results[i].Charges {
				ask(c.Key)
			}
		}
		// An unseen page has nothing posted and nothing locked: its first
		// pass, run as if so, is final without asking the ledger (at a
		// million order lines, 3.7 million key look-ups on a first post).
		if pg.unseen || len(keys) == 0 && len(terms) == 0 {
			lockedTerms := map[string]bool{}
			for k := range locked {
				lockedTerms[k] = true
			}
			return results, posted, lockedTerms, nil
		}
		for p, err := range d.Ledger.Lookup(ctx, keys) {
			if err != nil {
				return nil, nil, nil, err
			}
			posted[p.Key] = p
		}
		tps, err := d.Ledger.TermPricesFor(ctx, terms)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, tp := range tps {
			price, err := decimal.NewFromString(tp.UnitPrice)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("term %s: locked price %q: %w", tp.TermKey, tp.UnitPrice, err)
			}
			locked[tp.TermKey] = price
		}
		if pass == 0 && final(results, rulesAsked, posted, locked) {
			lockedTerms := map[string]bool{}
			for k := range locked {
				lockedTerms[k] = true
			}
			return results, posted, lockedTerms, nil
		}
	}
}

// final reports whether a first pass, run as if nothing were posted or
// locked, gave what a pass with the ledger's answers would: none of the
// keys the rules asked about is posted, and every term was billed at the
// price it is locked at.
func final(results []invoice.Result, rulesAsked []string, posted map[string]ledger.PostedTxn, locked map[string]decimal.Decimal) bool {
	for _, k := range rulesAsked {
		if _, ok := posted[k]; ok {
			return false
		}
	}
	billedAt := map[string]bool{} // locked terms a charge of this pass billed at their locked price
	for _, r := range results {
		for _, c := range r.Charges {
			if p, ok := locked[c.TermKey]; ok {
				if !p.Equal(c.UnitPrice) {
					return false
				}
				billedAt[c.TermKey] = true
			}
		}
	}
	return len(billedAt) == len(locked) // a locked term this pass could not price needs the lock
}

// plan turns the page's schedules into what to write.
func (pg *page) plan(ctx context.Context, d Deps, asOf invoice.Date, cal calendar) (*plan, error) {
	p := &plan{status: map[int64]statusChange{}, released: pg.book.Release()}
	results, posted, locked, err := pg.schedules(ctx, d, asOf, cal)
	if err != nil {
		return nil, err
	}
	verdicts := map[int64]invoice.Verdict{}
	newTerms := map[string]bool{}
	charges := 0
	for _, r := range results {
		charges += len(r.Charges)
	}
	p.txns = make([]ledger.Txn, 0, charges) // a Txn is large: growing the slice copied it again and again
	for i, o := range pg.orders {
		res := results[i]
		for _, v := range res.Verdicts {
			verdicts[v.Src.ID] = v
		}
		cust := pg.book.Ref.Customers[o.CustomerID]
		for _, c := range res.Charges {
			if prev, ok := posted[c.Key]; ok {
				if err := samePosting(prev, c); err != nil {
					return nil, err
				}
				continue
			}
			// The later to arrive of the charge's record and its order
			// line's: a credit from a cancellation that waited for its order
			// (K6) arrived, in effect, with the order. A renewal only a late
			// toggle made (Late) arrived with the toggle.
			arrived := max(c.Src.ID, o.Src.ID)
			if c.Late {
				arrived = math.MaxInt64
			}
			period, invoiced := cal.place(c.Date, arrived)
			p.txns = append(p.txns, toTxn(c, cust, period, invoiced))
			// Checked and hashed here, while the database writes the last
			// page, rather than on the posting path.
			if err := p.txns[len(p.txns)-1].Seal(); err != nil {
				return nil, err
			}
			if !locked[c.TermKey] && !newTerms[c.TermKey] {
				newTerms[c.TermKey] = true
				p.prices = append(p.prices, ledger.TermPrice{TermKey: c.TermKey, UnitPrice: c.UnitPrice.String()})
			}
		}
	}
	// Status changes: verdicts reject or hold records; held records with no
	// hold this time are released.
	for id, v := range verdicts {
		ch := statusChange{status: ledger.Rejected, rule: v.Reject.Rule, message: v.Reject.FullMessage(), src: v.Src}
		if v.Reject.Held {
			ch.status = ledger.Held
			p.held++
			p.pending = append(p.pending, v)
			h := holdDetail{AsOf: asOf.String()}
			if v.Reject.Due != invoice.NoDate {
				h.Due = v.Reject.Due.String()
			}
			b, _ := json.Marshal(h)
			ch.support = string(b)
		}
		if cur, ok := pg.status[id]; ok && cur.status == ch.status && cur.rule == ch.rule && cur.message == ch.message {
			continue // unchanged: keep the day the hold was first found
		}
		p.status[id] = ch
	}
	for id, cur := range pg.status {
		if _, ok := verdicts[id]; ok || cur.status != ledger.Held || cur.rule == "K6" {
			continue
		}
		var h holdDetail
		json.Unmarshal([]byte(cur.support), &h)
		// A hold is released by a run through the day it was found on or
		// later (an earlier day may not reach what held it), or through the
		// day it waits for (Due: a renewal (R3) or a purchase (V1) held for
		// a price, a cancellation waiting with it), which judges it again.
		// A tax hold (C4) waits for a rate, not a day: once the customer's
		// country has one, it is released by any run. A run that reaches
		// neither day judges it through the day it was found: a hold the
		// catalog has since priced, or that a later record took out of the
		// schedule (a late toggle ended the renewal a post placed ahead and
		// held for a rate), holds nothing there, and was listed as held
		// until a run reached that day.
		if asOf.String() >= h.AsOf || h.Due != "" && asOf.String() >= h.Due || cur.rule == "C4" && pg.rated(id) ||
			h.AsOf != "" && pg.holdsNothing(id, h.AsOf, posted) {
			p.status[id] = statusChange{status: ledger.Accepted}
		}
	}
	sort.Slice(p.pending, func(i, j int) bool { return p.pending[i].Src.ID < p.pending[j].Src.ID })
	return p, nil
}
