package output

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/expected from the current output")

const goldenDir = "testdata/expected/2026-10"

// TestGolden writes the hand-made period and compares every file with
// testdata/expected/2026-10: CSV byte for byte, workbooks cell by cell.
func TestGolden(t *testing.T) {
	out := t.TempDir()
	st, err := Stage(context.Background(), out, "2026-10", goldenSource(), Options{PerCustomer: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Publish(); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(out, "2026-10")
	if *update {
		if err := os.RemoveAll(goldenDir); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(goldenDir, os.DirFS(got)); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", goldenDir)
		return
	}
	gotFiles, wantFiles := listFiles(t, got), listFiles(t, goldenDir)
	if !slices.Equal(gotFiles, wantFiles) {
		t.Fatalf("files:\n got %v\nwant %v", gotFiles, wantFiles)
	}
	for _, name := range wantFiles {
		g, w := filepath.Join(got, name), filepath.Join(goldenDir, name)
		if strings.HasSuffix(name, ".xlsx") {
			if gd, wd := dumpWorkbook(t, g), dumpWorkbook(t, w); gd != wd {
				t.Errorf("%s differs cell by cell:\n%s", name, diffLines(gd, wd))
			}
			continue
		}
		gb, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s differs:\n%s", name, diffLines(string(gb), string(wb)))
		}
	}
}

func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// dumpWorkbook prints every sheet of a workbook as text: its panes and
// column widths, then for every cell its reference, type, raw value, formula
// and number format.
func dumpWorkbook(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, dn := range f.GetDefinedName() {
		fmt.Fprintf(&b, "defined name %s scope=%s refers=%s\n", dn.Name, dn.Scope, dn.RefersTo)
	}
	for _, sheet := range f.GetSheetList() {
		p, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s freeze=%v ysplit=%d topleft=%s\n", sheet, p.Freeze, p.YSplit, p.TopLeftCell)
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		ncol := 0
		for _, r := range rows {
			ncol = max(ncol, len(r))
		}
		for c := 1; c <= ncol; c++ {
			name, _ := excelize.ColumnNumberToName(c)
			w, _ := f.GetColWidth(sheet, name)
			fmt.Fprintf(&b, "col %s width=%v\n", name, w)
		}
		for r := 1; r <= len(rows)+1; r++ {
			for c := 1; c <= ncol; c++ {
				ref, _ := excelize.CoordinatesToCellName(c, r)
				raw, _ := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
				formula, _ := f.GetCellFormula(sheet, ref)
				if raw == "" && formula == "" {
					continue
				}
				typ, _ := f.GetCellType(sheet, ref)
				shown, _ := f.GetCellValue(sheet, ref)
				numFmt := ""
				if sid, _ := f.GetCellStyle(sheet, ref); sid != 0 {
					if st, err := f.GetStyle(sid); err == nil && st.CustomNumFmt != nil {
						numFmt = *st.CustomNumFmt
					}
				}
				fmt.Fprintf(&b, "%s type=%d raw=%q shown=%q formula=%q numfmt=%q\n", ref, typ, raw, shown, formula, numFmt)
			}
		}
	}
	return b.String()
}

// diffLines shows the first lines where two texts differ.
func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < max(len(g), len(w)) && n < 10; i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n  got  %q\n  want %q\n", i+1, gl, wl)
			n++
		}
	}
	return b.String()
}
