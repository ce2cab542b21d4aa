package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cspbill/ledger"
)

func openLedger(t testing.TB, url string) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func startRun(t testing.TB, l *ledger.Ledger) string {
	t.Helper()
	id, err := l.StartRun(context.Background(), "test", "2026-10-31")
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	return id
}

// charge is a balanced charge: debit the customer's receivable, credit
// revenue and tax payable.
func charge(key, customer, currency, period string, net, tax int64) ledger.Txn {
	date := period + "-15"
	return ledger.Txn{
		Key: key, Period: period, Invoiced: true, Date: date,
		CustomerID: customer, Currency: currency, ChargeType: "new",
		OrderID: "O-" + key, LineNo: 1, SubscriptionID: "S-" + key, SKU: "SKU1",
		Description: "SQL Server 2022 Standard", ChargeStart: date, ChargeEnd: period + "-28",
		Quantity: 1, Net: net, Tax: tax, Gross: net + tax, Source: "orders.csv:2",
		Postings: []ledger.Posting{
			{Account: ledger.ReceivablePrefix + customer, Amount: net + tax},
			{Account: "revenue", Amount: -net},
			{Account: "tax_payable", Amount: -tax},
		},
	}
}

// credit reverses part of c: net and tax are the (positive) amounts credited.
func credit(key string, c ledger.Txn, period string, net, tax int64) ledger.Txn {
	x := charge(key, c.CustomerID, c.Currency, period, -net, -tax)
	x.ChargeType = "cancelImmediate"
	x.CreditsKey = c.Key
	x.OrderID, x.LineNo, x.SubscriptionID = c.OrderID, c.LineNo, c.SubscriptionID
	x.ChargeStart = c.ChargeStart
	return x
}

func count(t testing.TB, l *ledger.Ledger, table string) int {
	t.Helper()
	var n int
	if err := l.DB().Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func collect[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("iterate: %v", err)
		}
		out = append(out, v)
	}
	return out
}

func keys(prefix string, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("%s%06d", prefix, i)
	}
	return ks
}

// sameLines reports got and want, one row a line, when they differ.
func sameLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("%s:\n%s\nwant:\n%s", what, g, w)
	}
}
