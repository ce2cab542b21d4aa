package csvin_test

// Input-contract tests through the whole ingest (csvin reads, invoice judges,
// the ledger stores), on every database ledgertest offers.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"cspbill/jobs"
	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

func writeInbox(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// record is what a test checks of a stored source record.
type record struct {
	Status, Rule, Message string
}

func records(t *testing.T, l *ledger.Ledger) (map[string]record, map[string]ledger.SourceRecord) {
	t.Helper()
	out := map[string]record{}
	raw := map[string]ledger.SourceRecord{}
	for r, err := range l.Records(context.Background(), ledger.RecordFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		at := fmt.Sprintf("%s:%d", r.File, r.Line)
		out[at] = record{r.Status, r.Rule, r.Message}
		raw[at] = r
	}
	return out, raw
}

// The same rows twice: first with every contract column (the optional ones
// present and empty), then without the optional columns, in another column
// order and with a repeated unknown column.
var (
	withOptional = map[string]string{
		"customers-a.csv":     "customer_id,name,domain,country,currency\nC1,Contoso,contoso.com,US,USD\n",
		"catalog-a.csv":       "sku_id,product_name,kind,publisher,term,billing_plans,currency,unit_price,effective_from,effective_to\nSUB-1,Some Subscription,subscription,Microsoft,P1Y,monthly;annual,USD,120.00,2026-01-01,\n",
		"taxes-a.csv":         "country,rate\nUS,0.0\n",
		"orders-a.csv":        "order_id,line_no,customer_id,order_date,sku_id,term,billing_plan,quantity,subscription_id,auto_renew\nO1,1,C1,2026-10-05T10:00:00Z,SUB-1,P1Y,monthly,2,S1,\nO2,1,C1,2026-10-06t10:00:00z,SUB-1,P1Y,annual,3,S2,\n",
		"cancellations-a.csv": "order_id,line_no,cancelled_at,requested_by,role,reason\nO1,1,2026-10-10T10:00:00Z,,admin_agent,\n",
		"renewals-a.csv":      "subscription_id,action,effective_at,requested_by,role,term,billing_plan,quantity\nS2,auto_renew_off,2026-10-12T00:00:00Z,,global_admin,,,\n",
	}
	withoutOptional = map[string]string{
		"customers-b.csv":     "notes,customer_id,name,domain,country,currency,Notes\nx,C1,Contoso,contoso.com,US,USD,y\n",
		"catalog-b.csv":       "effective_from,unit_price,currency,billing_plans,term,publisher,kind,product_name,sku_id\n2026-01-01,120.00,USD,monthly;annual,P1Y,Microsoft,subscription,Some Subscription,SUB-1\n",
		"taxes-b.csv":         "rate,country\n0.0,US\n",
		"orders-b.csv":        "ORDER_ID,Line_No,customer_id,order_date,sku_id,term,billing_plan,quantity,subscription_id,comment,comment\nO1,1,C1,2026-10-05T10:00:00Z,SUB-1,P1Y,monthly,2,S1,a,b\nO2,1,C1,2026-10-06t10:00:00z,SUB-1,P1Y,annual,3,S2,,\n",
		"cancellations-b.csv": "role,cancelled_at,line_no,order_id\nadmin_agent,2026-10-10T10:00:00Z,1,O1\n",
		"renewals-b.csv":      "subscription_id,action,effective_at,role\nS2,auto_renew_off,2026-10-12T00:00:00Z,global_admin\n",
	}
)

// TestV6_MissingOptionalColumnIsSeenNotAConflict: a row read from a file
// without the optional columns is identical (V6: same trimmed values in every
// contract column) to the same row read from a file with them empty: it is
// "seen" and counted as accepted, stored with the same hash and row, never
// rejected as a different record with the same key. Both orders of loading.
func TestV6_MissingOptionalColumnIsSeenNotAConflict(t *testing.T) {
	for _, order := range []struct {
		name          string
		first, second map[string]string
		a, b          string // the files' name suffixes
	}{
		{"with, then without", withOptional, withoutOptional, "-a.csv", "-b.csv"},
		{"without, then with", withoutOptional, withOptional, "-b.csv", "-a.csv"},
	} {
		t.Run(order.name, func(t *testing.T) {
			ledgertest.Each(t, func(t *testing.T, url string) {
				ctx := context.Background()
				l, d := openJobs(t, url)
				s1, err := jobs.Ingest(ctx, d, writeInbox(t, order.first))
				if err != nil || s1.Read != 7 || s1.Accepted != 7 || s1.Rejected != 0 || s1.Held != 0 || s1.FilesRejected != 0 {
					t.Fatalf("first ingest: %+v, %v", s1, err)
				}
				s2, err := jobs.Ingest(ctx, d, writeInbox(t, order.second))
				if err != nil || s2.Read != 7 || s2.Accepted != 7 || s2.Rejected != 0 || s2.Held != 0 || s2.FilesRejected != 0 {
					t.Fatalf("second ingest: %+v, %v", s2, err)
				}
				got, raw := records(t, l)
				pairs := map[string]string{"orders" + order.a + ":3": "orders" + order.b + ":3"}
				for _, kind := range []string{"customers", "catalog", "taxes", "orders", "cancellations", "renewals"} {
					pairs[kind+order.a+":2"] = kind + order.b + ":2"
				}
				for a, b := range pairs {
					if got[a] != (record{Status: ledger.Accepted}) {
						t.Errorf("%s: %+v, want accepted", a, got[a])
					}
					if got[b] != (record{Status: ledger.Seen}) {
						t.Errorf("%s: %+v, want seen (identical to %s)", b, got[b], a)
					}
					if raw[a].Hash != raw[b].Hash || raw[a].Key != raw[b].Key {
						t.Errorf("%s and %s: hash %s / %s, key %q / %q", a, b, raw[a].Hash, raw[b].Hash, raw[a].Key, raw[b].Key)
					}
					if ra, rb := rowOf(t, raw[a].Raw), rowOf(t, raw[b].Raw); !reflect.DeepEqual(ra, rb) {
						t.Errorf("stored rows differ:\n%s %v\n%s %v", a, ra, b, rb)
					}
				}
				if len(got) != 14 {
					t.Errorf("%d records, want 14: %v", len(got), got)
				}
			})
		})
	}
}

func rowOf(t *testing.T, raw string) map[string]string {
	t.Helper()
	var s struct {
		Row map[string]string `json:"row"`
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	return s.Row
}

// TestV6_OptionalColumnStillTakesPartInIdentity: a file that gives a value
// in an optional column is a different record from one that left it empty
// (or out): the V6 conflict is found, and the stored row of a file without
// the column lists it as empty, like every contract column.
func TestV6_OptionalColumnStillTakesPartInIdentity(t *testing.T) {
	ctx := context.Background()
	l, d := openJobs(t, ledgertest.SQLite(t))
	if s, err := jobs.Ingest(ctx, d, writeInbox(t, withoutOptional)); err != nil || s.Rejected != 0 || s.Accepted != 7 {
		t.Fatalf("first ingest: %+v, %v", s, err)
	}
	changed := map[string]string{
		"orders-c.csv":        "order_id,line_no,customer_id,order_date,sku_id,term,billing_plan,quantity,subscription_id,auto_renew\nO1,1,C1,2026-10-05T10:00:00Z,SUB-1,P1Y,monthly,2,S1,false\n",
		"cancellations-c.csv": "order_id,line_no,cancelled_at,role,reason\nO1,1,2026-10-10T10:00:00Z,admin_agent,wrong edition\n",
	}
	s, err := jobs.Ingest(ctx, d, writeInbox(t, changed))
	if err != nil || s.Read != 2 || s.Rejected != 2 {
		t.Fatalf("second ingest: %+v, %v", s, err)
	}
	got, raw := records(t, l)
	for at, want := range map[string]record{
		"orders-c.csv:2":        {ledger.Rejected, "V6", "order line O1/1 (order_id O1, line_no 1) differs from the one already accepted at orders-b.csv:2"},
		"cancellations-c.csv:2": {ledger.Rejected, "K7", "order line O1/1 already has a different cancellation, accepted at cancellations-b.csv:2"},
	} {
		if got[at] != want {
			t.Errorf("%s = %+v\nwant %+v", at, got[at], want)
		}
	}
	// The stored row of a file without the optional columns names them, empty.
	if row := rowOf(t, raw["orders-b.csv:2"].Raw); row["auto_renew"] != "" || len(row) != 10 {
		t.Errorf("stored row %v", row)
	}
	if row := rowOf(t, raw["renewals-b.csv:2"].Raw); !reflect.DeepEqual(row, map[string]string{
		"subscription_id": "S2", "action": "auto_renew_off", "effective_at": "2026-10-12T00:00:00Z",
		"requested_by": "", "role": "global_admin", "term": "", "billing_plan": "", "quantity": "",
	}) {
		t.Errorf("stored renewal row %v", row)
	}
}

// TestV6_QuantityAboveTheLimit: a quantity above 1,000,000,000 (the most one
// order line may have) says so, instead of calling a large whole number "not
// a positive whole number"; the bound itself is accepted, and what is not a
// positive whole number keeps its message.
func TestV6_QuantityAboveTheLimit(t *testing.T) {
	ctx := context.Background()
	l, d := openJobs(t, ledgertest.SQLite(t))
	files := map[string]string{
		"customers.csv": withOptional["customers-a.csv"],
		"catalog.csv":   withOptional["catalog-a.csv"],
		"taxes.csv":     withOptional["taxes-a.csv"],
		"orders.csv": "order_id,line_no,customer_id,order_date,sku_id,term,billing_plan,quantity,subscription_id\n" +
			"Q1,1,C1,2026-10-05,SUB-1,P1Y,annual,1000000000,S-Q1\n" +
			"Q2,1,C1,2026-10-05,SUB-1,P1Y,annual,1000000001,S-Q2\n" +
			"Q3,1,C1,2026-10-05,SUB-1,P1Y,annual,10000000000,S-Q3\n" +
			"Q4,1,C1,2026-10-05,SUB-1,P1Y,annual,99999999999999999999999,S-Q4\n" +
			"Q5,1,C1,2026-10-05,SUB-1,P1Y,annual,0,S-Q5\n" +
			"Q6,1,C1,2026-10-05,SUB-1,P1Y,annual,-99999999999999999999999,S-Q6\n" +
			"Q7,1,C1,2026-10-05,SUB-1,P1Y,annual,1e10,S-Q7\n" +
			"Q8,1,C1,2026-10-05,SUB-1,P1Y,annual,1,S-Q8\n",
		"renewals.csv": "subscription_id,action,effective_at,role,quantity\n" +
			"S-Q8,renew,2026-11-01,admin_agent,2000000000\n",
	}
	if _, err := jobs.Ingest(ctx, d, writeInbox(t, files)); err != nil {
		t.Fatal(err)
	}
	got, _ := records(t, l)
	want := map[string]record{
		"orders.csv:2":   {ledger.Accepted, "", ""},
		"orders.csv:3":   {ledger.Rejected, "V6", `quantity "1000000001" is larger than 1000000000, the most one order line may have`},
		"orders.csv:4":   {ledger.Rejected, "V6", `quantity "10000000000" is larger than 1000000000, the most one order line may have`},
		"orders.csv:5":   {ledger.Rejected, "V6", `quantity "99999999999999999999999" is larger than 1000000000, the most one order line may have`},
		"orders.csv:6":   {ledger.Rejected, "V6", `quantity "0" is not a positive whole number`},
		"orders.csv:7":   {ledger.Rejected, "V6", `quantity "-99999999999999999999999" is not a positive whole number`},
		"orders.csv:8":   {ledger.Rejected, "V6", `quantity "1e10" is not a positive whole number`},
		"orders.csv:9":   {ledger.Accepted, "", ""},
		"renewals.csv:2": {ledger.Rejected, "V6", `quantity "2000000000" is larger than 1000000000, the most one order line may have`},
	}
	var names []string
	for at := range want {
		names = append(names, at)
	}
	slices.Sort(names)
	for _, at := range names {
		if got[at] != want[at] {
			t.Errorf("%s = %+v\nwant %+v", at, got[at], want[at])
		}
	}
}

// openJobs opens the ledger at url, closed when the test ends, and the jobs'
// dependencies over it.
func openJobs(t *testing.T, url string) (*ledger.Ledger, jobs.Deps) {
	t.Helper()
	l, err := ledger.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, jobs.Deps{Ledger: l}
}
