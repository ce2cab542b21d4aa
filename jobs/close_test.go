package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cspbill/invoice"
	"cspbill/invoice/output"
	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// skewed is a period source that adds one minor unit to the first invoice
// and its first line, consistently, so the files agree with themselves but
// not with the ledger.
type skewed struct{ *periodSource }

func (s skewed) Headers(fn func(invoice.Header) error) error {
	first := true
	return s.periodSource.Headers(func(h invoice.Header) error {
		if first {
			h.Net, h.Gross, first = h.Net+1, h.Gross+1, false
		}
		return fn(h)
	})
}

func (s skewed) Lines(fn func(invoice.Line) error) error {
	first := true
	return s.periodSource.Lines(func(l invoice.Line) error {
		if first {
			l.Net, l.Gross, first = l.Net+1, l.Gross+1, false
		}
		return fn(l)
	})
}

// extra is a period source with one more invoice than the ledger, after
// the last (a header and its line that agree).
type extra struct{ *periodSource }

const extraNumber = "INV-2026-10-999999"

func (s extra) Counts() (output.Counts, error) {
	c, err := s.periodSource.Counts()
	c.Invoices++
	c.Lines++
	return c, err
}

func (s extra) Headers(fn func(invoice.Header) error) error {
	if err := s.periodSource.Headers(fn); err != nil {
		return err
	}
	return fn(invoice.Header{InvoiceNumber: extraNumber, CustomerID: "ZZZ", CustomerName: "Ghost",
		Currency: invoice.MustCurrency("USD"), Net: 100, Tax: 0, Gross: 100, Lines: 1})
}

func (s extra) Lines(fn func(invoice.Line) error) error {
	if err := s.periodSource.Lines(fn); err != nil {
		return err
	}
	return fn(invoice.Line{InvoiceNumber: extraNumber, CustomerID: "ZZZ", Currency: invoice.MustCurrency("USD"),
		ChargeType: invoice.ChargeNew, OrderID: "O-GHOST", LineNo: 1, ChargeStart: invoice.MustDate("2026-10-01"),
		Quantity: 1, Net: 100, Gross: 100, Source: "ghost.csv:2"})
}

func TestClose_TieOutRefusesFilesThatDifferFromTheLedger(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, err := ledger.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		d := Deps{Ledger: l}
		out := t.TempDir()
		if _, err := Ingest(ctx, d, "../fixtures/inbox"); err != nil {
			t.Fatal(err)
		}
		oct, _ := invoice.ParseMonth("2026-10")
		if _, err := Close(ctx, d, CloseOptions{Period: oct, Out: out}); err != nil {
			t.Fatal(err)
		}
		src := &periodSource{ctx: ctx, l: l, period: oct}
		bad := t.TempDir()
		staged, err := output.Stage(ctx, bad, "2026-10", skewed{src}, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = tieOut(ctx, l, oct, staged)
		if err == nil || !strings.Contains(err.Error(), "tie-out 2026-10: invoice INV-2026-10-000001 in the files") {
			t.Fatalf("tie-out accepted files one cent off: %v", err)
		}
		staged.Discard()
		if _, err := os.Stat(filepath.Join(bad, "2026-10")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("files published after a failed tie-out: %v", err)
		}
		// An invoice in the files that the ledger does not have.
		staged, err = output.Stage(ctx, bad, "2026-10", extra{src}, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = tieOut(ctx, l, oct, staged)
		if err == nil || !strings.Contains(err.Error(), "the files hold invoice "+extraNumber) {
			t.Fatalf("tie-out accepted an invoice the ledger lacks: %v", err)
		}
		staged.Discard()
		// The honest source ties out.
		staged, err = output.Stage(ctx, bad, "2026-10", src, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer staged.Discard()
		if err := tieOut(ctx, l, oct, staged); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPost_DryRunWritesNothingAndSecondPostPostsNothing(t *testing.T) {
	ctx := context.Background()
	l, err := ledger.Open(ctx, ledgertest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d := Deps{Ledger: l}
	if _, err := Ingest(ctx, d, "../fixtures/inbox"); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		for _, err := range l.Posted(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	asOf := invoice.MustDate("2026-10-31")
	s, err := Post(ctx, d, asOf, true)
	if err != nil || s.Posted == 0 || count() != 0 {
		t.Fatalf("dry run: %+v %v, ledger holds %d", s, err, count())
	}
	would := s.Posted
	if s, err = Post(ctx, d, asOf, false); err != nil || s.Posted != would || count() != would {
		t.Fatalf("post: %d posted (dry run said %d), ledger %d, %v", s.Posted, would, count(), err)
	}
	if s, err = Post(ctx, d, asOf, false); err != nil || s.Posted != 0 || count() != would {
		t.Fatalf("second post posted %d, %v", s.Posted, err)
	}
}

// A post looks up nothing for order records no committed post has read
// (the post mark names the last one read). A ledger with transactions and
// no mark — posted before the mark existed — is looked up page by page:
// without that, the second post below would try to post October's charges
// again and fail on their keys.
func TestPost_ALedgerWithoutAMarkIsLookedUp(t *testing.T) {
	ctx := context.Background()
	run := func(dropMark bool) *ledger.Ledger {
		l, err := ledger.Open(ctx, ledgertest.SQLite(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		d := Deps{Ledger: l}
		if _, err := Ingest(ctx, d, "../fixtures/inbox"); err != nil {
			t.Fatal(err)
		}
		if _, err := Post(ctx, d, invoice.MustDate("2026-10-31"), false); err != nil {
			t.Fatal(err)
		}
		if dropMark {
			if _, err := l.DB().Exec(`DELETE FROM post_mark`); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Ingest(ctx, d, "../fixtures/inbox-2026-11"); err != nil {
			t.Fatal(err)
		}
		if _, err := Post(ctx, d, invoice.MustDate("2026-11-30"), false); err != nil {
			t.Fatalf("post after the second inbox (mark dropped %v): %v", dropMark, err)
		}
		return l
	}
	want := postedState(t, run(false))
	if len(want) == 0 {
		t.Fatal("nothing posted")
	}
	diffStates(t, postedState(t, run(true)), want)
}
