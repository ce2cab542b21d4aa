package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Posting is one leg of a transaction: debit positive, credit negative, in
// minor units of the transaction's currency.
type Posting struct {
	Account string
	Amount  int64
}

// Txn is one balanced ledger transaction: one charge or credit (SPEC P3),
// with the metadata of the invoice line it becomes.
type Txn struct {
	Key            string // business key, UNIQUE in the database
	Period         string // "YYYY-MM" invoice period it belongs to
	Invoiced       bool   // false for charges before the cutover (recorded, on no invoice)
	Date           string // "YYYY-MM-DD" effective date of the charge or credit
	CustomerID     string
	Currency       string
	ChargeType     string // new, cycleCharge, renew, cancelImmediate
	OrderID        string
	LineNo         int
	SubscriptionID string
	SKU            string
	Description    string
	ChargeStart    string // "YYYY-MM-DD"
	ChargeEnd      string // "YYYY-MM-DD" or "" (perpetual)
	Quantity       int64
	Net, Tax       int64  // minor units; credits negative
	Gross          int64  // = Net + Tax
	Source         string // "file:line" of the source record
	CreditsKey     string // for a credit: the Key of the charge it credits
	Postings       []Posting

	sealed string // the content hash, set by Seal
}

// Seal checks t and computes its content hash now, so Post and PostNew need
// not: a caller that builds transactions on one goroutine and posts them
// from another moves that work off the posting path. A sealed transaction
// must not be changed afterwards (Post would store the old hash).
func (t *Txn) Seal() error {
	t.sealed = ""
	if err := t.Check(); err != nil {
		return err
	}
	t.sealed = t.Hash()
	return nil
}

// ReceivablePrefix starts the name of every customer receivable account
// ("receivable:CUST1"); Post checks that these postings add up to Gross.
const ReceivablePrefix = "receivable:"

// Hash is the content hash of t that a reused business key must match: a
// digest of every field except Period, Invoiced and the run, which depend on
// when the transaction was posted, not on what it is. Posting order does not
// matter.
func (t *Txn) Hash() string {
	ps := slices.Clone(t.Postings)
	slices.SortFunc(ps, func(a, b Posting) int {
		if c := strings.Compare(a.Account, b.Account); c != 0 {
			return c
		}
		return cmpInt(a.Amount, b.Amount)
	})
	// Each field length-prefixed, so no two different transactions
	// encode alike. Changing this encoding changes every stored hash:
	// bump the "v1" and re-hash in a migration.
	b := make([]byte, 0, 512)
	b = append(b, "cspbill txn v1"...)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	num := func(n int64) { b = binary.AppendVarint(b, n) }
	for _, s := range []string{t.Key, t.Date, t.CustomerID, t.Currency, t.ChargeType, t.OrderID} {
		str(s)
	}
	num(int64(t.LineNo))
	for _, s := range []string{t.SubscriptionID, t.SKU, t.Description, t.ChargeStart, t.ChargeEnd} {
		str(s)
	}
	for _, n := range []int64{t.Quantity, t.Net, t.Tax, t.Gross} {
		num(n)
	}
	str(t.Source)
	str(t.CreditsKey)
	num(int64(len(ps)))
	for _, p := range ps {
		str(p.Account)
		num(p.Amount)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var chargeTypes = map[string]bool{"new": true, "cycleCharge": true, "renew": true, "cancelImmediate": true}

// Check reports why t cannot be posted: ErrUnbalanced when its postings do
// not sum to zero, gross is not net + tax, or its receivable postings are not
// its gross; ErrInvalid for a missing or malformed field.
func (t *Txn) Check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: txn %q: %s", ErrInvalid, t.Key, fmt.Sprintf(format, args...))
	}
	switch {
	case t.Key == "":
		return bad("empty business key")
	case !isMonth(t.Period):
		return bad("period %q is not YYYY-MM", t.Period)
	case !isDate(t.Date):
		return bad("date %q is not YYYY-MM-DD", t.Date)
	case !isDate(t.ChargeStart):
		return bad("charge_start %q is not YYYY-MM-DD", t.ChargeStart)
	case t.ChargeEnd != "" && !isDate(t.ChargeEnd):
		return bad("charge_end %q is not YYYY-MM-DD", t.ChargeEnd)
	case t.CustomerID == "" || t.Currency == "":
		return bad("customer and currency are required")
	case !chargeTypes[t.ChargeType]:
		return bad("charge type %q is not new, cycleCharge, renew or cancelImmediate", t.ChargeType)
	case t.CreditsKey == t.Key:
		return bad("credits itself")
	case len(t.Postings) < 2:
		return fmt.Errorf("%w: txn %q: %d posting(s), want at least 2", ErrUnbalanced, t.Key, len(t.Postings))
	}
	unbalanced := func(format string, args ...any) error {
		return fmt.Errorf("%w: txn %q: %s", ErrUnbalanced, t.Key, fmt.Sprintf(format, args...))
	}
	if t.Gross != t.Net+t.Tax {
		return unbalanced("gross %d != net %d + tax %d", t.Gross, t.Net, t.Tax)
	}
	var sum, receivable int64
	for _, p := range t.Postings {
		if p.Account == "" {
			return bad("posting without an account")
		}
		sum += p.Amount
		if strings.HasPrefix(p.Account, ReceivablePrefix) {
			receivable += p.Amount
		}
	}
	if sum != 0 {
		return unbalanced("postings sum to %d, not 0", sum)
	}
	if receivable != t.Gross {
		return unbalanced("receivable postings %d != gross %d", receivable, t.Gross)
	}
	return nil
}

