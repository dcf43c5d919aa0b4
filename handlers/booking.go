package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/links"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// The booking flow's session key, limits and formats.
const (
	holdKey      = "hold_key"   // the random key that owns this visitor's hold
	tokenBytes   = 24           // 192 random bits in a manage link
	maxFieldLen  = 200          // name, email, phone, address
	maxNotesLen  = 2000         // notes and health details
	bookingsPath = links.Manage // manage pages, followed by the token
	dateTimeFmt  = "Monday 2 January 2006, 15:04"
)

// healthQuestions are the questionnaire: what matters before a massage.
var healthQuestions = []struct{ Key, Question string }{
	{"injury", "Have you had an injury or surgery in the last three months?"},
	{"clots", "Have you ever had a blood clot (such as a DVT), or a bleeding disorder?"},
	{"skin", "Do you have a skin condition, rash, wound or infection near the area to be treated?"},
	{"pregnancy", "Are you pregnant?"},
	{"medication", "Are you taking medication (for example blood thinners or painkillers)?"},
}

// bookingForm is the details form and what was typed into it.
type bookingForm struct {
	ServiceID int64
	Service   db.Service
	Place     string
	Start     string // RFC 3339
	StartText string // "Thursday 26 November 2026, 09:00"
	HeldUntil string // "14:32", while this visitor holds the time
	HoldMin   int

	Name, Email, Phone, Address, Postcode, Notes string
	Health                                       []healthAnswer
	ConsentPolicy, ConsentHealth                 bool

	// What the client is about to book, in full: until when, the price,
	// where the studio is, and until when it can be cancelled online.
	EndText      string // "10:00"
	PricePence   int
	Practice     db.Business
	CancelUntil  string // "Wednesday 25 November, 09:00"
	CutoffHours  int
	InsideCutoff bool // booked now, it could no longer be cancelled online
	LateMove     bool // moving stays possible inside the cut-off

	// Where the client goes to change the service, place or time (the
	// picker on the chosen day, the held time still chosen), and what the
	// flow carries: a visit's postcode and a "Book again" link's token.
	ChangeURL  string
	Again      string
	HealthNone bool // "none of these apply to me"
	CanRefill  bool // a "Book again" whose booking has health answers to fill in

	Policy    string
	Errors    map[string]string
	Notice    string       // about the time (just taken, hold ended)
	Alternate []pickerSlot // other free times that day and week, when the chosen one was taken
}

type healthAnswer struct {
	Key, Question string
	Answer        string // "yes", "no" or ""
	Details       string
}

// holdOwner is the hash of this visitor's hold key (nil if they have none).
func (h *Handler) holdOwner(c echo.Context) []byte { return h.sessionKeyHash(c, holdKey) }

func (h *Handler) ensureHoldOwner(c echo.Context) []byte { return h.ensureSessionKey(c, holdKey) }

// randomToken is a new manage link's token (see links.NewToken).
func randomToken() string { return links.NewToken() }

// derivedToken is the manage token of this session's booking of key
// (start|service|place), with the booking that has it if there is one. It
// is derived from the session's secret hold key (192 random bits, kept only
// in the session), so that twin requests of one session — a double click —
// compute the same token, and the one that loses the race finds the booking
// its twin made instead of hearing that someone else took the time.
func (h *Handler) derivedToken(ctx context.Context, key string) (token string, b db.Booking, found bool, err error) {
	hk := h.sessions.GetString(ctx, holdKey)
	if hk == "" {
		return randomToken(), b, false, nil
	}
	// The site's own key goes in too: the sessions table alone (a backup)
	// is not enough to work out anyone's manage link.
	secret, err := h.siteKey(ctx, "manage-token")
	if err != nil {
		return "", b, false, err
	}
	mac := hmac.New(sha256.New, append(secret, hk...))
	mac.Write([]byte("manage|" + key))
	token = base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:tokenBytes])
	switch b, err = db.BookingByToken(ctx, h.db, tokenHash(token)); {
	case errors.Is(err, sql.ErrNoRows):
		return token, b, false, nil
	case err != nil:
		return "", b, false, err
	}
	return token, b, true, nil
}

func tokenHash(token string) []byte { return db.HashToken(token) }

