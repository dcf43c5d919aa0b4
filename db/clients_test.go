package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// pastBooking inserts an appointment of the client's at start with status.
func pastBooking(t *testing.T, svc int64, start time.Time, status, name, email, phone string) db.Booking {
	t.Helper()
	b := hold(svc, start, "", start)
	b.HoldOwner, b.HoldExpiresAt = nil, nil
	b.Status, b.ClientName, b.ClientEmail, b.ClientPhone = status, name, email, phone
	b.ManageTokenHash = owner(email + start.String() + status)
	if _, err := dbtest.DB(t).NewInsert().Model(b).ExcludeColumn("id").Returning("id").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return *b
}

func emptyClients(t *testing.T) int64 {
	t.Helper()
	svc := serviceID(t)
	dbtest.Truncate(t, "bookings", "client_merges", "client_erasures", "privacy_settings", "outbox")
	return svc
}

// A client is every booking with one address (whatever its case): the list
// counts visits and no-shows, knows the last and next visit, and finds
// them by name, address or phone digits.
func TestClientsFromBookings(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := emptyClients(t)
	first := pastBooking(t, svc, testNow.AddDate(0, -2, 0), db.BookingCompleted, "Ann Able", "ann@example.com", "07700 900111")
	pastBooking(t, svc, testNow.AddDate(0, -1, 0), db.BookingNoShow, "Ann Able", "ANN@example.com ", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -3), db.BookingConfirmed, "Ann Able", "ann@example.com", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -2), db.BookingCancelled, "Ann Able", "ann@example.com", "")
	next := pastBooking(t, svc, testNow.AddDate(0, 0, 5), db.BookingConfirmed, "Ann Able", "ann@example.com", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -10), db.BookingCompleted, "Bob Baker", "bob@example.com", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -9), db.BookingCompleted, "", "", "0123 456789") // no address: no client

	cs, more, err := db.ListClients(ctx, bdb, "", 0, testNow)
	if err != nil || more || len(cs) != 2 {
		t.Fatalf("ListClients: %d clients, more %v, %v", len(cs), more, err)
	}
	ann := cs[0]
	if ann.Person != "ann@example.com" || ann.Key != first.ID || ann.Visits != 2 || ann.NoShows != 1 || ann.Count != 5 ||
		ann.Phone != "07700 900111" || !ann.NextVisit.Equal(next.StartsAt) || !ann.LastVisit.Equal(testNow.AddDate(0, 0, -3)) {
		t.Errorf("Ann: %+v", ann)
	}
	for q, want := range map[string]int{"able": 1, "BOB@": 1, "900111": 1, "+44 7700 900111": 1, "nobody": 0, "%": 0} {
		got, _, err := db.ListClients(ctx, bdb, q, 0, testNow)
		if err != nil || len(got) != want {
			t.Errorf("search %q: %d clients, %v; want %d", q, len(got), err, want)
		}
	}
	c, err := db.ClientByBooking(ctx, bdb, next.ID, testNow)
	if err != nil || c.Key != first.ID || len(c.Bookings) != 5 || c.Bookings[0].ID != next.ID {
		t.Fatalf("ClientByBooking: key %d, %d bookings, %v", c.Key, len(c.Bookings), err)
	}
}

