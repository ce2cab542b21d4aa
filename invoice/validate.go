package invoice

import (
	"strings"
)

// Dates from the seed that the rules turn on.
var (
	// AutoRenewIntroduced is 2021-10-14: before it software subscriptions have
	// no auto-renew (R1); from it new billing plans exist.
	AutoRenewIntroduced = MustDate("2021-10-14")
	// AutoRenewDefaultOn is 2022-01-22: from it auto-renew defaults to on (R1),
	// a term is required (V4) and one_time is no longer accepted after it (V3).
	AutoRenewDefaultOn = MustDate("2022-01-22")
)

// ValidateOrder checks an orders row against the reference data: V1 (unknown
// customer, SKU, term or currency, or no price in effect), V2 (plan listed),
// V3 (legacy one_time), V4 (term required), V5 (reservation markets) and the
// quantity half of V6. Duplicate keys are the Book's business.
func (r *Reference) ValidateOrder(raw RawOrder, src Source) (Order, *Reject) {
	o := Order{Src: src, OrderID: raw.OrderID, CustomerID: raw.CustomerID, SKU: raw.SKU, SubscriptionID: raw.SubscriptionID}
	if raw.OrderID == "" {
		return o, reject("V1", "order_id", "", "order_id is empty")
	}
	var rej *Reject
	if o.LineNo, rej = parseLineNo(raw.LineNo); rej != nil {
		return o, rej
	}
	cust, ok := r.Customers[raw.CustomerID]
	if !ok {
		return o, reject("V1", "customer_id", raw.CustomerID, "unknown customer %q: no accepted customers row has this customer_id", raw.CustomerID)
	}
	day, err := ParseTimestamp(raw.OrderDate)
	if err != nil {
		return o, reject("V1", "order_date", raw.OrderDate, "order_date %q is not an RFC 3339 timestamp or YYYY-MM-DD", raw.OrderDate)
	}
	o.Date = day
	kind, ok := r.Catalog.Kind(raw.SKU)
	if !ok {
		return o, reject("V1", "sku_id", raw.SKU, "unknown SKU %q: the catalog has no row for it", raw.SKU)
	}
	o.Kind = kind
	if o.Term, rej = r.resolveTerm(raw, kind, day); rej != nil {
		return o, rej
	}
	plan := raw.BillingPlan
	if plan != "" && !contains(plans, plan) {
		return o, reject("V2", "billing_plan", plan, "unknown billing plan %q: want one of %s", plan, quoteList(plans))
	}
	price, ok := r.Catalog.Lookup(raw.SKU, o.Term, cust.Currency, day)
	if !ok {
		return o, reject("V1", "order_date", raw.OrderDate,
			"no catalog price in effect for SKU %q term %s in %s on %s", raw.SKU, o.Term, cust.Currency.Code, day)
	}
	if o.Plan, rej = resolvePlan(plan, kind, o.Term, price, day); rej != nil {
		return o, rej
	}
	if kind == KindReservation {
		if name, no := ReservationUnavailable(cust.Country); no {
			return o, reject("V5", "customer_id", raw.CustomerID,
				"Azure reservations are not available in the customer's market %s (%s)", cust.Country, name)
		}
	}
	if o.Quantity, rej = parseQuantity("quantity", raw.Quantity); rej != nil {
		return o, rej
	}
	if rej = lineTooLarge(LineTotal(price.UnitPrice, o.Quantity), o.Quantity, cust.Currency, "quantity", raw.Quantity); rej != nil {
		return o, rej
	}
	if kind != KindPerpetual && raw.SubscriptionID == "" {
		return o, reject("V1", "subscription_id", "", "subscription_id is required for a %s line", kind)
	}
	switch strings.ToLower(raw.AutoRenew) {
	case "":
	case "true":
		t := true
		o.AutoRenew = &t
	case "false":
		f := false
		o.AutoRenew = &f
	default:
		return o, reject("V1", "auto_renew", raw.AutoRenew, "auto_renew %q: want true, false or empty for the default", raw.AutoRenew)
	}
	return o, nil
}

// resolveTerm applies V4. Perpetual SKUs have term none (empty means none).
// Decision: an order's explicit term must be one the SKU lists; a term for a
// perpetual SKU other than none is an unknown term (V1).
func (r *Reference) resolveTerm(raw RawOrder, kind string, day Date) (string, *Reject) {
	term := raw.Term
	skuTerms := r.Catalog.Terms(raw.SKU)
	if kind == KindPerpetual && term == "" {
		return TermNone, nil
	}
	if term == "" {
		if day >= AutoRenewDefaultOn {
			return "", reject("V4", "term", "",
				"term is required for %s SKU %q on orders dated from 2022-01-22 (this one is dated %s); the catalog lists %s",
				kind, raw.SKU, day, quoteList(skuTerms))
		}
		if len(skuTerms) != 1 {
			return "", reject("V4", "term", "",
				"term is empty and SKU %q has %d terms in the catalog (%s), so none can be chosen", raw.SKU, len(skuTerms), quoteList(skuTerms))
		}
		return skuTerms[0], nil
	}
	if !contains(skuTerms, term) {
		return "", reject("V1", "term", term, "unknown term %q for SKU %q: the catalog lists %s", term, raw.SKU, quoteList(skuTerms))
	}
	return term, nil
}

