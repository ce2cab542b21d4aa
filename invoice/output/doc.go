// Package output writes a closed period's invoices as the files finance and
// the accountants read (SPEC §4): CSV for machines, an Excel workbook for
// people, and optionally one pair of files per invoice for each customer.
//
// # Files
//
// Under OUT/YYYY-MM/ (the period folder is named from a validated YYYY-MM,
// never from free input):
//
//	invoice-lines.csv   invoice_number, customer_id, currency, charge_type, order_id,
//	                    line_no, subscription_id, sku_id, description, charge_start,
//	                    charge_end, quantity, net, tax, gross, source, credited_invoice
//	invoices.csv        invoice_number, customer_id, customer_name, currency, net, tax,
//	                    gross, lines
//	rejects.csv         file, line, record_key, rule, message
//	invoices.xlsx       the workbook below
//	customers/<customer_id>/<invoice_number>.csv and .xlsx   (Options.PerCustomer)
//
// The CSV files are UTF-8 without a BOM, comma-separated, "\n"-terminated,
// quoted only where needed (encoding/csv), with one header row. Amounts have
// exactly the currency's decimals ("1234.50", "125000" for JPY, "1.250" for
// KWD), credits are negative ("-12.50"); dates are YYYY-MM-DD and charge_end
// is empty for perpetual lines; an unknown reject line (0) is empty. Rows keep
// the order of the Source: invoice-lines.csv by invoice, then charge_start,
// order_id, line_no, charges before credits. Nothing in a file depends on
// the time of the run, so the same input gives the same bytes (SPEC P4), the
// workbook included.
//
// The CSV files carry every value as it was read: they are the contract
// other tools read (an order id "-O5" stays "-O5"). The workbook writes text
// that begins with '=', '+', '-', '@', a tab or a carriage return as a
// string cell, never a formula (SPEC §4). Numbers this package formats
// (amounts, quantities, line numbers, dates) are never changed: a credit
// stays "-12.50".
//
// A per-customer file holds the lines of one invoice only, with the same
// columns as invoice-lines.csv; its workbook has the Summary and Lines sheets
// of that invoice and no Rejects sheet (rejects name other customers). Its
// folder is the customer id, or, for an id that is not a safe file name
// (letters, digits, '.', '_', '-', starting with a letter or digit, no
// ".."), the id with every other byte written %XX (CustomerFolder).
//
// # Workbook
//
// invoices.xlsx is written through excelize's StreamWriter and has:
//
//	Summary   the invoices.csv columns, one row per invoice; below them, after a
//	          blank row, one "Total <currency>" row per currency (in code order)
//	          whose net, tax, gross and lines are
//	          SUMIF($D$2:$D$n,$Dr,E$2:E$n) formulas over the invoice rows, and a
//	          "Total lines" row with SUM(H2:Hn). Formulas carry their exact value
//	          and the workbook asks Excel to recalculate on load.
//	Lines     the invoice-lines.csv columns, one row per line. A sheet holds at
//	          most 1,048,576 rows, header included (Options.MaxSheetRows, for
//	          tests); further lines continue on "Lines 2", "Lines 3", …
//	Rejects   the rejects.csv columns; split like Lines ("Rejects 2", …).
//
// Every sheet has a bold header row that is frozen, an autofilter over the
// header and its rows, and fixed column widths. Amounts are numeric cells
// with the currency's number format, `#,##0.00 "USD"`, `#,##0 "JPY"`,
// `#,##0.000 "KWD"`; dates are real Excel dates shown as yyyy-mm-dd; ids and
// other text are text cells, written as they are: a text that begins with
// '=', '+', '-' or '@' is a string cell, never a formula.
//
// Amounts are int64 minor units everywhere; the one conversion to float64 is
// excelNumber, which parses the exact decimal printed by Currency.Format
// because the StreamWriter writes numeric cells only from Go numbers. An
// amount of at most 15 significant digits survives that exactly (the sheet
// XML holds the same decimal); a larger one fails the close.
//
// # Staging and publishing
//
// Stage writes every file into a hidden folder .cspbill-staging-YYYY-MM-* in
// the output folder, checking on the way that each invoice header equals the
// sum of its lines, then reads invoice-lines.csv and invoices.csv back and
// returns the totals they state per invoice and per currency, for the close
// to tie to the ledger. Publish renames the files into OUT/YYYY-MM/ (the
// whole folder at once on a period's first close; file by file, replacing
// the earlier ones, on a re-run, with customers/ swapped as a whole); Discard
// deletes them. Files are created 0640 and folders 0750. A failed or
// interrupted run therefore never leaves a partial file at a final name; a
// run killed before Publish or Discard leaves only its hidden staging folder,
// which is safe to delete.
package output
