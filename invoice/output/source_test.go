package output

import (
	"errors"

	"cspbill/invoice"
)

// memSource is a Source over slices; failAfter > 0 makes Lines fail after
// that many lines.
type memSource struct {
	headers    []invoice.Header
	lines      []invoice.Line
	rejects    []invoice.RejectRow
	failAfter  int
	linePasses int // calls of Lines
	// onLine, when set, runs before each line is given.
	onLine func(l invoice.Line)
	// later, when set, is what Headers gives from its second call on.
	later        []invoice.Header
	headerPasses int
	// skew is added to the counts Counts gives.
	skew Counts
}

var errBoom = errors.New("boom: database connection lost")

func (s *memSource) Counts() (Counts, error) {
	c := Counts{Invoices: len(s.headers) + s.skew.Invoices, Rejects: len(s.rejects) + s.skew.Rejects, Lines: s.skew.Lines}
	for _, h := range s.headers {
		c.Lines += h.Lines
	}
	return c, nil
}

func (s *memSource) Headers(fn func(invoice.Header) error) error {
	s.headerPasses++
	headers := s.headers
	if s.later != nil && s.headerPasses > 1 {
		headers = s.later
	}
	for _, h := range headers {
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

func (s *memSource) Lines(fn func(invoice.Line) error) error {
	s.linePasses++
	for i, l := range s.lines {
		if s.failAfter > 0 && i == s.failAfter {
			return errBoom
		}
		if s.onLine != nil {
			s.onLine(l)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

func (s *memSource) Rejects(fn func(invoice.RejectRow) error) error {
	for _, r := range s.rejects {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

var (
	usd = invoice.MustCurrency("USD")
	eur = invoice.MustCurrency("EUR")
	jpy = invoice.MustCurrency("JPY")
	kwd = invoice.MustCurrency("KWD")
	day = invoice.MustDate
)

// goldenSource is the hand-made period 2026-10: four customers in USD, EUR,
// JPY and KWD; charges, renewals and credits; perpetual lines (no
// charge_end); a zero-total invoice; text that starts with '=', '+', '@', '-'
// or a tab; and rejects. Amounts are minor units; every line has
// net + tax = gross and every header is the sum of its lines.
func goldenSource() *memSource {
	const (
		inv1 = "INV-2026-10-000001"
		inv2 = "INV-2026-10-000002"
		inv3 = "INV-2026-10-000003"
		inv4 = "INV-2026-10-000004"
	)
	return &memSource{
		headers: []invoice.Header{
			// 25000 + 43999 − 23387 = 45612; 1813 + 3190 − 1696 = 3307; 26813 + 47189 − 25083 = 48919
			{InvoiceNumber: inv1, CustomerID: "C001", CustomerName: "Contoso Ltd", Currency: usd, Net: 45612, Tax: 3307, Gross: 48919, Lines: 3},
			// 12050 + 100000; 2290 + 19000; 14340 + 119000
			{InvoiceNumber: inv2, CustomerID: "C002", CustomerName: "Fabrikam, Inc.", Currency: eur, Net: 112050, Tax: 21290, Gross: 133340, Lines: 2},
			// 125000 + 12500 − 12500; 12500 + 1250 − 1250; 137500 + 13750 − 13750
			{InvoiceNumber: inv3, CustomerID: "C003", CustomerName: "+Tailspin Toys 株式会社", Currency: jpy, Net: 125000, Tax: 12500, Gross: 137500, Lines: 3},
			// −125 + 1234567; −6 + 61728; −131 + 1296295
			{InvoiceNumber: inv4, CustomerID: "C004", CustomerName: "@Alpine Ski House W.L.L.", Currency: kwd, Net: 1234442, Tax: 61722, Gross: 1296164, Lines: 2},
		},
		lines: []invoice.Line{
			{InvoiceNumber: inv1, CustomerID: "C001", Currency: usd, ChargeType: invoice.ChargeNew, OrderID: "O-1001", LineNo: 1,
				SubscriptionID: "S-1001", SKU: "DG7GMGF0D3SJ:0001", Description: "SQL Server 2022 Standard",
				ChargeStart: day("2026-10-01"), ChargeEnd: day("2026-10-31"), Quantity: 3, Net: 25000, Tax: 1813, Gross: 26813,
				Source: "orders-2026-10.csv:2"},
			{InvoiceNumber: inv1, CustomerID: "C001", Currency: usd, ChargeType: invoice.ChargeCancelImmediate, OrderID: "O-0901", LineNo: 2,
				SubscriptionID: "S-0901", SKU: "DG7GMGF0DVSV:0002", Description: "Windows Server 2022 Datacenter",
				ChargeStart: day("2026-10-03"), ChargeEnd: day("2026-10-31"), Quantity: 2, Net: -23387, Tax: -1696, Gross: -25083,
				Source: "cancellations-2026-10.csv:2", CreditedInvoice: "INV-2026-09-000004"},
			{InvoiceNumber: inv1, CustomerID: "C001", Currency: usd, ChargeType: invoice.ChargeNew, OrderID: "O-1002", LineNo: 1,
				SKU: "DG7GMGF0FKZV:0003", Description: "=SUM(A1:A9) Office LTSC Professional Plus 2024",
				ChargeStart: day("2026-10-05"), Quantity: 1, Net: 43999, Tax: 3190, Gross: 47189,
				Source: "orders-2026-10.csv:3"},

			{InvoiceNumber: inv2, CustomerID: "C002", Currency: eur, ChargeType: invoice.ChargeCycle, OrderID: "O-0800", LineNo: 1,
				SubscriptionID: "S-0800", SKU: "DZH318Z0BQ4L:003B", Description: "Azure Reserved VM Instance, Dv5, 3 Years",
				ChargeStart: day("2026-10-15"), ChargeEnd: day("2027-10-14"), Quantity: 1, Net: 12050, Tax: 2290, Gross: 14340,
				Source: "orders-2024-10.csv:7"},
			{InvoiceNumber: inv2, CustomerID: "C002", Currency: eur, ChargeType: invoice.ChargeRenew, OrderID: "O-0700", LineNo: 1,
				SubscriptionID: "S-0700", SKU: "DZH318Z0C1JX:0001", Description: "Red Hat Enterprise Linux Server",
				ChargeStart: day("2026-10-20"), ChargeEnd: day("2027-10-19"), Quantity: 5, Net: 100000, Tax: 19000, Gross: 119000,
				Source: "renewals-2026-10.csv:4"},

			{InvoiceNumber: inv3, CustomerID: "C003", Currency: jpy, ChargeType: invoice.ChargeNew, OrderID: "O-1099", LineNo: 2,
				SKU: "DG7GMGF0FKZW:0004", Description: "Visio LTSC Professional 2024",
				ChargeStart: day("2026-10-02"), Quantity: 2, Net: 125000, Tax: 12500, Gross: 137500,
				Source: "orders-2026-10.csv:5"},
			{InvoiceNumber: inv3, CustomerID: "C003", Currency: jpy, ChargeType: invoice.ChargeNew, OrderID: "O-1100", LineNo: 1,
				SubscriptionID: "S-1100", SKU: "CFQ7TTC0LF8R:0001", Description: "Microsoft 365 E3",
				ChargeStart: day("2026-10-31"), ChargeEnd: day("2026-11-29"), Quantity: 7, Net: 12500, Tax: 1250, Gross: 13750,
				Source: "orders-2026-10.csv:6"},
			{InvoiceNumber: inv3, CustomerID: "C003", Currency: jpy, ChargeType: invoice.ChargeCancelImmediate, OrderID: "O-1100", LineNo: 1,
				SubscriptionID: "S-1100", SKU: "CFQ7TTC0LF8R:0001", Description: "Microsoft 365 E3",
				ChargeStart: day("2026-10-31"), ChargeEnd: day("2026-11-29"), Quantity: 7, Net: -12500, Tax: -1250, Gross: -13750,
				Source: "cancellations-2026-10.csv:3", CreditedInvoice: inv3},

			{InvoiceNumber: inv4, CustomerID: "C004", Currency: kwd, ChargeType: invoice.ChargeCancelImmediate, OrderID: "O-1190", LineNo: 1,
				SubscriptionID: "-S-1190", SKU: "DG7GMGF0DVSV:0001", Description: "Windows Server 2022 Standard",
				ChargeStart: day("2026-10-04"), ChargeEnd: day("2026-10-31"), Quantity: 1, Net: -125, Tax: -6, Gross: -131,
				Source: "cancellations-2026-10.csv:4"},
			{InvoiceNumber: inv4, CustomerID: "C004", Currency: kwd, ChargeType: invoice.ChargeNew, OrderID: "O-1200", LineNo: 1,
				SubscriptionID: "S-1200", SKU: "DZH318Z0BQ4L:003C", Description: "Azure Reserved VM Instance, Ev5, 3 Years",
				ChargeStart: day("2026-10-12"), ChargeEnd: day("2027-10-11"), Quantity: 1, Net: 1234567, Tax: 61728, Gross: 1296295,
				Source: "orders-2026-10.csv:7"},
		},
		rejects: []invoice.RejectRow{
			{File: "orders-2026-10.csv", Line: 9, Key: "O-1300/1", Rule: "V1", Message: `unknown SKU "XYZ:0001"`},
			{File: "cancellations-2026-10.csv", Line: 5, Key: "-O-1400/2", Rule: "K1",
				Message: "@support: cancelled 45 days after the order (window 30 days); customer C001 contoso.com, would have credited 100.00 USD"},
			{File: "renewals-2026-10.csv", Line: 3, Key: "S-0500", Rule: "V7", Message: "\trole \"helpdesk_agent\" may not renew (want admin_agent or global_admin)"},
			{File: "orders-2026-09.csv", Line: 4, Key: "O-0950/1", Rule: "C4", Message: "held: no tax rate for country XK"},
		},
	}
}
