// Command bench measures the real cspbill binary end to end on a generated
// inbox and compares it with the machine's ceilings for the same work:
//
//	go run ./scripts/bench -n 100000 [-db sqlite|postgres|both] [-seed 1] [-keep]
//
// It builds bin-like copies of cspbill and scripts/gen into a scratch
// directory, generates the inbox once, and for each database runs, on a
// fresh ledger, ingest → post --as-of 2026-10-31 → close --period 2026-10
// --bill-from 2026-10, then post and close again with nothing new. For every
// stage it prints wall seconds, rows/s and the child's peak RSS (getrusage
// Maxrss of the child process). Last, outside the end-to-end time, it
// reconciles the month against a Partner Center file made from the close's
// invoice lines (recon.go).
//
// The ceilings, measured in the same run on the same data sizes: an
// encoding/csv read of orders.csv; a COPY (lib/pq CopyIn) of as many posting
// rows as the ledger holds after the close into an unindexed table on
// PostgreSQL; an excelize StreamWriter write and an encoding/csv write of
// the close's invoice lines (17 columns). When PostgreSQL ran, the floor
// follows (floor.go): every row its ledger keeps, COPYed into tables without
// index, key or check. The last line is `ratio end-to-end/ceilings: R` for
// PostgreSQL (for SQLite when only SQLite ran): seconds of ingest+post+close
// over the sum of the ceilings.
//
// PostgreSQL: -pg is an admin URL (default the local test server); the bench
// creates the database -pgdb (default cspbill_bench), drops it first if it
// exists, and drops it at the end unless -keep.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
	"github.com/xuri/excelize/v2"
	_ "modernc.org/sqlite"
)

type opts struct {
	n          int
	seed       uint64
	dbs        []string
	pgAdmin    string
	pgDB       string
	keep       bool
	work       string
	root       string
	cspbill    string
	gen        string
	inbox      string
	inputRows  int
	ordersRows int
}

// stage is one measured child run.
type stage struct {
	name    string
	seconds float64
	rows    int // what rows/s counts: see unit
	unit    string
	rssKB   int64
	exit    int
}

type dbResult struct {
	db       string
	stages   []stage // ingest, post, close
	reruns   []stage // post, close again; then reconcile
	txns     int
	postings int
	lines    int // invoice lines the close wrote for 2026-10
	out      string
	e2e      float64
	failed   error
	ledgerDB string
}

