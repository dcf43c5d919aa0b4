package db

// Treatment notes: one per appointment, written by the therapist after it
// (SOAP: subjective, objective, treatment given and areas worked, plan and
// advice; and free text). A save that changes the words keeps the earlier
// version with its time (a trigger, migration 0032), so a clinical record
// never changes silently. Notes are for the therapist alone: no e-mail,
// log line or public page carries them.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// NoteFields are the words of a note.
type NoteFields struct {
	Subjective string `bun:"subjective" json:"subjective"`
	Objective  string `bun:"objective" json:"objective"`
	Treatment  string `bun:"treatment" json:"treatment"`
	Areas      string `bun:"areas" json:"areas_worked"`
	Plan       string `bun:"plan" json:"plan_and_advice"`
	FreeText   string `bun:"free_text" json:"free_text"`
}

// Empty reports whether nothing is written.
func (f NoteFields) Empty() bool { return f == NoteFields{} }

// Note is the treatment note of one appointment.
type Note struct {
	bun.BaseModel `bun:"table:treatment_notes,alias:n"`

	ID        int64 `bun:"id,pk,autoincrement"`
	BookingID int64 `bun:"booking_id"`
	NoteFields
	Version   int       `bun:"version"` // 1 until it is changed
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// Edited reports whether the note was changed after it was first saved.
func (n Note) Edited() bool { return n.Version > 1 }

// NoteVersion is an earlier version of a note, kept when it was replaced.
type NoteVersion struct {
	bun.BaseModel `bun:"table:treatment_note_versions,alias:v"`

	ID      int64 `bun:"id,pk,autoincrement"`
	NoteID  int64 `bun:"note_id"`
	Version int   `bun:"version"`
	NoteFields
	SavedAt    time.Time `bun:"saved_at"`
	ReplacedAt time.Time `bun:"replaced_at"`
}

// NoteByBooking returns booking id's note, or sql.ErrNoRows.
func NoteByBooking(ctx context.Context, idb bun.IDB, bookingID int64) (Note, error) {
	var n Note
	err := idb.NewSelect().Model(&n).Where("n.booking_id = ?", bookingID).Scan(ctx)
	return n, err
}

// SaveNote writes booking id's note at now: the first save creates it; a
// later one that changes the words keeps the earlier version (the trigger)
// and one that changes nothing leaves it as it was.
func SaveNote(ctx context.Context, idb bun.IDB, bookingID int64, f NoteFields, now time.Time) (Note, error) {
	n := Note{BookingID: bookingID, NoteFields: f, Version: 1, CreatedAt: now, UpdatedAt: now}
	_, err := idb.NewInsert().Model(&n).ExcludeColumn("id").
		On("CONFLICT (booking_id) DO UPDATE").
		Set("subjective = EXCLUDED.subjective, objective = EXCLUDED.objective, treatment = EXCLUDED.treatment").
		Set("areas = EXCLUDED.areas, plan = EXCLUDED.plan, free_text = EXCLUDED.free_text, updated_at = EXCLUDED.updated_at").
		Returning("*").Exec(ctx)
	return n, err
}

// NoteVersions returns the earlier versions of note id, newest first.
func NoteVersions(ctx context.Context, idb bun.IDB, noteID int64) ([]NoteVersion, error) {
	var vs []NoteVersion
	err := idb.NewSelect().Model(&vs).Where("v.note_id = ?", noteID).OrderExpr("v.version DESC").Scan(ctx)
	return vs, err
}

// NoteWithHistory is a note with its earlier versions, for a client's page
// and export.
type NoteWithHistory struct {
	Note
	Earlier []NoteVersion // newest first
}

// NotesOfBookings returns the notes of the bookings ids (with their earlier
// versions), by booking id.
func NotesOfBookings(ctx context.Context, idb bun.IDB, ids []int64) (map[int64]NoteWithHistory, error) {
	out := map[int64]NoteWithHistory{}
	if len(ids) == 0 {
		return out, nil
	}
	var ns []Note
	if err := idb.NewSelect().Model(&ns).Where("n.booking_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, n := range ns {
		vs, err := NoteVersions(ctx, idb, n.ID)
		if err != nil {
			return nil, err
		}
		out[n.BookingID] = NoteWithHistory{Note: n, Earlier: vs}
	}
	return out, nil
}

// SessionStarted reports whether a note can be written for b at now: its
// time has come and it was not cancelled.
func SessionStarted(b Booking, now time.Time) bool {
	return b.Status != BookingCancelled && b.Status != BookingHeld && !b.StartsAt.After(now)
}

// UnwrittenNote is a finished appointment still without a note.
type UnwrittenNote struct {
	BookingID   int64     `bun:"id"`
	ClientName  string    `bun:"client_name"`
	ServiceName string    `bun:"service_name"`
	StartsAt    time.Time `bun:"starts_at"`
	EndsAt      time.Time `bun:"ends_at"`
}

// UnwrittenNotes returns the appointments that ended in the 14 days before
// now, attended (completed, or confirmed and not marked otherwise), with no
// treatment note yet: the dashboard's reminder. Oldest first.
func UnwrittenNotes(ctx context.Context, idb bun.IDB, now time.Time) ([]UnwrittenNote, error) {
	var out []UnwrittenNote
	err := idb.NewRaw(`
		SELECT b.id, b.client_name, b.service_name, b.starts_at, b.ends_at FROM bookings b
		WHERE b.status IN ('completed', 'confirmed') AND b.ends_at <= ? AND b.ends_at > ?
		  AND b.client_name <> ? -- an erased client's session asks for no note
		  AND NOT EXISTS (SELECT 1 FROM treatment_notes n WHERE n.booking_id = b.id)
		ORDER BY b.starts_at, b.id`, now, now.AddDate(0, 0, -14), ErasedName).Scan(ctx, &out)
	return out, err
}

// DefaultNotesKeepYears is how long treatment notes are kept after a
// client's last visit until the therapist says otherwise: 8 years, as UK
// professional bodies advise for adults' records.
const DefaultNotesKeepYears = 8

// MaxNotesKeepYears is the longest retention the setting accepts (0 keeps
// notes for good).
const MaxNotesKeepYears = 30

// NotesKeepYears returns how many years after a client's last visit their
// treatment notes are kept (0: for good).
func NotesKeepYears(ctx context.Context, idb bun.IDB) (int, error) {
	var years int
	err := idb.NewRaw(`SELECT notes_keep_years FROM privacy_settings WHERE id = 1`).Scan(ctx, &years)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultNotesKeepYears, nil
	}
	return years, err
}

