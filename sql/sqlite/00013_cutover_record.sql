-- The last source record that arrived before the first close (SPEC P2). A
-- charge dated before the cutover whose record arrived by then was handled
-- by whatever ran before: it is recorded and on no invoice, also when it was
-- held at the first close (no tax rate, C4; no renewal price, R3) and posts
-- after it. Only a record that arrives after the first close and is dated
-- before the cutover posts to the first open month. Until this migration a
-- held record released after the first close was billed there: twice, for
-- the customer, with what the system before had billed.
--
-- A ledger closed before this migration gets the last record ingested by a
-- run that started before its first month was closed.

-- +goose Up
ALTER TABLE settings ADD COLUMN cutover_record INTEGER;
UPDATE settings SET cutover_record = (
    SELECT COALESCE(MAX(s.id), 0) FROM source_records s JOIN job_runs j ON j.id = s.run_id
    WHERE j.started < (SELECT MIN(closed_at) FROM periods WHERE status = 'closed'))
WHERE EXISTS (SELECT 1 FROM periods WHERE status = 'closed');

-- +goose Down
ALTER TABLE settings DROP COLUMN cutover_record;
