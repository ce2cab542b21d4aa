// Package ledgertest gives tests fresh ledger databases: a SQLite file in
// t.TempDir() and a PostgreSQL schema of its own, migrated from scratch by
// ledger.Open and dropped in t.Cleanup.
//
// PostgreSQL comes from CSPBILL_TEST_POSTGRES. When that is empty and
// CI=true, postgres://postgres@127.0.0.1:5432/test?sslmode=disable is used
// and an unreachable server fails the test (CI never skips). With neither,
// PostgreSQL tests skip with a notice.
package ledgertest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers driver "postgres"
)

// CIPostgres is the server CI provides.
const CIPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SkipNotice is printed (once) and given to t.Skip without PostgreSQL.
const SkipNotice = "PostgreSQL tests skipped: set CSPBILL_TEST_POSTGRES"

// Target is one database to test against.
type Target struct {
	Name string // "sqlite" or "postgres"
	URL  string // for ledger.Open
}

// Each runs fn once per database, each in its own t.Run with a fresh,
// empty database.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Helper()
			fn(t, URL(t, name))
		})
	}
}

// URL returns a fresh database of kind name ("sqlite" or "postgres") for t.
func URL(t testing.TB, name string) string {
	t.Helper()
	if name == "postgres" {
		return Postgres(t)
	}
	return SQLite(t)
}

// SQLite returns "sqlite:PATH" for a new file in t.TempDir(). (":memory:" is
// one database per connection, so tests use files.)
func SQLite(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
}

var notice sync.Once

// Postgres creates a schema with a random name and returns a URL whose
// search_path points at it; the schema is dropped in t.Cleanup.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CSPBILL_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") != "true" {
			notice.Do(func() { fmt.Fprintln(os.Stderr, "NOTICE: "+SkipNotice) })
			t.Skip(SkipNotice)
		}
		base = CIPostgres
	}
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("PostgreSQL %s: %v", redact(base), err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL %s unreachable: %v", redact(base), err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	schema := "cspbill_test_" + hex.EncodeToString(rnd[:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PostgreSQL URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
