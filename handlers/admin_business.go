package handlers

import (
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"dynamicmotion/booking"
	"dynamicmotion/db"
)

// businessForm is the business details form, with what was typed and what
// was wrong with it.
type businessForm struct {
	db.Business
	Errors map[string]string
	Saved  bool
}

// businessLimits are the longest each field may be, in characters.
var businessLimits = map[string]int{
	"name": 100, "therapist_name": maxAuthorChars, "tagline": 140, "intro": 600, "about": 6000, "phone": 40, "email": 254,
	"street_address": 200, "locality": 100, "region": 100, "postcode": 12, "mobile_area": 300, "hours_summary": 200,
}

// showBusiness is GET /admin/business: the practice's details as saved, to
// edit.
func (h *Handler) showBusiness(c echo.Context) error {
	b, err := db.GetBusiness(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	return h.renderBusiness(c, http.StatusOK, businessForm{Business: b, Saved: c.QueryParam("saved") != ""})
}

func (h *Handler) renderBusiness(c echo.Context, status int, f businessForm) error {
	p, err := h.adminPage(c, "Business details", f)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-business", "", p)
}

// saveBusiness is POST /admin/business: the details are checked and saved;
// from then on every page shows them, no longer marked as examples.
func (h *Handler) saveBusiness(c echo.Context) error {
	cur, err := db.GetBusiness(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	f := readBusiness(c, cur)
	if len(f.Errors) > 0 {
		return h.renderBusiness(c, http.StatusUnprocessableEntity, f)
	}
	if err := db.SaveBusiness(c.Request().Context(), h.db, f.Business); err != nil {
		return err
	}
	h.contentChanged() // other instances hear of it on db.ContentChannel
	return c.Redirect(http.StatusSeeOther, adminPath+"/business?saved=1")
}

// readBusiness reads and checks the form over the current details cur;
// mistakes go in f.Errors.
func readBusiness(c echo.Context, cur db.Business) businessForm {
	f := businessForm{Business: cur, Errors: map[string]string{}}
	val := func(name string) string {
		v := formValue(c, name)
		if n := utf8.RuneCountInString(v); n > businessLimits[name] {
			f.Errors[name] = fmt.Sprintf("Please shorten this to %d characters or fewer (it has %d).", businessLimits[name], n)
		}
		return v
	}
	b := &f.Business
	b.Name, b.Tagline, b.Intro, b.About = val("name"), val("tagline"), val("intro"), val("about")
	b.TherapistName = val("therapist_name")
	b.Phone, b.Email = val("phone"), val("email")
	b.StreetAddress, b.Locality, b.Region, b.Postcode = val("street_address"), val("locality"), val("region"), val("postcode")
	b.MobileArea, b.HoursSummary = val("mobile_area"), val("hours_summary")
	need := func(name, v, msg string) {
		if v == "" && f.Errors[name] == "" {
			f.Errors[name] = msg
		}
	}
	need("name", b.Name, "Please enter the practice’s name.")
	need("locality", b.Locality, "Please enter the town, such as St Ives.")
	need("region", b.Region, "Please enter the county, such as Cambridgeshire.")
	if b.Email != "" && !validEmail(b.Email) && f.Errors["email"] == "" {
		f.Errors["email"] = "This does not look like an email address, such as hello@example.co.uk."
	}
	if b.Phone != "" && !validPhone(b.Phone) && f.Errors["phone"] == "" {
		f.Errors["phone"] = "Please enter a phone number of 10 to 15 digits, such as 01480 123456."
	}
	if b.Phone == "" && b.Email == "" {
		f.Errors["phone"] = "Please give a phone number or an email address, so that clients can reach you."
	}
	if b.Postcode != "" && f.Errors["postcode"] == "" {
		if district, normal := booking.PostcodeDistrict(b.Postcode); district == "" {
			f.Errors["postcode"] = "Please enter the full postcode, such as PE27 5AB."
		} else {
			b.Postcode = normal
		}
	}
	return f
}
