package invoice

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Date is a calendar day in UTC, counted in days since 1970-01-01. Day counts
// (K1 windows, K4 proration) are plain subtraction. The zero Date means "no
// date" (an empty charge_end for perpetual lines); no billing date is 1970-01-01.
type Date int32

// NoDate is the empty date.
const NoDate Date = 0

// ErrBadDate is wrapped by ParseDate and ParseTimestamp.
var ErrBadDate = errors.New("not a date")

// DateOf returns the UTC calendar day of t.
func DateOf(t time.Time) Date {
	u := t.UTC()
	return Date(time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// NewDate builds a date from year, month and day; it normalises overflow the
// way time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return NoDate, fmt.Errorf("%w: %q (want YYYY-MM-DD)", ErrBadDate, s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for literals in tests and tables.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseTimestamp parses an RFC 3339 timestamp, or a bare YYYY-MM-DD as
// midnight UTC, and returns its UTC calendar day (SPEC §1).
//
// RFC 3339 §5.6 lets the "T" separator and the "Z" zone be written in lower
// case; time.Parse wants them upper case, so they are upper-cased first (they
// are the only letters a valid timestamp holds, and no other letter is
// touched, so nothing that was invalid becomes valid).
func ParseTimestamp(s string) (Date, error) {
	t, err := ParseInstant(s)
	if err != nil {
		return NoDate, err
	}
	return DateOf(t), nil
}

// ParseInstant is ParseTimestamp's instant, in UTC: what orders records of
// one day (two toggles on the same day apply in the order of their times).
func ParseInstant(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) == 10 {
		d, err := ParseDate(s)
		if err != nil {
			return time.Time{}, err
		}
		return d.Time(), nil
	}
	u := upperTZ(s)
	t, err := time.Parse(time.RFC3339Nano, u)
	if err != nil || !rfc3339Shape(u) {
		return time.Time{}, fmt.Errorf("%w: %q (want an RFC 3339 timestamp such as 2026-10-03T14:00:00Z, or YYYY-MM-DD)", ErrBadDate, s)
	}
	return t.UTC(), nil
}

// rfc3339Shape checks what time.Parse lets through and RFC 3339's grammar
// does not: every field two digits (time.Parse takes "T1:00:00"), a '.'
// before fractions (it takes ','), and an offset of hours 00–23 and minutes
// 00–59 (it takes +24:00 and +00:60, which move the UTC day). A timestamp
// time.Parse accepted and this refuses is rejected like any malformed one.
func rfc3339Shape(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if c := s[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return false
		}
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	if len(rest) != 6 || rest[0] != '+' && rest[0] != '-' || rest[3] != ':' {
		return false
	}
	for _, i := range []int{1, 2, 4, 5} {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return rest[1:3] <= "23" && rest[4:6] <= "59"
}

// upperTZ upper-cases the letters t and z (ASCII only) and leaves every
// other byte as it is.
func upperTZ(s string) string {
	if strings.IndexByte(s, 't') < 0 && strings.IndexByte(s, 'z') < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == 't' || c == 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Time returns midnight UTC of the day.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String prints YYYY-MM-DD, or "" for NoDate.
func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// Month returns the period (calendar month) that contains the day.
func (d Date) Month() Month {
	t := d.Time()
	return Month(t.Year()*12 + int(t.Month()) - 1)
}

// AddMonths adds n months anchored to the day-of-month of d, clamping to the
// last day of a shorter month: Jan 31 + 1 = Feb 28 (Feb 29 in a leap year),
// Jan 31 + 2 = Mar 31. Callers always add to the anchor (the term's start),
// never to an already clamped date, so the day-of-month is never lost.
func (d Date) AddMonths(n int) Date {
	t := d.Time()
	y, m, day := t.Year(), int(t.Month())-1+n, t.Day()
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	last := time.Date(y, time.Month(m+2), 0, 0, 0, 0, 0, time.UTC).Day()
	if day > last {
		day = last
	}
	return NewDate(y, time.Month(m+1), day)
}

// Month is a calendar month in UTC (a period, SPEC P1), counted as year×12 + month−1.
type Month int32

// ParseMonth parses YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%w: %q (want YYYY-MM)", ErrBadDate, s)
	}
	return Month(t.Year()*12 + int(t.Month()) - 1), nil
}

// First returns the first day of the month.
func (m Month) First() Date { return NewDate(int(m)/12, time.Month(int(m)%12+1), 1) }

// Last returns the last day of the month.
func (m Month) Last() Date { return (m + 1).First() - 1 }

// String prints YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", int(m)/12, int(m)%12+1) }
