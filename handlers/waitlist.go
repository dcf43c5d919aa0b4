package handlers

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/links"
	"dynamicmotion/views"
)

// The waitlist: on a day with no free time that suits them, a client joins
// the list for that day; a time freed later is offered to the first person
// waiting (package jobs), by e-mail, with a link that holds it for them.

// waitlistJoinedKey is the session's note of the entry just made, for the
// page after the 303.
const waitlistJoinedKey = "waitlist_joined"

// waitlistPage is the data of the waitlist's pages; View says which one.
type waitlistPage struct {
	View string // "join", "joined", "offer-gone", "leave"

	// The join form and what was typed into it.
	Service   db.Service
	Place     string
	PlaceText string // "at the studio", "as a mobile visit"
	Day       string // YYYY-MM-DD
	DayLabel  string // "Thursday 26 November 2026"
	Times     []string
	Earliest  string
	Latest    string
	Name      string
	Email     string
	Postcode  string
	Errors    map[string]string
	Notice    string
	FreeNow   bool   // times in the window are free now: book one
	BookURL   string // the picker on that day's week

	// The joined, offer and leave pages.
	Window  string // "09:00 and 12:30 UK time"
	Offered string // the time offered, "Thursday 26 November 2026, 10:00"
	Ended   string // why the offer cannot be taken
	// The time booked instead of the one offered, by the visitor who took the offer.
	BookedInstead string
	Waiting       bool // still on the list
	Status        string
	Token         string
}

// TimeFields are the form's two choices of a start time, for the template.
func (d waitlistPage) TimeFields() []views.Field {
	return []views.Field{
		{Name: "earliest", Label: "Earliest start", Value: d.Earliest, Error: d.Errors["earliest"]},
		{Name: "latest", Label: "Latest start", Value: d.Latest, Error: d.Errors["latest"]},
	}
}

// waitlistChoice reads the service, place and day the client wants to wait
// for (from the address, or the form) and checks them: an active service
// offered at the place, a day from today up to the horizon on which the
// practice works there. It returns the page to fill, or why the choice
// cannot be waited for.
func (h *Handler) waitlistChoice(c echo.Context) (waitlistPage, string, error) {
	ctx := c.Request().Context()
	d := waitlistPage{View: "join", Errors: map[string]string{}}
	services, err := h.activeServices(c)
	if err != nil {
		return d, "", err
	}
	id, _ := strconv.ParseInt(pickerParam(c, "service"), 10, 64)
	for _, s := range services {
		if s.ID == id {
			d.Service = s
		}
	}
	d.Place = pickerParam(c, "location")
	if d.Service.ID == 0 || (d.Place != db.PlaceStudio && d.Place != db.PlaceMobile) ||
		(d.Place == db.PlaceStudio && !d.Service.AtStudio) || (d.Place == db.PlaceMobile && !d.Service.Mobile) {
		return d, "Please choose a service and a place first.", nil
	}
	d.PlaceText = placeName(d.Place)
	d.BookURL = "/book?service=" + strconv.FormatInt(d.Service.ID, 10) + "&location=" + d.Place
	day, err := time.ParseInLocation(time.DateOnly, pickerParam(c, "date"), views.London)
	if err != nil || day.Year() < 2000 || day.Year() > 3000 {
		return d, "Please choose a day from the free times.", nil
	}
	d.Day, d.DayLabel = day.Format(time.DateOnly), day.Format("Monday 2 January 2006")
	d.BookURL += "&date=" + d.Day
	r, err := h.bookingRules(ctx)
	if err != nil {
		return d, "", err
	}
	now := h.now().In(views.London)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, views.London)
	if day.Before(today) || day.After(now.Add(r.Settings.Horizon)) {
		return d, fmt.Sprintf("The waitlist is for days from today up to %d weeks ahead. Please choose another day.", r.Schedule.HorizonWeeks), nil
	}
	d.Times = startTimes(r, day, d.Place, d.Service.DurationMin)
	if len(d.Times) == 0 {
		return d, "The practice does not see clients " + d.PlaceText + " on " + d.DayLabel + ". Please choose another day.", nil
	}
	return d, "", nil
}

