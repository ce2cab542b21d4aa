package ledger

import (
	"context"
	"slices"
	"strings"

	"github.com/lib/pq"
)

// Reads in pages and by key, so a job can work through millions of records
// with memory for one page at a time.

const selectRecord = `SELECT id, kind, key, hash, raw, file, line, status, rule, message, support, run_id,
	COALESCE(reported_period, '') AS reported_period, ref FROM source_records`

// RecordPage reads the next limit records of kind after afterID, in id
// order, and returns those accepted or held, and the last id it read (0 when
// there are no more). Statuses are filtered here rather than in SQL so the
// query walks the primary key whatever the planner thinks of the status
// index.
func (r reader) RecordPage(ctx context.Context, kind string, afterID int64, limit int) ([]SourceRecord, int64, error) {
	var page []SourceRecord
	err := sqlxSelect(ctx, r, &page, selectRecord+` WHERE kind = ? AND id > ? ORDER BY id LIMIT ?`, kind, afterID, limit)
	if err != nil || len(page) == 0 {
		return nil, 0, err
	}
	return kept(page), page[len(page)-1].ID, nil
}

// kept keeps the accepted and held records.
func kept(recs []SourceRecord) []SourceRecord {
	out := recs[:0]
	for _, r := range recs {
		if r.Status == Accepted || r.Status == Held {
			out = append(out, r)
		}
	}
	return out
}

// RecordsByRef returns the accepted and held records of kind with one of
// refs as second key, in id order.
func (r reader) RecordsByRef(ctx context.Context, kind string, refs []string) ([]SourceRecord, error) {
	return r.recordsIn(ctx, "ref", kind, refs)
}

// RecordsByKey returns the accepted and held records of kind with one of
// keys as business key, in id order.
func (r reader) RecordsByKey(ctx context.Context, kind string, keys []string) ([]SourceRecord, error) {
	return r.recordsIn(ctx, "key", kind, keys)
}

func (r reader) recordsIn(ctx context.Context, col, kind string, keys []string) ([]SourceRecord, error) {
	keys = distinct(keys) // callers pass one key per row that names it
	var out []SourceRecord
	for off := 0; off < len(keys); off += lookupChunk {
		chunk := keys[off:min(off+lookupChunk, len(keys))]
		var page []SourceRecord
		var err error
		// (kind, key) and (kind, ref) are indexed. The status is filtered
		// and the rows sorted here, not in SQL, so no plan prefers the
		// status index or the primary key (for its order) and reads every
		// record: inside a transaction that inserted a million rows, the
		// statistics still say the table is small. (Not the probe per key
		// of byEachKey: with two indexes starting with kind, stale
		// statistics made the planner probe the wrong one.)
		if r.d == postgres { // one array parameter: no planning of thousands of placeholders
			err = sqlxSelect(ctx, r, &page, selectRecord+` WHERE kind = ? AND `+col+` = ANY(?)`,
				kind, pq.StringArray(chunk))
		} else {
			args := []any{kind}
			for _, k := range chunk {
				args = append(args, k)
			}
			err = sqlxSelect(ctx, r, &page, selectRecord+` WHERE kind = ? AND `+col+` IN (`+
				strings.Repeat("?, ", len(chunk)-1)+`?)`, args...)
		}
		page = kept(page)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	slices.SortFunc(out, func(a, b SourceRecord) int { return cmpInt(a.ID, b.ID) })
	return out, nil
}

// probeEach is a PostgreSQL query for the rows of selectFrom ("SELECT …
// FROM table") whose col is one of the keys given as its first parameter, a
// text array, written
//
//	SELECT x.* FROM unnest($1::text[]) AS k(v), LATERAL (SELECT … WHERE col = k.v OFFSET 0) x
//
// so it is one index probe per key whatever the statistics say. It is for
// a col that exactly one index answers (txns.key, term_prices.term_key).
// With col = ANY($1) the planner chose to scan the whole table for a few
// thousand keys once it held a million rows (and a reader outside the
// posting transaction scans its uncommitted rows too): at a million order
// lines the term prices' look-ups alone took 24 s of a post; probed, 30 ms
// each instead of 170. OFFSET 0 keeps the subquery from being flattened
// into a join the planner could hash. Pass the keys through distinct:
// unnest returns a row per repeat.
func probeEach(selectFrom, col string) string {
	return `SELECT x.* FROM unnest(?::text[]) AS k(v), LATERAL (` + selectFrom + ` WHERE ` + col + ` = k.v OFFSET 0) x`
}

// distinct returns keys without repeats (unnest would return a row once per
// repeat).
func distinct(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out)
}

