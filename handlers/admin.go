package handlers

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

const (
	adminSeenKey = "admin_seen" // session: when the therapist last did something (Unix seconds)
	// adminStampKey holds the credentialStamp of the password the session
	// logged in with: setting a new password (admin-password) ends every
	// session logged in with the old one.
	adminStampKey = "admin_stamp"
	// adminIdle is how long a logged-in session lasts without use.
	adminIdle = 2 * time.Hour
	// adminPath is the therapist's area.
	adminPath = "/admin"
	loginPath = adminPath + "/login"
)

// credentialStamp stands for a stored password hash in a session: a short
// digest of it, which changes when the password does and tells nothing of
// it.
func credentialStamp(hash string) string {
	sum := sha256.Sum256([]byte("admin session stamp\x00" + hash))
	return hex.EncodeToString(sum[:16])
}

// loadAdminStamp reads the credentialStamp of the therapist's password now
// ("" when no password is set).
func (h *Handler) loadAdminStamp(ctx context.Context) (string, error) {
	if h.cfg.AdminEmail == "" {
		return "", nil
	}
	hash, err := db.AdminPasswordHash(ctx, h.db, h.cfg.AdminEmail)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return credentialStamp(hash), nil
}

// requireAdmin lets the request through only for the logged-in therapist.
// Anyone else is sent to the login page (an htmx request with HX-Redirect,
// which htmx follows as a full page load), and comes back afterwards. A
// session unused for adminIdle is logged out. Every answer from the
// therapist's area is kept out of caches.
func (h *Handler) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		noStore(c)
		ctx := c.Request().Context()
		seen := time.Unix(h.sessions.GetInt64(ctx, adminSeenKey), 0)
		if h.isAdmin(c) {
			if h.now().Sub(seen) > time.Minute { // no session write on every click
				h.sessions.Put(ctx, adminSeenKey, h.now().Unix())
			}
			return next(c)
		}
		expired := h.sessions.GetString(ctx, adminKey) != "" // logged in, but away too long
		if expired {
			h.sessions.Remove(ctx, adminKey)
			h.sessions.Remove(ctx, adminSeenKey)
		}
		to := loginPath
		if c.Request().Method == http.MethodGet {
			to += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		if expired {
			sep := "?"
			if strings.Contains(to, "?") {
				sep = "&"
			}
			to += sep + "expired=1"
		}
		if c.Request().Header.Get("HX-Request") == "true" {
			if c.Request().Method != http.MethodGet {
				// Work in progress on the page (an article being written,
				// whose preview this is): leaving it for the login page
				// would lose it. The page says what happened instead.
				return echo.NewHTTPError(http.StatusUnauthorized, "You were logged out (away too long). "+
					"Log in again in another tab, then carry on here: nothing on this page is lost.")
			}
			c.Response().Header().Set("HX-Redirect", to)
			return c.NoContent(http.StatusNoContent)
		}
		return c.Redirect(http.StatusSeeOther, to)
	}
}

// noStore keeps an answer out of every cache: the therapist's pages hold
// clients' personal data.
func noStore(c echo.Context) {
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Robots-Tag", "noindex, nofollow")
}

// adminPage fills the data every page of the therapist's area needs.
func (h *Handler) adminPage(c echo.Context, title string, data any) (views.Page, error) {
	p, err := h.page(c, title, "", data)
	if err != nil {
		return p, err
	}
	p.NoIndex, p.NoStore, p.Canonical = true, true, ""
	p.Admin = &views.Admin{Email: h.sessions.GetString(c.Request().Context(), adminKey)}
	return p, nil
}

// safeNext is where to go after logging in: a path inside the therapist's
// area, never another site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) ||
		path.Clean(u.Path) != u.Path || // "/admin/../blog" is not in the admin area
		(u.Path != adminPath && !strings.HasPrefix(u.Path, adminPath+"/")) || u.Path == loginPath {
		return adminPath
	}
	return u.RequestURI()
}