// "Same person?": another address with the same phone or name is
// suggested, merged only when asked, and can be taken out again.
func TestMergeClients(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := emptyClients(t)
	a := pastBooking(t, svc, testNow.AddDate(0, -2, 0), db.BookingCompleted, "Cat Cole", "cat@example.com", "07700 900222")
	b := pastBooking(t, svc, testNow.AddDate(0, -1, 0), db.BookingCompleted, "Catherine Cole", "cat.cole@work.example", "+44 7700 900222")
	c := pastBooking(t, svc, testNow.AddDate(0, 0, -1), db.BookingCompleted, "cat  cole", "cc@home.example", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -4), db.BookingCompleted, "Dan Dee", "dan@example.com", "")

	client, err := db.ClientByBooking(ctx, bdb, a.ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	sugg, err := db.SuggestSamePerson(ctx, bdb, client)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range sugg {
		got[s.Person] = s.Why
	}
	// +44 7700… is 07700…; the name (case and spaces aside) finds cc@.
	if len(got) != 2 || got["cat.cole@work.example"] != "same phone" || got["cc@home.example"] != "same name" {
		t.Errorf("suggestions: %v", got)
	}
	if cs, _, _ := db.ListClients(ctx, bdb, "", 0, testNow); len(cs) != 4 {
		t.Fatalf("before merging, %d clients", len(cs))
	}

	if err := db.MergeClients(ctx, bdb, a.ID, c.ID, testNow); err != nil {
		t.Fatal(err)
	}
	if err := db.MergeClients(ctx, bdb, b.ID, a.ID, testNow); err != nil { // a's person, with c, into b's
		t.Fatal(err)
	}
	merged, err := db.ClientByBooking(ctx, bdb, c.ID, testNow)
	if err != nil || merged.Person != "cat.cole@work.example" || len(merged.Emails) != 3 || merged.Visits != 3 {
		t.Fatalf("merged: %+v, %v", merged.ClientSummary, err)
	}
	if cs, _, _ := db.ListClients(ctx, bdb, "", 0, testNow); len(cs) != 2 {
		t.Errorf("after merging, %d clients, want 2", len(cs))
	}
	if err := db.UnmergeClient(ctx, bdb, "CC@home.example"); err != nil {
		t.Fatal(err)
	}
	if alone, err := db.ClientByBooking(ctx, bdb, c.ID, testNow); err != nil || alone.Person != "cc@home.example" || alone.Visits != 1 {
		t.Errorf("after unmerging: %+v, %v", alone.ClientSummary, err)
	}
	if _, err := db.ClientByBooking(ctx, bdb, 999999, testNow); !errors.Is(err, db.ErrNoClient) {
		t.Errorf("an unknown booking: %v", err)
	}
}

// A changed note keeps its earlier version with its time; saving the same
// words again is not a new version; versions cannot be edited.
func TestNoteVersions(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := emptyClients(t)
	b := pastBooking(t, svc, testNow.Add(-2*time.Hour), db.BookingCompleted, "Eve East", "eve@example.com", "")

	if _, err := db.NoteByBooking(ctx, bdb, b.ID); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("a note before writing one: %v", err)
	}
	first := db.NoteFields{Subjective: "Tight left calf", Treatment: "Deep tissue", Areas: "Left calf", Plan: "Stretch daily"}
	n, err := db.SaveNote(ctx, bdb, b.ID, first, testNow)
	if err != nil || n.Version != 1 || n.Edited() {
		t.Fatalf("first save: %+v, %v", n, err)
	}
	if n, err = db.SaveNote(ctx, bdb, b.ID, first, testNow.Add(time.Minute)); err != nil || n.Version != 1 || !n.UpdatedAt.Equal(testNow) {
		t.Fatalf("the same words again: %+v, %v", n, err)
	}
	second := first
	second.Plan = "Stretch twice a day"
	later := testNow.Add(time.Hour)
	if n, err = db.SaveNote(ctx, bdb, b.ID, second, later); err != nil || n.Version != 2 || !n.Edited() || !n.CreatedAt.Equal(testNow) || !n.UpdatedAt.Equal(later) {
		t.Fatalf("changed: %+v, %v", n, err)
	}
	vs, err := db.NoteVersions(ctx, bdb, n.ID)
	if err != nil || len(vs) != 1 || vs[0].Plan != "Stretch daily" || !vs[0].SavedAt.Equal(testNow) || !vs[0].ReplacedAt.Equal(later) {
		t.Fatalf("versions: %+v, %v", vs, err)
	}
	if _, err := bdb.NewRaw("UPDATE treatment_note_versions SET plan = 'rewritten'").Exec(ctx); err == nil {
		t.Error("an earlier version was changed")
	}

	// The dashboard's list: finished, attended, within 14 days, no note.
	unwritten := pastBooking(t, svc, testNow.AddDate(0, 0, -3), db.BookingConfirmed, "Eve East", "eve@example.com", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -4), db.BookingNoShow, "Eve East", "eve@example.com", "")
	pastBooking(t, svc, testNow.AddDate(0, 0, -20), db.BookingCompleted, "Eve East", "eve@example.com", "")
	pastBooking(t, svc, testNow.Add(-30*time.Minute), db.BookingConfirmed, "Eve East", "eve@example.com", "") // not over
	pastBooking(t, svc, testNow.AddDate(0, 0, -5), db.BookingCompleted, db.ErasedName, "", "")                // erased: no note asked
	un, err := db.UnwrittenNotes(ctx, bdb, testNow)
	if err != nil || len(un) != 1 || un[0].BookingID != unwritten.ID {
		t.Errorf("UnwrittenNotes: %+v, %v", un, err)
	}
}

