package csvin

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		kind string
		ok   bool
	}{
		{"customers.csv", KindCustomers, true},
		{"Customers-2026-10.CSV", KindCustomers, true},
		{"catalog_v2.csv", KindCatalog, true},
		{"TAXES.csv", KindTaxes, true},
		{"orders.csv", KindOrders, true},
		{"orders-b.csv", KindOrders, true},
		{"cancellations.csv", KindCancellations, true},
		{"renewals.csv", KindRenewals, true},
		{"recon-2026-10.csv", KindRecon, true},
		{"/inbox/orders.csv", KindOrders, true},
		{"orders.csv.tmp", "", false},
		{"orders.xlsx", "", false},
		{"my-orders.csv", "", false},
		{"order.csv", "", false},
		{"README.md", "", false},
	}
	for _, tc := range tests {
		kind, ok := KindOf(tc.name)
		if kind != tc.kind || ok != tc.ok {
			t.Errorf("KindOf(%q) = %q, %v; want %q, %v", tc.name, kind, ok, tc.kind, tc.ok)
		}
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{
		"renewals.csv", "orders-b.csv", "Orders-a.csv", "taxes.csv", "notes.txt",
		"cancellations.csv", "catalog.csv", "customers.csv", "recon-2026-10.csv",
		"orders.csv.part", "ORDERS-A.csv",
	} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "orders-done.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range in.Files {
		names = append(names, f.Kind+":"+f.Name)
		if f.Path != filepath.Join(dir, f.Name) {
			t.Errorf("path %s", f.Path)
		}
	}
	want := []string{
		"customers:customers.csv", "catalog:catalog.csv", "taxes:taxes.csv",
		"orders:ORDERS-A.csv", "orders:Orders-a.csv", "orders:orders-b.csv",
		"cancellations:cancellations.csv", "renewals:renewals.csv",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files = %q\nwant %q", names, want)
	}
	if len(in.Recon) != 1 || in.Recon[0].Name != "recon-2026-10.csv" {
		t.Errorf("recon = %v", in.Recon)
	}
	if want := []string{"notes.txt", "orders.csv.part"}; !reflect.DeepEqual(in.Ignored, want) {
		t.Errorf("ignored = %q, want %q", in.Ignored, want)
	}
	if _, err := List(filepath.Join(dir, "missing")); err == nil {
		t.Error("List of a missing folder did not fail")
	}
}

// TestFixtureInbox: the bundled inbox lists in SPEC order and every file reads
// cleanly at this level (its rejects are business rules, not CSV problems).
func TestFixtureInbox(t *testing.T) {
	in, err := List(filepath.Join("..", "..", "fixtures", "inbox"))
	if err != nil {
		t.Skipf("no fixture inbox: %v", err)
	}
	want := map[string]int{"customers.csv": 11, "catalog.csv": 30, "taxes.csv": 10, "orders.csv": 44, "cancellations.csv": 12, "renewals.csv": 9}
	var order []string
	for _, f := range in.Files {
		order = append(order, f.Name)
		fh, err := os.Open(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		var st Stats
		var rejects []*RowError
		switch f.Kind {
		case KindCustomers:
			st, rejects, err = Validate[CustomerRow](f.Name, fh)
		case KindCatalog:
			st, rejects, err = Validate[CatalogRow](f.Name, fh)
		case KindTaxes:
			st, rejects, err = Validate[TaxRow](f.Name, fh)
		case KindOrders:
			st, rejects, err = Validate[OrderRow](f.Name, fh)
		case KindCancellations:
			st, rejects, err = Validate[CancellationRow](f.Name, fh)
		case KindRenewals:
			st, rejects, err = Validate[RenewalRow](f.Name, fh)
		}
		fh.Close()
		if err != nil || len(rejects) != 0 || st != (Stats{Read: want[f.Name]}) {
			t.Errorf("%s: %+v %v %v, want %d rows read", f.Name, st, rejects, err, want[f.Name])
		}
	}
	wantOrder := []string{"customers.csv", "catalog.csv", "taxes.csv", "orders.csv", "cancellations.csv", "renewals.csv"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("order %v, want %v", order, wantOrder)
	}
}
