package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// TestE2E_KilledPartwayCompletesNextRun kills the process (exit without
// deferred cleanup or commit, as SIGKILL would) at points inside ingest,
// post and close, then runs the same commands again, and expects the ledger
// and the published files of an uninterrupted run: nothing lost, nothing
// posted twice, no half file published.
func TestE2E_KilledPartwayCompletesNextRun(t *testing.T) {
	// Every point where a job can be killed: each file of ingest before and
	// after its commit, an order lines batch being written behind the next,
	// and each step of post and close.
	points := []string{"ingest:start"}
	for _, f := range []string{"customers", "catalog", "taxes", "orders", "cancellations", "renewals"} {
		points = append(points, "ingest:file-read:"+f+".csv", "ingest:file:"+f+".csv")
	}
	points = append(points, "ingest:batch-behind:orders.csv", "ingest:finishing",
		"post:start", "post:computed", "post:posted", "post:prices-locked", "post:statuses", "post:committed", "post:finishing",
		"close:start", "close:computed", "close:before-lock", "close:locked", "close:committed", "close:staged",
		"close:before-publish", "close:published", "close:finishing",
		"reconcile:start", "reconcile:matched", "reconcile:finishing")
	// sequence runs the commands as a chain of timers would, stopping at
	// the first that is killed; it reports whether one was.
	sequence := func(t *testing.T, env []string, db, out string) (killed bool) {
		for _, args := range [][]string{
			{"ingest", "--inbox", inbox1, db},
			{"post", "--as-of", "2026-10-15", db},
			{"close", "--period", "2026-10", "--bill-from", "2026-10", "--out", out, db},
			{"reconcile", "--period", "2026-10", "--file", "../../fixtures/recon/recon-2026-10.csv",
				"--map", "../../fixtures/recon/map-2026-10.csv", "--out", out, db},
		} {
			r := cspbill(t, env, args...)
			if r.code == 137 {
				return true
			}
			if r.code != 0 && r.code != 3 {
				t.Fatalf("cspbill %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
			}
		}
		return false
	}
	ledgertest.Each(t, func(t *testing.T, url string) {
		refOut := t.TempDir()
		sequence(t, nil, "--db="+url, refOut)
		want := ledgerContent(t, url)
		compareGolden(t, refOut, "2026-10")

		for _, point := range points {
			t.Run(point, func(t *testing.T) {
				kind := "postgres"
				if strings.HasPrefix(url, "sqlite:") {
					kind = "sqlite"
				}
				url := ledgertest.URL(t, kind)
				db, out := "--db="+url, t.TempDir()
				if !sequence(t, []string{"CSPBILL_TEST_CRASH_AT=" + point}, db, out) {
					t.Fatalf("no command reached %s", point)
				}
				if point == "close:before-publish" {
					if _, err := os.Stat(filepath.Join(out, "2026-10", "invoices.csv")); !os.IsNotExist(err) {
						t.Fatalf("a killed close published files: %v", err)
					}
				}
				if point == "reconcile:matched" {
					if _, err := os.Stat(filepath.Join(out, "2026-10", "reconciliation.csv")); !os.IsNotExist(err) {
						t.Fatalf("a killed reconcile published files: %v", err)
					}
					if len(hiddenEntries(t, filepath.Join(out, "2026-10"))) == 0 {
						t.Fatalf("no temporary file of the killed reconcile: the point is not where it is meant to be")
					}
				}
				sequence(t, nil, db, out)
				if got := ledgerContent(t, url); !slices.Equal(got, want) {
					t.Fatalf("after the kill at %s and a re-run the ledger differs from an uninterrupted run's: %d transactions against %d%s",
						point, len(got), len(want), firstDiff(got, want))
				}
				compareGolden(t, out, "2026-10")
				for _, f := range []string{"reconciliation.csv", "reconciliation-rejects.csv"} {
					got, _ := os.ReadFile(filepath.Join(out, "2026-10", f))
					want, err := os.ReadFile(filepath.Join(refOut, "2026-10", f))
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("after the kill at %s and a re-run, %s differs from an uninterrupted run's (%v):\n%s", point, f, err, got)
					}
				}
				if left := hiddenEntries(t, out); len(left) > 0 {
					t.Fatalf("after the kill at %s and a re-run, the output holds what the killed run left: %q", point, left)
				}
			})
		}
	})
}

