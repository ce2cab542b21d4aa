package ledger

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
)

// Run is one job run (ingest, post, close, …).
type Run struct {
	ID       string `db:"id"`
	Command  string `db:"command"`
	AsOf     string `db:"as_of"`
	Started  string `db:"started"`  // RFC 3339 UTC
	Finished string `db:"finished"` // "" while running (or killed)
	Outcome  string `db:"outcome"`  // "running" until FinishRun
	Counts   string `db:"counts"`   // JSON
}

// StartRun records the start of a job run and returns its id, which every
// posting, source record and inbox file it writes names (SPEC P3). It
// commits at once, so a failed or killed run is still on record.
func (l *Ledger) StartRun(ctx context.Context, command, asOf string) (string, error) {
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	now := l.now().UTC()
	id := now.Format("20060102T150405.000Z") + "-" + hex.EncodeToString(rnd[:])
	_, err := l.db.ExecContext(ctx, l.rebind(`INSERT INTO job_runs (id, command, as_of, started)
		VALUES (?, ?, ?, ?)`), id, command, asOf, l.stamp())
	return id, err
}

// FinishRun records how a run ended; counts is marshalled to JSON (a map
// marshals with sorted keys).
func (l *Ledger) FinishRun(ctx context.Context, id, outcome string, counts any) error {
	b, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("ledger: run %s counts: %w", id, err)
	}
	res, err := l.db.ExecContext(ctx, l.rebind(`UPDATE job_runs SET finished = ?, outcome = ?, counts = ?
		WHERE id = ?`), l.stamp(), outcome, string(b), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: no run %q", ErrInvalid, id)
	}
	return nil
}

// Runs streams the job runs, oldest first.
func (r reader) Runs(ctx context.Context) iter.Seq2[Run, error] {
	return rowsOf[Run](ctx, r.q, `SELECT id, command, as_of, started, COALESCE(finished, '') AS finished,
		outcome, counts FROM job_runs ORDER BY started, id`)
}

// InboxFile is one inbox file loaded into the ledger. A file is known by its
// name (the base name, as in the inbox folder) and its content hash
// together: the same name with the same content is the same file, loaded
// once (SPEC §6, P4); a new name or new content is a new file, read and
// judged row by row even when its bytes equal another file's (V6 decides
// what its rows repeat).
type InboxFile struct {
	ID           int64  `db:"id"`
	Name         string `db:"name"`
	Hash         string `db:"hash"`
	Kind         string `db:"kind"`
	RowsRead     int64  `db:"rows_read"` // = RowsAccepted + RowsRejected (checked by the database)
	RowsAccepted int64  `db:"rows_accepted"`
	RowsRejected int64  `db:"rows_rejected"`
	RunID        string `db:"run_id"`
}

// AddFile records f and sets f.ID. It returns false, writing nothing, when a
// file with the same name and hash is already loaded (the database refuses
// a second one: UNIQUE (name, hash)).
func (l *Ledger) AddFile(ctx context.Context, f *InboxFile) (added bool, err error) {
	err = l.InTx(ctx, func(tx *Tx) error {
		added, err = tx.AddFile(ctx, f)
		return err
	})
	return added, err
}

