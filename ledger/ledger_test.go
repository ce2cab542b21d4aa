package ledger_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

func TestOpenMigratesOnce(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		l := openLedger(t, url)
		for _, table := range []string{"job_runs", "inbox_files", "source_records", "accounts",
			"txns", "postings", "periods", "settings", "invoices"} {
			count(t, l, table)
		}
		openLedger(t, url) // the second Open finds nothing pending
		if err := l.Migrate(context.Background()); err != nil {
			t.Errorf("Migrate again: %v", err)
		}
	})
}

func TestMoneyIsInteger(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		l := openLedger(t, url)
		run := startRun(t, l)
		x := charge("M/1", "C", "USD", "2026-10", 1, 0)
		if _, err := l.Post(context.Background(), run, []ledger.Txn{x}); err != nil {
			t.Fatal(err)
		}
		if l.Dialect() == "sqlite" {
			// STRICT tables refuse a REAL in an INTEGER column.
			if _, err := l.DB().Exec(`UPDATE postings SET amount = 0.5 WHERE seq = 1`); err == nil {
				t.Error("a fractional amount was stored")
			}
			return
		}
		var types []string
		err := l.DB().Select(&types, `SELECT DISTINCT data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name IN ('net', 'tax', 'gross', 'amount')`)
		if err != nil || len(types) != 1 || types[0] != "bigint" {
			t.Errorf("money column types = %v, %v; want bigint only", types, err)
		}
	})
}

func TestOpenBadURL(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ url, notIn string }{
		{"mysql://root:s3cret@db/x", "s3cret"},
		{"sqlite:", ""},
		{"sqlite::memory:", ""},
		{"postgres://cspbill:s3cret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "s3cret"},
		// A password as a parameter, and a URL Go cannot parse, whose parse
		// error quoted it whole (found by an audit).
		{"postgres://cspbill@127.0.0.1:1/x?sslmode=disable&connect_timeout=2&password=s3cret", "s3cret"},
		{"postgres://cspbill:s3 cret@127.0.0.1:1/x", "s3 cret"},
		// A key=value connection string (refused, and named) and an escaped
		// password (found by a review).
		{"host=127.0.0.1 port=1 password=s3cret", "s3cret"},
		{"postgres://cspbill:s3%2Fcret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "s3"},
	} {
		_, err := ledger.Open(ctx, c.url)
		if err == nil {
			t.Errorf("Open(%s) succeeded", ledger.Redact(c.url))
			continue
		}
		if c.notIn != "" && strings.Contains(err.Error(), c.notIn) {
			t.Errorf("error shows the password: %v", err)
		}
		if strings.HasPrefix(c.url, "mysql") && !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("Open(mysql) = %v, want ErrInvalid", err)
		}
	}
	for in, want := range map[string]string{
		"postgres://u:pw@h/db":                              "postgres://u:xxxxx@h/db",
		"postgres://u@h/db?sslmode=disable&password=s3cret": "postgres://u@h/db?sslmode=disable&password=xxxxx",
		"postgres://u@h/db?sslpassword=s3cret":              "postgres://u@h/db?sslpassword=xxxxx",
		"host=db user=u password=s3cret dbname=x":           "host=db user=u password=xxxxx dbname=x",
		"postgres://u:s3 cret@h/db":                         "(unparsable database URL)",
		"postgres://u@h/db?sslmode=disable":                 "postgres://u@h/db?sslmode=disable",
		"sqlite:/var/lib/cspbill/ledger@2026%.db":           "sqlite:/var/lib/cspbill/ledger@2026%.db",
	} {
		if got := ledger.Redact(in); got != want {
			t.Errorf("Redact(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestOpen_ASQLitePathIsTheFileNamed: '#', '?' and '%' in a sqlite: path
// are part of the file name. SQLite's URI parser ended the name at '#' or
// '?': "close#2026-10.db" and "close#2026-11.db" were one database, "close",
// each under its own lock file (found by a review).
func TestOpen_ASQLitePathIsTheFileNamed(t *testing.T) {
	dir := t.TempDir()
	names := []string{"close#2026-10.db", "close#2026-11.db", "a?b=1&c%41.db"}
	for i, name := range names {
		l := openLedger(t, "sqlite:"+filepath.Join(dir, name))
		for range i + 1 { // a run more in each, to tell them apart
			startRun(t, l)
		}
		l.Close()
	}
	for i, name := range names {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no file %q: %v", name, err)
		}
		l := openLedger(t, "sqlite:"+filepath.Join(dir, name))
		if n := count(t, l, "job_runs"); n != i+1 {
			t.Errorf("%s holds %d runs, want %d", name, n, i+1)
		}
	}
	for _, stray := range []string{"close", "a"} {
		if _, err := os.Stat(filepath.Join(dir, stray)); !os.IsNotExist(err) {
			t.Errorf("a file %q was made: %v", stray, err)
		}
	}
}

// TestOpen_ALedgerAnEarlierVersionOpenedUnderACutPathIsNamed: an earlier
// version kept sqlite:close#2026.db in the file "close"; opening the full
// name now, while only "close" exists, is refused with the file to rename,
// rather than starting an empty ledger beside it (the next close invoiced
// the month a second time; found by a review).
func TestOpen_ALedgerAnEarlierVersionOpenedUnderACutPathIsNamed(t *testing.T) {
	dir := t.TempDir()
	openLedger(t, "sqlite:"+filepath.Join(dir, "close")).Close()
	_, err := ledger.Open(context.Background(), "sqlite:"+filepath.Join(dir, "close#2026.db"))
	if !errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(), "rename it to") {
		t.Fatalf("Open = %v, want a refusal naming the file to rename", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "close#2026.db")); !os.IsNotExist(err) {
		t.Errorf("the full name was created: %v", err)
	}
	// Once renamed, it opens.
	if err := os.Rename(filepath.Join(dir, "close"), filepath.Join(dir, "close#2026.db")); err != nil {
		t.Fatal(err)
	}
	openLedger(t, "sqlite:"+filepath.Join(dir, "close#2026.db"))
}
