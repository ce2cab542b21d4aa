package csvin

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRead: whatever the bytes, Read does not panic, every row read is either
// passed on or rejected, Validate agrees with Read, and an error is either a
// *FileError or nothing. Seeds are in testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	f.Add([]byte(orderHeader + "O1,1,C1,2026-10-01,SKU,P1Y,annual,1,S1,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		accepted := 0
		st, rejects, err := Read("orders.csv", bytes.NewReader(data), func(line int, r *OrderRow) error {
			if line < 2 {
				t.Fatalf("line %d: the header is line 1", line)
			}
			accepted++
			return nil
		})
		var fe *FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *FileError", err)
		}
		if st.Read != accepted+st.Rejected || st.Rejected != len(rejects) {
			t.Fatalf("stats %+v, %d accepted, %d rejects", st, accepted, len(rejects))
		}
		vst, vrejects, verr := Validate[OrderRow]("orders.csv", bytes.NewReader(data))
		if vst != st || len(vrejects) != len(rejects) || (verr == nil) != (err == nil) {
			t.Fatalf("Validate %+v %d %v, Read %+v %d %v", vst, len(vrejects), verr, st, len(rejects), err)
		}
	})
}
