package handlers

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/mail"
)

// outboxPageSize is how many messages the outbox lists at once.
const outboxPageSize = 50

type outboxData struct {
	Messages   []db.OutboxMessage
	Before     int64              // the next page starts before this id; 0: no more
	Kept       bool               // mail is kept, not sent (no SMTP_URL)
	FailedMail []db.OutboxMessage // for the "failed-mail" partial
}

// showOutbox is GET /admin/outbox: every message the site wrote, newest
// first, with what became of it.
func (h *Handler) showOutbox(c echo.Context) error {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	ms, err := db.ListOutbox(c.Request().Context(), h.db, max(before, 0), outboxPageSize+1)
	if err != nil {
		return err
	}
	d := outboxData{Messages: ms, Kept: h.cfg.SMTPURL == nil}
	if len(ms) > outboxPageSize {
		d.Messages = ms[:outboxPageSize]
		d.Before = d.Messages[outboxPageSize-1].ID
	}
	p, err := h.adminPage(c, "Mail", d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-outbox", "", p)
}

// outboxMessage reads the message :id, or the site's 404.
func (h *Handler) outboxMessage(c echo.Context) (db.OutboxMessage, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.OutboxMessage{}, echo.ErrNotFound
	}
	m, err := db.OutboxByID(c.Request().Context(), h.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return m, echo.ErrNotFound
	}
	return m, err
}

// showOutboxMessage is GET /admin/outbox/:id: one message as its reader
// sees it in plain text, with its attachments.
func (h *Handler) showOutboxMessage(c echo.Context) error {
	m, err := h.outboxMessage(c)
	if err != nil {
		return err
	}
	p, err := h.adminPage(c, m.Subject, m)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-outbox-message", "", p)
}

// outboxMessageHTML is GET /admin/outbox/:id/html: the HTML part on its
// own, sandboxed (no scripts, no requests, no forms).
func (h *Handler) outboxMessageHTML(c echo.Context) error {
	m, err := h.outboxMessage(c)
	if err != nil {
		return err
	}
	if m.Message.HTML == "" { // sent: only the envelope is kept
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	return c.HTML(http.StatusOK, m.Message.HTML)
}

// outboxMessageRaw is GET /admin/outbox/:id/message.eml: the whole message
// as it is (or would be) sent, for a mail program to open.
func (h *Handler) outboxMessageRaw(c echo.Context) error {
	m, err := h.outboxMessage(c)
	if err != nil {
		return err
	}
	if m.Message.Text == "" { // sent: only the envelope is kept
		return echo.ErrNotFound
	}
	from := h.cfg.MailFrom
	if from.Email == "" {
		from.Email = "bookings@" + h.cfg.BaseURL.Hostname()
	}
	raw, err := mail.Build(from, m.Message)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="message-`+strconv.FormatInt(m.ID, 10)+`.eml"`)
	return c.Blob(http.StatusOK, "message/rfc822", raw)
}

// retryMail is POST /admin/outbox/:id/retry: a failed message goes back in
// the queue.
func (h *Handler) retryMail(c echo.Context) error {
	m, err := h.outboxMessage(c)
	if err != nil {
		return err
	}
	if err := h.jobs.Retry(c.Request().Context(), m.ID); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/outbox/"+strconv.FormatInt(m.ID, 10))
}
