package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// Report records what the close of period lists in its rejects.csv: it
// stamps the rejected records ids as listed by it (SPEC §4: a reject is
// listed once, under the month of its record's date or the first month a
// close writes, whichever is later), and keeps the records held now, with
// their rule and message, as its held rows (listed_holds): a closed month's
// rejects.csv must not change when a hold is released or found later (P1).
// Only a close calls it, in the transaction that closes period.
func (t *Tx) Report(ctx context.Context, ids []int64, period string) error {
	if _, err := t.tx.ExecContext(ctx, t.rebind(keepHolds), period); err != nil {
		return err
	}
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

// keepHolds keeps the records held now as listed by a period's close.
const keepHolds = `INSERT INTO listed_holds (period, record_id, rule, message, run_id)
	SELECT ?, id, rule, message, run_id FROM source_records WHERE status = '` + Held + `'`

// hold marks record id held by rule, with support detail (JSON) saying what
// the hold waits for (SetStatuses on SQLite).
func (t *Tx) hold(ctx context.Context, id int64, rule, message, support string) error {
	_, err := t.tx.ExecContext(ctx, t.rebind(`UPDATE source_records SET status = ?, rule = ?, message = ?, support = ?
		WHERE id = ?`), Held, rule, message, support, id)
	return err
}

// Restatus is a record's new status: a held one's support detail is
// written with it; the others keep theirs, as SetStatus does.
type Restatus struct {
	ID                             int64
	Status, Rule, Message, Support string
}

// SetStatuses changes the statuses of many records at once. On PostgreSQL
// it is one statement per lookupChunk records: an UPDATE a record cost a
// round trip each, ~4% of a post's time on the server at 100,000 order
// lines.
func (t *Tx) SetStatuses(ctx context.Context, changes []Restatus) error {
	for _, c := range changes {
		if !validStatus(c.Status) {
			return fmt.Errorf("%w: record %d: status %q", ErrInvalid, c.ID, c.Status)
		}
	}
	if t.d != postgres {
		for _, c := range changes {
			var err error
			if c.Status == Held {
				err = t.hold(ctx, c.ID, c.Rule, c.Message, c.Support)
			} else {
				err = t.SetStatus(ctx, []int64{c.ID}, c.Status, c.Rule, c.Message)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for off := 0; off < len(changes); off += lookupChunk {
		chunk := changes[off:min(off+lookupChunk, len(changes))]
		ids := make(pq.Int64Array, len(chunk))
		var statuses, rules, messages, supports pq.StringArray
		for i, c := range chunk {
			ids[i] = c.ID
			statuses, rules = append(statuses, c.Status), append(rules, c.Rule)
			messages, supports = append(messages, c.Message), append(supports, c.Support)
		}
		// s.id = ANY($1) finds the records by primary key, whatever the
		// planner guesses of the unnest's size.
		_, err := t.tx.ExecContext(ctx, `UPDATE source_records s SET status = u.status, rule = u.rule,
				message = u.message, support = CASE WHEN u.status = '`+Held+`' THEN u.support ELSE s.support END
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, status, rule, message, support)
			WHERE s.id = ANY($1::bigint[]) AND s.id = u.id`, ids, statuses, rules, messages, supports)
		if err != nil {
			return err
		}
	}
	return nil
}
