package invoice

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
)

// Currency is an ISO 4217 code with its number of minor-unit digits.
type Currency struct {
	Code   string
	Digits int32
}

// ErrUnknownCurrency is wrapped by LookupCurrency for a code it does not know.
var ErrUnknownCurrency = errors.New("unknown currency")

// LookupCurrency returns the currency for an ISO 4217 code (case-sensitive,
// upper case as the standard writes it).
func LookupCurrency(code string) (Currency, error) {
	d, ok := currencyDigits[code]
	if !ok {
		return Currency{}, fmt.Errorf("%w %q", ErrUnknownCurrency, code)
	}
	return Currency{Code: code, Digits: d}, nil
}

// MustCurrency is LookupCurrency for codes known at compile time (tests, fixtures).
func MustCurrency(code string) Currency {
	c, err := LookupCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Round is the one rounding function of cspbill: it rounds an exact decimal
// half away from zero to the currency's minor unit and returns minor units.
// It is applied once, to each amount that is posted.
func Round(d decimal.Decimal, c Currency) int64 {
	m := d.Round(c.Digits).Shift(c.Digits).BigInt()
	if !m.IsInt64() {
		panic(fmt.Sprintf("invoice: amount %s %s does not fit in int64 minor units", d, c.Code)) // see roundRat
	}
	return m.Int64()
}

// roundRat rounds a rational half away from zero to an integer.
func roundRat(r *big.Rat) int64 {
	n := new(big.Int).Set(r.Num())
	d := r.Denom() // always positive
	neg := n.Sign() < 0
	n.Abs(n)
	q, m := new(big.Int).QuoRem(n, d, new(big.Int))
	if m.Lsh(m, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		// Lines are bounded by MaxLineMinor where they are priced, so no
		// amount gets here that int64 cannot hold; if one did, stop rather
		// than post a wrapped amount.
		panic(fmt.Sprintf("invoice: amount %s minor units does not fit in int64", q))
	}
	return q.Int64()
}

// Decimal returns minor units as an exact decimal in major units.
func (c Currency) Decimal(minor int64) decimal.Decimal {
	return decimal.New(minor, -c.Digits)
}

// Format prints minor units with exactly the currency's decimals:
// "1234.50", "-0.01", "125000" (JPY), "1.250" (KWD).
func (c Currency) Format(minor int64) string {
	return c.Decimal(minor).StringFixed(c.Digits)
}

// ErrBadAmount is wrapped by ParseAmount and ParseDecimal.
var ErrBadAmount = errors.New("not a decimal amount")

// ParseDecimal parses a decimal string with a '.' separator and no exponent,
// thousands separators or currency signs: "1234.5", "-0.01", "0.10".
func ParseDecimal(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if !isPlainDecimal(s) {
		return decimal.Decimal{}, fmt.Errorf("%w: %q (want digits with an optional '.', e.g. 1234.50)", ErrBadAmount, s)
	}
	return decimal.NewFromString(s)
}

// ParseAmount parses a decimal string into minor units of the currency. It
// refuses a value with more decimals than the currency has, rather than
// rounding it silently.
func (c Currency) ParseAmount(s string) (int64, error) {
	d, err := ParseDecimal(s)
	if err != nil {
		return 0, err
	}
	if -d.Exponent() > c.Digits && !d.Equal(d.Round(c.Digits)) {
		return 0, fmt.Errorf("%w: %q has more than %d decimals for %s", ErrBadAmount, s, c.Digits, c.Code)
	}
	m := d.Shift(c.Digits).BigInt()
	if !m.IsInt64() {
		return 0, fmt.Errorf("%w: %q is too large for %s", ErrBadAmount, s, c.Code)
	}
	return m.Int64(), nil
}

func isPlainDecimal(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && s[len(s)-1] != '.' && s[0] != '.'
}