// manageURL is the address of a booking's manage page with token.
func (h *Handler) manageURL(token string) string {
	return links.ManageURL(h.cfg.BaseURL.String(), token)
}

// slotState is what the server makes of a chosen time.
type slotState int

const (
	slotFree    slotState = iota // on the schedule and free for this visitor
	slotTaken                    // on the schedule, but someone else holds or booked it
	slotClosed                   // not a time that can be booked: outside the hours, notice or horizon, off the step, or no time at all
	slotInvalid                  // no such service or place, or the service is not offered there
)

// chosenSlot reads service, location and start from a form and checks them
// against the schedule and the database now: the slot a client sends is
// never trusted. start is zero when none was sent or it is not RFC 3339.
func (h *Handler) chosenSlot(c echo.Context) (svc db.Service, place string, start time.Time, state slotState, err error) {
	services, err := h.activeServices(c)
	if err != nil {
		return
	}
	id, _ := strconv.ParseInt(c.FormValue("service"), 10, 64)
	for _, s := range services {
		if s.ID == id {
			svc = s
		}
	}
	place = c.FormValue("location")
	if svc.ID == 0 || (place != db.PlaceStudio && place != db.PlaceMobile) ||
		(place == db.PlaceStudio && !svc.AtStudio) || (place == db.PlaceMobile && !svc.Mobile) {
		return svc, place, time.Time{}, slotInvalid, nil
	}
	start, perr := time.Parse(time.RFC3339, c.FormValue("start"))
	if perr != nil {
		return svc, place, time.Time{}, slotClosed, nil
	}
	start = start.UTC()
	ctx := c.Request().Context()
	r, err := h.bookingRules(ctx)
	if err != nil {
		return
	}
	now, owner := h.now(), h.holdOwner(c)
	// A time held for this visitor is theirs while the hold runs: the
	// notice counts from when they chose it, so that the few minutes spent
	// on the form do not make the soonest times "too soon".
	if held, herr := h.desk.HeldBy(ctx, owner); herr == nil && held.StartsAt.Equal(start) && held.Place == place && held.ServiceID == svc.ID {
		now = held.CreatedAt
	}
	if !booking.Bookable(start, now, r) {
		// Nothing fits outside the notice and the horizon: no need to ask
		// the database (which knows no year 0 either).
		return svc, place, start, slotClosed, nil
	}
	day := mondayOf(start)
	req, err := h.slotRequest(ctx, r, svc, place, day, day.AddDate(0, 0, 7), owner, now)
	if err != nil {
		return
	}
	switch {
	case schedule.Fits(req, start):
		state = slotFree
	case fitsWhenFree(req, start):
		state = slotTaken
	default:
		state = slotClosed
	}
	return svc, place, start, state, nil
}

// fitsWhenFree reports whether start would fit if nothing were booked: a
// time on the schedule that someone else has, as against one never offered.
func fitsWhenFree(req schedule.Request, start time.Time) bool {
	req.Busy = nil
	return schedule.Fits(req, start)
}

