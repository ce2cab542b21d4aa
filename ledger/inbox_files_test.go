package ledger_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"cspbill/ledger"
	"cspbill/ledger/ledgertest"
)

// An inbox file is known by its name and content hash together (migration
// 00011): the same name with the same hash is the file loaded before; the
// same hash under another name, or the same name with another hash, is a
// new file (SPEC §6 "each file once", P4, V6).

// TestP4_TheSameFileAgainIsNotAddedTwice: the same (name, hash) is added
// once; the ledger and the database both refuse it a second time.
func TestP4_TheSameFileAgainIsNotAddedTwice(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		f := ledger.InboxFile{Name: "orders.csv", Hash: "h1", Kind: "orders", RowsRead: 2, RowsAccepted: 1, RowsRejected: 1, RunID: run}
		if added, err := l.AddFile(ctx, &f); err != nil || !added || f.ID == 0 {
			t.Fatalf("AddFile = %v, %v (id %d)", added, err, f.ID)
		}
		again := ledger.InboxFile{Name: "orders.csv", Hash: "h1", Kind: "orders", RunID: run}
		if added, err := l.AddFile(ctx, &again); err != nil || added || again.ID != 0 {
			t.Errorf("the same name and hash again: added = %v, %v (id %d)", added, err, again.ID)
		}
		if ok, err := l.FileLoaded(ctx, "orders.csv", "h1"); err != nil || !ok {
			t.Errorf("FileLoaded(orders.csv, h1) = %v, %v; want true", ok, err)
		}
		if _, err := l.DB().ExecContext(ctx, l.DB().Rebind(`INSERT INTO inbox_files (name, hash, kind, run_id)
			VALUES (?, ?, ?, ?)`), "orders.csv", "h1", "orders", run); err == nil {
			t.Error("the database took the same (name, hash) twice")
		}
		if n := count(t, l, "inbox_files"); n != 1 {
			t.Errorf("inbox_files holds %d rows, want 1", n)
		}
	})
}

// TestV6_AFileResentUnderAnotherNameIsANewFile: the same content under
// another name, and another content under the same name, are new files.
func TestV6_AFileResentUnderAnotherNameIsANewFile(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		run := startRun(t, l)
		files := []ledger.InboxFile{
			{Name: "orders.csv", Hash: "h1", Kind: "orders", RunID: run},
			{Name: "orders-resend.csv", Hash: "h1", Kind: "orders", RunID: run}, // same bytes, new name
			{Name: "orders.csv", Hash: "h2", Kind: "orders", RunID: run},        // same name, new bytes
		}
		for i := range files {
			if ok, err := l.FileLoaded(ctx, files[i].Name, files[i].Hash); err != nil || ok {
				t.Errorf("before adding it, FileLoaded(%s, %s) = %v, %v", files[i].Name, files[i].Hash, ok, err)
			}
			if added, err := l.AddFile(ctx, &files[i]); err != nil || !added {
				t.Fatalf("AddFile(%s, %s) = %v, %v; want a new file", files[i].Name, files[i].Hash, added, err)
			}
		}
		var got []string
		for _, f := range collect(t, l.Files(ctx)) {
			got = append(got, f.Name+" "+f.Hash)
		}
		if want := []string{"orders.csv h1", "orders-resend.csv h1", "orders.csv h2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Files = %q, want %q", got, want)
		}
		if ok, err := l.FileLoaded(ctx, "orders-other.csv", "h1"); err != nil || ok {
			t.Errorf("FileLoaded(orders-other.csv, h1) = %v, %v; want false", ok, err)
		}
	})
}

// TestV6_AnInboxFileOfBeforeMigration11IsKeptAndKnownByNameAndHash: a
// ledger made before migration 00011 (files unique by hash) keeps its files
// through it; from then on the same (name, hash) is refused and the same
// hash under another name is a new file. Its Down restores UNIQUE (hash),
// and fails while two files share a hash.
func TestV6_AnInboxFileOfBeforeMigration11IsKeptAndKnownByNameAndHash(t *testing.T) {
	ledgertest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l := openLedger(t, url)
		if err := ledger.MigrateDownTo(ctx, l, 10); err != nil {
			t.Fatal(err)
		}
		run := startRun(t, l)
		old := ledger.InboxFile{Name: "orders.csv", Hash: "h1", Kind: "orders", RowsRead: 3, RowsAccepted: 2, RowsRejected: 1, RunID: run}
		if added, err := l.AddFile(ctx, &old); err != nil || !added {
			t.Fatalf("AddFile before 00011 = %v, %v", added, err)
		}
		insert := func(name, hash string) error {
			_, err := l.DB().ExecContext(ctx, l.DB().Rebind(`INSERT INTO inbox_files (name, hash, kind, run_id)
				VALUES (?, ?, ?, ?)`), name, hash, "orders", run)
			return err
		}
		if err := insert("orders-resend.csv", "h1"); err == nil {
			t.Fatal("before 00011 the database took the same hash under another name")
		}

		if err := l.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := collect(t, l.Files(ctx)); len(got) != 1 || got[0] != old {
			t.Fatalf("after 00011 Files = %+v, want %+v", got, old)
		}
		if ok, err := l.FileLoaded(ctx, "orders.csv", "h1"); err != nil || !ok {
			t.Errorf("FileLoaded(orders.csv, h1) = %v, %v; want true", ok, err)
		}
		same := ledger.InboxFile{Name: "orders.csv", Hash: "h1", Kind: "orders", RunID: run}
		if added, err := l.AddFile(ctx, &same); err != nil || added {
			t.Errorf("the same (name, hash) after 00011: added = %v, %v", added, err)
		}
		if err := insert("orders.csv", "h1"); err == nil {
			t.Error("after 00011 the database took the same (name, hash) twice")
		}
		resent := ledger.InboxFile{Name: "orders-resend.csv", Hash: "h1", Kind: "orders", RunID: run}
		if added, err := l.AddFile(ctx, &resent); err != nil || !added || resent.ID <= old.ID {
			t.Fatalf("the same hash under another name after 00011: added = %v, %v (id %d after %d)", added, err, resent.ID, old.ID)
		}
		if n := count(t, l, "inbox_files"); n != 2 {
			t.Errorf("inbox_files holds %d rows, want 2", n)
		}

		// Down cannot restore UNIQUE (hash) over two files with one hash;
		// it fails whole and leaves both.
		if err := ledger.MigrateDownTo(ctx, l, 10); err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") {
			t.Errorf("Down over two files with the same hash: %v, want a refused UNIQUE (hash)", err)
		}
		if n := count(t, l, "inbox_files"); n != 2 {
			t.Errorf("after the failed Down inbox_files holds %d rows, want 2", n)
		}
		if err := l.Migrate(ctx); err != nil {
			t.Errorf("Migrate after the failed Down: %v", err)
		}
		if err := insert("orders-third.csv", "h1"); err != nil {
			t.Errorf("after the failed Down the schema is not 00011's: %v", err)
		}
	})
}
