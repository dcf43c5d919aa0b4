package handlers

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	Days             []diaryListDay
	Booked           int
	Grid             diaryGrid // the week (or the day) as a grid
	// On a phone the week page shows one day (Focus) as a grid, with the
	// days before and after it, and the week as a list.
	Focus                diaryGrid
	FocusDate, FocusName string
	FocusPrev, FocusNext string
}

// diaryListDay is a day of the diary as a list: its appointments, the
// times held now, and time off.
type diaryListDay struct {
	diaryDay
	Items  []diaryItem // the day's time off, holds and appointments, by start
	Detail bool        // the day view: phone numbers and addresses
}

// diaryItem is one line of a day's list: one of the three.
type diaryItem struct {
	Start   time.Time
	Off     *dayOff
	Hold    *db.Booking
	Booking *db.Booking
}

// listItems is a day's time off, holds and appointments in time order.
func listItems(day diaryDay, holds []db.Booking) []diaryItem {
	var items []diaryItem
	for i := range day.Off {
		items = append(items, diaryItem{Start: day.Off[i].StartsAt, Off: &day.Off[i]})
	}
	for i := range holds {
		if holds[i].StartsAt.In(views.London).Format(time.DateOnly) == day.Date {
			items = append(items, diaryItem{Start: holds[i].StartsAt, Hold: &holds[i]})
		}
	}
	for i := range day.Bookings {
		items = append(items, diaryItem{Start: day.Bookings[i].StartsAt, Booking: &day.Bookings[i]})
	}
	slices.SortStableFunc(items, func(a, b diaryItem) int { return a.Start.Compare(b.Start) })
	return items
}

// showDiary is GET /admin/diary: a week of appointments as a grid, with the
// times held now and time off, cancelled appointments listed (struck
// through) but their time free, Monday first. Without ?week= or ?day= it
// opens on the week of openingDay. With ?day=YYYY-MM-DD one day, with what
// she needs on the way (phone numbers, the address of a mobile visit).
func (h *Handler) showDiary(c echo.Context) error {
	ctx := c.Request().Context()
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	focus := time.Time{}
	from, days := time.Time{}, 7
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
	if from.IsZero() {
		if focus, err = h.openingDay(c); err != nil {
			return err
		}
		from = mondayOf(focus)
	} else if today := startOfDay(h.now()); days == 7 && !today.Before(from) && today.Before(from.AddDate(0, 0, 7)) {
		focus = today
	} else {
		focus = from
	}
	to := from.AddDate(0, 0, days)
	bs, err := db.DiaryAll(ctx, h.db, from, to)
	if err != nil {
		return err
	}
	holds, err := db.DiaryHolds(ctx, h.db, from, to, h.now())
	if err != nil {
		return err
	}
	off, err := db.ListTimeOff(ctx, h.db, from, to)
	if err != nil {
		return err
	}
	d := diaryData{
		Day: days == 1, Week: from.Format(time.DateOnly), Prev: from.AddDate(0, 0, -days).Format(time.DateOnly),
		Next:  from.AddDate(0, 0, days).Format(time.DateOnly),
		Title: from.Format("2 January") + " – " + from.AddDate(0, 0, 6).Format("2 January 2006"),
	}
	var dates []time.Time
	for i := range days {
		dates = append(dates, from.AddDate(0, 0, i))
	}
	d.Grid = buildGrid(dates, bs, holds, off, r, h.now())
	plain := groupByDay(bs, from, h.now(), days)
	timeOffByDay(plain, off)
	for _, day := range plain {
		d.Days = append(d.Days, diaryListDay{diaryDay: day, Items: listItems(day, holds), Detail: days == 1})
	}
	if d.Day {
		d.Title = from.Format("Monday 2 January 2006")
	} else {
		d.Focus = buildGrid([]time.Time{focus}, bs, holds, off, r, h.now())
		d.FocusDate, d.FocusName = focus.Format(time.DateOnly), focus.Format("Monday 2 January")
		d.FocusPrev, d.FocusNext = focus.AddDate(0, 0, -1).Format(time.DateOnly), focus.AddDate(0, 0, 1).Format(time.DateOnly)
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

// openingDay is the day the diary opens on: today while it has something
// left (it is before the end of today's working hours, or of an
// appointment today), otherwise the next working day — a day with hours
// at either place not wholly taken by time off — within two weeks, or
// tomorrow if there is none. So on Sunday evening, or a Saturday she does
// not work, it opens on Monday's week.
func (h *Handler) openingDay(c echo.Context) (time.Time, error) {
	ctx := c.Request().Context()
	now, today := h.now(), startOfDay(h.now())
	r, err := h.bookingRules(ctx)
	if err != nil {
		return today, err
	}
	bs, err := db.Diary(ctx, h.db, today, today.AddDate(0, 0, 1))
	if err != nil {
		return today, err
	}
	off, err := db.ListTimeOff(ctx, h.db, today, today.AddDate(0, 0, 15))
	if err != nil {
		return today, err
	}
	return openingDay(now, r, bs, off), nil
}

// openingDay decides openingDay from today's appointments and the time off
// of the next two weeks.
func openingDay(now time.Time, r bookingRules, today []db.Booking, off []db.TimeOff) time.Time {
	day := startOfDay(now)
	for _, b := range today {
		if b.EndsAt.After(now) {
			return day
		}
	}
	for _, wh := range r.Hours {
		if wh.Weekday == day.Weekday() && hoursAt(day, int(wh.To)).After(now) && !allOff(hoursAt(day, int(wh.From)), hoursAt(day, int(wh.To)), off) {
			return day
		}
	}
	for i := 1; i <= 14; i++ {
		next := day.AddDate(0, 0, i)
		for _, wh := range r.Hours {
			if wh.Weekday == next.Weekday() && !allOff(hoursAt(next, int(wh.From)), hoursAt(next, int(wh.To)), off) {
				return next
			}
		}
	}
	return day.AddDate(0, 0, 1)
}

// hoursAt is minute of day (a London midnight) as an instant.
func hoursAt(day time.Time, minute int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), minute/60, minute%60, 0, 0, views.London)
}

