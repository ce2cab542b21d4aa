package invoice

import (
	"strings"
	"testing"
)

func wantReject(t *testing.T, rej *Reject, rule, field, msgPart string) {
	t.Helper()
	if rej == nil {
		t.Fatalf("accepted, want a %s reject on %s", rule, field)
	}
	if rej.Rule != rule || rej.Field != field || !strings.Contains(rej.Message, msgPart) {
		t.Fatalf("reject = %s on %q: %q; want %s on %q containing %q", rej.Rule, rej.Field, rej.Message, rule, field, msgPart)
	}
}

func TestV1_UnknownCodesAndNoPrice(t *testing.T) {
	b := testBook(t)
	// A customer with an unknown currency is a rejected customer row, and an
	// order for it is then an unknown customer.
	_, rej := b.AddCustomer(RawCustomer{"XX1", "Nowhere", "x.example", "US", "XYZ"}, Source{File: "customers.csv", Line: 9})
	wantReject(t, rej, "V1", "currency", `unknown currency "XYZ"`)
	_, rej = b.AddCustomer(RawCustomer{"XX2", "Nowhere", "x.example", "QQ", "USD"}, Source{File: "customers.csv", Line: 10})
	wantReject(t, rej, "V1", "country", `unknown country "QQ"`)

	cases := []struct {
		name       string
		raw        RawOrder
		field, msg string
	}{
		{"unknown customer", order("O1", "XX1", "2026-10-01", "WS-STD", "", "", "1", ""), "customer_id", `unknown customer "XX1"`},
		{"unknown sku", order("O1", "US1", "2026-10-01", "NOPE", "", "", "1", ""), "sku_id", `unknown SKU "NOPE"`},
		{"unknown term", order("O1", "US1", "2026-10-01", "SQL-SUB", "P2Y", "annual", "1", "S1"), "term", `unknown term "P2Y" for SKU "SQL-SUB"`},
		{"term for perpetual", order("O1", "US1", "2026-10-01", "WS-STD", "P1Y", "", "1", ""), "term", `unknown term "P1Y"`},
		{"no price in customer currency", order("O1", "DE1", "2026-10-01", "SQL-SUB", "P3Y", "annual", "1", "S1"), "order_date", `no catalog price in effect for SKU "SQL-SUB" term P3Y in EUR on 2026-10-01`},
		{"no price before effective_from", order("O1", "US1", "2025-12-31", "SQL-NEW", "P1Y", "annual", "1", "S1"), "order_date", `no catalog price in effect for SKU "SQL-NEW" term P1Y in USD on 2025-12-31`},
		{"missing subscription id", order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "1", ""), "subscription_id", "subscription_id is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, out, rej := b.AddOrder(c.raw, Source{File: "orders.csv", Line: 2})
			if out != Rejected {
				t.Fatalf("outcome %v, want rejected", out)
			}
			wantReject(t, rej, "V1", c.field, c.msg)
		})
	}
	// A price whose effective_to is before the order date is not in effect:
	// RDS-CAL USD 120.00 ends 2026-09-30 and the 132.00 row starts 2026-10-01,
	// so both days have a price; a KWD order before 2020 has none.
	_, _, rej = b.AddOrder(order("O2", "KW1", "2019-12-31", "RDS-CAL", "P1Y", "monthly", "1", "S2"), Source{File: "orders.csv", Line: 3})
	wantReject(t, rej, "V1", "order_date", "no catalog price in effect")
}

func TestV1_UnknownCurrencyCode(t *testing.T) {
	if _, err := LookupCurrency("ABC"); err == nil {
		t.Fatal("ABC accepted")
	}
	for code, digits := range map[string]int32{"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3, "USD": 2, "EUR": 2} {
		if c := MustCurrency(code); c.Digits != digits {
			t.Errorf("%s has %d digits, want %d", code, c.Digits, digits)
		}
	}
}

