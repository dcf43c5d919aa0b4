package handlers

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/ical"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// manageData is a client's own booking page, and the page asking before
// it is cancelled.
type manageData struct {
	Token     string
	Booking   db.Booking
	Heading   string // "You're booked", "Your booking" or "Your booking is cancelled"
	Booked    bool   // just booked (?booked=1): the confirmation is on its way
	MailHeld  bool   // just booked, and the confirmation waits for the practice (past the day's ceiling on new addresses)
	Cancelled bool
	When      string // "Thursday 26 November 2026, 09:00 to 10:00"
	PlaceText string
	Upcoming  bool
	CanCancel bool   // before the cut-off of the policy it was booked under
	CanMove   bool   // before the cut-off, or after it when the policy allows moving late
	Cutoff    string // "Wednesday 25 November 2026, 09:00"
	Moved     string // "Moved from Thursday 10 December, 14:00 to Wednesday 16 December, 13:00", after a move
	Notice    string
	Picker    *pickerData // free times to move to
	// Add to calendar, for an upcoming booking only ("" otherwise): the
	// web calendars' forms, filled in (the .ics download is beside them).
	GoogleURL, OutlookURL string
	BookAgain             string // /book with the same service and place, and again=<token>
	// The cancel page's form: the client's reason, kept when it comes back.
	Reason      string
	ReasonError string
}

// maxCancelReason is the most the client may write about why they cancel.
const maxCancelReason = 1000

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
	d := manageData{Token: token, Booking: b, PlaceText: "At the studio", Heading: "Your booking"}
	start, end := b.StartsAt.In(views.London), b.EndsAt.In(views.London)
	d.When = start.Format(dateTimeFmt) + " to " + end.Format("15:04")
	if b.Place == db.PlaceMobile {
		d.PlaceText = "Mobile visit to " + b.Address + ", " + b.Postcode
	}
	now := h.now()
	d.Cutoff = booking.Cutoff(b).In(views.London).Format(dateTimeFmt)
	d.Upcoming, d.CanCancel, d.CanMove = booking.Upcoming(b, now), booking.CanCancel(b, now), booking.CanMove(b, now)
	if d.Cancelled = b.Status == db.BookingCancelled; d.Cancelled {
		d.Heading = "Your booking is cancelled"
	}
	d.BookAgain = bookAgainURL(b, token)
	return d
}

// bookAgainURL is the booking page for the same service and place, with
// the manage token as again= (the booking side may offer what this
// booking's client typed last time).
func bookAgainURL(b db.Booking, token string) string {
	return "/book?service=" + strconv.FormatInt(b.ServiceID, 10) + "&location=" + url.QueryEscape(b.Place) +
		"&again=" + url.QueryEscape(token)
}

// movedText says what the last move changed ("Moved from Thursday 10
// December, 14:00 to Wednesday 16 December, 13:00", UK time; with the
// years when they differ), or "" when from is nil or the booking's time.
func movedText(prev *time.Time, to time.Time) string {
	if prev == nil || prev.Equal(to) {
		return ""
	}
	from := *prev
	from, to = from.In(views.London), to.In(views.London)
	layout := "Monday 2 January, 15:04"
	if from.Year() != to.Year() {
		layout = dateTimeFmt
	}
	return "Moved from " + from.Format(layout) + " to " + to.Format(layout)
}

// showBooking is GET /bookings/:token: the client's booking. Right after
// booking (?booked=1) it says so; after a move (?moved=1) it says what the
// last move changed (the database keeps the start before it).
func (h *Handler) showBooking(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	d := h.manageFor(c, b, token)
	if b.Status == db.BookingConfirmed {
		if c.QueryParam("booked") == "1" {
			d.Booked, d.Heading = true, "You’re booked"
			mail, err := db.NewAddressMail(c.Request().Context(), h.db, b.ID)
			if err != nil {
				return err
			}
			d.MailHeld = mail == db.NewAddressHeld
		}
		if c.QueryParam("moved") == "1" {
			d.Moved = movedText(b.PreviousStartsAt, b.StartsAt)
		}
	}
	if d.Upcoming {
		biz, err := h.business(c)
		if err != nil {
			return err
		}
		ev := h.calendarEvent(b, biz, token)
		d.GoogleURL, d.OutlookURL = ical.GoogleURL(ev), ical.OutlookURL(ev)
	}
	return h.renderManage(c, http.StatusOK, d)
}

func (h *Handler) renderManage(c echo.Context, status int, d manageData) error {
	return h.renderManagePage(c, status, "booking", d.Heading, d)
}

