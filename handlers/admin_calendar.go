package handlers

import (
	"database/sql"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// calendarData is the calendar link page. URL is set only in the answer to
// making a new link: the secret is kept as a hash, so it is shown once.
type calendarData struct {
	Feed *db.CalendarFeed // nil: there is no link
	URL  string
	Off  bool // the link was just turned off
}

// showCalendarLink is GET /admin/calendar: whether a calendar link exists,
// since when, and when a calendar last fetched it.
func (h *Handler) showCalendarLink(c echo.Context) error {
	return h.renderCalendarLink(c, calendarData{Off: c.QueryParam("off") != ""})
}

func (h *Handler) renderCalendarLink(c echo.Context, d calendarData) error {
	f, err := db.GetCalendarFeed(c.Request().Context(), h.db)
	switch {
	case err == nil:
		d.Feed = &f
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	p, err := h.adminPage(c, "Calendar link", d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-calendar", "", p)
}

// newCalendarLink is POST /admin/calendar/new: a new secret link, shown in
// this answer only (it is not stored, and the page is not kept by the
// browser: no-store); the old link stops working at once.
func (h *Handler) newCalendarLink(c echo.Context) error {
	u, err := h.rotateCalendarFeed(c.Request().Context())
	if err != nil {
		return err
	}
	return h.renderCalendarLink(c, calendarData{URL: u})
}

// calendarLinkOff is POST /admin/calendar/off: the link stops working and
// no new one exists until she makes one.
func (h *Handler) calendarLinkOff(c echo.Context) error {
	if err := db.RevokeCalendarFeed(c.Request().Context(), h.db); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/calendar?off=1")
}