func TestV2_PlanMustBeListed(t *testing.T) {
	b := testBook(t)
	cases := []struct {
		name string
		raw  RawOrder
		msg  string
	}{
		{"plan not listed", order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "monthly", "1", "S1"), `SKU "SQL-SUB" term P1Y does not list billing plan "monthly"; the catalog lists "annual"`},
		{"perpetual not one_time", order("O1", "US1", "2026-10-01", "WS-STD", "", "annual", "1", ""), `perpetual SKU "WS-STD" is billed one_time (or empty), not "annual"`},
		{"unknown plan", order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "weekly", "1", "S1"), `unknown billing plan "weekly"`},
		{"empty plan on subscription", order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "", "1", "S1"), "billing_plan is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, rej := b.AddOrder(c.raw, Source{File: "orders.csv", Line: 2})
			wantReject(t, rej, "V2", "billing_plan", c.msg)
		})
	}
	// Perpetual with an empty plan means one_time.
	o := addOrder(t, b, order("O2", "US1", "2026-10-01", "WS-STD", "", "", "1", ""))
	if o.Plan != PlanOneTime || o.Term != TermNone {
		t.Fatalf("perpetual resolved to %s/%s", o.Term, o.Plan)
	}
	// triennial on P3Y is listed and accepted.
	addOrder(t, b, order("O3", "US1", "2026-10-01", "SQL-SUB", "P3Y", "triennial", "1", "S3"))
}

func TestV3_OneTimeAfterCutoff(t *testing.T) {
	b := testBook(t)
	// On or before 2022-01-22: the legacy one_time is accepted whatever the catalog lists.
	o := addOrder(t, b, order("O1", "US1", "2022-01-22T23:59:59Z", "SQL-SUB", "P1Y", "one_time", "1", "S1"))
	if o.Plan != PlanOneTime {
		t.Fatalf("plan %s", o.Plan)
	}
	// 2022-01-23 00:30 in +02:00 is still 2022-01-22 in UTC: accepted.
	addOrder(t, b, order("O2", "US1", "2022-01-23T00:30:00+02:00", "SQL-SUB", "P1Y", "one_time", "1", "S2"))
	_, _, rej := b.AddOrder(order("O3", "US1", "2022-01-23", "SQL-SUB", "P1Y", "one_time", "1", "S3"), Source{File: "orders.csv", Line: 4})
	wantReject(t, rej, "V3", "billing_plan", "billing plan one_time is not accepted for subscription orders dated after 2022-01-22 (this one is dated 2022-01-23); use one of \"annual\"")
	// A catalog that still lists one_time: the message offers the other
	// plans, never the value it refuses (it said "use one of "one_time",
	// "annual"": found by an audit), and says when there is none.
	for i, p := range []RawCatalog{
		{"LEGACY", "Legacy subscription", "subscription", "Microsoft", "P1Y", "one_time;annual", "USD", "100.00", "2020-01-01", ""},
		{"LEGACY", "Legacy subscription", "subscription", "Microsoft", "P3Y", "one_time", "USD", "300.00", "2020-01-01", ""},
	} {
		if _, rej := b.AddPrice(p, Source{File: "catalog.csv", Line: 90 + i}); rej != nil {
			t.Fatal(rej)
		}
	}
	_, _, rej = b.AddOrder(order("O4", "US1", "2023-01-05", "LEGACY", "P1Y", "one_time", "1", "S4"), Source{File: "orders.csv", Line: 5})
	wantReject(t, rej, "V3", "billing_plan", "(this one is dated 2023-01-05); use one of \"annual\"")
	_, _, rej = b.AddOrder(order("O5", "US1", "2023-01-05", "LEGACY", "P3Y", "one_time", "1", "S5"), Source{File: "orders.csv", Line: 6})
	wantReject(t, rej, "V3", "billing_plan", "(this one is dated 2023-01-05); the catalog lists no other plan for P3Y")
}

func TestV4_TermRequiredFrom20220122(t *testing.T) {
	b := testBook(t)
	// Earlier orders without a term take the SKU's only term: SUSE lists only P1Y.
	o := addOrder(t, b, order("O1", "US1", "2021-12-01", "SUSE", "", "annual", "1", "S1"))
	if o.Term != TermP1Y {
		t.Fatalf("term %q, want P1Y", o.Term)
	}
	// SQL-SUB lists P1Y and P3Y: no term can be chosen.
	_, _, rej := b.AddOrder(order("O2", "US1", "2021-12-01", "SQL-SUB", "", "annual", "1", "S2"), Source{File: "orders.csv", Line: 3})
	wantReject(t, rej, "V4", "term", `SKU "SQL-SUB" has 2 terms in the catalog ("P1Y", "P3Y")`)
	// A one_time order on 2022-01-22 without a term is rejected.
	_, _, rej = b.AddOrder(order("O3", "US1", "2022-01-22", "SUSE", "", "one_time", "1", "S3"), Source{File: "orders.csv", Line: 4})
	wantReject(t, rej, "V4", "term", "term is required for software_plan SKU \"SUSE\" on orders dated from 2022-01-22")
}

