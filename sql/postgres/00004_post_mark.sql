-- How far the ledger is posted: the last as-of day a post or close computed
-- everything through, the last source record it saw and the cancellation
-- window it used. A run through that day or earlier, with no record since
-- and the same window, has nothing new to post and skips the recompute.

-- +goose Up
CREATE TABLE post_mark (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    as_of       TEXT COLLATE "C" NOT NULL,
    last_record BIGINT NOT NULL,
    window_days INTEGER NOT NULL,
    run_id      TEXT NOT NULL REFERENCES job_runs (id)
);

-- +goose Down
DROP TABLE post_mark;
