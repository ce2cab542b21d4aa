package csvin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/gocarina/gocsv"
)

// Stats counts the data rows of one file (the header is not a row).
// Read = accepted + Rejected, where accepted includes what the caller keeps,
// holds or ignores as already seen (SPEC §5).
type Stats struct {
	Read     int
	Rejected int
}

// Validate reads a whole file of kind T without keeping anything and returns
// its row counts and any whole-file error. The returned row errors are those
// the reader itself finds (ragged rows, oversized fields, bad quoting); a
// caller's own value checks come on top. A nil error means Read on the same
// bytes will not fail part-way for a reason in the file.
func Validate[T Record](name string, r io.Reader) (Stats, []*RowError, error) {
	var zero T
	s, err := newScanner(name, r, zero.InputKind(), zero.Columns())
	if err != nil {
		return Stats{}, nil, err
	}
	var st Stats
	var rejects []*RowError
	for {
		_, _, rerr, err := s.next()
		if err == io.EOF {
			return st, rejects, nil
		}
		if err != nil {
			return st, rejects, err
		}
		st.Read++
		if rerr != nil {
			st.Rejected++
			rejects = append(rejects, rerr)
		}
	}
}

// Read streams the rows of one file of kind T to fn, in file order, with the
// physical line of each. Rows the reader rejects are not passed to fn; they
// are returned in line order with the rows fn rejected by returning a
// *RowError. Any other error from fn stops the read and is returned as is.
// A *FileError may come after fn has seen rows (the file is bad further
// down): callers that must not load half a file run Validate first.
func Read[T Record](name string, r io.Reader, fn func(line int, row *T) error) (Stats, []*RowError, error) {
	var zero T
	s, err := newScanner(name, r, zero.InputKind(), zero.Columns())
	if err != nil {
		return Stats{}, nil, err
	}
	// gocsv parses up to readAhead rows ahead of fn, so a caller that
	// waits on its database between batches finds the next rows parsed.
	d := &decoder{s: s, lines: make(chan pending, readAhead+4)}
	rows := make(chan T, readAhead)
	done := make(chan error, 1)
	go func() { done <- gocsv.UnmarshalDecoderToChan(d, rows) }()

	var st Stats
	var rejects []*RowError
	finished := false
	defer func() {
		if !finished { // fn failed or panicked: stop gocsv and let it exit
			d.stop.Store(true)
			for range rows {
			}
			<-done
		}
	}()
	for row := range rows {
		p := <-d.lines
		st.Read++
		if p.rerr != nil {
			st.Rejected++
			rejects = append(rejects, p.rerr)
			continue
		}
		if err := fn(p.line, &row); err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return st, rejects, err
			}
			st.Rejected++
			rejects = append(rejects, re)
		}
	}
	finished = true
	if err := <-done; err != nil {
		return st, rejects, err
	}
	return st, rejects, nil
}

// readAhead is how many rows gocsv may parse before fn takes them: a
// constant (a few MiB of strings at most), so memory does not follow the
// file.
const readAhead = 4096

// pending pairs a record handed to gocsv with its line, or with the error that
// rejected it (gocsv then maps an empty record, which Read discards).
type pending struct {
	line int
	rerr *RowError
}

var errStopped = errors.New("csvin: read stopped")

// decoder feeds gocsv the normalised header and then the checked records.
// gocsv turns exactly one record into one value, in order, so Read pairs each
// value with the next entry of lines. gocsv runs at most readAhead values
// plus the one it is mapping ahead of Read, so lines, with room for a few
// more, never blocks the decoder before rows blocks gocsv.
type decoder struct {
	s          *scanner
	headerSent bool
	lines      chan pending
	stop       atomic.Bool
}

func (d *decoder) GetCSVRow() ([]string, error) {
	if !d.headerSent {
		d.headerSent = true
		return d.s.header, nil
	}
	if d.stop.Load() {
		return nil, errStopped
	}
	rec, line, rerr, err := d.s.next()
	if err != nil {
		return nil, err
	}
	if rerr != nil {
		d.lines <- pending{line: line, rerr: rerr}
		return d.s.blank, nil
	}
	d.lines <- pending{line: line}
	return rec, nil
}

func (d *decoder) GetCSVRows() ([][]string, error) {
	return nil, errors.New("csvin: rows are streamed, never read all at once")
}

// scanner reads records with encoding/csv and applies the checks of the
// dialect; it keeps one record at a time.
type scanner struct {
	file   string
	cr     *csv.Reader
	header []string // what gocsv maps by: a contract column's lower-cased name, "" for any other column
	shown  []string // trimmed names as the file writes them, for messages
	blank  []string // an empty record of the header's width
}

