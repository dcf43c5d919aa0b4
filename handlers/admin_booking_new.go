package handlers

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// handBookingForm is the therapist's form for a booking taken by phone.
type handBookingForm struct {
	Services                              []db.Service
	ServiceID                             int64
	Place                                 string
	Date, Time                            string // 2006-01-02, 15:04 (London)
	Name, Email, Phone, Address, Postcode string
	Notes                                 string
	Errors                                map[string]string
	Notice                                string
	Submission                            string

	// Finding a past client: what was typed, and who was found.
	Query    string
	Clients  []db.PastClient
	Searched bool // a search was made (so "nobody found" can be said)

	// The chosen day's free times (15:04) for the service and place, as
	// the online picker offers them; Day says which day in words.
	Times    []string
	Day      string
	TimesFor bool // service, place and day were chosen, so Times is the answer
	Other    bool // the time was typed by hand, not chosen from Times

	Outside        string // why the time is outside her hours, asking her to confirm
	ConfirmOutside bool   // she confirmed it
	SendMail       bool   // send the client the confirmation e-mail

	Now time.Time // a client's latest booking after it is their next one
}

// maxClientsFound is how many past clients a search lists.
const maxClientsFound = 8

// showNewBooking is GET /admin/bookings/new. Empty, it starts a booking
// (?date=, ?time=, ?place= from the diary's grid). The form's own Find,
// client and "Show free times" buttons come back to the same address by
// POST with everything typed so far (the booking's notes, the client's
// details: never in the address bar, the browser's history or a log), so
// all of it works without JavaScript: the form is shown again with the
// clients found, the chosen client's details filled in, and the day's free
// times. The POST only shows the form: it books nothing.
func (h *Handler) showNewBooking(c echo.Context) error {
	f, err := h.newBookingFromQuery(c)
	if err != nil {
		return err
	}
	return h.renderNewBooking(c, http.StatusOK, f)
}

// showClientMatches is GET /admin/bookings/new/clients?q=: the past
// clients matching q, the fragment htmx swaps in as she types (the whole
// form without htmx).
func (h *Handler) showClientMatches(c echo.Context) error {
	if !isFragment(c) {
		return h.showNewBooking(c)
	}
	f, err := h.newBookingFromQuery(c)
	if err != nil {
		return err
	}
	f.Now = h.now()
	return h.renderFragment(c, http.StatusOK, "admin-booking-new#client-matches", f)
}

// showHandTimes is POST /admin/bookings/new/times (service, location,
// date; GET with them in the query too): the day's free times, the
// fragment htmx swaps in when the service, place or day changes (the whole
// form without htmx). htmx posts the whole form, notes and all, so that
// none of it goes into an address.
func (h *Handler) showHandTimes(c echo.Context) error {
	if !isFragment(c) {
		return h.showNewBooking(c)
	}
	f, err := h.newBookingFromQuery(c)
	if err != nil {
		return err
	}
	return h.renderFragment(c, http.StatusOK, "admin-booking-new#free-times", f)
}

// newBookingFromQuery is the form as sent back (posted, or in the address
// from the diary's links): what was typed, the clients found for q (the
// one chosen, client=N, filled in) and the free times of the day.
func (h *Handler) newBookingFromQuery(c echo.Context) (handBookingForm, error) {
	ctx := c.Request().Context()
	f := handBookingForm{Errors: map[string]string{}, Submission: c.FormValue(submissionField)}
	if !submissionPattern.MatchString(f.Submission) {
		f.Submission = newSubmission()
	}
	f.readFields(c)
	if f.Place == "" {
		f.Place = c.FormValue("place")
	}
	if f.Place != db.PlaceMobile {
		f.Place = db.PlaceStudio
	}
	f.SendMail = c.FormValue("mail_choice") == "" || c.FormValue("send_mail") != ""
	f.Query = strings.TrimSpace(formValue(c, "q"))
	if len([]rune(f.Query)) > 100 {
		f.Query = string([]rune(f.Query)[:100])
	}
	if f.Query != "" {
		var err error
		if f.Clients, err = db.SearchPastClients(ctx, h.db, f.Query, maxClientsFound); err != nil {
			return f, err
		}
		f.Searched = true
		if i, err := strconv.Atoi(c.FormValue("client")); err == nil && i >= 0 && i < len(f.Clients) {
			p := f.Clients[i]
			f.Name, f.Email, f.Phone, f.Address, f.Postcode = p.Name, p.Email, p.Phone, p.Address, p.Postcode
			f.Clients, f.Searched, f.Query = nil, false, ""
		}
	}
	return f, h.handTimes(ctx, &f)
}

