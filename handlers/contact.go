package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// Limits and session keys of the contact form.
const (
	maxMessageLen    = 5000
	maxPhoneLen      = 40
	senderKey        = "sender"             // session: the random key contact messages are limited by
	contactSentName  = "contact_sent_name"  // session: who just sent a message (shown once, after the redirect)
	contactSentEmail = "contact_sent_email" // session: where the reply will go
)

// contactPage is what /contact shows below the practice's details: the
// form, or the thanks once a message was sent.
type contactPage struct {
	Form contactForm
	Sent *contactSent
}

// contactForm is the contact form with what was typed and what was wrong.
type contactForm struct {
	Name, Email, Phone, Message string

	Errors  map[string]string
	Notice  string // about the whole form (too fast, too many)
	Started string
}

// contactSent is the thanks for a message.
type contactSent struct {
	Name, Email string // "" when not known (the thanks page reloaded)
	Practice    string // the practice's name
	Phone       string // the practice's phone, for anything urgent
}

// showContact is /contact: how to reach the practice, and the form; with
// ?sent=1 (after sending without JavaScript) the thanks instead.
func (h *Handler) showContact(c echo.Context) error {
	ctx := c.Request().Context()
	d := contactPage{} // the form fetches its own stamp (form-stamp): the page may be shared
	if c.QueryParam("sent") != "" {
		d.Sent = &contactSent{Name: h.sessions.PopString(ctx, contactSentName), Email: h.sessions.PopString(ctx, contactSentEmail)}
	}
	return h.renderContact(c, http.StatusOK, d)
}

func (h *Handler) renderContact(c echo.Context, status int, d contactPage) error {
	p, err := h.page(c, "Contact", "Phone, email, studio address and opening hours, or send a message.", d)
	if err != nil {
		return err
	}
	if d.Sent != nil {
		d.Sent.Practice, d.Sent.Phone = p.Business.Name, p.Business.Phone
		p.Data = d
	}
	return h.render(c, status, "contact", "", p)
}

// postContact is POST /contact: the message is kept for the admin area
// and, in the same transaction, its e-mail to the practice is enqueued.
// With htmx the form is replaced by the thanks; without, 303 to the thanks.
// Mistakes come back next to their fields with everything kept (422), too
// many messages get 429 with the message still there.
func (h *Handler) postContact(c echo.Context) error {
	ctx := c.Request().Context()
	f := contactForm{
		Name: formValue(c, "name"), Email: formValue(c, "email"), Phone: formValue(c, "phone"),
		Message: strings.TrimSpace(strings.ReplaceAll(strings.ToValidUTF8(c.FormValue("message"), ""), "\r\n", "\n")),
		Started: c.FormValue(startedField), Errors: map[string]string{},
	}

	// Spam checks first: they say what to do and keep what was typed.
	switch {
	case c.FormValue(honeypotField) != "":
		f.Notice = "Please leave the “Leave this empty” field empty, then send again."
		return h.contactFormError(c, http.StatusUnprocessableEntity, f)
	case f.Started == "":
		// No JavaScript, or the stamp's fetch failed: not a mistake. The
		// form comes back stamped (with its mistakes, if any), and a second
		// press sends it.
		f.Notice = "Please check your message and press Send again."
	case !h.filledByAPerson(ctx, f.Started):
		f.Notice = h.stampNotice(ctx, f.Started, "message", "Send")
		f.Started = h.stampForm(ctx, h.now())
		return h.contactFormError(c, http.StatusUnprocessableEntity, f)
	}
	checkContactForm(&f)
	if len(f.Errors) > 0 {
		f.Notice = "" // the mistakes say what to do
		return h.contactFormError(c, http.StatusUnprocessableEntity, f)
	}
	if f.Started == "" {
		return h.contactFormError(c, http.StatusUnprocessableEntity, f)
	}

	ipHash, err := h.ipHash(ctx, limitKey(c.RealIP()))
	if err != nil {
		return err
	}
	if wait := h.limits.contact.allow(string(ipHash), string(h.ensureSessionKey(c, senderKey)), h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.Notice = fmt.Sprintf("Several messages have been sent from here in a short time. Please wait %s and send this one again; it is still here.", roundWait(wait))
		return h.contactFormError(c, http.StatusTooManyRequests, f)
	}

	m := db.ContactMessage{Name: f.Name, Email: f.Email, Phone: f.Phone, Message: f.Message}
	mailed := false
	// The form sent twice (a double click, or again after a slow answer)
	// is one message: the twin waits for the first and thanks alike.
	_, err = h.onceFor(ctx, sentKey("contact", f.Started, f.Name, f.Email, f.Phone, f.Message), func(ctx context.Context, tx bun.Tx) (string, error) {
		if err := db.AddContactMessage(ctx, tx, &m); err != nil {
			return "", err
		}
		mailed, err = h.jobs.ContactMessage(ctx, tx, m)
		return "/contact?sent=1", err
	})
	if err != nil {
		return err
	}
	if !mailed && m.ID != 0 {
		h.log.Warn("contact message kept for the admin area only: the practice has no e-mail address",
			slog.Int64("contact_message_id", m.ID))
	}

	if !isFragment(c) {
		h.sessions.Put(ctx, contactSentName, f.Name)
		h.sessions.Put(ctx, contactSentEmail, f.Email)
		return c.Redirect(http.StatusSeeOther, "/contact?sent=1")
	}
	b, err := h.business(c)
	if err != nil {
		return err
	}
	return h.renderFragment(c, http.StatusOK, "contact#contact-sent",
		contactSent{Name: f.Name, Email: f.Email, Practice: b.Name, Phone: b.Phone})
}

// checkContactForm puts a message next to each field that is wrong.
func checkContactForm(f *contactForm) {
	switch {
	case f.Name == "":
		f.Errors["name"] = "Please enter your name."
	case utf8.RuneCountInString(f.Name) > maxFieldLen:
		f.Errors["name"] = fmt.Sprintf("Please shorten your name to %d characters or fewer.", maxFieldLen)
	}
	if utf8.RuneCountInString(f.Email) > maxFieldLen || !validEmail(f.Email) {
		f.Errors["email"] = "Please enter your email address, like name@example.com: the reply goes there."
	}
	if f.Phone != "" && (len(f.Phone) > maxPhoneLen || !validPhone(f.Phone)) {
		f.Errors["phone"] = "Please check the phone number, such as 07700 900123, or leave it empty: it is optional."
	}
	switch n := utf8.RuneCountInString(f.Message); {
	case n == 0:
		f.Errors["message"] = "Please write your message."
	case n > maxMessageLen:
		f.Errors["message"] = fmt.Sprintf("Please shorten your message to %d characters or fewer (it has %d).", maxMessageLen, n)
	}
}

// contactFormError answers a message that was not sent: the form again
// with the messages and what was typed; without htmx, the whole page.
func (h *Handler) contactFormError(c echo.Context, status int, f contactForm) error {
	if f.Started == "" {
		f.Started = h.stampForm(c.Request().Context(), h.now())
	}
	if isFragment(c) {
		return h.renderFragment(c, status, "contact#contact-form", f)
	}
	return h.renderContact(c, status, contactPage{Form: f})
}
