-- cspbill ledger schema, SQLite. Keep in step with postgres/00001_init.sql.
--
-- Every table is STRICT: a column declared INTEGER holds integers only, so
-- money (minor units) can never become REAL or NUMERIC by affinity.
-- Dates are TEXT 'YYYY-MM-DD' and months TEXT 'YYYY-MM'; TEXT compares byte
-- by byte here (BINARY), as the C collation does on PostgreSQL.
-- Foreign keys need PRAGMA foreign_keys=1, which ledger.Open sets on every
-- connection.

-- +goose Up
CREATE TABLE job_runs (
    id       TEXT PRIMARY KEY,
    command  TEXT NOT NULL,
    as_of    TEXT NOT NULL DEFAULT '',
    started  TEXT NOT NULL,
    finished TEXT,
    outcome  TEXT NOT NULL DEFAULT 'running',
    counts   TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE inbox_files (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    rows_read     INTEGER NOT NULL DEFAULT 0,
    rows_accepted INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    run_id        TEXT NOT NULL REFERENCES job_runs (id),
    CHECK (rows_read = rows_accepted + rows_rejected)
) STRICT;

CREATE TABLE source_records (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL,
    hash            TEXT NOT NULL,
    raw             TEXT NOT NULL,
    file            TEXT NOT NULL,
    line            INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('accepted', 'held', 'rejected', 'seen')),
    rule            TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL DEFAULT '',
    support         TEXT NOT NULL DEFAULT '',
    run_id          TEXT NOT NULL REFERENCES job_runs (id),
    reported_period TEXT
) STRICT;
CREATE INDEX source_records_kind_key ON source_records (kind, key);
CREATE INDEX source_records_status ON source_records (status, kind);

CREATE TABLE accounts (
    name TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

CREATE TABLE periods (
    month     TEXT PRIMARY KEY CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    status    TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at TEXT
) STRICT;

CREATE TABLE settings (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    bill_from TEXT CHECK (bill_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]')
) STRICT;
INSERT INTO settings (id, bill_from) VALUES (1, NULL);

CREATE TABLE invoices (
    number      TEXT PRIMARY KEY,
    period      TEXT NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    customer_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    net         INTEGER NOT NULL,
    tax         INTEGER NOT NULL,
    gross       INTEGER NOT NULL,
    lines       INTEGER NOT NULL,
    UNIQUE (period, seq),
    UNIQUE (period, customer_id, currency),
    UNIQUE (number, period),
    CHECK (gross = net + tax)
) STRICT;

CREATE TABLE txns (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    hash            TEXT NOT NULL,
    period          TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    invoiced        INTEGER NOT NULL CHECK (invoiced IN (0, 1)),
    date            TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    customer_id     TEXT NOT NULL,
    currency        TEXT NOT NULL,
    charge_type     TEXT NOT NULL CHECK (charge_type IN ('new', 'cycleCharge', 'renew', 'cancelImmediate')),
    order_id        TEXT NOT NULL,
    line_no         INTEGER NOT NULL,
    subscription_id TEXT NOT NULL,
    sku             TEXT NOT NULL,
    description     TEXT NOT NULL,
    charge_start    TEXT NOT NULL CHECK (charge_start GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    charge_end      TEXT NOT NULL CHECK (charge_end = '' OR charge_end GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    quantity        INTEGER NOT NULL,
    net             INTEGER NOT NULL,
    tax             INTEGER NOT NULL,
    gross           INTEGER NOT NULL,
    source          TEXT NOT NULL,
    credits_key     TEXT REFERENCES txns (key) DEFERRABLE INITIALLY DEFERRED,
    invoice_number  TEXT,
    run_id          TEXT NOT NULL REFERENCES job_runs (id),
    CHECK (gross = net + tax),
    UNIQUE (id, period),
    FOREIGN KEY (invoice_number, period) REFERENCES invoices (number, period)
) STRICT;
CREATE INDEX txns_period ON txns (period, customer_id, currency);

CREATE TABLE postings (
    txn_id  INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    period  TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts (name),
    amount  INTEGER NOT NULL,
    PRIMARY KEY (txn_id, seq),
    FOREIGN KEY (txn_id, period) REFERENCES txns (id, period)
) STRICT, WITHOUT ROWID;

-- The ledger is append-only: a mistake is corrected by a new transaction
-- (a credit), never by editing or deleting one. The one change allowed is
-- stamping invoice_number at close.
-- +goose StatementBegin
CREATE TRIGGER txns_append_only_update BEFORE UPDATE OF
    id, key, hash, period, invoiced, date, customer_id, currency, charge_type, order_id, line_no,
    subscription_id, sku, description, charge_start, charge_end, quantity, net, tax, gross, source,
    credits_key, run_id ON txns
BEGIN SELECT RAISE(ABORT, 'cspbill: txns is append-only: UPDATE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER txns_append_only_delete BEFORE DELETE ON txns
BEGIN SELECT RAISE(ABORT, 'cspbill: txns is append-only: DELETE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER postings_append_only_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'cspbill: postings is append-only: UPDATE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER postings_append_only_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'cspbill: postings is append-only: DELETE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_append_only_update BEFORE UPDATE ON accounts
BEGIN SELECT RAISE(ABORT, 'cspbill: accounts is append-only: UPDATE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_append_only_delete BEFORE DELETE ON accounts
BEGIN SELECT RAISE(ABORT, 'cspbill: accounts is append-only: DELETE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER job_runs_append_only_delete BEFORE DELETE ON job_runs
BEGIN SELECT RAISE(ABORT, 'cspbill: job_runs is append-only: DELETE refused'); END;
-- +goose StatementEnd

-- A closed period never changes (SPEC P1), whoever writes to the database.
-- +goose StatementBegin
CREATE TRIGGER txns_closed_insert BEFORE INSERT ON txns
WHEN EXISTS (SELECT 1 FROM periods WHERE month = NEW.period AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: INSERT on txns refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER txns_closed_update BEFORE UPDATE ON txns
WHEN EXISTS (SELECT 1 FROM periods WHERE month IN (OLD.period, NEW.period) AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: UPDATE on txns refused'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER postings_closed_insert BEFORE INSERT ON postings
WHEN EXISTS (SELECT 1 FROM periods WHERE month = NEW.period AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: INSERT on postings refused'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoices_closed_insert BEFORE INSERT ON invoices
WHEN EXISTS (SELECT 1 FROM periods WHERE month = NEW.period AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: INSERT on invoices refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invoices_closed_update BEFORE UPDATE ON invoices
WHEN EXISTS (SELECT 1 FROM periods WHERE month IN (OLD.period, NEW.period) AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: UPDATE on invoices refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invoices_closed_delete BEFORE DELETE ON invoices
WHEN EXISTS (SELECT 1 FROM periods WHERE month = OLD.period AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: DELETE on invoices refused'); END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER periods_keep_closed_update BEFORE UPDATE ON periods
WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: UPDATE on periods refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER periods_keep_closed_delete BEFORE DELETE ON periods
WHEN OLD.status = 'closed'
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: DELETE on periods refused'); END;
-- +goose StatementEnd

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
