package invoice

import (
	"testing"
)

// testBook builds the reference data the rule tests share. Tax rates are
// chosen for easy arithmetic: US 10%, DE 19%, AU 10% and BR 17% (inclusive),
// JP 10%, KW and GL 0%. FR has no tax row (C4 held).
func testBook(t *testing.T) *Book {
	t.Helper()
	b := NewBook()
	customers := []RawCustomer{
		{"US1", "Contoso", "contoso.com", "US", "USD"},
		{"DE1", "Fabrikam", "fabrikam.de", "DE", "EUR"},
		{"AU1", "Wingtip", "wingtip.com.au", "AU", "AUD"},
		{"BR1", "Tailspin", "tailspin.com.br", "BR", "BRL"},
		{"JP1", "Northwind", "northwind.jp", "JP", "JPY"},
		{"KW1", "Alpine", "alpine.kw", "KW", "KWD"},
		{"GL1", "Arctic", "arctic.gl", "GL", "USD"},
		{"FR1", "Bonjour", "bonjour.fr", "FR", "EUR"},
	}
	for i, c := range customers {
		if _, rej := b.AddCustomer(c, Source{File: "customers.csv", Line: i + 2}); rej != nil {
			t.Fatalf("customer %s: %v", c.CustomerID, rej)
		}
	}
	taxes := []RawTax{{"US", "0.10"}, {"DE", "0.19"}, {"AU", "0.10"}, {"BR", "0.17"}, {"JP", "0.10"}, {"KW", "0"}, {"GL", "0"}}
	for i, x := range taxes {
		if _, rej := b.AddTax(x, Source{File: "taxes.csv", Line: i + 2}); rej != nil {
			t.Fatalf("tax %s: %v", x.Country, rej)
		}
	}
	catalog := []RawCatalog{
		{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "USD", "1000.00", "2020-01-01", ""},
		{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "AUD", "1100.00", "2020-01-01", ""},
		{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "JPY", "120000", "2020-01-01", ""},
		{"WS-STD", "Windows Server 2022 Standard", "perpetual", "Microsoft", "none", "one_time", "EUR", "1234.5675", "2020-01-01", ""},
		{"SQL-SUB", "SQL Server 2022 Standard", "subscription", "Microsoft", "P1Y", "annual", "USD", "1200.00", "2020-01-01", ""},
		{"SQL-SUB", "SQL Server 2022 Standard", "subscription", "Microsoft", "P3Y", "annual;triennial", "USD", "3300.00", "2020-01-01", ""},
		{"SQL-SUB", "SQL Server 2022 Standard", "subscription", "Microsoft", "P1Y", "annual", "AUD", "1100.00", "2020-01-01", ""},
		{"SQL-SUB", "SQL Server 2022 Standard", "subscription", "Microsoft", "P1Y", "annual", "BRL", "100.00", "2020-01-01", ""},
		{"RDS-CAL", "Windows Remote Desktop Server CAL 2022", "subscription", "Microsoft", "P1Y", "monthly;annual", "USD", "120.00", "2020-01-01", "2026-09-30"},
		{"RDS-CAL", "Windows Remote Desktop Server CAL 2022", "subscription", "Microsoft", "P1Y", "monthly;annual", "USD", "132.00", "2026-10-01", ""},
		{"RDS-CAL", "Windows Remote Desktop Server CAL 2022", "subscription", "Microsoft", "P1Y", "monthly;annual", "KWD", "37.125", "2020-01-01", ""},
		{"RDS-CAL", "Windows Remote Desktop Server CAL 2022", "subscription", "Microsoft", "P1Y", "monthly;annual", "JPY", "15000", "2020-01-01", ""},
		{"RDS-CAL", "Windows Remote Desktop Server CAL 2022", "subscription", "Microsoft", "P1Y", "monthly;annual", "EUR", "100.00", "2020-01-01", ""},
		{"AZ-RI", "Azure Reserved VM Instance D2s v5", "reservation", "Microsoft", "P1Y", "annual;monthly", "USD", "1000.00", "2020-01-01", ""},
		{"AZ-RI", "Azure Reserved VM Instance D2s v5", "reservation", "Microsoft", "P3Y", "annual;monthly;triennial", "USD", "2700.00", "2020-01-01", ""},
		{"SUSE", "SUSE Linux Enterprise Server", "software_plan", "SUSE", "P1Y", "annual", "USD", "500.00", "2020-01-01", ""},
		{"SQL-OLD", "SQL Server 2019 Standard", "subscription", "Microsoft", "P1Y", "annual", "USD", "800.00", "2020-01-01", "2026-06-30"},
		{"SQL-NEW", "SQL Server 2022 Enterprise", "subscription", "Microsoft", "P1Y", "annual", "USD", "5000.00", "2026-01-01", ""},
	}
	for i, p := range catalog {
		if _, rej := b.AddPrice(p, Source{File: "catalog.csv", Line: i + 2}); rej != nil {
			t.Fatalf("catalog %s: %v", p.SKU, rej)
		}
	}
	return b
}