// hiddenEntries lists the hidden files and folders under dir (a staging
// folder, temporary files), as paths relative to it.
func hiddenEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// firstDiff names the first transaction where two ledger contents differ.
func firstDiff(got, want []string) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return fmt.Sprintf("; first difference:\n got  %s\n want %s", got[i], want[i])
		}
	}
	return ""
}

// TestE2E_APanicFailsTheRunAndRollsBack: a panic (a bug in the rules) while
// the charges are computed, on the goroutine that reads and plans the pages,
// or while the post writes, on the main one, ends the run with exit 1 and a
// message, not Go's exit 2 ("bad usage" to a timer, as a cancellation under
// a year-long window did before the ninth session). Nothing it did stays,
// and the next run posts what an uninterrupted one does.
func TestE2E_APanicFailsTheRunAndRollsBack(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		kind := "postgres"
		if strings.HasPrefix(url, "sqlite:") {
			kind = "sqlite"
		}
		ref := ledgertest.URL(t, kind)
		wantCode(t, cspbill(t, nil, "ingest", "--inbox", inbox1, "--db="+ref), 3, "ingest")
		wantCode(t, cspbill(t, nil, "post", "--as-of", "2026-10-15", "--db="+ref), 3, "post")
		want := ledgerContent(t, ref)
		if len(want) == 0 {
			t.Fatal("the fixtures post nothing: the test would prove nothing")
		}
		for _, point := range []string{"post:planned", "post:posted"} {
			t.Run(point, func(t *testing.T) {
				db := "--db=" + ledgertest.URL(t, kind)
				wantCode(t, cspbill(t, nil, "ingest", "--inbox", inbox1, db), 3, "ingest")
				r := cspbill(t, []string{"CSPBILL_TEST_PANIC_AT=" + point}, "post", "--as-of", "2026-10-15", db)
				wantCode(t, r, 1, "post panicking at "+point)
				if !strings.Contains(r.stderr, "internal error") || !strings.Contains(r.stderr, "test panic at "+point) {
					t.Errorf("stderr does not say what happened:\n%s", r.stderr)
				}
				if got := ledgerContent(t, strings.TrimPrefix(db, "--db=")); len(got) != 0 {
					t.Fatalf("the failed post left %d transactions", len(got))
				}
				// Recorded as failed, not left "running" as a killed run is.
				l, err := ledger.Open(context.Background(), strings.TrimPrefix(db, "--db="))
				if err != nil {
					t.Fatal(err)
				}
				var outcomes []string
				err = l.DB().Select(&outcomes, `SELECT outcome FROM job_runs WHERE command = 'post'`)
				l.Close()
				if err != nil || !slices.Equal(outcomes, []string{"failed"}) {
					t.Errorf("job_runs of the post: %v, %v; want [failed]", outcomes, err)
				}
				wantCode(t, cspbill(t, nil, "post", "--as-of", "2026-10-15", db), 3, "post again")
				if got := ledgerContent(t, strings.TrimPrefix(db, "--db=")); !slices.Equal(got, want) {
					t.Fatalf("after the panic and a re-run the ledger differs: %d transactions against %d%s", len(got), len(want), firstDiff(got, want))
				}
			})
		}
	})
}

// TestE2E_ASignalStopsTheRunAndSaysSo: SIGTERM inside the posting
// transaction (a timer stopping the job) rolls the post back, exits 1 and
// says it was stopped by a signal, on both databases: PostgreSQL reports the
// statement it cancelled as an error of its own, which read as a lost
// connection (found by a review). The next run posts everything.
func TestE2E_ASignalStopsTheRunAndSaysSo(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		db := "--db=" + url
		wantCode(t, cspbill(t, nil, "ingest", "--inbox", inbox1, db), 3, "ingest")
		r := cspbill(t, []string{"CSPBILL_TEST_SIGNAL_AT=post:posted"}, "post", "--as-of", "2026-10-15", db)
		wantCode(t, r, 1, "post stopped by SIGTERM")
		if !strings.Contains(r.stderr, "cspbill post stopped by a signal: nothing uncommitted was kept; run it again to finish") ||
			strings.Contains(r.stderr, "lost the connection") {
			t.Errorf("stderr does not say what happened:\n%s", r.stderr)
		}
		if got := ledgerContent(t, url); len(got) != 0 {
			t.Fatalf("the stopped post left %d transactions", len(got))
		}
		wantCode(t, cspbill(t, nil, "post", "--as-of", "2026-10-15", db), 3, "post again")
		if got := ledgerContent(t, url); len(got) == 0 {
			t.Fatal("the post after it posted nothing")
		}
	})
}
