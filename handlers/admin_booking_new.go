package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
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
}

// showNewBooking is GET /admin/bookings/new (?date= to start on a day).
func (h *Handler) showNewBooking(c echo.Context) error {
	f := handBookingForm{Place: db.PlaceStudio, Date: c.QueryParam("date"), Submission: newSubmission()}
	return h.renderNewBooking(c, http.StatusOK, f)
}

func (h *Handler) renderNewBooking(c echo.Context, status int, f handBookingForm) error {
	svcs, err := h.activeServices(c)
	if err != nil {
		return err
	}
	f.Services = svcs
	p, err := h.adminPage(c, "Add a booking", f)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-booking-new", "", p)
}

// addBooking is POST /admin/bookings: a booking taken by phone or in
// person. The time must be on the schedule and free, checked like an online
// booking (hours, time off, buffers, travel, the exclusion constraint) —
// except the minimum notice and how far ahead, which are rules for clients.
// If an email address is given the client gets the usual confirmation.
func (h *Handler) addBooking(c echo.Context) error {
	ctx := c.Request().Context()
	f, svc, start, err := h.readHandBooking(c)
	if err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return h.renderNewBooking(c, http.StatusUnprocessableEntity, f)
	}
	r, err := h.bookingRules(ctx)
	if err != nil {
		return err
	}
	r.Settings.Notice, r.Settings.Horizon = 0, 2*365*24*time.Hour
	if !start.After(h.now()) || start.After(h.now().Add(r.Settings.Horizon)) {
		f.Notice = "That time has passed, or is more than two years away. Please choose another."
		return h.renderNewBooking(c, http.StatusConflict, f)
	}
	week := mondayOf(start)
	req, err := h.slotRequest(ctx, r, svc, f.Place, week, week.AddDate(0, 0, 7), nil, h.now())
	if err != nil {
		return err
	}
	if !schedule.Fits(req, start) {
		if done, err := h.sentBefore(c); done || err != nil {
			return err
		}
		f.Notice = "That time is not free for this service: it is outside the hours or time off, or it clashes with another appointment (with its buffer and travel time)."
		return h.renderNewBooking(c, http.StatusConflict, f)
	}
	b := booking.NewBooking(svc, f.Place, start, r)
	token := randomToken()
	b.ClientName, b.ClientEmail, b.ClientPhone = f.Name, f.Email, f.Phone
	b.Address, b.Postcode, b.Notes, b.ManageTokenHash = f.Address, f.Postcode, f.Notes, tokenHash(token)
	booking.Snapshot(b, r.Schedule)
	var page string
	err = booking.Retry(func() (err error) {
		page, err = h.once(c, func(ctx context.Context, tx bun.Tx) (string, error) {
			if err := h.desk.BookByHand(ctx, tx, b, true, h.manageURL(token)); err != nil {
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
		f.Notice = "Someone has just booked that time online. Please choose another."
		return h.renderNewBooking(c, http.StatusConflict, f)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, page)
}

// readHandBooking reads and checks the form; mistakes go in f.Errors.
func (h *Handler) readHandBooking(c echo.Context) (f handBookingForm, svc db.Service, start time.Time, err error) {
	f = handBookingForm{Errors: map[string]string{}, Submission: postedSubmission(c)}
	val := func(name string, max int) string { return formText(c, f.Errors, name, max) }
	f.ServiceID, _ = strconv.ParseInt(c.FormValue("service"), 10, 64)
	f.Place, f.Date, f.Time = c.FormValue("location"), val("date", 10), val("time", 5)
	f.Name, f.Email, f.Phone = val("name", maxFieldLen), val("email", maxFieldLen), val("phone", 40)
	f.Address, f.Postcode, f.Notes = val("address", maxFieldLen), val("postcode", 12), val("notes", maxNotesLen)

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
