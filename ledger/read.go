package ledger

import (
	"context"
	"iter"

	"github.com/jmoiron/sqlx"
)

// rowsOf streams the rows of query as T (scanned by `db` tags). Breaking out
// of the loop closes the rows; an error is yielded once, last.
func rowsOf[T any](ctx context.Context, q sqlx.QueryerContext, query string, args ...any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		rows, err := q.QueryxContext(ctx, query, args...)
		if err != nil {
			yield(zero, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var v T
			if err := rows.StructScan(&v); err != nil {
				yield(zero, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(zero, err)
		}
	}
}

// PostedTxn is what recompute-and-diff needs of a posted transaction.
type PostedTxn struct {
	Key           string `db:"key"`
	Hash          string `db:"hash"` // Txn.Hash of what was posted
	Period        string `db:"period"`
	Invoiced      bool   `db:"invoiced"`
	InvoiceNumber string `db:"invoice_number"` // set by Posted once its period closed, if invoiced; Lookup leaves it ""
	Date          string `db:"date"`
	CustomerID    string `db:"customer_id"`
	Currency      string `db:"currency"`
	ChargeType    string `db:"charge_type"`
	CreditsKey    string `db:"credits_key"`
	ChargeEnd     string `db:"charge_end"`
	Quantity      int64  `db:"quantity"`
	Net           int64  `db:"net"`
	Tax           int64  `db:"tax"`
	Gross         int64  `db:"gross"`
	RunID         string `db:"run_id"`
}

// selectPosted is what Lookup reads of a posted transaction: not its
// invoice, which would cost it one more probe per key while posting.
const selectPosted = `SELECT key, hash, period, invoiced, '' AS invoice_number,
	date, customer_id, currency, charge_type, COALESCE(credits_key, '') AS credits_key,
	charge_end, quantity, net, tax, gross, run_id FROM txns`

// onInvoice is the condition that invoice i holds transaction t: t is
// invoiced and i is the invoice of its period, customer and currency (one
// at most, UNIQUE; only once the period is closed). Reads and Verify join
// on it; nothing is stamped on t.
const onInvoice = `t.invoiced AND i.period = t.period AND i.customer_id = t.customer_id AND i.currency = t.currency`

// Posted streams every posted transaction in posting order, with the
// number of the invoice it is on.
func (r reader) Posted(ctx context.Context) iter.Seq2[PostedTxn, error] {
	return rowsOf[PostedTxn](ctx, r.q, `SELECT t.key, t.hash, t.period, t.invoiced,
	COALESCE(i.number, '') AS invoice_number, t.date, t.customer_id, t.currency, t.charge_type,
	COALESCE(t.credits_key, '') AS credits_key, t.charge_end, t.quantity, t.net, t.tax, t.gross, t.run_id
	FROM txns t LEFT JOIN invoices i ON `+onInvoice+` ORDER BY t.id`)
}

// Line is one invoice line (SPEC §4 invoice-lines.csv) of a closed period.
type Line struct {
	InvoiceNumber   string `db:"invoice_number"`
	CustomerID      string `db:"customer_id"`
	Currency        string `db:"currency"`
	ChargeType      string `db:"charge_type"`
	OrderID         string `db:"order_id"`
	LineNo          int    `db:"line_no"`
	SubscriptionID  string `db:"subscription_id"`
	SKU             string `db:"sku"`
	Description     string `db:"description"`
	ChargeStart     string `db:"charge_start"`
	ChargeEnd       string `db:"charge_end"`
	Quantity        int64  `db:"quantity"`
	Net             int64  `db:"net"`
	Tax             int64  `db:"tax"`
	Gross           int64  `db:"gross"`
	Source          string `db:"source"`
	CreditedInvoice string `db:"credited_invoice"` // invoice that billed the credited charge; "" if none
	Key             string `db:"key"`
	Date            string `db:"date"`
}

// A line is a credit when it credits something or is a cancelImmediate;
// credits sort after charges with the same start, order and line. Text sorts
// byte by byte (byBytes), so both databases give the same order whatever
// their collation.
func (r reader) selectLines(invoiceOrder string) string {
	return `SELECT i.number AS invoice_number, t.customer_id, t.currency, t.charge_type, t.order_id,
	t.line_no, t.subscription_id, t.sku, t.description, t.charge_start, t.charge_end,
	t.quantity, t.net, t.tax, t.gross, t.source,
	COALESCE(ci.number, '') AS credited_invoice, t.key, t.date
FROM txns t JOIN invoices i ON ` + onInvoice + `
LEFT JOIN txns c ON c.key = t.credits_key
LEFT JOIN invoices ci ON c.invoiced AND ci.period = c.period AND ci.customer_id = c.customer_id AND ci.currency = c.currency
WHERE t.period = ? AND t.invoiced
ORDER BY ` + invoiceOrder + `, t.charge_start, ` + r.byBytes("t.order_id") + `, t.line_no,
	CASE WHEN t.credits_key IS NOT NULL OR t.charge_type = 'cancelImmediate' THEN 1 ELSE 0 END,
	` + r.byBytes("t.key")
}

// byBytes makes a text sort key compare byte by byte, as Go compares
// strings, whatever the database's collation (SQLite's default, BINARY,
// already does).
func (r reader) byBytes(expr string) string {
	if r.d == postgres {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// InvoiceLines streams the lines of the invoices of a closed period, ordered
// by invoice number (byte order, as Invoices), charge_start, order_id,
// line_no, charges before credits (then business key, so the order is
// total). An open period has none.
func (r reader) InvoiceLines(ctx context.Context, period string) iter.Seq2[Line, error] {
	return rowsOf[Line](ctx, r.q, r.rebind(r.selectLines(r.byBytes("i.number"))), period)
}

// InvoiceLinesByCustomer streams the same lines ordered by invoice seq:
// grouped by customer id, byte by byte, then currency (the order invoices
// are numbered in), each invoice's lines in the order of InvoiceLines.
// Reconciliation merges them with Partner Center's rows by customer.
func (r reader) InvoiceLinesByCustomer(ctx context.Context, period string) iter.Seq2[Line, error] {
	return rowsOf[Line](ctx, r.q, r.rebind(r.selectLines("i.seq")), period)
}

// Invoice is one invoice of a period: one per customer and currency with
// lines (SPEC P5).
type Invoice struct {
	Number     string `db:"number"` // INV-YYYY-MM-000001
	Period     string `db:"period"`
	Seq        int    `db:"seq"`
	CustomerID string `db:"customer_id"`
	Currency   string `db:"currency"`
	Net        int64  `db:"net"`
	Tax        int64  `db:"tax"`
	Gross      int64  `db:"gross"`
	Lines      int64  `db:"lines"`
}

// Invoices streams the invoices of a period by number, byte by byte (the
// order of InvoiceLines; it is the order of seq up to 999,999 invoices).
func (r reader) Invoices(ctx context.Context, period string) iter.Seq2[Invoice, error] {
	return r.InvoicesAfter(ctx, period, "", -1)
}

// InvoicesAfter streams at most limit (-1: all) invoices of a period whose
// numbers come after the number after, in the order of Invoices: a page
// of them.
func (r reader) InvoicesAfter(ctx context.Context, period, after string, limit int) iter.Seq2[Invoice, error] {
	q := `SELECT number, period, seq, customer_id, currency, net, tax, gross, lines
		FROM invoices WHERE period = ? AND ` + r.byBytes("number") + ` > ?
		ORDER BY ` + r.byBytes("number")
	args := []any{period, after}
	if limit >= 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	return rowsOf[Invoice](ctx, r.q, r.rebind(q), args...)
}

// CountInvoices is the number of invoices of a period and the number of
// lines they hold.
func (r reader) CountInvoices(ctx context.Context, period string) (invoices, lines int, err error) {
	var c struct {
		Invoices int `db:"invoices"`
		Lines    int `db:"lines"`
	}
	err = sqlxGet(ctx, r, &c, `SELECT COUNT(*) AS invoices, CAST(COALESCE(SUM(lines), 0) AS BIGINT) AS lines
		FROM invoices WHERE period = ?`, period)
	return c.Invoices, c.Lines, err
}

// Unreceivable is a customer and currency of a closed period whose
// receivable movement differs from the gross of its invoice.
type Unreceivable struct {
	CustomerID string `db:"customer_id"`
	Currency   string `db:"currency"`
	Receivable int64  `db:"receivable"` // Σ receivable postings of its invoiced transactions
	Invoiced   int64  `db:"invoiced"`   // its invoice's gross (0: no invoice)
}

// Unreceivables streams the customers and currencies of a period whose
// receivable movement (invoiced transactions only) is not the gross of
// their invoice (SPEC §5), in byte order of customer and currency: none
// when the period ties. The database compares them, so nothing held here
// grows with the number of customers.
func (r reader) Unreceivables(ctx context.Context, period string) iter.Seq2[Unreceivable, error] {
	// One aggregate over both sides (a FULL JOIN of the two sums took
	// SQLite 9 s at 100,000 order lines).
	return rowsOf[Unreceivable](ctx, r.q, r.unreceivablesQuery(), period, period)
}

func (r reader) unreceivablesQuery() string {
	return r.rebind(`SELECT customer_id, currency,
		CAST(SUM(receivable) AS BIGINT) AS receivable, CAST(SUM(invoiced) AS BIGINT) AS invoiced
	FROM (
		SELECT t.customer_id, t.currency, p.amount AS receivable, 0 AS invoiced
		FROM txns t JOIN postings p ON p.txn_id = t.id
		WHERE t.period = ? AND t.invoiced AND p.account LIKE 'receivable:%'
		UNION ALL
		SELECT customer_id, currency, 0, gross FROM invoices WHERE period = ?
	) u
	GROUP BY customer_id, currency
	HAVING SUM(receivable) <> SUM(invoiced)
	ORDER BY ` + r.byBytes("customer_id") + `, ` + r.byBytes("currency"))
}

// Movement is the receivable movement of one customer and currency in a
// period: the sum of its receivable postings.
type Movement struct {
	CustomerID string `db:"customer_id"`
	Currency   string `db:"currency"`
	Receivable int64  `db:"receivable"` // invoiced transactions: ties to the invoices' gross
	Unbilled   int64  `db:"unbilled"`   // transactions before the cutover (on no invoice)
}

// Receivables streams the receivable movement per customer and currency
// of a period, for the tie check of SPEC §5.
func (r reader) Receivables(ctx context.Context, period string) iter.Seq2[Movement, error] {
	return rowsOf[Movement](ctx, r.q, r.rebind(`SELECT t.customer_id, t.currency,
		CAST(COALESCE(SUM(CASE WHEN t.invoiced THEN p.amount ELSE 0 END), 0) AS BIGINT) AS receivable,
		CAST(COALESCE(SUM(CASE WHEN t.invoiced THEN 0 ELSE p.amount END), 0) AS BIGINT) AS unbilled
	FROM txns t JOIN postings p ON p.txn_id = t.id
	WHERE t.period = ? AND p.account LIKE 'receivable:%'
	GROUP BY t.customer_id, t.currency
	ORDER BY t.customer_id, t.currency`), period)
}

// sqlxGet and sqlxSelect run a query written with ? placeholders.
func sqlxGet(ctx context.Context, r reader, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, r.q, dest, r.rebind(query), args...)
}

func sqlxSelect(ctx context.Context, r reader, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, r.q, dest, r.rebind(query), args...)
}
