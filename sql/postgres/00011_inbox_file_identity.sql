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
-- Keep in step with sqlite/00011_inbox_file_identity.sql.

-- +goose Up
ALTER TABLE inbox_files DROP CONSTRAINT inbox_files_hash_key;
ALTER TABLE inbox_files ADD CONSTRAINT inbox_files_name_hash_key UNIQUE (name, hash);

-- +goose Down
-- Restoring UNIQUE (hash) fails, and the Down with it, once the ledger holds
-- two files with the same content under different names (loaded after the
-- Up): one of them would have to go, and which is for a person to decide.
ALTER TABLE inbox_files DROP CONSTRAINT inbox_files_name_hash_key;
ALTER TABLE inbox_files ADD CONSTRAINT inbox_files_hash_key UNIQUE (hash);