// allOff reports whether one time off covers [from, to).
func allOff(from, to time.Time, off []db.TimeOff) bool {
	for _, t := range off {
		if !t.StartsAt.After(from) && !t.EndsAt.Before(to) {
			return true
		}
	}
	return false
}

// timeOffByDay puts each time off under the days it falls on (Date is a
// London date), for the dashboard's Today and the diary's list.
func timeOffByDay(days []diaryDay, off []db.TimeOff) {
	for i := range days {
		d := &days[i]
		start, err := time.ParseInLocation(time.DateOnly, d.Date, views.London)
		if err != nil {
			continue
		}
		end := start.AddDate(0, 0, 1)
		for _, t := range off {
			if t.StartsAt.Before(end) && t.EndsAt.After(start) {
				d.Off = append(d.Off, dayOff{TimeOff: t, When: offWhen(t, start, end)})
			}
		}
	}
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

// dayTimeOff puts the time off of days (in order, one after another) under
// each: the dashboard shows today's afternoon off as well as its bookings.
func (h *Handler) dayTimeOff(ctx context.Context, days []diaryDay) error {
	if len(days) == 0 {
		return nil
	}
	first, err := time.ParseInLocation(time.DateOnly, days[0].Date, views.London)
	if err != nil {
		return err
	}
	off, err := db.ListTimeOff(ctx, h.db, first, first.AddDate(0, 0, len(days)))
	if err != nil {
		return err
	}
	timeOffByDay(days, off)
	return nil
}

// dayOff is time off as one day has it.
type dayOff struct {
	db.TimeOff
	When string // "all day", "14:00–17:00", "from 14:00", "until 12:00"
}

// offWhen says which part of the day [start, end) time off t takes.
func offWhen(t db.TimeOff, start, end time.Time) string {
	from, until := !t.StartsAt.After(start), !t.EndsAt.Before(end)
	switch {
	case from && until:
		return "all day"
	case from:
		return "until " + hhmm(t.EndsAt)
	case until:
		return "from " + hhmm(t.StartsAt)
	}
	return hhmm(t.StartsAt) + "–" + hhmm(t.EndsAt)
}
