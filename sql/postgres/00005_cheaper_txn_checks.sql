-- Cheaper integrity checks on txns, for the bulk posting path (PostgreSQL
-- only; SQLite keeps its plain CHECKs and foreign keys, which cost little
-- inside that engine).
--
-- Measured on 300,000 posted transactions: the four regular-expression
-- CHECKs on the date columns and the two row-level foreign keys cost about a
-- fifth of posting time. A foreign key is one trigger event per row, even
-- for the NULL references every new transaction carries.
--
-- * The date columns are checked with LIKE (length and dashes), translate
--   (nothing but digits and dashes) and a cast to date (a real day: a
--   2026-02-30 fails the cast with an error) instead of a regular
--   expression: the same shapes as before, and impossible days refused too.
--   The program checks the same in Go before posting (Txn.Check); these are
--   the database's own guard against raw SQL.
-- * credits_key and (invoice_number, period) are checked once per statement
--   by cspbill_check_txns, through the new rows' transition table, as
--   txns.run_id and the postings' references already are. A charge and its
--   credit may come in either order within one statement (a Post is one
--   COPY); a credit whose charge is not posted by the end of its statement is
--   refused. The referenced rows can never disappear: txns are append-only,
--   and invoices exist only in closed periods, which refuse deletes.

-- +goose Up
ALTER TABLE txns
    DROP CONSTRAINT txns_credits_key_fkey,
    DROP CONSTRAINT txns_invoice_number_period_fkey,
    DROP CONSTRAINT txns_period_check,
    DROP CONSTRAINT txns_date_check,
    DROP CONSTRAINT txns_charge_start_check,
    DROP CONSTRAINT txns_charge_end_check;

ALTER TABLE txns
    ADD CONSTRAINT txns_period_check
        CHECK (period LIKE '____-__' AND translate(period, '0123456789', '') = '-' AND (period || '-01')::date IS NOT NULL),
    ADD CONSTRAINT txns_date_check
        CHECK (date LIKE '____-__-__' AND translate(date, '0123456789', '') = '--' AND date::date IS NOT NULL),
    ADD CONSTRAINT txns_charge_start_check
        CHECK (charge_start LIKE '____-__-__' AND translate(charge_start, '0123456789', '') = '--' AND charge_start::date IS NOT NULL),
    ADD CONSTRAINT txns_charge_end_check
        CHECK (charge_end = '' OR (charge_end LIKE '____-__-__' AND translate(charge_end, '0123456789', '') = '--' AND charge_end::date IS NOT NULL));

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cspbill_check_txns() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
    m TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT n.period INTO m FROM new_rows n JOIN periods p ON p.month = n.period
        WHERE p.status = 'closed' LIMIT 1;
        IF m IS NOT NULL THEN
            RAISE EXCEPTION 'cspbill: period is closed (%): INSERT on txns refused', m;
        END IF;
        SELECT r.run_id INTO m FROM (SELECT DISTINCT run_id FROM new_rows) r
        WHERE NOT EXISTS (SELECT 1 FROM job_runs j WHERE j.id = r.run_id) LIMIT 1;
        IF m IS NOT NULL THEN
            RAISE EXCEPTION 'cspbill: txns name run % which is not in job_runs', m USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT n.credits_key INTO m FROM new_rows n
        WHERE n.credits_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM txns t WHERE t.key = n.credits_key) LIMIT 1;
        IF m IS NOT NULL THEN
            RAISE EXCEPTION 'cspbill: a txn credits % which is not in txns', m USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    SELECT n.invoice_number INTO m FROM new_rows n
    WHERE n.invoice_number IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.number = n.invoice_number AND i.period = n.period) LIMIT 1;
    IF m IS NOT NULL THEN
        RAISE EXCEPTION 'cspbill: txns name invoice % which is not in invoices with that period', m USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER txns_check_update AFTER UPDATE ON txns
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_txns();

-- +goose Down
DROP TRIGGER txns_check_update ON txns;
ALTER TABLE txns
    DROP CONSTRAINT txns_period_check,
    DROP CONSTRAINT txns_date_check,
    DROP CONSTRAINT txns_charge_start_check,
    DROP CONSTRAINT txns_charge_end_check;
ALTER TABLE txns
    ADD CONSTRAINT txns_period_check CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    ADD CONSTRAINT txns_date_check CHECK (date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    ADD CONSTRAINT txns_charge_start_check CHECK (charge_start ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    ADD CONSTRAINT txns_charge_end_check CHECK (charge_end = '' OR charge_end ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    ADD CONSTRAINT txns_credits_key_fkey FOREIGN KEY (credits_key) REFERENCES txns (key) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT txns_invoice_number_period_fkey FOREIGN KEY (invoice_number, period) REFERENCES invoices (number, period);
-- cspbill_check_txns keeps its new body: the extra checks it makes are the
-- foreign keys' own.
