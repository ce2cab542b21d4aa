package ledger

// SetAccountCache bounds the sets of known account names at n until restore.
func SetAccountCache(n int) (restore func()) {
	old := accountCache
	accountCache = n
	return func() { accountCache = old }
}

// KnownAccounts is the number of account names l knows to exist.
func KnownAccounts(l *Ledger) int {
	l.accountsMu.Lock()
	defer l.accountsMu.Unlock()
	return len(l.accounts)
}
