-- One trigger checks a new transaction instead of two: SQLite runs a
-- trigger's program once per row, and the closed-period check (00001) and
-- the real-days check (00005) were two programs for each of a post's
-- transactions (a 100,000 order-line post ran 363,243 × 2). The checks and
-- their messages are those of the two triggers it replaces; the closed
-- period is checked first.

-- +goose Up
DROP TRIGGER txns_closed_insert;
DROP TRIGGER txns_real_days;
-- +goose StatementBegin
CREATE TRIGGER txns_insert_checks BEFORE INSERT ON txns
BEGIN
    SELECT RAISE(ABORT, 'cspbill: period is closed: INSERT on txns refused')
    WHERE EXISTS (SELECT 1 FROM periods WHERE month = NEW.period AND status = 'closed');
    SELECT RAISE(ABORT, 'cspbill: check failed: a txn date or period names no real day')
    WHERE date(NEW.period || '-01') IS NOT NEW.period || '-01'
       OR date(NEW.date) IS NOT NEW.date
       OR date(NEW.charge_start) IS NOT NEW.charge_start
       OR (NEW.charge_end <> '' AND date(NEW.charge_end) IS NOT NEW.charge_end);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER txns_insert_checks;
-- +goose StatementBegin
CREATE TRIGGER txns_closed_insert BEFORE INSERT ON txns
WHEN EXISTS (SELECT 1 FROM periods WHERE month = NEW.period AND status = 'closed')
BEGIN SELECT RAISE(ABORT, 'cspbill: period is closed: INSERT on txns refused'); END;
-- +goose StatementEnd
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