func TestV5_ReservationUnavailableMarkets(t *testing.T) {
	b := testBook(t)
	_, _, rej := b.AddOrder(order("O1", "GL1", "2026-10-01", "AZ-RI", "P1Y", "annual", "1", "S1"), Source{File: "orders.csv", Line: 2})
	wantReject(t, rej, "V5", "customer_id", "Azure reservations are not available in the customer's market GL (Greenland)")
	// The same customer may buy a subscription.
	addOrder(t, b, order("O2", "GL1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "1", "S2"))
	// And a US customer a reservation.
	addOrder(t, b, order("O3", "US1", "2026-10-01", "AZ-RI", "P1Y", "annual", "1", "S3"))
	for code, name := range map[string]string{"BQ": "Bonaire; Saba; Sint Eustatius", "SJ": "Svalbard; Jan Mayen", "SZ": "Swaziland", "XK": "Kosovo", "CD": "Congo (DRC)"} {
		got, no := ReservationUnavailable(code)
		if !no || got != name {
			t.Errorf("%s: %q %v, want %q", code, got, no, name)
		}
	}
	if _, no := ReservationUnavailable("US"); no {
		t.Error("US listed as unavailable")
	}
}

func TestV6_QuantityAndDuplicates(t *testing.T) {
	b := testBook(t)
	for _, q := range []string{"0", "-1", "1.5", "abc", ""} {
		_, _, rej := b.AddOrder(order("OQ", "US1", "2026-10-01", "WS-STD", "", "", q, ""), Source{File: "orders.csv", Line: 2})
		wantReject(t, rej, "V6", "quantity", "is not a positive whole number")
	}
	raw := order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "2", "S1")
	addOrder(t, b, raw)
	if _, out, rej := b.AddOrder(raw, Source{File: "orders-2.csv", Line: 2}); out != Seen || rej != nil {
		t.Fatalf("identical row: %v %v, want seen", out, rej)
	}
	other := raw
	other.Quantity = "3"
	_, out, rej := b.AddOrder(other, Source{File: "orders-2.csv", Line: 3})
	if out != Rejected {
		t.Fatalf("different row with the same key: %v", out)
	}
	wantReject(t, rej, "V6", "order_id", "order line O1/1 (order_id O1, line_no 1) differs from the one already accepted at orders.csv:")
	dupSub := order("O2", "US1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1")
	_, _, rej = b.AddOrder(dupSub, Source{File: "orders.csv", Line: 9})
	wantReject(t, rej, "V6", "subscription_id", `subscription_id "S1" is already used by order line O1/1`)
	// Reference rows: identical is seen, contradicting is rejected.
	if out, _ := b.AddCustomer(RawCustomer{"US1", "Contoso", "contoso.com", "US", "USD"}, Source{File: "customers-2.csv", Line: 2}); out != Seen {
		t.Fatalf("identical customer: %v", out)
	}
	_, rej = b.AddCustomer(RawCustomer{"US1", "Contoso Ltd", "contoso.com", "US", "USD"}, Source{File: "customers-2.csv", Line: 3})
	wantReject(t, rej, "V6", "customer_id", `customer "US1" contradicts the accepted row at customers.csv:2`)
	_, rej = b.AddPrice(RawCatalog{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "USD", "999.00", "2020-01-01", ""}, Source{File: "catalog-2.csv", Line: 2})
	wantReject(t, rej, "V6", "effective_from", "contradicts an accepted row")
	_, rej = b.AddTax(RawTax{"US", "0.2"}, Source{File: "taxes-2.csv", Line: 2})
	wantReject(t, rej, "V6", "rate", "contradicts the accepted rate 0.1")
}

func TestV7_Roles(t *testing.T) {
	b := testBook(t)
	addOrder(t, b, order("O1", "US1", "2026-10-01", "SQL-SUB", "P1Y", "annual", "1", "S1"))
	c := cancelOf("O1", "2026-10-02")
	c.Role = "global_admin"
	_, out, rej := b.AddCancellation(c, Source{File: "cancellations.csv", Line: 2})
	if out != Rejected {
		t.Fatalf("outcome %v", out)
	}
	wantReject(t, rej, "V7", "role", `role "global_admin" may not cancel a purchase: only admin_agent may`)

	r := renewal("S1", ActionOff, "2026-10-05")
	r.Role = "helpdesk"
	_, _, rej = b.AddRenewal(r, Source{File: "renewals.csv", Line: 2})
	wantReject(t, rej, "V7", "role", `role "helpdesk" may not change a subscription's renewal: only admin_agent or global_admin may`)
	r.Role = "global_admin"
	addRenewal(t, b, r, 3)
}
