package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// The slot picker: a service, a place and a week of free times.

// pickerData is the booking page's choice of service and place, and the
// week of free times the picker shows.
type pickerData struct {
	Services  []db.Service
	Service   db.Service
	Place     string
	Offered   bool   // the service is offered at the place
	Districts string // the postcode districts mobile visits cover: "PE26, PE27"
	Week      time.Time
	WeekLabel string
	PrevURL   string // the week before, or "" before the first bookable week
	NextURL   string // the week after, or "" past the horizon
	PrevWeek  string
	NextWeek  string
	Days      []pickerDay
	Free      int // free times this week
	HeldStart string
	Message   string // why there is nothing, or that a time was just taken
	CSRF      string
}

type pickerDay struct {
	Date        time.Time
	Label       string // "Thursday 26 November 2026"
	Slots       []pickerSlot
	WaitlistURL string // where to join the waitlist for the day, if one can
}

type pickerSlot struct {
	Value string // RFC 3339 start, what the form sends
	Time  string // "09:00", UK time
	Name  string // "Thursday 26 November 2026, 09:00": the control's full name
	Held  bool   // this visitor holds it
}

// showBook is GET /book: choose a service and a place, then a time.
func (h *Handler) showBook(c echo.Context) error {
	if err := h.releaseIfChoiceChanged(c); err != nil {
		return err
	}
	d, err := h.picker(c, "")
	if err != nil {
		return err
	}
	p, err := h.page(c, "Book a session", "Book a sports massage at the studio in St Ives or a mobile visit: choose a service and a free time.", d)
	if err != nil {
		return err
	}
	d.CSRF = p.CSRF
	p.Data = d
	return h.render(c, http.StatusOK, "book", "", p)
}

// showSlots is GET /book/slots: the picker alone, for htmx; without it, the
// whole booking page.
func (h *Handler) showSlots(c echo.Context) error {
	if !isFragment(c) {
		return h.showBook(c)
	}
	if err := h.releaseIfChoiceChanged(c); err != nil {
		return err
	}
	d, err := h.picker(c, "")
	if err != nil {
		return err
	}
	d.CSRF, _ = c.Get(csrfKey).(string)
	return h.renderFragment(c, http.StatusOK, "book#picker", d)
}

