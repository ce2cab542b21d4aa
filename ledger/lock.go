package ledger

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// lockPoll is how often a waiting Lock retries.
const lockPoll = 50 * time.Millisecond

// Lock makes this process the one writer of the ledger (SPEC P4: two runs at
// once, one works, the other waits or exits with a clear message). It waits
// up to wait (or until ctx ends), then returns an error wrapping ErrBusy.
// Call release once the run is over; a process that dies releases the lock
// with it.
//
// PostgreSQL: a session advisory lock held on a dedicated connection, keyed
// by the current schema, so ledgers in different schemas (tests) do not
// collide. SQLite: flock(2) on PATH+".lock" (see lock_unix.go).
func (l *Ledger) Lock(ctx context.Context, wait time.Duration) (release func(), err error) {
	deadline := time.Now().Add(wait)
	try := l.tryLockFile
	if l.d == postgres {
		try = l.tryAdvisoryLock
	}
	for {
		release, ok, err := try(ctx)
		if err != nil {
			return nil, err
		}
		if ok {
			return release, nil
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("%w (%s, waited %s)", ErrBusy, l.url, wait)
		}
		t := time.NewTimer(min(lockPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (%s): %w", ErrBusy, l.url, ctx.Err())
		case <-t.C:
		}
	}
}

const advisoryKey = `hashtextextended('cspbill ledger ' || current_schema(), 0)`

func (l *Ledger) tryAdvisoryLock(ctx context.Context) (func(), bool, error) {
	conn, err := l.db.Connx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: lock %s: %w", l.url, err)
	}
	var ok bool
	if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock(`+advisoryKey+`)`); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("ledger: lock %s: %w", l.url, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	var once sync.Once
	release := func() { once.Do(func() { unlockAdvisory(conn) }) }
	return release, true, nil
}

// unlockAdvisory unlocks explicitly: the connection goes back to the pool,
// where a session lock would otherwise outlive the run.
func unlockAdvisory(conn *sqlx.Conn) {
	var unlocked bool
	if err := conn.GetContext(context.Background(), &unlocked,
		`SELECT pg_advisory_unlock(`+advisoryKey+`)`); err != nil || !unlocked {
		// Never hand back to the pool a connection that may still hold
		// the lock: ErrBadConn from Raw makes database/sql discard it.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	conn.Close()
}