// isMonth reports whether s is YYYY-MM with a month from 01 to 12.
func isMonth(s string) bool {
	if len(s) != 7 || s[4] != '-' {
		return false
	}
	_, okY := digits(s[:4])
	m, okM := digits(s[5:])
	return okY && okM && m >= 1 && m <= 12
}

// isDate reports whether s is YYYY-MM-DD and a day of the calendar. A hand
// check, not time.Parse: Check runs on every posted transaction, and
// parsing three dates was half its time.
func isDate(s string) bool {
	if len(s) != 10 || s[7] != '-' || !isMonth(s[:7]) {
		return false
	}
	y, _ := digits(s[:4])
	m, _ := digits(s[5:7])
	d, ok := digits(s[8:])
	return ok && d >= 1 && d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// digits is the value of s if it is all ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, s != ""
}

// PostResult counts what a Post did.
type PostResult struct {
	Posted        int // transactions written now
	AlreadyPosted int // keys already in the ledger (or repeated in the batch) with the same content
}

// Post writes txns in one database transaction: all of them or none. A key
// already posted with the same content is skipped and counted; the same key
// with other content fails with ErrKeyConflict naming the key, and nothing of
// the batch is written. So does an invalid or unbalanced transaction
// (ErrInvalid, ErrUnbalanced) or one in a closed period (ErrPeriodClosed).
// Accounts are created on first use. runID must be a run from StartRun.
func (l *Ledger) Post(ctx context.Context, runID string, txns []Txn) (PostResult, error) {
	var res PostResult
	err := l.InTx(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.Post(ctx, runID, txns)
		return err
	})
	if err != nil {
		return PostResult{}, err
	}
	return res, nil
}

// Post is Ledger.Post inside an open transaction.
func (t *Tx) Post(ctx context.Context, runID string, txns []Txn) (PostResult, error) {
	return t.post(ctx, runID, txns, true)
}

// PostNew is Post for transactions the caller has just looked up and found
// unposted while holding Lock: it skips the look-up. A key posted after all
// still fails, on the UNIQUE constraint, and nothing of the batch is written.
func (t *Tx) PostNew(ctx context.Context, runID string, txns []Txn) (PostResult, error) {
	return t.post(ctx, runID, txns, false)
}

