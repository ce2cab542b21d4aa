package csvin

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

var (
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
	zipMagic = []byte("PK\x03\x04")
)

// Prepare readies a file's bytes for encoding/csv, for the inbox's readers
// and reconciliation's alike. It drops a UTF-8 byte order mark; it refuses
// UTF-16 (ErrNotUTF8) and an Excel workbook (ErrNotCSV), with what to do
// about it; and it reads a file whose lines end in a lone carriage return
// (Excel for Mac's "CSV (Macintosh)") as if they ended in line feeds.
// encoding/csv ends a line only at a line feed, so such a file was one long
// header row: its rows were never read, and with optional columns it was
// not even refused. Physical line numbers stay what they are.
func Prepare(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, headPeek)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		br.Discard(len(utf8BOM))
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, fmt.Errorf(`%w: the file is UTF-16; save it as "CSV UTF-8"`, ErrNotUTF8)
	case bytes.HasPrefix(head, zipMagic):
		return nil, fmt.Errorf(`%w: it looks like an Excel workbook; save it as "CSV UTF-8"`, ErrNotCSV)
	}
	first, _ := br.Peek(headPeek)
	if i := bytes.IndexAny(first, "\r\n"); i >= 0 && first[i] == '\r' && (i+1 == len(first) || first[i+1] != '\n') {
		return crLines{br}, nil
	}
	return br, nil
}

// headPeek is how much of a file Prepare looks at to find how its first line
// ends: a header of up to 16 KiB. (A larger read buffer also costs more when
// encoding/csv meets a huge field: TestHugeFieldMemory.)
const headPeek = 16 << 10

// crLines reads lines ended by a lone carriage return as lines ended by a
// line feed.
type crLines struct{ r io.Reader }

func (c crLines) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}
