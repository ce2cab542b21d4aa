package ledger_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// benchBatch is how many transactions one Post (one database transaction)
// carries in the benchmarks, as a monthly post of a large partner would.
const benchBatch = 10000

// benchTxns fills batch with transactions off..off+len-1, three postings
// each, spread over 1,000 customers.
func benchTxns(batch []ledger.Txn, off int) []ledger.Txn {
	batch = batch[:0]
	for i := off; i < off+cap(batch); i++ {
		x := charge(fmt.Sprintf("ORD%09d/1#0", i), fmt.Sprintf("CUST%04d", i%1000), "USD", "2026-10",
			int64(1000+i%9000), int64(72+i%700))
		batch = append(batch, x)
	}
	return batch
}

// BenchmarkPost posts b.N transactions of three postings each, benchBatch
// per Post. ns/op is per transaction. For the README's million:
//
//	go test ./ledger -run '^$' -bench Post -benchtime 1000000x -timeout 30m
func BenchmarkPost(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			ctx := context.Background()
			l := openLedger(b, ledgertest.URL(b, db))
			run := startRun(b, l)
			batch := make([]ledger.Txn, 0, benchBatch)
			b.ResetTimer()
			for off := 0; off < b.N; off += benchBatch {
				batch = benchTxns(batch[:0:min(benchBatch, b.N-off)], off)
				res, err := l.Post(ctx, run, batch)
				if err != nil || res.Posted != len(batch) {
					b.Fatalf("Post = %+v, %v", res, err)
				}
			}
		})
	}
}

