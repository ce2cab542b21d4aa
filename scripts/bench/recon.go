package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// benchReconcile reconciles the closed month against a Partner Center file
// that gen -recon-from makes of the close's invoice lines, and returns the
// stage (not part of the end-to-end close). gen runs as a child: rows
// held here would count in every later child's peak RSS.
func benchReconcile(o *opts, r *dbResult) (stage, error) {
	dir := filepath.Join(o.work, "recon-"+r.db) // one name for both: the files compare
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return stage{}, err
	}
	file := filepath.Join(dir, "recon-2026-10.csv")
	genLog := filepath.Join(o.work, r.db+"-recon-gen.log")
	if g := measure(genLog, o.gen, "-recon-from", filepath.Join(r.out, "2026-10", "invoice-lines.csv"),
		"-seed", fmt.Sprint(o.seed), "-out", file); g.exit != 0 {
		return stage{}, fmt.Errorf("gen -recon-from exited %d; log %s:\n%s", g.exit, genLog, tail(genLog, 20))
	}
	rows, err := countLines(file)
	if err != nil {
		return stage{}, err
	}
	logPath := filepath.Join(o.work, r.db+"-reconcile.log")
	s := measure(logPath, o.cspbill, "reconcile", "--period", "2026-10", "--file", file, "--out", r.out, "--db="+r.ledgerDB)
	s.name, s.rows, s.unit = "reconcile", rows-1, "Partner rows"
	if s.exit != 3 { // it differs on purpose
		return s, fmt.Errorf("reconcile exited %d, want 3; log %s:\n%s", s.exit, logPath, tail(logPath, 20))
	}
	return s, nil
}
