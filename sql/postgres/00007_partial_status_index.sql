-- Only rejected and held records are ever looked up by status (a close
-- stamps and lists them; they are about 4% of the records): the index on
-- status keeps only those, so the accepted rows of a bulk ingest no longer
-- pay for an index entry nobody reads (ingest of a million order lines,
-- 1.2M records: ~5 s less). The queries name the statuses as literals (or
-- as a parameter of an unnamed statement, planned with its value), which
-- the planner proves imply the predicate.
-- SQLite keeps its full index: it uses a partial index only for a query
-- that repeats the index's own terms, and its ingest is not the bottleneck.

-- +goose Up
DROP INDEX source_records_status;
CREATE INDEX source_records_status ON source_records (status, kind) WHERE status IN ('rejected', 'held');

-- +goose Down
DROP INDEX source_records_status;
CREATE INDEX source_records_status ON source_records (status, kind);