// AddFile is Ledger.AddFile inside an open transaction.
func (t *Tx) AddFile(ctx context.Context, f *InboxFile) (bool, error) {
	if loaded, err := t.FileLoaded(ctx, f.Name, f.Hash); err != nil || loaded {
		return false, err
	}
	var id int64
	err := sqlxGet(ctx, t.reader, &id, `INSERT INTO inbox_files
		(name, hash, kind, rows_read, rows_accepted, rows_rejected, run_id)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Name, f.Hash, f.Kind, f.RowsRead, f.RowsAccepted, f.RowsRejected, f.RunID)
	if err != nil {
		return false, fmt.Errorf("ledger: inbox file %s: %w", f.Name, err)
	}
	f.ID = id
	return true, nil
}

// FileLoaded reports whether a file with this name and content hash is
// loaded. A file with the same hash under another name does not count: it
// is a new file, whose rows are judged (SPEC V6).
func (r reader) FileLoaded(ctx context.Context, name, hash string) (bool, error) {
	var n int
	err := sqlxGet(ctx, r, &n, `SELECT COUNT(*) FROM inbox_files WHERE name = ? AND hash = ?`, name, hash)
	return n > 0, err
}

// Files streams the loaded inbox files in load order.
func (r reader) Files(ctx context.Context) iter.Seq2[InboxFile, error] {
	return rowsOf[InboxFile](ctx, r.q, `SELECT id, name, hash, kind, rows_read, rows_accepted,
		rows_rejected, run_id FROM inbox_files ORDER BY id`)
}

// Source record statuses.
const (
	Accepted = "accepted"
	Held     = "held"
	Rejected = "rejected"
	Seen     = "seen" // identical to a record already accepted (SPEC V6)
)

// SourceRecord is one input row as the ledger keeps it: accepted, held,
// rejected or seen, with the rule and message of a reject or hold.
type SourceRecord struct {
	ID             int64  `db:"id"`
	Kind           string `db:"kind"` // customers, catalog, taxes, orders, …
	Key            string `db:"key"`  // business key, e.g. "ORD1/1"
	Hash           string `db:"hash"`
	Raw            string `db:"raw"` // JSON object of the contract columns
	File           string `db:"file"`
	Line           int64  `db:"line"`
	Status         string `db:"status"`
	Rule           string `db:"rule"`
	Message        string `db:"message"`
	Support        string `db:"support"` // what a support request needs (K1), JSON
	RunID          string `db:"run_id"`
	ReportedPeriod string `db:"reported_period"` // month of the close that listed it; "" not yet
	Ref            string `db:"ref"`             // a second key: an order line's subscription_id
}

var recordColumns = []string{"id", "kind", "key", "hash", "raw", "file", "line", "status",
	"rule", "message", "support", "run_id", "reported_period", "ref"}

// AddRecords writes recs in bulk and sets their IDs.
func (l *Ledger) AddRecords(ctx context.Context, recs []SourceRecord) error {
	return l.InTx(ctx, func(tx *Tx) error { return tx.AddRecords(ctx, recs) })
}

// AddRecords is Ledger.AddRecords inside an open transaction. Records
// numbered by NumberRecords keep their ids; the others get theirs here.
func (t *Tx) AddRecords(ctx context.Context, recs []SourceRecord) error {
	for i := range recs {
		if !validStatus(recs[i].Status) {
			return fmt.Errorf("%w: record %s:%d: status %q", ErrInvalid, recs[i].File, recs[i].Line, recs[i].Status)
		}
	}
	if err := t.NumberRecords(ctx, recs); err != nil {
		return err
	}
	return t.bulkInsert(ctx, "source_records", recordColumns, len(recs), func(n int, a []any) {
		r := &recs[n]
		var reported any
		if r.ReportedPeriod != "" {
			reported = r.ReportedPeriod
		}
		a[0], a[1], a[2], a[3], a[4], a[5] = r.ID, r.Kind, r.Key, r.Hash, r.Raw, r.File
		a[6], a[7], a[8], a[9], a[10] = r.Line, r.Status, r.Rule, r.Message, r.Support
		a[11], a[12], a[13] = r.RunID, reported, r.Ref
	})
}

// NumberRecords gives the records without an id (ID 0) the ids AddRecords
// will store them under, in order and above every id given before, so a
// caller can name them before they are written. Write them (AddRecords)
// before numbering or adding any other record: on SQLite an id is the
// highest stored one plus one, free until then because one transaction
// writes at a time; on PostgreSQL the ids are taken from the sequence.
func (t *Tx) NumberRecords(ctx context.Context, recs []SourceRecord) error {
	var todo []int
	for i := range recs {
		if recs[i].ID == 0 {
			todo = append(todo, i)
		}
	}
	ids, err := t.allocIDs(ctx, "source_records", len(todo))
	if err != nil {
		return err
	}
	for n, i := range todo {
		recs[i].ID = ids[n]
	}
	return nil
}

func validStatus(s string) bool {
	return s == Accepted || s == Held || s == Rejected || s == Seen
}

// SetStatus changes the status, rule and message of the records ids (held →
// accepted when a tax rate or an order line arrives).
func (l *Ledger) SetStatus(ctx context.Context, ids []int64, status, rule, message string) error {
	return l.InTx(ctx, func(tx *Tx) error { return tx.SetStatus(ctx, ids, status, rule, message) })
}

// SetStatus is Ledger.SetStatus inside an open transaction.
func (t *Tx) SetStatus(ctx context.Context, ids []int64, status, rule, message string) error {
	if !validStatus(status) {
		return fmt.Errorf("%w: status %q", ErrInvalid, status)
	}
	for off := 0; off < len(ids); off += lookupChunk {
		chunk := ids[off:min(off+lookupChunk, len(ids))]
		args := []any{status, rule, message}
		for _, id := range chunk {
			args = append(args, id)
		}
		_, err := t.tx.ExecContext(ctx, t.rebind(`UPDATE source_records SET status = ?, rule = ?, message = ?
			WHERE id IN (`+strings.Repeat("?, ", len(chunk)-1)+`?)`), args...)
		if err != nil {
			return err
		}
	}
	return nil
}

// MarkReported stamps every rejected record not yet listed by a close with
// period, and returns how many it stamped. Held records stay unstamped: they
// are listed at every close while held.
func (l *Ledger) MarkReported(ctx context.Context, period string) (int64, error) {
	var n int64
	err := l.InTx(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.MarkReported(ctx, period)
		return err
	})
	return n, err
}

// MarkReported is Ledger.MarkReported inside an open transaction.
func (t *Tx) MarkReported(ctx context.Context, period string) (int64, error) {
	if !isMonth(period) {
		return 0, fmt.Errorf("%w: period %q is not YYYY-MM", ErrInvalid, period)
	}
	res, err := t.tx.ExecContext(ctx, t.rebind(markReported), period)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// markReported stamps the rejected records no close has listed yet.
const markReported = `UPDATE source_records SET reported_period = ?
	WHERE status = '` + Rejected + `' AND reported_period IS NULL`

// RecordFilter selects source records; zero fields match everything.
type RecordFilter struct {
	Kind       string
	Status     string
	Key        string
	Unreported bool // only records no close has listed yet
}

// Records streams the source records matching f in the order they were added.
func (r reader) Records(ctx context.Context, f RecordFilter) iter.Seq2[SourceRecord, error] {
	q, args := r.recordsQuery(f)
	return rowsOf[SourceRecord](ctx, r.q, q, args...)
}

func (r reader) recordsQuery(f RecordFilter) (string, []any) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{{"kind", f.Kind}, {"status", f.Status}, {"key", f.Key}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if f.Unreported {
		where = append(where, "reported_period IS NULL")
	}
	q := selectRecord
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return r.rebind(q + " ORDER BY id"), args
}

// Listed is a row of a period's rejects.csv: a record that period's close
// listed as rejected, or one still held.
type Listed struct {
	File    string `db:"file"`
	Line    int64  `db:"line"`
	Key     string `db:"key"`
	Rule    string `db:"rule"`
	Message string `db:"message"`
	Held    bool   `db:"held"`
}

// Listed streams the records period's rejects lists: those its close
// reported as rejected and those it listed as held (Report), by file, line
// and rule (byte order), rejected before held, then in the order they were
// added. The database sorts them, so nothing held here grows with their
// number.
func (r reader) Listed(ctx context.Context, period string) iter.Seq2[Listed, error] {
	return rowsOf[Listed](ctx, r.q, r.listedQuery(), period, period)
}

func (r reader) listedQuery() string {
	return r.rebind(`SELECT file, line, key, rule, message, held FROM (` + listed + `) s
		ORDER BY ` + r.byBytes("file") + `, line, ` + r.byBytes("rule") + `, held, id`)
}

// listed selects the records a period's rejects lists (Listed): the rejects
// its close stamped and the holds it kept, with the rule and message it
// listed them with.
const listed = `SELECT id, file, line, key, rule, message, FALSE AS held
		FROM source_records WHERE status = '` + Rejected + `' AND reported_period = ?
	UNION ALL
	SELECT s.id, s.file, s.line, s.key, h.rule, h.message, TRUE
		FROM listed_holds h JOIN source_records s ON s.id = h.record_id WHERE h.period = ?`

const countListed = `SELECT (SELECT COUNT(*) FROM source_records WHERE status = '` + Rejected + `' AND reported_period = ?)
	+ (SELECT COUNT(*) FROM listed_holds WHERE period = ?)`

// CountKept is the number of accepted and held records of kind: what a
// post reads of them (its progress bar's total).
func (r reader) CountKept(ctx context.Context, kind string) (int, error) {
	var n int
	err := sqlxGet(ctx, r, &n, `SELECT COUNT(*) FROM source_records WHERE kind = ? AND status IN ('`+Accepted+`', '`+Held+`')`, kind)
	return n, err
}

// CountRecords is the number of source records matching f (Records'
// rows, counted by the database).
func (r reader) CountRecords(ctx context.Context, f RecordFilter) (int, error) {
	q, args := r.recordsQuery(f)
	var n int
	err := r.q.QueryRowxContext(ctx, `SELECT COUNT(*) FROM (`+q+`) s`, args...).Scan(&n)
	return n, err
}

// CountHeld is the number of records held now (K6, C4, R3).
func (r reader) CountHeld(ctx context.Context) (int, error) {
	var n int
	err := sqlxGet(ctx, r, &n, `SELECT COUNT(*) FROM source_records WHERE status = '`+Held+`'`)
	return n, err
}

// CountListed is the number of records Listed gives.
func (r reader) CountListed(ctx context.Context, period string) (int, error) {
	var n int
	err := sqlxGet(ctx, r, &n, countListed, period, period)
	return n, err
}
