package recon

import (
	"bufio"
	"container/heap"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
)

// DefaultRunSize is how many records a sorter holds in memory before it
// writes them, sorted, to a run file (a few hundred bytes each: a run is a
// few MiB however long the file is).
const DefaultRunSize = 4096

// sorter is an external merge sort: records are added in any order, held
// runSize at a time, each full run sorted and written to a hidden temporary
// file (encoding/gob), and read back merged in cmp order. Memory is one
// run, plus a read buffer per run file while merging. A sorter that never
// fills a run writes no file. cmp must be a total order (records here carry
// their input sequence number as the last key), so the order is the same
// whatever the run size.
type sorter[T any] struct {
	cmp     func(a, b *T) int
	runSize int
	dir     string // "" is os.TempDir()
	buf     []T
	runs    []string
}

func newSorter[T any](dir string, runSize int, cmp func(a, b *T) int) *sorter[T] {
	if runSize <= 0 {
		runSize = DefaultRunSize
	}
	return &sorter[T]{cmp: cmp, runSize: runSize, dir: dir}
}

func (s *sorter[T]) add(v T) error {
	s.buf = append(s.buf, v)
	if len(s.buf) >= s.runSize {
		return s.spill()
	}
	return nil
}

// sortBuf sorts the held records in place. It sorts their indexes and then
// moves the records: a comparison of two copies would put both on the heap.
func (s *sorter[T]) sortBuf() {
	idx := make([]int32, len(s.buf))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int { return s.cmp(&s.buf[i], &s.buf[j]) })
	sorted := make([]T, len(s.buf))
	for i, j := range idx {
		sorted[i] = s.buf[j]
	}
	clear(s.buf)
	s.buf = sorted
}

// spill writes the held records, sorted, to a new run file.
func (s *sorter[T]) spill() (err error) {
	s.sortBuf()
	f, err := os.CreateTemp(s.dir, ".reconciliation-sort-*")
	if err != nil {
		return err
	}
	s.runs = append(s.runs, f.Name()) // removed by close, whatever happens next
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	enc := gob.NewEncoder(bw)
	for i := range s.buf {
		if err := enc.Encode(&s.buf[i]); err != nil {
			return fmt.Errorf("sort run %s: %w", f.Name(), err)
		}
	}
	clear(s.buf)
	s.buf = s.buf[:0]
	return bw.Flush()
}

// sorted yields every record added, in cmp order; an error is yielded
// once, last. It is called once, after the last add.
func (s *sorter[T]) sorted() iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if len(s.runs) == 0 {
			s.sortBuf()
			for i := range s.buf {
				if !yield(&s.buf[i], nil) {
					return
				}
			}
			return
		}
		if len(s.buf) > 0 {
			if err := s.spill(); err != nil {
				yield(nil, err)
				return
			}
		}
		m := &merge[T]{cmp: s.cmp}
		defer m.close()
		for _, name := range s.runs {
			f, err := os.Open(name)
			if err != nil {
				yield(nil, err)
				return
			}
			r := &run[T]{f: f, dec: gob.NewDecoder(bufio.NewReaderSize(f, 32<<10))}
			m.files = append(m.files, f)
			if ok, err := r.next(); err != nil {
				yield(nil, err)
				return
			} else if ok {
				m.runs = append(m.runs, r)
			}
		}
		heap.Init(m)
		for m.Len() > 0 {
			r := m.runs[0]
			v := r.cur
			if !yield(&v, nil) {
				return
			}
			ok, err := r.next()
			if err != nil {
				yield(nil, err)
				return
			}
			if ok {
				heap.Fix(m, 0)
			} else {
				heap.Pop(m)
			}
		}
	}
}

// close removes the run files.
func (s *sorter[T]) close() error {
	var errs []error
	for _, name := range s.runs {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.runs, s.buf = nil, nil
	return errors.Join(errs...)
}

// run is one run file being read.
type run[T any] struct {
	f   *os.File
	dec *gob.Decoder
	cur T
}

func (r *run[T]) next() (bool, error) {
	var v T
	if err := r.dec.Decode(&v); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, fmt.Errorf("sort run %s: %w", r.f.Name(), err)
	}
	r.cur = v
	return true, nil
}

// merge is a heap of runs by their current record; runs read earlier win
// ties (there are none under a total order).
type merge[T any] struct {
	cmp   func(a, b *T) int
	runs  []*run[T]
	files []*os.File
}

func (m *merge[T]) Len() int { return len(m.runs) }
func (m *merge[T]) Less(i, j int) bool {
	return m.cmp(&m.runs[i].cur, &m.runs[j].cur) < 0
}
func (m *merge[T]) Swap(i, j int) { m.runs[i], m.runs[j] = m.runs[j], m.runs[i] }
func (m *merge[T]) Push(x any)    { m.runs = append(m.runs, x.(*run[T])) }
func (m *merge[T]) Pop() any {
	r := m.runs[len(m.runs)-1]
	m.runs = m.runs[:len(m.runs)-1]
	return r
}

func (m *merge[T]) close() {
	for _, f := range m.files {
		f.Close()
	}
}
