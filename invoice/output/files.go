package output

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"cspbill/invoice"
)

// Modes of what a close writes: readable by the finance group, never by others.
const (
	fileMode os.FileMode = 0o640
	dirMode  os.FileMode = 0o750
)

// ErrUnsafeName is wrapped when a period, customer id or invoice number cannot
// be used as a folder or file name.
var ErrUnsafeName = errors.New("unsafe file name")

// periodDir validates a period and returns it in its one canonical spelling,
// YYYY-MM, which is then the name of the period's folder.
func periodDir(period string) (string, error) {
	m, err := invoice.ParseMonth(period)
	if err != nil {
		return "", fmt.Errorf("%w: period: %w", ErrUnsafeName, err)
	}
	if m.String() != period {
		return "", fmt.Errorf("%w: period %q (want YYYY-MM)", ErrUnsafeName, period)
	}
	return period, nil
}

// safeName checks that s can be used as one path element as it is: 1 to 128
// bytes of [A-Za-z0-9._-], starting with a letter or digit (so never ".",
// "..", a hidden file or something a shell reads as an option), with no "..".
// Names are checked, not rewritten: two different ids must never map to the
// same file, and a customer id that needs rewriting is better caught at the
// close than silently renamed.
func safeName(kind, s string) error {
	bad := len(s) == 0 || len(s) > 128 || !isAlnum(s[0])
	for i := 0; i < len(s) && !bad; i++ {
		c := s[i]
		bad = !(isAlnum(c) || c == '.' || c == '_' || c == '-') ||
			c == '.' && i+1 < len(s) && s[i+1] == '.'
	}
	if bad {
		return fmt.Errorf("%w: %s %q (allowed: letters, digits, '.', '_', '-'; starting with a letter or digit; no \"..\")", ErrUnsafeName, kind, s)
	}
	return nil
}

// CustomerFolder is the folder name of customer id under customers/: the id
// itself when it is a safe name, else the id with every byte but letters,
// digits, '_' and '-' written %XX (one id, one folder: a safe id has no
// '%'), shortened past 200 bytes with a hash of the id. Any id the ledger
// accepted thus has a folder: an unsafe one failed the close's files
// after its month was locked, and every later close with it (found by a
// review).
func CustomerFolder(id string) string {
	if safeName("customer id", id) == nil {
		return id
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		if c := id[i]; isAlnum(c) || c == '_' || c == '-' && i > 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	name := b.String()
	if len(name) > 200 {
		sum := sha256.Sum256([]byte(id))
		name = name[:150] + "~" + hex.EncodeToString(sum[:8])
	}
	return name
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// createFile creates a new file with mode 0640 whatever the umask; it never
// opens an existing one.
func createFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// createTemp creates a new hidden file .NAME.tmp-* in dir with mode 0640
// whatever the umask.
func createTemp(dir, name string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// WriteTemp writes a new hidden file .NAME.tmp-* in dir with fn, synced,
// and returns its path, to be renamed over NAME; on an error nothing is
// left.
func WriteTemp(dir, name string, fn func(w io.Writer) error) (path string, err error) {
	f, err := createTemp(dir, name)
	if err != nil {
		return "", err
	}
	return f.Name(), fill(f, fn)
}

// mkdir creates one directory with mode 0750 whatever the umask.
func mkdir(path string) error {
	if err := os.Mkdir(path, dirMode); err != nil {
		return err
	}
	return os.Chmod(path, dirMode)
}

// SyncDir makes the entries of a directory (new files, renames) durable.
func SyncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFile creates path and fills it through fn, then flushes, syncs and
// closes it. On any error the partial file is removed.
func writeFile(path string, fn func(w io.Writer) error) error {
	f, err := createFile(path)
	if err != nil {
		return err
	}
	return fill(f, fn)
}

// fill writes the new file f with fn, syncs and closes it; on an error it
// removes it.
func fill(f *os.File, fn func(w io.Writer) error) (err error) {
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = fn(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// CSVFile is a CSV file being written row by row: the close's files, and
// the reconciliation's (jobs/recon), mode 0640, synced when closed.
type CSVFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	w    *csv.Writer
}

// CreateCSV creates a new CSV file at path (never an existing one) and
// writes header, unless it is nil.
func CreateCSV(path string, header []string) (*CSVFile, error) {
	f, err := createFile(path)
	if err != nil {
		return nil, err
	}
	return newCSV(f, header)
}

// CreateTempCSV is CreateCSV of a new hidden file .NAME.tmp-* in dir, to
// be renamed over NAME once complete (or removed by Abort).
func CreateTempCSV(dir, name string, header []string) (*CSVFile, error) {
	f, err := createTemp(dir, name)
	if err != nil {
		return nil, err
	}
	return newCSV(f, header)
}

func newCSV(f *os.File, header []string) (*CSVFile, error) {
	bw := bufio.NewWriterSize(f, 64<<10)
	c := &CSVFile{path: f.Name(), f: f, bw: bw, w: csv.NewWriter(bw)}
	if header != nil {
		if err := c.Write(header); err != nil {
			c.Abort()
			return nil, err
		}
	}
	return c, nil
}

// Path is where the file is being written.
func (c *CSVFile) Path() string { return c.path }

// Write writes one record.
func (c *CSVFile) Write(rec []string) error { return c.w.Write(rec) }

// Close flushes, syncs and closes the file; on an error it removes it.
func (c *CSVFile) Close() error {
	c.w.Flush()
	err := c.w.Error()
	if err == nil {
		err = c.bw.Flush()
	}
	if err == nil {
		err = c.f.Sync()
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(c.path)
		return fmt.Errorf("write %s: %w", filepath.Base(c.path), err)
	}
	return nil
}

// Abort closes and removes a file that will not be completed (after Close
// too: a file renamed since stays where it went).
func (c *CSVFile) Abort() {
	c.f.Close()
	os.Remove(c.path)
}
