package handlers

import (
	"context"
	"database/sql"
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
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// The slot picker, day first: a service and a place, a strip of days (a week
// at a time) each with its number of free times, and one day's times.

// pickerData is the booking page's choice of service and place, the week's
// strip of days, and the chosen day's free times.
type pickerData struct {
	Services []db.Service
	Service  db.Service
	Place    string
	Offered  bool   // the service is offered at the place
	Area     string // where mobile visits go, in words
	Postcode string // a mobile visit's postcode: as typed, or normalised once inside the area
	Ready    bool   // service, place (and for a visit, a postcode inside the area) settled: days are shown

	// Where links lead: the page of this step (Base), with the choice in
	// Query ("service=1&location=studio"). A link followed with htmx asks
	// the same address for the picker alone (see pickerPart).
	Base, Query string
	Move        bool   // moving a booking: a time is chosen, then "Move to this time"
	Again       string // the manage token of a booking this one repeats ("Book again")

	Days     []pickerDay // the strip: the week of Day, from today to the horizon
	WeekName string      // "7 to 13 December"
	PrevWeek string      // query of the week before, or "" before the first bookable week
	NextWeek string      // query of the week after, or "" past the horizon
	Day      pickerDay   // the chosen day
	Parts    []dayPart   // its free times: morning, afternoon, evening
	NextFree *pickerDay  // when the chosen day has nothing: the next day that has
	Waitlist string      // the waitlist form for the chosen day, when one can wait for it

	HeldStart     string // RFC 3339 start of the time this visitor holds
	Message       string // why there is nothing, or that a time was just taken
	DayNote       string // why the day shown is not the one being looked at
	SubmitMessage string // beside the button: a move sent without a time
}

type pickerDay struct {
	Date     time.Time
	Label    string // "Thursday 10 December"
	Short    string // "Thu"
	Num      string // "10"
	Free     int    // free times that day
	Open     bool   // working hours at this place that day
	Query    string // the address of the day: "service=1&location=studio&date=2026-12-10"
	Selected bool
	Today    bool
}

// State is how the strip marks the day: "free", "full" or "closed".
func (d pickerDay) State() string {
	switch {
	case d.Free > 0:
		return "free"
	case d.Open:
		return "full"
	}
	return "closed"
}

// Name is the day's accessible name in the strip: "Thursday 10 December, 6 free times".
func (d pickerDay) Name() string {
	switch {
	case d.Free == 1:
		return d.Label + ", 1 free time"
	case d.Free > 1:
		return fmt.Sprintf("%s, %d free times", d.Label, d.Free)
	case d.Open:
		return d.Label + ", fully booked"
	}
	return d.Label + ", closed"
}

type dayPart struct {
	Name  string // "Morning"
	Slots []pickerSlot
}

type pickerSlot struct {
	Value string // RFC 3339 start, what the form sends
	Time  string // "09:00", UK time
	Name  string // "Thursday 10 December, 09:00": where the time is shown on its own
	Held  bool   // this visitor holds it
}

// showBook is GET /book: choose a service and a place, then a day and a time.
func (h *Handler) showBook(c echo.Context) error {
	if err := h.releaseIfChoiceChanged(c); err != nil {
		return err
	}
	d, err := h.picker(c, "")
	if err != nil {
		return err
	}
	if pickerPart(c) {
		return h.renderPicker(c, http.StatusOK, d)
	}
	return h.renderBook(c, http.StatusOK, d)
}

// pickerPart reports whether htmx asks for the picker alone: a day link of
// the strip is boosted with #picker as its target (and hx-select, so that
// a whole page would do too). Anything else gets what it asked for.
func pickerPart(c echo.Context) bool {
	hd := c.Request().Header
	c.Response().Header().Add("Vary", "HX-Target")
	return hd.Get("HX-Request") == "true" && hd.Get("HX-Target") == "picker" && hd.Get("HX-History-Restore-Request") != "true"
}

// renderBook answers with the whole booking page.
func (h *Handler) renderBook(c echo.Context, status int, d pickerData) error {
	p, err := h.page(c, "Book a session", "Book a sports massage at the studio in St Ives or a mobile visit: choose a service, a day and a free time.", d)
	if err != nil {
		return err
	}
	p.Data = d
	if d.Again != "" || d.Postcode != "" {
		p.NoIndex = true
		c.Response().Header().Set("Referrer-Policy", "no-referrer") // a manage token or a postcode in the address
	}
	return h.render(c, status, "book", "", p)
}

// showSlots is GET /book/slots: one day's picker alone, for htmx, whose
// address becomes the page's (/book?…, so that reload, Back and sharing
// find the same step); without htmx, the whole booking page.
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
	return h.renderPicker(c, http.StatusOK, d)
}

