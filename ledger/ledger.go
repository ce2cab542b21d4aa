package ledger

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers driver "sqlite"

	sqlfiles "cspbill/sql"
)

func init() {
	// sqlx knows "sqlite3" but not modernc's driver name.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Sentinel errors; test them with errors.Is.
var (
	// ErrUnbalanced: a transaction whose postings do not sum to zero, whose
	// gross is not net + tax, or whose receivable postings are not its gross.
	ErrUnbalanced = errors.New("ledger: unbalanced transaction")
	// ErrInvalid: a transaction or argument with a missing or malformed field.
	ErrInvalid = errors.New("ledger: invalid input")
	// ErrKeyConflict: a business key already posted with other content.
	ErrKeyConflict = errors.New("ledger: business key already posted with different content")
	// ErrPeriodClosed: a write into a closed period, refused by Go or by the
	// database's own triggers.
	ErrPeriodClosed = errors.New("ledger: period is closed")
	// ErrBusy: another run holds the ledger lock.
	ErrBusy = errors.New("another cspbill run holds the ledger lock; try again later")
	// ErrConnLost: the connection to the database broke during a
	// transaction, so none of it was committed.
	ErrConnLost = errors.New("ledger: lost the connection to the database")
)

type dialect int

const (
	postgres dialect = iota
	sqlite
)

func (d dialect) String() string {
	if d == postgres {
		return "postgres"
	}
	return "sqlite"
}

// Bind-parameter limits per statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER
// (32766 since 3.32) and PostgreSQL's 16-bit parameter count (65535).
func (d dialect) maxParams() int {
	if d == postgres {
		return 65535
	}
	return 32766
}

// Ledger is the book of record. It is safe for concurrent use; writes go
// through one database transaction each (or through Tx). The read methods of
// [reader] are available on both Ledger and Tx.
type Ledger struct {
	reader
	db   *sqlx.DB
	path string // SQLite file; the cross-process lock lives at path+".lock"
	url  string // redacted, for messages
	now  func() time.Time

	// accounts known to exist: created or found by a committed
	// transaction. Accounts are never deleted (accounts_append_only), so a
	// name once here stays true.
	accountsMu sync.Mutex
	accounts   map[string]bool
}

// knownAccount reports whether a committed transaction created or found the
// account name.
func (l *Ledger) knownAccount(name string) bool {
	l.accountsMu.Lock()
	defer l.accountsMu.Unlock()
	return l.accounts[name]
}

// learnAccounts records the accounts a committed transaction ensured.
func (l *Ledger) learnAccounts(names map[string]bool) {
	if len(names) == 0 {
		return
	}
	l.accountsMu.Lock()
	defer l.accountsMu.Unlock()
	if l.accounts == nil {
		l.accounts = make(map[string]bool, len(names))
	}
	if len(l.accounts)+len(names) > accountCache {
		clear(l.accounts)
	}
	for n := range names {
		l.accounts[n] = true
	}
}

// Open connects to url, "sqlite:PATH" or "postgres://…" / "postgresql://…",
// and applies any pending migrations. Errors never show the password.
func Open(ctx context.Context, rawURL string) (*Ledger, error) {
	l, err := open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if err := l.Migrate(ctx); err != nil {
		l.db.Close()
		return nil, err
	}
	return l, nil
}

// cutPathLedger refuses a sqlite path with '#', '?' or '%' whose file does
// not exist while the file an earlier version opened for it does: until
// the ninth session SQLite's URI parser cut the name at '#' or '?' (and
// decoded '%XX'), so "close#2026.db" is a ledger in "close". Opening the full
// name would start an empty ledger beside it, and the next close would
// invoice the month again.
func cutPathLedger(path string) error {
	if !strings.ContainsAny(path, "#?%") {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	old := path
	if i := strings.IndexAny(old, "#?"); i >= 0 {
		old = old[:i]
	}
	if u, err := url.PathUnescape(old); err == nil {
		old = u
	}
	if fi, err := os.Stat(old); err != nil || !fi.Mode().IsRegular() || old == path {
		return nil
	}
	return fmt.Errorf("%w: sqlite:%s does not exist, but %s does: versions before the ninth session cut sqlite paths at '#' or '?', so that file is this ledger; rename it to %s (or give its name) to go on with it",
		ErrInvalid, path, old, path)
}

// uriPath escapes what SQLite's URI file names give a meaning to.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// CheckURL says whether rawURL names a ledger Open can try: sqlite:PATH
// with a file path, or a postgres:// URL that parses. It touches nothing, so
// a command can refuse a mistyped --db as bad usage before it starts.
func CheckURL(rawURL string) error {
	_, err := dialectOf(rawURL)
	return err
}

// dialectOf is the database rawURL names, or why it names none.
func dialectOf(rawURL string) (dialect, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		if path := sqlitePath(rawURL); path == "" || path == ":memory:" {
			// :memory: is one database per connection; the pool would
			// scatter the ledger across several.
			return 0, fmt.Errorf("%w: %q: sqlite needs a file path", ErrInvalid, rawURL)
		}
		return sqlite, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrInvalid, scrub(err, rawURL))
		}
		return postgres, nil
	}
	return 0, fmt.Errorf("%w: database URL %q: want sqlite:PATH or postgres://…", ErrInvalid, Redact(rawURL))
}

