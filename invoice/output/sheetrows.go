package output

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// The data rows of the workbook's sheets are not written through excelize's
// StreamWriter: it keeps up to 16 MiB of each sheet's XML in memory before
// spilling to a temporary file (a constant of excelize), and every sheet's
// buffer lives until the workbook is saved — at a million order lines the
// Summary, Lines and Rejects buffers were the whole of the close's heap
// (50 MiB; 150 MiB of peak memory against 82 MiB at 100,000). excelize
// still writes each sheet, with its header row, frozen pane, column widths
// and filter; the data rows are encoded here, byte for byte as excelize's
// StreamWriter encodes them (TestRowsEncodeAsExcelize), into a rowSink, and
// spliced into the sheet's XML, before its </sheetData>, when the saved
// workbook's entries are copied in name order (sortZip).

// sinkMemory is how much of a sheet's rows a rowSink keeps in memory
// before it moves them to a temporary file.
const sinkMemory = 1 << 20

// rowSink holds a sheet's encoded rows: in memory while small, then in a
// temporary file.
type rowSink struct {
	dir  string // of the temporary file ("": the system's)
	mem  bytes.Buffer
	file *os.File
	w    *bufio.Writer
	cell []byte // scratch for one cell's encoding
	refs []string
	// The sheet's used range is A1 to (cols, last): the header row's
	// columns, or more if a row has more, and the last row written.
	// excelize's stream writer leaves "A1", and readers that trust it
	// (openpyxl read-only, in2csv) see a sheet of one cell.
	cols, last int
}

// dimension is the sheet's used range, "A1:Q22".
func (s *rowSink) dimension() (string, error) {
	return excelize.CoordinatesToCellName(max(s.cols, 1), max(s.last, 1))
}

func (s *rowSink) write(p []byte) error {
	if s.w != nil {
		_, err := s.w.Write(p)
		return err
	}
	s.mem.Write(p)
	if s.mem.Len() < sinkMemory {
		return nil
	}
	f, err := os.CreateTemp(s.dir, ".cspbill-rows-")
	if err != nil {
		return err
	}
	s.file, s.w = f, bufio.NewWriterSize(f, 64<<10)
	_, err = s.mem.WriteTo(s.w)
	s.mem = bytes.Buffer{}
	return err
}

// reader gives the rows written, from the start.
func (s *rowSink) reader() (io.Reader, error) {
	if s.w == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(s.file, 64<<10), nil
}

// discard removes the temporary file, if any.
func (s *rowSink) discard() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
		s.file, s.w = nil, nil
	}
}

