package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// IsClosed reports whether month ("YYYY-MM") is closed.
func (r reader) IsClosed(ctx context.Context, month string) (bool, error) {
	var n int
	err := sqlxGet(ctx, r, &n, `SELECT COUNT(*) FROM periods WHERE month = ? AND status = 'closed'`, month)
	return n > 0, err
}

// ClosedPeriods returns the closed months in order.
func (r reader) ClosedPeriods(ctx context.Context) ([]string, error) {
	var ms []string
	err := sqlxSelect(ctx, r, &ms, `SELECT month FROM periods WHERE status = 'closed' ORDER BY month`)
	return ms, err
}

func (r reader) closedSet(ctx context.Context) (map[string]bool, error) {
	ms, err := r.ClosedPeriods(ctx)
	set := make(map[string]bool, len(ms))
	for _, m := range ms {
		set[m] = true
	}
	return set, err
}

// FirstOpen returns month if it is open, else the first open month after it:
// where something dated in month posts (SPEC P1, K5).
func (r reader) FirstOpen(ctx context.Context, month string) (string, error) {
	if !isMonth(month) {
		return "", fmt.Errorf("%w: month %q is not YYYY-MM", ErrInvalid, month)
	}
	closed, err := r.ClosedPeriods(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range closed {
		if c == month {
			month = nextMonth(month)
		} else if c > month {
			break
		}
	}
	return month, nil
}

func nextMonth(m string) string {
	t, _ := time.Parse("2006-01", m)
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// BillFrom returns the cutover month (SPEC P2), "" while none is set.
func (r reader) BillFrom(ctx context.Context) (string, error) {
	var m sql.NullString
	err := sqlxGet(ctx, r, &m, `SELECT bill_from FROM settings WHERE id = 1`)
	return m.String, err
}

// CutoverRecord returns the id of the last source record that arrived
// before the ledger's first close (SPEC P2), 0 before it (and on a ledger
// closed before migration 00013 whose records could not be dated).
func (r reader) CutoverRecord(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := sqlxGet(ctx, r, &id, `SELECT cutover_record FROM settings WHERE id = 1`)
	return id.Int64, err
}

// SetCutoverRecord records, at the first close, the last source record that
// arrived before it. Once set it never changes.
func (t *Tx) SetCutoverRecord(ctx context.Context) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE settings SET cutover_record = (SELECT COALESCE(MAX(id), 0) FROM source_records)
		WHERE id = 1 AND cutover_record IS NULL`)
	return err
}

// SetBillFrom sets the cutover month once. Setting the same month again does
// nothing; another month is refused (ErrInvalid).
func (l *Ledger) SetBillFrom(ctx context.Context, month string) error {
	return l.InTx(ctx, func(tx *Tx) error { return tx.SetBillFrom(ctx, month) })
}

// SetBillFrom is Ledger.SetBillFrom inside an open transaction.
func (t *Tx) SetBillFrom(ctx context.Context, month string) error {
	if !isMonth(month) {
		return fmt.Errorf("%w: bill-from %q is not YYYY-MM", ErrInvalid, month)
	}
	cur, err := t.BillFrom(ctx)
	switch {
	case err != nil:
		return err
	case cur == month:
		return nil
	case cur != "":
		return fmt.Errorf("%w: the ledger already bills from %s; bill-from %s refused", ErrInvalid, cur, month)
	}
	_, err = t.tx.ExecContext(ctx, t.rebind(`UPDATE settings SET bill_from = ? WHERE id = 1`), month)
	return err
}

// ClosePeriod numbers the invoices of month and locks it, in one database
// transaction, and returns its invoices by number. Invoices are one per
// (customer, currency) with invoiced transactions in the month, numbered
// gaplessly from INV-YYYY-MM-000001 in byte order of customer id, then
// currency (SPEC P5). Closing a closed period changes nothing and returns
// its invoices. Which months to close, and in what order, is the caller's
// business (SPEC P1).
func (l *Ledger) ClosePeriod(ctx context.Context, month string) ([]Invoice, error) {
	if err := l.InTx(ctx, func(tx *Tx) error { return tx.ClosePeriod(ctx, month) }); err != nil {
		return nil, err
	}
	var invs []Invoice
	for inv, err := range l.Invoices(ctx, month) {
		if err != nil {
			return nil, err
		}
		invs = append(invs, inv)
	}
	return invs, nil
}

// ClosePeriod is Ledger.ClosePeriod inside an open transaction, without
// reading the invoices back (Invoices streams them).
func (t *Tx) ClosePeriod(ctx context.Context, month string) error {
	if !isMonth(month) {
		return fmt.Errorf("%w: period %q is not YYYY-MM", ErrInvalid, month)
	}
	if t.d == postgres {
		// Waits for Posts in flight (SHARE) and keeps new ones out until
		// commit, so nothing lands in the month between numbering and lock.
		if _, err := t.tx.ExecContext(ctx, `LOCK TABLE periods IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
	}
	closed, err := t.IsClosed(ctx, month)
	if err != nil || closed {
		return err
	}
	if err := t.assignInvoices(ctx, month); err != nil {
		return err
	}
	if err := t.checkInvoiceSizes(ctx, month); err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, t.rebind(`INSERT INTO periods (month, status, closed_at)
		VALUES (?, 'closed', ?)
		ON CONFLICT (month) DO UPDATE SET status = 'closed', closed_at = excluded.closed_at`),
		month, t.l.stamp())
	return err
}

