//go:build !unix

package ledger

import (
	"context"
	"errors"
)

func (l *Ledger) tryLockFile(context.Context) (func(), bool, error) {
	return nil, false, errors.New("ledger: the SQLite run lock needs flock (a unix system); use PostgreSQL")
}
