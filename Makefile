# cspbill — the two commands a new user runs are `make demo` and `make test`.
GO ?= go
BIN := bin/cspbill

.PHONY: build test demo bench bench-quick test-faults vet clean

build:
	$(GO) build -o $(BIN) ./cmd/cspbill

# Every test. PostgreSQL tests use CSPBILL_TEST_POSTGRES; with CI=true and no
# variable they use postgres://postgres@127.0.0.1:5432/test?sslmode=disable and
# fail if it cannot be reached; otherwise they skip with a notice.
test:
	@if [ -z "$$CSPBILL_TEST_POSTGRES" ] && [ "$$CI" != "true" ]; then \
	  echo "NOTICE: PostgreSQL tests will be SKIPPED: set CSPBILL_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them"; fi
	$(GO) vet ./...
	$(GO) test -count=1 ./...

demo: build
	rm -rf out
	./$(BIN) demo --out out || [ $$? -eq 3 ]  # 3: rejected or held fixture rows, on purpose

# ingest → post → close of N generated order lines (then a reconcile, not timed
# in the end-to-end), with the machine's ceilings
# for the same work; the last line is "ratio end-to-end/ceilings: R".
bench:
	$(GO) run ./scripts/bench -n 1000000 -db both

bench-quick:
	$(GO) run ./scripts/bench -n 100000 -db both

# Crash, concurrency, database-fault and malformed-input tests, then every
# fuzz target for FUZZTIME (default 20s). Needs PostgreSQL (see make test).
test-faults:
	FUZZTIME=$${FUZZTIME:-20s} bash scripts/test-faults.sh

vet:
	$(GO) vet ./...

clean:
	rm -rf bin out demo.db
