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

// jobMemoryLimit is the memory the Go runtime may use before it collects,
// for ingest and post, whose working set does not grow with the data (they
// page through it: at most ~50 MiB live at 100,000 order lines as at a
// million). Go's default collects whenever the heap doubles what was live,
// so a collection every few megabytes allocated: on this 2-core machine,
// which the database server shares, that was a quarter of the post's own
// CPU. With the limit and no percentage trigger (GOGC off), the runtime
// collects only near the limit, so the peak is the limit, the same for any
// N that allocates it. Measured on a PostgreSQL post at 100k (CPU of the
// program, peak RSS): Go's default with 96 MiB 4.2 s, 111 MiB; 128 MiB
// 3.5 s, 144 MiB; 192 MiB 3.1 s, 209 MiB; 256 MiB 3.0 s, 274 MiB. It is
// soft: were more memory live, the program would use it and collect more
// often (the runtime caps collection at half the CPU), never fail.
// GOMEMLIMIT in the environment (a size, or off) overrides it and keeps
// Go's collection trigger (GOGC, default 100); GOGC alone keeps the limit
// and sets the trigger.
const jobMemoryLimit = 192 << 20

// closeMemoryLimit is the soft limit for close, with Go's usual trigger:
// the close waits on the database, not on collections, and a budget it
// reaches at a million order lines but not at 100,000 would make its peak
// follow the data (137 MiB at 100k, 195 MiB at 1M, against 33 and 36 MiB
// with this limit). The limit keeps the collector's slack from growing
// over a longer run.
const closeMemoryLimit = 96 << 20

// reconcileMemoryLimit is the soft limit for reconcile, with Go's usual
// trigger. Reconcile streams (a sort run, one customer's month; its
// workbook is written as the close's): at a million order lines (202,615
// lines against a 210,722-row file) at most ~44 MB live, and a peak RSS of
// 77 MiB with this limit, 108 MiB with 96 MiB, in the same 11.6 s; at
// 100,000 36 MiB either way. 48 MiB made it 25% slower. Until it streamed
// it held the month whole and needed 384 MiB (420 MiB peak at 1M).
const reconcileMemoryLimit = 64 << 20

// limitMemory sets the memory limit, and for ingest and post collection
// only near it, for the commands it is for.
func limitMemory(cmd string) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	switch cmd {
	case "ingest", "post":
		debug.SetMemoryLimit(jobMemoryLimit)
		if _, set := os.LookupEnv("GOGC"); !set {
			debug.SetGCPercent(-1)
		}
	case "close":
		debug.SetMemoryLimit(closeMemoryLimit)
	case "reconcile":
		debug.SetMemoryLimit(reconcileMemoryLimit)
	}
	// schedule and demo run the jobs in one process with Go's defaults.
}
