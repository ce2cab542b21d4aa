package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
	"cspbill/ledger"
)

// Ingest loads the inbox files the ledger has not seen, in SPEC order:
// customers, catalog, taxes, orders, cancellations, renewals, by name within
// a kind. A file is the one loaded before only when its name and its content
// hash both match (SPEC §6 "each file once", P4): that file is skipped. A
// file under a new name is read even when its bytes equal a loaded file's:
// its rows that repeat accepted records are seen (V6), and those rejected or
// held before are judged again, so a corrected reference row can let them in.
// Every row is accepted (or seen, or held) or rejected with file, line and
// reason; each file is stored in one database transaction with its control
// totals, so a file is loaded whole or not at all.
func Ingest(ctx context.Context, d Deps, inbox string) (Summary, error) {
	return run(ctx, d, "ingest", "", func(runID string, s *Summary) error {
		box, err := csvin.List(inbox)
		if err != nil {
			return fmt.Errorf("%w: inbox %s: %v", ErrUsage, inbox, err)
		}
		log := d.logger().With("run", runID)
		for _, f := range box.Ignored {
			log.Warn("inbox file ignored: its name matches no input kind", "file", f)
		}
		book, err := loadPrices(ctx, d)
		if err != nil {
			return err
		}
		for _, f := range box.Files {
			if err := ctx.Err(); err != nil {
				return err
			}
			fc, reload, err := ingestFile(ctx, d, book, runID, f)
			if err != nil {
				return err
			}
			if reload { // a whole-file reject: forget what its rows did to the book
				if book, err = loadPrices(ctx, d); err != nil {
					return err
				}
			}
			s.Files = append(s.Files, fc)
			if fc.Skipped {
				s.FilesSkipped++
				log.Info("file already loaded, skipped", "file", f.Name)
				continue
			}
			if fc.Error != "" {
				s.FilesRejected++
				log.Error("file rejected whole, nothing loaded", "file", f.Name, "error", fc.Error)
				continue
			}
			s.Read += fc.Read
			s.Accepted += fc.Accepted
			s.Rejected += fc.Rejected
			s.Held += fc.Held
			log.Info("file loaded", "file", f.Name, "kind", f.Kind, "rows_read", fc.Read, "accepted", fc.Accepted,
				"rejected", fc.Rejected, "held", fc.Held)
			if err := d.hook("ingest:file:" + f.Name); err != nil {
				return err
			}
		}
		if s.Read > 0 {
			return d.Ledger.Analyze(ctx)
		}
		return nil
	})
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ingestFile reads one file into source records and stores them with the
// file in one transaction.
func ingestFile(ctx context.Context, d Deps, book *invoice.Book, runID string, f csvin.File) (fc FileCount, reload bool, err error) {
	fc = FileCount{Name: f.Name, Kind: f.Kind}
	hash, err := fileHash(f.Path)
	if err != nil {
		return fc, false, fmt.Errorf("inbox file %s: %w", f.Name, err)
	}
	// The same name with the same bytes is the same file; a new name is a
	// new file, whatever its bytes.
	if loaded, err := d.Ledger.FileLoaded(ctx, f.Name, hash); err != nil || loaded {
		fc.Skipped = loaded
		return fc, false, err
	}
	// The file's rows stream into the ledger in batches, inside one database
	// transaction with the file's own row: all of it is loaded, or nothing.
	var ferr error
	err = d.Ledger.InTx(ctx, func(tx *ledger.Tx) (err error) {
		if err := tx.PreferIndexes(ctx); err != nil {
			return err
		}
		w := &recordWriter{ctx: ctx, tx: tx, analyzeAt: 4 * ingestBatch}
		defer func() {
			// Nothing may still be writing when the transaction ends.
			if werr := w.wait(); err == nil {
				err = werr
			}
		}()
		sink := func(r ledger.SourceRecord) error {
			fc.Read++
			switch r.Status {
			case ledger.Rejected:
				fc.Rejected++
			case ledger.Held:
				fc.Held++
				fc.Accepted++
			default:
				fc.Accepted++
			}
			r.RunID = runID
			w.batch = append(w.batch, r)
			// Files judged in batches write each batch when the next one
			// begins (an order lines file, behind it); this bounds the
			// others (catalog, taxes) and a file's unreadable rows.
			if len(w.batch) >= 2*ingestBatch {
				return w.flush()
			}
			return nil
		}
		if ferr = readFile(ctx, d, tx, f, book, sink, w); ferr != nil {
			return ferr
		}
		if err := w.flush(); err != nil {
			return err
		}
		if err := d.hook("ingest:file-read:" + f.Name); err != nil {
			return err
		}
		file := &ledger.InboxFile{Name: f.Name, Hash: hash, Kind: f.Kind, RowsRead: int64(fc.Read),
			RowsAccepted: int64(fc.Accepted), RowsRejected: int64(fc.Rejected), RunID: runID}
		if _, err := tx.AddFile(ctx, file); err != nil {
			return err
		}
		return nil
	})
	var fileErr *csvin.FileError
	if errors.As(ferr, &fileErr) {
		// Rejected whole: nothing from it is loaded; one reject row says why,
		// and the file is recorded so the same file (name and bytes) is not
		// judged again.
		fc = FileCount{Name: f.Name, Kind: f.Kind, Error: ferr.Error()}
		err = d.Ledger.InTx(ctx, func(tx *ledger.Tx) error {
			rec := []ledger.SourceRecord{{Kind: f.Kind, Key: f.Name, Hash: hash, Raw: `{"row":{}}`, File: f.Name, Line: int64(fileErr.Line),
				Status: ledger.Rejected, Rule: "FILE", Message: "file rejected whole, nothing loaded: " + ferr.Error(), RunID: runID}}
			if err := tx.AddRecords(ctx, rec); err != nil {
				return err
			}
			_, err := tx.AddFile(ctx, &ledger.InboxFile{Name: f.Name, Hash: hash, Kind: f.Kind, RunID: runID})
			return err
		})
		reload = true
	}
	if err != nil {
		return fc, false, fmt.Errorf("inbox file %s: %w", f.Name, err)
	}
	return fc, reload, nil
}

// ingestBatch is how many source records go to the database at once.
var ingestBatch = 5000 // a var so tests can make batches small

// recordWriter writes a file's source records to the ledger in batches,
// inside the file's transaction. An order lines file's batch is written
// behind: on another goroutine, while the program judges the next batch
// (the database and the program took turns, each idle while the other
// worked). That next batch's look-ups ran before the write began, so they
// add the batch being written from memory (see pendingOrders). The
// transaction is used by one goroutine at a time: every other use of it
// waits for the write in flight first.
type recordWriter struct {
	ctx       context.Context
	tx        *ledger.Tx
	batch     []ledger.SourceRecord // being filled by the sink
	spare     []ledger.SourceRecord // the last written batch's array, reused
	writing   chan error            // the write in flight, nil if none
	written   int
	analyzeAt int
}

// wait waits for the write in flight and returns its error.
func (w *recordWriter) wait() error {
	if w.writing == nil {
		return nil
	}
	err := <-w.writing
	w.writing = nil
	return err
}

// flush writes the batch now.
func (w *recordWriter) flush() error {
	if err := w.wait(); err != nil {
		return err
	}
	err := w.write(w.batch)
	w.batch = w.batch[:0]
	return err
}

// write stores recs and, each time the file's rows have doubled, refreshes
// the statistics the look-ups are planned on.
func (w *recordWriter) write(recs []ledger.SourceRecord) error {
	if err := w.tx.AddRecords(w.ctx, recs); err != nil {
		return err
	}
	w.written += len(recs)
	if w.written >= w.analyzeAt {
		w.analyzeAt *= 2
		return w.tx.AnalyzeRecords(w.ctx)
	}
	return nil
}

// number waits for the write in flight and gives the batch its ids; it is
// what writeBehind writes next, and what the next look-ups must add.
func (w *recordWriter) number() ([]ledger.SourceRecord, error) {
	if err := w.wait(); err != nil {
		return nil, err
	}
	return w.batch, w.tx.NumberRecords(w.ctx, w.batch)
}

// writeBehind starts writing the numbered batch on another goroutine; the
// sink fills a fresh one meanwhile.
func (w *recordWriter) writeBehind() {
	recs := w.batch
	w.batch, w.spare = w.spare[:0], recs
	if len(recs) == 0 {
		return
	}
	w.writing = make(chan error, 1)
	go func() { w.writing <- guard(func() error { return w.write(recs) }) }() // a panic fails the file, not the process
}

// readFile reads one inbox file into sink. Reference rows (customers,
// catalog, taxes) go through ref, which holds all of them. Order lines,
// cancellations and renewal records go in batches: for each batch, the
// records already accepted that its rows could repeat or depend on are
// looked up in the ledger (through tx, so earlier batches of the same file
// count) and loaded into a book for that batch only, so memory does not grow
// with the ledger or the file.
func readFile(ctx context.Context, d Deps, tx *ledger.Tx, f csvin.File, ref *invoice.Book,
	sink func(ledger.SourceRecord) error, w *recordWriter) error {
	flush := w.flush
	// A batch's book shares the catalog and taxes of ref and holds the
	// customers its rows name, loaded from the ledger with the batch (the
	// rows of earlier batches and files are there, flushed), not every
	// customer at once. Customers looked up are cached for the file's
	// later batches, except in a customers file, which changes them batch
	// by batch: its batches read them afresh.
	customers := newCustomerCache()
	batchBook := func(customerIDs []string) (*invoice.Book, error) {
		if f.Kind == csvin.KindCustomers {
			return pageCustomers(ctx, tx, ref, customerIDs)
		}
		return customers.book(ctx, tx, ref, customerIDs)
	}
	switch f.Kind {
	case csvin.KindCustomers:
		return readKind(d, f, sink, func(rows []*csvin.CustomerRow) (*invoice.Book, error) {
			if err := flush(); err != nil {
				return nil, err
			}
			ids := make([]string, len(rows))
			for i, r := range rows {
				ids[i] = r.CustomerID
			}
			return batchBook(ids)
		}, func(b *invoice.Book, r *csvin.CustomerRow, src invoice.Source) (invoice.Outcome, *invoice.Reject, any) {
			out, rej := b.AddCustomer(rawCustomer(r), src)
			return out, rej, nil
		}, func(r *csvin.CustomerRow) (string, string, []string) {
			return r.CustomerID, "", rawCustomer(r).Values()
		})
	case csvin.KindCatalog:
		return readKind(d, f, sink, nil, func(_ *invoice.Book, r *csvin.CatalogRow, src invoice.Source) (invoice.Outcome, *invoice.Reject, any) {
			out, rej := ref.AddPrice(rawCatalog(r), src)
			return out, rej, nil
		}, func(r *csvin.CatalogRow) (string, string, []string) {
			return strings.Join([]string{r.SKUID, r.Term, r.Currency, r.EffectiveFrom}, "/"), "", rawCatalog(r).Values()
		})
	case csvin.KindTaxes:
		return readKind(d, f, sink, nil, func(_ *invoice.Book, r *csvin.TaxRow, src invoice.Source) (invoice.Outcome, *invoice.Reject, any) {
			out, rej := ref.AddTax(rawTax(r), src)
			return out, rej, nil
		}, func(r *csvin.TaxRow) (string, string, []string) { return r.Country, "", rawTax(r).Values() })
	case csvin.KindOrders:
		return readKind(d, f, sink, func(rows []*csvin.OrderRow) (*invoice.Book, error) {
			pending, err := w.number()
			if err != nil {
				return nil, err
			}
			var keys, subs, custs []string
			for _, r := range rows {
				keys = append(keys, rawOrder(r).Key())
				custs = append(custs, r.CustomerID)
				if r.SubscriptionID != "" {
					subs = append(subs, r.SubscriptionID)
				}
			}
			b, err := batchBook(custs)
			if err != nil {
				return nil, err
			}
			if err := preloadOrders(ctx, tx, b, keys, subs, pending); err != nil {
				return nil, err
			}
			w.writeBehind()
			return b, d.hook("ingest:batch-behind:" + f.Name)
		}, func(b *invoice.Book, r *csvin.OrderRow, src invoice.Source) (invoice.Outcome, *invoice.Reject, any) {
			o, out, rej := b.AddOrder(rawOrder(r), src)
			return out, rej, o
		}, func(r *csvin.OrderRow) (string, string, []string) {
			return rawOrder(r).Key(), r.SubscriptionID, rawOrder(r).Values()
		})
	case csvin.KindCancellations:
		return readKind(d, f, sink, func(rows []*csvin.CancellationRow) (*invoice.Book, error) {
			if err := flush(); err != nil {
				return nil, err
			}
			b, err := batchBook(nil)
			if err != nil {
				return nil, err
			}
			var keys []string
			for _, r := range rows {
				keys = append(keys, rawCancellation(r).Key())
			}
			if err := preloadOrders(ctx, tx, b, keys, nil, nil); err != nil {
				return nil, err
			}
			return b, preloadCancellations(ctx, tx, b, keys)
		}, func(b *invoice.Book, r *csvin.CancellationRow, src invoice.Source) (invoice.Outcome, *invoice.Reject, any) {
			c, out, rej := b.AddCancellation(rawCancellation(r), src)
			return out, rej, c
		}, func(r *csvin.CancellationRow) (string, string, []string) {
			return rawCancellation(r).Key(), "", rawCancellation(r).Values()
		})
	case csvin.KindRenewals:
		return readKind(d, f, sink, func(rows []*csvin.RenewalRow) (*invoice.Book, error) {
			if err := flush(); err != nil {
				return nil, err
			}
			b, err := batchBook(nil)
			if err != nil {
				return nil, err
			}
			var subs []string
			for _, r := range rows {
				subs = append(subs, r.SubscriptionID)
			}
			if err := preloadOrders(ctx, tx, b, nil, subs, nil); err != nil {
				return nil, err
			}
			return b, preloadRenewals(ctx, tx, b, subs)
		}, func(b *invoice.Book, r *csvin.RenewalRow, src invoice.Source) (invoice.Outcome, *invoice.Reject, any) {
			n, out, rej := b.AddRenewal(rawRenewal(r), src)
			return out, rej, n
		}, func(r *csvin.RenewalRow) (string, string, []string) {
			return r.SubscriptionID, "", rawRenewal(r).Values()
		})
	}
	return fmt.Errorf("inbox file %s: unknown kind %q", f.Name, f.Kind)
}

// preloadOrders puts the accepted order lines with one of keys, or one of
// subs as subscription, into b: those in the ledger, then those of pending,
// records numbered but not yet written (after every stored one, as their
// ids are).
func preloadOrders(ctx context.Context, tx *ledger.Tx, b *invoice.Book, keys, subs []string, pending []ledger.SourceRecord) error {
	byKey, err := tx.RecordsByKey(ctx, csvin.KindOrders, keys)
	if err != nil {
		return err
	}
	byKey = append(byKey, pendingOrders(pending, keys, func(r *ledger.SourceRecord) string { return r.Key })...)
	bySub, err := tx.RecordsByRef(ctx, csvin.KindOrders, subs)
	if err != nil {
		return err
	}
	bySub = append(bySub, pendingOrders(pending, subs, func(r *ledger.SourceRecord) string { return r.Ref })...)
	for _, rec := range append(byKey, bySub...) {
		var o invoice.Order
		if err := decodeRecord(rec, &o); err != nil {
			return err
		}
		o.Src = srcOf(rec)
		b.PutOrder(o, rec.Hash)
	}
	return nil
}

// pendingOrders is what RecordsByKey (col: the key) or RecordsByRef (col:
// the ref) would return from pending once written: its accepted and held
// order lines whose col is one of values, in id order.
func pendingOrders(pending []ledger.SourceRecord, values []string, col func(*ledger.SourceRecord) string) []ledger.SourceRecord {
	if len(pending) == 0 || len(values) == 0 {
		return nil
	}
	want := make(map[string]bool, len(values))
	for _, v := range values {
		want[v] = true
	}
	var out []ledger.SourceRecord
	for i := range pending {
		r := &pending[i]
		if r.Kind == csvin.KindOrders && (r.Status == ledger.Accepted || r.Status == ledger.Held) && want[col(r)] {
			out = append(out, *r)
		}
	}
	return out
}

func preloadCancellations(ctx context.Context, tx *ledger.Tx, b *invoice.Book, keys []string) error {
	recs, err := tx.RecordsByKey(ctx, csvin.KindCancellations, keys)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		var c invoice.Cancellation
		if err := decodeRecord(rec, &c); err != nil {
			return err
		}
		c.Src = srcOf(rec)
		b.PutCancellation(c, rec.Hash, rec.Status == ledger.Held && rec.Rule == "K6")
	}
	return nil
}

