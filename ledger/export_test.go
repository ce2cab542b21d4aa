package ledger

import "context"

// SetAccountCache bounds the sets of known account names at n until restore.
func SetAccountCache(n int) (restore func()) {
	old := accountCache
	accountCache = n
	return func() { accountCache = old }
}

// KnownAccounts is the number of account names l knows to exist.
func KnownAccounts(l *Ledger) int {
	l.accountsMu.Lock()
	defer l.accountsMu.Unlock()
	return len(l.accounts)
}

// Query is a query the ledger runs, with its arguments, rebound for its
// database: for tests that read its plan.
type Query struct {
	Name string
	SQL  string
	Args []any
}

// StatusQueries are the queries that find records by status: the close's
// stamping, reading, keeping (holds) and listing of rejects.
func StatusQueries(l *Ledger, period string) []Query {
	q, args := l.recordsQuery(RecordFilter{Status: Rejected, Unreported: true})
	return []Query{
		{"MarkReported", l.rebind(markReported), []any{period}},
		{"Records(rejected, unreported)", q, args},
		{"Report (holds)", l.rebind(keepHolds), []any{period}},
		{"Listed", l.listedQuery(), []any{period, period}},
		{"CountListed", l.rebind(countListed), []any{period, period}},
	}
}

// PeriodQueries are the close's queries over a period's transactions:
// numbering its invoices, reading its lines (for the files and for
// reconciliation), tying its receivables.
func PeriodQueries(l *Ledger, period string) []Query {
	return []Query{
		{"assignInvoices", l.assignQuery(), []any{period}},
		{"InvoiceLines", l.rebind(l.selectLines(l.byBytes("i.number"))), []any{period}},
		{"InvoiceLinesByCustomer", l.rebind(l.selectLines("i.seq")), []any{period}},
		{"Unreceivables", l.unreceivablesQuery(), []any{period, period}},
	}
}

// EndOwnBackend ends the PostgreSQL backend serving t, as a server restart
// or a dropped network would; its own statement fails with the backend.
func (t *Tx) EndOwnBackend(ctx context.Context) {
	t.tx.ExecContext(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
}

// MigrateDownTo undoes l's migrations after version, for tests of a later
// migration's Up on a ledger made before it.
func MigrateDownTo(ctx context.Context, l *Ledger, version int64) error {
	p, err := l.migrator()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// SealEach is sealEach, for tests that make the sealing panic.
func SealEach(txns []Txn, seal func(*Txn) (string, error)) ([]string, error) {
	return sealEach(txns, seal)
}
