-- Which closed months have had their files published. A close locks a month
-- in one transaction and writes its files after; a close killed (or failing)
-- in between left the month closed and unwritten, and the next close of a
-- later month never wrote it (P4: the next run completes it). A close now
-- first writes every closed month without a row here.
--
-- Months closed before this migration are taken as published.

-- +goose Up
CREATE TABLE published (
    period TEXT PRIMARY KEY REFERENCES periods (month),
    run_id TEXT NOT NULL REFERENCES job_runs (id)
) STRICT;
-- +goose StatementBegin
CREATE TRIGGER published_append_only_update BEFORE UPDATE ON published
BEGIN SELECT RAISE(ABORT, 'cspbill: published is append-only: UPDATE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER published_append_only_delete BEFORE DELETE ON published
BEGIN SELECT RAISE(ABORT, 'cspbill: published is append-only: DELETE refused'); END;
-- +goose StatementEnd
INSERT INTO published (period, run_id)
SELECT p.month, (SELECT id FROM job_runs ORDER BY started DESC, id DESC LIMIT 1)
FROM periods p WHERE p.status = 'closed' AND EXISTS (SELECT 1 FROM job_runs);

-- +goose Down
DROP TABLE published;
