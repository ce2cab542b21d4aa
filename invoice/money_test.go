package invoice

import (
	"errors"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
)

func TestRoundHalfAwayFromZero(t *testing.T) {
	usd, jpy, kwd := MustCurrency("USD"), MustCurrency("JPY"), MustCurrency("KWD")
	cases := []struct {
		in   string
		cur  Currency
		want int64
	}{
		{"0.005", usd, 1}, {"-0.005", usd, -1}, {"0.00499", usd, 0}, {"1234.5675", usd, 123457},
		{"2.5", jpy, 3}, {"-2.5", jpy, -3}, {"1.0005", kwd, 1001}, {"-1.0004", kwd, -1000},
	}
	for _, c := range cases {
		if got := Round(decimal.RequireFromString(c.in), c.cur); got != c.want {
			t.Errorf("Round(%s, %s) = %d, want %d", c.in, c.cur.Code, got, c.want)
		}
	}
	// roundRat, behind every exact division (instalments, K4, C4), rounds
	// rationals half away from zero: 1/3 → 0, 2/3 → 1, 5/2 → 3, −5/2 → −3, −7/3 → −2.
	for _, c := range []struct{ num, den, want int64 }{{1, 3, 0}, {2, 3, 1}, {5, 2, 3}, {-5, 2, -3}, {-7, 3, -2}} {
		if got := roundRat(big.NewRat(c.num, c.den)); got != c.want {
			t.Errorf("round(%d/%d) = %d, want %d", c.num, c.den, got, c.want)
		}
	}
}

func TestFormatAndParseAmount(t *testing.T) {
	usd, jpy, kwd := MustCurrency("USD"), MustCurrency("JPY"), MustCurrency("KWD")
	for _, c := range []struct {
		cur   Currency
		minor int64
		s     string
	}{{usd, 123450, "1234.50"}, {usd, -1, "-0.01"}, {jpy, 125000, "125000"}, {kwd, 1250, "1.250"}, {usd, 0, "0.00"}} {
		if got := c.cur.Format(c.minor); got != c.s {
			t.Errorf("Format(%d %s) = %q, want %q", c.minor, c.cur.Code, got, c.s)
		}
		if got, err := c.cur.ParseAmount(c.s); err != nil || got != c.minor {
			t.Errorf("ParseAmount(%q) = %d, %v", c.s, got, err)
		}
	}
	if got, err := usd.ParseAmount("1.230"); err != nil || got != 123 {
		t.Errorf("1.230 = %d %v", got, err)
	}
	for _, bad := range []string{"1.234", "1,234.00", "1e3", "", ".5", "5.", "$5", "NaN"} {
		if _, err := usd.ParseAmount(bad); !errors.Is(err, ErrBadAmount) {
			t.Errorf("ParseAmount(%q) err = %v, want ErrBadAmount", bad, err)
		}
	}
}

func TestDatesAddMonthsClamp(t *testing.T) {
	cases := []struct {
		start string
		n     int
		want  string
	}{
		{"2023-01-31", 1, "2023-02-28"}, {"2023-01-31", 2, "2023-03-31"}, {"2024-01-31", 1, "2024-02-29"},
		{"2024-02-29", 12, "2025-02-28"}, {"2024-02-29", 48, "2028-02-29"}, {"2026-10-15", 3, "2027-01-15"},
		{"2026-12-31", -10, "2026-02-28"},
	}
	for _, c := range cases {
		if got := MustDate(c.start).AddMonths(c.n).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.start, c.n, got, c.want)
		}
	}
	// Timestamps use their UTC day.
	for in, want := range map[string]string{
		"2026-10-01T01:30:00+02:00": "2026-09-30", "2026-09-30T23:30:00-05:00": "2026-10-01", "2026-10-01": "2026-10-01",
	} {
		d, err := ParseTimestamp(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseTimestamp(%s) = %s %v, want %s", in, d, err, want)
		}
	}
	if m, _ := ParseMonth("2026-02"); m.First().String() != "2026-02-01" || m.Last().String() != "2026-02-28" || m.String() != "2026-02" {
		t.Errorf("month %s %s %s", m, m.First(), m.Last())
	}
}
