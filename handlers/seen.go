package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxSeen is how many articles the seen cookie remembers (the most recent).
const maxSeen = 50

// seenList is the seen cookie: the articles a browser has been counted as
// viewing in this browser session. Reading an article then writes nothing
// per reader on the server (no session row for every crawler or first-time
// visitor), and the cookie ends with the browser session, which is what
// "does not count the same session twice" asks.
var seenList = idCookie{name: "seen", max: maxSeen}

func (h *Handler) seenCookieName() string { return h.cookieName(seenList) }

// markSeen records that this browser session has viewed post id: false if
// it had already.
func (h *Handler) markSeen(c echo.Context, id int64) bool {
	ids := h.posts(c, seenList)
	if slices.Contains(ids, id) {
		return false
	}
	h.addPost(c, seenList, ids, id)
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
