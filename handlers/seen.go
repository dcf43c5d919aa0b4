package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxSeen is how many articles the seen cookie remembers (the most recent).
const maxSeen = 50

// The articles a browser has been counted as viewing in this browser
// session live in a cookie, not in the server session: reading an article
// then writes nothing per reader (no session row for every crawler or
// first-time visitor), and the cookie ends with the browser session, which
// is what "does not count the same session twice" asks. It carries post ids
// only, and is sent only to /blog. Tampering with it can only make a view
// count again, as clearing cookies can.
func (h *Handler) seenCookieName() string {
	if h.cfg.Secure() {
		return "__Secure-seen"
	}
	return "seen"
}

// seenPosts returns the ids in the request's seen cookie; anything that is
// not a list of ids is treated as none.
func (h *Handler) seenPosts(c echo.Context) []int64 {
	ck, err := c.Cookie(h.seenCookieName())
	if err != nil || len(ck.Value) > maxSeen*21 {
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

// markSeen records that this browser session has viewed post id: false if
// it had already.
func (h *Handler) markSeen(c echo.Context, id int64) bool {
	ids := h.seenPosts(c)
	if slices.Contains(ids, id) {
		return false
	}
	ids = append(ids, id)
	if len(ids) > maxSeen {
		ids = ids[len(ids)-maxSeen:]
	}
	fields := make([]string, len(ids))
	for i, v := range ids {
		fields[i] = strconv.FormatInt(v, 36)
	}
	c.SetCookie(&http.Cookie{
		Name: h.seenCookieName(), Value: strings.Join(fields, "."), Path: "/blog",
		HttpOnly: true, Secure: h.cfg.Secure(), SameSite: http.SameSiteLaxMode,
		// No Expires: a session cookie, gone when the browser session ends.
	})
	return true
}

// crawlerWords are found in the User-Agent of search engines' crawlers, link
// previews and scripts, whose visits are not readers' views.
var crawlerWords = []string{"bot", "crawl", "spider", "slurp", "facebookexternalhit", "whatsapp/", "embedly", "preview",
	"curl/", "wget/", "python-", "go-http-client", "okhttp", "httpclient", "lighthouse", "pingdom", "uptime"}

// isCrawler reports whether the request comes from a crawler or a script
// rather than a reader's browser, by its User-Agent.
func isCrawler(r *http.Request) bool {
	ua := strings.ToLower(r.UserAgent())
	for _, w := range crawlerWords {
		if strings.Contains(ua, w) {
			return true
		}
	}
	return false
}
