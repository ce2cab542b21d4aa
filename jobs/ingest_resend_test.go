package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cspbill/invoice"
	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// An inbox file is the file loaded before only when its name and its
// content are both the same (SPEC §6 "each file once", P4). A file under a
// new name is read and its rows judged even when its bytes equal a loaded
// file's (V6: only a record identical to one already accepted is seen).

const resendCatalog = `sku_id,product_name,kind,publisher,term,billing_plans,currency,unit_price,effective_from,effective_to
WS2022-STD-PERP,Windows Server 2022 Standard - 16 Core License Pack,perpetual,Microsoft,none,one_time,USD,1234.5675,2021-01-01,
WS2022-STD-PERP,Windows Server 2022 Standard - 16 Core License Pack,perpetual,Microsoft,none,one_time,EUR,1145.555,2021-01-01,
RDS-CAL-2022,Windows Server 2022 Remote Desktop Services - User CAL,subscription,Microsoft,P1Y,monthly;annual,USD,131.40,2021-01-01,
`

const resendTaxes = "country,rate\nUS,0.0\nDE,0.19\n"

const resendOrdersHeader = "order_id,line_no,order_date,customer_id,sku_id,term,billing_plan,quantity,subscription_id,auto_renew\n"

// resendInbox writes files (name → content) into a new folder and returns it.
func resendInbox(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// resendCopy copies from to to, byte for byte.
func resendCopy(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func resendLedger(t *testing.T, url string) (*ledger.Ledger, Deps) {
	t.Helper()
	l, err := ledger.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, Deps{Ledger: l}
}

// resendCount is the number of rows of table.
func resendCount(t *testing.T, l *ledger.Ledger, table string) int {
	t.Helper()
	var n int
	if err := l.DB().Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// resendRecords is every source record, one line each, in the order added.
func resendRecords(t *testing.T, l *ledger.Ledger, f ledger.RecordFilter) []string {
	t.Helper()
	var out []string
	for r, err := range l.Records(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d %s %s %s reported=%s", r.File, r.Line, r.Key, r.Status, r.Rule, r.ReportedPeriod))
	}
	return out
}

func resendOut(t *testing.T, out, period, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, period, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func resendMonth(t *testing.T, s string) invoice.Month {
	t.Helper()
	m, err := invoice.ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestP4_TheSameFileAgainIsSkipped: the same name with the same bytes is
// the file loaded before, whichever folder it is dropped in again: skipped,
// said so, and nothing new is recorded.
func TestP4_TheSameFileAgainIsSkipped(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, d := resendLedger(t, url)
		inbox := resendInbox(t, map[string]string{
			"customers.csv": "customer_id,name,domain,country,currency\nC001,Contoso Ltd,contoso.com,US,USD\n",
			"catalog.csv":   resendCatalog,
			"taxes.csv":     resendTaxes,
			"orders.csv": resendOrdersHeader +
				"O-1,1,2026-10-05T14:00:00Z,C001,WS2022-STD-PERP,none,one_time,2,,\n" +
				"O-3,1,2026-10-12T09:00:00Z,C001,NO-SUCH-SKU,none,one_time,1,,\n",
		})
		first, err := Ingest(ctx, d, inbox)
		if err != nil || first.FilesSkipped != 0 || first.Read != 8 || first.Rejected != 1 {
			t.Fatalf("first ingest: %+v, %v", first, err)
		}
		records, files, runs := resendRecords(t, l, ledger.RecordFilter{}), resendCount(t, l, "inbox_files"), resendCount(t, l, "job_runs")

		// The same folder again, and the same orders.csv in another folder.
		again := resendInbox(t, nil)
		resendCopy(t, filepath.Join(inbox, "orders.csv"), filepath.Join(again, "orders.csv"))
		for _, c := range []struct {
			dir   string
			files int
		}{{inbox, 4}, {again, 1}} {
			s, err := Ingest(ctx, d, c.dir)
			if err != nil {
				t.Fatal(err)
			}
			if s.FilesSkipped != c.files || len(s.Files) != c.files || s.Read != 0 || s.Accepted != 0 || s.Rejected != 0 || s.NeedsAttention() {
				t.Errorf("the same files again: %+v, want %d skipped and nothing read", s, c.files)
			}
			for _, f := range s.Files {
				if !f.Skipped || f.Read != 0 {
					t.Errorf("%s: %+v, want skipped", f.Name, f)
				}
			}
		}
		if got := resendRecords(t, l, ledger.RecordFilter{}); !reflect.DeepEqual(got, records) {
			t.Errorf("records after the same files again:\n got %q\nwant %q", got, records)
		}
		if n := resendCount(t, l, "inbox_files"); n != files {
			t.Errorf("inbox_files holds %d files, want %d", n, files)
		}
		if n := resendCount(t, l, "job_runs"); n != runs+2 {
			t.Errorf("%d runs, want %d (the two ingests recorded)", n, runs+2)
		}
	})
}

// TestV6_AFileResentUnderAnotherNameIsJudgedAgain is the audit's case. The
// first inbox has a customer with an unknown currency (rejected) and an
// order for it (rejected, V1 unknown customer). The second brings the
// corrected customer and orders-resend.csv, a byte-identical copy of
// orders.csv. The copy is a new file: its accepted order is seen, the order
// rejected before is accepted now and billed in November (October is
// closed), and the row rejected for good is rejected again under its new
// file and line. October's reject stays as it was.
func TestV6_AFileResentUnderAnotherNameIsJudgedAgain(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, d := resendLedger(t, url)
		out := t.TempDir()
		inbox1 := resendInbox(t, map[string]string{
			"customers.csv": "customer_id,name,domain,country,currency\n" +
				"C001,Contoso Ltd,contoso.com,US,USD\n" +
				"C002,Fabrikam GmbH,fabrikam.de,DE,EUX\n", // unknown currency
			"catalog.csv": resendCatalog,
			"taxes.csv":   resendTaxes,
			"orders.csv": resendOrdersHeader +
				"O-1,1,2026-10-05T14:00:00Z,C001,WS2022-STD-PERP,none,one_time,2,,\n" +
				"O-2,1,2026-10-10T09:00:00Z,C002,WS2022-STD-PERP,none,one_time,3,,\n" +
				"O-3,1,2026-10-12T09:00:00Z,C001,NO-SUCH-SKU,none,one_time,1,,\n",
		})
		s, err := Ingest(ctx, d, inbox1)
		if err != nil || s.Read != 10 || s.Rejected != 3 {
			t.Fatalf("first inbox: %+v, %v", s, err)
		}
		oct, nov := resendMonth(t, "2026-10"), resendMonth(t, "2026-11")
		if _, err := Close(ctx, d, CloseOptions{Period: oct, BillFrom: oct, Out: out}); err != nil {
			t.Fatal(err)
		}
		octFiles := map[string]string{}
		for _, name := range []string{"invoice-lines.csv", "invoices.csv", "rejects.csv"} {
			octFiles[name] = resendOut(t, out, "2026-10", name)
		}
		// October bills O-1 only: 1234.5675 × 2 = 2469.135 → 2469.14 USD, US tax 0.
		if want := "INV-2026-10-000001,C001,USD,new,O-1,1,,WS2022-STD-PERP,Windows Server 2022 Standard - 16 Core License Pack,2026-10-05,,2,2469.14,0.00,2469.14,orders.csv:2,\n"; !strings.HasSuffix(octFiles["invoice-lines.csv"], "\n"+want) ||
			strings.Count(octFiles["invoice-lines.csv"], "\n") != 2 {
			t.Fatalf("October's lines:\n%s", octFiles["invoice-lines.csv"])
		}
		for _, want := range []string{"customers.csv,3,C002,", "orders.csv,3,O-2/1,V1,", "orders.csv,4,O-3/1,V1,"} {
			if !strings.Contains(octFiles["rejects.csv"], "\n"+want) {
				t.Errorf("October's rejects.csv lacks %q:\n%s", want, octFiles["rejects.csv"])
			}
		}
		octOrderRecords := resendRecords(t, l, ledger.RecordFilter{Kind: "orders"})

		inbox2 := resendInbox(t, map[string]string{
			"customers-2026-11.csv": "customer_id,name,domain,country,currency\nC002,Fabrikam GmbH,fabrikam.de,DE,EUR\n",
		})
		resendCopy(t, filepath.Join(inbox1, "orders.csv"), filepath.Join(inbox2, "orders-resend.csv"))
		s, err = Ingest(ctx, d, inbox2)
		if err != nil {
			t.Fatal(err)
		}
		if s.FilesSkipped != 0 || s.Read != 4 || s.Accepted != 3 || s.Rejected != 1 || s.Held != 0 {
			t.Fatalf("second inbox: %+v, want nothing skipped, 4 rows read, 3 accepted (one seen), 1 rejected", s)
		}
		wantRecords := append(octOrderRecords,
			"orders-resend.csv:2 O-1/1 seen  reported=",
			"orders-resend.csv:3 O-2/1 accepted  reported=",
			"orders-resend.csv:4 O-3/1 rejected V1 reported=",
		)
		if got := resendRecords(t, l, ledger.RecordFilter{Kind: "orders"}); !reflect.DeepEqual(got, wantRecords) {
			t.Errorf("order records after the resend:\n got %q\nwant %q", got, wantRecords)
		}
		for _, r := range octOrderRecords {
			if strings.HasPrefix(r, "orders.csv:3 ") && r != "orders.csv:3 O-2/1 rejected V1 reported=2026-10" {
				t.Errorf("October's reject of O-2 is now %q", r)
			}
		}

		if _, err := Close(ctx, d, CloseOptions{Period: nov, Out: out}); err != nil {
			t.Fatal(err)
		}
		// O-2, dated in closed October, is billed in November (P1):
		// 1145.555 × 3 = 3436.665 → net 3436.67 EUR; DE tax 19%:
		// 3436.665 × 0.19 = 652.96635 → 652.97; gross 4089.64.
		wantLines := "invoice_number,customer_id,currency,charge_type,order_id,line_no,subscription_id,sku_id,description,charge_start,charge_end,quantity,net,tax,gross,source,credited_invoice\n" +
			"INV-2026-11-000001,C002,EUR,new,O-2,1,,WS2022-STD-PERP,Windows Server 2022 Standard - 16 Core License Pack,2026-10-10,,3,3436.67,652.97,4089.64,orders-resend.csv:3,\n"
		if got := resendOut(t, out, "2026-11", "invoice-lines.csv"); got != wantLines {
			t.Errorf("November's lines:\n%s\nwant:\n%s", got, wantLines)
		}
		wantInvoices := "invoice_number,customer_id,customer_name,currency,net,tax,gross,lines\n" +
			"INV-2026-11-000001,C002,Fabrikam GmbH,EUR,3436.67,652.97,4089.64,1\n"
		if got := resendOut(t, out, "2026-11", "invoices.csv"); got != wantInvoices {
			t.Errorf("November's invoices:\n%s\nwant:\n%s", got, wantInvoices)
		}
		novRejects := resendOut(t, out, "2026-11", "rejects.csv")
		if !strings.Contains(novRejects, "\norders-resend.csv,4,O-3/1,V1,") || strings.Contains(novRejects, "\norders.csv,") ||
			strings.Count(novRejects, "\n") != 2 {
			t.Errorf("November's rejects.csv, want the new reject of O-3 only:\n%s", novRejects)
		}

		// October is untouched: its files re-written by a re-run of its
		// close are the same bytes (P1, P4).
		if _, err := Close(ctx, d, CloseOptions{Period: oct, Out: out}); err != nil {
			t.Fatal(err)
		}
		for name, want := range octFiles {
			if got := resendOut(t, out, "2026-10", name); got != want {
				t.Errorf("October's %s changed:\n%s\nwant:\n%s", name, got, want)
			}
		}
		if err := l.Verify(ctx); err != nil {
			t.Errorf("SPEC §5 invariants: %v", err)
		}
		// The same resent file once more is the same file: skipped.
		if s, err := Ingest(ctx, d, inbox2); err != nil || s.FilesSkipped != 2 || s.Read != 0 {
			t.Errorf("the second inbox again: %+v, %v", s, err)
		}
	})
}

// TestV6_AResentCopyOfAcceptedRowsPostsNothing: a byte-identical copy,
// under another name, of a file whose rows were all accepted is read; every
// row is seen (counted as accepted), nothing is posted, and the next close
// bills exactly what it would have billed without the copy.
func TestV6_AResentCopyOfAcceptedRowsPostsNothing(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		kind := "postgres"
		if strings.HasPrefix(url, "sqlite:") {
			kind = "sqlite"
		}
		orders := resendOrdersHeader +
			"O-1,1,2026-10-05T14:00:00Z,C001,WS2022-STD-PERP,none,one_time,2,,\n" +
			"O-4,1,2026-10-03T09:15:00Z,C001,RDS-CAL-2022,P1Y,monthly,10,S-4,\n"
		oct, nov := resendMonth(t, "2026-10"), resendMonth(t, "2026-11")
		// run ingests, closes October, ingests the copy if resend, and
		// closes November; it returns the ledger and the output folder.
		run := func(url string, resend bool) (*ledger.Ledger, string) {
			l, d := resendLedger(t, url)
			out := t.TempDir()
			inbox := resendInbox(t, map[string]string{
				"customers.csv": "customer_id,name,domain,country,currency\nC001,Contoso Ltd,contoso.com,US,USD\n",
				"catalog.csv":   resendCatalog,
				"taxes.csv":     resendTaxes,
				"orders.csv":    orders,
			})
			s, err := Ingest(ctx, d, inbox)
			if err != nil || s.Read != 8 || s.Accepted != 8 {
				t.Fatalf("first ingest: %+v, %v", s, err)
			}
			if _, err := Close(ctx, d, CloseOptions{Period: oct, BillFrom: oct, Out: out}); err != nil {
				t.Fatal(err)
			}
			if resend {
				txns, postings := resendCount(t, l, "txns"), resendCount(t, l, "postings")
				resendCopy(t, filepath.Join(inbox, "orders.csv"), filepath.Join(inbox, "orders-copy.csv"))
				s, err := Ingest(ctx, d, inbox)
				if err != nil {
					t.Fatal(err)
				}
				if s.FilesSkipped != 4 || s.Read != 2 || s.Accepted != 2 || s.Rejected != 0 || s.Held != 0 {
					t.Fatalf("ingest of the copy: %+v, want the 4 loaded files skipped and the copy's 2 rows accepted", s)
				}
				want := []string{"orders-copy.csv:2 O-1/1 seen  reported=", "orders-copy.csv:3 O-4/1 seen  reported="}
				var got []string
				for _, r := range resendRecords(t, l, ledger.RecordFilter{Kind: "orders"}) {
					if strings.HasPrefix(r, "orders-copy.csv:") {
						got = append(got, r)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("the copy's records:\n got %q\nwant %q", got, want)
				}
				if p, err := Post(ctx, d, invoice.MustDate("2026-11-02"), false); err != nil || p.Posted != 0 {
					t.Errorf("post after the copy, through the day before November's instalment: %d posted, %v", p.Posted, err)
				}
				if n, m := resendCount(t, l, "txns"), resendCount(t, l, "postings"); n != txns || m != postings {
					t.Errorf("after the copy the ledger holds %d transactions, %d postings; want %d, %d", n, m, txns, postings)
				}
			}
			if _, err := Close(ctx, d, CloseOptions{Period: nov, Out: out}); err != nil {
				t.Fatal(err)
			}
			return l, out
		}
		withCopy, outCopy := run(url, true)
		without, outPlain := run(ledgertest.URL(t, kind), false)

		if got, want := postedState(t, withCopy), postedState(t, without); !reflect.DeepEqual(got, want) {
			t.Errorf("posted with the copy:\n%v\nwithout:\n%v", got, want)
		}
		if n, m := resendCount(t, withCopy, "txns"), resendCount(t, without, "txns"); n != m {
			t.Errorf("%d transactions with the copy, %d without", n, m)
		}
		for _, name := range []string{"invoice-lines.csv", "invoices.csv", "rejects.csv"} {
			if got, want := resendOut(t, outCopy, "2026-11", name), resendOut(t, outPlain, "2026-11", name); got != want {
				t.Errorf("November's %s with the copy:\n%s\nwithout:\n%s", name, got, want)
			}
		}
		// November bills O-4's second monthly instalment: 131.40 × 10 ÷ 12
		// = 109.50, from orders.csv, not from the copy.
		lines := resendOut(t, outCopy, "2026-11", "invoice-lines.csv")
		if !strings.Contains(lines, ",cycleCharge,O-4,1,S-4,RDS-CAL-2022,") || !strings.Contains(lines, ",109.50,0.00,109.50,orders.csv:3,") ||
			strings.Contains(lines, "orders-copy.csv") {
			t.Errorf("November's lines:\n%s", lines)
		}
	})
}

const resendCatalogHeader = "sku_id,product_name,kind,publisher,term,billing_plans,currency,unit_price,effective_from,effective_to\n"

// usInbox is resendInbox with one customer, C1 in the US (USD, tax 10%),
// beside files.
func usInbox(t *testing.T, files map[string]string) string {
	t.Helper()
	files["customers.csv"] = "customer_id,name,domain,country,currency\nC1,One,one.example,US,USD\n"
	files["taxes.csv"] = "country,rate\nUS,0.10\n"
	return resendInbox(t, files)
}
