package ledger

import (
	"context"
	"strings"
)

// Report stamps the rejected records ids as listed by the close of period
// (SPEC §4: a reject is listed once, under the month of its record's date or
// the first month a close writes, whichever is later).
func (t *Tx) Report(ctx context.Context, ids []int64, period string) error {
	for off := 0; off < len(ids); off += lookupChunk {
		chunk := ids[off:min(off+lookupChunk, len(ids))]
		args := []any{period}
		for _, id := range chunk {
			args = append(args, id)
		}
		_, err := t.tx.ExecContext(ctx, t.rebind(`UPDATE source_records SET reported_period = ?
			WHERE reported_period IS NULL AND id IN (`+strings.Repeat("?, ", len(chunk)-1)+`?)`), args...)
		if err != nil {
			return err
		}
	}
	return nil
}

// Hold marks record id held by rule, with support detail (JSON) saying what
// the hold waits for.
func (t *Tx) Hold(ctx context.Context, id int64, rule, message, support string) error {
	_, err := t.tx.ExecContext(ctx, t.rebind(`UPDATE source_records SET status = ?, rule = ?, message = ?, support = ?
		WHERE id = ?`), Held, rule, message, support, id)
	return err
}
