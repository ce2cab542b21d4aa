package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"
)

// startProfiles starts what the environment asks for, for go tool pprof:
// CSPBILL_CPUPROFILE=FILE, a CPU profile of the run; CSPBILL_HEAPPROFILE=FILE,
// a heap profile taken when the heap in use was at its largest (looked at
// every 100 ms), which is where a memory peak comes from. The returned
// function ends them.
func startProfiles() (stop func()) {
	var stops []func()
	if path := os.Getenv("CSPBILL_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("CSPBILL_HEAPPROFILE"); path != "" {
		done, finished := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(finished)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			var peak uint64
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse <= peak {
					continue
				}
				peak = m.HeapInuse
				if f, err := os.Create(path); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}()
		stops = append(stops, func() { close(done); <-finished })
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// jobMemoryLimit is the soft limit on the Go runtime's memory for the jobs
// whose working set does not grow with the data (ingest, post and close page
// through it: at most ~50 MiB live at 100,000 order lines as at a million).
// The garbage collector otherwise lets the heap grow to twice what was live
// at its last collection, and over a run ten times longer it met a larger
// peak (PostgreSQL post: 123 MiB at 100k, 154 MiB at 1M); with the limit it
// collects sooner near the limit instead. Measured on a 100k post: 96 MiB
// took the same time (PostgreSQL 13.6 s, SQLite 17.3–17.6 s against
// 18.0 s) for 111 and 140 MiB instead of 123 and 160; 64 MiB made SQLite's
// post 28% slower (collecting all the time). It is soft: were more memory
// live, the program would use it and collect more often, never fail.
// GOMEMLIMIT in the environment (a size, or off) overrides it.
const jobMemoryLimit = 96 << 20

// limitMemory sets jobMemoryLimit for the commands it is for.
func limitMemory(cmd string) {
	switch cmd {
	case "ingest", "post", "close":
	default:
		return // reconcile reads a period whole; schedule and demo run it
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(jobMemoryLimit)
}
