-- The statement-level checks of txns and postings (00001, 00005), cheaper:
-- the closed months are read once into an array and each new row compared
-- with it, instead of a join with periods for every statement; while no
-- month is closed the rows are not scanned for it at all. (One query with
-- the reference tests OR-ed in was tried and was far slower: PostgreSQL
-- turns NOT EXISTS under OR into a hashed subplan over the whole table.)
-- Same refusals, same messages.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cspbill_check_txns() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
    closed TEXT[];
    m TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(month) INTO closed FROM periods WHERE status = 'closed';
        IF closed IS NOT NULL THEN
            SELECT n.period INTO m FROM new_rows n WHERE n.period = ANY (closed) LIMIT 1;
            IF m IS NOT NULL THEN
                RAISE EXCEPTION 'cspbill: period is closed (%): INSERT on txns refused', m;
            END IF;
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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cspbill_check_postings() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
    closed TEXT[];
    m TEXT;
BEGIN
    SELECT array_agg(month) INTO closed FROM periods WHERE status = 'closed';
    IF closed IS NOT NULL THEN
        SELECT n.period INTO m FROM new_rows n WHERE n.period = ANY (closed) LIMIT 1;
        IF m IS NOT NULL THEN
            RAISE EXCEPTION 'cspbill: period is closed (%): INSERT on postings refused', m;
        END IF;
    END IF;
    SELECT n.txn_id::TEXT INTO m FROM (SELECT DISTINCT txn_id, period FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM txns t WHERE t.id = n.txn_id AND t.period = n.period) LIMIT 1;
    IF m IS NOT NULL THEN
        RAISE EXCEPTION 'cspbill: posting for txn % which is not in txns with that period', m USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT n.account INTO m FROM (SELECT DISTINCT account FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.name = n.account) LIMIT 1;
    IF m IS NOT NULL THEN
        RAISE EXCEPTION 'cspbill: posting to account % which is not in accounts', m USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- The bodies of 00005 (txns) and 00001 (postings) make the same checks with
-- a join; going down keeps these.
SELECT 1;