// holdSlot is POST /book/hold: the visitor chose a time; hold it for them
// and show the details form. A time that is no longer free gets the picker
// again with the news and fresh times (409).
func (h *Handler) holdSlot(c echo.Context) error {
	// The limit comes first: a refused request costs the database nothing.
	if wait := h.limits.booking.take(limitKey(c.RealIP()), h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return h.pickerAgain(c, http.StatusTooManyRequests, fmt.Sprintf("Many times were chosen from your connection in a short while. Please wait %s and try again.", roundWait(wait)))
	}
	svc, place, start, state, err := h.chosenSlot(c)
	if err != nil {
		return err
	}
	switch {
	case state == slotInvalid:
		return h.pickerAgain(c, http.StatusUnprocessableEntity, "Please choose a service, a place and a time.")
	case state == slotClosed && start.IsZero():
		return h.pickerAgain(c, http.StatusUnprocessableEntity, "Please choose a time.")
	case state == slotClosed:
		return h.pickerAgain(c, http.StatusUnprocessableEntity, "That time cannot be booked online. Here are the free times.")
	case state == slotTaken:
		return h.pickerAgain(c, http.StatusConflict, "That time is no longer free. Here are the free times now.")
	}
	r, err := h.bookingRules(c.Request().Context())
	if err != nil {
		return err
	}
	b := booking.NewBooking(svc, place, start, r)
	b.HoldOwner = h.ensureHoldOwner(c)
	// Holds count per address too, so that dropping cookies cannot fill
	// the diary with holds.
	if b.HoldIP, err = h.ipHash(c.Request().Context(), limitKey(c.RealIP())); err != nil {
		return err
	}
	switch err := h.desk.Hold(c.Request().Context(), b, time.Duration(r.Schedule.HoldMin)*time.Minute); {
	case errors.Is(err, booking.ErrTaken):
		return h.pickerAgain(c, http.StatusConflict, "Someone else has just chosen that time. Here are the free times now.")
	case errors.Is(err, booking.ErrTooManyHolds):
		return h.pickerAgain(c, http.StatusTooManyRequests, fmt.Sprintf(
			"Several times are already being held from your connection. Please finish or cancel one of those bookings, or wait up to %d minutes, and try again.",
			r.Schedule.HoldMin))
	case err != nil:
		return err
	}
	to := detailsURL(svc.ID, place, start, c.FormValue("postcode"), c.FormValue("again"))
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, to)
	}
	f := h.formFor(c, b, r)
	if err := h.fillFromFlow(c, &f); err != nil {
		return err
	}
	h.restoreDraft(c, &f)
	c.Response().Header().Set("HX-Push-Url", to)
	return h.renderFragment(c, http.StatusOK, "book-details#details-flow", f)
}

// detailsURL is the address of the details step for a time: it survives
// reload, Back and Forward, and says what it is about without the session.
func detailsURL(svc int64, place string, start time.Time, postcode, again string) string {
	q := choice(svc, place, postcode, again)
	q.Set("start", start.UTC().Format(time.RFC3339))
	return "/book/details?" + q.Encode()
}

// changeURL is the picker on the day of start, with this choice.
func changeURL(svc int64, place string, start time.Time, postcode, again string) string {
	q := choice(svc, place, postcode, again)
	if !start.IsZero() {
		q.Set("date", start.In(views.London).Format(time.DateOnly))
	}
	return "/book?" + q.Encode()
}

// fillFromFlow fills in what the flow brought to the details form: the
// postcode a visit was checked for, and from a "Book again" link (and only
// from one) the name, e-mail, phone and visit address of that booking.
// Its health answers are filled in only when the client asks (refill).
func (h *Handler) fillFromFlow(c echo.Context, f *bookingForm) error {
	if pc := c.FormValue("postcode"); f.Place == db.PlaceMobile && f.Postcode == "" && len(pc) <= 12 {
		f.Postcode = pc
	}
	f.ChangeURL = changeURL(f.ServiceID, f.Place, mustParse(f.Start), f.Postcode, "")
	again := c.FormValue("again")
	if !validToken(again) {
		return nil
	}
	prev, err := db.BookingByToken(c.Request().Context(), h.db, tokenHash(again))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	f.Again = again
	f.ChangeURL = changeURL(f.ServiceID, f.Place, mustParse(f.Start), f.Postcode, again)
	f.CanRefill = len(prev.Health) > 0
	if f.Name == "" && f.Email == "" {
		f.Name, f.Email, f.Phone = prev.ClientName, prev.ClientEmail, prev.ClientPhone
		if f.Place == db.PlaceMobile && prev.Place == db.PlaceMobile && f.Address == "" {
			f.Address = prev.Address
			if f.Postcode == "" {
				f.Postcode = prev.Postcode
			}
		}
	}
	return nil
}

// refillHealth puts the answers of the "Book again" booking into the form,
// to confirm or change: only when the client asked for them on this form.
func (h *Handler) refillHealth(c echo.Context, f *bookingForm) error {
	prev, err := db.BookingByToken(c.Request().Context(), h.db, tokenHash(f.Again))
	if err != nil || f.Again == "" {
		return nil // no such booking: nothing to fill in
	}
	for i := range f.Health {
		a := &f.Health[i]
		if m, ok := prev.Health[a.Key].(map[string]any); ok {
			a.Answer, _ = m["answer"].(string)
			a.Details, _ = m["details"].(string)
		}
	}
	return nil
}

func mustParse(rfc3339 string) time.Time {
	t, _ := time.Parse(time.RFC3339, rfc3339)
	return t
}

