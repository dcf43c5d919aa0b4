package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// Likes: one per visitor per article, remembered by the visitor's browser
// in a cookie (the `liked` cookie: post ids, sent only to /blog), not in
// the session store. A like therefore writes no session row, and neither
// does reading an article: the page shows "Liked" from the cookie alone.
//
// A script can drop the cookie and like again. What bounds it is the client
// address (limitKey: IPv6 by /64): a few likes of one article per address
// per day, for a household or an office behind one address, and a few
// dozen likes an hour over all articles. Past either, 429 with how long to
// wait. Limits are counted in each instance's memory, as the others are.

// likeLimits are the limits on likes from one client address.
type likeLimits struct {
	mu         sync.Mutex // the two limits are checked and counted as one
	perArticle *rateLimit // likes of one article from one address
	perAddress *rateLimit // likes of any article from one address
}

func newLikeLimits() *likeLimits {
	return &likeLimits{
		perArticle: newRateLimit(5, 24*time.Hour),
		perAddress: newRateLimit(30, time.Hour),
	}
}

// allow counts one like of post from ip at now and returns 0, or how long
// to wait when the address has had its share.
func (l *likeLimits) allow(ip string, post int64, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.perArticle.blocked(ip+"|"+strconv.FormatInt(post, 10), now); wait > 0 {
		return wait
	}
	if wait := l.perAddress.take(ip, now); wait > 0 {
		return wait
	}
	l.perArticle.take(ip+"|"+strconv.FormatInt(post, 10), now)
	return 0
}

// likedList is the liked cookie: kept a year, the most recent 200 likes
// (more than a practice's blog has articles).
var likedList = idCookie{name: "liked", max: 200, life: 365 * 24 * time.Hour}

func (h *Handler) likedCookieName() string { return h.cookieName(likedList) }

// hasLiked reports whether this browser has liked post id.
func (h *Handler) hasLiked(c echo.Context, id int64) bool {
	return slices.Contains(h.posts(c, likedList), id)
}

// rememberLike adds post id to the browser's liked cookie.
func (h *Handler) rememberLike(c echo.Context, id int64) {
	h.addPost(c, likedList, h.posts(c, likedList), id)
}

// likeArticle counts one like per visitor (see above). htmx gets the
// updated button; a plain form post goes back to the article. A like over
// the address's limits is 429 with Retry-After: the button with a note for
// htmx, the error page otherwise.
func (h *Handler) likeArticle(c echo.Context) error {
	a, err := h.findArticle(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := a.post
	likes := int(a.likes.Load())
	if !h.hasLiked(c, p.ID) {
		if wait := h.limits.like.allow(limitKey(c.RealIP()), p.ID, h.now()); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			msg := fmt.Sprintf("Many likes have come from your connection. Please try again in %s.", roundWait(wait))
			if !isFragment(c) {
				return echo.NewHTTPError(http.StatusTooManyRequests, msg)
			}
			return h.renderFragment(c, http.StatusTooManyRequests, "article#like",
				likeData{Slug: p.Slug, Count: likes, Notice: msg})
		}
		if likes, err = db.AddLike(ctx, h.db, p.ID); err != nil {
			return err
		}
		a.likes.Store(int64(likes))
		h.rememberLike(c, p.ID)
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/blog/"+p.Slug+"#like")
	}
	return h.renderFragment(c, http.StatusOK, "article#like",
		likeData{Slug: p.Slug, Count: likes, Liked: true})
}