// renderPicker answers htmx with the picker and the address of what it shows.
func (h *Handler) renderPicker(c echo.Context, status int, d pickerData) error {
	if d.Services != nil {
		c.Response().Header().Set("HX-Push-Url", d.Base+"?"+d.dayQuery(d.Day))
	}
	return h.renderFragment(c, status, "book#picker", d)
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

// picker reads ?service=, ?location=, ?postcode= and ?date= (or ?week=) and
// computes the week's strip and the day's free times. Unknown values fall
// back to the first service, the studio, and the first day with a free
// time. After a form was posted (a time that could not be held) they come
// from the form, and the day is that of the time chosen.
func (h *Handler) picker(c echo.Context, message string) (pickerData, error) {
	return h.pickerExcept(c, message, nil, nil, time.Time{})
}

// pickerExcept is picker for moving a booking: its own blocked time
// (except) does not stand in the way of the times around it, and the times
// are those of its own service (own), which may since have been taken off
// the list of services. Its own start (ownStart) is not offered: it is
// not taken for itself, but it is no move either.
func (h *Handler) pickerExcept(c echo.Context, message string, except *db.Span, own *db.Service, ownStart time.Time) (pickerData, error) {
	ctx := c.Request().Context()
	if c.Request().Method == http.MethodGet {
		ctx = booking.ReadOnce(ctx) // a page that only reads: one read of the diary's version
	}
	services, err := h.activeServices(c)
	if err != nil {
		return pickerData{}, err
	}
	if own != nil {
		services = []db.Service{*own}
	}
	d := pickerData{Services: services, Place: db.PlaceStudio, Message: message, Base: "/book", Move: own != nil}
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
	if t := pickerParam(c, "again"); validToken(t) && own == nil {
		d.Again = t
	}
	rules, err := h.bookingRules(ctx)
	if err != nil {
		return d, err
	}
	d.Area = areaText(rules.Schedule.MobileDistricts)
	d.Offered = (d.Place == db.PlaceStudio && d.Service.AtStudio) || (d.Place == db.PlaceMobile && d.Service.Mobile)
	d.Query = d.choiceQuery()
	if !d.Offered {
		d.Message = d.Service.Name + " is not offered " + placeName(d.Place) + ". Please choose another service or place."
		return d, nil
	}
	if d.Place == db.PlaceMobile && own == nil {
		// A visit is only worth choosing a time for where it can be made.
		d.Postcode = strings.TrimSpace(pickerParam(c, "postcode"))
		if len(d.Postcode) > 12 {
			d.Postcode = d.Postcode[:12]
		}
		normal, err := booking.CheckPostcode(rules.Schedule, d.Postcode)
		switch {
		case d.Postcode == "":
			return d, nil // the form asks for it
		case err != nil:
			d.Message = err.Error()
			return d, nil
		}
		d.Postcode = normal
		d.Query = d.choiceQuery()
	}
	d.Ready = true

	now := h.now()
	today, last := startOfDay(now), now.Add(rules.Settings.Horizon)
	owner := h.holdOwner(c)
	if held, err := h.desk.HeldBy(ctx, owner); err == nil && held.ServiceID == d.Service.ID && held.Place == d.Place {
		d.HeldStart = held.StartsAt.UTC().Format(time.RFC3339)
	}
	// Which day: the one asked for; else the day of the time chosen (a
	// form that came back) or held; else the first day with a free time.
	day, wholeWeek := dayParam(pickerParam(c, "date")), false
	if day.IsZero() {
		day, wholeWeek = dayParam(pickerParam(c, "week")), true
	}
	for _, v := range []string{pickerParam(c, "start"), d.HeldStart} {
		if t, err := time.Parse(time.RFC3339, v); day.IsZero() && err == nil && !t.Before(today) && t.Before(last) {
			day, wholeWeek = startOfDay(t), false
		}
	}
	// The day being looked at when the service or place changed (the
	// choice form sends it as keep=): that day again if it has a free time
	// for the new choice, else the next that has.
	kept := time.Time{}
	if day.IsZero() {
		kept = dayParam(pickerParam(c, "keep"))
		day = kept
	}
	if day.Before(today) && !day.IsZero() {
		day = today
	}
	if day.After(last) {
		day = time.Time{}
	}
	if day.IsZero() || !kept.IsZero() {
		from := today
		if !day.IsZero() {
			from = day
		}
		first, err := h.firstFree(ctx, rules, d.Service, d.Place, from, owner, now, except)
		if err != nil {
			return d, err
		}
		switch {
		case !first.IsZero():
			if !day.IsZero() && !startOfDay(first).Equal(day) {
				d.DayNote = fmt.Sprintf("Nothing is free on %s for this choice: here is the next day that has a free time.", day.Format("Monday 2 January"))
			}
			day = startOfDay(first)
		case day.IsZero():
			day = today
		}
		wholeWeek = false
	}

	week := mondayOf(day)
	end := week.AddDate(0, 0, 7)
	slots, err := h.freeSlots(ctx, rules, d.Service, d.Place, week, end, owner, now, except)
	if err != nil {
		return d, err
	}
	slots = slices.DeleteFunc(slots, func(t time.Time) bool { return t.Equal(ownStart) })
	chosen := d.HeldStart
	if v := pickerParam(c, "start"); v != "" {
		chosen = v
	}
	if own != nil {
		chosen = pickerParam(c, "start")
	}
	d.Days = d.strip(rules, week, slots, today, last, now)
	if wholeWeek { // a week asked for: its first day with a free time
		for _, sd := range d.Days {
			if !sd.Date.Before(day) && sd.Free > 0 {
				day = sd.Date
				break
			}
		}
	}
	for i := range d.Days {
		if d.Days[i].Date.Equal(day) {
			d.Days[i].Selected = true
			d.Day = d.Days[i]
		}
	}
	if d.Day.Date.IsZero() { // a day the strip does not show (past, or beyond the horizon)
		d.Day = d.Days[0]
		d.Days[0].Selected = true
	}
	d.Parts = partsOf(slots, d.Day.Date, chosen)
	d.WeekName = weekName(d.Days)
	if week.After(today) {
		d.PrevWeek = join(d.choiceQuery(), "week="+maxTime(week.AddDate(0, 0, -7), today).Format(time.DateOnly))
	}
	if end.Before(last) {
		d.NextWeek = join(d.choiceQuery(), "week="+end.Format(time.DateOnly))
	}
	if d.Day.Free == 0 {
		next, err := h.firstFree(ctx, rules, d.Service, d.Place, d.Day.Date.AddDate(0, 0, 1), owner, now, except)
		if err != nil {
			return d, err
		}
		if !next.IsZero() {
			nd := d.dayOf(startOfDay(next), today)
			d.NextFree = &nd
		}
	}
	if except == nil && waitable(rules, d.Day.Date, d.Place, now) {
		d.Waitlist = fmt.Sprintf("/book/waitlist?service=%d&location=%s&date=%s",
			d.Service.ID, d.Place, d.Day.Date.Format(time.DateOnly))
	}
	return d, nil
}

// choiceQuery is the address of the choice of service and place, without a day.
func (d pickerData) choiceQuery() string {
	if d.Move {
		return ""
	}
	return choice(d.Service.ID, d.Place, d.Postcode, d.Again).Encode()
}

// choice is the booking flow's choice as the addresses of its steps carry
// it: the service, the place, a visit's postcode and a "Book again" token.
func choice(svc int64, place, postcode, again string) url.Values {
	q := url.Values{}
	q.Set("service", strconv.FormatInt(svc, 10))
	q.Set("location", place)
	if place == db.PlaceMobile && postcode != "" {
		q.Set("postcode", postcode)
	}
	if validToken(again) {
		q.Set("again", again)
	}
	return q
}

// Href is the address of the step with query q.
func (d pickerData) Href(q string) string { return d.Base + "?" + q }

// dayQuery is the address of a day of this choice.
func (d pickerData) dayQuery(day pickerDay) string {
	if day.Date.IsZero() {
		return d.choiceQuery()
	}
	return join(d.choiceQuery(), "date="+day.Date.Format(time.DateOnly))
}

// join joins two parts of a query.
func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "&" + b
}