func (t *Tx) post(ctx context.Context, runID string, txns []Txn, lookup bool) (PostResult, error) {
	var res PostResult
	if runID == "" {
		return res, fmt.Errorf("%w: Post needs a run id", ErrInvalid)
	}
	hashes, err := sealAll(txns)
	if err != nil {
		return res, err
	}
	first := make(map[string]int, len(txns)) // key → index of its first occurrence
	keep := make([]int, 0, len(txns))
	for i := range txns {
		if j, dup := first[txns[i].Key]; dup {
			if hashes[j] != hashes[i] {
				return res, conflict(txns[i].Key, "twice in this batch")
			}
			res.AlreadyPosted++
			continue
		}
		first[txns[i].Key] = i
		keep = append(keep, i)
	}

	if t.d == postgres {
		// SHARE conflicts with the SHARE ROW EXCLUSIVE lock ClosePeriod
		// takes, so a period cannot close between this check and commit.
		if _, err := t.tx.ExecContext(ctx, `LOCK TABLE periods IN SHARE MODE`); err != nil {
			return res, err
		}
		// The statement checks read a COPY's new rows from a transition
		// table, kept in work_mem: at the default 4 MB, those of 10,000
		// transactions spill to a temporary file and are read back from
		// it (perf on the server: ~6% of posting, measured).
		if _, err := t.tx.ExecContext(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return res, err
		}
	}
	closed, err := t.closedSet(ctx)
	if err != nil {
		return res, err
	}
	if lookup && !anyIn(closed, txns, keep) {
		// Write first and look up only if a key turns out to be posted
		// already: a batch of new keys, the usual one, then costs no
		// look-up (~2.5 µs a transaction on PostgreSQL). The savepoint takes
		// the failed attempt back, accounts and all.
		if _, err := t.tx.ExecContext(ctx, `SAVEPOINT cspbill_post`); err != nil {
			return res, err
		}
		err := t.write(ctx, runID, txns, keep, hashes)
		if err == nil {
			if _, err := t.tx.ExecContext(ctx, `RELEASE SAVEPOINT cspbill_post`); err != nil {
				return res, err
			}
			res.Posted = len(keep)
			return res, nil
		}
		if !isKeyViolation(err) {
			return res, err
		}
		if _, err := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT cspbill_post`); err != nil {
			return res, err
		}
	}

	posted := make(map[string]string)
	if lookup {
		keys := make([]string, len(keep))
		for n, i := range keep {
			keys[n] = txns[i].Key
		}
		for p, err := range t.Lookup(ctx, keys) {
			if err != nil {
				return res, err
			}
			posted[p.Key] = p.Hash
		}
	}
	todo := keep[:0]
	for _, i := range keep {
		x := &txns[i]
		if h, ok := posted[x.Key]; ok {
			if h != hashes[i] {
				return res, conflict(x.Key, "posted before")
			}
			res.AlreadyPosted++
			continue
		}
		if closed[x.Period] {
			return res, fmt.Errorf("%w: %s: txn %q cannot post into it", ErrPeriodClosed, x.Period, x.Key)
		}
		todo = append(todo, i)
	}
	if err := t.write(ctx, runID, txns, todo, hashes); err != nil {
		if isKeyViolation(err) {
			return res, fmt.Errorf("ledger: another writer posted some of these keys meanwhile (hold Lock while posting): %w", err)
		}
		return res, err
	}
	res.Posted = len(todo)
	return res, nil
}

// sealAll checks the transactions and returns their hashes (a sealed one's
// as it was sealed). Nothing is sent to the database before this is done,
// so a large batch is checked and hashed on every core. The error is the
// first transaction's in batch order, whichever goroutine found it.
func sealAll(txns []Txn) ([]string, error) {
	return sealEach(txns, func(t *Txn) (string, error) {
		if t.sealed != "" {
			return t.sealed, nil
		}
		if err := t.Check(); err != nil {
			return "", err
		}
		return t.Hash(), nil
	})
}

// sealEach runs seal on every transaction, on every core for a large batch.
// A panic in seal (a bug) becomes the error of the transaction it was
// sealing: on a worker goroutine it would end the process instead of
// failing the post, whose transaction then rolls back.
func sealEach(txns []Txn, seal func(*Txn) (string, error)) ([]string, error) {
	hashes := make([]string, len(txns))
	errs := make([]error, len(txns))
	work := func(lo, hi int) {
		i := lo
		defer func() {
			if r := recover(); r != nil {
				errs[i] = fmt.Errorf("internal error (a bug) sealing txn %q: %v\n%s", txns[i].Key, r, debug.Stack())
			}
		}()
		for ; i < hi; i++ {
			hashes[i], errs[i] = seal(&txns[i])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(txns)/1024)
	if workers < 2 {
		work(0, len(txns))
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { work(w*len(txns)/workers, (w+1)*len(txns)/workers) })
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return hashes, nil
}

// anyIn reports whether one of txns[keep] falls in a closed month.
func anyIn(closed map[string]bool, txns []Txn, keep []int) bool {
	for _, i := range keep {
		if closed[txns[i].Period] {
			return true
		}
	}
	return false
}

// write inserts txns[todo] and their postings, creating the accounts they
// name. hashes[i] is the hash of txns[i].
func (t *Tx) write(ctx context.Context, runID string, txns []Txn, todo []int, hashes []string) (err error) {
	if len(todo) == 0 {
		return nil
	}
	added, err := t.ensureAccounts(ctx, txns, todo)
	if err != nil {
		return err
	}
	// On any error the caller rolls back (the transaction, or to its
	// savepoint), so the accounts added here are not known to exist.
	defer func() {
		if err != nil {
			for _, a := range added {
				delete(t.accounts, a)
			}
		}
	}()
	ids, err := t.allocIDs(ctx, "txns", len(todo))
	if err != nil {
		return err
	}
	err = t.bulkInsert(ctx, "txns", txnColumns, len(todo), func(n int, a []any) {
		x := &txns[todo[n]]
		var credits any
		if x.CreditsKey != "" {
			credits = x.CreditsKey
		}
		a[0], a[1], a[2], a[3], a[4] = ids[n], x.Key, hashes[todo[n]], x.Period, x.Invoiced
		a[5], a[6], a[7], a[8], a[9] = x.Date, x.CustomerID, x.Currency, x.ChargeType, x.OrderID
		a[10], a[11], a[12], a[13] = int64(x.LineNo), x.SubscriptionID, x.SKU, x.Description
		a[14], a[15], a[16], a[17], a[18] = x.ChargeStart, x.ChargeEnd, x.Quantity, x.Net, x.Tax
		a[19], a[20], a[21], a[22] = x.Gross, x.Source, credits, runID
	})
	if err != nil {
		return err
	}

	// Postings, flattened: row r is posting pn[r] of todo[tn[r]].
	var tn, pn []int32
	for n, i := range todo {
		for p := range txns[i].Postings {
			tn, pn = append(tn, int32(n)), append(pn, int32(p))
		}
	}
	err = t.bulkInsert(ctx, "postings", postingColumns, len(tn), func(r int, a []any) {
		n := tn[r]
		x := &txns[todo[n]]
		p := &x.Postings[pn[r]]
		a[0], a[1], a[2], a[3], a[4] = ids[n], int64(pn[r]), x.Period, p.Account, p.Amount
	})
	return err
}

func conflict(key, where string) error {
	return fmt.Errorf("%w: key %q (%s)", ErrKeyConflict, key, where)
}

var txnColumns = []string{
	"id", "key", "hash", "period", "invoiced",
	"date", "customer_id", "currency", "charge_type", "order_id",
	"line_no", "subscription_id", "sku", "description",
	"charge_start", "charge_end", "quantity", "net", "tax",
	"gross", "source", "credits_key", "run_id",
}

var postingColumns = []string{"txn_id", "seq", "period", "account", "amount"}

// accountCache bounds each set of account names known to exist (a
// Ledger's, a transaction's). There is a receivable account per customer,
// so unbounded they grew with the customers (~70 bytes a name, twice: 28 MiB
// more peak memory for the post at a million order lines than at 100,000).
// A full set starts afresh; an account it forgot is inserted again, which
// ON CONFLICT DO NOTHING makes a no-op.
var accountCache = 1 << 15

// ensureAccounts creates the accounts the postings of txns[todo] name and
// returns the names it inserted. Accounts are never deleted, so one ensured
// in this transaction, or by a committed one of this Ledger, exists: later
// batches skip it.
func (t *Tx) ensureAccounts(ctx context.Context, txns []Txn, todo []int) ([]string, error) {
	if t.accounts == nil {
		t.accounts = make(map[string]bool)
	}
	var names []string
	for _, i := range todo {
		for _, p := range txns[i].Postings {
			if !t.accounts[p.Account] && !t.l.knownAccount(p.Account) {
				if len(t.accounts) >= accountCache {
					clear(t.accounts)
				}
				t.accounts[p.Account] = true
				names = append(names, p.Account)
			}
		}
	}
	slices.Sort(names) // a stable order takes row locks in a stable order
	// On an error the transaction rolls back and its accounts are never
	// learnt by the Ledger (InTx), so t.accounts may run ahead of it.
	return names, t.insertValues(ctx, "accounts", []string{"name"}, " ON CONFLICT (name) DO NOTHING",
		len(names), func(n int, a []any) { a[0] = names[n] })
}

// allocIDs reserves n ids for table, so child rows can name their parent
// without a round trip per row.
func (t *Tx) allocIDs(ctx context.Context, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if n == 0 {
		return ids, nil
	}
	if t.d == postgres {
		// One statement takes n values; they are consecutive unless another
		// session took values at the same moment, and then each is fetched.
		var r struct{ Lo, Hi, N int64 }
		q := `SELECT nextval('` + table + `_id_seq') AS v FROM generate_series(1, $1)`
		if err := t.tx.QueryRowxContext(ctx, `SELECT min(v) AS lo, max(v) AS hi, count(*) AS n FROM (`+q+`) s`, n).StructScan(&r); err != nil {
			return nil, err
		}
		if r.N == int64(n) && r.Hi-r.Lo+1 == int64(n) {
			for id := r.Lo; id <= r.Hi; id++ {
				ids = append(ids, id)
			}
			return ids, nil
		}
		err := t.tx.SelectContext(ctx, &ids, q, n)
		return ids, err
	}
	// SQLite: the transaction began IMMEDIATE and so holds the write lock;
	// nobody else can take these ids.
	var last int64
	if err := t.tx.GetContext(ctx, &last, `SELECT COALESCE(MAX(id), 0) FROM `+table); err != nil {
		return nil, err
	}
	for i := range n {
		ids = append(ids, last+1+int64(i))
	}
	return ids, nil
}

// bulkInsert writes n rows: COPY on PostgreSQL, multi-row INSERT on SQLite.
// fill sets the row's values in column order.
func (t *Tx) bulkInsert(ctx context.Context, table string, cols []string, n int, fill func(row int, args []any)) error {
	if n == 0 {
		return nil
	}
	if t.d != postgres {
		return t.insertValues(ctx, table, cols, "", n, fill)
	}
	if err := t.copyIn(ctx, table, cols, n, fill); err != nil {
		return fmt.Errorf("ledger: copy into %s: %w", table, err)
	}
	return nil
}

// copyData is lib/pq's COPY statement: CopyData sends lines of COPY's text
// format as they are.
type copyData interface {
	driver.Stmt
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyChunk is how many bytes of rows go to the driver at a time.
const copyChunk = 256 << 10

// copyIn runs COPY table FROM STDIN on the transaction's own connection,
// encoding the rows in COPY's text format here rather than through
// database/sql's per-value conversions, which were a third of the client's
// posting time. The statement is the transaction's like any other: it
// commits or rolls back with it.
func (t *Tx) copyIn(ctx context.Context, table string, cols []string, n int, fill func(row int, args []any)) error {
	return t.conn.Raw(func(dc any) error {
		err := t.copyRows(ctx, dc, table, cols, n, fill)
		// database/sql closes a connection whose Raw callback returns
		// driver.ErrBadConn, and closing waits for the transaction open on
		// it, which waits for this call: the job would hang for good. The
		// error is passed on without ErrBadConn in its chain; the
		// transaction's rollback then discards the connection.
		if errors.Is(err, driver.ErrBadConn) {
			return fmt.Errorf("%w: %v", errBrokenCopy, err)
		}
		return err
	})
}

// errBrokenCopy is a COPY's driver.ErrBadConn, renamed (see copyIn); it
// means the connection broke (connLost).
var errBrokenCopy = errors.New("the connection broke during a COPY")

// copyRows is copyIn's work on the transaction's driver connection dc.
func (t *Tx) copyRows(ctx context.Context, dc any, table string, cols []string, n int, fill func(row int, args []any)) error {
	prep, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("driver %T cannot prepare COPY", dc)
	}
	st, err := prep.PrepareContext(ctx, `COPY `+table+` (`+strings.Join(cols, ", ")+`) FROM STDIN`)
	if err != nil {
		return err
	}
	defer st.Close()
	cp, ok := st.(copyData)
	if !ok {
		return fmt.Errorf("driver statement %T has no CopyData", st)
	}
	args := make([]any, len(cols))
	buf := make([]byte, 0, copyChunk+4096)
	for r := range n {
		fill(r, args)
		if buf, err = appendCopyRow(buf, args); err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
		if len(buf) >= copyChunk || r == n-1 {
			// CopyData ends what it is given with a newline itself.
			if _, err := cp.CopyData(ctx, string(buf[:len(buf)-1])); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	// lib/pq's copyin has no ExecContext: Exec(nil) ends the COPY and
	// reports its errors.
	_, err = st.Exec(nil)
	return err
}

// appendCopyRow appends one row in COPY's text format: tab-separated, \N
// for NULL, backslash, tab, newline and carriage return escaped, and a
// newline at the end.
func appendCopyRow(b []byte, args []any) ([]byte, error) {
	for i, a := range args {
		if i > 0 {
			b = append(b, '\t')
		}
		switch v := a.(type) {
		case nil:
			b = append(b, '\\', 'N')
		case string:
			for j := 0; j < len(v); j++ {
				switch c := v[j]; c {
				case '\\':
					b = append(b, '\\', '\\')
				case '\t':
					b = append(b, '\\', 't')
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				default:
					b = append(b, c)
				}
			}
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case bool:
			if v {
				b = append(b, 't')
			} else {
				b = append(b, 'f')
			}
		default:
			return nil, fmt.Errorf("column %d: cannot COPY a %T", i, a)
		}
	}
	return append(b, '\n'), nil
}

// maxRowsPerInsert caps one multi-row INSERT below the bind-parameter limit;
// larger statements stop getting faster to parse.
const maxRowsPerInsert = 1000

// insertValues writes n rows with multi-row INSERTs naming their columns
// (without a column list SQLite keeps only the first row of a VALUES batch),
// each under the driver's bind-parameter limit; suffix is appended (ON
// CONFLICT …).
func (t *Tx) insertValues(ctx context.Context, table string, cols []string, suffix string, n int, fill func(row int, args []any)) error {
	if n == 0 {
		return nil
	}
	per := min(t.d.maxParams()/len(cols), maxRowsPerInsert)
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	var full *sqlx.Stmt // the statement for a full batch, prepared once
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for off := 0; off < n; off += per {
		k := min(per, n-off)
		args := make([]any, k*len(cols))
		for r := range k {
			fill(off+r, args[r*len(cols):(r+1)*len(cols)])
		}
		q := head + t.values(k, len(cols)) + suffix
		var err error
		if k == per && n > per {
			if full == nil {
				if full, err = t.tx.PreparexContext(ctx, q); err != nil {
					return fmt.Errorf("ledger: insert into %s: %w", table, err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = t.tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("ledger: insert into %s: %w", table, err)
		}
	}
	return nil
}

// values returns "(?, ?), (?, ?)" (or $1… on PostgreSQL) for rows × cols.
func (r reader) values(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 6)
	p := 0
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			if r.d == postgres {
				fmt.Fprintf(&b, "$%d", p)
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// lookupChunk bounds one IN list / array of keys.
const lookupChunk = 10000

// Lookup streams the transactions already posted among keys (in no
// particular order), with their content hashes.
func (r reader) Lookup(ctx context.Context, keys []string) iter.Seq2[PostedTxn, error] {
	return func(yield func(PostedTxn, error) bool) {
		for off := 0; off < len(keys); off += lookupChunk {
			chunk := keys[off:min(off+lookupChunk, len(keys))]
			var seq iter.Seq2[PostedTxn, error]
			if r.d == postgres {
				seq = rowsOf[PostedTxn](ctx, r.q, r.rebind(probeEach(selectPosted, "key")), pq.StringArray(distinct(chunk)))
			} else {
				args := make([]any, len(chunk))
				for i, k := range chunk {
					args[i] = k
				}
				seq = rowsOf[PostedTxn](ctx, r.q, selectPosted+` WHERE key IN (`+strings.Repeat("?, ", len(chunk)-1)+`?)`, args...)
			}
			for p, err := range seq {
				if !yield(p, err) || err != nil {
					return
				}
			}
		}
	}
}
