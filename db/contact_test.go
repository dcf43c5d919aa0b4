package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// Contact messages are kept newest first, can be paged, marked read and
// unread, and deleted.
func TestContactMessages(t *testing.T) {
	dbtest.Truncate(t, "contact_messages")
	ctx := context.Background()
	bdb := dbtest.DB(t)

	var ids []int64
	for _, name := range []string{"Ann", "Bo", "Cy"} {
		m := &db.ContactMessage{Name: name, Email: name + "@example.com", Message: "Hello from " + name + "\nSecond line"}
		if err := db.AddContactMessage(ctx, bdb, m); err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.CreatedAt.IsZero() {
			t.Fatalf("not given an id and time: %+v", m)
		}
		ids = append(ids, m.ID)
	}

	all, err := db.ListContactMessages(ctx, bdb, 0, 10)
	if err != nil || len(all) != 3 || all[0].Name != "Cy" || all[2].Name != "Ann" {
		t.Fatalf("list: %+v %v; want Cy, Bo, Ann", all, err)
	}
	if all[2].Message != "Hello from Ann\nSecond line" || all[2].Phone != "" || all[2].ReadAt != nil {
		t.Errorf("stored %+v", all[2])
	}
	page, err := db.ListContactMessages(ctx, bdb, all[0].ID, 1)
	if err != nil || len(page) != 1 || page[0].Name != "Bo" {
		t.Errorf("the page after Cy: %+v %v, want Bo", page, err)
	}

	if n, err := db.CountUnreadContactMessages(ctx, bdb); err != nil || n != 3 {
		t.Errorf("unread %d %v, want 3", n, err)
	}
	if err := db.MarkContactMessageRead(ctx, bdb, ids[0], true); err != nil {
		t.Fatal(err)
	}
	first, _ := db.ContactMessageByID(ctx, bdb, ids[0])
	if first.ReadAt == nil {
		t.Fatal("not marked read")
	}
	if err := db.MarkContactMessageRead(ctx, bdb, ids[0], true); err != nil {
		t.Fatal(err)
	}
	again, _ := db.ContactMessageByID(ctx, bdb, ids[0])
	if again.ReadAt == nil || !again.ReadAt.Equal(*first.ReadAt) {
		t.Errorf("marking read twice moved the time it was read: %v then %v", first.ReadAt, again.ReadAt)
	}
	if n, _ := db.CountUnreadContactMessages(ctx, bdb); n != 2 {
		t.Errorf("unread %d, want 2", n)
	}
	if err := db.MarkContactMessageRead(ctx, bdb, ids[0], false); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountUnreadContactMessages(ctx, bdb); n != 3 {
		t.Errorf("unread %d after marking unread, want 3", n)
	}

	if err := db.DeleteContactMessage(ctx, bdb, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ContactMessageByID(ctx, bdb, ids[1]); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("deleted message: %v, want sql.ErrNoRows", err)
	}
	for name, err := range map[string]error{
		"mark":   db.MarkContactMessageRead(ctx, bdb, ids[1], true),
		"delete": db.DeleteContactMessage(ctx, bdb, ids[1]),
	} {
		if !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("%s a missing message: %v, want sql.ErrNoRows", name, err)
		}
	}

	// The schema refuses empty messages.
	if err := db.AddContactMessage(ctx, bdb, &db.ContactMessage{Name: "X", Email: "x@example.com"}); err == nil {
		t.Error("an empty message was stored")
	}
}
