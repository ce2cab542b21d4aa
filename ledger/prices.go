package ledger

import (
	"context"
	"iter"

	"github.com/lib/pq"
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

// LockPrices records the price of terms whose first charge is being posted,
// in bulk. A term already locked keeps its first price.
func (t *Tx) LockPrices(ctx context.Context, runID string, prices []TermPrice) error {
	if len(prices) == 0 {
		return nil
	}
	if t.d == postgres {
		// One statement of two arrays: an INSERT of a thousand rows' values
		// at a time (parsed and planned each time) took ~10% of a post's
		// time on the server at 100,000 order lines.
		keys, units := make([]string, len(prices)), make([]string, len(prices))
		for i, p := range prices {
			keys[i], units[i] = p.TermKey, p.UnitPrice
		}
		// In the given order, so a term given twice keeps its first price.
		_, err := t.tx.ExecContext(ctx, `INSERT INTO term_prices (term_key, unit_price, run_id)
			SELECT k, u, $3 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(k, u, n) ORDER BY n
			ON CONFLICT (term_key) DO NOTHING`, pq.StringArray(keys), pq.StringArray(units), runID)
		return err
	}
	return t.insertValues(ctx, "term_prices", []string{"term_key", "unit_price", "run_id"},
		" ON CONFLICT (term_key) DO NOTHING", len(prices), func(row int, args []any) {
			args[0], args[1], args[2] = prices[row].TermKey, prices[row].UnitPrice, runID
		})
}

// LockNewPrices is LockPrices for terms the caller has just looked up and
// found unlocked while holding Lock, as PostNew is for keys: the prices are
// written as they are (COPY on PostgreSQL), and a term locked after all, or
// given twice, fails on the primary key, so nothing of the transaction is
// written. (INSERT … ON CONFLICT checked each price before inserting it:
// 5.2 s of a million order lines' post on the server, for ~1.1M prices.)
func (t *Tx) LockNewPrices(ctx context.Context, runID string, prices []TermPrice) error {
	return t.bulkInsert(ctx, "term_prices", []string{"term_key", "unit_price", "run_id"}, len(prices),
		func(row int, args []any) {
			args[0], args[1], args[2] = prices[row].TermKey, prices[row].UnitPrice, runID
		})
}
