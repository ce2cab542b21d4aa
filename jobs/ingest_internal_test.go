package jobs

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// eachShare visits every index once, whatever the number of cores, and
// reports the failure of the lowest index.
func TestEachShareVisitsEveryIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 7, 5000} {
			visits := make([]atomic.Int32, n)
			if err := eachShare(n, func(i int) error { visits[i].Add(1); return nil }); err != nil {
				t.Fatalf("procs %d n %d: %v", procs, n, err)
			}
			for i := range visits {
				if v := visits[i].Load(); v != 1 {
					t.Fatalf("procs %d n %d: index %d visited %d times", procs, n, i, v)
				}
			}
		}
		fail := map[int]bool{4100: true, 1234: true, 4999: true}
		err := eachShare(5000, func(i int) error {
			if fail[i] {
				return fmt.Errorf("row %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "row 1234" {
			t.Errorf("procs %d: err = %v, want the lowest failing index's (row 1234)", procs, err)
		}
	}
	if err := eachShare(3, func(int) error { return errors.New("x") }); err == nil {
		t.Error("a failure was lost")
	}
}