// Notes are kept a number of years after the client's last visit, apart
// from the health answers; erasing a client keeps notes inside that period
// (with the name and address that identify them), and the retention job
// removes them later and finishes the erasure.
func TestNotesRetentionAndErasure(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := emptyClients(t)
	// Fay: seen 10 years ago and again 2 years ago; her old note stays
	// (her last visit is recent). Gus: last seen 9 years ago.
	fayOld := pastBooking(t, svc, testNow.AddDate(-10, 0, 0), db.BookingCompleted, "Fay Ford", "fay@example.com", "07700 900333")
	fayNew := pastBooking(t, svc, testNow.AddDate(-2, 0, 0), db.BookingCompleted, "Fay Ford", "fay@example.com", "07700 900333")
	gus := pastBooking(t, svc, testNow.AddDate(-9, 0, 0), db.BookingCompleted, "Gus Gray", "gus@example.com", "")
	for _, b := range []db.Booking{fayOld, fayNew, gus} {
		if _, err := db.SaveNote(ctx, bdb, b.ID, db.NoteFields{FreeText: "Note of " + b.ClientName}, b.EndsAt); err != nil {
			t.Fatal(err)
		}
	}
	if years, err := db.NotesKeepYears(ctx, bdb); err != nil || years != db.DefaultNotesKeepYears {
		t.Fatalf("NotesKeepYears = %d, %v", years, err)
	}
	if n, err := db.CountNotesPast(ctx, bdb, 8, testNow); err != nil || n != 1 {
		t.Errorf("CountNotesPast(8) = %d, %v; want Gus's one", n, err)
	}

	// Erasing Fay: both notes are inside the period, so they stay.
	e, err := db.EraseClient(ctx, bdb, "fay@example.com", testNow)
	if err != nil || e.NotesKept != 2 || e.NotesRemoved != 0 {
		t.Fatalf("erasing Fay: %+v, %v", e, err)
	}
	kept, _ := db.BookingByID(ctx, bdb, fayNew.ID)
	if kept.ClientName != "Fay Ford" || kept.ClientEmail != "fay@example.com" || kept.ClientPhone != "" {
		t.Errorf("the kept record's booking: %q %q %q", kept.ClientName, kept.ClientEmail, kept.ClientPhone)
	}
	// Erasing Gus (merged with another address of his): his note is past
	// the period and goes, and so does the merge.
	gus2 := pastBooking(t, svc, testNow.AddDate(-9, 1, 0), db.BookingCompleted, "Gus Gray", "gus.gray@example.com", "")
	must(t, db.MergeClients(ctx, bdb, gus.ID, gus2.ID, testNow))
	if e, err = db.EraseClient(ctx, bdb, "gus@example.com", testNow); err != nil || e.NotesKept != 0 || e.NotesRemoved != 1 {
		t.Fatalf("erasing Gus: %+v, %v", e, err)
	}
	var merges int
	if err := bdb.NewRaw("SELECT count(*) FROM client_merges").Scan(ctx, &merges); err != nil || merges != 0 {
		t.Errorf("%d merges left after erasing Gus, %v", merges, err)
	}

	// Nine years on, the retention job removes Fay's notes and finishes
	// her erasure; the health-answers setting is another matter.
	if err := db.SaveNotesKeepYears(ctx, bdb, 8); err != nil {
		t.Fatal(err)
	}
	if p, err := db.GetPrivacy(ctx, bdb); err != nil || p.HealthKeepMonths != db.DefaultPrivacy.HealthKeepMonths {
		t.Errorf("saving the notes' retention changed the health answers': %+v, %v", p, err)
	}
	if n, err := db.EraseOldNotes(ctx, bdb, testNow); err != nil || n != 0 {
		t.Errorf("EraseOldNotes now = %d, %v", n, err)
	}
	if n, err := db.EraseOldNotes(ctx, bdb, testNow.AddDate(9, 0, 0)); err != nil || n != 2 {
		t.Errorf("EraseOldNotes in nine years = %d, %v", n, err)
	}
	gone, _ := db.BookingByID(ctx, bdb, fayNew.ID)
	if gone.ClientName != db.ErasedName || gone.ClientEmail != "" {
		t.Errorf("after the notes went, Fay's booking: %q %q", gone.ClientName, gone.ClientEmail)
	}
	var left int
	if err := bdb.NewRaw("SELECT count(*) FROM treatment_notes").Scan(ctx, &left); err != nil || left != 0 {
		t.Errorf("%d notes left, %v", left, err)
	}

	// 0 keeps notes for good.
	if err := db.SaveNotesKeepYears(ctx, bdb, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountNotesPast(ctx, bdb, 0, testNow); err != nil || n != 0 {
		t.Errorf("CountNotesPast(0) = %d, %v", n, err)
	}
}
