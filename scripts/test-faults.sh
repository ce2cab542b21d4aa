#!/usr/bin/env bash
# test-faults.sh — the reliability tests: the process killed at every named
# point (crash tests), runs at once (concurrency), the PostgreSQL connection
# cut mid-transaction (faults), the malformed-input corpus, then every
# go test -fuzz target for a bounded time.
#
# Needs Go and a PostgreSQL server. The server comes from
# CSPBILL_TEST_POSTGRES; with CI=true and no variable, from the CI URL below.
#
#   scripts/test-faults.sh                 # 20 s per fuzz target
#   FUZZTIME=2m scripts/test-faults.sh     # longer fuzzing
set -u
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
CI_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'

if [ -z "${CSPBILL_TEST_POSTGRES:-}" ]; then
	if [ "${CI:-}" = "true" ]; then
		export CSPBILL_TEST_POSTGRES=$CI_POSTGRES
	else
		echo "NOTICE: CSPBILL_TEST_POSTGRES is not set: the PostgreSQL halves of these tests will be SKIPPED" >&2
		echo "        (set CSPBILL_TEST_POSTGRES=$CI_POSTGRES, or CI=true)" >&2
	fi
fi

passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# 1. Crash, concurrency, fault and malformed-input tests, both databases.
echo "== go test -run 'Killed|Concurrent|Fault|Malformed' ./cmd/... ./jobs/..."
$GO test -count=1 -v -run 'Killed|Concurrent|Fault|Malformed' ./cmd/... ./jobs/... >"$log/tests.out" 2>&1
status=$?
grep -E '^(--- FAIL|FAIL|ok|panic:)|^\s+[a-z_]+_test\.go:[0-9]+:' "$log/tests.out" | grep -v '^ok ' | grep -vE '^\s+[a-z_]+_test\.go:[0-9]+: (rejects:|[0-9]+ closes worked|error an operator reads)' || true
grep -E '^ok ' "$log/tests.out"
tp=$(grep -cE '^--- PASS: ' "$log/tests.out")
tf=$(grep -cE '^--- FAIL: ' "$log/tests.out")
ts=$(grep -cE '^--- SKIP: ' "$log/tests.out")
killpoints=$(grep -cE '^        --- PASS: TestE2E_KilledPartwayCompletesNextRun/[a-z]+/' "$log/tests.out")
echo "tests: $tp passed, $tf failed, $ts skipped; kill points survived (both databases): $killpoints"
if [ "$status" -ne 0 ] && [ "$tf" -eq 0 ]; then
	tf=1 # a build error or a panic outside a test
	tail -40 "$log/tests.out"
fi
passed=$((passed + tp))
failed=$((failed + tf))

# 2. Every fuzz target, one at a time (go test -fuzz takes one package and
# one target), for FUZZTIME each.
targets=$(grep -rlE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' --include='*_test.go' . |
	while read -r file; do
		dir=$(dirname "$file")
		sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(f \*testing\.F\).*/\1/p' "$file" | sed "s|^|$dir |"
	done | sort)
#
# Go before 1.27 can end a timed fuzz run with a bare "context deadline
# exceeded" when the time is up while a worker is busy (a race in its fuzz
# coordinator, golang/go#75804, seen here on a loaded machine): no input
# failed and none is written. Such a run, and only such a run, is run once
# more; any other failure, or the same again, fails.
fuzz_once() { # dir name out
	$GO test -run '^$' -fuzz "^${2}\$" -fuzztime "$FUZZTIME" "$1" >"$3" 2>&1
}
deadline_race() { # out
	grep -q 'context deadline exceeded' "$1" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$1"
}
while read -r dir name; do
	[ -n "$dir" ] || continue
	echo "== $name ($dir), fuzztime $FUZZTIME"
	out="$log/$name.out"
	ok=0
	if fuzz_once "$dir" "$name" "$out"; then
		ok=1
	elif deadline_race "$out"; then
		echo "$name: ended by Go's fuzz deadline race (golang/go#75804), no failing input; running it again"
		fuzz_once "$dir" "$name" "$out" && ok=1
	fi
	if [ "$ok" -eq 1 ]; then
		execs=$(grep -oE 'execs: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+')
		echo "$name: ok, ${execs:-?} executions in $FUZZTIME"
		passed=$((passed + 1))
	else
		echo "$name: FAILED (the failing input is saved under $dir/testdata/fuzz/$name/)"
		tail -30 "$out"
		failed=$((failed + 1))
	fi
done <<<"$targets"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
