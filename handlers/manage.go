package handlers

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/ical"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// manageData is a client's own booking page.
type manageData struct {
	Token     string
	Booking   db.Booking
	When      string // "Thursday 26 November 2026, 09:00 to 10:00"
	PlaceText string
	Upcoming  bool
	CanCancel bool   // before the cut-off of the policy it was booked under
	CanMove   bool   // before the cut-off, or after it when the policy allows moving late
	Cutoff    string // "Wednesday 25 November 2026, 09:00"
	Notice    string
	CSRF      string
	Picker    *pickerData // free times to move to
}

// findBooking loads the booking of the :token in the address. Anything
// else is the site's 404: a wrong token says nothing about others.
func (h *Handler) findBooking(c echo.Context) (db.Booking, string, error) {
	token := c.Param("token")
	if len(token) < 20 || len(token) > 64 {
		return db.Booking{}, "", echo.ErrNotFound
	}
	b, err := db.BookingByToken(c.Request().Context(), h.db, tokenHash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return b, "", echo.ErrNotFound
	}
	return b, token, err
}

func (h *Handler) manageFor(c echo.Context, b db.Booking, token string) manageData {
	d := manageData{Token: token, Booking: b, PlaceText: "At the studio"}
	start, end := b.StartsAt.In(views.London), b.EndsAt.In(views.London)
	d.When = start.Format(dateTimeFmt) + " to " + end.Format("15:04")
	if b.Place == db.PlaceMobile {
		d.PlaceText = "Mobile visit to " + b.Address + ", " + b.Postcode
	}
	now := h.now()
	d.Cutoff = booking.Cutoff(b).In(views.London).Format(dateTimeFmt)
	d.Upcoming, d.CanCancel, d.CanMove = booking.Upcoming(b, now), booking.CanCancel(b, now), booking.CanMove(b, now)
	d.CSRF, _ = c.Get(csrfKey).(string)
	return d
}

// showBooking is GET /bookings/:token: the client's booking.
func (h *Handler) showBooking(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	return h.renderManage(c, http.StatusOK, h.manageFor(c, b, token))
}

func (h *Handler) renderManage(c echo.Context, status int, d manageData) error {
	p, err := h.page(c, "Your booking", "", d)
	if err != nil {
		return err
	}
	p.NoIndex = true
	p.Canonical = ""
	hd := c.Response().Header()
	hd.Set("Referrer-Policy", "no-referrer") // the token is in the address
	p.NoStore = true                         // a client's name and address: not on a shared computer's disk
	return h.render(c, status, "booking", "", p)
}

// cancelBooking is POST /bookings/:token/cancel, until the cut-off.
func (h *Handler) cancelBooking(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	if b.Status == db.BookingCancelled { // a second click: it is done
		return c.Redirect(http.StatusSeeOther, bookingsPath+token)
	}
	d := h.manageFor(c, b, token)
	if !d.CanCancel {
		d.Notice = "This booking can no longer be cancelled online. " + b.PolicyText
		return h.renderManage(c, http.StatusConflict, d)
	}
	// The cancellation and its e-mail are one transaction.
	if err := h.desk.CancelByClient(c.Request().Context(), b.ID, ""); err != nil && !errors.Is(err, booking.ErrNotConfirmed) {
		return err // ErrNotConfirmed: cancelled already (a second click)
	}
	return c.Redirect(http.StatusSeeOther, bookingsPath+token)
}

// showMove is GET /bookings/:token/move: free times for the same service
// and place.
func (h *Handler) showMove(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	d := h.manageFor(c, b, token)
	if !d.CanMove {
		return c.Redirect(http.StatusSeeOther, bookingsPath+token)
	}
	if err := h.movePicker(c, &d, ""); err != nil {
		return err
	}
	return h.renderManage(c, http.StatusOK, d)
}

