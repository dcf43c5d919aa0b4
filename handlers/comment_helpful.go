package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// "Helpful" on comments (issue 18): one per visitor per comment, undoable.
//
// A visitor is a random key in the voter cookie (sent only to /blog, kept a
// year), not a session: voting writes no session row, and the database
// keeps only a keyed hash of the key. A script that drops the cookie can
// vote again; what bounds it is the client address, as for likes: votes
// and undos together, helpfulPerHour an hour per address (limitKey).
//
// Pages every visitor shares show the counts with nothing pressed; a
// visitor with votes among an article's comments gets the page rendered
// for them alone (articleVisit), their buttons pressed.

const (
	voterName      = "voter"
	helpfulPerHour = 60
	// votedKey holds, per request, the comments of the article this
	// visitor found helpful (votedOn).
	votedKey = "voted-comments"
	// helpfulSort is the ?sort= of "Most helpful" first.
	helpfulSort = "helpful"
	// sortChoiceFrom is how many visible comments an article needs before
	// its readers are offered "Most helpful" first.
	sortChoiceFrom = 20
)

// newHelpfulLimits is the limit on votes and undos per client address.
func newHelpfulLimits() *rateLimit { return newRateLimit(helpfulPerHour, time.Hour) }

// voterCookieName is the voter cookie's name on this site: "__Secure-"
// over HTTPS, as idCookie's.
func (h *Handler) voterCookieName() string {
	if h.cfg.Secure() {
		return "__Secure-" + voterName
	}
	return voterName
}

// voterHash is the keyed hash of this browser's voter key, nil when it has
// none (or something that is not one of ours).
func (h *Handler) voterHash(c echo.Context) []byte {
	ck, err := c.Cookie(h.voterCookieName())
	if err != nil {
		return nil
	}
	key, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(key) != 16 {
		return nil
	}
	return h.hashVoter(c, key)
}

func (h *Handler) hashVoter(c echo.Context, key []byte) []byte {
	secret, err := h.siteKey(c.Request().Context(), voterName)
	if err != nil {
		return nil
	}
	m := hmac.New(sha256.New, secret)
	m.Write(key)
	return m.Sum(nil)[:16]
}

// ensureVoter returns the hash of this browser's voter key, giving it one
// first if it has none. nil: the site's key could not be read.
func (h *Handler) ensureVoter(c echo.Context) []byte {
	if v := h.voterHash(c); v != nil {
		return v
	}
	key := make([]byte, 16)
	rand.Read(key)
	v := h.hashVoter(c, key)
	if v == nil {
		return nil
	}
	c.SetCookie(&http.Cookie{
		Name: h.voterCookieName(), Value: base64.RawURLEncoding.EncodeToString(key), Path: "/blog",
		MaxAge: int((365 * 24 * time.Hour).Seconds()), HttpOnly: true, Secure: h.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	return v
}

// votedOn returns the comments of a that this visitor found helpful (nil
// for most readers, who have no voter cookie: no query). It is read once
// per request.
func (h *Handler) votedOn(c echo.Context, a *article) (map[int64]bool, error) {
	if v, ok := c.Get(votedKey).(map[int64]bool); ok {
		return v, nil
	}
	voter := h.voterHash(c)
	if voter == nil {
		return nil, nil
	}
	ids, err := db.VotedComments(c.Request().Context(), h.db, a.post.ID, voter)
	if err != nil {
		return nil, err
	}
	voted := make(map[int64]bool, len(ids))
	for _, id := range ids {
		voted[id] = true
	}
	c.Set(votedKey, voted)
	return voted, nil
}

// helpfulAnswer is the answer to a vote with htmx: the button as it is
// now, and why the vote was not counted.
type helpfulAnswer struct {
	commentView
	Notice string
}

// voteHelpful is POST /blog/:slug/comments/:id/helpful: helpful=1 marks
// the comment helpful for this visitor, helpful=0 takes that back. With
// htmx the answer is the button; without, back to the comment (303).
func (h *Handler) voteHelpful(c echo.Context) error {
	a, cm, err := h.findShownComment(c, errNotVotable)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), cm.ID
	up := c.FormValue("helpful") != "0"
	v := viewOf(cm, a.post.Slug)

	author := h.authorHash(c)
	v.Mine = author != nil && hmac.Equal(cm.AuthorHash, author)
	if v.Mine && up {
		// Only from an old page or a hand-made request: one's own comment
		// shows its count, not a button. (Taking back a vote given before
		// that was so is let through.)
		if !isFragment(c) {
			return echo.NewHTTPError(http.StatusConflict, errOwnComment)
		}
		return h.renderFragment(c, http.StatusConflict, "article#comment-helpful-answer", helpfulAnswer{v, errOwnComment})
	}

	if wait := h.limits.helpful.take(limitKey(c.RealIP()), h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		msg := fmt.Sprintf("Many votes have come from your connection. Please try again in %s.", roundWait(wait))
		if !isFragment(c) {
			return echo.NewHTTPError(http.StatusTooManyRequests, msg)
		}
		v.Voted = !up // as it was: nothing changed
		return h.renderFragment(c, http.StatusTooManyRequests, "article#comment-helpful-answer", helpfulAnswer{v, msg})
	}
	voter := h.ensureVoter(c)
	ipHash, err := h.ipHash(ctx, limitKey(c.RealIP()))
	if voter == nil || err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Your vote could not be counted just now. Please try again in a minute.")
	}
	switch v.Helpful, err = db.Vote(ctx, h.db, a.post.ID, id, voter, ipHash, up); {
	case errors.Is(err, db.ErrNotVotable): // hidden meanwhile
		return errNotVotable
	case err != nil:
		return err
	}
	h.commentsChanged()
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, h.helpfulReturn(c, a, cm))
	}
	v.Voted = up
	return h.renderFragment(c, http.StatusOK, "article#comment-helpful-answer", helpfulAnswer{commentView: v})
}

