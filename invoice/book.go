package invoice

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/shopspring/decimal"
)

// Outcome is what became of an input row.
type Outcome int

// Outcomes. Seen rows are identical to one already accepted and count as
// accepted (V6); held rows wait for something (K6) and count as accepted too.
const (
	Accepted Outcome = iota
	Seen
	Held
	Rejected
)

func (o Outcome) String() string {
	return [...]string{"accepted", "seen", "held", "rejected"}[o]
}

// DefaultWindow is K1's cancellation window in days (the seed's 30 days).
const DefaultWindow = 30

// Book is the set of accepted records the rules work on: reference data,
// order lines, cancellations (accepted or held) and renewal records. Its Add
// methods validate a new row and say what became of it; its Put methods load a
// record accepted by an earlier run without validating it again, because
// reference data that arrived since must not undo an accepted order.
type Book struct {
	Ref    *Reference
	Window int // K1 window in days

	custVals    map[string]string
	custSrc     map[string]Source
	taxVals     map[string]string
	orders      map[string]*Order
	orderVals   map[string]string
	subs        map[string]*Order
	cancels     map[string]*cancelEntry
	renewals    map[string][]*Renewal
	renewalVals map[string]bool
}

type cancelEntry struct {
	c    Cancellation
	vals string
	held bool
}

// NewBook returns an empty book with the default window.
func NewBook() *Book {
	return &Book{
		Ref: NewReference(), Window: DefaultWindow,
		custVals: map[string]string{}, custSrc: map[string]Source{}, taxVals: map[string]string{},
		orders: map[string]*Order{}, orderVals: map[string]string{}, subs: map[string]*Order{},
		cancels: map[string]*cancelEntry{}, renewals: map[string][]*Renewal{}, renewalVals: map[string]bool{},
	}
}

// Identity is the fingerprint of a record's contract values (SPEC V6: the same
// trimmed values in every contract column make the same record). The ledger
// stores it, so a record accepted by an earlier run is recognised again.
func Identity(values []string) string {
	h := sha256.Sum256([]byte(strings.Join(values, "\x1f")))
	return hex.EncodeToString(h[:])
}

// AddCustomer validates a customers row. A row identical to an accepted one is
// seen; one that contradicts it is rejected (SPEC §1).
func (b *Book) AddCustomer(raw RawCustomer, src Source) (Outcome, *Reject) {
	vals := Identity(raw.Values())
	if prev, ok := b.custVals[raw.CustomerID]; ok {
		if prev == vals {
			return Seen, nil
		}
		return Rejected, reject("V6", "customer_id", raw.CustomerID,
			"customer %q contradicts the accepted row at %s", raw.CustomerID, b.custSrc[raw.CustomerID])
	}
	c, rej := ParseCustomer(raw)
	if rej != nil {
		return Rejected, rej
	}
	b.Ref.Customers[c.ID] = c
	b.custVals[c.ID] = vals
	b.custSrc[c.ID] = src
	return Accepted, nil
}

// AddPrice validates a catalog row.
func (b *Book) AddPrice(raw RawCatalog, src Source) (Outcome, *Reject) {
	p, rej := ParsePrice(raw)
	if rej != nil {
		return Rejected, rej
	}
	seen, rej := b.Ref.Catalog.Add(p)
	switch {
	case rej != nil:
		return Rejected, rej
	case seen:
		return Seen, nil
	}
	return Accepted, nil
}

// AddTax validates a taxes row.
func (b *Book) AddTax(raw RawTax, src Source) (Outcome, *Reject) {
	country, rate, rej := ParseTax(raw)
	if rej != nil {
		return Rejected, rej
	}
	if prev, ok := b.Ref.Taxes[country]; ok {
		if prev.Equal(rate) {
			return Seen, nil
		}
		return Rejected, reject("V6", "rate", raw.Rate, "tax rate %s for %s contradicts the accepted rate %s", raw.Rate, country, prev)
	}
	b.Ref.Taxes[country] = rate
	return Accepted, nil
}

// AddOrder validates an orders row (V1–V6).
func (b *Book) AddOrder(raw RawOrder, src Source) (Order, Outcome, *Reject) {
	key, vals := raw.Key(), Identity(raw.Values())
	if prev, ok := b.orders[key]; ok {
		if b.orderVals[key] == vals {
			return *prev, Seen, nil
		}
		return Order{}, Rejected, reject("V6", "order_id", raw.OrderID,
			"order line %s (order_id %s, line_no %s) differs from the one already accepted at %s", key, raw.OrderID, raw.LineNo, prev.Src)
	}
	o, rej := b.Ref.ValidateOrder(raw, src)
	if rej != nil {
		return o, Rejected, rej
	}
	if o.Kind != KindPerpetual {
		if prev, ok := b.subs[o.SubscriptionID]; ok {
			return o, Rejected, reject("V6", "subscription_id", o.SubscriptionID,
				"subscription_id %q is already used by order line %s at %s", o.SubscriptionID, prev.Key(), prev.Src)
		}
	}
	b.PutOrder(o, vals)
	return o, Accepted, nil
}