// readFields reads what was typed, as typed (readHandBooking checks it).
func (f *handBookingForm) readFields(c echo.Context) {
	f.ServiceID, _ = strconv.ParseInt(c.FormValue("service"), 10, 64)
	f.Place, f.Date = c.FormValue("location"), formValue(c, "date")
	f.Time = formValue(c, "time")
	if other := formValue(c, "other_time"); f.Time == "other" || (f.Time == "" && other != "") {
		f.Time, f.Other = other, true
	}
	f.Name, f.Email, f.Phone = formValue(c, "name"), formValue(c, "email"), formValue(c, "phone")
	f.Address, f.Postcode, f.Notes = formValue(c, "address"), formValue(c, "postcode"), formValue(c, "notes")
}

// handTimes fills in the free times of f's day for its service and place:
// what the online picker would offer (booking.Desk.FreeTimes), without the
// minimum notice and however far ahead the day is.
func (h *Handler) handTimes(ctx context.Context, f *handBookingForm) error {
	day := dayParam(f.Date)
	svcs, err := h.facts.services.Get(ctx)
	if err != nil {
		return err
	}
	f.Services = svcs
	i := slices.IndexFunc(svcs, func(s db.Service) bool { return s.ID == f.ServiceID })
	if day.IsZero() || i < 0 {
		return nil
	}
	svc := svcs[i]
	f.Day, f.TimesFor = day.Format("Monday 2 January"), true
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	end := day.AddDate(0, 0, 1)
	r.Settings.Notice = 0
	r.Settings.Horizon = max(r.Settings.Horizon, end.Sub(h.now()))
	free, err := h.freeSlots(ctx, r, svc, f.Place, day, end, nil, h.now())
	if err != nil {
		return err
	}
	f.Times = nil
	for _, t := range free {
		f.Times = append(f.Times, t.In(views.London).Format("15:04"))
	}
	if f.Time != "" && !slices.Contains(f.Times, f.Time) {
		f.Other = true
	}
	return nil
}

func (h *Handler) renderNewBooking(c echo.Context, status int, f handBookingForm) error {
	f.Now = h.now()
	if f.Services == nil {
		svcs, err := h.activeServices(c)
		if err != nil {
			return err
		}
		f.Services = svcs
	}
	p, err := h.adminPage(c, "Add a booking", f)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-booking-new", "", p)
}

