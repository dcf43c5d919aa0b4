package handlers

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// submissionField is the hidden field of a form that creates something (a
// service, an article, a booking taken by phone): a random token made when
// the empty form is shown and kept when it comes back with mistakes.
const submissionField = "submission"

// submissionPattern is what a token from randomToken looks like.
var submissionPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)

// newSubmission is the token of a freshly shown create form.
func newSubmission() string { return randomToken() }

// postedSubmission is the token the form came back with, or a new one if
// it has none (so that the re-shown form has one).
func postedSubmission(c echo.Context) string {
	if s := c.FormValue(submissionField); submissionPattern.MatchString(s) {
		return s
	}
	return newSubmission()
}

// once runs create, which makes what the form asks for in tx and returns
// the page to show it on, so that the form's sending makes one thing
// however often it arrives: a twin sent by a double click, or sent again
// after a slow answer, waits for the first and gets the first one's page.
// A form without a token (a page from before tokens, a script) is simply
// created. create's error rolls everything back, leaving the token free
// for the corrected form.
func (h *Handler) once(c echo.Context, create func(ctx context.Context, tx bun.Tx) (string, error)) (string, error) {
	return h.onceFor(c.Request().Context(), submissionKey(c), create)
}

// onceFor is once for a form whose sending is known by key (nil: not
// known) rather than by a submission token.
func (h *Handler) onceFor(ctx context.Context, key []byte, create func(ctx context.Context, tx bun.Tx) (string, error)) (string, error) {
	var page string
	err := h.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if key != nil {
			done, claimed, err := db.ClaimSubmission(ctx, tx, key)
			if err != nil || !claimed {
				page = done
				return err
			}
		}
		p, err := create(ctx, tx)
		if err != nil {
			return err
		}
		page = p
		if key == nil {
			return nil
		}
		return db.FinishSubmission(ctx, tx, key, p)
	})
	return page, err
}

// sentKey is the key of a form known by what it carries (a form with no
// submission token: a comment, a contact message): its kind, the form's
// fill-time stamp and the words typed. A form sent twice carries the same;
// two different messages do not.
func sentKey(kind, started string, fields ...string) []byte {
	return db.HashToken(strings.Join(append([]string{kind, started}, fields...), "\x00"))
}

// submissionKey is the stored hash of the form's token, nil if it has none.
func submissionKey(c echo.Context) []byte {
	if s := c.FormValue(submissionField); submissionPattern.MatchString(s) {
		return db.HashToken("submission|" + s)
	}
	return nil
}

// sentBefore answers a form whose checks failed because its own first
// sending already went through (a twin of a booking finds its time taken
// by itself): it redirects to the first one's page and reports true.
func (h *Handler) sentBefore(c echo.Context) (bool, error) {
	key := submissionKey(c)
	if key == nil {
		return false, nil
	}
	page, found, err := db.SubmissionResult(c.Request().Context(), h.db, key)
	if err != nil || !found {
		return false, err
	}
	return true, c.Redirect(http.StatusSeeOther, page)
}
