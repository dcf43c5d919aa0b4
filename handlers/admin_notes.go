package handlers

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// Treatment notes (/admin/bookings/:id/note): one per appointment, written
// once its time has come. Saving changed words keeps the earlier version
// (db.SaveNote); the page says "edited" and links to the history. The
// words are never logged or mailed: the handlers log nothing of them, and
// the request log has no bodies.

// maxNoteField is the most a note's field may hold, in characters.
const maxNoteField = 10000

// noteField is one field of the note form.
type noteField struct {
	Name, Label, Hint, Value, Error string
	Rows                            int
}

// noteData is the note form, or its history.
type noteData struct {
	Booking  db.Booking
	When     string
	Note     *db.Note // nil until written
	Fields   []noteField
	Version  int // the version the form was opened on
	Earlier  []db.NoteVersion
	Started  bool // its time has come: a note can be written
	Saved    bool
	Conflict *db.Note // saved elsewhere since the form was opened
	Notice   string
}

// noteForm lays out the form's fields with values f.
func noteForm(f db.NoteFields) []noteField {
	return []noteField{
		{Name: "subjective", Label: "Subjective", Hint: "What the client told you: how they feel, pain, goals.", Value: f.Subjective, Rows: 4},
		{Name: "objective", Label: "Objective", Hint: "What you found: posture, range of movement, tests.", Value: f.Objective, Rows: 4},
		{Name: "treatment", Label: "Treatment given", Value: f.Treatment, Rows: 4},
		{Name: "areas", Label: "Areas worked", Value: f.Areas, Rows: 2},
		{Name: "plan", Label: "Plan and advice", Hint: "Exercises, aftercare, next appointment.", Value: f.Plan, Rows: 4},
		{Name: "free_text", Label: "Other notes", Value: f.FreeText, Rows: 4},
	}
}

func withErrors(fs []noteField, errs map[string]string) []noteField {
	for i := range fs {
		fs[i].Error = errs[fs[i].Name]
	}
	return fs
}

// noteBooking reads booking :id and its note (nil if none yet).
func (h *Handler) noteBooking(c echo.Context) (noteData, error) {
	b, err := h.adminBooking(c)
	if err != nil {
		return noteData{}, err
	}
	d := noteData{Booking: b, Started: db.SessionStarted(b, h.now())}
	d.When = b.StartsAt.In(views.London).Format("Monday 2 January 2006, 15:04")
	n, err := db.NoteByBooking(c.Request().Context(), h.db, b.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return d, err
	default:
		d.Note, d.Version = &n, n.Version
	}
	return d, nil
}

func (h *Handler) renderNote(c echo.Context, status int, d noteData) error {
	p, err := h.adminPage(c, "Treatment note: "+d.Booking.ClientName, d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-note", "", p)
}

// showNote is GET /admin/bookings/:id/note: the note form, filled in with
// the note as saved.
func (h *Handler) showNote(c echo.Context) error {
	d, err := h.noteBooking(c)
	if err != nil {
		return err
	}
	var f db.NoteFields
	if d.Note != nil {
		f = d.Note.NoteFields
	}
	d.Fields = noteForm(f)
	d.Saved = c.QueryParam("saved") != ""
	return h.renderNote(c, http.StatusOK, d)
}

// saveNote is POST /admin/bookings/:id/note. Mistakes, and a save made
// elsewhere since the form was opened, come back with every word typed
// kept; otherwise 303 to the form, saying it was saved.
func (h *Handler) saveNote(c echo.Context) error {
	d, err := h.noteBooking(c)
	if err != nil {
		return err
	}
	f := db.NoteFields{
		Subjective: formValue(c, "subjective"), Objective: formValue(c, "objective"), Treatment: formValue(c, "treatment"),
		Areas: formValue(c, "areas"), Plan: formValue(c, "plan"), FreeText: formValue(c, "free_text"),
	}
	errs := map[string]string{}
	for _, fd := range noteForm(f) {
		if len([]rune(fd.Value)) > maxNoteField {
			errs[fd.Name] = "Please keep this to " + strconv.Itoa(maxNoteField) + " characters."
		}
	}
	opened, _ := strconv.Atoi(c.FormValue("version"))
	d.Fields = noteForm(f)
	switch {
	case !d.Started:
		d.Notice = "A note can be written once the appointment has begun (and not for a cancelled one)."
		return h.renderNote(c, http.StatusConflict, d)
	case f.Empty():
		errs["subjective"] = "Write something in at least one field."
	case len(errs) == 0 && d.Note != nil && opened != d.Note.Version:
		// Saved in another tab or on another device since: show that
		// version beside her words, and save hers only when she says so.
		d.Conflict = d.Note
		d.Version = d.Note.Version
		return h.renderNote(c, http.StatusConflict, d)
	}
	if len(errs) > 0 {
		d.Fields = withErrors(d.Fields, errs)
		d.Version = opened
		return h.renderNote(c, http.StatusUnprocessableEntity, d)
	}
	if _, err := db.SaveNote(c.Request().Context(), h.db, d.Booking.ID, f, h.now()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, noteURL(d.Booking.ID)+"?saved=1")
}

// noteURL is booking id's note form.
func noteURL(id int64) string { return adminPath + "/bookings/" + strconv.FormatInt(id, 10) + "/note" }

// showNoteHistory is GET /admin/bookings/:id/note/history: the note as it
// is, and every earlier version with when it was saved and replaced.
func (h *Handler) showNoteHistory(c echo.Context) error {
	d, err := h.noteBooking(c)
	if err != nil {
		return err
	}
	if d.Note == nil {
		return c.Redirect(http.StatusSeeOther, noteURL(d.Booking.ID))
	}
	if d.Earlier, err = db.NoteVersions(c.Request().Context(), h.db, d.Note.ID); err != nil {
		return err
	}
	p, err := h.adminPage(c, "Note history: "+d.Booking.ClientName, d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-note-history", "", p)
}

// bookingNote is the note of booking id for its page (nil if none).
func (h *Handler) bookingNote(c echo.Context, id int64) (*db.Note, error) {
	n, err := db.NoteByBooking(c.Request().Context(), h.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// saveNotesRetention is POST /admin/privacy/notes-retention: how many years
// after a client's last visit their treatment notes are kept (0: for
// good), apart from the health answers' months. A period that reaches
// notes that exist now is asked about first, as for health answers.
func (h *Handler) saveNotesRetention(c echo.Context) error {
	d := privacyData{NotesKeep: formValue(c, "notes_keep_years"), Errors: map[string]string{}}
	years, err := strconv.Atoi(d.NotesKeep)
	if err != nil || years < 0 || years > db.MaxNotesKeepYears {
		d.Errors["notes_keep_years"] = "Please enter a number of years from 1 to " + strconv.Itoa(db.MaxNotesKeepYears) + ", or 0 to keep treatment notes."
		return h.renderPrivacy(c, http.StatusUnprocessableEntity, d)
	}
	ctx := c.Request().Context()
	if c.FormValue("confirm") != "yes" {
		n, err := db.CountNotesPast(ctx, h.db, years, h.now())
		if err != nil {
			return err
		}
		if n > 0 {
			d.NotesToErase = n
			return h.renderPrivacy(c, http.StatusOK, d)
		}
	}
	err = h.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.SaveNotesKeepYears(ctx, tx, years); err != nil {
			return err
		}
		return h.jobs.ApplyRetention(ctx, tx)
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/privacy?notes=saved")
}
