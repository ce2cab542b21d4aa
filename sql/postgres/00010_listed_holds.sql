-- What each close listed as held. A held record is listed in rejects.csv at
-- every close while it is held (SPEC §4), so the held part of a month's
-- rejects.csv depends on the day it is written. Re-writing a closed month's
-- files later (re-running its close) must give the same bytes (P1, P4), so
-- the close records the records it lists as held, with the rule and message
-- it listed, and a closed month's rejects are read from here.
--
-- Months closed before this migration get the records held now: what a
-- re-run of their close listed until today, from now on kept.

-- +goose Up
CREATE TABLE listed_holds (
    period    TEXT COLLATE "C" NOT NULL REFERENCES periods (month),
    record_id BIGINT NOT NULL REFERENCES source_records (id),
    rule      TEXT NOT NULL,
    message   TEXT NOT NULL,
    run_id    TEXT NOT NULL REFERENCES job_runs (id),
    PRIMARY KEY (period, record_id)
);
CREATE TRIGGER listed_holds_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON listed_holds
    FOR EACH STATEMENT EXECUTE FUNCTION cspbill_append_only();

INSERT INTO listed_holds (period, record_id, rule, message, run_id)
SELECT p.month, s.id, s.rule, s.message, s.run_id
FROM periods p CROSS JOIN source_records s
WHERE p.status = 'closed' AND s.status = 'held';

-- +goose Down
DROP TABLE listed_holds;