// assignInvoices creates the invoices of an open month: one per customer and
// currency with invoiced transactions, numbered gaplessly. Only ClosePeriod
// calls it: a numbered month must be locked in the same transaction, so its
// invoices keep exactly the transactions they were summed from.
//
// Transactions are not stamped with their invoice's number: the invoice of
// an invoiced transaction is the one of its period, customer and currency
// (UNIQUE in invoices), and the reads join on that. Stamping was an UPDATE
// of every invoiced line of the month, rows spread over the whole txns
// table, each leaving a dead version behind: at a million order lines it was
// a third of the close. Transactions closed before this have their number
// in txns.invoice_number, which Verify checks against the same join.
func (t *Tx) assignInvoices(ctx context.Context, month string) error {
	// Numbered in the database, in byte order of customer id then currency
	// (byBytes) so both databases number alike whatever their collation:
	// nothing here holds the month's invoices, however many.
	_, err := t.tx.ExecContext(ctx, t.assignQuery(), month)
	return err
}

func (r reader) assignQuery() string {
	number := `printf('INV-%s-%06d', period, seq)`
	if r.d == postgres {
		number = `'INV-' || period || '-' || lpad(seq::text, greatest(6, length(seq::text)), '0')`
	}
	return r.rebind(`INSERT INTO invoices (` + strings.Join(invoiceColumns, ", ") + `)
	SELECT ` + number + `, period, seq, customer_id, currency, net, tax, gross, lines FROM (
		SELECT period, customer_id, currency,
			CAST(SUM(net) AS BIGINT) AS net, CAST(SUM(tax) AS BIGINT) AS tax,
			CAST(SUM(gross) AS BIGINT) AS gross, COUNT(*) AS lines,
			ROW_NUMBER() OVER (ORDER BY ` + r.byBytes("customer_id") + `, ` + r.byBytes("currency") + `) AS seq
		FROM txns WHERE period = ? AND invoiced
		GROUP BY period, customer_id, currency
	) g ORDER BY seq`)
}

// MaxInvoiceMinor bounds an invoice's net, tax and gross (exclusive), in
// minor units: 10^15, 15 significant digits, the most a spreadsheet's number
// cell holds exactly. Lines are bounded where they are priced (invoice's
// MaxLineMinor, 10^14); a month whose invoice would pass this is not closed,
// rather than closed with files that cannot be written.
const MaxInvoiceMinor = 1_000_000_000_000_000

// checkInvoiceSizes refuses the month's invoices if one passes
// MaxInvoiceMinor, or if a currency's total of them does: the workbook's
// Summary sheet carries each currency's net, tax and gross total, and a
// month the files cannot be written for must not be locked (it was, until
// the eleventh session: eleven invoices of 999,999,999,999.99 USD each
// locked October, and every later close failed to write it; found by an
// audit of the workbook).
func (t *Tx) checkInvoiceSizes(ctx context.Context, month string) error {
	limits := []any{MaxInvoiceMinor, -MaxInvoiceMinor, MaxInvoiceMinor, -MaxInvoiceMinor, MaxInvoiceMinor, -MaxInvoiceMinor}
	var numbers []string
	err := sqlxSelect(ctx, t.reader, &numbers, `SELECT number FROM invoices WHERE period = ? AND (
		net >= ? OR net <= ? OR tax >= ? OR tax <= ? OR gross >= ? OR gross <= ?) ORDER BY seq LIMIT 1`,
		append([]any{month}, limits...)...)
	if err != nil {
		return err
	}
	if len(numbers) > 0 {
		return fmt.Errorf("%w: invoice %s totals %d or more minor units, more than a spreadsheet holds exactly; %s is not closed",
			ErrInvalid, numbers[0], int64(MaxInvoiceMinor), month)
	}
	var currencies []string
	err = sqlxSelect(ctx, t.reader, &currencies, `SELECT currency FROM invoices WHERE period = ? GROUP BY currency
		HAVING SUM(net) >= ? OR SUM(net) <= ? OR SUM(tax) >= ? OR SUM(tax) <= ? OR SUM(gross) >= ? OR SUM(gross) <= ?
		ORDER BY `+t.byBytes("currency")+` LIMIT 1`, append([]any{month}, limits...)...)
	if err != nil {
		return err
	}
	if len(currencies) > 0 {
		return fmt.Errorf("%w: the %s invoices of %s total %d or more minor units, more than a spreadsheet's Summary total holds exactly; %s is not closed",
			ErrInvalid, currencies[0], month, int64(MaxInvoiceMinor), month)
	}
	return nil
}

var invoiceColumns = []string{"number", "period", "seq", "customer_id", "currency", "net", "tax", "gross", "lines"}

// stamp is the ledger clock as fixed-width RFC 3339 UTC text.
func (l *Ledger) stamp() string {
	return l.now().UTC().Format("2006-01-02T15:04:05.000000Z")
}

// MarkPublished records that period's files were published by run (a
// second time changes nothing).
func (l *Ledger) MarkPublished(ctx context.Context, period, run string) error {
	_, err := l.db.ExecContext(ctx, l.rebind(`INSERT INTO published (period, run_id) VALUES (?, ?)
		ON CONFLICT (period) DO NOTHING`), period, run)
	return err
}

// Unpublished lists the closed periods whose files were never published
// (a close stopped between locking a month and writing it), oldest first.
func (r reader) Unpublished(ctx context.Context) ([]string, error) {
	var out []string
	err := sqlxSelect(ctx, r, &out, `SELECT p.month FROM periods p
		WHERE p.status = 'closed' AND NOT EXISTS (SELECT 1 FROM published u WHERE u.period = p.month)
		ORDER BY p.month`)
	return out, err
}
