package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The privacy page (/admin/privacy): the therapist, as data controller,
// finds what the site holds about a client by e-mail address, hands it
// over as a JSON file, erases it, and sets how long health answers are
// kept. The address travels in POSTed forms only, never in a URL, so that
// it stays out of browser history and access logs.

// privacyData is the privacy page.
type privacyData struct {
	Email    string // the address looked up, as typed
	Searched bool
	Client   db.ClientData
	Upcoming []db.Booking // appointments still to come: erasure waits for them
	Erased   *db.Erasure  // set after an erasure
	Confirm  string       // the address typed again, kept on a mistake
	Keep     string       // the retention setting in months, as typed
	Saved    bool         // the retention setting was just saved
	Kept     bool         // ... and it keeps health answers (0)
	// ToErase is how many bookings' health answers the retention typed
	// would erase at once: asked about before it is saved.
	ToErase int
	Errors  map[string]string
	Notice  string
	// The treatment notes' retention (admin_notes.go): years after the
	// last visit, as typed; how many notes it would delete at once.
	NotesKeep    string
	NotesToErase int
	NotesSaved   bool
}

// showPrivacyTools is GET /admin/privacy: the search form and the
// retention setting; with ?erased=1 (where an erasure leads) what the
// last erasure removed and kept, from her session (counts only).
func (h *Handler) showPrivacyTools(c echo.Context) error {
	d := privacyData{Saved: c.QueryParam("saved") != "", Kept: c.QueryParam("saved") == "keep", NotesSaved: c.QueryParam("notes") != ""}
	if c.QueryParam("erased") != "" {
		d.Erased = h.lastErasure(c, 0)
	}
	return h.renderPrivacy(c, http.StatusOK, d)
}

func (h *Handler) renderPrivacy(c echo.Context, status int, d privacyData) error {
	if d.Keep == "" && d.Errors["keep_months"] == "" { // the saved setting, unless she is correcting it
		p, err := db.GetPrivacy(c.Request().Context(), h.db)
		if err != nil {
			return err
		}
		d.Keep = strconv.Itoa(p.HealthKeepMonths)
	}
	if d.NotesKeep == "" && d.Errors["notes_keep_years"] == "" {
		years, err := db.NotesKeepYears(c.Request().Context(), h.db)
		if err != nil {
			return err
		}
		d.NotesKeep = strconv.Itoa(years)
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	p, err := h.adminPage(c, "Privacy", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-privacy", "", p)
}

// lookUpClient reads the form's address and what is held about it; a
// mistake in the address is answered with the form (422), and answered is
// true.
func (h *Handler) lookUpClient(c echo.Context) (d privacyData, answered bool, err error) {
	d = privacyData{Email: formValue(c, "email"), Errors: map[string]string{}}
	switch {
	case d.Email == "":
		d.Errors["email"] = "Please enter the client's email address."
	case utf8.RuneCountInString(d.Email) > 254 || !strings.Contains(d.Email, "@"):
		d.Errors["email"] = "This does not look like an email address, such as name@example.com."
	}
	if len(d.Errors) > 0 {
		return d, true, h.renderPrivacy(c, http.StatusUnprocessableEntity, d)
	}
	d.Searched = true
	d.Client, err = db.FindClient(c.Request().Context(), h.db, d.Email)
	d.Upcoming = d.Client.Upcoming(h.now())
	return d, false, err
}

// findClient is POST /admin/privacy: what is held about an address.
func (h *Handler) findClient(c echo.Context) error {
	d, answered, err := h.lookUpClient(c)
	if answered || err != nil {
		return err
	}
	return h.renderPrivacy(c, http.StatusOK, d)
}

// exportClient is POST /admin/privacy/export: everything held about an
// address as a JSON file, for a subject access request.
func (h *Handler) exportClient(c echo.Context) error {
	d, answered, err := h.lookUpClient(c)
	if answered || err != nil {
		return err
	}
	b, err := h.business(c)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(newClientExport(d.Client, b.Name, h.now()), "", "  ")
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="personal-data-%s.json"`, h.now().In(views.London).Format(time.DateOnly)))
	hd.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// eraseClient is POST /admin/privacy/erase: erases what is held about an
// address once it is typed a second time (confirm), unless an appointment
// is still to come; then leads (303) to the page saying what was erased.
func (h *Handler) eraseClient(c echo.Context) error {
	d, answered, err := h.lookUpClient(c)
	if answered || err != nil {
		return err
	}
	d.Confirm = formValue(c, "confirm")
	switch {
	case !d.Client.Found():
		d.Notice = "Nothing is held about this address, so there is nothing to erase."
		return h.renderPrivacy(c, http.StatusOK, d)
	case db.NormalEmail(d.Confirm) != db.NormalEmail(d.Email):
		d.Errors["confirm"] = "Type the same email address again to confirm the erasure."
		return h.renderPrivacy(c, http.StatusUnprocessableEntity, d)
	}
	e, err := db.EraseClient(c.Request().Context(), h.db, d.Email, h.now())
	if errors.Is(err, db.ErrUpcomingBooking) {
		d.Notice = "Nothing was erased: this client has an appointment still to come. Cancel it first (the client is told), then erase."
		return h.renderPrivacy(c, http.StatusConflict, d)
	}
	if err != nil {
		return err
	}
	h.log.Info("client data erased", slog.Int64("rows", e.Total())) // counts only: no address in the log
	// Post/Redirect/Get: the page it leads to (and a reload of it) says
	// what was erased; a reload erases nothing again.
	if err := h.keepErasure(c, 0, e); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/privacy?erased=1")
}

// saveRetention is POST /admin/privacy/retention: how many months after an
// appointment its health answers are erased (0: kept). A shorter period
// applies at once.
func (h *Handler) saveRetention(c echo.Context) error {
	d := privacyData{Keep: formValue(c, "keep_months"), Errors: map[string]string{}}
	months, err := strconv.Atoi(d.Keep)
	if err != nil || months < 0 || months > db.MaxHealthKeepMonths || (months > 0 && months < db.MinHealthKeepMonths) {
		d.Errors["keep_months"] = fmt.Sprintf("Please enter a number of months from %d to %d, or 0 to keep health answers.",
			db.MinHealthKeepMonths, db.MaxHealthKeepMonths)
		return h.renderPrivacy(c, http.StatusUnprocessableEntity, d)
	}
	// Erasing is for good: when the new period reaches records that exist
	// now, she is told how many and asked first.
	if c.FormValue("confirm") != "yes" {
		n, err := db.CountHealthOlderThan(c.Request().Context(), h.db, months, h.now())
		if err != nil {
			return err
		}
		if n > 0 {
			d.ToErase = n
			return h.renderPrivacy(c, http.StatusOK, d)
		}
	}
	err = h.db.RunInTx(c.Request().Context(), nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.SavePrivacy(ctx, tx, db.Privacy{HealthKeepMonths: months}); err != nil {
			return err
		}
		return h.jobs.ApplyRetention(ctx, tx)
	})
	if err != nil {
		return err
	}
	if months == 0 {
		return c.Redirect(http.StatusSeeOther, adminPath+"/privacy?saved=keep")
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/privacy?saved=1")
}