// startTimes are the start times on the grid of the working hours at place
// on day that leave room for an appointment of durMin, as "15:04".
func startTimes(r bookingRules, day time.Time, place string, durMin int) []string {
	// The grid the picker offers: the chosen step, or the service's length.
	step := max(int(r.Step(time.Duration(durMin)*time.Minute)/time.Minute), 1)
	var out []string
	for _, wh := range r.Hours {
		if wh.Weekday != day.Weekday() || string(wh.Place) != place {
			continue
		}
		for m := int(wh.From); m+durMin <= int(wh.To) && m < 1440; m += step {
			out = append(out, fmt.Sprintf("%02d:%02d", m/60, m%60))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// showWaitlist is GET /book/waitlist: the form to join the waitlist for a
// day (?service=, ?location=, ?date=). A choice that cannot be waited for
// goes back to the picker.
func (h *Handler) showWaitlist(c echo.Context) error {
	d, problem, err := h.waitlistChoice(c)
	if err != nil {
		return err
	}
	if problem != "" {
		return c.Redirect(http.StatusSeeOther, "/book?service="+url.QueryEscape(c.QueryParam("service"))+
			"&location="+url.QueryEscape(c.QueryParam("location")))
	}
	d.Earliest, d.Latest = d.Times[0], d.Times[len(d.Times)-1]
	return h.renderWaitlist(c, http.StatusOK, "Join the waitlist", d)
}

func (h *Handler) renderWaitlist(c echo.Context, status int, title string, d waitlistPage) error {
	p, err := h.page(c, title, "", d)
	if err != nil {
		return err
	}
	p.NoIndex = true
	if d.Token != "" {
		c.Response().Header().Set("Referrer-Policy", "no-referrer") // the token is in the address
		p.Canonical = ""
		p.NoStore = true
	}
	return h.render(c, status, "waitlist", "", p)
}

// readWaitlistForm reads and checks the join form into d: the window of
// start times (on the day's grid, latest not before earliest), the name,
// the e-mail address and, for a mobile visit, a postcode in the area.
func (h *Handler) readWaitlistForm(c echo.Context, d *waitlistPage, r bookingRules) {
	val := func(name string, max int) string { return formText(c, d.Errors, name, max) }
	d.Name, d.Email, d.Postcode = val("name", maxFieldLen), val("email", maxFieldLen), val("postcode", 12)
	d.Earliest, d.Latest = c.FormValue("earliest"), c.FormValue("latest")
	if d.Name == "" {
		d.Errors["name"] = "Please enter your name."
	}
	if !validEmail(d.Email) {
		d.Errors["email"] = "Please enter your email address, like name@example.com: the offer of a time goes there."
	}
	if !slices.Contains(d.Times, d.Earliest) {
		d.Errors["earliest"] = "Please choose the earliest time you could start."
	}
	switch {
	case !slices.Contains(d.Times, d.Latest):
		d.Errors["latest"] = "Please choose the latest time you could start."
	case d.Errors["earliest"] == "" && d.Latest < d.Earliest:
		d.Errors["latest"] = "Please choose a latest start at or after the earliest (" + d.Earliest + ")."
	}
	if d.Place == db.PlaceMobile {
		if normal, err := booking.CheckPostcode(r.Schedule, d.Postcode); err != nil {
			d.Errors["postcode"] = err.Error()
		} else {
			d.Postcode = normal
		}
	} else {
		d.Postcode = ""
	}
}

// clockMin reads "15:04" as minutes after midnight.
func clockMin(s string) int {
	t, _ := time.Parse("15:04", s)
	return t.Hour()*60 + t.Minute()
}

// atClock is the instant of wall clock s ("15:04") on day in London.
func atClock(day time.Time, s string) time.Time {
	m := clockMin(s)
	return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, views.London)
}

// joinWaitlist is POST /book/waitlist: it checks the form, and when a time
// in the window is free now says so instead (409: book it); otherwise the
// client joins the list and is sent a confirmation with the link that takes
// them off it, in one transaction, then 303 to the confirmation page.
// Joining twice for the same day, place and service keeps one place and
// sends one message, and the page says the same either way.
func (h *Handler) joinWaitlist(c echo.Context) error {
	ctx := c.Request().Context()
	d, problem, err := h.waitlistChoice(c)
	if err != nil {
		return err
	}
	if problem != "" {
		d.Notice, d.Times = problem, nil
		return h.renderWaitlist(c, http.StatusUnprocessableEntity, "Join the waitlist", d)
	}
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	h.readWaitlistForm(c, &d, r)
	if len(d.Errors) > 0 {
		return h.renderWaitlist(c, http.StatusUnprocessableEntity, "Join the waitlist", d)
	}
	day, _ := time.ParseInLocation(time.DateOnly, d.Day, views.London)
	from, to := atClock(day, d.Earliest), atClock(day, d.Latest).Add(time.Minute) // the latest start counts
	free, err := h.freeSlots(ctx, r, d.Service, d.Place, from, to, h.holdOwner(c), h.now())
	if err != nil {
		return err
	}
	if len(free) > 0 {
		var times []string
		for _, t := range free[:min(len(free), 6)] {
			times = append(times, t.In(views.London).Format("15:04"))
		}
		d.FreeNow = true
		d.Notice = "Good news: " + d.DayLabel + " has free times between " + d.Earliest + " and " + d.Latest +
			" now (" + strings.Join(times, ", ") + "). You can book one straight away instead of waiting."
		return h.renderWaitlist(c, http.StatusConflict, "Join the waitlist", d)
	}
	if wait := h.limits.booking.take(limitKey(c.RealIP()), h.now()); wait > 0 {
		d.Notice = fmt.Sprintf("Many requests were made from your connection in a short while. Please wait %s and send this again; everything you typed is kept.", roundWait(wait))
		return h.renderWaitlist(c, http.StatusTooManyRequests, "Join the waitlist", d)
	}

	token := randomToken()
	e := db.WaitlistEntry{
		ServiceID: d.Service.ID, Place: d.Place, Day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
		EarliestMin: clockMin(d.Earliest), LatestMin: clockMin(d.Latest),
		Name: d.Name, Email: d.Email, Postcode: d.Postcode, LeaveTokenHash: tokenHash(token),
		ServiceName: d.Service.Name, DurationMin: d.Service.DurationMin, PricePence: d.Service.PricePence,
	}
	// A time freed while they were filling in the form is theirs too.
	if _, err := h.desk.JoinWaitlist(ctx, &e, token, from); err != nil {
		return err
	}
	note, _ := json.Marshal(waitlistPage{
		View: "joined", DayLabel: d.DayLabel, Window: emails.EntryWindow(e), Email: d.Email,
		Service: db.Service{Name: d.Service.Name}, PlaceText: d.PlaceText,
	})
	h.sessions.Put(ctx, waitlistJoinedKey, string(note))
	return c.Redirect(http.StatusSeeOther, "/book/waitlist/joined")
}

// showJoined is GET /book/waitlist/joined: the confirmation after joining.
func (h *Handler) showJoined(c echo.Context) error {
	var d waitlistPage
	note := h.sessions.PopString(c.Request().Context(), waitlistJoinedKey)
	if note == "" || json.Unmarshal([]byte(note), &d) != nil {
		return c.Redirect(http.StatusSeeOther, "/book")
	}
	d.View = "joined"
	return h.renderWaitlist(c, http.StatusOK, "You are on the waitlist", d)
}

// takeOffer is GET /book/offer/:token, the link in an offer: while the
// offer is open, its hold becomes this visitor's, and the details form
// (filled in with their name and address) books it as any hold is booked.
// An offer that ended says so plainly: the time is gone (410), or was
// booked through this link.
func (h *Handler) takeOffer(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	if !validToken(token) {
		return echo.ErrNotFound
	}
	o, e, err := db.OfferByToken(ctx, h.db, tokenHash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if o.Outcome == db.OfferOpen && o.ExpiresAt.After(h.now()) {
		switch err := h.desk.TakeOffer(ctx, o.ID, h.ensureHoldOwner(c)); {
		case err == nil:
			return c.Redirect(http.StatusSeeOther, "/book/details")
		case !errors.Is(err, booking.ErrOfferGone):
			return err
		}
		if o, e, err = db.OfferByToken(ctx, h.db, tokenHash(token)); err != nil {
			return err
		}
	}
	d := waitlistPage{View: "offer-gone", Token: token, Status: o.Outcome, Service: db.Service{Name: e.ServiceName}}
	d.Offered = o.StartsAt.In(views.London).Format(dateTimeFmt)
	d.DayLabel = e.Day.UTC().Format("Monday 2 January 2006")
	d.PlaceText = placeName(e.Place)
	d.BookURL = fmt.Sprintf("/book?service=%d&location=%s&date=%s", e.ServiceID, e.Place, e.Day.UTC().Format(time.DateOnly))
	d.Waiting = e.Status == db.WaitlistWaiting || e.Status == db.WaitlistOffered
	status := http.StatusGone
	switch o.Outcome {
	case db.OfferBooked:
		d.Ended = "This time has been booked with this link. The confirmation was sent by e-mail; its link lets you view, move or cancel the booking."
		status = http.StatusOK
		if o.BookingID != nil { // they may have booked another time that day instead
			switch b, err := db.BookingByID(ctx, h.db, *o.BookingID); {
			case err == nil && !b.StartsAt.Equal(o.StartsAt):
				d.BookedInstead = b.StartsAt.In(views.London).Format(dateTimeFmt)
				d.Ended = "You booked " + d.BookedInstead + " (UK time) instead, so this offer has ended and you are no longer on the waitlist for that day. " +
					"The confirmation was sent by e-mail; its link lets you view, move or cancel the booking."
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
	case db.OfferWithdrawn:
		d.Ended = "Sorry: this time is no longer held for you, because this address was taken off the waitlist."
	default:
		d.Ended = "Sorry: this time is no longer available. It was held for you until " +
			o.ExpiresAt.In(views.London).Format("15:04 on Monday 2 January") + " (UK time), and has since been offered to someone else or booked."
	}
	return h.renderWaitlist(c, status, "Offered time", d)
}

// findEntry loads the waitlist entry of the :token in the address: its
// leave link's or one of its offers'. Anything else is the site's 404.
func (h *Handler) findEntry(c echo.Context) (db.WaitlistEntry, string, error) {
	token := c.Param("token")
	if !validToken(token) {
		return db.WaitlistEntry{}, "", echo.ErrNotFound
	}
	e, err := db.WaitlistEntryByToken(c.Request().Context(), h.db, tokenHash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return e, "", echo.ErrNotFound
	}
	return e, token, err
}

// showLeave is GET /book/waitlist/leave/:token: the entry, and a button
// that takes it off the list (a link alone must not: mail scanners open
// links).
func (h *Handler) showLeave(c echo.Context) error {
	e, token, err := h.findEntry(c)
	if err != nil {
		return err
	}
	d := waitlistPage{
		View: "leave", Token: token, Status: e.Status, Service: db.Service{Name: e.ServiceName},
		DayLabel: e.Day.UTC().Format("Monday 2 January 2006"), Window: emails.EntryWindow(e),
		PlaceText: placeName(e.Place), Waiting: e.Status == db.WaitlistWaiting || e.Status == db.WaitlistOffered,
	}
	return h.renderWaitlist(c, http.StatusOK, "Your place on the waitlist", d)
}

// leaveWaitlist is POST /book/waitlist/leave/:token: off the list, and a
// time held for them goes to the next person, in one transaction. Leaving
// twice is the same as once.
func (h *Handler) leaveWaitlist(c echo.Context) error {
	e, token, err := h.findEntry(c)
	if err != nil {
		return err
	}
	if err := h.desk.LeaveWaitlist(c.Request().Context(), e); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, links.LeaveWaitlist+token)
}
