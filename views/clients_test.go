package views_test

import (
	"time"

	"dynamicmotion/db"
)

// Sample data of the clients' and treatment notes' pages (issue 17), in
// the shapes of handlers' clientsData, clientData and noteData.

func sampleNote(at time.Time) *db.Note {
	return &db.Note{ID: 1, BookingID: 1, Version: 2, CreatedAt: at.Add(time.Hour), UpdatedAt: at.Add(2 * time.Hour),
		NoteFields: db.NoteFields{Subjective: "Tight <calf>", Objective: "Reduced dorsiflexion", Treatment: "Deep tissue",
			Areas: "Left calf", Plan: "Stretch\ndaily", FreeText: "Runs 10K in May"}}
}

type sampleNoteField struct {
	Name, Label, Hint, Value, Error string
	Rows                            int
}

func sampleClients(name string, start time.Time) any {
	last, next := start.AddDate(0, 0, -7), start.AddDate(0, 0, 7)
	summary := db.ClientSummary{Key: 1, Person: "ann@example.com", Name: "Ann <Able>", Email: "Ann@example.com", Phone: "07700 900123",
		Count: 3, Visits: 2, NoShows: 1, LastVisit: &last, NextVisit: &next}
	b := db.Booking{ID: 1, StartsAt: start, EndsAt: start.Add(time.Hour), ServiceName: "Sports massage", ClientName: "Ann",
		ClientEmail: "ann@example.com", Status: db.BookingCompleted, ConsentAt: &start,
		Health: map[string]any{"injury": map[string]any{"question": "Any injury?", "answer": "yes", "details": "Calf"}}}
	note := sampleNote(start)
	earlier := []db.NoteVersion{{ID: 1, NoteID: 1, Version: 1, NoteFields: db.NoteFields{Plan: "Rest"}, SavedAt: start, ReplacedAt: start.Add(time.Hour)}}
	switch name {
	case "admin-clients":
		return struct {
			Query      string
			Clients    []db.ClientSummary
			Page       int
			Prev, Next string
			Searching  bool
		}{Query: "ann", Clients: []db.ClientSummary{summary, {Key: 2, Name: "Bob", Email: "bob@example.com"}}, Page: 1,
			Prev: "/admin/clients?q=ann", Next: "/admin/clients?page=2&q=ann", Searching: true}
	case "admin-client":
		type health struct {
			Booking db.Booking
			Answers []struct{ Key, Question, Answer, Details string }
		}
		type clientNote struct {
			Booking db.Booking
			Note    db.NoteWithHistory
		}
		return struct {
			Client    db.Client
			Health    []health
			Consents  []db.Booking
			Notes     []clientNote
			NoteOf    map[int64]*db.Note
			Same      []db.SamePerson
			Upcoming  []db.Booking
			Now       time.Time
			KeepYears int
			Erased    *db.Erasure
			Confirm   string
			Errors    map[string]string
			Notice    string
		}{
			Client:   db.Client{ClientSummary: summary, Emails: []string{"ann@example.com", "ann@work.example"}, Bookings: []db.Booking{b}},
			Health:   []health{{Booking: b, Answers: []struct{ Key, Question, Answer, Details string }{{"injury", "Any injury?", "yes", "Calf"}}}},
			Consents: []db.Booking{b}, Notes: []clientNote{{Booking: b, Note: db.NoteWithHistory{Note: *note, Earlier: earlier}}},
			NoteOf: map[int64]*db.Note{1: note},
			Same:   []db.SamePerson{{Key: 5, Person: "a.able@example.com", Name: "Ann Able", Email: "a.able@example.com", Why: "same phone"}},
			Now:    start.AddDate(0, 0, 1), KeepYears: 8, Erased: &db.Erasure{Bookings: 1, NotesKept: 1, KeptBookings: 1},
			Confirm: "ann@", Errors: map[string]string{"confirm": "Type the client's email address."}, Notice: "Merged.",
		}
	case "admin-note", "admin-note-history":
		return struct {
			Booking  db.Booking
			When     string
			Note     *db.Note
			Fields   []sampleNoteField
			Version  int
			Earlier  []db.NoteVersion
			Started  bool
			Saved    bool
			Conflict *db.Note
			Notice   string
		}{Booking: b, When: "Thursday 26 November 2026, 09:00", Note: note, Version: 2, Earlier: earlier, Started: true, Saved: true,
			Conflict: note, Notice: "Not yet.",
			Fields: []sampleNoteField{{Name: "subjective", Label: "Subjective", Hint: "What they said.", Value: "Tight", Rows: 4, Error: "Too long."},
				{Name: "plan", Label: "Plan and advice", Value: "", Rows: 4}}}
	}
	return nil
}
