package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

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
}

type dashboardData struct {
	Days       []diaryDay
	Booked     int
	Held       int
	HeldShown  []db.HeldComment
	FailedMail []db.OutboxMessage
	// DelayedMail is mail still being tried after a failed attempt.
	DelayedMail []db.OutboxMessage
	Unread      int // contact messages not yet read
	CSRF        string
}

// showDashboard is GET /admin: the week's appointments, comments waiting
// for her, and mail that could not be sent.
func (h *Handler) showDashboard(c echo.Context) error {
	ctx := c.Request().Context()
	today := startOfDay(h.now())
	bs, err := db.Diary(ctx, h.db, today, today.AddDate(0, 0, dashboardDays))
	if err != nil {
		return err
	}
	d := dashboardData{Days: groupByDay(bs, today, h.now(), dashboardDays), Booked: len(bs)}
	if d.Held, d.HeldShown, err = db.CommentsAwaiting(ctx, h.db, 5); err != nil {
		return err
	}
	if d.DelayedMail, err = db.ListDelayedMail(ctx, h.db, 20); err != nil {
		return err
	}
	if d.FailedMail, err = db.ListFailedMail(ctx, h.db, 20); err != nil {
		return err
	}
	if d.Unread, err = db.CountUnreadContactMessages(ctx, h.db); err != nil {
		return err
	}
	d.CSRF, _ = c.Get(csrfKey).(string)
	p, err := h.adminPage(c, "Today", d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-dashboard", "", p)
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