// PutOrder loads an order accepted earlier, with its Identity.
func (b *Book) PutOrder(o Order, identity string) {
	p := &o
	b.orders[o.Key()] = p
	b.orderVals[o.Key()] = identity
	if o.Kind != KindPerpetual {
		b.subs[o.SubscriptionID] = p
	}
}

// Order returns the accepted order line with the key order_id/line_no.
func (b *Book) Order(key string) (*Order, bool) {
	o, ok := b.orders[key]
	return o, ok
}

// AddCancellation validates a cancellations row. A cancellation for an order
// line not (yet) accepted is held (K6); a second, different cancellation of a
// line is rejected (K7). The window (K1) and software plans (K2) are judged by
// Schedule, which knows the line's terms.
func (b *Book) AddCancellation(raw RawCancellation, src Source) (Cancellation, Outcome, *Reject) {
	key, vals := raw.Key(), Identity(raw.Values())
	if prev, ok := b.cancels[key]; ok {
		if prev.vals == vals {
			return prev.c, Seen, nil
		}
		return Cancellation{}, Rejected, reject("K7", "order_id", raw.OrderID,
			"order line %s already has a different cancellation, accepted at %s", key, prev.c.Src)
	}
	c, rej := ValidateCancellation(raw, src)
	if rej != nil {
		return c, Rejected, rej
	}
	_, known := b.orders[key]
	b.PutCancellation(c, vals, !known)
	if !known {
		return c, Held, heldOrder(key)
	}
	return c, Accepted, nil
}

func heldOrder(key string) *Reject {
	return held("K6", "order_id", key, "cancellation pending: order line %s has not been accepted yet; it is applied when the order line arrives", key)
}

// PutCancellation loads a cancellation accepted or held earlier, with its Identity.
func (b *Book) PutCancellation(c Cancellation, identity string, isHeld bool) {
	b.cancels[c.Key()] = &cancelEntry{c: c, vals: identity, held: isHeld}
}

// Release accepts the held cancellations whose order line has arrived and
// returns them (K6).
func (b *Book) Release() []Cancellation {
	var out []Cancellation
	for key, e := range b.cancels {
		if e.held {
			if _, ok := b.orders[key]; ok {
				e.held = false
				out = append(out, e.c)
			}
		}
	}
	return out
}

// AddRenewal validates a renewals row: V7, the subscription known (V1, never
// held: K6), and R1 (no auto-renew before 2021-10-14).
func (b *Book) AddRenewal(raw RawRenewal, src Source) (Renewal, Outcome, *Reject) {
	vals := Identity(raw.Values())
	if b.renewalVals[vals] {
		return Renewal{}, Seen, nil
	}
	n, rej := ValidateRenewal(raw, src)
	if rej != nil {
		return n, Rejected, rej
	}
	o, ok := b.subs[n.SubscriptionID]
	if !ok {
		return n, Rejected, reject("V1", "subscription_id", n.SubscriptionID,
			"unknown subscription %q: no accepted order line has this subscription_id", n.SubscriptionID)
	}
	if o.Date < AutoRenewIntroduced && n.Action != ActionOff {
		return n, Rejected, reject("R1", "action", n.Action,
			"subscription %q was ordered on %s, before 2021-10-14: it has no auto-renew and expires at term end, so %s is not possible",
			n.SubscriptionID, o.Date, n.Action)
	}
	b.PutRenewal(n, vals)
	return n, Accepted, nil
}

// PutRenewal loads a renewal record accepted earlier, with its Identity.
func (b *Book) PutRenewal(n Renewal, identity string) {
	p := &n
	b.renewals[n.SubscriptionID] = append(b.renewals[n.SubscriptionID], p)
	b.renewalVals[identity] = true
}

// cancellation returns the line's accepted (not held) cancellation.
func (b *Book) cancellation(key string) *Cancellation {
	if e, ok := b.cancels[key]; ok && !e.held {
		return &e.c
	}
	return nil
}

func (b *Book) rate(o *Order) (Customer, decimal.Decimal, bool) {
	c := b.Ref.Customers[o.CustomerID]
	r, ok := b.Ref.TaxRate(c.Country)
	return c, r, ok
}