// addBooking is POST /admin/bookings: a booking taken by phone or in
// person. A time in her hours and free is booked. One that overlaps an
// appointment or a hold (with its buffer and travel time) is refused,
// naming what is there; the exclusion constraint is the final guard. One
// outside her hours (or in her time off) is booked only once she confirms
// it. The minimum notice and how far ahead do not apply: they are rules
// for clients. The client gets the usual confirmation if they have an
// e-mail address and she left "Send the confirmation e-mail" ticked.
func (h *Handler) addBooking(c echo.Context) error {
	ctx := c.Request().Context()
	if formValue(c, "q") != "" && formValue(c, "name") == "" && formValue(c, "email") == "" && formValue(c, "phone") == "" {
		// Enter in the search box without JavaScript sends the form with
		// its first button, Add: with words to find and no one to book,
		// she meant Find.
		return h.showNewBooking(c)
	}
	f, svc, start, err := h.readHandBooking(c)
	if err != nil {
		return err
	}
	fail := func(status int) error {
		if err := h.handTimes(ctx, &f); err != nil {
			return err
		}
		return h.renderNewBooking(c, status, f)
	}
	if len(f.Errors) > 0 {
		return fail(http.StatusUnprocessableEntity)
	}
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	r.Settings.Notice, r.Settings.Horizon = 0, 2*365*24*time.Hour
	if !start.After(h.now()) || start.After(h.now().Add(r.Settings.Horizon)) {
		f.Notice = "That time has passed, or is more than two years away. Please choose another."
		return fail(http.StatusConflict)
	}
	b := booking.NewBooking(svc, f.Place, start, r)
	// What is in the way may be this form's own booking, made by a twin
	// sent a moment before (a double click): then its page is the answer.
	if msg, err := h.overlapNotice(ctx, b); err != nil || msg != "" {
		if done, err2 := h.sentBefore(c); done || err2 != nil || err != nil {
			return cmp.Or(err, err2)
		}
		f.Notice = msg
		return fail(http.StatusConflict)
	}
	week := mondayOf(start)
	req, err := h.slotRequest(ctx, r, svc, f.Place, week, week.AddDate(0, 0, 7), nil, h.now())
	if err != nil {
		return err
	}
	// Off the step grid is fine when she types a time: only the hours and
	// time off are asked about (the overlap was checked above).
	req.Settings.Step, req.Busy = time.Minute, nil
	// Outside her hours, or a mobile visit outside the area she covers:
	// hers to decide, once she has been asked.
	var outside []string
	if !schedule.Fits(req, start) {
		outside = append(outside, outsideHours(r, svc, f.Place, start, req.TimeOff))
	}
	if f.Place == db.PlaceMobile {
		var area *booking.AreaError
		if _, err := booking.CheckPostcode(r.Schedule, f.Postcode); errors.As(err, &area) && area.District != "" {
			outside = append(outside, "outside the area of mobile visits ("+area.District+"; you cover "+strings.Join(area.Districts, ", ")+")")
		}
	}
	if len(outside) > 0 && !f.ConfirmOutside {
		if done, err := h.sentBefore(c); done || err != nil {
			return err
		}
		f.Outside = "That is " + strings.Join(outside, ", and ") + " — book anyway?"
		return fail(http.StatusConflict)
	}
	token := randomToken()
	b.ClientName, b.ClientEmail, b.ClientPhone = f.Name, f.Email, f.Phone
	b.Address, b.Postcode, b.Notes, b.ManageTokenHash = f.Address, f.Postcode, f.Notes, tokenHash(token)
	booking.Snapshot(b, r.Schedule)
	var page string
	err = booking.Retry(func() (err error) {
		page, err = h.once(c, func(ctx context.Context, tx bun.Tx) (string, error) {
			if err := h.desk.BookByHand(ctx, tx, b, f.SendMail, h.manageURL(token)); err != nil {
				return "", err
			}
			return adminPath + "/bookings/" + strconv.FormatInt(b.ID, 10), nil
		})
		return err
	})
	switch {
	case errors.Is(err, booking.ErrTaken):
		if done, err := h.sentBefore(c); done || err != nil {
			return err
		}
		msg, err := h.overlapNotice(ctx, b)
		if err != nil {
			return err
		}
		f.Notice = cmp.Or(msg, "Someone has just booked that time online. Please choose another.")
		return fail(http.StatusConflict)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, page)
}

// overlapNotice names the appointment or hold in the way of b, with its
// buffer and travel time; "" when nothing is.
func (h *Handler) overlapNotice(ctx context.Context, b *db.Booking) (string, error) {
	o, err := db.Overlapping(ctx, h.db, b.BlockedFrom, b.BlockedTo, h.now())
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	when := hhmm(o.StartsAt) + "–" + hhmm(o.EndsAt)
	if o.Status == db.BookingHeld && o.Offered {
		return fmt.Sprintf("That time overlaps %s %s, which is offered to someone on the waiting list until %s. Please choose another.",
			o.ServiceName, when, hhmm(*o.HoldExpiresAt)), nil
	}
	if o.Status == db.BookingHeld {
		return fmt.Sprintf("That time overlaps %s %s, which a client is booking online now (held until %s). Please choose another.",
			o.ServiceName, when, hhmm(*o.HoldExpiresAt)), nil
	}
	gap := ""
	if !o.BlockedFrom.Equal(o.StartsAt) || !o.BlockedTo.Equal(o.EndsAt) || !b.BlockedFrom.Equal(b.StartsAt) || !b.BlockedTo.Equal(b.EndsAt) {
		gap = " (with the buffer and travel time between them)"
	}
	return fmt.Sprintf("That time overlaps %s’s %s %s%s. Please choose another.", o.ClientName, o.ServiceName, when, gap), nil
}

