package invoice

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

// The expected digits below are written by hand from ISO 4217 List One, not
// derived from currencyDigits, so a wrong entry in the table fails here. The
// three lists together are every accepted code: the 155 currencies of List
// One in 2026 plus ANG and BGN (see currencies.go).
var (
	iso4217ZeroDigits = []string{
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
		"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
	}
	iso4217ThreeDigits = []string{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
	iso4217TwoDigits   = []string{
		// The codes a black-box audit found rejected as unknown.
		"RUB", "KZT", "DZD", "CRC", "DOP", "GEL", "AZN", "UYU", "TZS", "XCD", "BAM", "MUR",
		// The 2025 successors and recent codes.
		"XCG", "ZWG", "SLE", "VED", "VES", "STN", "MRU", "BYN",
		// Changeover codes still accepted (see currencies.go).
		"ANG", "BGN",
		// Currencies whose cash has no minor unit in practice but ISO gives 2.
		"HUF", "IDR", "TWD", "KHR", "LAK", "MGA", "UZS", "IRR",
		// A spread over the regions.
		"USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "INR", "SGD", "AED",
		"SAR", "ZAR", "NGN", "KES", "EGP", "MAD", "BRL", "MXN", "ARS", "COP", "PEN", "UAH",
		"TRY", "PLN", "CZK", "SEK", "NOK", "DKK", "RON", "RSD", "ALL", "MKD", "MDL", "AMD",
		"KGS", "TJS", "TMT", "MNT", "AFN", "PKR", "BDT", "LKR", "NPR", "BTN", "MVR", "MMK",
		"THB", "MYR", "PHP", "BND", "MOP", "KPW", "PGK", "FJD", "SBD", "TOP", "WST",
		"BBD", "BSD", "BZD", "BMD", "KYD", "JMD", "TTD", "HTG", "GTQ", "HNL", "NIO", "PAB",
		"SVC", "CUP", "GYD", "SRD", "AWG", "BOB", "AOA", "BWP", "CDF", "CVE", "ERN", "ETB",
		"GHS", "GMD", "LRD", "LSL", "MWK", "MZN", "NAD", "SCR", "SDG", "SHP", "SOS", "SSP",
		"SZL", "ZMW", "FKP", "GIP", "ILS", "LBP", "SYP", "YER", "QAR",
	}
)

func TestV1_EveryISO4217CurrencyIsKnown(t *testing.T) {
	check := func(code string, want int32) {
		t.Helper()
		c, err := LookupCurrency(code)
		if err != nil {
			t.Errorf("LookupCurrency(%q): %v, want an ISO 4217 currency with %d digits", code, err, want)
			return
		}
		if c.Code != code || c.Digits != want {
			t.Errorf("LookupCurrency(%q) = %+v, want %d digits", code, c, want)
		}
	}
	for _, code := range iso4217ZeroDigits {
		check(code, 0)
	}
	for _, code := range iso4217ThreeDigits {
		check(code, 3)
	}
	for _, code := range iso4217TwoDigits {
		check(code, 2)
	}

	// The table holds exactly the codes above: no other code is accepted.
	want := len(iso4217ZeroDigits) + len(iso4217ThreeDigits) + len(iso4217TwoDigits)
	if n := len(currencyDigits); n != want || n != 157 {
		t.Errorf("currencyDigits has %d codes, want %d (157)", n, want)
	}
	for code, d := range currencyDigits {
		if len(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2] < 'A' || code[2] > 'Z' {
			t.Errorf("currencyDigits has malformed code %q", code)
		}
		if d != 0 && d != 2 && d != 3 {
			t.Errorf("%s has %d digits; ISO 4217 currencies have 0, 2 or 3", code, d)
		}
	}

	// An order's customer in a CFA franc country is accepted, not a V1 reject.
	b := NewBook()
	for i, raw := range []RawCustomer{
		{"SN1", "Dakar Cloud", "dakar.example", "SN", "XOF"},
		{"CM1", "Douala Cloud", "douala.example", "CM", "XAF"},
		{"KZ1", "Almaty Cloud", "almaty.example", "KZ", "KZT"},
		{"CW1", "Willemstad Cloud", "willemstad.example", "CW", "XCG"},
	} {
		if _, rej := b.AddCustomer(raw, Source{File: "customers.csv", Line: i + 2}); rej != nil {
			t.Errorf("customer %s in %s: %s %s: %s", raw.CustomerID, raw.Currency, rej.Rule, rej.Field, rej.Message)
		}
	}
}

func TestV1_NonISO4217CurrencyIsUnknown(t *testing.T) {
	for _, code := range []string{
		"XYZ", "ABC", "usd", "Usd", "eur", "US", "USDD", "", " USD", "USD ", "U5D",
		// No minor unit: metals, SDR, units of account, testing, no currency.
		"XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "XTS", "XXX",
		// Fund codes: not billing currencies (CLF and UYW have 4 digits).
		"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
		// Withdrawn before 2025.
		"SLL", "ZWL", "CUC", "HRK", "VEF", "MRO", "STD", "LTL", "BYR", "DEM",
	} {
		c, err := LookupCurrency(code)
		if !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("LookupCurrency(%q) = %+v, %v; want ErrUnknownCurrency", code, c, err)
		}
	}
	b := NewBook()
	_, rej := b.AddCustomer(RawCustomer{"XA1", "Bullion", "bullion.example", "CH", "XAU"}, Source{File: "customers.csv", Line: 2})
	wantReject(t, rej, "V1", "currency", `unknown currency "XAU"`)
}