// pickerAgain answers with the picker (or the booking page) and a message.
func (h *Handler) pickerAgain(c echo.Context, status int, message string) error {
	d, err := h.picker(c, message)
	if err != nil {
		return err
	}
	if isFragment(c) {
		c.Response().Header().Set("HX-Push-Url", d.Base+"?"+d.dayQuery(d.Day))
		return h.renderFragment(c, status, "book#book-flow", d)
	}
	return h.renderBook(c, status, d)
}

// formFor is an empty details form for a held booking.
func (h *Handler) formFor(c echo.Context, b *db.Booking, r bookingRules) bookingForm {
	f := bookingForm{
		ServiceID: b.ServiceID, Place: b.Place, Start: b.StartsAt.UTC().Format(time.RFC3339),
		StartText: b.StartsAt.In(views.London).Format(dateTimeFmt), HoldMin: r.Schedule.HoldMin,
		Policy: r.Schedule.CancellationPolicy, Errors: map[string]string{},
		EndText: b.EndsAt.In(views.London).Format("15:04"), PricePence: b.PricePence,
		CutoffHours: r.Schedule.CancelCutoffHours, LateMove: r.Schedule.LateMoveAllowed,
	}
	f.ChangeURL = changeURL(b.ServiceID, b.Place, b.StartsAt, "", "")
	cutoff := booking.CutoffFor(b.StartsAt, r.Schedule)
	f.CancelUntil = cutoff.In(views.London).Format("Monday 2 January, 15:04")
	f.InsideCutoff = !h.now().Before(cutoff)
	if biz, err := h.business(c); err == nil {
		f.Practice = biz
	}
	if b.HoldExpiresAt != nil {
		f.HeldUntil = b.HoldExpiresAt.In(views.London).Format("15:04")
		if b.HoldExpiresAt.Sub(h.now()) > time.Duration(r.Schedule.HoldMin+1)*time.Minute {
			f.HoldMin = 0 // a longer hold (a time offered from the waitlist): the time it ends says it all
		}
	}
	if services, err := h.activeServices(c); err == nil {
		for _, s := range services {
			if s.ID == b.ServiceID {
				f.Service = s
			}
		}
	}
	for _, q := range healthQuestions {
		f.Health = append(f.Health, healthAnswer{Key: q.Key, Question: q.Question})
	}
	return f
}