// errOwnComment answers a vote on one's own comment: the count says what
// others found, so its author cannot add to it.
const errOwnComment = "This is your comment: only other readers can mark it helpful."

// errNotVotable answers a vote on a comment nobody but its author or the
// therapist sees (awaiting approval, hidden, deleted).
var errNotVotable = echo.NewHTTPError(http.StatusNotFound,
	"This comment is not shown on the article (it may be waiting for approval, or have been removed), so it cannot be marked helpful.")

// helpfulReturn is where a vote without JavaScript goes back to: the
// comment, on the page of "Most helpful" it was voted from (the form
// carries sort and from), else where commentURL finds it. A vote can move
// its thread off that page: it then goes to a page that starts with it.
func (h *Handler) helpfulReturn(c echo.Context, a *article, cm db.Comment) string {
	if c.FormValue("sort") != helpfulSort {
		return commentURL(a, cm)
	}
	top := cm.ID
	if cm.ParentID != nil {
		top = *cm.ParentID
	}
	from, err := strconv.Atoi(c.FormValue("from"))
	if err != nil || from < 0 {
		from = 0
	}
	if page, _, err := h.helpfulPage(c, a, from); err != nil || !slices.ContainsFunc(page, func(x db.Comment) bool { return x.ID == top }) {
		if rank, err := db.HelpfulRank(c.Request().Context(), h.db, a.post.ID, top); err == nil {
			from = rank
		}
	}
	q := url.Values{"sort": {helpfulSort}}
	if from > 0 {
		q.Set("from", strconv.Itoa(from))
	}
	return "/blog/" + a.post.Slug + "?" + q.Encode() + "#comment-" + strconv.FormatInt(cm.ID, 10)
}

// helpfulPage reads the page of "Most helpful" first that starts after
// from threads.
func (h *Handler) helpfulPage(c echo.Context, a *article, from int) ([]db.Comment, int, error) {
	return db.HelpfulThreads(c.Request().Context(), h.db, a.post.ID, from, commentPage)
}

// commentsLD describes the comments a page shows for search engines
// (schema.org Comment): each one's address, who wrote it, when, and its
// Helpful count; replies under their comment. Not their words: the page is
// budgeted (pageweight_test.go) and carries them once already. (The
// addresses cost about 200 bytes of the budget with 50 comments: a
// comment's id in the head is what the compressor has not seen before.)
func commentsLD(threads []commentView, pageURL string) []map[string]any {
	one := func(v commentView) map[string]any {
		return map[string]any{
			"@type": "Comment", "url": pageURL + "#comment-" + strconv.FormatInt(v.ID, 10),
			"author":      map[string]any{"@type": "Person", "name": v.Name},
			"dateCreated": v.Created.UTC().Format(time.RFC3339), "upvoteCount": v.Helpful,
		}
	}
	var out []map[string]any
	for _, t := range threads {
		var replies []map[string]any
		for _, r := range t.Replies {
			if !r.Held && !r.Deleted {
				replies = append(replies, one(r))
			}
		}
		if t.Held || t.Deleted {
			out = append(out, replies...) // a placeholder's replies stand alone
			continue
		}
		m := one(t)
		if replies != nil {
			m["comment"] = replies
		}
		out = append(out, m)
	}
	return out
}