// releaseIfChoiceChanged gives up the visitor's hold at once when they
// choose another service or place: that time is not what they want now.
func (h *Handler) releaseIfChoiceChanged(c echo.Context) error {
	owner := h.holdOwner(c)
	svc, place := c.QueryParam("service"), c.QueryParam("location")
	if owner == nil || (svc == "" && place == "") {
		return nil
	}
	held, err := h.desk.HeldBy(c.Request().Context(), owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if strconv.FormatInt(held.ServiceID, 10) != svc || held.Place != place {
		return h.desk.Release(c.Request().Context(), owner)
	}
	return nil
}

// picker reads ?service=, ?location= and ?week= (or ?date=) and computes the
// week's free times. Unknown values fall back to the first service, the
// studio, and the week of the first free time. After a form was posted (a
// time that could not be held) they come from the form, and the week is
// that of the time chosen.
func (h *Handler) picker(c echo.Context, message string) (pickerData, error) {
	return h.pickerExcept(c, message, nil, nil)
}

// pickerExcept is picker for moving a booking: its own blocked time
// (except) does not stand in the way of the times around it, and the times
// are those of its own service (own), which may since have been taken off
// the list of services.
func (h *Handler) pickerExcept(c echo.Context, message string, except *db.Span, own *db.Service) (pickerData, error) {
	ctx := c.Request().Context()
	services, err := h.activeServices(c)
	if err != nil {
		return pickerData{}, err
	}
	if own != nil {
		services = []db.Service{*own}
	}
	d := pickerData{Services: services, Place: db.PlaceStudio, Message: message}
	if len(services) == 0 {
		d.Message = "There is nothing to book online at the moment. Please call or email the practice."
		return d, nil
	}
	d.Service = services[0]
	if id, err := strconv.ParseInt(pickerParam(c, "service"), 10, 64); err == nil {
		for _, s := range services {
			if s.ID == id {
				d.Service = s
			}
		}
	}
	if pickerParam(c, "location") == db.PlaceMobile {
		d.Place = db.PlaceMobile
	}
	rules, err := h.bookingRules(ctx)
	if err != nil {
		return d, err
	}
	d.Districts = strings.Join(rules.Schedule.MobileDistricts, ", ")
	d.Offered = (d.Place == db.PlaceStudio && d.Service.AtStudio) || (d.Place == db.PlaceMobile && d.Service.Mobile)
	if !d.Offered {
		d.Message = d.Service.Name + " is not offered " + placeName(d.Place) + ". Please choose another service or place."
		return d, nil
	}
	now := h.now()
	first, last := now.Add(rules.Settings.Notice), now.Add(rules.Settings.Horizon)
	owner := h.holdOwner(c)

	week := weekParam(pickerParam(c, "week"), pickerParam(c, "date"))
	if t, err := time.Parse(time.RFC3339, pickerParam(c, "start")); week.IsZero() && err == nil && booking.Bookable(t, now, rules) {
		week = mondayOf(t)
	}
	if week.IsZero() {
		// Open on the week of the first free time.
		if week, err = h.openingWeek(ctx, rules, d.Service, d.Place, owner, now); err != nil {
			return d, err
		}
	}
	d.Week = week
	d.WeekLabel = "Week of " + week.Format("Monday 2 January 2006")
	end := week.AddDate(0, 0, 7)
	if week.After(mondayOf(first)) {
		d.PrevWeek = week.AddDate(0, 0, -7).Format(time.DateOnly)
	}
	if end.Before(last) {
		d.NextWeek = end.Format(time.DateOnly)
	}

	slots, err := h.freeSlots(ctx, rules, d.Service, d.Place, week, end, owner, now, except)
	if err != nil {
		return d, err
	}
	if held, err := h.desk.HeldBy(ctx, owner); err == nil {
		d.HeldStart = held.StartsAt.UTC().Format(time.RFC3339)
	}
	// The time held, or the one just chosen when the picker comes back
	// with a message, stays selected.
	chosen := d.HeldStart
	if v := pickerParam(c, "start"); v != "" {
		chosen = v
	}
	d.Days = daysOf(week, slots, chosen)
	// Days already past, and days beyond the horizon, are not offered at all
	// (rather than shown as "nothing free").
	today := startOfDay(now)
	for len(d.Days) > 1 && d.Days[0].Date.Before(today) {
		d.Days = d.Days[1:]
	}
	for len(d.Days) > 1 && d.Days[len(d.Days)-1].Date.After(last) {
		d.Days = d.Days[:len(d.Days)-1]
	}
	d.Free = len(slots)
	if except == nil { // booking, not moving: a day with nothing that suits can be waited for
		for i, day := range d.Days {
			if waitable(rules, day.Date, d.Place, now) {
				d.Days[i].WaitlistURL = fmt.Sprintf("/book/waitlist?service=%d&location=%s&date=%s",
					d.Service.ID, d.Place, day.Date.Format(time.DateOnly))
			}
		}
	}
	return d, nil
}

// waitable reports whether one can join the waitlist for day (local
// midnight) at place: a working day there, from today up to the horizon.
func waitable(r bookingRules, day time.Time, place string, now time.Time) bool {
	if day.AddDate(0, 0, 1).Before(now) || day.After(now.Add(r.Settings.Horizon)) {
		return false
	}
	for _, wh := range r.Hours {
		if wh.Weekday == day.Weekday() && string(wh.Place) == place {
			return true
		}
	}
	return false
}

// openingWeek is the Monday of the week of the first free time of svc at
// place, or of this week when nothing is free up to the horizon.
func (h *Handler) openingWeek(ctx context.Context, r bookingRules, svc db.Service, place string, owner []byte, now time.Time) (time.Time, error) {
	// One look over the whole horizon rather than a week at a time: one set
	// of queries, however far off the first free time is.
	slots, err := h.freeSlots(ctx, r, svc, place, mondayOf(now), now.Add(r.Settings.Horizon).Add(time.Minute), owner, now)
	if err != nil || len(slots) == 0 {
		return mondayOf(now), err
	}
	return mondayOf(slots[0]), nil
}

// pickerParam is a choice of the picker: from the address, or, after a form
// was posted, from the form.
func pickerParam(c echo.Context, name string) string {
	if v := c.QueryParam(name); v != "" || c.Request().Method != http.MethodPost {
		return v
	}
	return c.FormValue(name)
}

// freeSlots computes the free start times of a service at a place in
// [from, to), against the bookings and holds in the database now.
func (h *Handler) freeSlots(ctx context.Context, r bookingRules, svc db.Service, place string, from, to time.Time, owner []byte, now time.Time, except ...*db.Span) ([]time.Time, error) {
	req, err := h.slotRequest(ctx, r, svc, place, from, to, owner, now, except...)
	if err != nil {
		return nil, err
	}
	return schedule.Slots(req), nil
}

// slotRequest gathers what the slot engine needs for [from, to).
// Spans in except (a booking being moved) are left out of the busy ones.
func (h *Handler) slotRequest(ctx context.Context, r bookingRules, svc db.Service, place string, from, to time.Time, owner []byte, now time.Time, except ...*db.Span) (schedule.Request, error) {
	return db.SlotRequest(ctx, h.db, r, time.Duration(svc.DurationMin)*time.Minute, place, from, to, owner, now, except...)
}

// bookingRules are the schedule settings and weekly hours, as the slot
// engine takes them, with the practice's own settings.
type bookingRules = db.Rules

// bookingRules reads the rules (booking.Desk.Rules keeps them for a few
// seconds).
func (h *Handler) bookingRules(ctx context.Context) (bookingRules, error) {
	return h.desk.Rules(ctx)
}

// daysOf lays a week's slots out by day, Monday to Sunday.
func daysOf(week time.Time, slots []time.Time, held string) []pickerDay {
	days := make([]pickerDay, 7)
	for i := range days {
		date := week.AddDate(0, 0, i)
		days[i] = pickerDay{Date: date, Label: date.Format("Monday 2 January 2006")}
	}
	for _, s := range slots {
		local := s.In(views.London)
		i := int(local.Weekday()+6) % 7 // Monday is 0
		v := s.UTC().Format(time.RFC3339)
		days[i].Slots = append(days[i].Slots, pickerSlot{
			Value: v, Time: local.Format("15:04"), Name: days[i].Label + ", " + local.Format("15:04"), Held: v == held,
		})
	}
	return days
}

// mondayOf is the local midnight starting the week of t.
func mondayOf(t time.Time) time.Time {
	day := startOfDay(t)
	return day.AddDate(0, 0, -int(day.Weekday()+6)%7)
}

// weekParam reads ?week= or ?date= (YYYY-MM-DD) as the Monday of that week;
// zero when absent or not a date.
func weekParam(week, date string) time.Time {
	for _, s := range []string{week, date} {
		if t, err := time.ParseInLocation(time.DateOnly, s, views.London); err == nil && t.Year() > 2000 && t.Year() < 3000 {
			return mondayOf(t)
		}
	}
	return time.Time{}
}

func placeName(place string) string {
	if place == db.PlaceMobile {
		return "as a mobile visit"
	}
	return "at the studio"
}
