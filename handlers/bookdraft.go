package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// What a client typed into the details form, kept in their session when
// they go back to change the time, service or place ("Change", a submit
// button of the form), so that it is there again on the next details form,
// also without JavaScript. It is dropped once booked, and not used after
// draftLife (a shared computer: the next person should not see it).

const (
	draftKey  = "booking_draft"
	draftLife = time.Hour
)

type bookingDraft struct {
	Name, Email, Phone, Address, Postcode, Notes string
	Health                                       map[string][2]string // key: answer, details
	HealthNone, ConsentPolicy, ConsentHealth     bool
	At                                           time.Time // when it was kept
}

// changeChoice is POST /book with change=1: keep what was typed, then the
// picker on the day of the chosen time.
func (h *Handler) changeChoice(c echo.Context, f bookingForm) error {
	d := bookingDraft{Name: f.Name, Email: f.Email, Phone: f.Phone, Address: f.Address, Postcode: f.Postcode, Notes: f.Notes,
		Health: map[string][2]string{}, HealthNone: f.HealthNone, ConsentPolicy: f.ConsentPolicy, ConsentHealth: f.ConsentHealth, At: h.now()}
	for _, a := range f.Health {
		d.Health[a.Key] = [2]string{a.Answer, a.Details}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	h.sessions.Put(c.Request().Context(), draftKey, string(b))
	svc, _ := strconv.ParseInt(c.FormValue("service"), 10, 64)
	place := db.PlaceStudio
	if c.FormValue("location") == db.PlaceMobile {
		place = db.PlaceMobile
	}
	start, _ := time.Parse(time.RFC3339, c.FormValue("start"))
	return c.Redirect(http.StatusSeeOther, changeURL(svc, place, start, f.Postcode, f.Again))
}

// restoreDraft puts what was kept into the fields still empty.
func (h *Handler) restoreDraft(c echo.Context, f *bookingForm) {
	var d bookingDraft
	if json.Unmarshal([]byte(h.sessions.GetString(c.Request().Context(), draftKey)), &d) != nil || h.now().Sub(d.At) > draftLife {
		return
	}
	for _, p := range []struct {
		to   *string
		from string
	}{
		{&f.Name, d.Name}, {&f.Email, d.Email}, {&f.Phone, d.Phone}, {&f.Address, d.Address}, {&f.Postcode, d.Postcode}, {&f.Notes, d.Notes},
	} {
		if *p.to == "" {
			*p.to = p.from
		}
	}
	for i := range f.Health {
		if a, ok := d.Health[f.Health[i].Key]; ok && f.Health[i].Answer == "" {
			f.Health[i].Answer, f.Health[i].Details = a[0], a[1]
		}
	}
	f.HealthNone = f.HealthNone || d.HealthNone
	f.ConsentPolicy = f.ConsentPolicy || d.ConsentPolicy
	f.ConsentHealth = f.ConsentHealth || d.ConsentHealth
}
