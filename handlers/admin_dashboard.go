package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/views"
)

// dashboardDays is how many days, today first, the dashboard lists.
const dashboardDays = 7

// diaryDay is one day of appointments.
type diaryDay struct {
	Label    string // "Today", "Tomorrow", "Friday 27 November"
	Date     string // 2026-11-27
	Bookings []db.Booking
	Off      []dayOff // time off that day (timeOffByDay)
}

type dashboardData struct {
	Days       []diaryDay
	Upcoming   []dashboardDay // Days with the times held now, for the list
	Booked     int
	HeldNow    int // times held now by clients mid-booking (or waitlist offers) in those days
	Held       int
	HeldShown  []db.HeldComment
	FailedMail []db.OutboxMessage
	// DelayedMail is mail still being tried after a failed attempt.
	DelayedMail []db.OutboxMessage
	Unread      int      // contact messages not yet read
	Needs       needsYou // the top of the page: what needs her (admin_area.go)

	// Client mail held past the day's ceiling on confirmations to new
	// addresses (booking.Desk.Book), for her to send or delete.
	HeldTodayN   int           // how many confirmations to new addresses were held today (and wait for her)
	HeldToday    string        // their addresses: "a@example.com, b@example.com and 3 more"
	HeldBookings []heldBooking // every booking with held mail, oldest first
	HeldUpto     int64         // the newest held message shown: what "send" and "delete" act on
	Ceiling      int           // confirmations to new addresses a day
	CeilingValue string        // the ceiling form's value, kept when refused
	CeilingError string
	Done         string // what her last action on held mail did
	CeilingSaved bool   // the ceiling was just saved
}

// dashboardDay is one day of the dashboard's seven: its time off, and its
// appointments and the times held now in time order (a hold drawn as the
// diary's list draws one).
type dashboardDay struct {
	diaryDay
	Items []diaryItem // holds and appointments, by start
}

// heldBooking is the held mail of one booking.
type heldBooking struct {
	ID         int64 // the booking; 0 for mail whose booking is gone
	ClientName string
	Recipient  string
	StartsAt   time.Time
	Cancelled  bool
	Day        string   // "today", or the day it was booked
	Subjects   []string // the messages held, oldest first
}

// heldMailShown is the most held messages the dashboard lists.
const heldMailShown = 200

// showDashboard is GET /admin: the week's appointments, comments waiting
// for her, mail that could not be sent, and mail held because too many
// bookings came from new addresses.
func (h *Handler) showDashboard(c echo.Context) error {
	d, err := h.dashboard(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.QueryParam("n"))
	d.Done, d.CeilingSaved = doneMessage(c.QueryParam("done"), n), c.QueryParam("done") == "ceiling"
	return h.renderDashboard(c, http.StatusOK, d)
}

// doneMessage says what an action on held mail did (the redirect after it
// carries done= and n=).
func doneMessage(done string, n int) string {
	emails := fmt.Sprintf("%d e-mails", n)
	if n == 1 {
		emails = "1 e-mail"
	}
	switch done {
	case "sent":
		return emails + " sent on their way."
	case "deleted":
		return emails + " deleted unsent."
	}
	return ""
}

// dashboard is what the dashboard shows now.
func (h *Handler) dashboard(c echo.Context) (dashboardData, error) {
	ctx := c.Request().Context()
	today := startOfDay(h.now())
	bs, err := db.Diary(ctx, h.db, today, today.AddDate(0, 0, dashboardDays))
	if err != nil {
		return dashboardData{}, err
	}
	d := dashboardData{Days: groupByDay(bs, today, h.now(), dashboardDays), Booked: len(bs)}
	if err := h.dayTimeOff(ctx, d.Days); err != nil {
		return d, err
	}
	// The times clients are holding right now, as the diary shows them:
	// taken for the moment, not (yet) appointments.
	holds, err := db.DiaryHolds(ctx, h.db, today, today.AddDate(0, 0, dashboardDays), h.now())
	if err != nil {
		return d, err
	}
	d.HeldNow = len(holds)
	for _, day := range d.Days {
		noOff := day
		noOff.Off = nil // time off is shown above the day's list
		d.Upcoming = append(d.Upcoming, dashboardDay{diaryDay: day, Items: listItems(noOff, holds)})
	}
	if d.Held, d.HeldShown, err = db.CommentsAwaiting(ctx, h.db, 5); err != nil {
		return d, err
	}
	if d.DelayedMail, err = db.ListDelayedMail(ctx, h.db, 20); err != nil {
		return d, err
	}
	if d.FailedMail, err = db.ListFailedMail(ctx, h.db, 20); err != nil {
		return d, err
	}
	if d.Unread, err = db.CountUnreadContactMessages(ctx, h.db); err != nil {
		return d, err
	}
	if err := h.heldMail(c, &d); err != nil {
		return d, err
	}
	return d, h.needsYou(c, &d)
}