func TestC1_MinorUnitsFollowISO4217(t *testing.T) {
	xof, xaf, bif, rub, kzt, tnd := MustCurrency("XOF"), MustCurrency("XAF"), MustCurrency("BIF"), MustCurrency("RUB"), MustCurrency("KZT"), MustCurrency("TND")
	// Each posted amount is rounded once, half away from zero, to the
	// currency's minor unit: a whole franc for the CFA and Burundi francs.
	for _, c := range []struct {
		in   string
		cur  Currency
		want int64
	}{
		{"1000.5", xof, 1001}, {"-0.5", xof, -1}, {"0.49", xof, 0}, {"-1000.5", xof, -1001}, {"2.4999", xof, 2},
		{"655.957", xaf, 656}, {"-655.5", xaf, -656}, {"99.5", bif, 100},
		{"100.005", rub, 10001}, {"-100.005", rub, -10001}, {"100.0049", rub, 10000},
		{"4999.995", kzt, 500000}, {"1.0005", tnd, 1001}, {"-1.0005", tnd, -1001},
	} {
		if got := Round(decimal.RequireFromString(c.in), c.cur); got != c.want {
			t.Errorf("Round(%s %s) = %d, want %d", c.in, c.cur.Code, got, c.want)
		}
	}

	// Amounts print and parse with exactly the currency's decimals.
	for _, c := range []struct {
		cur   Currency
		minor int64
		s     string
	}{{xof, 1001, "1001"}, {xof, -1, "-1"}, {rub, 10001, "100.01"}, {kzt, -5, "-0.05"}, {tnd, 1250, "1.250"}} {
		if got := c.cur.Format(c.minor); got != c.s {
			t.Errorf("Format(%d %s) = %q, want %q", c.minor, c.cur.Code, got, c.s)
		}
		if got, err := c.cur.ParseAmount(c.s); err != nil || got != c.minor {
			t.Errorf("ParseAmount(%q %s) = %d, %v; want %d", c.s, c.cur.Code, got, err, c.minor)
		}
	}
	// A stated amount with more decimals than the currency has is refused.
	for _, c := range []struct {
		cur Currency
		s   string
	}{{xof, "1000.5"}, {bif, "0.01"}, {rub, "100.005"}, {tnd, "1.0005"}} {
		if _, err := c.cur.ParseAmount(c.s); !errors.Is(err, ErrBadAmount) {
			t.Errorf("ParseAmount(%q %s) err = %v, want ErrBadAmount", c.s, c.cur.Code, err)
		}
	}
}