// dayOf is the strip's entry for one day.
func (d pickerData) dayOf(day, today time.Time) pickerDay {
	pd := pickerDay{Date: day, Label: day.Format("Monday 2 January"), Short: day.Format("Mon"), Num: day.Format("2"), Today: day.Equal(today)}
	pd.Query = d.dayQuery(pd)
	return pd
}

// strip is the week's days from today to the horizon, with their free times.
func (d pickerData) strip(r bookingRules, week time.Time, slots []time.Time, today, last, now time.Time) []pickerDay {
	var days []pickerDay
	for i := range 7 {
		day := week.AddDate(0, 0, i)
		if day.Before(today) || day.After(last) {
			continue
		}
		pd := d.dayOf(day, today)
		pd.Open = worksOn(r, day, d.Place)
		for _, s := range slots {
			if startOfDay(s).Equal(day) {
				pd.Free++
			}
		}
		days = append(days, pd)
	}
	if len(days) == 0 { // only when the horizon is shorter than the notice
		days = append(days, d.dayOf(today, today))
	}
	return days
}

// partsOf groups day's free times (from slots) into morning, afternoon and evening.
func partsOf(slots []time.Time, day time.Time, chosen string) []dayPart {
	parts := []dayPart{{Name: "Morning"}, {Name: "Afternoon"}, {Name: "Evening"}}
	for _, s := range slots {
		local := s.In(views.London)
		if !startOfDay(local).Equal(day) {
			continue
		}
		i := 0
		switch {
		case local.Hour() >= 17:
			i = 2
		case local.Hour() >= 12:
			i = 1
		}
		v := s.UTC().Format(time.RFC3339)
		parts[i].Slots = append(parts[i].Slots, pickerSlot{
			Value: v, Time: local.Format("15:04"), Name: local.Format("Monday 2 January, 15:04"), Held: v == chosen,
		})
	}
	out := parts[:0]
	for _, p := range parts {
		if len(p.Slots) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// weekName names the strip's days: "7 to 13 December", "28 December to 3 January".
func weekName(days []pickerDay) string {
	if len(days) == 0 {
		return ""
	}
	a, b := days[0].Date, days[len(days)-1].Date
	switch {
	case a.Equal(b):
		return a.Format("2 January")
	case a.Month() == b.Month():
		return a.Format("2") + " to " + b.Format("2 January")
	}
	return a.Format("2 January") + " to " + b.Format("2 January")
}

// areaText says where mobile visits go, in words.
func areaText(districts []string) string {
	if len(districts) == 0 {
		return "We are not making mobile visits at the moment."
	}
	return "We visit St Ives and the villages around it: postcodes " + strings.Join(districts, ", ") + "."
}

// firstFree is the first free start of svc at place from day (local
// midnight) to the horizon, or zero when there is none.
func (h *Handler) firstFree(ctx context.Context, r bookingRules, svc db.Service, place string, day time.Time, owner []byte, now time.Time, except *db.Span) (time.Time, error) {
	last := now.Add(r.Settings.Horizon).Add(time.Minute)
	if !day.Before(last) {
		return time.Time{}, nil
	}
	// One look over the whole horizon rather than a week at a time: one set
	// of queries, however far off the first free time is.
	slots, err := h.freeSlots(ctx, r, svc, place, day, last, owner, now, except)
	if err != nil || len(slots) == 0 {
		return time.Time{}, err
	}
	return slots[0], nil
}

// worksOn reports whether there are working hours at place on day.
func worksOn(r bookingRules, day time.Time, place string) bool {
	for _, wh := range r.Hours {
		if wh.Weekday == day.Weekday() && string(wh.Place) == place {
			return true
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// waitable reports whether one can join the waitlist for day (local
// midnight) at place: a working day there, from today up to the horizon.
func waitable(r bookingRules, day time.Time, place string, now time.Time) bool {
	if day.AddDate(0, 0, 1).Before(now) || day.After(now.Add(r.Settings.Horizon)) {
		return false
	}
	return worksOn(r, day, place)
}

// pickerParam is a choice of the picker: from the address, or, after a form
// was posted, from the form.
func pickerParam(c echo.Context, name string) string {
	if v := c.QueryParam(name); v != "" || c.Request().Method != http.MethodPost {
		return v
	}
	return c.FormValue(name)
}

// freeSlots is the free start times of a service at a place in [from, to),
// against the bookings and holds in the database now (booking.Desk.FreeTimes,
// which keeps them per instance while the diary does not change).
func (h *Handler) freeSlots(ctx context.Context, r bookingRules, svc db.Service, place string, from, to time.Time, owner []byte, now time.Time, except ...*db.Span) ([]time.Time, error) {
	return h.desk.FreeTimes(ctx, r, svc, place, from, to, owner, now, except...)
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

// mondayOf is the local midnight starting the week of t.
func mondayOf(t time.Time) time.Time {
	day := startOfDay(t)
	return day.AddDate(0, 0, -int(day.Weekday()+6)%7)
}

// dayParam reads a date (YYYY-MM-DD) as local midnight; zero when absent
// or not a date.
func dayParam(s string) time.Time {
	if t, err := time.ParseInLocation(time.DateOnly, s, views.London); err == nil && t.Year() > 2000 && t.Year() < 3000 {
		return t
	}
	return time.Time{}
}

// validToken reports whether s looks like a manage token (it is looked up
// before anything is shown from it).
func validToken(s string) bool {
	if len(s) < 20 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func placeName(place string) string {
	if place == db.PlaceMobile {
		return "as a mobile visit"
	}
	return "at the studio"
}