var orderLine = 1

// order builds an orders row; fields not given take the usual values.
func order(id, cust, date, sku, term, plan, qty, sub string) RawOrder {
	return RawOrder{OrderID: id, LineNo: "1", CustomerID: cust, OrderDate: date, SKU: sku, Term: term, BillingPlan: plan, Quantity: qty, SubscriptionID: sub}
}

func addOrder(t *testing.T, b *Book, raw RawOrder) *Order {
	t.Helper()
	orderLine++
	o, out, rej := b.AddOrder(raw, Source{File: "orders.csv", Line: orderLine})
	if rej != nil || out != Accepted {
		t.Fatalf("order %s: %v %v", raw.OrderID, out, rej)
	}
	p, _ := b.Order(o.Key())
	return p
}

func cancelOf(orderID, at string) RawCancellation {
	return RawCancellation{OrderID: orderID, LineNo: "1", CancelledAt: at, RequestedBy: "ops@partner", Role: "admin_agent", Reason: "customer request"}
}

func addCancel(t *testing.T, b *Book, raw RawCancellation) {
	t.Helper()
	if _, out, rej := b.AddCancellation(raw, Source{File: "cancellations.csv", Line: 2}); rej != nil && !rej.Held || out == Rejected {
		t.Fatalf("cancellation %s: %v %v", raw.OrderID, out, rej)
	}
}

func renewal(sub, action, at string) RawRenewal {
	return RawRenewal{SubscriptionID: sub, Action: action, EffectiveAt: at, RequestedBy: "ops@partner", Role: "admin_agent"}
}

func addRenewal(t *testing.T, b *Book, raw RawRenewal, line int) {
	t.Helper()
	if _, out, rej := b.AddRenewal(raw, Source{File: "renewals.csv", Line: line}); rej != nil || out != Accepted {
		t.Fatalf("renewal %s: %v %v", raw.SubscriptionID, out, rej)
	}
}

func asOf(s string) Env { return Env{AsOf: MustDate(s)} }

// byKey indexes a result's charges by business key.
func byKey(res Result) map[string]Charge {
	m := map[string]Charge{}
	for _, c := range res.Charges {
		m[c.Key] = c
	}
	return m
}

type amounts struct{ net, tax, gross int64 }

func amountsOf(c Charge) amounts { return amounts{c.Net, c.Tax, c.Gross} }

func wantCharge(t *testing.T, res Result, key, typ, start, end string, want amounts) Charge {
	t.Helper()
	c, ok := byKey(res)[key]
	if !ok {
		t.Fatalf("no charge %s; have %v", key, keys(res))
	}
	if c.Type != typ || c.Start.String() != start || c.End.String() != end || amountsOf(c) != want {
		t.Fatalf("charge %s = %s %s..%s %+v, want %s %s..%s %+v", key, c.Type, c.Start, c.End, amountsOf(c), typ, start, end, want)
	}
	return c
}

func keys(res Result) []string {
	var out []string
	for _, c := range res.Charges {
		out = append(out, c.Key)
	}
	return out
}

func wantVerdict(t *testing.T, res Result, rule string) *Reject {
	t.Helper()
	for _, v := range res.Verdicts {
		if v.Reject != nil && v.Reject.Rule == rule {
			return v.Reject
		}
	}
	t.Fatalf("no %s verdict in %+v", rule, res.Verdicts)
	return nil
}
