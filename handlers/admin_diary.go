package handlers

import (
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/money"
	"dynamicmotion/views"
)

type diaryData struct {
	Day              bool   // one day (?day=), with each client's phone and address
	Week, Prev, Next string // Mondays (or days), 2006-01-02
	Title            string // "23 – 29 November 2026", or "Monday 23 November 2026"
	Days             []diaryDay
	Booked           int
}

// showDiary is GET /admin/diary?week=YYYY-MM-DD: a week of appointments,
// cancelled ones included (struck through), Monday first; or with
// ?day=YYYY-MM-DD one day, with what she needs on the way (phone numbers,
// the address of a mobile visit).
func (h *Handler) showDiary(c echo.Context) error {
	from, days := mondayOf(h.now()), 7
	for _, name := range []string{"week", "day"} {
		v := c.QueryParam(name)
		if v == "" {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, v, views.London)
		if err != nil || d.Year() < 2000 || d.Year() > 2999 {
			return echo.NewHTTPError(http.StatusBadRequest, "That is not a date. Use the diary's own links to move between days and weeks.")
		}
		if from, days = mondayOf(d), 7; name == "day" {
			from, days = d, 1
		}
	}
	bs, err := db.DiaryAll(c.Request().Context(), h.db, from, from.AddDate(0, 0, days))
	if err != nil {
		return err
	}
	d := diaryData{
		Day: days == 1, Week: from.Format(time.DateOnly), Prev: from.AddDate(0, 0, -days).Format(time.DateOnly),
		Next: from.AddDate(0, 0, days).Format(time.DateOnly), Days: groupByDay(bs, from, h.now(), days),
		Title: from.Format("2 January") + " – " + from.AddDate(0, 0, 6).Format("2 January 2006"),
	}
	if d.Day {
		d.Title = from.Format("Monday 2 January 2006")
	}
	for _, b := range bs {
		if b.Status != db.BookingCancelled {
			d.Booked++
		}
	}
	p, err := h.adminPage(c, "Diary", d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-diary", "", p)
}

// exportDiary is GET /admin/diary.csv?from=&to=: the appointments between
// two dates (by default the last three months and the next two) for a
// spreadsheet or an accountant. No health answers or notes.
func (h *Handler) exportDiary(c echo.Context) error {
	today := startOfDay(h.now())
	from, to := today.AddDate(0, -3, 0), today.AddDate(0, 2, 0)
	for name, t := range map[string]*time.Time{"from": &from, "to": &to} {
		if v := c.QueryParam(name); v != "" {
			d, err := time.ParseInLocation(time.DateOnly, v, views.London)
			if err != nil || d.Year() < 2000 || d.Year() > 2999 {
				return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%q is not a date such as 2026-11-30.", v))
			}
			*t = d
		}
	}
	bs, err := db.DiaryAll(c.Request().Context(), h.db, from, to.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="diary-%s-to-%s.csv"`, from.Format(time.DateOnly), to.Format(time.DateOnly)))
	c.Response().WriteHeader(http.StatusOK)
	// A byte order mark first: without it Excel reads the file as Windows
	// text and shows "£" and "—" as "Â£" and "â€”".
	c.Response().Write([]byte("\uFEFF")) //nolint:errcheck // a failed write fails the Flush below too
	w := csv.NewWriter(c.Response())
	// The price is a plain number of pounds, so that a spreadsheet can add
	// up the takings.
	w.Write([]string{"date", "start", "end", "service", "place", "client", "email", "phone", "postcode", "status", "price (£)"}) //nolint:errcheck // checked by Flush
	for _, b := range bs {
		place := "studio"
		if b.Place == db.PlaceMobile {
			place = "mobile"
		}
		row := []string{
			b.StartsAt.In(views.London).Format(time.DateOnly), b.StartsAt.In(views.London).Format("15:04"),
			b.EndsAt.In(views.London).Format("15:04"), b.ServiceName, place, b.ClientName, b.ClientEmail,
			b.ClientPhone, b.Postcode, b.Status, money.Decimal(b.PricePence),
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		w.Write(row) //nolint:errcheck // checked by Flush
	}
	w.Flush()
	return w.Error()
}

// csvSafe stops a spreadsheet from running a cell a client typed as a
// formula (CSV injection): such a cell starts with an apostrophe.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type adminBookingData struct {
	Booking   db.Booking
	When      string
	Health    []healthAnswer
	Mail      []db.OutboxMessage
	CanMark   bool // its time has come: completed or no-show
	CanCancel bool
	Notice    string
	Errors    map[string]string
	Reason    string
	Note      *db.Note // the treatment note (admin_notes.go), nil until written
}

// adminBooking reads booking :id, or the site's 404.
func (h *Handler) adminBooking(c echo.Context) (db.Booking, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.Booking{}, echo.ErrNotFound
	}
	b, err := db.BookingByID(c.Request().Context(), h.db, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && b.Status == db.BookingHeld) {
		return b, echo.ErrNotFound
	}
	return b, err
}

// showAdminBooking is GET /admin/bookings/:id: everything about one
// booking, the health answers included (only here), and what the client
// was sent.
func (h *Handler) showAdminBooking(c echo.Context) error {
	b, err := h.adminBooking(c)
	if err != nil {
		return err
	}
	return h.renderAdminBooking(c, http.StatusOK, adminBookingData{Booking: b})
}

func (h *Handler) renderAdminBooking(c echo.Context, status int, d adminBookingData) error {
	b := d.Booking
	d.When = b.StartsAt.In(views.London).Format("Monday 2 January 2006, 15:04") + " to " + b.EndsAt.In(views.London).Format("15:04")
	d.Health = healthAnswers(b.Health)
	d.CanMark = b.Status != db.BookingCancelled && !b.StartsAt.After(h.now())
	d.CanCancel = b.Status == db.BookingConfirmed && b.EndsAt.After(h.now())
	var err error
	if d.Mail, err = db.OutboxForBooking(c.Request().Context(), h.db, b.ID); err != nil {
		return err
	}
	if d.Note, err = h.bookingNote(c, b.ID); err != nil {
		return err
	}
	p, err := h.adminPage(c, b.ClientName+", "+b.StartsAt.In(views.London).Format("2 January"), d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-booking", "", p)
}

// healthAnswers turns the stored answers back into questions and answers,
// in a stable order.
func healthAnswers(stored map[string]any) []healthAnswer {
	var out []healthAnswer
	for key, v := range stored {
		m, _ := v.(map[string]any)
		str := func(k string) string { s, _ := m[k].(string); return s }
		out = append(out, healthAnswer{Key: key, Question: str("question"), Answer: str("answer"), Details: str("details")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// showCancelAdminBooking is GET /admin/bookings/:id/cancel: who and when
// would be cancelled, that the client is e-mailed (or must be phoned), the
// reason to tell them, and "Keep booking" as the first choice. A booking
// that cannot be cancelled goes back to its page.
func (h *Handler) showCancelAdminBooking(c echo.Context) error {
	b, err := h.adminBooking(c)
	if err != nil {
		return err
	}
	if b.Status != db.BookingConfirmed || !b.EndsAt.After(h.now()) {
		return c.Redirect(http.StatusSeeOther, adminPath+"/bookings/"+strconv.FormatInt(b.ID, 10))
	}
	return h.renderAdminCancel(c, http.StatusOK, adminBookingData{Booking: b})
}

func (h *Handler) renderAdminCancel(c echo.Context, status int, d adminBookingData) error {
	b := d.Booking
	d.When = b.StartsAt.In(views.London).Format("Monday 2 January 2006, 15:04") + " to " + b.EndsAt.In(views.London).Format("15:04")
	p, err := h.adminPage(c, "Cancel "+b.ClientName+"’s booking?", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-booking-cancel", "", p)
}

// cancelAdminBooking is POST /admin/bookings/:id/cancel, from the page
// that asked first: the therapist cancels, with a reason the client is
// told in the cancellation e-mail. A missing or long reason comes back on
// that page, kept.
func (h *Handler) cancelAdminBooking(c echo.Context) error {
	b, err := h.adminBooking(c)
	if err != nil {
		return err
	}
	reason := formValue(c, "reason")
	d := adminBookingData{Booking: b, Reason: reason, Errors: map[string]string{}}
	switch {
	case b.Status != db.BookingConfirmed:
		d.Notice = "This booking is " + b.Status + ", so it cannot be cancelled."
		return h.renderAdminBooking(c, http.StatusConflict, d)
	case !b.EndsAt.After(h.now()):
		d.Notice = "This appointment is over: mark it completed or not attended instead."
		return h.renderAdminBooking(c, http.StatusConflict, d)
	case reason == "":
		d.Errors["reason"] = "Please give a reason: the client is told it."
	case len([]rune(reason)) > 500:
		d.Errors["reason"] = "Please keep the reason to 500 characters."
	}
	if len(d.Errors) > 0 {
		return h.renderAdminCancel(c, http.StatusUnprocessableEntity, d)
	}
	if err := h.desk.CancelByPractice(c.Request().Context(), b.ID, reason); err != nil && !errors.Is(err, booking.ErrNotConfirmed) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/bookings/"+strconv.FormatInt(b.ID, 10))
}

// markAttendance is POST /admin/bookings/:id/attendance: completed or
// no-show, once the appointment's time has come.
func (h *Handler) markAttendance(c echo.Context) error {
	b, err := h.adminBooking(c)
	if err != nil {
		return err
	}
	switch err := h.desk.MarkAttendance(c.Request().Context(), b.ID, c.FormValue("status")); {
	case errors.Is(err, booking.ErrTaken):
		return h.renderAdminBooking(c, http.StatusConflict, adminBookingData{Booking: b,
			Notice: "That time has been booked again since, so this booking cannot be put back."})
	case errors.Is(err, booking.ErrWrongStatus):
		return h.renderAdminBooking(c, http.StatusConflict, adminBookingData{Booking: b,
			Notice: "That cannot be recorded for this booking (its time has not come, or it was cancelled)."})
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/bookings/"+strconv.FormatInt(b.ID, 10))
}