// showDetails is GET /book/details?service=…&location=…&start=…: the
// details form for that time. Held by this visitor, it says until when;
// free but not held (a reload after the hold ended, a shared address), the
// form still books it if it is free when sent; taken or not bookable, other
// times of that day are offered. Without a time, the visitor's hold (the
// old address), or back to choosing one.
func (h *Handler) showDetails(c echo.Context) error {
	ctx := c.Request().Context()
	owner := h.holdOwner(c)
	held, herr := h.desk.HeldBy(ctx, owner)
	if herr != nil && !errors.Is(herr, sql.ErrNoRows) {
		return herr
	}
	if c.QueryParam("start") == "" {
		if herr != nil || owner == nil {
			return c.Redirect(http.StatusSeeOther, "/book")
		}
		// The hold's own form (a waitlist offer's link leads here).
		q := c.Request().URL.Query()
		q.Set("service", strconv.FormatInt(held.ServiceID, 10))
		q.Set("location", held.Place)
		q.Set("start", held.StartsAt.UTC().Format(time.RFC3339))
		c.Request().URL.RawQuery = q.Encode()
	}
	svc, place, start, state, err := h.chosenSlot(c)
	if err != nil {
		return err
	}
	if state == slotInvalid {
		return c.Redirect(http.StatusSeeOther, "/book")
	}
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	b := booking.NewBooking(svc, place, start, r)
	isHeld := herr == nil && owner != nil && held.StartsAt.Equal(start) && held.ServiceID == svc.ID && held.Place == place
	if isHeld {
		b = &held
	}
	f := h.formFor(c, b, r)
	if err := h.fillFromFlow(c, &f); err != nil {
		return err
	}
	h.restoreDraft(c, &f)
	switch {
	case state == slotTaken:
		return h.timeTaken(c, f, svc, place, start, r)
	case state == slotClosed:
		return h.timeClosed(c, f, svc, place, start, r)
	case isHeld:
		// A time offered from the waitlist: they told us who they are then.
		switch _, e, err := db.OfferForHold(ctx, h.db, held.ID); {
		case err == nil:
			f.Name, f.Email, f.Postcode = e.Name, e.Email, e.Postcode
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	default:
		f.Notice = "This time is free, but no longer held for you: it is booked for you if it is still free when you send this form."
	}
	return h.renderDetails(c, http.StatusOK, f)
}

func (h *Handler) renderDetails(c echo.Context, status int, f bookingForm) error {
	if isFragment(c) {
		return h.renderFragment(c, status, "book-details#details-flow", f)
	}
	p, err := h.page(c, "Your details", "", f)
	if err != nil {
		return err
	}
	p.NoIndex = true
	// Its address can carry a visit's postcode or a "Book again" token.
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return h.render(c, status, "book-details", "", p)
}

// releaseHold is POST /book/release: "Choose another time" gives the time
// back at once.
func (h *Handler) releaseHold(c echo.Context) error {
	if owner := h.holdOwner(c); owner != nil {
		if err := h.desk.Release(c.Request().Context(), owner); err != nil {
			return err
		}
	}
	q := "?service=" + url.QueryEscape(c.FormValue("service")) + "&location=" + url.QueryEscape(c.FormValue("location"))
	if isFragment(c) {
		c.Response().Header().Set("HX-Location", "/book"+q)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/book"+q)
}

// readBookingForm reads and checks the details form.
func (h *Handler) readBookingForm(c echo.Context, f *bookingForm, r bookingRules) {
	val := func(name string, max int) string { return formText(c, f.Errors, name, max) }
	f.Name, f.Email, f.Phone = val("name", maxFieldLen), val("email", maxFieldLen), val("phone", 40)
	f.Address, f.Postcode, f.Notes = val("address", maxFieldLen), val("postcode", 12), val("notes", maxNotesLen)
	f.ConsentPolicy, f.ConsentHealth = c.FormValue("consent_policy") == "yes", c.FormValue("consent_health") == "yes"
	if f.Name == "" {
		f.Errors["name"] = "Please enter your name."
	}
	if !validEmail(f.Email) {
		f.Errors["email"] = "Please enter your email address, like name@example.com: your confirmation goes there."
	}
	if !validPhone(f.Phone) {
		f.Errors["phone"] = "Please enter a phone number we can reach you on, such as 07700 900123."
	}
	if f.Place == db.PlaceMobile {
		if f.Address == "" {
			f.Errors["address"] = "Please enter the address to visit."
		}
		if normal, err := booking.CheckPostcode(r.Schedule, f.Postcode); err != nil {
			f.Errors["postcode"] = err.Error()
		} else {
			f.Postcode = normal
		}
	}
	f.HealthNone = c.FormValue("health_none") == "yes"
	for i := range f.Health {
		a := &f.Health[i]
		a.Answer = c.FormValue("health_" + a.Key)
		if a.Answer == "" && f.HealthNone {
			a.Answer = "no" // "none of these apply to me" answers what was left unanswered
		}
		a.Details = val("health_"+a.Key+"_details", maxNotesLen)
		switch {
		case a.Answer != "yes" && a.Answer != "no":
			f.Errors["health_"+a.Key] = "Please answer yes or no."
		case a.Answer == "yes" && a.Details == "":
			f.Errors["health_"+a.Key+"_details"] = "Please say a little more, so that the treatment can be adapted."
		}
	}
	if !f.ConsentPolicy {
		f.Errors["consent_policy"] = "Please agree to the cancellation policy to book."
	}
	if !f.ConsentHealth {
		f.Errors["consent_health"] = "Please agree to the practice keeping your health answers, which it needs to treat you safely."
	}
}

// book is POST /book: it re-checks the time and the details on the server
// and confirms the booking, then 303 to its manage page. Mistakes come back
// next to their fields with everything kept; a time taken meanwhile comes
// back with other free times to choose from, the details still filled in.
// Sending the same form twice makes one booking.
func (h *Handler) book(c echo.Context) error {
	ctx := c.Request().Context()
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	// A second click on "Book": the booking exists already (unless it was
	// cancelled since, when this is a new booking).
	key := c.FormValue("start") + "|" + c.FormValue("service") + "|" + c.FormValue("location")
	if token, b, found, err := h.derivedToken(ctx, key); err != nil {
		return err
	} else if st, perr := time.Parse(time.RFC3339, c.FormValue("start")); found && perr == nil &&
		b.Status != db.BookingCancelled && b.StartsAt.Equal(st) {
		return c.Redirect(http.StatusSeeOther, bookedURL(token))
	}
	svc, place, start, state, err := h.chosenSlot(c)
	if err != nil {
		return err
	}
	if state == slotInvalid {
		return h.pickerAgain(c, http.StatusUnprocessableEntity, "Please choose a service, a place and a time.")
	}
	b := booking.NewBooking(svc, place, start, r)
	f := h.formFor(c, b, r)
	h.readBookingForm(c, &f, r)
	if err := h.fillFromFlow(c, &f); err != nil {
		return err
	}
	if c.FormValue("change") != "" {
		return h.changeChoice(c, f)
	}

	owner := h.holdOwner(c)
	held, herr := h.desk.HeldBy(ctx, owner)
	if herr == nil && held.StartsAt.Equal(start) && held.ServiceID == svc.ID && held.Place == place {
		f.HeldUntil = held.HoldExpiresAt.In(views.London).Format("15:04")
	} else {
		f.HeldUntil = ""
	}
	if c.FormValue("fill") == "last" {
		// "Fill in my answers from last time": the form again, everything
		// typed kept, last time's health answers in place to confirm or change.
		if err := h.refillHealth(c, &f); err != nil {
			return err
		}
		f.Errors, f.HealthNone = map[string]string{}, false
		return h.renderDetails(c, http.StatusOK, f)
	}
	// A time someone has: this visitor, in a twin request (a double click
	// on Book sends the form twice at once), or someone else.
	taken := func() error {
		if token, twin, found, err := h.derivedToken(ctx, key); err != nil {
			return err
		} else if found && twin.Status != db.BookingCancelled && twin.StartsAt.Equal(start) {
			return c.Redirect(http.StatusSeeOther, bookedURL(token))
		}
		return h.timeTaken(c, f, svc, place, start, r)
	}
	switch state {
	case slotTaken:
		return taken()
	case slotClosed:
		return h.timeClosed(c, f, svc, place, start, r)
	}
	if len(f.Errors) > 0 {
		return h.renderDetails(c, http.StatusUnprocessableEntity, f)
	}
	ip := limitKey(c.RealIP())
	if wait := h.limits.booking.take(ip, h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.Notice = fmt.Sprintf("Many bookings were made from your connection in a short while. Please wait %s and send this again; everything you typed is kept.", roundWait(wait))
		return h.renderDetails(c, http.StatusTooManyRequests, f)
	}
	// Each booking mails the address typed into it: an address makes a few
	// an hour (counted when made: one not made is given back below).
	if wait := h.limits.newBooking.take(ip, h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.Notice = tooManyBookingsNotice(f.Practice, wait)
		return h.renderDetails(c, http.StatusTooManyRequests, f)
	}
	made := false
	defer func() {
		if !made {
			h.limits.newBooking.giveBack(ip, h.now())
		}
	}()

	req := booking.Request{Owner: owner, HoldID: held.ID}
	if herr != nil || f.HeldUntil == "" {
		// This visitor does not hold this time (a form posted directly,
		// or their hold lapsed): it is held in the booking's transaction.
		req.Owner, req.HoldID, req.Hold = h.ensureHoldOwner(c), 0, b
	}
	token, twin, found, err := h.derivedToken(ctx, key)
	derived := token
	switch {
	case err != nil:
		return err
	case found && twin.Status != db.BookingCancelled && twin.StartsAt.Equal(start): // a twin request booked it meanwhile
		return c.Redirect(http.StatusSeeOther, bookedURL(token))
	case found: // booked before, then cancelled or moved: this booking's link is a new one
		token = randomToken()
	}
	now := h.now()
	health := map[string]any{}
	for _, a := range f.Health {
		health[a.Key] = map[string]string{"question": a.Question, "answer": a.Answer, "details": a.Details}
	}
	req.Booking = &db.Booking{
		StartsAt:   start,
		ClientName: f.Name, ClientEmail: f.Email, ClientPhone: f.Phone, Address: f.Address, Postcode: f.Postcode,
		Notes: f.Notes, Health: health, ConsentAt: &now, ManageTokenHash: tokenHash(token),
	}
	booking.Snapshot(req.Booking, r.Schedule)
	req.Twin, req.ManageURL = tokenHash(derived), h.manageURL(token)
	switch err := h.desk.Book(ctx, req); {
	case errors.Is(err, booking.ErrTwinBooked):
		return c.Redirect(http.StatusSeeOther, bookedURL(derived))
	case errors.Is(err, booking.ErrTaken), errors.Is(err, booking.ErrHoldGone):
		return taken()
	case errors.Is(err, booking.ErrTooManyUpcoming):
		f.Notice = tooManyUpcomingNotice(f.Practice, f.Email, booking.MaxUpcomingPerEmail, f.HeldUntil)
		return h.renderDetails(c, http.StatusUnprocessableEntity, f)
	case err != nil:
		return err
	}
	made = true
	h.sessions.Remove(ctx, draftKey)
	return c.Redirect(http.StatusSeeOther, bookedURL(token))
}

// bookedURL is where a booking made (or found made by a twin request) is
// shown: its manage page, saying "You're booked".
func bookedURL(token string) string { return bookingsPath + token + "?booked=1" }

// timeTaken re-renders the details form, everything kept, with the news
// that the time is gone and the other free times of that week (409).
func (h *Handler) timeTaken(c echo.Context, f bookingForm, svc db.Service, place string, start time.Time, r bookingRules) error {
	f, err := h.otherTimes(c, f, svc, place, start, r)
	if err != nil {
		return err
	}
	f.Notice = "Sorry: " + start.In(views.London).Format(dateTimeFmt) + " was just taken by someone else, so nothing was booked. " +
		"Please choose another time; your details are kept."
	if len(f.Alternate) == 0 {
		f.Notice = "Sorry: that time was just taken, and nothing else is free that week. Your booking was not made; please choose another week."
	}
	return h.renderDetails(c, http.StatusConflict, f)
}

// timeClosed re-renders the details form, everything kept, when the time
// sent is not one that can be booked (or there is none), with free times to
// choose from instead (422).
func (h *Handler) timeClosed(c echo.Context, f bookingForm, svc db.Service, place string, start time.Time, r bookingRules) error {
	f, err := h.otherTimes(c, f, svc, place, start, r)
	if err != nil {
		return err
	}
	switch {
	case start.IsZero():
		f.Notice = "Please choose a time; your details are kept."
	default:
		f.Notice = "Sorry: " + start.In(views.London).Format(dateTimeFmt) + " cannot be booked online " +
			"(it is outside the opening hours, too soon or too far ahead), so nothing was booked. " +
			"Please choose another time; your details are kept."
	}
	if len(f.Alternate) == 0 {
		f.Notice += " Nothing is free that week; please choose another week."
	}
	return h.renderDetails(c, http.StatusUnprocessableEntity, f)
}

// otherTimes fills the form's other free times: those of the day of start,
// or, when that day has none or start is no time to speak of (none, past,
// beyond the horizon), of the next day with free times. The chosen time
// itself is cleared.
func (h *Handler) otherTimes(c echo.Context, f bookingForm, svc db.Service, place string, start time.Time, r bookingRules) (bookingForm, error) {
	ctx := c.Request().Context()
	now, owner := h.now(), h.holdOwner(c)
	day := startOfDay(start)
	if start.IsZero() || start.Before(now) || start.After(now.Add(r.Settings.Horizon)) {
		day = startOfDay(now)
	}
	slots, err := h.freeSlots(ctx, r, svc, place, day, day.AddDate(0, 0, 1), owner, now)
	if err != nil {
		return f, err
	}
	if len(slots) == 0 {
		first, err := h.firstFree(ctx, r, svc, place, day, owner, now, nil)
		if err != nil {
			return f, err
		}
		if !first.IsZero() {
			day = startOfDay(first)
			if slots, err = h.freeSlots(ctx, r, svc, place, day, day.AddDate(0, 0, 1), owner, now); err != nil {
				return f, err
			}
		}
	}
	for _, p := range partsOf(slots, day, "") {
		f.Alternate = append(f.Alternate, p.Slots...)
	}
	f.Start, f.StartText, f.HeldUntil = "", "", ""
	return f, nil
}
