package ledger

import (
	"context"
	"database/sql"
	"errors"
)

// PostMark is how far the ledger is posted (see sql/*/00004_post_mark.sql).
type PostMark struct {
	AsOf       string `db:"as_of"`
	LastRecord int64  `db:"last_record"`
	WindowDays int    `db:"window_days"`
}

// PostMark returns the mark, and false when no run has set one.
func (r reader) PostMark(ctx context.Context) (PostMark, bool, error) {
	var m PostMark
	err := sqlxGet(ctx, r, &m, `SELECT as_of, last_record, window_days FROM post_mark WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	return m, err == nil, err
}

// LastRecordID is the id of the newest source record (0 for none).
func (r reader) LastRecordID(ctx context.Context) (int64, error) {
	var id int64
	err := sqlxGet(ctx, r, &id, `SELECT COALESCE(MAX(id), 0) FROM source_records`)
	return id, err
}

// AnyPosted reports whether the ledger holds any transaction.
func (r reader) AnyPosted(ctx context.Context) (bool, error) {
	var any bool
	err := sqlxGet(ctx, r, &any, `SELECT EXISTS (SELECT 1 FROM txns)`)
	return any, err
}

// SetPostMark records that runID computed everything through m.AsOf.
func (t *Tx) SetPostMark(ctx context.Context, runID string, m PostMark) error {
	_, err := t.tx.ExecContext(ctx, t.rebind(`INSERT INTO post_mark (id, as_of, last_record, window_days, run_id)
		VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET as_of = excluded.as_of,
		last_record = excluded.last_record, window_days = excluded.window_days, run_id = excluded.run_id`),
		m.AsOf, m.LastRecord, m.WindowDays, runID)
	return err
}
