package csvin

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

const taxHeader = "country,rate\n"

type gotRow struct {
	Line   int
	Values []string
}

func readTaxes(t *testing.T, in string) ([]gotRow, Stats, []string, error) {
	t.Helper()
	var rows []gotRow
	st, rejects, err := Read("taxes.csv", strings.NewReader(in), func(line int, r *TaxRow) error {
		rows = append(rows, gotRow{line, r.Values()})
		return nil
	})
	var msgs []string
	for _, r := range rejects {
		msgs = append(msgs, r.Error())
	}
	return rows, st, msgs, err
}

func TestRead(t *testing.T) {
	long := strings.Repeat("x", MaxField+1)
	tests := []struct {
		name    string
		in      string
		rows    []gotRow
		stats   Stats
		rejects []string
	}{
		{
			name:  "plain",
			in:    taxHeader + "DE,0.19\nGB,0.20\n",
			rows:  []gotRow{{2, []string{"DE", "0.19"}}, {3, []string{"GB", "0.20"}}},
			stats: Stats{Read: 2},
		},
		{
			name:  "BOM, mixed-case header with spaces, CRLF, no final newline",
			in:    "\uFEFF Country ,RATE\r\nDE,0.19\r\nGB,0.20",
			rows:  []gotRow{{2, []string{"DE", "0.19"}}, {3, []string{"GB", "0.20"}}},
			stats: Stats{Read: 2},
		},
		{
			// Two exports joined end to end: the second one's BOM starts
			// line 3. It was kept in the first value ("\uFEFFGB"), which
			// then matched nothing (found by an audit).
			name:  "a BOM at the start of a later line",
			in:    "\uFEFF" + taxHeader + "DE,0.19\n\uFEFFGB,0.20\n\uFEFFJP ,0.10\n",
			rows:  []gotRow{{2, []string{"DE", "0.19"}}, {3, []string{"GB", "0.20"}}, {4, []string{"JP", "0.10"}}},
			stats: Stats{Read: 3},
		},
		{
			name:  "reordered and unknown columns, values trimmed",
			in:    "note,Rate,,country\n x , 0.10 ,, AU \n\"a, b\",\" 0.0\",z,US\n",
			rows:  []gotRow{{2, []string{"AU", "0.10"}}, {3, []string{"US", "0.0"}}},
			stats: Stats{Read: 2},
		},
		{
			name:  "header only",
			in:    taxHeader,
			stats: Stats{},
		},
		{
			name:  "blank lines and lines of spaces are not rows",
			in:    taxHeader + "\nDE,0.19\n   \n\nGB,0.20\n",
			rows:  []gotRow{{3, []string{"DE", "0.19"}}, {6, []string{"GB", "0.20"}}},
			stats: Stats{Read: 2},
		},
		{
			name:  "quoted newline: a record is named by its first line",
			in:    "country,rate,note\nDE,0.19,\"two\nlines\"\nGB,0.20,\"three\r\n\nlines\"\nJP,0.10,\n",
			rows:  []gotRow{{2, []string{"DE", "0.19"}}, {4, []string{"GB", "0.20"}}, {7, []string{"JP", "0.10"}}},
			stats: Stats{Read: 3},
		},
		{
			name:    "ragged rows are rejected, the rest is read",
			in:      taxHeader + "DE,0.19,extra\nGB\nJP,0.10\n",
			rows:    []gotRow{{4, []string{"JP", "0.10"}}},
			stats:   Stats{Read: 3, Rejected: 2},
			rejects: []string{"taxes.csv:2: wrong number of fields: 3, the header has 2", "taxes.csv:3: wrong number of fields: 1, the header has 2"},
		},
		{
			name:    "bare quote on one line is a row error",
			in:      taxHeader + "D\"E,0.19\nGB,0.20\n",
			rows:    []gotRow{{3, []string{"GB", "0.20"}}},
			stats:   Stats{Read: 2, Rejected: 1},
			rejects: []string{`taxes.csv:2: bad quoting: column 2: bare " in non-quoted-field`},
		},
		{
			name:    "huge field",
			in:      taxHeader + "DE," + long + "\nGB,0.20\n",
			rows:    []gotRow{{3, []string{"GB", "0.20"}}},
			stats:   Stats{Read: 2, Rejected: 1},
			rejects: []string{`taxes.csv:2: field rate: value "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…": field too long: 65537 bytes, the limit is 65536`},
		},
		{
			name:  "formula-looking text passes through unchanged",
			in:    taxHeader + "=SUM(A1:A2),+1\n@cmd,-0.5\n",
			rows:  []gotRow{{2, []string{"=SUM(A1:A2)", "+1"}}, {3, []string{"@cmd", "-0.5"}}},
			stats: Stats{Read: 2},
		},
		{
			name:  "all-empty row is passed on for the caller to judge",
			in:    taxHeader + ",\n",
			rows:  []gotRow{{2, []string{"", ""}}},
			stats: Stats{Read: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, st, rejects, err := readTaxes(t, tc.in)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(rows, tc.rows) {
				t.Errorf("rows = %v, want %v", rows, tc.rows)
			}
			if st != tc.stats {
				t.Errorf("stats = %+v, want %+v", st, tc.stats)
			}
			if !reflect.DeepEqual(rejects, tc.rejects) {
				t.Errorf("rejects = %q, want %q", rejects, tc.rejects)
			}
			vst, vrej, verr := Validate[TaxRow]("taxes.csv", strings.NewReader(tc.in))
			if verr != nil || vst != tc.stats || len(vrej) != len(tc.rejects) {
				t.Errorf("Validate = %+v, %d rejects, %v; want %+v, %d, nil", vst, len(vrej), verr, tc.stats, len(tc.rejects))
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		is   error
		msg  string
	}{
		{"empty file", "", ErrEmptyFile, "taxes.csv: empty file (no header row)"},
		{"BOM and blank lines only", "\uFEFF\n\n", ErrEmptyFile, "taxes.csv: empty file (no header row)"},
		{"missing column", "Country,vat\nDE,0.19\n", ErrMissingColumn, `taxes.csv:1: missing column "rate" (found: Country, vat)`},
		{"missing columns", "foo\n", ErrMissingColumn, `taxes.csv:1: missing column "country", "rate" (found: foo)`},
		{"duplicate column", "country,rate, RATE\n", ErrDuplicateColumn, `taxes.csv:1: duplicate column "RATE" (columns 2 and 3)`},
		{"semicolons", "country;rate\nDE;0.19\n", ErrNotCSV, `taxes.csv:1: not a CSV file: the header is one column "country;rate"; columns must be separated by commas`},
		{"header quote", "\"coun\"try,rate\n", ErrNotCSV, `taxes.csv:1: not a CSV file: header: extraneous or missing " in quoted-field`},
		{"excel workbook", "PK\x03\x04\x14\x00\x06\x00", ErrNotCSV, `taxes.csv: not a CSV file: it looks like an Excel workbook; save it as "CSV UTF-8"`},
		{"UTF-16", "\xFF\xFEc\x00o\x00", ErrNotUTF8, `taxes.csv: not valid UTF-8: the file is UTF-16; save it as "CSV UTF-8"`},
		{"header not UTF-8", "country,r\xE4te\n", ErrNotUTF8, `taxes.csv:1: not valid UTF-8: header column 2; save the file as "CSV UTF-8"`},
		{"row not UTF-8 (Latin-1 export)", taxHeader + "DE,0.19\n\"M\xFCnchen\nDE\",0.19\n", ErrNotUTF8, `taxes.csv:3: not valid UTF-8 in field country; save the file as "CSV UTF-8"`},
		{"quote left open swallows lines", taxHeader + "DE,\"0.19\nGB,0.20\nJP,0.10\n", ErrNotCSV, `taxes.csv:2: not a CSV file: a quoted field opened on line 2 is not closed properly (line 4: extraneous or missing " in quoted-field); the rows after it cannot be read`},
		{"NUL in header", "country,rate\x00\n", ErrNotCSV, "taxes.csv:1: not a CSV file: header column 2 holds a NUL byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Validate[TaxRow]("taxes.csv", strings.NewReader(tc.in))
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want a *FileError wrapping %v", err, tc.is)
			}
			if err.Error() != tc.msg {
				t.Errorf("message\n got %s\nwant %s", err, tc.msg)
			}
			_, _, rerr := Read("taxes.csv", strings.NewReader(tc.in), func(int, *TaxRow) error { return nil })
			if rerr == nil || rerr.Error() != tc.msg {
				t.Errorf("Read err = %v, want the same as Validate", rerr)
			}
		})
	}
}

func TestRowErrorMessage(t *testing.T) {
	e := &RowError{File: "orders.csv", Line: 7, Field: "quantity", Value: "abc", Err: errors.New("not a positive integer")}
	if got, want := e.Error(), `orders.csv:7: field quantity: value "abc": not a positive integer`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	e = &RowError{File: "orders.csv", Line: 7, Field: "name", Value: strings.Repeat("é", 50), Err: ErrFieldTooLong}
	if got, want := e.Error(), `orders.csv:7: field name: value "`+strings.Repeat("é", 40)+`…": field too long`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if !errors.Is(e, ErrFieldTooLong) {
		t.Error("RowError does not unwrap to its sentinel")
	}
}

// TestReadCallerRejects: a *RowError from fn rejects the row and reading goes
// on; any other error stops the read (and the gocsv goroutine with it).
func TestReadCallerRejects(t *testing.T) {
	in := orderHeader + "O1,1,C1,2026-10-01,SKU,P1Y,annual,abc,S1,\nO1,2,C1,2026-10-01,SKU,P1Y,annual,2,S2,\n"
	var lines []int
	st, rejects, err := Read("orders.csv", strings.NewReader(in), func(line int, r *OrderRow) error {
		if r.Quantity == "abc" {
			return &RowError{File: "orders.csv", Line: line, Field: "quantity", Value: r.Quantity, Err: errors.New("not a positive integer")}
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil || st != (Stats{Read: 2, Rejected: 1}) || len(rejects) != 1 || !reflect.DeepEqual(lines, []int{3}) {
		t.Fatalf("got %+v %v %v %v", st, rejects, lines, err)
	}
	if got, want := rejects[0].Error(), `orders.csv:2: field quantity: value "abc": not a positive integer`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}

	before := runtime.NumGoroutine()
	boom := errors.New("database gone")
	for i := 0; i < 20; i++ {
		_, _, err = Read("orders.csv", strings.NewReader(in), func(int, *OrderRow) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines %d → %d: Read leaks its decoder", before, after)
	}
}

const orderHeader = "order_id,line_no,customer_id,order_date,sku_id,term,billing_plan,quantity,subscription_id,auto_renew\n"

func TestAllKindsMapEveryColumn(t *testing.T) {
	check := func(t *testing.T, r Record, read func(string) (Record, error)) {
		cols := r.Columns()
		var vals []string
		for i := range cols {
			vals = append(vals, "v"+string(rune('a'+i)))
		}
		// Header in reverse order and upper case: mapping is by name.
		var h, v []string
		for i := len(cols) - 1; i >= 0; i-- {
			h = append(h, strings.ToUpper(cols[i]))
			v = append(v, vals[i])
		}
		got, err := read(strings.Join(h, ",") + "\n" + strings.Join(v, ",") + "\n")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Values(), vals) {
			t.Errorf("%s values = %v, want %v", r.InputKind(), got.Values(), vals)
		}
		// The columns are exactly the gocsv tags, in field order.
		typ := reflect.TypeOf(r)
		var tags []string
		for i := 0; i < typ.NumField(); i++ {
			tags = append(tags, typ.Field(i).Tag.Get("csv"))
		}
		if !reflect.DeepEqual(tags, cols) {
			t.Errorf("%s tags %v != columns %v", r.InputKind(), tags, cols)
		}
	}
	check(t, CustomerRow{}, readOne[CustomerRow])
	check(t, CatalogRow{}, readOne[CatalogRow])
	check(t, TaxRow{}, readOne[TaxRow])
	check(t, OrderRow{}, readOne[OrderRow])
	check(t, CancellationRow{}, readOne[CancellationRow])
	check(t, RenewalRow{}, readOne[RenewalRow])
}

func readOne[T Record](in string) (Record, error) {
	var got Record
	_, _, err := Read("x.csv", strings.NewReader(in), func(_ int, r *T) error { got = *r; return nil })
	return got, err
}

func TestDigest(t *testing.T) {
	a := TaxRow{Country: "DE", Rate: "0.19"}
	if Digest(a) != Digest(TaxRow{Country: "DE", Rate: "0.19"}) {
		t.Error("equal rows, different digests")
	}
	if Digest(TaxRow{Country: "DE0", Rate: ".19"}) == Digest(a) {
		t.Error("values are not separated")
	}
	if Digest(CancellationRow{OrderID: "DE", LineNo: "0.19"}) == Digest(CancellationRow{OrderID: "DE", LineNo: "0.19", Reason: "x"}) {
		t.Error("a column is ignored")
	}
}

// TestHugeFieldMemory: a 10 MB field costs a small multiple of its size and
// is not kept; the rows after it are read.
func TestHugeFieldMemory(t *testing.T) {
	const size = 10 << 20
	in := taxHeader + "DE," + strings.Repeat("9", size) + "\nGB,0.20\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st, rejects, err := Validate[TaxRow]("taxes.csv", strings.NewReader(in))
	runtime.ReadMemStats(&after)
	if err != nil || st != (Stats{Read: 2, Rejected: 1}) || !errors.Is(rejects[0], ErrFieldTooLong) {
		t.Fatalf("got %+v %v %v", st, rejects, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*size {
		t.Errorf("allocated %d bytes for a %d-byte field", alloc, size)
	}
	if n := len(rejects[0].Value); n > 4*maxShown {
		t.Errorf("the reject keeps %d bytes of the value", n)
	}
}

// gocsv parses up to readAhead rows before fn takes them; the rows must
// still reach fn in file order, each with its own line, with the reader's
// row errors kept in line order between them, and a caller that stops part
// way must leave no goroutine behind.
func TestReadAheadKeepsEveryRowWithItsLine(t *testing.T) {
	var in strings.Builder
	in.WriteString(taxHeader)
	n := 3*readAhead + 17
	var wantRows []gotRow
	var wantRejects []int
	for i := range n {
		line := i + 2
		if i%97 == 5 { // ragged: the reader rejects it
			in.WriteString("XX,1,extra\n")
			wantRejects = append(wantRejects, line)
			continue
		}
		country, rate := fmt.Sprintf("C%d", i), fmt.Sprintf("0.%d", i)
		fmt.Fprintf(&in, "%s,%s\n", country, rate)
		wantRows = append(wantRows, gotRow{line, []string{country, rate}})
	}
	var rows []gotRow
	st, rejects, err := Read("taxes.csv", strings.NewReader(in.String()), func(line int, r *TaxRow) error {
		rows = append(rows, gotRow{line, r.Values()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != n || st.Rejected != len(wantRejects) {
		t.Errorf("stats %+v, want Read %d Rejected %d", st, n, len(wantRejects))
	}
	if !reflect.DeepEqual(rows, wantRows) {
		for i := range min(len(rows), len(wantRows)) {
			if !reflect.DeepEqual(rows[i], wantRows[i]) {
				t.Fatalf("row %d: got %v, want %v (%d rows, want %d)", i, rows[i], wantRows[i], len(rows), len(wantRows))
			}
		}
		t.Fatalf("got %d rows, want %d", len(rows), len(wantRows))
	}
	var gotRejects []int
	for _, r := range rejects {
		gotRejects = append(gotRejects, r.Line)
	}
	if !reflect.DeepEqual(gotRejects, wantRejects) {
		t.Errorf("reject lines %v, want %v", gotRejects, wantRejects)
	}

	before := runtime.NumGoroutine()
	boom := errors.New("database gone")
	for range 5 {
		seen := 0
		_, _, err := Read("taxes.csv", strings.NewReader(in.String()), func(int, *TaxRow) error {
			if seen++; seen == readAhead+10 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || seen != readAhead+10 {
			t.Fatalf("err = %v after %d rows, want %v after %d", err, seen, boom, readAhead+10)
		}
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines %d → %d: Read leaks its decoder", before, after)
	}
}