// newScanner reads the header of a file of the given kind, whose contract
// columns are columns. Every contract column must be named once, except the
// optional ones (optionalColumns), which may be absent: their values then
// read as empty. Any other column is ignored, even when its name repeats;
// only a contract column named twice is an error, as which of its two values
// is meant cannot be told.
func newScanner(name string, r io.Reader, kind string, columns []string) (*scanner, error) {
	br, err := Prepare(r)
	if err != nil {
		return nil, fileErr(name, 0, "%w", err)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows are row errors, checked here
	cr.ReuseRecord = true
	s := &scanner{file: name, cr: cr}

	rec, err := cr.Read()
	if err == io.EOF {
		return nil, &FileError{File: name, Err: ErrEmptyFile}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fileErr(name, pe.Line, "%w: header: %v", ErrNotCSV, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	line, _ := cr.FieldPos(0)
	contract := make(map[string]bool, len(columns))
	for _, c := range columns {
		contract[c] = true
	}
	seen := make(map[string]int, len(columns))
	for i, h := range rec {
		if !utf8.ValidString(h) {
			return nil, fileErr(name, line, `%w: header column %d; save the file as "CSV UTF-8"`, ErrNotUTF8, i+1)
		}
		if strings.IndexByte(h, 0) >= 0 {
			return nil, fileErr(name, line, "%w: header column %d holds a NUL byte", ErrNotCSV, i+1)
		}
		t := strings.TrimSpace(h)
		n := strings.ToLower(t)
		s.shown = append(s.shown, t)
		if !contract[n] {
			// An unknown column (unnamed ones included) is ignored, however
			// often its name comes: SPEC §1, "unknown columns are ignored".
			s.header = append(s.header, "")
			continue
		}
		if j, dup := seen[n]; dup {
			return nil, fileErr(name, line, "%w %q (columns %d and %d)", ErrDuplicateColumn, t, j+1, i+1)
		}
		seen[n] = i
		s.header = append(s.header, n)
	}
	var missing []string
	for _, c := range columns {
		if _, ok := seen[c]; !ok && !isOptional(kind, c) {
			missing = append(missing, fmt.Sprintf("%q", c))
		}
	}
	if len(missing) > 0 {
		if len(rec) == 1 && strings.ContainsAny(rec[0], ";\t|") {
			return nil, fileErr(name, line, "%w: the header is one column %q; columns must be separated by commas", ErrNotCSV, Shorten(s.shown[0]))
		}
		return nil, fileErr(name, line, "%w %s (found: %s)", ErrMissingColumn, strings.Join(missing, ", "), strings.Join(nonEmpty(s.shown), ", "))
	}
	s.blank = make([]string, len(s.header))
	return s, nil
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	if out == nil {
		out = []string{"nothing"}
	}
	return out
}

// next returns the next record, trimmed, with its first physical line; or a
// row error for it; or io.EOF; or a *FileError (or a read error) that ends
// the file. The record is only valid until the following call.
func (s *scanner) next() (rec []string, line int, rerr *RowError, err error) {
	rec, err = s.cr.Read()
	for err == nil && len(rec) == 1 && len(s.header) > 1 && strings.TrimSpace(rec[0]) == "" {
		rec, err = s.cr.Read() // a line of spaces is a blank line, as encoding/csv skips those
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Line != pe.StartLine {
			// A quote left open swallows the lines after it: which of them
			// were meant as rows cannot be told, so none may be loaded.
			return nil, pe.StartLine, nil, fileErr(s.file, pe.StartLine,
				"%w: a quoted field opened on line %d is not closed properly (line %d: %v); the rows after it cannot be read",
				ErrNotCSV, pe.StartLine, pe.Line, pe.Err)
		}
		return nil, pe.StartLine, &RowError{File: s.file, Line: pe.StartLine, Err: fmt.Errorf("%w: column %d: %v", ErrBadQuote, pe.Column, pe.Err)}, nil
	}
	if err == io.EOF {
		return nil, 0, nil, io.EOF
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", s.file, err)
	}
	line, _ = s.cr.FieldPos(0)
	for i, v := range rec {
		if !utf8.ValidString(v) {
			return nil, line, nil, fileErr(s.file, line, `%w in field %s; save the file as "CSV UTF-8"`, ErrNotUTF8, s.columnName(i))
		}
	}
	if len(rec) != len(s.header) {
		return nil, line, &RowError{File: s.file, Line: line, Err: fmt.Errorf("%w: %d, the header has %d", ErrRaggedRow, len(rec), len(s.header))}, nil
	}
	for i, v := range rec {
		if len(v) > MaxField {
			return nil, line, &RowError{File: s.file, Line: line, Field: s.columnName(i), Value: Shorten(v),
				Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrFieldTooLong, len(v), MaxField)}, nil
		}
		rec[i] = strings.TrimSpace(v)
	}
	if len(rec) > 0 {
		rec[0] = TrimBOM(rec[0])
	}
	return rec, line, nil, nil
}

// TrimBOM drops a BOM that starts a later line of a file (two exports
// joined end to end) from the first value of its record, trimmed: it is not
// part of the value, as the file's own first BOM is not.
func TrimBOM(first string) string {
	return strings.TrimSpace(strings.TrimPrefix(first, "\uFEFF"))
}

func (s *scanner) columnName(i int) string {
	if i < len(s.shown) && s.shown[i] != "" {
		return s.shown[i]
	}
	return fmt.Sprintf("#%d", i+1)
}
