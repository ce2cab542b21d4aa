package invoice

import (
	"errors"
	"strconv"
	"testing"
)

// TestInputContract_TimestampLowerCaseTZ: SPEC §1 says timestamps are RFC
// 3339, and RFC 3339 §5.6 (NOTE) allows the "T" separator and the "Z" zone to
// be written in lower case. They are accepted; the UTC calendar day is the
// same as for the upper-case spelling.
func TestInputContract_TimestampLowerCaseTZ(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-10-15t10:00:00z", "2026-10-15"},
		{"2026-10-15T10:00:00z", "2026-10-15"},
		{"2026-10-15t10:00:00Z", "2026-10-15"},
		{"2026-10-15T10:00:00Z", "2026-10-15"},
		{"2026-10-15t10:00:00.123456789z", "2026-10-15"},
		{" 2026-10-15t10:00:00z ", "2026-10-15"}, // values are trimmed
		// Offsets: the UTC date, whatever the case of the T.
		{"2026-10-31T23:30:00-05:00", "2026-11-01"},
		{"2026-10-31t23:30:00-05:00", "2026-11-01"},
		{"2026-10-01t01:30:00+02:00", "2026-09-30"},
		{"2026-10-31t23:59:59.999z", "2026-10-31"},
		{"2026-10-05T00:30:00+23:59", "2026-10-04"}, // the largest offsets RFC 3339 has
		{"2026-10-05T23:30:00-23:59", "2026-10-06"},
		{"2026-10-05T10:00:00-00:00", "2026-10-05"},
		// A bare date is midnight UTC.
		{"2026-10-15", "2026-10-15"},
		{"2024-02-29", "2024-02-29"},
	} {
		d, err := ParseTimestamp(c.in)
		if err != nil || d.String() != c.want {
			t.Errorf("ParseTimestamp(%q) = %q, %v; want %s", c.in, d, err, c.want)
		}
	}
}

// TestInputContract_TimestampStillRejected: accepting a lower-case t and z
// accepts nothing else: what was rejected before is rejected with the same
// message.
func TestInputContract_TimestampStillRejected(t *testing.T) {
	const hint = " (want an RFC 3339 timestamp such as 2026-10-03T14:00:00Z, or YYYY-MM-DD)"
	for _, in := range []string{
		"2026-10-15 10:00:00Z",     // a space instead of T
		"2026-10-15 10:00:00z",     // a space instead of t
		"2026-12-31T23:59:60Z",     // leap second
		"2026-12-31t23:59:60z",     // leap second, lower case
		"2026-10-15T10:00:00",      // no zone
		"2026-10-15t10:00:00",      // no zone, lower case
		"2026-10-15T10:00Z",        // no seconds
		"2026-10-15T24:00:00Z",     // hour out of range
		"2026-10-15T10:00:00+0500", // offset without a colon
		"2026-10-15x10:00:00z",     // another letter as separator
		"2026-10-15T10:00:00UTC",   // a zone name
		"2026-10-15T10:00:00utc",   // a zone name, lower case
		"2026-10-15T10:00:00zz",    // trailing letter
		"2026-10-15ｔ10:00:00ｚ",     // full-width letters are not t and z
		"2026-02-30T10:00:00Z",     // no such day
		"2026-10-15tt10:00:00z",    // doubled separator
		"15/10/2026 10:00",         // not ISO
		"2026-10-15T10:00:00.z",    // a dot without digits
		// What time.Parse takes and RFC 3339's grammar does not:
		"2026-10-05T10:00:00+24:00", // offset hour 24: would be 2026-10-04 UTC
		"2026-10-05T10:00:00-24:00", // would be 2026-10-06 UTC
		"2026-10-05T10:00:00+00:60", // offset minute 60
		"2026-10-05T10:00:00+24:59",
		"2026-10-05T1:00:00Z",        // a one-digit hour
		"2026-10-05T10:00:00,5Z",     // a comma before the fraction
		"2026-10-15T10:00:00-05:00z", // offset and Z
	} {
		d, err := ParseTimestamp(in)
		if err == nil {
			t.Errorf("ParseTimestamp(%q) = %s, want an error", in, d)
			continue
		}
		if !errors.Is(err, ErrBadDate) {
			t.Errorf("ParseTimestamp(%q): %v does not wrap ErrBadDate", in, err)
		}
		want := "not a date: " + strconv.Quote(in) + hint
		if err.Error() != want {
			t.Errorf("ParseTimestamp(%q)\n got %s\nwant %s", in, err, want)
		}
	}
	// Ten characters are read as a bare date, whatever their case.
	if _, err := ParseTimestamp("2026-1o-15"); err == nil || err.Error() != `not a date: "2026-1o-15" (want YYYY-MM-DD)` {
		t.Errorf("ParseTimestamp(2026-1o-15) error = %v", err)
	}
}