// outsideHours says why start is not in her hours ("outside your hours
// (…)"): that day's hours at
// the place, and any time off in the way.
func outsideHours(r bookingRules, svc db.Service, place string, start time.Time, off []schedule.Range) string {
	local := start.In(views.London)
	var ranges []string
	for _, wh := range r.Hours {
		if wh.Weekday == local.Weekday() && string(wh.Place) == place {
			ranges = append(ranges, clockOf(int(wh.From))+"–"+clockOf(int(wh.To)))
		}
	}
	where := "studio"
	if place == db.PlaceMobile {
		where = "mobile visits"
	}
	why := "no " + where + " hours on " + local.Format("Monday") + "s"
	if len(ranges) > 0 {
		why = local.Format("Monday") + ", " + where + " " + strings.Join(ranges, ", ")
	}
	end := start.Add(time.Duration(svc.DurationMin) * time.Minute)
	for _, t := range off {
		if t.Start.Before(end) && t.End.After(start) {
			why += "; time off " + hhmm(t.Start) + "–" + hhmm(t.End)
		}
	}
	return "outside your hours (" + why + ")"
}

// hhmm is t as a London wall clock, 15:04.
func hhmm(t time.Time) string { return t.In(views.London).Format("15:04") }

// readHandBooking reads and checks the form; mistakes go in f.Errors.
func (h *Handler) readHandBooking(c echo.Context) (f handBookingForm, svc db.Service, start time.Time, err error) {
	f = handBookingForm{Errors: map[string]string{}, Submission: postedSubmission(c)}
	f.readFields(c)
	f.ConfirmOutside = c.FormValue("outside") == "1"
	f.SendMail = c.FormValue("mail_choice") == "" || c.FormValue("send_mail") != ""
	f.Query = formValue(c, "q")
	for name, max := range map[string]int{"date": 10, "name": maxFieldLen, "email": maxFieldLen, "phone": 40,
		"address": maxFieldLen, "postcode": 12, "notes": maxNotesLen} {
		formText(c, f.Errors, name, max)
	}
	if len([]rune(f.Time)) > 5 {
		f.Errors["time"] = "Please give the start time as 14:30."
	}

	svcs, err := h.activeServices(c)
	if err != nil {
		return f, svc, start, err
	}
	found := false
	for _, s := range svcs {
		if s.ID == f.ServiceID {
			svc, found = s, true
		}
	}
	switch {
	case !found:
		f.Errors["service"] = "Please choose a service."
	case f.Place != db.PlaceStudio && f.Place != db.PlaceMobile:
		f.Errors["location"] = "Please choose the studio or a mobile visit."
	case f.Place == db.PlaceStudio && !svc.AtStudio, f.Place == db.PlaceMobile && !svc.Mobile:
		f.Errors["location"] = "This service is not offered there."
	}
	start, terr := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.Time, views.London)
	if terr != nil || start.Year() < 2000 || start.Year() > 2999 {
		f.Errors["time"] = "Please give the date and the start time."
	} else if start.In(views.London).Format("15:04") != f.Time { // a time the clocks skip
		f.Errors["time"] = "That time does not exist on that day (the clocks go forward)."
	}
	if f.Name == "" {
		f.Errors["name"] = "Please enter the client's name."
	}
	if f.Email != "" {
		if !validEmail(f.Email) {
			f.Errors["email"] = "This does not look like an email address. Leave it empty if the client has none."
		}
	}
	switch {
	case f.Email == "" && f.Phone == "":
		f.Errors["phone"] = "Please give a phone number or an email address, to reach the client."
	case f.Phone != "" && !validPhone(f.Phone):
		f.Errors["phone"] = "This does not look like a phone number (10 to 15 digits). Leave it empty if the client gave none."
	}
	if f.Place == db.PlaceMobile {
		if f.Address == "" {
			f.Errors["address"] = "Please enter the address to visit."
		}
		if district, normal := booking.PostcodeDistrict(f.Postcode); district == "" {
			f.Errors["postcode"] = "Please enter the full postcode, such as PE27 5AB."
		} else {
			f.Postcode = normal
		}
	}
	return f, svc, start, nil
}
