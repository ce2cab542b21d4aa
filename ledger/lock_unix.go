//go:build unix

package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// tryLockFile takes an exclusive flock on PATH+".lock". Why a lock file and
// not BEGIN IMMEDIATE: the run must stay the one writer for its whole length
// while it writes through other connections of its pool (a run is many
// transactions); an open IMMEDIATE transaction would block those writes too.
// flock is per open file, so it also excludes a second Ledger in the same
// process, and the kernel drops it when the process dies.
func (l *Ledger) tryLockFile(ctx context.Context) (func(), bool, error) {
	name := l.path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("ledger: lock %s: %w", name, err)
	}
	var once sync.Once
	return func() { once.Do(func() { f.Close() }) }, true, nil
}
