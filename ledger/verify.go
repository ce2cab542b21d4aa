package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// invariants are SPEC §5 (and the ledger's own rules) as queries that
// return the offending keys; an empty result means the invariant holds.
var invariants = []struct{ name, query string }{
	{"transaction debits = credits", `SELECT t.key FROM txns t LEFT JOIN postings p ON p.txn_id = t.id
		GROUP BY t.id, t.key HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.txn_id) < 2`},
	{"receivable postings = gross", `SELECT t.key FROM txns t WHERE t.gross <> COALESCE((
		SELECT SUM(p.amount) FROM postings p WHERE p.txn_id = t.id AND p.account LIKE 'receivable:%'), 0)`},
	{"customer debits = credits", `SELECT t.customer_id FROM txns t JOIN postings p ON p.txn_id = t.id
		GROUP BY t.customer_id HAVING SUM(p.amount) <> 0`},
	{"period debits = credits", `SELECT period FROM postings GROUP BY period HAVING SUM(amount) <> 0`},
	{"credit within what it credits", `SELECT c.key FROM txns cr JOIN txns c ON c.key = cr.credits_key
		GROUP BY c.key, c.gross HAVING ABS(SUM(cr.gross)) > ABS(c.gross)`},
	{"invoice totals = its lines", `SELECT i.number FROM invoices i LEFT JOIN txns t ON ` + onInvoice + `
		GROUP BY i.number, i.net, i.tax, i.gross, i.lines
		HAVING COALESCE(SUM(t.net), 0) <> i.net OR COALESCE(SUM(t.tax), 0) <> i.tax
			OR COALESCE(SUM(t.gross), 0) <> i.gross OR COUNT(t.id) <> i.lines`},
	{"invoice numbers gapless", `SELECT period FROM invoices GROUP BY period HAVING MAX(seq) <> COUNT(*)`},
	{"closed periods fully invoiced", `SELECT t.key FROM txns t JOIN periods p ON p.month = t.period
		WHERE p.status = 'closed' AND t.invoiced AND NOT EXISTS (SELECT 1 FROM invoices i WHERE ` + onInvoice + `)`},
	// Closes before invoices were joined stamped each line with its number.
	{"a stamped invoice number is the line's invoice", `SELECT t.key FROM txns t
		WHERE t.invoice_number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM invoices i
			WHERE i.number = t.invoice_number AND ` + onInvoice + `)`},
}

// Verify checks SPEC §5 over the whole ledger: debits = credits per
// transaction, customer and period; receivable postings = gross; credits
// within what they credit; invoice totals = their lines; gapless numbers;
// closed periods fully invoiced. It returns nil or every broken invariant
// with up to five offenders each.
func (r reader) Verify(ctx context.Context) error {
	var errs []error
	for _, inv := range invariants {
		var bad []string
		if err := sqlxSelect(ctx, r, &bad, inv.query+` LIMIT 5`); err != nil {
			return fmt.Errorf("ledger: verify %s: %w", inv.name, err)
		}
		if len(bad) > 0 {
			errs = append(errs, fmt.Errorf("ledger: invariant %q broken by %s", inv.name, strings.Join(bad, ", ")))
		}
	}
	return errors.Join(errs...)
}
