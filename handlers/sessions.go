package handlers

import (
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
)

// NewSessions returns the site's session manager over store: a cookie that
// scripts cannot read, sent only to this site (SameSite=Lax), and over HTTPS
// only (with the __Host- prefix) when the site is served over HTTPS.
func NewSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = 24 * time.Hour
	sm.Cookie.Name = "session"
	if secure {
		sm.Cookie.Name = "__Host-session"
	}
	sm.Cookie.HttpOnly = true
	sm.Cookie.Secure = secure
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	return sm
}

// sessionKeyHash is the SHA-256 of the random key the session keeps under
// name, or nil if it has none: the database stores only the hash, and the
// key itself never leaves the session.
func (h *Handler) sessionKeyHash(c echo.Context, name string) []byte {
	key := h.sessions.GetString(c.Request().Context(), name)
	if key == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// ensureSessionKey gives the session a random key under name if it has
// none, and returns its hash.
func (h *Handler) ensureSessionKey(c echo.Context, name string) []byte {
	if hash := h.sessionKeyHash(c, name); hash != nil {
		return hash
	}
	h.sessions.Put(c.Request().Context(), name, randomToken())
	return h.sessionKeyHash(c, name)
}
