package ledger

import (
	"context"
	"iter"
)

// TermPrice is the unit price a term was first billed at (SPEC C1), as the
// exact decimal string the catalog gave.
type TermPrice struct {
	TermKey   string `db:"term_key"`
	UnitPrice string `db:"unit_price"`
}

// TermPrices streams every locked term price.
func (r reader) TermPrices(ctx context.Context) iter.Seq2[TermPrice, error] {
	return rowsOf[TermPrice](ctx, r.q, `SELECT term_key, unit_price FROM term_prices ORDER BY term_key`)
}

// LockNewPrices records the price of terms whose first charge is being
// posted, terms the caller has just looked up and found unlocked while
// holding Lock, as PostNew is for keys: the prices are written as they are
// (COPY on PostgreSQL), and a term locked after all, or given twice, fails
// on the primary key, so nothing of the transaction is written. (INSERT …
// ON CONFLICT DO NOTHING checked each price before inserting it: 5.2 s of a
// million order lines' post on the server, for ~1.1M prices.)
func (t *Tx) LockNewPrices(ctx context.Context, runID string, prices []TermPrice) error {
	return t.bulkInsert(ctx, "term_prices", []string{"term_key", "unit_price", "run_id"}, len(prices),
		func(row int, args []any) {
			args[0], args[1], args[2] = prices[row].TermKey, prices[row].UnitPrice, runID
		})
}
