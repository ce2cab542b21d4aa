package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// TestC1_AMonthWithAnInvoiceTooLargeForASpreadsheetIsNotClosed: lines are
// bounded where they are priced (10^14 minor units), but five of them on
// one invoice pass 15 significant digits, the most a spreadsheet's number
// cell holds exactly. The close refuses the month before locking it,
// naming the invoice, instead of closing a month whose files can never be
// written. One minor unit less is closed.
func TestC1_AMonthWithAnInvoiceTooLargeForASpreadsheetIsNotClosed(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		const line = 199_999_999_999_999 // a line's largest gross: 10^14 − 1 net at a tax rate just below 1
		txns := []ledger.Txn{charge("A", "C1", "USD", "2026-10", 5, 0)}
		for _, k := range []string{"B1", "B2", "B3", "B4", "B5"} {
			txns = append(txns, charge(k, "C2", "USD", "2026-10", line, 0))
		}
		txns = append(txns, charge("B6", "C2", "USD", "2026-10", 5, 0)) // 5 × line + 5 = 10^15
		for _, k := range []string{"C1", "C2", "C3", "C4", "C5"} {
			txns = append(txns, charge(k, "C3", "USD", "2026-11", line, 0))
		}
		txns = append(txns, charge("C6", "C3", "USD", "2026-11", 4, 0)) // 10^15 − 1
		if _, err := l.Post(ctx, run, txns); err != nil {
			t.Fatal(err)
		}
		err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.ClosePeriod(ctx, "2026-10") })
		if !errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(),
			"invoice INV-2026-10-000002 totals 1000000000000000 or more minor units, more than a spreadsheet holds exactly; 2026-10 is not closed") {
			t.Fatalf("ClosePeriod(2026-10) = %v, want the invoice named", err)
		}
		if closed, err := l.IsClosed(ctx, "2026-10"); err != nil || closed {
			t.Errorf("2026-10 closed = %v, %v; want open", closed, err)
		}
		if err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.ClosePeriod(ctx, "2026-11") }); err != nil {
			t.Fatalf("ClosePeriod(2026-11), an invoice of 10^15 − 1: %v", err)
		}
	})
}

// TestC1_AMonthWhoseCurrencyTotalIsTooLargeForASpreadsheetIsNotClosed: each
// invoice is within MaxInvoiceMinor, but the Summary sheet's total of a
// currency is not: the month is refused before it is locked (it was locked,
// and its files could then never be written). The same total less one
// minor unit closes.
func TestC1_AMonthWhoseCurrencyTotalIsTooLargeForASpreadsheetIsNotClosed(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		const half = 500_000_000_000_000 // two invoices of it make 10^15
		txns := []ledger.Txn{
			charge("A", "C1", "USD", "2026-10", half, 0),
			charge("B", "C2", "USD", "2026-10", half, 0),
			charge("E", "C3", "EUR", "2026-10", 7, 0),
			charge("D", "C1", "USD", "2026-11", half, 0),
			charge("F", "C2", "USD", "2026-11", half-1, 0),
			charge("G", "C3", "USD", "2026-11", -half, 0), // a credit brings it back
			charge("H", "C4", "USD", "2026-11", half, 0),
		}
		if _, err := l.Post(ctx, run, txns); err != nil {
			t.Fatal(err)
		}
		err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.ClosePeriod(ctx, "2026-10") })
		if !errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(),
			"the USD invoices of 2026-10 total 1000000000000000 or more minor units, more than a spreadsheet's Summary total holds exactly; 2026-10 is not closed") {
			t.Fatalf("ClosePeriod(2026-10) = %v, want the currency named", err)
		}
		if closed, err := l.IsClosed(ctx, "2026-10"); err != nil || closed {
			t.Errorf("2026-10 closed = %v, %v; want open", closed, err)
		}
		if n, _, err := l.CountInvoices(ctx, "2026-10"); err != nil || n != 0 {
			t.Errorf("2026-10 has %d invoices after the refusal, %v; want none", n, err)
		}
		// November: 3 × half − 1 − half = 10^15 − 1: closed.
		if err := l.InTx(ctx, func(tx *ledger.Tx) error { return tx.ClosePeriod(ctx, "2026-11") }); err != nil {
			t.Fatalf("ClosePeriod(2026-11), a USD total of 10^15 − 1: %v", err)
		}
	})
}