// renderManagePage renders one of the pages under a booking's secret
// address: never indexed, kept or passed on as a referrer.
func (h *Handler) renderManagePage(c echo.Context, status int, name, title string, d manageData) error {
	p, err := h.page(c, title, "", d)
	if err != nil {
		return err
	}
	p.NoIndex = true
	p.Canonical = ""
	hd := c.Response().Header()
	hd.Set("Referrer-Policy", "no-referrer") // the token is in the address
	p.NoStore = true                         // a client's name and address: not on a shared computer's disk
	return h.render(c, status, name, "", p)
}

// showCancel is GET /bookings/:token/cancel: what cancelling will cancel,
// with room for a reason and "Keep my booking" as the first choice. A
// booking that cannot be cancelled (any more) goes back to its page, which
// says why.
func (h *Handler) showCancel(c echo.Context) error {
	b, token, err := h.findBooking(c)
	if err != nil {
		return err
	}
	d := h.manageFor(c, b, token)
	if !d.CanCancel {
		return c.Redirect(http.StatusSeeOther, bookingsPath+token)
	}
	return h.renderCancel(c, http.StatusOK, d)
}

func (h *Handler) renderCancel(c echo.Context, status int, d manageData) error {
	return h.renderManagePage(c, status, "booking-cancel", "Cancel your booking?", d)
}

// cancelBooking is POST /bookings/:token/cancel, until the cut-off, with
// the client's optional reason for the therapist.
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
	d.Reason = formValue(c, "reason")
	if n := utf8.RuneCountInString(d.Reason); n > maxCancelReason {
		d.ReasonError = fmt.Sprintf("Please keep the reason to %d characters (it has %d), or leave it empty.", maxCancelReason, n)
		return h.renderCancel(c, http.StatusUnprocessableEntity, d)
	}
	// The cancellation and its e-mail are one transaction.
	if err := h.desk.CancelByClient(c.Request().Context(), b.ID, d.Reason); err != nil && !errors.Is(err, booking.ErrNotConfirmed) {
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
	if pickerPart(c) { // another day
		c.Response().Header().Set("Referrer-Policy", "no-referrer")
		return h.renderPicker(c, http.StatusOK, *d.Picker)
	}
	return h.renderManage(c, http.StatusOK, d)
}

func (h *Handler) movePicker(c echo.Context, d *manageData, message string) error {
	q := c.Request().URL.Query()
	q.Set("service", fmt.Sprint(d.Booking.ServiceID))
	q.Set("location", d.Booking.Place)
	if q.Get("date") == "" && q.Get("week") == "" && q.Get("start") == "" {
		q.Set("date", d.Booking.StartsAt.In(views.London).Format(time.DateOnly)) // open on the booking's day
	}
	c.Request().URL.RawQuery = q.Encode()
	b := d.Booking
	svc := db.Service{ID: b.ServiceID, Name: b.ServiceName, DurationMin: b.DurationMin, PricePence: b.PricePence,
		AtStudio: b.Place == db.PlaceStudio, Mobile: b.Place == db.PlaceMobile, Active: true}
	p, err := h.pickerExcept(c, message, &db.Span{From: b.BlockedFrom, To: b.BlockedTo}, &svc, b.StartsAt)
	if err != nil {
		return err
	}
	p.Base = bookingsPath + d.Token + "/move"
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
		// whose first sending moved it. Its page says what moved.
		return c.Redirect(http.StatusSeeOther, movedPath(token))
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
	if !ok && c.FormValue("start") == "" {
		// No time chosen: said beside the button, the day kept.
		if err := h.movePicker(c, &d, ""); err != nil {
			return err
		}
		d.Picker.SubmitMessage = "Please choose a time first."
		return h.renderManage(c, http.StatusUnprocessableEntity, d)
	}
	if !ok {
		if err := h.movePicker(c, &d, "That time is not free. Please choose another."); err != nil {
			return err
		}
		return h.renderManage(c, http.StatusConflict, d)
	}
	// The move and its e-mail are one transaction.
	switch err := h.desk.Move(ctx, b, start, r, h.manageURL(token)); {
	case errors.Is(err, booking.ErrNotMoved):
		// The same move sent twice: the first moved it and told everyone.
		return c.Redirect(http.StatusSeeOther, movedPath(token))
	case errors.Is(err, booking.ErrNotConfirmed):
		// The booking was cancelled meanwhile: the page says so.
	case errors.Is(err, booking.ErrTaken):
		if err := h.movePicker(c, &d, "Someone else has just taken that time; your booking is unchanged. Please choose another."); err != nil {
			return err
		}
		return h.renderManage(c, http.StatusConflict, d)
	case err != nil:
		return err
	default: // moved: its page says from when to when
		return c.Redirect(http.StatusSeeOther, movedPath(token))
	}
	return c.Redirect(http.StatusSeeOther, bookingsPath+token)
}

// movedPath is the booking's page saying what its last move changed.
func movedPath(token string) string { return bookingsPath + token + "?moved=1" }

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
