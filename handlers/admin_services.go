package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/money"
)

// servicesPath is the therapist's list of services.
const servicesPath = adminPath + "/services"

// adminServicesData is the services page: every service in order, and the
// form that adds one.
type adminServicesData struct {
	Services []serviceRow
	Form     serviceForm
	Errors   map[string]string
	Saved    string
}

// serviceRow is one service in the list, knowing whether it can move up
// or down.
type serviceRow struct {
	db.Service
	First, Last bool
}

// serviceForm is a service as typed: the duration in minutes and the price
// in pounds ("45" or "45.50").
type serviceForm struct {
	ID                             int64
	Name, Summary, Duration, Price string
	AtStudio, Mobile, Active       bool
	Errors                         map[string]string
	Submission                     string // a new service's submission token
}

var servicesSaved = map[string]string{
	"added": "The service is added at the end of the list.",
	"saved": "The service is saved.",
	"order": "The order is saved.",
	"on":    "The service is offered again.",
	"off":   "The service is no longer offered. Its bookings stay as they are.",
}

// showAdminServices is GET /admin/services.
func (h *Handler) showAdminServices(c echo.Context) error {
	f := serviceForm{AtStudio: true, Mobile: true, Active: true, Submission: newSubmission()}
	return h.renderAdminServices(c, http.StatusOK, f, servicesSaved[c.QueryParam("saved")])
}

