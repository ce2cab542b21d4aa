-- source_records.run_id and term_prices.run_id name a job run, checked once
-- per statement through the new rows' transition table instead of by a
-- foreign key, which is one trigger event and one look-up per row: at
-- 100,000 order lines the term prices' foreign key alone cost a second of
-- posting. Job runs are never deleted (job_runs_append_only), so a run a
-- row names cannot disappear later. txns.run_id is checked the same way
-- (cspbill_check_txns).

-- +goose Up
ALTER TABLE source_records DROP CONSTRAINT source_records_run_id_fkey;
ALTER TABLE term_prices DROP CONSTRAINT term_prices_run_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION cspbill_check_run_ids() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
    m TEXT;
BEGIN
    SELECT r.run_id INTO m FROM (SELECT DISTINCT run_id FROM new_rows) r
    WHERE NOT EXISTS (SELECT 1 FROM job_runs j WHERE j.id = r.run_id) LIMIT 1;
    IF m IS NOT NULL THEN
        RAISE EXCEPTION 'cspbill: % rows name run % which is not in job_runs', TG_TABLE_NAME, m
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER source_records_check_insert AFTER INSERT ON source_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_run_ids();
CREATE TRIGGER source_records_check_update AFTER UPDATE ON source_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_run_ids();
CREATE TRIGGER term_prices_check_insert AFTER INSERT ON term_prices
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_run_ids();
CREATE TRIGGER term_prices_check_update AFTER UPDATE ON term_prices
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_run_ids();

-- +goose Down
DROP TRIGGER term_prices_check_update ON term_prices;
DROP TRIGGER term_prices_check_insert ON term_prices;
DROP TRIGGER source_records_check_update ON source_records;
DROP TRIGGER source_records_check_insert ON source_records;
DROP FUNCTION cspbill_check_run_ids();
ALTER TABLE term_prices ADD CONSTRAINT term_prices_run_id_fkey FOREIGN KEY (run_id) REFERENCES job_runs (id);
ALTER TABLE source_records ADD CONSTRAINT source_records_run_id_fkey FOREIGN KEY (run_id) REFERENCES job_runs (id);
