package handlers

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// messagesPageSize is how many contact messages the inbox lists at once.
const messagesPageSize = 50

type messagesData struct {
	Messages []messageRow
	Unread   int
	Before   int64 // the next page starts before this id; 0: no more
	Deleted  bool  // a message was just deleted
}

// messageRow is one message in the inbox: its start only.
type messageRow struct {
	db.ContactMessage
	Preview string
}

type messageData struct {
	Message db.ContactMessage
	Reply   string // a mailto: link answering it
}

// showMessages is GET /admin/messages: the contact form's messages, newest
// first, unread ones marked.
func (h *Handler) showMessages(c echo.Context) error {
	ctx := c.Request().Context()
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	ms, err := db.ListContactMessages(ctx, h.db, max(before, 0), messagesPageSize+1)
	if err != nil {
		return err
	}
	d := messagesData{Deleted: c.QueryParam("deleted") != ""}
	if len(ms) > messagesPageSize {
		ms = ms[:messagesPageSize]
		d.Before = ms[messagesPageSize-1].ID
	}
	for _, m := range ms {
		d.Messages = append(d.Messages, messageRow{ContactMessage: m, Preview: excerpt(m.Message, 100)})
	}
	if d.Unread, err = db.CountUnreadContactMessages(ctx, h.db); err != nil {
		return err
	}
	p, err := h.adminPage(c, "Messages", d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-messages", "", p)
}

// contactMessage reads message :id, or the site's 404.
func (h *Handler) contactMessage(c echo.Context) (db.ContactMessage, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.ContactMessage{}, echo.ErrNotFound
	}
	m, err := db.ContactMessageByID(c.Request().Context(), h.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return m, echo.ErrNotFound
	}
	return m, err
}

// showMessage is GET /admin/messages/:id: one message, which is marked
// read, with a link to answer it by email.
func (h *Handler) showMessage(c echo.Context) error {
	m, err := h.contactMessage(c)
	if err != nil {
		return err
	}
	if m.ReadAt == nil && c.Request().Method == http.MethodGet {
		if err := db.MarkContactMessageRead(c.Request().Context(), h.db, m.ID, true); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	b, err := h.business(c)
	if err != nil {
		return err
	}
	d := messageData{Message: m, Reply: replyLink(m, b.Name)}
	p, err := h.adminPage(c, "Message from "+m.Name, d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-message", "", p)
}

// replyLink is a mailto: link that answers m in her own mail program, with
// a subject and the message quoted.
func replyLink(m db.ContactMessage, practice string) string {
	quoted := "\n\n> " + strings.ReplaceAll(strings.TrimSpace(m.Message), "\n", "\n> ")
	q := url.Values{"subject": {"Your message to " + practice}, "body": {quoted}}
	// mailto wants %20 for spaces, not +.
	return "mailto:" + url.PathEscape(m.Email) + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// markMessageUnread is POST /admin/messages/:id/unread: back in the inbox
// as unread, to come back to.
func (h *Handler) markMessageUnread(c echo.Context) error {
	m, err := h.contactMessage(c)
	if err != nil {
		return err
	}
	if err := db.MarkContactMessageRead(c.Request().Context(), h.db, m.ID, false); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/messages")
}

// deleteMessage is POST /admin/messages/:id/delete: the message is deleted
// for good. Deleting one that is already gone is not an error.
func (h *Handler) deleteMessage(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := db.DeleteContactMessage(c.Request().Context(), h.db, id); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPath+"/messages?deleted=1")
}