// resolvePlan applies V2 and V3.
func resolvePlan(plan, kind, term string, price Price, day Date) (string, *Reject) {
	if kind == KindPerpetual {
		if plan == "" || plan == PlanOneTime {
			return PlanOneTime, nil
		}
		return "", reject("V2", "billing_plan", plan, "perpetual SKU %q is billed one_time (or empty), not %q", price.SKU, plan)
	}
	if plan == "" {
		return "", reject("V2", "billing_plan", "", "billing_plan is required for %s SKU %q term %s; the catalog lists %s",
			kind, price.SKU, term, quoteList(price.Plans))
	}
	if plan == PlanOneTime {
		// V3: the legacy value, one payment for the full term, whatever the catalog lists.
		if day <= AutoRenewDefaultOn {
			return PlanOneTime, nil
		}
		var others []string // what the order could say instead
		for _, p := range price.Plans {
			if p != PlanOneTime {
				others = append(others, p)
			}
		}
		instead := "the catalog lists no other plan for " + term
		if len(others) > 0 {
			instead = "use one of " + quoteList(others)
		}
		return "", reject("V3", "billing_plan", plan,
			"billing plan one_time is not accepted for %s orders dated after 2022-01-22 (this one is dated %s); %s",
			kind, day, instead)
	}
	if !price.lists(plan) {
		return "", reject("V2", "billing_plan", plan, "SKU %q term %s does not list billing plan %q; the catalog lists %s",
			price.SKU, term, plan, quoteList(price.Plans))
	}
	return plan, nil
}

// ValidateCancellation parses a cancellations row and checks V7 (the seed: you
// must be an Admin agent to cancel a purchase).
func ValidateCancellation(raw RawCancellation, src Source) (Cancellation, *Reject) {
	c := Cancellation{Src: src, OrderID: raw.OrderID, RequestedBy: raw.RequestedBy, Role: raw.Role, Reason: raw.Reason}
	if raw.OrderID == "" {
		return c, reject("V1", "order_id", "", "order_id is empty")
	}
	var rej *Reject
	if c.LineNo, rej = parseLineNo(raw.LineNo); rej != nil {
		return c, rej
	}
	day, err := ParseTimestamp(raw.CancelledAt)
	if err != nil {
		return c, reject("V1", "cancelled_at", raw.CancelledAt, "cancelled_at %q is not an RFC 3339 timestamp or YYYY-MM-DD", raw.CancelledAt)
	}
	c.Date = day
	if raw.Role != "admin_agent" {
		return c, reject("V7", "role", raw.Role, "role %q may not cancel a purchase: only admin_agent may", raw.Role)
	}
	return c, nil
}

// ValidateRenewal parses a renewals row and checks V7 (the page's roles are
// Admin agent and Global admin). Whether the subscription exists, and R1–R3,
// are checked against the order.
func ValidateRenewal(raw RawRenewal, src Source) (Renewal, *Reject) {
	n := Renewal{Src: src, SubscriptionID: raw.SubscriptionID, Action: raw.Action, RequestedBy: raw.RequestedBy, Role: raw.Role}
	if raw.SubscriptionID == "" {
		return n, reject("V1", "subscription_id", "", "subscription_id is empty")
	}
	actions := []string{ActionOn, ActionOff, ActionRenew}
	if !contains(actions, raw.Action) {
		return n, reject("V1", "action", raw.Action, "unknown action %q: want one of %s", raw.Action, quoteList(actions))
	}
	at, err := ParseInstant(raw.EffectiveAt)
	if err != nil {
		return n, reject("V1", "effective_at", raw.EffectiveAt, "effective_at %q is not an RFC 3339 timestamp or YYYY-MM-DD", raw.EffectiveAt)
	}
	n.Date, n.At = DateOf(at), at
	if raw.Role != "admin_agent" && raw.Role != "global_admin" {
		return n, reject("V7", "role", raw.Role, "role %q may not change a subscription's renewal: only admin_agent or global_admin may", raw.Role)
	}
	if raw.Action != ActionRenew {
		// Decision: the term, billing_plan and quantity columns belong to renew;
		// a toggle that fills them is malformed rather than silently trimmed.
		if raw.Term != "" || raw.BillingPlan != "" || raw.Quantity != "" {
			return n, reject("V1", "action", raw.Action, "term, billing_plan and quantity apply only to action renew, not %s", raw.Action)
		}
		return n, nil
	}
	if raw.Term != "" && raw.Term != TermP1Y && raw.Term != TermP3Y {
		return n, reject("V1", "term", raw.Term, "unknown term %q for a renewal: want P1Y, P3Y or empty for unchanged", raw.Term)
	}
	n.Term = raw.Term
	if raw.BillingPlan != "" && raw.BillingPlan != PlanMonthly && raw.BillingPlan != PlanAnnual && raw.BillingPlan != PlanTriennial {
		return n, reject("V2", "billing_plan", raw.BillingPlan, "billing plan %q for a renewal: want monthly, annual, triennial or empty for unchanged", raw.BillingPlan)
	}
	n.Plan = raw.BillingPlan
	if raw.Quantity != "" {
		var rej *Reject
		if n.Quantity, rej = parseQuantity("quantity", raw.Quantity); rej != nil {
			return n, rej
		}
	}
	return n, nil
}
