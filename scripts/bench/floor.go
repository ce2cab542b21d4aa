package main

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lib/pq"
)

// floor is the write floor of the close that ran: every row the PostgreSQL
// ledger keeps after it, COPYed bare — into tables of the same columns with
// no index, key, check or trigger, as the COPY ceiling writes its postings —
// one table at a time. The ceilings time the work any close does (read the
// input, write as many postings as the ledger holds, write the files); the
// floor times the writes of everything the ledger keeps (its postings, and
// the input records, the transactions and the prices locked for each term
// besides), so the ceilings' reads and files plus the floor are the least
// any close keeping those rows can take on this machine, whatever it
// computes.
//
// Each table is read out first (untimed) into a file of its rows; the timed
// part reads that file back and COPYs it, as the ceiling generates its rows
// while it COPYs them.
func floor(o *opts, ref *dbResult) ([]ceiling, error) {
	db, err := sql.Open("postgres", ref.ledgerDB)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
		AND table_name NOT LIKE 'bench\_%' AND table_name NOT LIKE 'goose%' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	var out []ceiling
	for _, t := range tables {
		secs, n, err := copyBare(db, t, filepath.Join(o.work, "floor-"+t+".csv"))
		if err != nil {
			return nil, fmt.Errorf("floor of %s: %w", t, err)
		}
		if n > 0 {
			out = append(out, ceiling{"COPY " + t + " (bare)", secs, n})
		}
	}
	return out, nil
}

// copyBare dumps table's rows into path and times their COPY into a bare
// table of the same columns. A value is written as "v" + its text, a NULL
// as "n", so the file keeps them apart.
func copyBare(db *sql.DB, table, path string) (float64, int, error) {
	cols, n, err := dump(db, table, path)
	defer os.Remove(path)
	if err != nil || n == 0 {
		return 0, n, err
	}
	bare := pq.QuoteIdentifier("bench_floor_" + table)
	if _, err := db.Exec("DROP TABLE IF EXISTS " + bare + "; CREATE TABLE " + bare +
		" (LIKE " + pq.QuoteIdentifier(table) + ")"); err != nil {
		return 0, 0, err
	}
	defer db.Exec("DROP TABLE IF EXISTS " + bare)

	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	t0 := time.Now()
	tx, err := db.Begin()
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(pq.CopyIn("bench_floor_"+table, cols...))
	if err != nil {
		return 0, 0, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	vals := make([]any, len(cols))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		for i, v := range rec {
			if v == "n" {
				vals[i] = nil
			} else {
				vals[i] = v[1:]
			}
		}
		if _, err := st.Exec(vals...); err != nil {
			return 0, 0, err
		}
	}
	if _, err := st.Exec(); err != nil {
		return 0, 0, err
	}
	if err := st.Close(); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	return time.Since(t0).Seconds(), n, nil
}

// dump writes table's rows to path, one CSV record a row.
func dump(db *sql.DB, table, path string) (cols []string, n int, err error) {
	rows, err := db.Query("SELECT * FROM " + pq.QuoteIdentifier(table))
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil {
		return nil, 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		for i, v := range vals {
			if v.Valid {
				rec[i] = "v" + v.String
			} else {
				rec[i] = "n"
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, 0, err
	}
	return cols, n, bw.Flush()
}

// printFloor measures the floor and prints it beside the ceilings: the
// least a close that keeps what this ledger keeps can take here (the
// ceilings with their synthetic postings COPY replaced by the bare COPY of
// every table the ledger holds), as a multiple of the ceilings, and the
// end-to-end time as a multiple of it.
func printFloor(o *opts, ref *dbResult, c []ceiling, sum float64) error {
	f, err := floor(o, ref)
	if err != nil {
		return err
	}
	fmt.Printf("\nfloor (every row the PostgreSQL ledger keeps, COPYed into tables without index, key or check):\n")
	least := sum
	for _, x := range c {
		if x.name == copyCeilingName {
			least -= x.seconds
		}
	}
	for _, x := range f {
		x.print()
		least += x.seconds
	}
	fmt.Printf("  %-44s %9.3f s = %.1f × the ceilings\n", "reads and files + floor", least, least/sum)
	fmt.Printf("ratio end-to-end/(reads and files + floor) (%s): %.1f\n", ref.db, ref.e2e/least)
	return nil
}