func (h *Handler) movePicker(c echo.Context, d *manageData, message string) error {
	q := c.Request().URL.Query()
	q.Set("service", fmt.Sprint(d.Booking.ServiceID))
	q.Set("location", d.Booking.Place)
	if q.Get("week") == "" {
		q.Set("week", d.Booking.StartsAt.In(views.London).Format(time.DateOnly)) // open on the booking's week
	}
	c.Request().URL.RawQuery = q.Encode()
	b := d.Booking
	svc := db.Service{ID: b.ServiceID, Name: b.ServiceName, DurationMin: b.DurationMin, PricePence: b.PricePence,
		AtStudio: b.Place == db.PlaceStudio, Mobile: b.Place == db.PlaceMobile, Active: true}
	p, err := h.pickerExcept(c, message, &db.Span{From: b.BlockedFrom, To: b.BlockedTo}, &svc)
	if err != nil {
		return err
	}
	// The booking's own time is not "taken" for itself, but it is not a move.
	own := d.Booking.StartsAt.UTC().Format(time.RFC3339)
	for i := range p.Days {
		slots := p.Days[i].Slots[:0]
		for _, s := range p.Days[i].Slots {
			if s.Value != own {
				slots = append(slots, s)
			}
		}
		p.Days[i].Slots = slots
	}
	p.CSRF = d.CSRF
	d.Picker = &p
	return nil
}

// moveBooking is POST /bookings/:token/move: one transaction, so the client
// has either the new time or the old one, never both or neither.
func (h *Handler) moveBooking(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	start, perr := time.Parse(time.RFC3339, c.FormValue("start"))
	if perr == nil && start.Equal(b.StartsAt) && b.Status == db.BookingConfirmed {
		// Already at that time: the same move sent twice (a double click),
		// whose first sending moved it. Its page says where it is now.
		return c.Redirect(http.StatusSeeOther, bookingsPath+token)
	}
	d := h.manageFor(c, b, token)
	if !d.CanMove {
		d.Notice = "This booking can no longer be moved online. " + b.PolicyText
		return h.renderManage(c, http.StatusConflict, d)
	}
	ctx := c.Request().Context()
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	svc := db.Service{ID: b.ServiceID, DurationMin: b.DurationMin}
	ok := false
	if perr == nil && booking.Bookable(start, h.now(), r) { // nothing outside notice and horizon reaches the database
		week := mondayOf(start)
		// The booking's own blocked time does not stand in its way.
		req, err := h.slotRequest(ctx, r, svc, b.Place, week, week.AddDate(0, 0, 7), nil, h.now(),
			&db.Span{From: b.BlockedFrom, To: b.BlockedTo})
		if err != nil {
			return err
		}
		ok = schedule.Fits(req, start)
	}
	if !ok {
		if err := h.movePicker(c, &d, "That time is not free. Please choose another."); err != nil {
			return err
		}
		return h.renderManage(c, http.StatusConflict, d)
	}
	// The move and its e-mail are one transaction.
	switch err := h.desk.Move(ctx, b, start, r, h.manageURL(token)); {
	case errors.Is(err, booking.ErrNotMoved), errors.Is(err, booking.ErrNotConfirmed):
		// The same move sent twice: the first moved it and told everyone;
		// or the booking was cancelled meanwhile. The page says which.
	case errors.Is(err, booking.ErrTaken):
		if err := h.movePicker(c, &d, "Someone else has just taken that time; your booking is unchanged. Please choose another."); err != nil {
			return err
		}
		return h.renderManage(c, http.StatusConflict, d)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, bookingsPath+token)
}

// bookingCalendar is the booking as an iCalendar file for the client's
// calendar: the same generator (package ical) as the invitations by mail,
// with the same UID, so a moved booking replaces itself.
func (h *Handler) bookingCalendar(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	biz, err := h.business(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="booking.ics"`)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	out := ical.Calendar("-//"+biz.Name+"//Bookings//EN", ical.Publish, h.calendarEvent(b, biz, token))
	return c.Blob(http.StatusOK, ical.ContentType(ical.Publish), out)
}

// calendarEvent is a booking as the client's calendar event, exactly as
// the e-mailed invitations carry it.
func (h *Handler) calendarEvent(b db.Booking, biz db.Business, token string) ical.Event {
	return emails.ClientEvent(h.practice(biz), b, h.manageURL(token))
}

// practice is what e-mails and calendar files say about the practice.
func (h *Handler) practice(biz db.Business) emails.Practice {
	return emails.PracticeFor(biz, h.cfg.BaseURL)
}
