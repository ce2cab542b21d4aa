-- cspbill ledger schema, PostgreSQL. Keep in step with sqlite/00001_init.sql.
--
-- Money is BIGINT minor units (cents, yen, fils), never floating point.
-- Dates are TEXT 'YYYY-MM-DD' and months TEXT 'YYYY-MM' on both databases:
-- lib/pq returns a `date` column as a time.Time in a non-UTC zone, and plain
-- strings compare and sort the same way everywhere. Identifiers that decide
-- an order (invoice numbering, invoice lines) are COLLATE "C" so PostgreSQL
-- sorts them byte by byte, exactly as SQLite does.

-- +goose Up
CREATE TABLE job_runs (
    id       TEXT COLLATE "C" PRIMARY KEY,
    command  TEXT NOT NULL,
    as_of    TEXT NOT NULL DEFAULT '',
    started  TEXT NOT NULL,               -- RFC 3339 UTC, fixed width
    finished TEXT,
    outcome  TEXT NOT NULL DEFAULT 'running',
    counts   TEXT NOT NULL DEFAULT '{}'   -- JSON
);

CREATE TABLE inbox_files (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    rows_read     BIGINT NOT NULL DEFAULT 0,
    rows_accepted BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    run_id        TEXT NOT NULL REFERENCES job_runs (id),
    CHECK (rows_read = rows_accepted + rows_rejected)  -- SPEC §5
);

CREATE TABLE source_records (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL,
    key             TEXT COLLATE "C" NOT NULL,
    hash            TEXT NOT NULL,
    raw             TEXT NOT NULL,        -- JSON object of the contract columns
    file            TEXT COLLATE "C" NOT NULL,
    line            BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('accepted', 'held', 'rejected', 'seen')),
    rule            TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL DEFAULT '',
    support         TEXT NOT NULL DEFAULT '',  -- JSON detail for a support request (K1)
    run_id          TEXT NOT NULL REFERENCES job_runs (id),
    reported_period TEXT                  -- month of the close that listed this reject
);
CREATE INDEX source_records_kind_key ON source_records (kind, key);
CREATE INDEX source_records_status ON source_records (status, kind);

CREATE TABLE accounts (
    name TEXT COLLATE "C" PRIMARY KEY
);

CREATE TABLE periods (
    month     TEXT COLLATE "C" PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    status    TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at TEXT
);

CREATE TABLE settings (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    bill_from TEXT CHECK (bill_from ~ '^[0-9]{4}-[0-9]{2}$')  -- SPEC P2 cutover month
);
INSERT INTO settings (id, bill_from) VALUES (1, NULL);

CREATE TABLE invoices (
    number      TEXT COLLATE "C" PRIMARY KEY,   -- INV-YYYY-MM-000001
    period      TEXT COLLATE "C" NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    customer_id TEXT COLLATE "C" NOT NULL,
    currency    TEXT COLLATE "C" NOT NULL,
    net         BIGINT NOT NULL,
    tax         BIGINT NOT NULL,
    gross       BIGINT NOT NULL,
    lines       BIGINT NOT NULL,
    UNIQUE (period, seq),
    UNIQUE (period, customer_id, currency),
    UNIQUE (number, period),
    CHECK (gross = net + tax)
);

