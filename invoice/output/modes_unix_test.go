//go:build unix

package output

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileModes: files are 0640 and folders 0750 whatever the umask, staged
// and published.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	out := t.TempDir()
	st := stage(t, out, goldenSource(), Options{PerCustomer: true})
	check := func(root string) {
		n := 0
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			want := fileMode
			if d.IsDir() {
				want = dirMode
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %o, want %o", p, got, want)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1+1+4+8+4 { // period folder, customers, 4 customer folders, 8 files, 4 period files
			t.Errorf("%s: %d entries checked", root, n)
		}
	}
	check(st.Dir)
	if err := st.Publish(); err != nil {
		t.Fatal(err)
	}
	check(filepath.Join(out, "2026-10"))
	// A re-run replaces the files; they keep their modes.
	if err := stage(t, out, goldenSource(), Options{PerCustomer: true}).Publish(); err != nil {
		t.Fatal(err)
	}
	check(filepath.Join(out, "2026-10"))
}
