package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/ical"
	"dynamicmotion/links"
)

// calendarPath is where the therapist's calendar feed lives:
// calendarPath + secret + ".ics".
const calendarPath = links.Calendar

// feedPast is how far back the feed goes: recent appointments stay in the
// therapist's calendar for a month.
const feedPast = 30 * 24 * time.Hour

// calendarFeed is GET /calendar/<secret>.ics: the therapist's appointments
// (not cancelled ones, from feedPast ago on) for the calendar on her phone,
// which polls it. A wrong or rotated secret is the site's 404. The feed
// carries names, times, places and contact details, never health answers
// or the client's note. It runs outside the session: no cookie is set.
func (h *Handler) calendarFeed(c echo.Context) error {
	secret, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	switch err := db.CheckCalendarSecret(ctx, h.db, secret); {
	case errors.Is(err, db.ErrNoCalendarFeed):
		return echo.ErrNotFound
	case err != nil:
		return err
	}
	bookings, err := db.CalendarBookings(ctx, h.db, h.now().Add(-feedPast))
	if err != nil {
		return err
	}
	biz, err := h.business(c)
	if err != nil {
		return err
	}
	p := h.practice(biz)
	events := make([]ical.Event, len(bookings))
	for i, b := range bookings {
		events[i] = emails.TherapistFeedEvent(p, b)
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", "private, max-age=300")
	hd.Set("X-Robots-Tag", "noindex, nofollow")
	hd.Set(echo.HeaderContentType, "text/calendar; charset=utf-8")
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, hd.Get(echo.HeaderContentType),
		ical.Calendar("-//"+biz.Name+"//Appointments//EN", ical.Publish, events...))
}

// rotateCalendarFeed makes a new secret for the calendar feed and returns
// the feed's address, to be shown to the therapist once (only the secret's
// hash is kept); the old address stops working at once. The admin area's
// "new calendar link" calls it.
func (h *Handler) rotateCalendarFeed(ctx context.Context) (string, error) {
	secret, err := db.RotateCalendarSecret(ctx, h.db)
	if err != nil {
		return "", err
	}
	return h.calendarFeedURL(secret), nil
}

// calendarFeedURL is the feed's address for secret.
func (h *Handler) calendarFeedURL(secret string) string {
	return links.CalendarURL(h.cfg.BaseURL.String(), secret)
}