CREATE TABLE txns (
    id              BIGSERIAL PRIMARY KEY,
    key             TEXT COLLATE "C" NOT NULL UNIQUE,
    hash            TEXT NOT NULL,
    period          TEXT COLLATE "C" NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    invoiced        BOOLEAN NOT NULL,
    date            TEXT COLLATE "C" NOT NULL CHECK (date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    customer_id     TEXT COLLATE "C" NOT NULL,
    currency        TEXT COLLATE "C" NOT NULL,
    charge_type     TEXT NOT NULL CHECK (charge_type IN ('new', 'cycleCharge', 'renew', 'cancelImmediate')),
    order_id        TEXT COLLATE "C" NOT NULL,
    line_no         INTEGER NOT NULL,
    subscription_id TEXT NOT NULL,
    sku             TEXT NOT NULL,
    description     TEXT NOT NULL,
    charge_start    TEXT COLLATE "C" NOT NULL CHECK (charge_start ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    charge_end      TEXT NOT NULL CHECK (charge_end = '' OR charge_end ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    quantity        BIGINT NOT NULL,
    net             BIGINT NOT NULL,
    tax             BIGINT NOT NULL,
    gross           BIGINT NOT NULL,
    source          TEXT NOT NULL,
    -- Deferred so a charge and its credit may arrive in either order within
    -- one database transaction.
    credits_key     TEXT COLLATE "C" REFERENCES txns (key) DEFERRABLE INITIALLY DEFERRED,
    invoice_number  TEXT COLLATE "C",
    run_id          TEXT NOT NULL,   -- a job_runs id: checked by txns_check_insert
    CHECK (gross = net + tax),
    FOREIGN KEY (invoice_number, period) REFERENCES invoices (number, period)
);
-- BRIN, not B-tree: transactions arrive month by month, so a block range
-- holds few periods, and a B-tree on period added a fifth to posting time.
CREATE INDEX txns_period ON txns USING brin (period);

-- A posting repeats its transaction's period, so the closed-period check
-- joins the new rows with the tiny periods table only.
CREATE TABLE postings (
    txn_id  BIGINT NOT NULL,   -- txns (id, period): checked by postings_check_insert
    seq     INTEGER NOT NULL,
    period  TEXT COLLATE "C" NOT NULL,
    account TEXT COLLATE "C" NOT NULL,   -- an accounts name: checked likewise
    amount  BIGINT NOT NULL,   -- debit positive, credit negative
    PRIMARY KEY (txn_id, seq)
);

-- Why triggers instead of foreign keys on txns.run_id and postings: a
-- foreign key is checked by one query per row, which made bulk posting four
-- times slower than COPY itself. These statement-level triggers see every
-- new row at once through a transition table (one pass per statement, and
-- COPY is one statement), probing the parents' primary keys; hash and merge
-- joins are turned off so a small batch never scans the whole txns table.
-- The parents cannot lose a row under them: the ledger is append-only (see
-- cspbill_append_only below). SQLite keeps plain foreign keys: there they
-- are checked inside the engine and cost little.

-- +goose StatementBegin
CREATE FUNCTION cspbill_check_txns() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
    m TEXT;
BEGIN
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
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION cspbill_check_postings() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
    m TEXT;
BEGIN
    SELECT n.period INTO m FROM new_rows n JOIN periods p ON p.month = n.period
    WHERE p.status = 'closed' LIMIT 1;
    IF m IS NOT NULL THEN
        RAISE EXCEPTION 'cspbill: period is closed (%): INSERT on postings refused', m;
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

CREATE TRIGGER txns_check_insert AFTER INSERT ON txns
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_txns();
CREATE TRIGGER postings_check_insert AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_check_postings();

-- The ledger is append-only: a mistake is corrected by a new transaction
-- (a credit), never by editing or deleting one. The one change allowed is
-- stamping invoice_number at close.
-- +goose StatementBegin
CREATE FUNCTION cspbill_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cspbill: % is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER txns_append_only BEFORE DELETE OR TRUNCATE OR UPDATE OF
    id, key, hash, period, invoiced, date, customer_id, currency, charge_type, order_id, line_no,
    subscription_id, sku, description, charge_start, charge_end, quantity, net, tax, gross, source,
    credits_key, run_id
    ON txns FOR EACH STATEMENT EXECUTE FUNCTION cspbill_append_only();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION cspbill_append_only();
CREATE TRIGGER accounts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION cspbill_append_only();
CREATE TRIGGER job_runs_append_only BEFORE DELETE OR TRUNCATE ON job_runs
    FOR EACH STATEMENT EXECUTE FUNCTION cspbill_append_only();

-- A closed period never changes (SPEC P1), whoever writes to the database.
-- Statement-level, like the checks above, so bulk writes pay one small join.
-- +goose StatementBegin
CREATE FUNCTION cspbill_refuse_closed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    m TEXT;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        SELECT p.month INTO m FROM periods p WHERE p.status = 'closed' LIMIT 1;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT n.period INTO m FROM new_rows n JOIN periods p ON p.month = n.period
        WHERE p.status = 'closed' LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT o.period INTO m FROM old_rows o JOIN periods p ON p.month = o.period
        WHERE p.status = 'closed' LIMIT 1;
    ELSE
        SELECT x.period INTO m FROM (SELECT period FROM new_rows UNION SELECT period FROM old_rows) x
        JOIN periods p ON p.month = x.period WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF m IS NOT NULL THEN
        RAISE EXCEPTION 'cspbill: period is closed (%): % on % refused', m, TG_OP, TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER txns_closed_update AFTER UPDATE ON txns
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_refuse_closed();

CREATE TRIGGER invoices_closed_insert AFTER INSERT ON invoices
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_refuse_closed();
CREATE TRIGGER invoices_closed_update AFTER UPDATE ON invoices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_refuse_closed();
CREATE TRIGGER invoices_closed_delete AFTER DELETE ON invoices
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cspbill_refuse_closed();
CREATE TRIGGER invoices_closed_truncate BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION cspbill_refuse_closed();

-- +goose StatementBegin
CREATE FUNCTION cspbill_keep_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'cspbill: period is closed (%): % on periods refused', OLD.month, TG_OP;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER periods_keep_closed BEFORE UPDATE OR DELETE ON periods
    FOR EACH ROW EXECUTE FUNCTION cspbill_keep_closed();
CREATE TRIGGER periods_closed_truncate BEFORE TRUNCATE ON periods
    FOR EACH STATEMENT EXECUTE FUNCTION cspbill_refuse_closed();

-- +goose Down
DROP TABLE postings;
DROP TABLE txns;
DROP TABLE invoices;
DROP TABLE settings;
DROP TABLE periods;
DROP TABLE accounts;
DROP TABLE source_records;
DROP TABLE inbox_files;
DROP TABLE job_runs;
DROP FUNCTION cspbill_keep_closed();
DROP FUNCTION cspbill_refuse_closed();
DROP FUNCTION cspbill_append_only();
DROP FUNCTION cspbill_check_postings();
DROP FUNCTION cspbill_check_txns();
