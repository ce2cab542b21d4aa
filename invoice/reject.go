package invoice

import (
	"fmt"
	"strings"
)

// Reject is why a record was rejected or held. Rule is the SPEC rule id
// (V1…V7, C4, K1…K7, R1…R3); Field and Value name what was wrong; Message is
// the sentence an operator reads. Held rejects (K6, C4, R3 without a price)
// are not final: the record is applied when what it waits for arrives.
type Reject struct {
	Rule    string
	Field   string
	Value   string
	Message string
	Held    bool
	// Due, on a hold that waits for a day to come, is that day: a run
	// through it or later judges the hold again (a renewal held for a price
	// is judged by any run that reaches the renewal). NoDate: the day the
	// hold was found.
	Due Date
	// Support carries what a Partner Center support request needs (K1).
	Support *Support
}

// Support is the detail of a refused cancellation that a customer support
// request asks for (the seed: tenant or domain, order or subscription id,
// refund reason, amount requested).
type Support struct {
	CustomerID     string
	Domain         string
	OrderID        string
	SubscriptionID string
	Reason         string
	Currency       Currency
	GrossCredit    int64 // the gross credit the cancellation would have made (negative)
	// NoRate is the customer's country when the taxes file has no rate for
	// it yet (C4): GrossCredit is then the credit before tax.
	NoRate string
	// NoPrice says the line the cancellation is for waits for a catalog
	// price (V1, R3): the credit it would have made is not known.
	NoPrice bool
}

func (r *Reject) Error() string { return r.Rule + ": " + r.Message }

// String renders the support detail for a reject row's message.
func (s *Support) String() string {
	credit := fmt.Sprintf("%s %s", s.Currency.Format(s.GrossCredit), s.Currency.Code)
	switch {
	case s.NoPrice:
		credit = "not known (the line has no catalog price yet)"
	case s.NoRate != "":
		credit += " before tax (the taxes file has no rate for " + s.NoRate + " yet)"
	}
	return fmt.Sprintf("customer %s (%s), order %s, subscription %s, reason %q, credit it would have made %s",
		s.CustomerID, s.Domain, s.OrderID, orNone(s.SubscriptionID), s.Reason, credit)
}

// FullMessage is the message with the support detail, as written to rejects.csv.
func (r *Reject) FullMessage() string {
	if r.Support == nil {
		return r.Message
	}
	return r.Message + "; support request: " + r.Support.String()
}

func reject(rule, field, value, format string, args ...any) *Reject {
	return &Reject{Rule: rule, Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
}

func held(rule, field, value, format string, args ...any) *Reject {
	r := reject(rule, field, value, format, args...)
	r.Held = true
	return r
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
