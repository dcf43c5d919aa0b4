package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
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

// maxLiked is how many articles the liked cookie remembers (the most
// recent): more than a practice's blog has.
const maxLiked = 200

// likedCookieLife is how long a browser remembers its likes.
const likedCookieLife = 365 * 24 * time.Hour

func (h *Handler) likedCookieName() string {
	if h.cfg.Secure() {
		return "__Secure-liked"
	}
	return "liked"
}

// likedPosts returns the ids in the request's liked cookie; anything that
// is not a list of ids is treated as none (as clearing cookies would).
func (h *Handler) likedPosts(c echo.Context) []int64 {
	ck, err := c.Cookie(h.likedCookieName())
	if err != nil || len(ck.Value) > maxLiked*14 {
		return nil
	}
	var ids []int64
	for f := range strings.SplitSeq(ck.Value, ".") {
		id, err := strconv.ParseInt(f, 36, 64)
		if err != nil || id <= 0 {
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// hasLiked reports whether this browser has liked post id.
func (h *Handler) hasLiked(c echo.Context, id int64) bool {
	return slices.Contains(h.likedPosts(c), id)
}

// rememberLike adds post id to the browser's liked cookie.
func (h *Handler) rememberLike(c echo.Context, id int64) {
	ids := append(h.likedPosts(c), id)
	if len(ids) > maxLiked {
		ids = ids[len(ids)-maxLiked:]
	}
	fields := make([]string, len(ids))
	for i, v := range ids {
		fields[i] = strconv.FormatInt(v, 36)
	}
	c.SetCookie(&http.Cookie{
		Name: h.likedCookieName(), Value: strings.Join(fields, "."), Path: "/blog",
		MaxAge: int(likedCookieLife.Seconds()), HttpOnly: true, Secure: h.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
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
