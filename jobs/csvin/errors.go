package csvin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinels wrapped by *FileError and *RowError, for errors.Is.
var (
	// Whole-file errors: nothing of the file is loaded.
	ErrEmptyFile       = errors.New("empty file (no header row)")
	ErrNotCSV          = errors.New("not a CSV file")
	ErrMissingColumn   = errors.New("missing column")
	ErrDuplicateColumn = errors.New("duplicate column")
	ErrNotUTF8         = errors.New("not valid UTF-8")

	// Row errors: that row is rejected, the rest of the file is read.
	ErrRaggedRow    = errors.New("wrong number of fields")
	ErrFieldTooLong = errors.New("field too long")
	ErrBadQuote     = errors.New("bad quoting")
)

// MaxField is the largest field value, in bytes, a row may carry.
const MaxField = 64 << 10

// maxShown is how many characters of a value an error message shows.
const maxShown = 40

// RowError rejects one row: File and Line (physical, the header is line 1, a
// record spanning lines is named by its first) say where, Field and Value
// (shortened for display) say what, when they are known.
type RowError struct {
	File  string
	Line  int
	Field string
	Value string
	Err   error
}

// Error reads like: orders.csv:7: field quantity: value "abc": not a positive integer.
func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(e.Field)
		b.WriteString(": value ")
		b.WriteString(strconv.Quote(Shorten(e.Value)))
		b.WriteString(": ")
	}
	b.WriteString(errText(e.Err))
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// FileError rejects a whole file. Line is 0 when the problem is not on one line.
type FileError struct {
	File string
	Line int
	Err  error
}

// Error reads like: customers.csv: missing column "currency" (found: customer_id, name).
func (e *FileError) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + errText(e.Err)
	}
	return e.File + ": " + errText(e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

func errText(err error) string {
	if err == nil {
		return "invalid"
	}
	return err.Error()
}

// Shorten cuts a value to a length an error message can show, at a character
// boundary, marking the cut with "…". Shortening twice changes nothing.
func Shorten(s string) string {
	n := 0
	for i := range s { // an invalid byte counts as one character
		if n == maxShown {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func fileErr(file string, line int, format string, args ...any) *FileError {
	return &FileError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}
