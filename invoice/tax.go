package invoice

import (
	"math/big"

	"github.com/shopspring/decimal"
)

// Split is C4: it turns a posted amount (minor units, already rounded) into
// net, tax and gross. Prices exclude tax (net = amount, tax = round(net ×
// rate)) except where inclusive (AU, BR: gross = amount, net = round(gross ÷
// (1 + rate)), tax = gross − net). Rounding is half away from zero, so a
// negative amount splits into the exact negation of the positive one: a 100%
// credit negates its charge exactly.
func Split(amount int64, rate decimal.Decimal, inclusive bool) (net, tax, gross int64) {
	r := rate.Rat()
	a := new(big.Rat).SetInt64(amount)
	if !inclusive {
		net = amount
		tax = roundRat(new(big.Rat).Mul(a, r))
		return net, tax, net + tax
	}
	gross = amount
	onePlus := new(big.Rat).Add(big.NewRat(1, 1), r)
	net = roundRat(new(big.Rat).Quo(a, onePlus))
	return net, gross - net, gross
}