// TermPricesFor returns the locked prices of the given terms.
func (r reader) TermPricesFor(ctx context.Context, termKeys []string) ([]TermPrice, error) {
	var out []TermPrice
	for off := 0; off < len(termKeys); off += lookupChunk {
		chunk := termKeys[off:min(off+lookupChunk, len(termKeys))]
		const selectPrices = `SELECT term_key, unit_price FROM term_prices`
		var page []TermPrice
		var err error
		if r.d == postgres {
			err = sqlxSelect(ctx, r, &page, probeEach(selectPrices, "term_key"), pq.StringArray(distinct(chunk)))
		} else {
			args := make([]any, len(chunk))
			for i, k := range chunk {
				args[i] = k
			}
			err = sqlxSelect(ctx, r, &page, selectPrices+` WHERE term_key IN (`+strings.Repeat("?, ", len(chunk)-1)+`?)`, args...)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

// PreferIndexes makes the rest of this transaction look records up through
// their indexes on PostgreSQL. A job that inserts a million rows and looks
// them up in the same transaction would otherwise be planned from
// statistics that say the table is nearly empty, and scan it whole for every
// batch. SQLite plans with its indexes anyway.
func (t *Tx) PreferIndexes(ctx context.Context) error {
	if t.d != postgres {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`)
	return err
}

// AnalyzeRecords refreshes PostgreSQL's statistics of source_records inside
// the transaction, counting the rows it inserted: a job that inserts many
// rows and looks some up again would otherwise be planned as if the table
// were still as small as when it began, and scan it whole for every look-up.
// Only the columns the queries use are analyzed (see analyzed; the row count
// comes with any ANALYZE): statistics of the raw JSON text made each refresh
// cost a fifth more, about a tenth of an ingest's time at 100,000 order lines.
func (t *Tx) AnalyzeRecords(ctx context.Context) error {
	if t.d != postgres {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, `ANALYZE source_records (`+analyzed["source_records"]+`)`)
	return err
}

// Analyze refreshes PostgreSQL's statistics of the tables jobs look things
// up in, after a job wrote many rows to them. A table whose statistics are
// fresh (never more than a tenth of its rows changed since they were taken,
// by the server's own counters) is left alone: a post right after an ingest
// that analyzed would pay a second or more at a million order lines for
// nothing.
func (l *Ledger) Analyze(ctx context.Context) error {
	if l.d != postgres {
		return nil
	}
	var stale []string
	err := l.db.SelectContext(ctx, &stale, `SELECT c.relname FROM pg_class c
		LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
		WHERE c.oid IN ('source_records'::regclass, 'txns'::regclass, 'postings'::regclass, 'term_prices'::regclass)
		  AND (s.relid IS NULL OR (s.last_analyze IS NULL AND s.last_autoanalyze IS NULL)
		       OR s.n_mod_since_analyze > greatest(s.n_live_tup, 1000) / 10)
		ORDER BY c.relname`)
	if err != nil || len(stale) == 0 {
		return err
	}
	for i, table := range stale {
		stale[i] = table + " (" + analyzed[table] + ")"
	}
	_, err = l.db.ExecContext(ctx, `ANALYZE `+strings.Join(stale, ", "))
	return err
}

// analyzed names, for each table Analyze refreshes, the columns the jobs'
// queries filter, join or group on: the planner needs their statistics,
// and sampling a table's other columns (descriptions, hashes, raw JSON)
// took half of each ANALYZE (at 100,000 order lines, 0.73 of the close's
// 1.7 s went to ANALYZE of all columns, 0.4 s with these).
var analyzed = map[string]string{
	"source_records": "id, kind, key, ref, status, reported_period",
	"txns":           "id, key, period, invoiced, customer_id, currency, credits_key, invoice_number",
	"postings":       "txn_id, period, account",
	"term_prices":    "term_key",
}
