package recon

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"cspbill/jobs/csvin"
)

// RowError rejects one row of a reconciliation or mapping file. It is the
// inbox's row error (file:line, field, value, sentinel), so an operator reads
// the same message shape everywhere.
type RowError = csvin.RowError

// FileError rejects a whole file (no header, a missing or duplicate column,
// not CSV, not UTF-8); nothing of it is used.
type FileError = csvin.FileError

// column is one column this package reads: its name in messages and the
// lower-cased header names that mean it (Partner Center's export and the
// API's camelCase, which mostly lower-case to the same word).
type column struct {
	name    string
	aliases []string
}

// scanner reads a CSV file in the inbox dialect of SPEC §1 (as jobs/csvin
// does): UTF-8 with an optional BOM, one header row matched
// case-insensitively, columns in any order, unknown columns ignored, values
// trimmed, blank lines skipped, every record named by its first physical line.
type scanner struct {
	file  string
	cr    *csv.Reader
	index map[string]int // column name → field index
	shown []string       // header names as written, for messages
	width int
}

// newScanner reads the header and maps cols onto it. A column of required
// that the header lacks is a *FileError; so is a column named twice.
func newScanner(name string, r io.Reader, cols []column, required []string) (*scanner, error) {
	br, err := csvin.Prepare(r)
	if err != nil {
		return nil, fileErr(name, 0, "%w", err)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows are row errors, checked in next
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, &FileError{File: name, Err: csvin.ErrEmptyFile}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fileErr(name, pe.Line, "%w: header: %v", csvin.ErrNotCSV, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	line, _ := cr.FieldPos(0)
	s := &scanner{file: name, cr: cr, index: map[string]int{}, width: len(rec)}
	byAlias := map[string]string{}
	for _, c := range cols {
		for _, a := range c.aliases {
			byAlias[a] = c.name
		}
	}
	seen := map[string]int{}
	for i, h := range rec {
		if !utf8.ValidString(h) {
			return nil, fileErr(name, line, `%w: header column %d; save the file as "CSV UTF-8"`, csvin.ErrNotUTF8, i+1)
		}
		t := strings.TrimSpace(h)
		s.shown = append(s.shown, t)
		n := strings.ToLower(t)
		if n == "" {
			continue
		}
		if j, dup := seen[n]; dup {
			return nil, fileErr(name, line, "%w %q (columns %d and %d)", csvin.ErrDuplicateColumn, t, j+1, i+1)
		}
		seen[n] = i
		if c, ok := byAlias[n]; ok {
			if j, dup := s.index[c]; dup {
				// Total and totalForCustomer in one file: which one counts?
				return nil, fileErr(name, line, "%w %q: columns %q and %q both mean it", csvin.ErrDuplicateColumn, c, s.shown[j], t)
			}
			s.index[c] = i
		}
	}
	var missing []string
	for _, c := range required {
		if _, ok := s.index[c]; !ok {
			missing = append(missing, fmt.Sprintf("%q", c))
		}
	}
	if len(missing) > 0 {
		if len(rec) == 1 && strings.ContainsAny(rec[0], ";\t|") {
			return nil, fileErr(name, line, "%w: the header is one column %q; columns must be separated by commas", csvin.ErrNotCSV, csvin.Shorten(s.shown[0]))
		}
		return nil, fileErr(name, line, "%w %s (found: %s)", csvin.ErrMissingColumn, strings.Join(missing, ", "), strings.Join(nonEmpty(s.shown), ", "))
	}
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

func fileErr(file string, line int, format string, args ...any) *FileError {
	return &FileError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}

// record is one data row, trimmed, with its first physical line.
type record struct {
	s      *scanner
	fields []string
	line   int
}

// get returns the trimmed value of a column, "" when the file has no such column.
func (r record) get(col string) string {
	if i, ok := r.s.index[col]; ok {
		return r.fields[i]
	}
	return ""
}

// has reports whether the file has the column.
func (r record) has(col string) bool {
	_, ok := r.s.index[col]
	return ok
}

// rowErr rejects this row for a value of col.
func (r record) rowErr(col string, err error) *RowError {
	return &RowError{File: r.s.file, Line: r.line, Field: r.s.shownName(col), Value: csvin.Shorten(r.get(col)), Err: err}
}

func (s *scanner) shownName(col string) string {
	if i, ok := s.index[col]; ok && s.shown[i] != "" {
		return s.shown[i]
	}
	return col
}

// next returns the next record; or a row error for it; or io.EOF; or a
// *FileError (or a read error) that ends the file.
func (s *scanner) next() (record, *RowError, error) {
	rec, err := s.cr.Read()
	for err == nil && len(rec) == 1 && s.width > 1 && strings.TrimSpace(rec[0]) == "" {
		rec, err = s.cr.Read() // a line of spaces is a blank line
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Line != pe.StartLine {
			// A quote left open swallows the lines after it: none of them may be used.
			return record{}, nil, fileErr(s.file, pe.StartLine,
				"%w: a quoted field opened on line %d is not closed properly (line %d: %v); the rows after it cannot be read",
				csvin.ErrNotCSV, pe.StartLine, pe.Line, pe.Err)
		}
		return record{}, &RowError{File: s.file, Line: pe.StartLine, Err: fmt.Errorf("%w: column %d: %v", csvin.ErrBadQuote, pe.Column, pe.Err)}, nil
	}
	if err == io.EOF {
		return record{}, nil, io.EOF
	}
	if err != nil {
		return record{}, nil, fmt.Errorf("%s: %w", s.file, err)
	}
	line, _ := s.cr.FieldPos(0)
	for i, v := range rec {
		if !utf8.ValidString(v) {
			return record{}, nil, fileErr(s.file, line, `%w in field %s; save the file as "CSV UTF-8"`, csvin.ErrNotUTF8, s.columnName(i))
		}
	}
	if len(rec) != s.width {
		return record{}, &RowError{File: s.file, Line: line, Err: fmt.Errorf("%w: %d, the header has %d", csvin.ErrRaggedRow, len(rec), s.width)}, nil
	}
	fields := make([]string, len(rec))
	for i, v := range rec {
		if len(v) > csvin.MaxField {
			return record{}, &RowError{File: s.file, Line: line, Field: s.columnName(i), Value: csvin.Shorten(v),
				Err: fmt.Errorf("%w: %d bytes, the limit is %d", csvin.ErrFieldTooLong, len(v), csvin.MaxField)}, nil
		}
		fields[i] = strings.TrimSpace(v)
	}
	if len(fields) > 0 {
		fields[0] = csvin.TrimBOM(fields[0]) // as the inbox's reader does (found by an audit)
	}
	return record{s: s, fields: fields, line: line}, nil, nil
}

func (s *scanner) columnName(i int) string {
	if i < len(s.shown) && s.shown[i] != "" {
		return s.shown[i]
	}
	return fmt.Sprintf("#%d", i+1)
}