func sqlitePath(rawURL string) string {
	return strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
}

func open(ctx context.Context, rawURL string) (*Ledger, error) {
	l := &Ledger{url: Redact(rawURL), now: time.Now}
	d, err := dialectOf(rawURL)
	if err != nil {
		return nil, err
	}
	var driver, dsn string
	switch l.d = d; d {
	case sqlite:
		l.path = sqlitePath(rawURL)
		driver = "sqlite"
		if err := cutPathLedger(l.path); err != nil {
			return nil, err
		}
		// WAL lets readers run beside the writer; _txlock=immediate takes
		// the write lock at BEGIN, so a read-then-write transaction (Post
		// reads the next id) can never fail half way on a busy snapshot.
		// The path is escaped for SQLite's URI parser, which ends the file
		// name at '#' or '?' and decodes '%': "close#2026-10.db" opened a
		// file named "close", while the lock was taken on the full name.
		dsn = "file:" + uriPath.Replace(l.path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	case postgres:
		driver, dsn = "postgres", withJITOff(rawURL)
	}
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s: %w", l.url, scrub(err, rawURL))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: connect to %s: %w", l.url, scrub(err, rawURL))
	}
	l.db = db
	l.reader = reader{q: db, d: l.d}
	return l, nil
}

// withJITOff asks the server not to JIT-compile this ledger's queries
// (lib/pq passes unknown URL parameters on as run-time settings). The jobs
// send thousands of look-ups of a few thousand keys each; when a plan's cost
// estimate crosses jit_above_cost, compiling it takes longer than running
// it (seen: 150 ms a query). A URL that sets jit itself keeps its choice.
func withJITOff(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q := u.Query()
	if q.Has("jit") {
		return rawURL
	}
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// quoted is a quoted part of an error message.
var quoted = regexp.MustCompile(`"[^"]*"`)

// passwordParam is a password given as a parameter, in a URL's query or a
// key=value connection string (password=, sslpassword=).
var passwordParam = regexp.MustCompile(`(?i)\b((?:ssl)?password)=[^&\s]*`)

// Redact returns url with any password replaced by "xxxxx": the user
// info's and a password parameter's. A URL that cannot be parsed is not
// shown at all when it may hold one.
func Redact(rawURL string) string {
	if strings.HasPrefix(rawURL, "sqlite:") {
		return rawURL // a file path: no password, and '%' or '@' are the file's
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") || strings.Contains(strings.ToLower(rawURL), "password") {
			return "(unparsable database URL)"
		}
		return rawURL
	}
	shown := rawURL
	if u.User != nil {
		shown = u.Redacted()
	}
	return passwordParam.ReplaceAllString(shown, "${1}=xxxxx")
}

// scrub makes sure a driver error does not repeat the password, as given or
// escaped. For a URL that cannot be parsed it keeps only why (Go's parse
// error quotes the URL).
func scrub(err error, rawURL string) error {
	if strings.HasPrefix(rawURL, "sqlite:") {
		return err
	}
	u, perr := url.Parse(rawURL)
	if perr != nil {
		var ue *url.Error
		if errors.As(perr, &ue) {
			// Go's reason quotes the part it could not read, which can be
			// part of a password ("postgres://bob:se/cret@db" is host bob
			// with port "se"): the reason is kept, the quote is not.
			return fmt.Errorf("the database URL cannot be parsed: %s", quoted.ReplaceAllString(ue.Err.Error(), "…"))
		}
		return errors.New("the database URL cannot be parsed")
	}
	msg := passwordParam.ReplaceAllString(err.Error(), "${1}=xxxxx")
	q := u.Query()
	secrets := []string{q.Get("password"), q.Get("sslpassword")}
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	for _, pw := range secrets {
		for _, form := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw)} {
			if form != "" {
				msg = strings.ReplaceAll(msg, form, "xxxxx")
			}
		}
	}
	if msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// DB is the underlying handle, for tests and tools; prefer the methods.
