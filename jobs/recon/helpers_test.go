package recon

import (
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"testing"

	"cspbill/invoice"
)

// readLedgerCSV reads an invoice-lines.csv of a close (SPEC §4) into the
// LedgerLines the command gets from the ledger.
func readLedgerCSV(t *testing.T, path string) []LedgerLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []LedgerLine
	for n, r := range recs[1:] {
		get := func(c string) string {
			i, ok := col[c]
			if !ok {
				t.Fatalf("%s: no column %s", path, c)
			}
			return r[i]
		}
		cur := invoice.MustCurrency(get("currency"))
		amt := func(c string) int64 {
			v, err := cur.ParseAmount(get(c))
			if err != nil {
				t.Fatalf("%s:%d: %s: %v", path, n+2, c, err)
			}
			return v
		}
		lineNo, _ := strconv.Atoi(get("line_no"))
		qty, err := strconv.ParseInt(get("quantity"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		end := invoice.NoDate
		if s := get("charge_end"); s != "" {
			end = invoice.MustDate(s)
		}
		out = append(out, LedgerLine{
			InvoiceNumber: get("invoice_number"), CustomerID: get("customer_id"), Currency: cur,
			ChargeType: get("charge_type"), OrderID: get("order_id"), LineNo: lineNo,
			SubscriptionID: get("subscription_id"), SKU: get("sku_id"),
			ChargeStart: invoice.MustDate(get("charge_start")), ChargeEnd: end, Quantity: qty,
			Net: amt("net"), Tax: amt("tax"), Gross: amt("gross"), Source: get("source"),
		})
	}
	return out
}

// readCustomersCSV reads the customer_id and domain columns of a customers file.
func readCustomersCSV(t *testing.T, path string) []Customer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Customer
	_, rejects, err := readCustomers(path, f, &out)
	if err != nil || len(rejects) > 0 {
		t.Fatalf("%s: %v %v", path, err, rejects)
	}
	return out
}

var customerColumns = []column{{"customer_id", []string{"customer_id"}}, {"domain", []string{"domain"}}}

func readCustomers(name string, f *os.File, out *[]Customer) (int, []*RowError, error) {
	s, err := newScanner(name, f, customerColumns, []string{"customer_id", "domain"})
	if err != nil {
		return 0, nil, err
	}
	var rejects []*RowError
	n := 0
	for {
		rec, rerr, err := s.next()
		if err == io.EOF {
			return n, rejects, nil
		}
		if err != nil {
			return n, rejects, err
		}
		if rerr != nil {
			rejects = append(rejects, rerr)
			continue
		}
		n++
		*out = append(*out, Customer{ID: rec.get("customer_id"), Domain: rec.get("domain")})
	}
}
