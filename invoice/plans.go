package invoice

import (
	"math/big"

	"github.com/shopspring/decimal"
)

// termMonths is the length of a term in months.
func termMonths(term string) int {
	switch term {
	case TermP1Y:
		return 12
	case TermP3Y:
		return 36
	}
	return 0
}

// periodMonths is the length of one instalment of a plan on a term (C2):
// one_time is the whole term, triennial only fits P3Y, annual is 12 months,
// monthly 1. ok is false when the plan does not divide the term.
func periodMonths(plan, term string) (int, bool) {
	tm := termMonths(term)
	switch plan {
	case PlanOneTime:
		return tm, tm > 0
	case PlanMonthly:
		return 1, tm > 0
	case PlanAnnual:
		return 12, tm > 0
	case PlanTriennial:
		return 36, tm == 36
	}
	return 0, false
}

// Instalment is one C2 instalment of a term.
type Instalment struct {
	Index      int
	Start, End Date // End is the next instalment's start (exclusive)
	// Exact is the instalment's C2 amount before posting: round(total ÷ n)
	// for all but the last, and total minus their sum for the last, which may
	// carry more digits than the currency (it is rounded when posted).
	Exact *big.Rat
	// Amount is what is posted: Exact rounded to minor units, except on the
	// last instalment, which is round(total) minus the others, so that the
	// posted instalments add up to round(total) (C2, §5). The two differ
	// only when the last comes out negative on an exact half (0.065 over 12
	// months: eleven of 0.01, then round(−0.045) = −0.05 summed to 0.06,
	// not round(0.065) = 0.07): rounding half away from zero is not
	// symmetric about zero, so "rounded when posted" and "always add up"
	// part there, and the sum the spec promises wins.
	Amount int64
	// Rounded is round(Exact), what versions before the tenth session
	// posted for a last instalment where it differs from Amount.
	Rounded int64
}

// Instalments splits a term's line total into its C2 instalments. start is
// the term's first day; every instalment date is computed from start (never
// from an earlier clamped date) so the day-of-month is kept. The posted
// amounts add up to round(total) exactly.
func Instalments(total decimal.Decimal, cur Currency, start Date, term, plan string) []Instalment {
	pm, ok := periodMonths(plan, term)
	if !ok {
		return nil
	}
	n := termMonths(term) / pm
	totalMinor := total.Shift(cur.Digits).Rat() // exact, in minor units
	each := roundRat(new(big.Rat).Quo(totalMinor, big.NewRat(int64(n), 1)))
	out := make([]Instalment, n)
	for k := 0; k < n; k++ {
		in := Instalment{Index: k, Start: start.AddMonths(k * pm), End: start.AddMonths((k + 1) * pm)}
		if k < n-1 {
			in.Exact = new(big.Rat).SetInt64(each)
			in.Amount = each
		} else {
			in.Exact = new(big.Rat).Sub(totalMinor, big.NewRat(each*int64(n-1), 1))
			in.Amount = roundRat(totalMinor) - each*int64(n-1)
		}
		in.Rounded = roundRat(in.Exact)
		out[k] = in
	}
	return out
}

// LineTotal is C1: unit price × quantity, exact.
func LineTotal(unitPrice decimal.Decimal, quantity int64) decimal.Decimal {
	return unitPrice.Mul(decimal.NewFromInt(quantity))
}

// MaxLineMinor bounds a line's total (exclusive), in minor units: 10^14, a
// trillion US dollars. With a tax rate below 1 a line's gross stays under
// 2×10^14 minor units, 15 significant digits: what int64 sums, both
// databases and a spreadsheet's number cell hold exactly. A larger line is
// refused (C1) where it is priced, never posted with a wrapped amount.
const MaxLineMinor = 100_000_000_000_000

// lineTooLarge returns a C1 reject when total, in cur, does not round to
// fewer than MaxLineMinor minor units.
func lineTooLarge(total decimal.Decimal, quantity int64, cur Currency, field, value string) *Reject {
	if total.Shift(cur.Digits).Abs().Round(0).LessThan(decimal.NewFromInt(MaxLineMinor)) {
		return nil
	}
	return reject("C1", field, value, "line total %s %s (quantity %d) is more than one line may carry: at most %s %s",
		total.String(), cur.Code, quantity, cur.Format(MaxLineMinor-1), cur.Code)
}