func (h *Handler) renderDashboard(c echo.Context, status int, d dashboardData) error {
	p, err := h.adminPage(c, "Today", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-dashboard", "", p)
}

// heldMail fills in the dashboard's alert: the mail held past the ceiling
// on new addresses, by booking, and the ceiling itself.
func (h *Handler) heldMail(c echo.Context, d *dashboardData) error {
	ctx := c.Request().Context()
	ceiling, err := db.NewAddressesPerDay(ctx, h.db)
	if err != nil {
		return err
	}
	d.Ceiling, d.CeilingValue = ceiling, strconv.Itoa(ceiling)
	ms, err := db.ListHeldMail(ctx, h.db, heldMailShown)
	if err != nil {
		return err
	}
	day := booking.BusinessDay(h.now())
	if d.HeldTodayN, err = db.HeldConfirmationsOn(ctx, h.db, day); err != nil {
		return err
	}
	today := day.Format(time.DateOnly)
	byBooking := map[int64]int{}
	var addresses []string
	for _, m := range ms {
		d.HeldUpto = max(d.HeldUpto, m.ID)
		day := m.Day.Format(time.DateOnly)
		if m.Kind == "booking_confirmed" && day == today && !slices.ContainsFunc(addresses, func(a string) bool { return strings.EqualFold(a, m.Recipient) }) {
			addresses = append(addresses, m.Recipient)
		}
		i, ok := byBooking[m.BookingID]
		if !ok || m.BookingID == 0 {
			label := "today"
			if day != today {
				label = m.Day.Format("Monday 2 January")
			}
			d.HeldBookings = append(d.HeldBookings, heldBooking{ID: m.BookingID, ClientName: m.ClientName, Recipient: m.Recipient,
				StartsAt: m.StartsAt, Cancelled: m.Status == db.BookingCancelled, Day: label})
			i = len(d.HeldBookings) - 1
			byBooking[m.BookingID] = i
		}
		d.HeldBookings[i].Subjects = append(d.HeldBookings[i].Subjects, m.Subject)
	}
	// The summary names a few addresses, each once: the list below has
	// them all.
	const named = 3
	more := len(addresses) - named
	d.HeldToday = strings.Join(addresses[:min(named, len(addresses))], ", ")
	if more > 0 {
		d.HeldToday += fmt.Sprintf(" and %d more", more)
	}
	return nil
}

// sendHeldMail is POST /admin/mail/held/send: the held mail she was shown
// (up to the id upto), of one booking or (booking 0) all, is sent.
func (h *Handler) sendHeldMail(c echo.Context) error {
	return h.onHeldMail(c, h.jobs.ReleaseHeld, "sent")
}

// deleteHeldMail is POST /admin/mail/held/delete: the held mail she was
// shown, of one booking or all, is deleted unsent; later mail about those
// bookings is not written either.
func (h *Handler) deleteHeldMail(c echo.Context) error {
	return h.onHeldMail(c, h.jobs.DropHeld, "deleted")
}

// onHeldMail does act to the held mail the form names and goes back to the
// dashboard saying what was done to how many (doneMessage).
func (h *Handler) onHeldMail(c echo.Context, act func(ctx context.Context, upto, booking int64) (int, error), done string) error {
	upto, _ := strconv.ParseInt(c.FormValue("upto"), 10, 64)
	id, _ := strconv.ParseInt(c.FormValue("booking"), 10, 64)
	n, err := act(c.Request().Context(), upto, max(id, 0))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s?done=%s&n=%d#done", adminPath, done, n))
}

// saveMailCeiling is POST /admin/mail/ceiling: how many confirmations a
// day may go to addresses new to the practice before they are held.
func (h *Handler) saveMailCeiling(c echo.Context) error {
	v := formValue(c, "per_day")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1000 {
		d, err := h.dashboard(c)
		if err != nil {
			return err
		}
		d.CeilingValue, d.CeilingError = v, "Please enter a whole number from 0 to 1000."
		return h.renderDashboard(c, http.StatusUnprocessableEntity, d)
	}
	if err := db.SetNewAddressesPerDay(c.Request().Context(), h.db, n); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"?done=ceiling#mail-ceiling")
}

// startOfDay is midnight in London on t's London date.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.In(views.London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, views.London)
}

// groupByDay puts bookings (in time order) under each of n days from first.
func groupByDay(bs []db.Booking, first, now time.Time, n int) []diaryDay {
	days := make([]diaryDay, n)
	today := startOfDay(now)
	for i := range days {
		day := first.AddDate(0, 0, i)
		days[i] = diaryDay{Label: dayLabel(day, today), Date: day.Format(time.DateOnly)}
	}
	for _, b := range bs {
		i := 0
		for i+1 < n && !b.StartsAt.Before(first.AddDate(0, 0, i+1)) {
			i++
		}
		days[i].Bookings = append(days[i].Bookings, b)
	}
	return days
}

func dayLabel(day, today time.Time) string {
	switch {
	case day.Equal(today):
		return "Today, " + day.Format("Monday 2 January")
	case day.Equal(today.AddDate(0, 0, 1)):
		return "Tomorrow, " + day.Format("Monday 2 January")
	}
	return day.Format("Monday 2 January")
}
