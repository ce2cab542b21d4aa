package main

import (
	"os"
	"runtime"
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
