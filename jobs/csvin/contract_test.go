package csvin

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// readAll reads every row of a file of kind T with Read, and checks that
// Validate agrees with it.
func readAll[T Record](t *testing.T, name, in string) ([][]string, error) {
	t.Helper()
	var rows [][]string
	err := readEach[T](t, name, in, func(r Record) { rows = append(rows, r.Values()) })
	return rows, err
}

// TestInputContract_DuplicateUnknownColumnIsIgnored: SPEC §1 "unknown columns
// are ignored" holds even when an unknown column's name repeats (in any case
// or spacing, or as several unnamed columns).
func TestInputContract_DuplicateUnknownColumnIsIgnored(t *testing.T) {
	for _, in := range []string{
		"customer_id,name,domain,country,currency,notes,Notes\nC1,Contoso,contoso.com,US,USD,a,b\n",
		"notes,customer_id,NOTES,name,domain, Notes ,country,currency\nx,C1,y,Contoso,contoso.com,z,US,USD\n",
		"customer_id,,name,,domain,country,,currency\nC1,,Contoso,q,contoso.com,US,,USD\n",
		"customer_id,name,domain,country,currency,x,y,x,y,x\nC1,Contoso,contoso.com,US,USD,1,2,3,4,5\n",
	} {
		rows, err := readAll[CustomerRow](t, "customers.csv", in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if want := [][]string{{"C1", "Contoso", "contoso.com", "US", "USD"}}; !reflect.DeepEqual(rows, want) {
			t.Errorf("%q: rows %q, want %q", in, rows, want)
		}
	}
}

// TestInputContract_DuplicateContractColumnIsAFileError: a column the kind
// uses, named twice, is ambiguous (which value is meant?): the file is
// rejected whole, optional columns included.
func TestInputContract_DuplicateContractColumnIsAFileError(t *testing.T) {
	check := func(t *testing.T, err error, want string) {
		t.Helper()
		var fe *FileError
		if !errors.As(err, &fe) || !errors.Is(err, ErrDuplicateColumn) || err.Error() != want {
			t.Errorf("err = %v, want a *FileError %s", err, want)
		}
	}
	_, err := readAll[CustomerRow](t, "customers.csv", "customer_id,name,domain,country,currency,notes,Country,notes\nC1,Contoso,contoso.com,US,USD,,DE,\n")
	check(t, err, `customers.csv:1: duplicate column "Country" (columns 4 and 7)`)
	_, err = readAll[OrderRow](t, "orders.csv", strings.TrimSuffix(orderHeader, "\n")+", Auto_Renew \n")
	check(t, err, `orders.csv:1: duplicate column "Auto_Renew" (columns 10 and 11)`)
	_, err = readAll[TaxRow](t, "taxes.csv", "country,rate, RATE\n")
	check(t, err, `taxes.csv:1: duplicate column "RATE" (columns 2 and 3)`)
}

// The columns a header may leave out, as decided in rows.go.
var wantOptional = map[string][]string{
	KindCustomers:     nil,
	KindCatalog:       {"effective_to"},
	KindTaxes:         nil,
	KindOrders:        {"auto_renew"},
	KindCancellations: {"requested_by", "reason"},
	KindRenewals:      {"requested_by", "term", "billing_plan", "quantity"},
}

var allKinds = []Record{CustomerRow{}, CatalogRow{}, TaxRow{}, OrderRow{}, CancellationRow{}, RenewalRow{}}

// TestInputContract_OptionalColumns: exactly the columns whose value SPEC §1
// lets be empty (and the informational requested_by and reason) are
// optional; each is a contract column of its kind.
func TestInputContract_OptionalColumns(t *testing.T) {
	for _, r := range allKinds {
		var got []string
		for _, c := range r.Columns() {
			if isOptional(r.InputKind(), c) {
				got = append(got, c)
			}
		}
		if !reflect.DeepEqual(got, wantOptional[r.InputKind()]) {
			t.Errorf("%s: optional %q, want %q", r.InputKind(), got, wantOptional[r.InputKind()])
		}
		for _, c := range optionalColumns[r.InputKind()] {
			if !slices.Contains(r.Columns(), c) {
				t.Errorf("%s: optional column %q is not a contract column", r.InputKind(), c)
			}
		}
	}
	if len(optionalColumns) != 4 {
		t.Errorf("optionalColumns has kinds %v", optionalColumns)
	}
}

// readKind reads a file of the kind of r.
func readKind(t *testing.T, r Record, in string) ([][]string, []string, error) {
	t.Helper()
	name := r.InputKind() + ".csv"
	var rows [][]string
	var digests []string
	collect := func(v Record) {
		rows = append(rows, v.Values())
		digests = append(digests, Digest(v))
	}
	var err error
	switch r.(type) {
	case CustomerRow:
		err = readEach[CustomerRow](t, name, in, collect)
	case CatalogRow:
		err = readEach[CatalogRow](t, name, in, collect)
	case TaxRow:
		err = readEach[TaxRow](t, name, in, collect)
	case OrderRow:
		err = readEach[OrderRow](t, name, in, collect)
	case CancellationRow:
		err = readEach[CancellationRow](t, name, in, collect)
	case RenewalRow:
		err = readEach[RenewalRow](t, name, in, collect)
	}
	return rows, digests, err
}

func readEach[T Record](t *testing.T, name, in string, fn func(Record)) error {
	t.Helper()
	_, rejects, err := Read(name, strings.NewReader(in), func(_ int, r *T) error { fn(*r); return nil })
	if len(rejects) > 0 {
		t.Fatalf("%s: unexpected row rejects %v", name, rejects)
	}
	_, _, verr := Validate[T](name, strings.NewReader(in))
	if (err == nil) != (verr == nil) || (err != nil && err.Error() != verr.Error()) {
		t.Fatalf("%s: Read err %v, Validate err %v", name, err, verr)
	}
	return err
}

// TestV6_MissingOptionalColumnReadsAsEmpty: a file without its optional
// columns reads exactly as the same file with those columns present and
// empty: same values in every contract column, same digest, so V6 finds the
// one row identical to the other ("seen"), never a conflict.
func TestV6_MissingOptionalColumnReadsAsEmpty(t *testing.T) {
	for _, r := range allKinds {
		opt := wantOptional[r.InputKind()]
		if opt == nil {
			continue
		}
		t.Run(r.InputKind(), func(t *testing.T) {
			cols := r.Columns()
			var full, fullVals, short, shortVals, want []string
			for i, c := range cols {
				v := fmt.Sprintf("v%d", i)
				full = append(full, c)
				if slices.Contains(opt, c) {
					fullVals = append(fullVals, "")
					want = append(want, "")
					continue
				}
				fullVals = append(fullVals, v)
				want = append(want, v)
				short = append(short, strings.ToUpper(c)) // any case
				shortVals = append(shortVals, " "+v+" ")  // trimmed
			}
			slices.Reverse(short) // any order
			slices.Reverse(shortVals)
			withCols := strings.Join(full, ",") + "\n" + strings.Join(fullVals, ",") + "\n"
			withoutCols := strings.Join(short, ",") + ",note,NOTE\n" + strings.Join(shortVals, ",") + ",x,y\n"

			rows1, d1, err1 := readKind(t, r, withCols)
			rows2, d2, err2 := readKind(t, r, withoutCols)
			if err1 != nil || err2 != nil {
				t.Fatalf("errors %v, %v", err1, err2)
			}
			if !reflect.DeepEqual(rows1, [][]string{want}) || !reflect.DeepEqual(rows2, [][]string{want}) {
				t.Errorf("with the columns %q, without %q; want %q", rows1, rows2, want)
			}
			if len(d1) != 1 || len(d2) != 1 || d1[0] != d2[0] {
				t.Errorf("digests differ: %v %v", d1, d2)
			}
		})
	}
}

// TestInputContract_RequiredColumnsStillRequired: leaving out any other
// contract column still rejects the file whole, naming the required columns
// missing (never the optional ones).
func TestInputContract_RequiredColumnsStillRequired(t *testing.T) {
	for _, r := range allKinds {
		opt := wantOptional[r.InputKind()]
		var required []string
		for _, c := range r.Columns() {
			if !slices.Contains(opt, c) {
				required = append(required, c)
			}
		}
		for _, drop := range required {
			var h []string
			for _, c := range r.Columns() {
				if c != drop && !slices.Contains(opt, c) { // optional ones left out too
					h = append(h, c)
				}
			}
			in := strings.Join(h, ",") + "\n"
			_, _, err := readKind(t, r, in)
			want := fmt.Sprintf("%s.csv:1: missing column %q (found: %s)", r.InputKind(), drop, strings.Join(h, ", "))
			if len(h) == 0 {
				want = fmt.Sprintf("%s.csv:1: missing column %q (found: nothing)", r.InputKind(), drop)
			}
			if !errors.Is(err, ErrMissingColumn) || err.Error() != want {
				t.Errorf("%s without %s: err = %v\nwant %s", r.InputKind(), drop, err, want)
			}
		}
	}
	// Several missing: only the required ones are listed, in contract order.
	_, err := readAll[OrderRow](t, "orders.csv", "order_id,line_no,customer_id\nO1,1,C1\n")
	want := `orders.csv:1: missing column "order_date", "sku_id", "term", "billing_plan", "quantity", "subscription_id" (found: order_id, line_no, customer_id)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	_, err = readAll[RenewalRow](t, "renewals.csv", "subscription_id,term,quantity\n")
	want = `renewals.csv:1: missing column "action", "effective_at", "role" (found: subscription_id, term, quantity)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// TestInputContract_LinesEndingInACarriageReturn: a file whose lines end in
// a lone carriage return (Excel for Mac's "CSV (Macintosh)") is read line by
// line, with its physical line numbers, like the same file with line feeds
// or CRLF. encoding/csv read it as one header row: no row was read, and with
// optional columns the file was not even refused.
func TestInputContract_LinesEndingInACarriageReturn(t *testing.T) {
	const header = "order_id,line_no,customer_id,order_date,sku_id,term,billing_plan,quantity,subscription_id,auto_renew"
	rows := []string{
		"R1,1,C1,2026-10-05T10:00:00Z,PERP,none,one_time,1,,",
		`R2,1,C1,2026-10-06T10:00:00Z,"PERP",none,one_time,2,,`,
		"R3,1,C1,2026-10-07T10:00:00Z,PERP,none,one_time,3,,,extra", // line 4: too many fields
	}
	for _, eol := range []string{"\r", "\n", "\r\n"} {
		in := header + eol + strings.Join(rows, eol) + eol
		var got []string
		stats, rejects, err := Read("orders.csv", strings.NewReader(in), func(line int, r *OrderRow) error {
			got = append(got, fmt.Sprintf("%d:%s/%s q%s", line, r.OrderID, r.LineNo, r.Quantity))
			return nil
		})
		if err != nil {
			t.Fatalf("%q: %v", eol, err)
		}
		if want := []string{"2:R1/1 q1", "3:R2/1 q2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: rows %q, want %q", eol, got, want)
		}
		if stats.Read != 3 || stats.Rejected != 1 || len(rejects) != 1 || rejects[0].Line != 4 {
			t.Errorf("%q: stats %+v, rejects %v; want 3 read, line 4 rejected", eol, stats, rejects)
		}
	}
}
