package handlers

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
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
