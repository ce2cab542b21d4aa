package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// ingest, post and close run under jobMemoryLimit unless GOMEMLIMIT says
// otherwise; reconcile and the others keep Go's default (no limit).
func TestLimitMemoryOnlyForThePagedJobs(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "") // restored after the test
	os.Unsetenv("GOMEMLIMIT")
	const none = int64(1<<63 - 1) // Go's default: no limit
	cases := []struct {
		cmd, env string
		want     int64
	}{
		{"ingest", "", jobMemoryLimit},
		{"post", "", jobMemoryLimit},
		{"close", "", jobMemoryLimit},
		{"reconcile", "", none},
		{"schedule", "", none},
		{"demo", "", none},
		{"post", "1GiB", none}, // the operator's GOMEMLIMIT stands (read by the runtime at start)
	}
	for _, c := range cases {
		debug.SetMemoryLimit(none)
		if c.env != "" {
			os.Setenv("GOMEMLIMIT", c.env)
		}
		limitMemory(c.cmd)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("%s (GOMEMLIMIT %q): limit %d, want %d", c.cmd, c.env, got, c.want)
		}
	}
}
