-- A second key on source records, so ingest can find records by it without
-- holding every record in memory: an order line's subscription_id (unique
-- among accepted order lines, SPEC §1).

-- +goose Up
ALTER TABLE source_records ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE INDEX source_records_kind_ref ON source_records (kind, ref);
UPDATE source_records SET ref = COALESCE(raw::json -> 'record' ->> 'SubscriptionID', '') WHERE kind = 'orders';

-- +goose Down
DROP INDEX source_records_kind_ref;
ALTER TABLE source_records DROP COLUMN ref;