func (l *Ledger) DB() *sqlx.DB { return l.db }

// Dialect is "postgres" or "sqlite".
func (l *Ledger) Dialect() string { return l.d.String() }

// SetClock replaces time.Now for the timestamps the ledger writes (runs,
// closed_at), so tests and golden files are stable.
func (l *Ledger) SetClock(now func() time.Time) { l.now = now }

// Close closes the database handle.
func (l *Ledger) Close() error { return l.db.Close() }

// Migrate applies the embedded migrations that are not yet applied. Open
// calls it; when something is pending it holds the ledger lock (up to a
// minute) so two processes opening a fresh database do not both migrate.
// Do not call it while holding Lock yourself.
func (l *Ledger) Migrate(ctx context.Context) error {
	p, err := l.migrator()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("ledger: migrations of %s: %w", l.url, err)
	}
	if !pending {
		return nil
	}
	release, err := l.Lock(ctx, time.Minute)
	if err != nil {
		return err
	}
	defer release()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("ledger: migrate %s: %w", l.url, err)
	}
	return nil
}

func (l *Ledger) migrator() (*goose.Provider, error) {
	dir, gd := "sqlite", goose.DialectSQLite3
	if l.d == postgres {
		dir, gd = "postgres", goose.DialectPostgres
	}
	fsys, err := fs.Sub(sqlfiles.FS, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gd, l.db.DB, fsys)
}

// Tx is one database transaction. Its writes commit together or not at all.
// While a read iterator of a Tx is open, do not run another statement on
// that Tx (lib/pq allows one open result per connection).
type Tx struct {
	reader
	tx   *sqlx.Tx
	conn *sqlx.Conn // the connection tx runs on: COPY writes through it directly
	l    *Ledger

	accounts map[string]bool // accounts created or found by this transaction's posts
}

// InTx runs fn in one database transaction, committed when fn returns nil
// and rolled back otherwise.
func (l *Ledger) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	conn, err := l.db.Connx(ctx)
	if err != nil {
		return l.wrap(err)
	}
	defer conn.Close()
	stx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return l.wrap(err)
	}
	// Rolled back before the connection closes, also when fn panics (the
	// close waited for the open transaction for ever: a hang, not a failure).
	// After a commit it is a no-op.
	defer stx.Rollback()
	tx := &Tx{reader: reader{q: stx, d: l.d}, tx: stx, conn: conn, l: l}
	if err := fn(tx); err != nil {
		return l.wrapIn(ctx, err)
	}
	if err := stx.Commit(); err != nil {
		return l.wrapIn(ctx, fmt.Errorf("ledger: commit: %w", err))
	}
	l.learnAccounts(tx.accounts)
	return nil
}

// wrapIn is wrap for an error inside a transaction run under ctx: once ctx
// is cancelled (SIGINT, SIGTERM), what failed failed because of it.
// PostgreSQL reports the statement it cancelled (57014), or the COPY it cut
// off, as errors of their own, which read as a lost connection.
func (l *Ledger) wrapIn(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("ledger: %w, so nothing of this transaction was committed (%v)", ctx.Err(), err)
	}
	return l.wrap(err)
}

// wrap maps the database's own refusals to sentinels, so a closed period
// refused by a trigger reads the same as one refused in Go.
func (l *Ledger) wrap(err error) error {
	if err == nil || errors.Is(err, ErrPeriodClosed) {
		return err
	}
	if strings.Contains(err.Error(), "cspbill: period is closed") {
		return fmt.Errorf("%w: %v", ErrPeriodClosed, err)
	}
	if connLost(err) && !errors.Is(err, ErrConnLost) {
		return fmt.Errorf("%w (%s): nothing of this transaction was committed; run the job again: %v", ErrConnLost, l.url, err)
	}
	return err
}

// connLost reports an error that means the connection broke: the driver's
// bad connection, a network error, an unexpected EOF, or PostgreSQL's
// connection exception (class 08) or operator intervention (class 57, a
// terminated backend or a shutdown).
func connLost(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		class := string(pe.Code.Class())
		return class == "08" || class == "57"
	}
	var ne *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, errBrokenCopy) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.As(err, &ne)
}

// isKeyViolation reports whether err is the UNIQUE business key of txns
// refusing a key already there.
func isKeyViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23505" && pe.Constraint == "txns_key_key"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed: txns.key")
}

// reader holds the read methods shared by Ledger and Tx.
type reader struct {
	q sqlx.ExtContext
	d dialect
}

func (r reader) rebind(q string) string {
	if r.d == postgres {
		return sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return q
}