func main() {
	var o opts
	var db string
	flag.IntVar(&o.n, "n", 10000, "order lines to generate")
	flag.Uint64Var(&o.seed, "seed", 1, "generator seed")
	flag.StringVar(&db, "db", "both", "sqlite, postgres or both")
	flag.StringVar(&o.pgAdmin, "pg", envOr("CSPBILL_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		"PostgreSQL admin URL (the bench creates and drops its own database)")
	flag.StringVar(&o.pgDB, "pgdb", "cspbill_bench", "scratch PostgreSQL database (dropped and recreated)")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch directory and database")
	flag.StringVar(&o.work, "work", "", "scratch directory (default: a new one under $TMPDIR)")
	flag.Parse()
	switch db {
	case "sqlite", "postgres":
		o.dbs = []string{db}
	case "both":
		o.dbs = []string{"sqlite", "postgres"}
	default:
		fmt.Fprintln(os.Stderr, "bench: -db must be sqlite, postgres or both")
		os.Exit(2)
	}
	if err := run(&o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(o *opts) (err error) {
	if o.root, err = moduleRoot(); err != nil {
		return err
	}
	if o.work == "" {
		if o.work, err = os.MkdirTemp("", "cspbill-bench-"); err != nil {
			return err
		}
	} else if err = os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(o.work)
	}
	fmt.Printf("cspbill bench: n=%d seed=%d dbs=%v scratch=%s\n", o.n, o.seed, o.dbs, o.work)

	// The binaries are built where the last bench of this checkout built
	// them: go build leaves an up-to-date binary as it is (0.4 s instead of
	// 2 s of linking, a share of bench-quick's minute).
	bin, err := binDir(o.root)
	if err != nil {
		return err
	}
	o.cspbill = filepath.Join(bin, "cspbill")
	o.gen = filepath.Join(bin, "gen")
	for _, b := range [][2]string{{o.cspbill, "./cmd/cspbill"}, {o.gen, "./scripts/gen"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Dir, cmd.Stdout, cmd.Stderr = o.root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", b[1], err)
		}
	}

	o.inbox = filepath.Join(o.work, "inbox")
	g := measure(filepath.Join(o.work, "gen.log"), o.gen, "-n", strconv.Itoa(o.n),
		"-seed", strconv.FormatUint(o.seed, 10), "-out", o.inbox)
	if g.exit != 0 {
		return fmt.Errorf("gen exited %d (see %s)", g.exit, filepath.Join(o.work, "gen.log"))
	}
	if o.inputRows, o.ordersRows, err = countInput(o.inbox); err != nil {
		return err
	}
	fmt.Printf("generated %d input rows (%d order lines) in %.2f s, gen peak RSS %.0f MiB\n\n",
		o.inputRows, o.ordersRows, g.seconds, float64(g.rssKB)/1024)

	var results []*dbResult
	for _, db := range o.dbs {
		r := benchDB(o, db)
		results = append(results, r)
		if r.failed != nil {
			fmt.Printf("%s: FAILED: %v\n", db, r.failed)
		}
	}
	if !o.keep && contains(o.dbs, "postgres") {
		defer dropPG(o)
	}

	// The reference for the ceilings: PostgreSQL when it ran, else SQLite.
	var ref *dbResult
	for _, r := range results {
		if r.failed == nil && (ref == nil || r.db == "postgres") {
			ref = r
		}
	}
	if ref == nil {
		return errors.New("no database completed; no ceilings measured")
	}

	fmt.Printf("\n%-9s %-14s %9s %10s %-14s %12s %11s %4s\n", "db", "stage", "seconds", "rows", "(unit)", "rows/s", "peakRSS MiB", "exit")
	for _, r := range results {
		if r.failed != nil {
			continue
		}
		for _, s := range r.stages {
			printStage(r.db, s)
		}
		fmt.Printf("%-9s %-14s %9.2f %10s %-14s %12s %11s\n", r.db, "end-to-end", r.e2e, "", "", "", "")
		for _, s := range r.reruns {
			printStage(r.db, s)
		}
		fmt.Printf("%-9s ledger: %d txns, %d postings; 2026-10 invoice lines: %d\n", r.db, r.txns, r.postings, r.lines)
	}
	same := sameClose(results)
	if same == nil && len(results) > 1 {
		fmt.Println("both databases: same ledger counts and byte-identical CSV files")
	}

	c, err := ceilings(o, ref)
	if err != nil {
		return err
	}
	fmt.Printf("\nceilings (same sizes, this machine):\n")
	sum := 0.0
	for _, x := range c {
		x.print()
		sum += x.seconds
	}
	fmt.Printf("  %-44s %9.3f s\n", "sum", sum)
	for _, r := range results {
		if r.failed == nil && r != ref {
			fmt.Printf("ratio end-to-end/ceilings (%s): %.1f\n", r.db, r.e2e/sum)
		}
	}
	if ref.db != "postgres" {
		fmt.Printf("(PostgreSQL did not run: the last ratio is SQLite's, and the COPY ceiling %s)\n",
			map[bool]string{true: "is PostgreSQL's", false: "was skipped"}[hasCopy(c)])
	} else if err := printFloor(o, ref, c, sum); err != nil {
		return err
	}
	fmt.Printf("ratio end-to-end/ceilings: %.1f\n", ref.e2e/sum)
	if same != nil {
		return fmt.Errorf("DATABASES DISAGREE: %w", same)
	}
	return nil
}

func hasCopy(c []ceiling) bool {
	for _, x := range c {
		if strings.HasPrefix(x.name, "COPY") {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func printStage(db string, s stage) {
	rate := ""
	if s.rows > 0 && s.seconds > 0 {
		rate = fmt.Sprintf("%.0f", float64(s.rows)/s.seconds)
	}
	rows := ""
	if s.unit != "" {
		rows = strconv.Itoa(s.rows)
	}
	fmt.Printf("%-9s %-14s %9.2f %10s %-14s %12s %11.0f %4d\n", db, s.name, s.seconds, rows, s.unit, rate,
		float64(s.rssKB)/1024, s.exit)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found: run from inside the cspbill module")
		}
		dir = parent
	}
}

// measure runs a child with its output in logPath and returns wall time,
// peak RSS and exit code (-1 if it could not start).
func measure(logPath, bin string, args ...string) stage {
	s := stage{exit: -1}
	f, err := os.Create(logPath)
	if err != nil {
		return s
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	t0 := time.Now()
	err = cmd.Run()
	s.seconds = time.Since(t0).Seconds()
	if cmd.ProcessState != nil {
		s.exit = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			s.rssKB = ru.Maxrss // kilobytes on Linux
		}
	} else if err != nil {
		fmt.Fprintf(f, "bench: %v\n", err)
	}
	return s
}

func countInput(dir string) (all, orders int, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range ents {
		n, err := countLines(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, 0, err
		}
		all += n - 1
		if strings.HasPrefix(e.Name(), "orders") {
			orders += n - 1
		}
	}
	return all, orders, nil
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.ReuseRecord = true
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

func pgURL(admin, db string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + db
	return u.String(), nil
}

func dropPG(o *opts) {
	adm, err := sql.Open("postgres", o.pgAdmin)
	if err != nil {
		return
	}
	defer adm.Close()
	if _, err := adm.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(o.pgDB) + " WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: drop database:", err)
	}
}

func freshPG(o *opts) (string, error) {
	adm, err := sql.Open("postgres", o.pgAdmin)
	if err != nil {
		return "", err
	}
	defer adm.Close()
	q := pq.QuoteIdentifier(o.pgDB)
	if _, err := adm.Exec("DROP DATABASE IF EXISTS " + q + " WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop database %s: %w", o.pgDB, err)
	}
	if _, err := adm.Exec("CREATE DATABASE " + q); err != nil {
		return "", fmt.Errorf("create database %s: %w", o.pgDB, err)
	}
	return pgURL(o.pgAdmin, o.pgDB)
}

func openLedger(r *dbResult) (*sql.DB, error) {
	if r.db == "postgres" {
		return sql.Open("postgres", r.ledgerDB)
	}
	return sql.Open("sqlite", "file:"+strings.TrimPrefix(r.ledgerDB, "sqlite:")+"?mode=ro")
}

func countTxns(r *dbResult) (int, error) { return countRows(r, "txns") }

func countRows(r *dbResult, table string) (int, error) {
	db, err := openLedger(r)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	return n, err
}

// sameClose compares what the databases' runs closed: the ledger's
// counts and the bytes of every CSV file the close wrote. Both databases run
// the same rules on the same inbox, so any difference is a bug, never noise.
func sameClose(results []*dbResult) error {
	var ok []*dbResult
	for _, r := range results {
		if r.failed == nil {
			ok = append(ok, r)
		}
	}
	if len(ok) < 2 {
		return nil
	}
	a, b := ok[0], ok[1]
	if a.txns != b.txns || a.postings != b.postings || a.lines != b.lines {
		return fmt.Errorf("%s and %s disagree: %d / %d txns, %d / %d postings, %d / %d invoice lines",
			a.db, b.db, a.txns, b.txns, a.postings, b.postings, a.lines, b.lines)
	}
	files, err := filepath.Glob(filepath.Join(a.out, "2026-10", "*.csv"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CSV files in %s: %v", filepath.Join(a.out, "2026-10"), err)
	}
	for _, fa := range files {
		fb := filepath.Join(b.out, "2026-10", filepath.Base(fa))
		// The files are read whole: the bench's own memory is not measured,
		// and the CSV files of a million order lines are tens of MiB.
		da, errA := os.ReadFile(fa)
		db, errB := os.ReadFile(fb)
		if err := errors.Join(errA, errB); err != nil {
			return err
		}
		if !bytes.Equal(da, db) {
			return fmt.Errorf("%s and %s wrote different %s", a.db, b.db, filepath.Base(fa))
		}
	}
	return nil
}

func benchDB(o *opts, db string) *dbResult {
	r := &dbResult{db: db, out: filepath.Join(o.work, "out-"+db)}
	switch db {
	case "sqlite":
		path := filepath.Join(o.work, "ledger.db")
		_ = os.Remove(path)
		r.ledgerDB = "sqlite:" + path
	case "postgres":
		u, err := freshPG(o)
		if err != nil {
			r.failed = err
			return r
		}
		r.ledgerDB = u
	}
	dbArg := "--db=" + r.ledgerDB
	steps := []struct {
		name string
		args []string
	}{
		{"ingest", []string{"ingest", "--inbox", o.inbox, dbArg}},
		{"post", []string{"post", "--as-of", "2026-10-31", dbArg}},
		{"close", []string{"close", "--period", "2026-10", "--out", r.out, "--bill-from", "2026-10", dbArg}},
	}
	fmt.Printf("%s: ", db)
	prevTxns := 0
	for i, st := range append(steps, steps[1:]...) {
		rerun := i >= len(steps)
		name := st.name
		if rerun {
			name += " (re-run)"
		}
		logPath := filepath.Join(o.work, fmt.Sprintf("%s-%d-%s.log", db, i, st.name))
		s := measure(logPath, o.cspbill, st.args...)
		s.name = name
		fmt.Printf("%s %.1fs ", name, s.seconds)
		if s.exit != 0 && s.exit != 3 {
			fmt.Println()
			r.failed = fmt.Errorf("%s exited %d; log %s:\n%s", name, s.exit, logPath, tail(logPath, 20))
			return r
		}
		n, err := countTxns(r)
		if err != nil {
			r.failed = fmt.Errorf("count txns after %s: %w", name, err)
			return r
		}
		switch {
		case st.name == "ingest":
			s.rows, s.unit = o.inputRows, "input rows"
		case st.name == "post":
			s.rows, s.unit = n-prevTxns, "txns posted"
		case st.name == "close":
			lines, err := countLines(filepath.Join(r.out, "2026-10", "invoice-lines.csv"))
			if err != nil {
				r.failed = err
				return r
			}
			r.lines = lines - 1
			s.rows, s.unit = r.lines, "invoice lines"
		}
		if rerun && n != prevTxns {
			r.failed = fmt.Errorf("%s posted %d new transactions (P4: a re-run posts nothing)", name, n-prevTxns)
			return r
		}
		prevTxns = n
		if rerun {
			r.reruns = append(r.reruns, s)
		} else {
			r.stages = append(r.stages, s)
			r.e2e += s.seconds
		}
	}
	rec, err := benchReconcile(o, r)
	fmt.Printf("reconcile %.1fs\n", rec.seconds)
	if err != nil {
		r.failed = err
		return r
	}
	r.reruns = append(r.reruns, rec)
	r.txns = prevTxns
	n, err := countRows(r, "postings")
	if err != nil {
		r.failed = fmt.Errorf("count postings: %w", err)
	}
	r.postings = n
	return r
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// copyCeilingName names the COPY ceiling, which the floor replaces.
const copyCeilingName = "COPY postings (pq.CopyIn, no index)"

type ceiling struct {
	name    string
	seconds float64
	rows    int
}

// print writes one measured line of the ceilings or the floor.
func (x ceiling) print() {
	fmt.Printf("  %-44s %9.3f s %10d rows %12.0f rows/s\n", x.name, x.seconds, x.rows, float64(x.rows)/max(x.seconds, 1e-9))
}

func ceilings(o *opts, ref *dbResult) ([]ceiling, error) {
	var out []ceiling

	// 1. encoding/csv read of orders.csv.
	t0 := time.Now()
	n, err := countLines(filepath.Join(o.inbox, "orders.csv"))
	if err != nil {
		return nil, err
	}
	out = append(out, ceiling{"encoding/csv read orders.csv", time.Since(t0).Seconds(), n - 1})

	// 2. COPY of as many posting rows as the ledger holds into an
	// unindexed PostgreSQL table.
	rows := ref.postings
	if secs, err := copyCeiling(o, rows); err != nil {
		fmt.Fprintf(os.Stderr, "bench: COPY ceiling skipped: %v\n", err)
	} else {
		out = append(out, ceiling{copyCeilingName, secs, rows})
	}

	// 3, 4. The close's invoice lines, written with excelize StreamWriter and
	// encoding/csv. Loaded first so only the writes are timed.
	lines, err := loadLines(filepath.Join(ref.out, "2026-10", "invoice-lines.csv"))
	if err != nil {
		return nil, err
	}
	secs, err := xlsxCeiling(filepath.Join(o.work, "ceiling.xlsx"), lines)
	if err != nil {
		return nil, err
	}
	out = append(out, ceiling{"excelize StreamWriter invoice lines (17 cols)", secs, len(lines) - 1})
	secs, err = csvWriteCeiling(filepath.Join(o.work, "ceiling.csv"), lines)
	if err != nil {
		return nil, err
	}
	out = append(out, ceiling{"encoding/csv write invoice lines (17 cols)", secs, len(lines) - 1})
	return out, nil
}

func copyCeiling(o *opts, rows int) (float64, error) {
	if !contains(o.dbs, "postgres") {
		if _, err := freshPG(o); err != nil {
			return 0, err
		}
		if !o.keep {
			defer dropPG(o)
		}
	}
	u, err := pgURL(o.pgAdmin, o.pgDB)
	if err != nil {
		return 0, err
	}
	db, err := sql.Open("postgres", u)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Exec(`DROP TABLE IF EXISTS bench_copy_postings;
CREATE TABLE bench_copy_postings (txn_id BIGINT NOT NULL, seq INTEGER NOT NULL, period TEXT NOT NULL,
  account TEXT NOT NULL, amount BIGINT NOT NULL)`); err != nil {
		return 0, err
	}
	defer db.Exec("DROP TABLE IF EXISTS bench_copy_postings")
	accounts := []string{"receivable:C0000001", "revenue", "tax_payable"}
	t0 := time.Now()
	tx, err := db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(pq.CopyIn("bench_copy_postings", "txn_id", "seq", "period", "account", "amount"))
	if err != nil {
		return 0, err
	}
	for i := 0; i < rows; i++ {
		amt := int64(1000 + i%90000)
		if i%3 != 0 {
			amt = -amt / 2
		}
		if _, err := st.Exec(int64(i/3+1), i%3, "2026-10", accounts[i%3], amt); err != nil {
			return 0, err
		}
	}
	if _, err := st.Exec(); err != nil {
		return 0, err
	}
	if err := st.Close(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

func loadLines(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(bufio.NewReader(f)).ReadAll()
}

// numeric columns of invoice-lines.csv, written as numbers in the workbook.
var numeric = map[string]bool{"quantity": true, "net": true, "tax": true, "gross": true, "line_no": true}

func xlsxCeiling(path string, lines [][]string) (float64, error) {
	t0 := time.Now()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return 0, err
	}
	header := lines[0]
	row := make([]any, len(header))
	for i, rec := range lines {
		for j, v := range rec {
			if i > 0 && j < len(header) && numeric[header[j]] {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					row[j] = x
					continue
				}
			}
			row[j] = v
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return 0, err
		}
		if err := sw.SetRow(cell, row[:len(rec)]); err != nil {
			return 0, err
		}
	}
	if err := sw.Flush(); err != nil {
		return 0, err
	}
	if err := f.SaveAs(path); err != nil {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

func csvWriteCeiling(path string, lines [][]string) (float64, error) {
	t0 := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	b := bufio.NewWriterSize(f, 1<<16)
	w := csv.NewWriter(b)
	if err := w.WriteAll(lines); err != nil {
		f.Close()
		return 0, err
	}
	if err := b.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

// binDir is a folder of the user's cache for the binaries a bench of the
// checkout at root builds.
func binDir(root string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	dir := filepath.Join(cache, "cspbill-bench", hex.EncodeToString(sum[:8]))
	return dir, os.MkdirAll(dir, 0o755)
}
