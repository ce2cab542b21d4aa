// Package ledger is cspbill's book of record: a double-entry ledger in SQL,
// on PostgreSQL (lib/pq) or SQLite (modernc.org/sqlite), through sqlx.
//
// It keeps the inbox files and source records a run read (accepted, held,
// rejected, seen), the job runs, accounts, balanced transactions with their
// postings, the periods and the cutover month, and the invoices numbered at
// each close. It knows nothing of CSV, Excel or the money rules: amounts are
// int64 minor units, dates "YYYY-MM-DD" and months "YYYY-MM" strings.
//
// # Writing
//
// [Ledger.Post] writes a batch of transactions in one database transaction,
// all or nothing. Every transaction must balance (postings sum to zero,
// gross = net + tax, receivable postings = gross). A business key is posted
// once: the same key with the same content ([Txn.Hash]) is skipped and
// counted, with other content it fails with [ErrKeyConflict]. Bulk writes
// use COPY on PostgreSQL and multi-row INSERTs on SQLite, never a round trip
// per row.
//
// [Ledger.ClosePeriod] numbers a month's invoices gaplessly and locks it in
// one transaction. A closed month is refused by the database itself:
// triggers on both databases reject any insert, update or delete of its
// transactions, postings or invoices, whoever sends the SQL.
//
// [Ledger.Lock] makes a run the one writer: a PostgreSQL advisory lock, or an
// flock beside the SQLite file. A second run waits, then gets [ErrBusy].
//
// [Ledger.InTx] groups several writes (post, mark records accepted, …) into
// one transaction through the same methods on [Tx].
//
// # Reading
//
// Reads stream rows through iterators (iter.Seq2[T, error]) and work on a
// Ledger or inside a Tx: Lookup and Posted for recompute-and-diff,
// InvoiceLines, Invoices and Receivables for a close and its tie check,
// Records, Files and Runs, and Verify for the invariants of SPEC §5.
//
// # Schema
//
// The schema is the numbered migrations in cspbill/sql, one folder per
// dialect, applied by pressly/goose when [Open] finds them pending.
package ledger
