package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// idCookie is a cookie that lists article ids (base 36, dot-separated),
// sent only to /blog: the articles this browser has viewed (seen.go) or
// liked (likes.go), kept in the browser rather than in a session row.
// Tampering with one can only make a view or a like count again, as
// clearing cookies can.
type idCookie struct {
	name string        // "__Secure-" goes before it over HTTPS
	max  int           // the most recent ids kept
	life time.Duration // 0: gone when the browser session ends
}

// cookieName is l's cookie name on this site.
func (h *Handler) cookieName(l idCookie) string {
	if h.cfg.Secure() {
		return "__Secure-" + l.name
	}
	return l.name
}

// posts returns the ids in the request's cookie l; anything that is not a
// list of ids is treated as none.
func (h *Handler) posts(c echo.Context, l idCookie) []int64 {
	ck, err := c.Cookie(h.cookieName(l))
	if err != nil || len(ck.Value) > l.max*14 { // 13 base-36 digits hold any int64, and a dot
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

// addPost sets cookie l to ids (what the request had) with id added, the
// oldest dropped past l.max.
func (h *Handler) addPost(c echo.Context, l idCookie, ids []int64, id int64) {
	ids = append(ids, id)
	if len(ids) > l.max {
		ids = ids[len(ids)-l.max:]
	}
	fields := make([]string, len(ids))
	for i, v := range ids {
		fields[i] = strconv.FormatInt(v, 36)
	}
	c.SetCookie(&http.Cookie{
		Name: h.cookieName(l), Value: strings.Join(fields, "."), Path: "/blog",
		MaxAge: int(l.life.Seconds()), HttpOnly: true, Secure: h.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
}
