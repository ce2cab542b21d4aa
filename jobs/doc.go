// Package jobs holds the jobs of cspbill — ingest, post, close, reconcile —
// as plain functions that the one-shot commands, the cron scheduler and tests
// call alike. Every job takes the ledger lock, records a run, and ends with a
// summary. Posting is recompute-and-diff (SPEC P4): the billing rules derive
// every charge and credit due from the accepted source records, and only the
// business keys the ledger lacks are posted, in one database transaction.
package jobs