// BenchmarkPostNew is BenchmarkPost through PostNew, as the post job calls
// it: the keys were looked up by the job, so Post does not look again.
func BenchmarkPostNew(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			ctx := context.Background()
			l := openLedger(b, ledgertest.URL(b, db))
			run := startRun(b, l)
			batch := make([]ledger.Txn, 0, benchBatch)
			b.ResetTimer()
			for off := 0; off < b.N; off += benchBatch {
				batch = benchTxns(batch[:0:min(benchBatch, b.N-off)], off)
				err := l.InTx(ctx, func(tx *ledger.Tx) error {
					res, err := tx.PostNew(ctx, run, batch)
					if err == nil && res.Posted != len(batch) {
						err = fmt.Errorf("posted %d of %d", res.Posted, len(batch))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawCopy writes the same rows as BenchmarkPost into tables with
// no index, key, constraint or trigger: COPY on PostgreSQL, multi-row
// INSERT on SQLite, benchBatch transactions per database transaction. It
// is the floor BenchmarkPost is measured against.
func BenchmarkRawCopy(b *testing.B) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		b.Run(dbName, func(b *testing.B) {
			raw := newRawTables(b, openLedger(b, ledgertest.URL(b, dbName)))
			batch := make([]ledger.Txn, 0, benchBatch)
			b.ResetTimer()
			for off := 0; off < b.N; off += benchBatch {
				batch = benchTxns(batch[:0:min(benchBatch, b.N-off)], off)
				raw.write(b, batch, off)
			}
		})
	}
}

// BenchmarkPostAgainstCopy alternates, batch by batch, Post (or PostNew)
// into the ledger and the raw write of the same rows into unindexed tables
// of the same database, timing each: a machine whose speed drifts during
// the run (this one does, by a third) slows both alike, so the ratio it
// reports is the one to quote. Metrics are per transaction.
func BenchmarkPostAgainstCopy(b *testing.B) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		for _, how := range []string{"Post", "PostNew"} {
			b.Run(dbName+"/"+how, func(b *testing.B) {
				ctx := context.Background()
				l := openLedger(b, ledgertest.URL(b, dbName))
				run := startRun(b, l)
				raw := newRawTables(b, l)
				batch := make([]ledger.Txn, 0, benchBatch)
				var inPost, inRaw time.Duration
				b.ResetTimer()
				for off := 0; off < b.N; off += benchBatch {
					batch = benchTxns(batch[:0:min(benchBatch, b.N-off)], off)
					start := time.Now()
					var res ledger.PostResult
					err := l.InTx(ctx, func(tx *ledger.Tx) error {
						var err error
						if how == "Post" {
							res, err = tx.Post(ctx, run, batch)
						} else {
							res, err = tx.PostNew(ctx, run, batch)
						}
						return err
					})
					if err != nil || res.Posted != len(batch) {
						b.Fatalf("%s = %+v, %v", how, res, err)
					}
					mid := time.Now()
					raw.write(b, batch, off)
					inPost, inRaw = inPost+mid.Sub(start), inRaw+time.Since(mid)
				}
				b.ReportMetric(float64(inPost.Nanoseconds())/float64(b.N), "post-ns/txn")
				b.ReportMetric(float64(inRaw.Nanoseconds())/float64(b.N), "raw-ns/txn")
				b.ReportMetric(float64(inPost)/float64(inRaw), "post/raw")
			})
		}
	}
}

// rawTables are raw_txns and raw_postings: the ledger's columns, as BIGINT
// and TEXT, with no index, key, constraint or trigger.
type rawTables struct {
	db *sql.DB
	pg bool
}

var (
	rawTxnCols = []string{"id", "key", "hash", "period", "invoiced", "date", "customer_id", "currency",
		"charge_type", "order_id", "line_no", "subscription_id", "sku", "description", "charge_start",
		"charge_end", "quantity", "net", "tax", "gross", "source", "credits_key", "run_id"}
	rawPostingCols = []string{"txn_id", "seq", "period", "account", "amount"}
)

func newRawTables(b *testing.B, l *ledger.Ledger) *rawTables {
	r := &rawTables{db: l.DB().DB, pg: l.Dialect() == "postgres"}
	intType := map[bool]string{false: "INTEGER", true: "BIGINT"}[r.pg]
	ints := map[string]bool{"id": true, "invoiced": true, "line_no": true, "quantity": true,
		"net": true, "tax": true, "gross": true, "txn_id": true, "seq": true, "amount": true}
	mk := func(name string, cols []string) {
		var defs []string
		for _, c := range cols {
			ty := "TEXT"
			if ints[c] {
				ty = intType
			}
			defs = append(defs, c+" "+ty)
		}
		if _, err := r.db.Exec(`CREATE TABLE ` + name + ` (` + strings.Join(defs, ", ") + `)`); err != nil {
			b.Fatal(err)
		}
	}
	mk("raw_txns", rawTxnCols)
	mk("raw_postings", rawPostingCols)
	return r
}

// write writes batch, whose first transaction is number off, in one
// database transaction.
func (r *rawTables) write(b *testing.B, batch []ledger.Txn, off int) {
	tx, err := r.db.BeginTx(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	trow := func(i int) []any {
		x := &batch[i]
		return []any{int64(off + i), x.Key, x.Hash(), x.Period, int64(1), x.Date, x.CustomerID,
			x.Currency, x.ChargeType, x.OrderID, int64(x.LineNo), x.SubscriptionID, x.SKU,
			x.Description, x.ChargeStart, x.ChargeEnd, x.Quantity, x.Net, x.Tax, x.Gross,
			x.Source, nil, "run"}
	}
	prow := func(r int) []any {
		p := batch[r/3].Postings[r%3]
		return []any{int64(off + r/3), int64(r % 3), "2026-10", p.Account, p.Amount}
	}
	put := rawInsert
	if r.pg {
		put = rawCopy
	}
	put(b, tx, "raw_txns", rawTxnCols, len(batch), trow)
	put(b, tx, "raw_postings", rawPostingCols, 3*len(batch), prow)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func rawCopy(b *testing.B, tx *sql.Tx, table string, cols []string, n int, row func(int) []any) {
	stmt, err := tx.Prepare(`COPY ` + table + ` (` + strings.Join(cols, ", ") + `) FROM STDIN`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := stmt.Exec(row(i)...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		b.Fatal(err)
	}
	stmt.Close()
}

func rawInsert(b *testing.B, tx *sql.Tx, table string, cols []string, n int, row func(int) []any) {
	per := min(32766/len(cols), 1000)
	for off := 0; off < n; off += per {
		k := min(per, n-off)
		var args []any
		for i := range k {
			args = append(args, row(off+i)...)
		}
		ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(ph+", ", k), ", ")
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatal(err)
		}
	}
}
