// Package csvin reads the inbox files of SPEC §1 as streams of raw rows.
//
// It knows the contract (the column names of each input kind, and which of
// them a header may leave out because SPEC lets their values be empty), the
// CSV dialect (UTF-8 with an optional BOM, comma-separated, one header row
// whose names are matched case-insensitively and in any order, unknown
// columns ignored even when their names repeat, values trimmed) and the
// physical line of every record, so that a reject can say "orders.csv:7".
// It does not interpret values: a quantity of "abc" is a string here and the
// caller rejects it with a *RowError of its own.
//
// Errors come in two sizes. A *FileError (no header, a required contract
// column missing, a contract column named twice, not CSV, not UTF-8) means
// nothing of the file may be loaded. A
// *RowError (a ragged row, a field over MaxField, bad quoting on one line)
// rejects that row only; the rest of the file is still read. Because a file
// error can be found on the last line, callers run Validate over the whole
// file first and load it with Read only when Validate returned no error.
//
// Memory does not grow with the file: rows are streamed one at a time and
// mapped onto the row structs by gocsv. A record is held in memory once while
// it is checked, so an oversized field costs a small multiple of its own size
// and is then rejected, never kept.
package csvin
