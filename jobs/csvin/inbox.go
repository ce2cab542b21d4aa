package csvin

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// kindOrder ranks the input kinds in the order SPEC §1 reads them.
var kindOrder = map[string]int{
	KindCustomers: 0, KindCatalog: 1, KindTaxes: 2,
	KindOrders: 3, KindCancellations: 4, KindRenewals: 5,
}

// KindOf returns the kind of an inbox file from its name: customers*.csv,
// catalog*.csv, taxes*.csv, orders*.csv, cancellations*.csv, renewals*.csv
// or recon*.csv, case-insensitively. Only the base name counts.
func KindOf(filename string) (kind string, ok bool) {
	base := strings.ToLower(filepath.Base(filename))
	if !strings.HasSuffix(base, ".csv") {
		return "", false
	}
	for _, k := range append(Kinds[:], KindRecon) {
		if strings.HasPrefix(base, k) {
			return k, true
		}
	}
	return "", false
}

// File is one inbox file.
type File struct {
	Name string // base name, as in the folder
	Path string // the folder joined with Name
	Kind string
}

// Inbox is what List finds in a folder.
type Inbox struct {
	// Files are the input files in reading order: by kind (customers,
	// catalog, taxes, orders, cancellations, renewals), then by name.
	Files []File
	// Recon are the reconciliation files (recon*.csv), by name; they are
	// not inputs of a close.
	Recon []File
	// Ignored are the names of regular files that are neither (a caller
	// says so, so that a misnamed file is not silently skipped).
	Ignored []string
}

// List reads an inbox folder. Sub-folders are not entered. Names sort
// case-insensitively, with byte order breaking ties, so the order does not
// depend on how a file system lists them.
func List(dir string) (Inbox, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Inbox{}, err
	}
	var in Inbox
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		kind, ok := KindOf(e.Name())
		f := File{Name: e.Name(), Path: filepath.Join(dir, e.Name()), Kind: kind}
		switch {
		case !ok:
			in.Ignored = append(in.Ignored, e.Name())
		case kind == KindRecon:
			in.Recon = append(in.Recon, f)
		default:
			in.Files = append(in.Files, f)
		}
	}
	sort.SliceStable(in.Files, func(i, j int) bool {
		a, b := in.Files[i], in.Files[j]
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		return nameLess(a.Name, b.Name)
	})
	sort.SliceStable(in.Recon, func(i, j int) bool { return nameLess(in.Recon[i].Name, in.Recon[j].Name) })
	sort.Slice(in.Ignored, func(i, j int) bool { return nameLess(in.Ignored[i], in.Ignored[j]) })
	return in, nil
}

func nameLess(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la != lb {
		return la < lb
	}
	return a < b
}
