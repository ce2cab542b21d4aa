-- Days that exist. The CHECKs on txns refuse any text not shaped
-- YYYY-MM-DD; this refuses the shapes that name no day (2026-02-30,
-- month 13), as PostgreSQL does since its 00006 (its 00005 checked only the
-- shape of the dates, for posting speed). SQLite's
-- date() normalises an impossible day (2026-02-30 becomes 2026-03-02) and
-- returns NULL for an impossible month, so a real day is one date() returns
-- unchanged. The program checks the same in Go before posting (Txn.Check).

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER txns_real_days BEFORE INSERT ON txns
WHEN date(NEW.period || '-01') IS NOT NEW.period || '-01'
  OR date(NEW.date) IS NOT NEW.date
  OR date(NEW.charge_start) IS NOT NEW.charge_start
  OR (NEW.charge_end <> '' AND date(NEW.charge_end) IS NOT NEW.charge_end)
BEGIN
    SELECT RAISE(ABORT, 'cspbill: check failed: a txn date or period names no real day');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER txns_real_days;