// SaveNotesKeepYears saves that setting, leaving the others as they are.
func SaveNotesKeepYears(ctx context.Context, idb bun.IDB, years int) error {
	_, err := idb.NewRaw(`INSERT INTO privacy_settings (id, notes_keep_years) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET notes_keep_years = EXCLUDED.notes_keep_years, updated_at = now()`, years).Exec(ctx)
	return err
}

// notesPastSQL selects the ids of the notes whose client's last visit
// (the latest appointment of the same person that was not cancelled or
// missed and had begun by the instant ?0) is more than ?1 years before ?0.
// A note of a booking without an address counts from its own appointment.
const notesPastSQL = `
	SELECT n.id FROM treatment_notes n JOIN bookings b ON b.id = n.booking_id
	WHERE coalesce(
		CASE WHEN btrim(b.client_email) <> '' THEN (
			SELECT max(o.starts_at) FROM bookings o
			WHERE o.status IN ('completed', 'confirmed') AND o.starts_at <= ?0 AND btrim(o.client_email) <> ''
			  AND coalesce((SELECT into_email FROM client_merges WHERE email = lower(btrim(o.client_email))), lower(btrim(o.client_email))) = ` + personSQL + `)
		END, b.starts_at) < ?0::timestamptz - make_interval(years => ?1)`

// EraseOldNotes deletes, with their versions, the treatment notes past
// their retention at now (nothing when it is 0), and finishes the erasure
// of clients whose erasure kept them: their bookings lose the name and
// address that identified the notes. It returns how many notes it deleted.
func EraseOldNotes(ctx context.Context, idb bun.IDB, now time.Time) (int64, error) {
	years, err := NotesKeepYears(ctx, idb)
	if err != nil || years <= 0 {
		return 0, err
	}
	var n int64
	err = idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var bookingIDs []int64
		if err := tx.NewRaw(`DELETE FROM treatment_notes WHERE id IN (`+notesPastSQL+`) RETURNING booking_id`, now, years).
			Scan(ctx, &bookingIDs); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		n = int64(len(bookingIDs))
		if n == 0 {
			return nil
		}
		_, err := tx.NewRaw(`UPDATE bookings b SET client_name = ?, client_email = ''
			WHERE b.id IN (?) AND lower(btrim(b.client_email)) IN (SELECT email FROM client_erasures)
			  AND NOT EXISTS (SELECT 1 FROM treatment_notes n WHERE n.booking_id = b.id)`, ErasedName, bun.List(bookingIDs)).Exec(ctx)
		if err != nil {
			return err
		}
		_, err = tx.NewRaw(`DELETE FROM client_merges m USING client_erasures e WHERE e.email IN (m.email, m.into_email)
			AND NOT EXISTS (SELECT 1 FROM bookings b WHERE lower(btrim(b.client_email)) = e.email)`).Exec(ctx)
		if err != nil {
			return err
		}
		_, err = tx.NewRaw(`DELETE FROM client_erasures e WHERE NOT EXISTS (
			SELECT 1 FROM bookings b WHERE lower(btrim(b.client_email)) = e.email)`).Exec(ctx)
		return err
	})
	return n, err
}

// CountNotesPast counts the notes a retention of years would delete at now.
func CountNotesPast(ctx context.Context, idb bun.IDB, years int, now time.Time) (int, error) {
	if years <= 0 {
		return 0, nil
	}
	var n int
	err := idb.NewRaw(`SELECT count(*) FROM (`+notesPastSQL+`) x`, now, years).Scan(ctx, &n)
	return n, err
}
