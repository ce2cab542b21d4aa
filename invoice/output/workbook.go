package output

import (
	"io"

	"cspbill/invoice"
)

// Workbook is a workbook written the way the close writes its own, for the
// other files cspbill writes (the reconciliation's): excelize writes each
// sheet's header row, styles and filters, the data rows are encoded by this
// package, as excelize's StreamWriter would, into temporary files, and the
// archive is written in name order with each entry compressed once. Its
// memory does not depend on the number of rows, and a table longer than a
// sheet continues on "<name> 2", "<name> 3", … as the close's Lines do.
type Workbook struct{ b *book }

// NewWorkbook starts a workbook whose first sheet is named first; its
// temporary files go in tmpDir ("": the system's). A sheet holds at most
// sheetRows rows, its header included (0: ExcelMaxRows). The caller ends it
// with Write or Discard.
func NewWorkbook(first, tmpDir string, sheetRows int) (*Workbook, error) {
	if sheetRows <= 0 || sheetRows > ExcelMaxRows {
		sheetRows = ExcelMaxRows
	}
	b, err := newBookOf(first, sheetRows, tmpDir, false)
	if err != nil {
		return nil, err
	}
	return &Workbook{b: b}, nil
}

// Table is a sheet (or a run of sheets) written row by row.
type Table struct{ t *table }

// Table starts the sheet name with a frozen, bold header row of cols (of
// the given widths) and a filter over the rows data rows it will hold;
// Close checks it got that many.
func (w *Workbook) Table(name string, cols []string, widths []float64, rows int) *Table {
	return &Table{w.b.table(name, columns(cols, widths...), rows, w.b.limit)}
}

// Add writes the next data row. A cell is nil (left empty), a string
// (text, never a formula), an int or int64, a float64 of at most 15
// significant digits, or an excelize.Cell with a style of this workbook
// and one of those values or a time.Time (a date style's).
func (t *Table) Add(cells []any) error { return t.t.add(cells) }

// Close ends the table; a table without rows still gets its header.
func (t *Table) Close() error { return t.t.close() }

// MoneyStyle is the style of an amount in currency c (its decimals, a
// thousands separator and its code; negatives with a minus sign).
func (w *Workbook) MoneyStyle(c invoice.Currency) (int, error) { return w.b.moneyStyle(c, false) }

// DateStyle is the style of a date (DateFormat).
func (w *Workbook) DateStyle() int { return w.b.date }

// Write writes the workbook to out and removes its temporary files (with
// or without an error, it is done with then).
func (w *Workbook) Write(out io.Writer) error { return w.b.writeTo(out) }

// Discard removes the workbook's temporary files without writing it.
func (w *Workbook) Discard() { w.b.discard() }