// row encodes row n with cells from column A on; a nil cell is left out.
func (s *rowSink) row(n int, cells []any) error {
	s.last = max(s.last, n)
	b := append(s.cell[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `">`...)
	for i, v := range cells {
		if v == nil {
			continue
		}
		s.cols = max(s.cols, i+1)
		for len(s.refs) <= i {
			name, err := excelize.ColumnNumberToName(len(s.refs) + 1)
			if err != nil {
				return err
			}
			s.refs = append(s.refs, name)
		}
		var err error
		if b, err = appendCell(b, s.refs[i], n, v); err != nil {
			return fmt.Errorf("row %d column %s: %w", n, s.refs[i], err)
		}
	}
	b = append(b, `</row>`...)
	s.cell = b
	return s.write(b)
}

// appendCell encodes one cell as excelize's StreamWriter does (stream.go
// writeCell, setCellValFunc) for the values this package writes: text,
// integers, float64 amounts, dates, and excelize.Cell with a style and
// possibly a formula over a number.
func appendCell(b []byte, col string, row int, v any) ([]byte, error) {
	style, formula := 0, ""
	if c, ok := v.(excelize.Cell); ok {
		style, formula, v = c.StyleID, c.Formula, c.Value
	}
	var val, typ string
	text := false
	switch x := v.(type) {
	case string:
		if formula != "" {
			return nil, errors.New("a formula with a text value")
		}
		typ, text = "inlineStr", true
	case int:
		val = strconv.Itoa(x)
	case int64:
		val = strconv.FormatInt(x, 10)
	case float64:
		val = strconv.FormatFloat(x, 'f', -1, 64)
		if significant(val) > 15 {
			return nil, fmt.Errorf("%w: %s has more than 15 significant digits", ErrBadData, val)
		}
	case time.Time:
		if style == 0 {
			// excelize would add a date-time style of its own.
			return nil, errors.New("a date without a number format")
		}
		days, err := excelDay(x)
		if err != nil {
			return nil, err
		}
		val = strconv.FormatInt(days, 10)
	default:
		return nil, fmt.Errorf("a cell of type %T", v)
	}
	b = append(b, `<c`...)
	var s string
	var preserve bool
	if text {
		s, preserve = cellText(v.(string))
	}
	b = append(b, ` r="`...)
	b = append(b, col...)
	b = strconv.AppendInt(b, int64(row), 10)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	if typ != "" {
		b = append(b, ` t="`...)
		b = append(b, typ...)
		b = append(b, '"')
	}
	b = append(b, '>')
	if formula != "" {
		b = append(b, `<f>`...)
		b = appendEscaped(b, formula)
		b = append(b, `</f>`...)
	}
	if val != "" { // digits, '-' and '.': nothing to escape
		b = append(b, `<v>`...)
		b = append(b, val...)
		b = append(b, `</v>`...)
	}
	if text {
		b = append(b, `<is><t`...)
		if preserve {
			b = append(b, ` xml:space="preserve"`...)
		}
		b = append(b, '>')
		b = append(b, s...)
		b = append(b, `</t></is>`...)
	}
	return append(b, `</c>`...), nil
}

// significant counts the significant digits of a formatted number.
func significant(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '1' && c <= '9' || c == '0' && n > 0 {
			n++
		}
	}
	return n
}

// excelDay is the Excel serial day number of a date (midnight UTC), the
// value excelize writes for a time.Time at midnight on or after 1 March 1900
// in the 1900 date system; earlier days and times of day are refused.
func excelDay(t time.Time) (int64, error) {
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	_, offset := t.Zone()
	t = t.Add(time.Duration(offset) * time.Second).UTC()
	if t.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) || t.Truncate(24*time.Hour) != t {
		return 0, fmt.Errorf("%w: date %s is not a day the workbook can hold", ErrBadData, t.Format(time.RFC3339))
	}
	return int64(t.Sub(epoch) / (24 * time.Hour)), nil
}

// appendEscaped appends s escaped as xml.EscapeText escapes it.
func appendEscaped(b []byte, s string) []byte {
	var w bytes.Buffer
	xml.EscapeText(&w, []byte(s))
	return append(b, w.Bytes()...)
}

// cellText is excelize's inline string encoding (cell.go trimCellValue,
// lib.go bstrMarshal): at most 32,767 UTF-16 units, escaped for XML with
// line feeds kept, and literal "_xHHHH_" sequences escaped so that Excel
// does not read them as characters; preserve when it begins or ends with
// white space.
func cellText(s string) (string, bool) {
	// A string has at most as many UTF-16 units as UTF-8 bytes: only a long
	// one needs counting.
	if len(s) > excelize.TotalCellChars {
		if units := utf16.Encode([]rune(s)); len(units) > excelize.TotalCellChars {
			// Cut before a character the limit would halve: excelize
			// keeps the first half of its surrogate pair, and the cell
			// then ends in U+FFFD (found by an audit in LibreOffice).
			n := excelize.TotalCellChars
			if utf16.IsSurrogate(rune(units[n-1])) && units[n-1] < 0xDC00 {
				n--
			}
			s = string(utf16.Decode(units[:n]))
		}
	}
	preserve := false
	if s != "" {
		for _, c := range []byte{'\t', '\n', '\r', ' '} {
			if s[0] == c || s[len(s)-1] == c {
				preserve = true
				break
			}
		}
		if !plainXML(s) {
			var w strings.Builder
			xml.EscapeText(&w, []byte(s))
			s = strings.ReplaceAll(w.String(), "&#xA;", "\n")
		}
	}
	if !strings.Contains(s, "_x") {
		return s, preserve // nothing bstrMarshal would change
	}
	return bstrMarshal(s), preserve
}

