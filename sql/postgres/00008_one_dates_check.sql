-- The three dates of a transaction checked by one regular expression over
-- their concatenation, instead of a LIKE, a translate and a cast to date for
-- each (00005). Measured in psql on 300,000 rows: 00005's three date checks
-- 2.55 s, this one 2.1 s with the period's check; a regular expression that
-- also bounded months and days (alternations) 2.8 s. The octet lengths pin
-- each date to its ten characters, so pieces cannot shift between columns
-- and still match. What it no longer refuses is a well-shaped day that does
-- not exist (2026-02-30): the program refuses it before posting
-- (Txn.Check), and these dates decide nothing in the database. The period
-- keeps its full check, cast included: the closed-period refusals compare
-- it with the closed months.

-- +goose Up
ALTER TABLE txns
    DROP CONSTRAINT txns_date_check,
    DROP CONSTRAINT txns_charge_start_check,
    DROP CONSTRAINT txns_charge_end_check,
    ADD CONSTRAINT txns_dates_check CHECK (
        octet_length(date) = 10 AND octet_length(charge_start) = 10
        AND (charge_end = '' OR octet_length(charge_end) = 10)
        AND (date || charge_start || charge_end) ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}){2,3}$');

-- +goose Down
ALTER TABLE txns
    DROP CONSTRAINT txns_dates_check,
    ADD CONSTRAINT txns_date_check
        CHECK (date LIKE '____-__-__' AND translate(date, '0123456789', '') = '--' AND date::date IS NOT NULL),
    ADD CONSTRAINT txns_charge_start_check
        CHECK (charge_start LIKE '____-__-__' AND translate(charge_start, '0123456789', '') = '--' AND charge_start::date IS NOT NULL),
    ADD CONSTRAINT txns_charge_end_check
        CHECK (charge_end = '' OR (charge_end LIKE '____-__-__' AND translate(charge_end, '0123456789', '') = '--' AND charge_end::date IS NOT NULL));
