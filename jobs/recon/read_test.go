package recon

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// pcHeader is Partner Center's export header, in its order.
const pcHeader = "PartnerId,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,InvoiceNumber,MpnId,ResellerMpnId,OrderId,OrderDate,ProductId,SkuId,AvailabilityId,SkuName,ProductName,ChargeType,UnitPrice,Quantity,Subtotal,TaxTotal,Total,Currency,PriceAdjustmentDescription,PublisherName,PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,ChargeEndDate,TermAndBillingCycle,EffectiveUnitPrice,UnitType,AlternateId,BillableQuantity,BillingFrequency,PricingCurrency,PCToBCExchangeRate,PCToBCExchangeRateDate,MeterDescription,ReservationOrderId,CreditReasonCode,SubscriptionStartDate,SubscriptionEndDate,ReferenceId,ProductQualifiers,PromotionId\n"

// pcRow is a row under pcHeader.
const pcRow = "p1,guid-1,Contoso Ltd,contoso.com,US,G001,123,,O-1,10/1/2026,DG7G,0001,DG7G00010A,Windows Server,Windows Server,cycleCharge,10.95,12,131.40,0.00,131.40,USD,,Microsoft,,RDS,S-1,10/15/2026,11/14/2026,1 Year - Monthly,10.95,1 License,alt,12,Monthly,USD,1,10/1/2026,,,,10/1/2026,9/30/2027,ref-1,,\n"

// apiHeader is the same columns as the API names them, in another order,
// with two extra columns.
const apiHeader = "totalForCustomer,subTotal,taxTotal,currency,chargeType,chargeStartDate,chargeEndDate,customerId,customerDomainName,customerName,orderId,subscriptionId,productId,skuId,quantity,billableQuantity,effectiveUnitPrice,referenceId,invoiceNumber,somethingNew,meterDescription\n"

const apiRow = "131.40,131.40,0.00,USD,cycleCharge,2026-10-15T00:00:00Z,2026-11-14T00:00:00Z,guid-1,contoso.com,Contoso Ltd,O-1,S-1,DG7G,0001,12,12,10.95,ref-1,G001,x,\n"

func wantRow(file string) Row {
	return Row{
		File: file, Line: 2, CustomerID: "guid-1", CustomerDomainName: "contoso.com", CustomerName: "Contoso Ltd",
		InvoiceNumber: "G001", OrderID: "O-1", SubscriptionID: "S-1", ProductID: "DG7G", SKUID: "0001",
		ChargeType: "cycleCharge", ChargeStart: invoice.MustDate("2026-10-15"), ChargeEnd: invoice.MustDate("2026-11-14"),
		Currency: invoice.MustCurrency("USD"), ReferenceID: "ref-1",
		Quantity: dec("12"), EffectiveUnitPrice: dec("10.95"),
		Subtotal: dec("131.40"), TaxTotal: dec("0.00"), Total: dec("131.40"), HasTax: true,
	}
}

func TestReadFileHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"Partner Center's export", pcHeader + pcRow},
		{"Partner Center's export, BOM and CRLF", "\uFEFF" + strings.ReplaceAll(pcHeader+pcRow, "\n", "\r\n")},
		{"API camelCase, any order, extra columns", apiHeader + apiRow},
		{"upper case headers", strings.ToUpper(apiHeader) + apiRow},
		// Two exports joined end to end: the second one's BOM starts a
		// row; it was kept in its first value, a total that then did not
		// parse (found by an audit).
		{"API, a BOM starting the row", apiHeader + "\uFEFF" + apiRow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, rejects, err := ReadFile("recon.csv", strings.NewReader(tc.in))
			if err != nil || len(rejects) != 0 {
				t.Fatalf("err %v, rejects %v", err, rejects)
			}
			want := []Row{wantRow("recon.csv")}
			if !reflect.DeepEqual(rows, want) {
				t.Fatalf("rows\n%+v\nwant\n%+v", rows, want)
			}
		})
	}
}

func TestReadFileFileErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		is   error
		msg  string
	}{
		{"empty", "", csvin.ErrEmptyFile, "recon.csv: empty file (no header row)"},
		{"Total and totalForCustomer", strings.TrimSuffix(apiHeader, "\n") + ",Total\n", csvin.ErrDuplicateColumn,
			`recon.csv:1: duplicate column "Total": columns "totalForCustomer" and "Total" both mean it`},
		{"missing columns", "CustomerId,OrderId,SubscriptionId,ProductId,SkuId,ChargeType,ChargeStartDate,Subtotal,Quantity\n", csvin.ErrMissingColumn,
			`recon.csv:1: missing column "Total", "Currency" (found: CustomerId, OrderId, SubscriptionId, ProductId, SkuId, ChargeType, ChargeStartDate, Subtotal, Quantity)`},
		{"no quantity", "CustomerId,OrderId,SubscriptionId,ProductId,SkuId,ChargeType,ChargeStartDate,Subtotal,Total,Currency\n", csvin.ErrMissingColumn,
			`recon.csv:1: missing column "Quantity" (or "BillableQuantity") (found: CustomerId, OrderId, SubscriptionId, ProductId, SkuId, ChargeType, ChargeStartDate, Subtotal, Total, Currency)`},
		{"workbook", "PK\x03\x04rest", csvin.ErrNotCSV, `recon.csv: not a CSV file: it looks like an Excel workbook; save it as "CSV UTF-8"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := ReadFile("recon.csv", strings.NewReader(tc.in))
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, tc.is) || rows != nil {
				t.Fatalf("got %v (rows %v), want a *FileError wrapping %v", err, rows, tc.is)
			}
			if err.Error() != tc.msg {
				t.Errorf("message\n%s\nwant\n%s", err, tc.msg)
			}
		})
	}
}

func TestReadFileRowErrors(t *testing.T) {
	head := "CustomerId,CustomerDomainName,OrderId,SubscriptionId,ProductId,SkuId,ChargeType,ChargeStartDate,Quantity,Subtotal,TaxTotal,Total,Currency\n"
	good := "g,contoso.com,O-1,S-1,P,1,new,2026-10-01,1,10.00,,10.00,USD\n"
	tests := []struct {
		name string
		row  string
		is   error
		msg  string
	}{
		{"amount with a comma", `g,contoso.com,O-1,S-1,P,1,new,2026-10-01,1,"1,234.50",,10.00,USD` + "\n", invoice.ErrBadAmount,
			`recon.csv:3: field Subtotal: value "1,234.50": not a decimal amount: "1,234.50" (want digits with an optional '.', e.g. 1234.50)`},
		{"unknown currency", "g,contoso.com,O-1,S-1,P,1,new,2026-10-01,1,10.00,,10.00,XYZ\n", invoice.ErrUnknownCurrency,
			`recon.csv:3: field Currency: value "XYZ": unknown currency "XYZ"`},
		{"bad date", "g,contoso.com,O-1,S-1,P,1,new,31/10/2026,1,10.00,,10.00,USD\n", invoice.ErrBadDate,
			`recon.csv:3: field ChargeStartDate: value "31/10/2026": not a date: "31/10/2026" (want YYYY-MM-DD, an ISO timestamp or M/D/YYYY)`},
		{"bad quantity", "g,contoso.com,O-1,S-1,P,1,new,2026-10-01,two,10.00,,10.00,USD\n", ErrBadQuantity,
			`recon.csv:3: field Quantity: value "two": not a quantity: "two"`},
		{"no customer", ",,O-1,S-1,P,1,new,2026-10-01,1,10.00,,10.00,USD\n", ErrMissingValue,
			`recon.csv:3: field CustomerId: value "": missing value: neither CustomerId nor CustomerDomainName is given`},
		{"no total", "g,contoso.com,O-1,S-1,P,1,new,2026-10-01,1,10.00,,,USD\n", ErrMissingValue,
			`recon.csv:3: field Total: value "": missing value`},
		{"ragged", "g,contoso.com\n", csvin.ErrRaggedRow, `recon.csv:3: wrong number of fields: 2, the header has 13`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, rejects, err := ReadFile("recon.csv", strings.NewReader(head+good+tc.row+good))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 4 {
				t.Fatalf("good rows not kept: %+v", rows)
			}
			if len(rejects) != 1 || !errors.Is(rejects[0], tc.is) {
				t.Fatalf("rejects %v, want one wrapping %v", rejects, tc.is)
			}
			if rejects[0].Error() != tc.msg {
				t.Errorf("message\n%s\nwant\n%s", rejects[0], tc.msg)
			}
		})
	}
}

func TestReadFileQuantityAndTax(t *testing.T) {
	head := "CustomerId,OrderId,SubscriptionId,ProductId,SkuId,ChargeType,ChargeStartDate,Quantity,BillableQuantity,Subtotal,Total,Currency,EffectiveUnitPrice\n"
	rows, rejects, err := ReadFile("recon.csv", strings.NewReader(head+
		"g,O-1,S-1,P,1,cancelImmediate,2026-10-05,,10,-89.65,-107.58,GBP,-8.965\n"+
		"g,O-1,S-1,P,1,cancelImmediate,2026-10-05,-10,9.35,-89.65,-107.58,GBP,-8.965\n"))
	if err != nil || len(rejects) > 0 {
		t.Fatal(err, rejects)
	}
	for i, r := range rows {
		if !r.Quantity.Equal(dec("10")) || r.HasTax || !r.refund() {
			t.Errorf("row %d: quantity %s, HasTax %v, refund %v; want 10 (BillableQuantity when Quantity is empty; a negative one made positive), false, true",
				i, r.Quantity, r.HasTax, r.refund())
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2026-10-15", "2026-10-15"},
		{"2026-10-15T00:00:00Z", "2026-10-15"},
		{"2026-10-15T23:30:00-02:00", "2026-10-16"}, // the UTC day
		{"2026-10-15T00:00:00", "2026-10-15"},
		{"2026-10-15T00:00:00.0000000", "2026-10-15"},
		{"10/15/2026", "2026-10-15"},
		{"1/5/2026", "2026-01-05"},
		{"01/05/2026", "2026-01-05"},
		{"10/15/2026 12:00:00 AM", "2026-10-15"},
		{"10/15/2026 0:00", "2026-10-15"},
		{"15/10/2026", ""},
		{"2026-13-01", ""},
		{"Oct 15 2026", ""},
	}
	for _, tc := range tests {
		d, err := ParseDate(tc.in)
		if tc.want == "" {
			if !errors.Is(err, invoice.ErrBadDate) {
				t.Errorf("ParseDate(%q) = %s, %v; want ErrBadDate", tc.in, d, err)
			}
			continue
		}
		if err != nil || d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", tc.in, d, err, tc.want)
		}
	}
}

func TestReadMap(t *testing.T) {
	in := "Kind,Partner_Center_Id,cspbill_id\n" +
		"customer,5B2D-GUID,C001\n" +
		"sku,DG7G:0001,WS-STD\n" +
		"SKU,dg7g:0001,WS-STD\n" + // the same pair again, another case: harmless
		"sku,DG7G:0001,WS-DC\n" + // contradicts
		"product,X,Y\n" +
		"order,,O-1\n"
	m, rejects, err := ReadMap("map.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Map{Customer: map[string]string{"5b2d-guid": "C001"}, SKU: map[string]string{"dg7g:0001": "WS-STD"}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("map %+v, want %+v", m, want)
	}
	var msgs []string
	for _, r := range rejects {
		msgs = append(msgs, r.Error())
	}
	wantMsgs := []string{
		`map.csv:5: field Partner_Center_Id: value "DG7G:0001": bad mapping: sku "DG7G:0001" is already mapped to "WS-STD"`,
		`map.csv:6: field Kind: value "product": bad mapping: kind "product" (want customer, sku, order or subscription)`,
		`map.csv:7: field Partner_Center_Id: value "": missing value: order mapping needs both ids`,
	}
	if !reflect.DeepEqual(msgs, wantMsgs) {
		t.Errorf("rejects\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(wantMsgs, "\n"))
	}
}