// plainXML reports whether xml.EscapeText leaves s as it is: printable
// ASCII other than & < > ' ".
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '&', c == '<', c == '>', c == '\'', c == '"':
			return false
		}
	}
	return true
}

var (
	bstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrMarshal is excelize's (lib.go, BSD-3-Clause, the excelize authors),
// kept as it is so that text is encoded exactly as excelize encodes it.
func bstrMarshal(s string) (result string) {
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// sheetPaths maps the sheet names of a saved workbook to their entries in
// the archive, from xl/workbook.xml and its relationships.
func sheetPaths(zr *zip.Reader) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	for _, part := range []struct {
		name string
		v    any
	}{{"xl/workbook.xml", &wb}, {"xl/_rels/workbook.xml.rels", &rels}} {
		f, err := zr.Open(part.name)
		if err != nil {
			return nil, err
		}
		err = xml.NewDecoder(f).Decode(part.v)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", part.name, err)
		}
	}
	target := map[string]string{}
	for _, r := range rels.Rels {
		if strings.HasPrefix(r.Target, "/") {
			target[r.ID] = strings.TrimPrefix(r.Target, "/")
		} else {
			target[r.ID] = path.Join("xl", r.Target)
		}
	}
	paths := map[string]string{}
	for _, s := range wb.Sheets {
		if p, ok := target[s.RID]; ok {
			paths[s.Name] = p
		}
	}
	return paths, nil
}

// spliceRows writes the sheet XML of entry e with rows inserted before its
// </sheetData>.
func spliceRows(zw *zip.Writer, e *zip.File, rows *rowSink) error {
	r, err := e.Open()
	if err != nil {
		return err
	}
	sheet, err := io.ReadAll(r) // the sheet as excelize wrote it: its header row only
	r.Close()
	if err != nil {
		return err
	}
	if sheet, err = usedRange(sheet, rows); err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	const end = "</sheetData>"
	i := bytes.Index(sheet, []byte(end))
	if i < 0 || bytes.Count(sheet, []byte(end)) != 1 {
		return fmt.Errorf("%s: no single %s to put the rows before", e.Name, end)
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: e.Modified})
	if err != nil {
		return err
	}
	rr, err := rows.reader()
	if err != nil {
		return err
	}
	if _, err := w.Write(sheet[:i]); err != nil {
		return err
	}
	if _, err := io.Copy(w, rr); err != nil {
		return err
	}
	_, err = w.Write(sheet[i:])
	return err
}

// usedRange gives the sheet XML its used range in place of the "A1"
// excelize's stream writer writes, and drops the filterMode="true" its
// AutoFilter sets: that flag says rows are hidden by a filter's criteria,
// and this filter has none.
func usedRange(sheet []byte, rows *rowSink) ([]byte, error) {
	const placeholder = `<dimension ref="A1"></dimension>`
	last, err := rows.dimension()
	if err != nil {
		return nil, err
	}
	if bytes.Count(sheet, []byte(placeholder)) != 1 {
		// Another excelize writes something else there: the sheet is kept
		// as it wrote it (a missing used range is cosmetic to Excel; a
		// close must not fail on it after its month is locked).
		return sheet, nil
	}
	sheet = bytes.Replace(sheet, []byte(placeholder), []byte(`<dimension ref="A1:`+last+`"></dimension>`), 1)
	return bytes.Replace(sheet, []byte(`<sheetPr filterMode="true">`), []byte(`<sheetPr>`), 1), nil
}
