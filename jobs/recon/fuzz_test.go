package recon

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadFile: whatever the bytes, ReadFile does not panic, an error is a
// *FileError (nothing kept) or nothing, and every row kept or rejected names
// a line after the header.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(pcHeader + pcRow))
	f.Add([]byte(apiHeader + apiRow))
	f.Add([]byte(apiHeader + "1,2,3\n\"open"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, rejects, err := ReadFile("recon.csv", bytes.NewReader(data))
		var fe *FileError
		if err != nil {
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
			}
			if rows != nil || rejects != nil {
				t.Fatalf("rows kept from a bad file")
			}
			return
		}
		for _, r := range rows {
			if r.Line < 2 || r.Quantity.IsNegative() {
				t.Fatalf("row %+v", r)
			}
		}
		for _, r := range rejects {
			if r.Line < 2 {
				t.Fatalf("reject %v", r)
			}
		}
	})
}
