-- An inbox file is the same file as one loaded before only when both its
-- name and its content are the same (SPEC §6 "each file once", P4). Until
-- this migration files were told apart by content hash alone (UNIQUE
-- (hash)), so a file re-sent under another name with byte-identical content
-- was skipped whole, rows rejected the first time included: a record was
-- never judged again and never billed (V6: only a record identical to one
-- already accepted is ignored as seen). A file with a new name is now read
-- and its rows judged, whatever its content: rows repeating accepted records
-- are seen, rows rejected or held before are judged again.
--
-- SQLite cannot drop a table constraint, so the table is rebuilt (its
-- columns, checks and foreign key as in 00001_init.sql, ids kept) inside the
-- migration's transaction. No table, trigger or view refers to inbox_files.
--
-- Keep in step with postgres/00011_inbox_file_identity.sql.

-- +goose Up
CREATE TABLE inbox_files_new (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    rows_read     INTEGER NOT NULL DEFAULT 0,
    rows_accepted INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    run_id        TEXT NOT NULL REFERENCES job_runs (id),
    CHECK (rows_read = rows_accepted + rows_rejected),
    UNIQUE (name, hash)
) STRICT;
INSERT INTO inbox_files_new (id, name, hash, kind, rows_read, rows_accepted, rows_rejected, run_id)
SELECT id, name, hash, kind, rows_read, rows_accepted, rows_rejected, run_id FROM inbox_files;
DROP TABLE inbox_files;
ALTER TABLE inbox_files_new RENAME TO inbox_files;

-- +goose Down
-- Restoring UNIQUE (hash) fails, and the Down with it, once the ledger holds
-- two files with the same content under different names (loaded after the
-- Up): one of them would have to go, and which is for a person to decide.
CREATE TABLE inbox_files_old (
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
INSERT INTO inbox_files_old (id, name, hash, kind, rows_read, rows_accepted, rows_rejected, run_id)
SELECT id, name, hash, kind, rows_read, rows_accepted, rows_rejected, run_id FROM inbox_files;
DROP TABLE inbox_files;
ALTER TABLE inbox_files_old RENAME TO inbox_files;
