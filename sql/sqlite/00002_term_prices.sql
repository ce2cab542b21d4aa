-- The unit price each term was first billed at (SPEC C1: a term's price is
-- fixed once its first charge is posted; catalog rows that arrive later never
-- reprice it). The price is an exact decimal kept as text, never REAL.

-- +goose Up
CREATE TABLE term_prices (
    term_key   TEXT PRIMARY KEY,
    unit_price TEXT NOT NULL,
    run_id     TEXT NOT NULL REFERENCES job_runs (id)
) STRICT;

-- +goose Down
DROP TABLE term_prices;
