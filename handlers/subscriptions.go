package handlers

import (
	"database/sql"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/links"
)

// Reply notifications by e-mail: the pages the messages link to. Every link
// carries a random token, kept only as a hash (see package jobs).

// subscriptionPage is the page of a confirmation or unsubscribe link.
type subscriptionPage struct {
	// State is "confirm" or "unsubscribe" (a button to press), or
	// "confirmed" or "unsubscribed" (done).
	State     string
	Action    string // where the button posts
	PostTitle string
	PostURL   string
}

// errLinkGone answers a confirmation or unsubscribe link that is not (or no
// longer) valid.
var errLinkGone = echo.NewHTTPError(http.StatusNotFound,
	"This link is not valid any more. If you still want replies by e-mail, tick “Email me replies” when you next comment; every e-mail has its own link to unsubscribe.")

// linkTokenHash is the hash of the link's :token, or nil for something that
// cannot be a token.
func linkTokenHash(c echo.Context) []byte {
	t := c.Param("token")
	if len(t) < 20 || len(t) > 64 {
		return nil
	}
	return db.HashToken(t)
}

// showConfirmReplies is the confirmation link: a page with a button, so
// that a mail scanner following links confirms nothing.
func (h *Handler) showConfirmReplies(c echo.Context) error {
	s, err := db.SubscriptionByConfirmToken(c.Request().Context(), h.db, linkTokenHash(c))
	if err != nil {
		return linkError(err)
	}
	state := "confirm"
	if s.ConfirmedAt != nil {
		state = "confirmed"
	}
	return h.renderSubscription(c, s, state, links.ConfirmReplies+c.Param("token"))
}

// confirmReplies confirms the subscription (again is fine) and shows that it is.
func (h *Handler) confirmReplies(c echo.Context) error {
	if _, err := db.ConfirmSubscription(c.Request().Context(), h.db, linkTokenHash(c)); err != nil {
		return linkError(err)
	}
	return c.Redirect(http.StatusSeeOther, links.ConfirmReplies+c.Param("token"))
}

// showUnsubscribe is the unsubscribe link in a message: a page with a
// button (following the link changes nothing), or that it is done.
func (h *Handler) showUnsubscribe(c echo.Context) error {
	s, err := db.SubscriptionByUnsubscribeToken(c.Request().Context(), h.db, linkTokenHash(c))
	if err != nil {
		return linkError(err)
	}
	state := "unsubscribe"
	if s.UnsubscribedAt != nil {
		state = "unsubscribed"
	}
	return h.renderSubscription(c, s, state, links.Unsubscribe+c.Param("token"))
}

// unsubscribe is the page's button: one click, and the address is gone.
func (h *Handler) unsubscribe(c echo.Context) error {
	if _, err := db.Unsubscribe(c.Request().Context(), h.db, linkTokenHash(c)); err != nil {
		return linkError(err)
	}
	return c.Redirect(http.StatusSeeOther, links.Unsubscribe+c.Param("token"))
}

// unsubscribeOneClick is the List-Unsubscribe address that mail programs
// POST to (RFC 8058), from their servers, without cookies: the token in the
// address is the only proof needed, and all it can do is unsubscribe.
func (h *Handler) unsubscribeOneClick(c echo.Context) error {
	if _, err := db.Unsubscribe(c.Request().Context(), h.db, linkTokenHash(c)); err != nil {
		return linkError(err)
	}
	return c.String(http.StatusOK, "Unsubscribed: no more e-mails about replies to this conversation.\n")
}

func linkError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errLinkGone
	}
	return err
}

func (h *Handler) renderSubscription(c echo.Context, s db.CommentSubscription, state, action string) error {
	d := subscriptionPage{State: state, Action: action}
	if cm, err := db.CommentWithPost(c.Request().Context(), h.db, s.CommentID); err != nil {
		return err
	} else if cm.PostStatus == db.StatusPublished {
		d.PostTitle, d.PostURL = cm.PostTitle, "/blog/"+cm.PostSlug+commentsAnchor
	}
	title := "Replies by e-mail"
	p, err := h.page(c, title, "", d)
	if err != nil {
		return err
	}
	p.NoIndex, p.NoStore = true, true
	p.Canonical = ""
	return h.render(c, http.StatusOK, "subscription", "", p)
}
