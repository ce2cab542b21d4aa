package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// ingest and post run under jobMemoryLimit and collect only near it, unless
// GOMEMLIMIT says otherwise (then Go's trigger stays as GOGC says); GOGC
// alone keeps the limit. close and reconcile run under their own limits with
// Go's trigger; schedule and demo keep Go's defaults.
func TestLimitMemoryPerCommand(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, v := range []string{"GOMEMLIMIT", "GOGC"} {
		t.Setenv(v, "") // restored after the test
		os.Unsetenv(v)
	}
	const none = int64(1<<63 - 1) // Go's default: no limit
	const off = -1                // GOGC off: collect only near the limit
	cases := []struct {
		cmd, limitEnv, gcEnv string
		limit                int64
		percent              int
	}{
		{"ingest", "", "", jobMemoryLimit, off},
		{"post", "", "", jobMemoryLimit, off},
		{"close", "", "", closeMemoryLimit, 100},
		{"reconcile", "", "", reconcileMemoryLimit, 100},
		{"reconcile", "1GiB", "", none, 100},
		{"schedule", "", "", none, 100},
		{"demo", "", "", none, 100},
		// The operator's GOMEMLIMIT and GOGC stand (the runtime read them
		// at start; here the defaults stand in for what it read).
		{"post", "1GiB", "", none, 100},
		{"post", "", "200", jobMemoryLimit, 100},
		{"post", "off", "", none, 100},
	}
	for _, c := range cases {
		debug.SetMemoryLimit(none)
		debug.SetGCPercent(100)
		for v, val := range map[string]string{"GOMEMLIMIT": c.limitEnv, "GOGC": c.gcEnv} {
			if val == "" {
				os.Unsetenv(v)
			} else {
				os.Setenv(v, val)
			}
		}
		limitMemory(c.cmd)
		if got := debug.SetMemoryLimit(-1); got != c.limit {
			t.Errorf("%s (GOMEMLIMIT %q, GOGC %q): limit %d, want %d", c.cmd, c.limitEnv, c.gcEnv, got, c.limit)
		}
		if got := debug.SetGCPercent(100); got != c.percent {
			t.Errorf("%s (GOMEMLIMIT %q, GOGC %q): GC percent %d, want %d", c.cmd, c.limitEnv, c.gcEnv, got, c.percent)
		}
	}
}
