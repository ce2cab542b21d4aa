-- The unit price each term was first billed at (SPEC C1: a term's price is
-- fixed once its first charge is posted; catalog rows that arrive later never
-- reprice it). The price is an exact decimal (NUMERIC is exact on PostgreSQL,
-- but text keeps it byte for byte as the catalog wrote it).

-- +goose Up
CREATE TABLE term_prices (
    term_key   TEXT COLLATE "C" PRIMARY KEY,
    unit_price TEXT NOT NULL,
    run_id     TEXT NOT NULL REFERENCES job_runs (id)
);

-- +goose Down
DROP TABLE term_prices;