func (h *Handler) renderAdminServices(c echo.Context, status int, f serviceForm, saved string) error {
	ss, err := db.ListServices(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	d := adminServicesData{Form: f, Errors: f.Errors, Saved: saved}
	for i, s := range ss {
		d.Services = append(d.Services, serviceRow{Service: s, First: i == 0, Last: i == len(ss)-1})
	}
	p, err := h.adminPage(c, "Services", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-services", "", p)
}

// addService is POST /admin/services: a new service, at the end of the list.
func (h *Handler) addService(c echo.Context) error {
	f, s := readService(c)
	if len(f.Errors) > 0 {
		return h.renderAdminServices(c, http.StatusUnprocessableEntity, f, "")
	}
	page, err := h.once(c, func(ctx context.Context, tx bun.Tx) (string, error) {
		return servicesPath + "?saved=added", db.CreateService(ctx, tx, &s)
	})
	if err != nil {
		return err
	}
	h.contentChanged()
	return c.Redirect(http.StatusSeeOther, page)
}

// adminService reads service :id, active or not, or the site's 404.
func (h *Handler) adminService(c echo.Context) (db.Service, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.Service{}, echo.ErrNotFound
	}
	s, err := db.ServiceByID(c.Request().Context(), h.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return s, echo.ErrNotFound
	}
	return s, err
}

// showEditService is GET /admin/services/:id: the edit form.
func (h *Handler) showEditService(c echo.Context) error {
	s, err := h.adminService(c)
	if err != nil {
		return err
	}
	return h.renderEditService(c, http.StatusOK, formOfService(s))
}

func (h *Handler) renderEditService(c echo.Context, status int, f serviceForm) error {
	p, err := h.adminPage(c, "Edit "+f.Name, f)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-service", "", p)
}

// saveService is POST /admin/services/:id: the edit form. Bookings already
// made keep the name, duration and price they were made with.
func (h *Handler) saveService(c echo.Context) error {
	old, err := h.adminService(c)
	if err != nil {
		return err
	}
	f, s := readService(c)
	f.ID, s.ID = old.ID, old.ID
	if len(f.Errors) > 0 {
		return h.renderEditService(c, http.StatusUnprocessableEntity, f)
	}
	if err := db.UpdateService(c.Request().Context(), h.db, s); err != nil {
		return err
	}
	h.contentChanged()
	return c.Redirect(http.StatusSeeOther, servicesPath+"?saved=saved")
}

// moveService is POST /admin/services/:id/move (dir=up or down).
func (h *Handler) moveService(c echo.Context) error {
	s, err := h.adminService(c)
	if err != nil {
		return err
	}
	dir := c.FormValue("dir")
	if dir != "up" && dir != "down" {
		return echo.NewHTTPError(http.StatusBadRequest, "Use the Up and Down buttons to move a service.")
	}
	if err := db.MoveService(c.Request().Context(), h.db, s.ID, dir == "up"); err != nil {
		return err
	}
	h.contentChanged()
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s?saved=order#service-%d", servicesPath, s.ID))
}

// setServiceActive is POST /admin/services/:id/active (active=yes or no):
// offer a service to clients, or stop offering it. A service that is not
// offered keeps its bookings, past and upcoming.
func (h *Handler) setServiceActive(c echo.Context) error {
	s, err := h.adminService(c)
	if err != nil {
		return err
	}
	on := c.FormValue("active") == "yes"
	if err := db.SetServiceActive(c.Request().Context(), h.db, s.ID, on); err != nil {
		return err
	}
	h.contentChanged()
	saved := "off"
	if on {
		saved = "on"
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s?saved=%s#service-%d", servicesPath, saved, s.ID))
}

// formOfService is a saved service as the edit form shows it.
func formOfService(s db.Service) serviceForm {
	return serviceForm{
		ID: s.ID, Name: s.Name, Summary: s.Summary, Duration: strconv.Itoa(s.DurationMin),
		Price: poundsText(s.PricePence), AtStudio: s.AtStudio, Mobile: s.Mobile, Active: s.Active,
	}
}

// poundsText is pence as the price field takes it: 4500 → "45", 4550 → "45.50".
func poundsText(pence int) string { return money.Plain(pence) }

// pricePattern is a price in pounds: 45, 45.5, 45.50, £45.
var pricePattern = regexp.MustCompile(`^£?\s*(\d{1,4})(?:\.(\d{1,2}))?$`)

// parsePrice reads pounds as pence.
func parsePrice(s string) (int, bool) {
	m := pricePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	pounds, _ := strconv.Atoi(m[1])
	pence := 0
	if m[2] != "" {
		pence, _ = strconv.Atoi((m[2] + "0")[:2])
	}
	return pounds*100 + pence, true
}

// readService reads and checks the service form; mistakes go in f.Errors.
func readService(c echo.Context) (serviceForm, db.Service) {
	val := func(name string) string { return formValue(c, name) }
	f := serviceForm{
		Name: val("name"), Summary: val("summary"), Duration: val("duration"), Price: val("price"),
		AtStudio: c.FormValue("at_studio") == "yes", Mobile: c.FormValue("mobile") == "yes", Active: c.FormValue("active") == "yes",
		Errors: map[string]string{}, Submission: postedSubmission(c),
	}
	s := db.Service{Name: f.Name, Summary: strings.ReplaceAll(f.Summary, "\r\n", "\n"), AtStudio: f.AtStudio, Mobile: f.Mobile, Active: f.Active}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		f.Errors["name"] = "Please give the service a name."
	case n > 80:
		f.Errors["name"] = "Please keep the name to 80 characters."
	}
	if utf8.RuneCountInString(f.Summary) > 500 {
		f.Errors["summary"] = "Please keep the summary to 500 characters."
	}
	if d, err := strconv.Atoi(f.Duration); err != nil || d < 5 || d > 480 {
		f.Errors["duration"] = "Please give the length in whole minutes, from 5 to 480."
	} else {
		s.DurationMin = d
	}
	if p, ok := parsePrice(f.Price); !ok {
		f.Errors["price"] = "Please give the price in pounds, such as 45 or 45.50."
	} else {
		s.PricePence = p
	}
	if !f.AtStudio && !f.Mobile {
		f.Errors["places"] = "Please choose where it is offered: at the studio, as a mobile visit, or both."
	}
	return f, s
}