func preloadRenewals(ctx context.Context, tx *ledger.Tx, b *invoice.Book, subs []string) error {
	recs, err := tx.RecordsByKey(ctx, csvin.KindRenewals, subs)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		n, err := decodeRenewal(rec)
		if err != nil {
			return err
		}
		b.PutRenewal(n, rec.Hash)
	}
	return nil
}

// releaseHeld marks the K6-held cancellations whose order arrived as accepted.
func releaseHeld(ctx context.Context, tx *ledger.Tx, released []invoice.Cancellation) error {
	var ids []int64
	for _, c := range released {
		if c.Src.ID != 0 {
			ids = append(ids, c.Src.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return tx.SetStatus(ctx, ids, ledger.Accepted, "", "")
}

// readKind validates a file whole, then reads it row by row, turning every
// row into a source record for sink. With batch set, rows are judged a batch
// at a time against the book batch returns for them; without, add gets nil.
func readKind[T csvin.Record](d Deps, f csvin.File, sink func(ledger.SourceRecord) error,
	batch func([]*T) (*invoice.Book, error),
	add func(*invoice.Book, *T, invoice.Source) (invoice.Outcome, *invoice.Reject, any),
	ident func(*T) (key, ref string, values []string)) error {
	open := func() (*os.File, error) { return os.Open(f.Path) }
	fh, err := open()
	if err != nil {
		return err
	}
	stats, _, err := csvin.Validate[T](f.Name, fh)
	fh.Close()
	if err != nil {
		return err
	}
	if fh, err = open(); err != nil {
		return err
	}
	defer fh.Close()
	bar, done := d.bar(stats.Read, "reading "+f.Name)
	defer done()
	var rows []*T
	var lines []int
	var judged []judgedRow
	judge := func() error {
		var b *invoice.Book
		if batch != nil {
			var err error
			if b, err = batch(rows); err != nil {
				return err
			}
		}
		// The rows are judged in file order (each can depend on the ones
		// before it); then their stored forms, which depend only on their
		// own row and verdict, are encoded on every core; then they go to
		// sink in file order.
		judged = judged[:0]
		for i, row := range rows {
			bar.Add(1)
			key, ref, values := ident(row)
			out, rej, record := add(b, row, invoice.Source{File: f.Name, Line: lines[i]})
			rec := ledger.SourceRecord{Kind: f.Kind, Key: key, File: f.Name, Line: int64(lines[i]), Status: statusOf(out)}
			if out == invoice.Accepted || out == invoice.Held {
				rec.Ref = ref
			}
			if rej != nil {
				rec.Rule, rec.Message = rej.Rule, rej.FullMessage()
			}
			judged = append(judged, judgedRow{rec: rec, values: values, record: typedIfKept(out, record)})
		}
		if err := eachShare(len(judged), func(i int) error {
			j := &judged[i]
			raw, err := encodeRaw(*rows[i], j.record)
			j.rec.Raw, j.rec.Hash = raw, invoice.Identity(j.values)
			return err
		}); err != nil {
			return err
		}
		for i := range judged {
			if err := sink(judged[i].rec); err != nil {
				return err
			}
		}
		rows, lines = rows[:0], lines[:0]
		return nil
	}
	_, rowErrs, err := csvin.Read[T](f.Name, fh, func(line int, row *T) error {
		r := *row
		rows, lines = append(rows, &r), append(lines, line)
		if len(rows) == ingestBatch {
			return judge()
		}
		return nil
	})
	if err == nil {
		err = judge()
	}
	if err != nil {
		return err
	}
	for _, re := range rowErrs {
		err := sink(ledger.SourceRecord{Kind: f.Kind, Key: "", Hash: "", Raw: `{"row":{}}`, File: f.Name, Line: int64(re.Line),
			Status: ledger.Rejected, Rule: "CSV", Message: re.Error()})
		if err != nil {
			return err
		}
	}
	return nil
}

func statusOf(o invoice.Outcome) string {
	switch o {
	case invoice.Seen:
		return ledger.Seen
	case invoice.Held:
		return ledger.Held
	case invoice.Rejected:
		return ledger.Rejected
	}
	return ledger.Accepted
}

// typedIfKept is the typed record to store with an accepted or held row.
func typedIfKept(out invoice.Outcome, record any) any {
	if out == invoice.Accepted || out == invoice.Held {
		return record
	}
	return nil
}

// judgedRow is a row's verdict before its stored form is encoded.
type judgedRow struct {
	rec    ledger.SourceRecord
	values []string // the row's identity values
	record any      // the typed record kept with it, or nil
}

// eachShare calls fn for 0…n-1, the indexes shared among as many goroutines
// as there are cores, and returns the error of the lowest index that failed.
// fn must touch only what belongs to its index.
func eachShare(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Contiguous shares: worker w takes [w·n/workers, (w+1)·n/workers).
			// A panic fails the run, not the process (guard).
			errs[w] = guard(func() error {
				for i := w * n / workers; i < (w+1)*n/workers; i++ {
					if err := fn(i); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
