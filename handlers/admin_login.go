package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/password"
)

// loginForm is the login page's form.
type loginForm struct {
	Email  string
	Next   string
	Notice string
	Done   string // a calm word: logged out on purpose
	Errors map[string]string
}

// showLogin is GET /admin/login.
func (h *Handler) showLogin(c echo.Context) error {
	noStore(c)
	next := safeNext(c.QueryParam("next"))
	if h.isAdmin(c) {
		return c.Redirect(http.StatusSeeOther, next)
	}
	f := loginForm{Next: next}
	switch {
	case c.QueryParam("expired") == "1":
		f.Notice = "You were logged out after two hours without activity. Please log in again."
	case c.QueryParam("out") == "1":
		f.Done = "You are logged out."
	}
	return h.renderLogin(c, http.StatusOK, f)
}

func (h *Handler) renderLogin(c echo.Context, status int, f loginForm) error {
	if isFragment(c) { // the form alone, which is drawn from the form's own data
		noStore(c)
		return h.renderFragment(c, status, "admin-login#login-form", f)
	}
	p, err := h.page(c, "Log in", "", f)
	if err != nil {
		return err
	}
	p.NoIndex, p.NoStore, p.Canonical = true, true, ""
	return h.render(c, status, "admin-login", "", p)
}

// login is POST /admin/login: the therapist's email and password. Failed
// attempts slow down their source (the client address, or a device she
// has logged in on), exponentially, whatever email was typed; never the
// account (see login_limits.go). A success gets a new session token, so a
// token planted before the login is worthless after it, and the device is
// remembered.
func (h *Handler) login(c echo.Context) error {
	noStore(c)
	ctx := c.Request().Context()
	f := loginForm{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next")), Errors: map[string]string{}}
	pw := c.FormValue("password")
	if f.Email == "" {
		f.Errors["email"] = "Please enter your email address."
	}
	if pw == "" {
		f.Errors["password"] = "Please enter your password."
	}
	if len(f.Errors) > 0 {
		return h.renderLogin(c, http.StatusUnprocessableEntity, f)
	}
	account := strings.ToLower(f.Email)
	device, err := h.knownDevice(c, account)
	if err != nil {
		return err
	}
	// Only a device cookie signed for the account typed is a source of its
	// own: its holder is the therapist (see admin_device.go).
	source := "address " + limitKey(c.RealIP())
	if device != "" {
		source = "device " + device
	}
	now := h.now()
	if wait := h.limits.login.attempt(source, now); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		f.Notice = fmt.Sprintf("Too many failed attempts to log in from here. Please wait %s and try again.", waitWords(wait))
		return h.renderLogin(c, http.StatusTooManyRequests, f)
	}
	// Each check takes 19 MiB for a moment (argon2id): a few at a time, so
	// that a burst cannot exhaust the machine's memory.
	select {
	case h.passwordChecks <- struct{}{}:
		defer func() { <-h.passwordChecks }()
	case <-time.After(3 * time.Second):
		h.limits.login.unchecked(source)
		c.Response().Header().Set("Retry-After", "5")
		f.Notice = "Many people are logging in at once. Please try again in a moment."
		return h.renderLogin(c, http.StatusTooManyRequests, f)
	}
	ok, stamp, err := h.checkAdminPassword(c, f.Email, pw)
	if err != nil {
		return err
	}
	if !ok {
		if h.cfg.AdminEmail != "" && strings.EqualFold(account, h.cfg.AdminEmail) {
			h.accountFailed(ctx, now)
		}
		f.Notice = "That email address and password do not match. Please try again."
		return h.renderLogin(c, http.StatusUnprocessableEntity, f)
	}
	h.limits.login.succeeded(source)
	if err := h.rememberDevice(c, account, device); err != nil {
		return err
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, adminKey, h.cfg.AdminEmail)
	h.sessions.Put(ctx, adminStampKey, stamp)
	h.sessions.Put(ctx, adminSeenKey, h.now().Unix())
	h.log.Info("admin logged in")
	return c.Redirect(http.StatusSeeOther, f.Next)
}

// accountFailed counts a wrong password for the therapist's account and,
// when enough have come (loginAlertAfter), queues the e-mail that tells
// her, at most once a day. It does not change the answer: a notice that
// cannot be queued now is logged, and asked for again after the next
// loginAlertAfter failures.
func (h *Handler) accountFailed(ctx context.Context, now time.Time) {
	n, since, alert := h.limits.login.accountFailed(now)
	if !alert {
		return
	}
	err := h.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		due, err := db.ClaimLoginAlert(ctx, tx, h.cfg.AdminEmail, now, loginAlertEvery)
		if err != nil || !due {
			return err
		}
		h.log.Warn("failed logins to the admin account: telling the therapist", slog.Int("failures", n))
		return h.jobs.LoginAlert(ctx, tx, h.cfg.AdminEmail, n, since)
	})
	if err != nil {
		h.log.Error("the notice of failed logins was not queued", slog.Any("err", err))
	}
}

// waitWords says how long to wait, in words, for waits that may be seconds.
func waitWords(d time.Duration) string {
	switch s := int(math.Ceil(d.Seconds())); {
	case s <= 1:
		return "a second"
	case s < 60:
		return strconv.Itoa(s) + " seconds"
	}
	return roundWait(d)
}

// logout is POST /admin/logout: the session gets a new token and forgets
// the login (the visitor's other session data, such as comments they may
// still edit, stays).
func (h *Handler) logout(c echo.Context) error {
	noStore(c)
	ctx := c.Request().Context()
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Remove(ctx, adminKey)
	h.sessions.Remove(ctx, adminStampKey)
	h.sessions.Remove(ctx, adminSeenKey)
	return c.Redirect(http.StatusSeeOther, loginPath+"?out=1")
}

// newDummyHash gives the hash verified against when the account does not
// exist, so that the answer takes as long as for a wrong password and does
// not reveal which addresses have accounts: password.Absent, made with the
// current parameters and not at the first such login (that would take a
// hash's time more, once). Tests wrap it to see that it is used.
func newDummyHash() func() string {
	return func() string { return password.Absent }
}

// checkAdminPassword reports whether email (the ADMIN_EMAIL account) and pw
// match the stored argon2id hash.
func (h *Handler) checkAdminPassword(c echo.Context, email, pw string) (ok bool, stamp string, err error) {
	hash, err := db.AdminPasswordHash(c.Request().Context(), h.db, email)
	known := err == nil && h.cfg.AdminEmail != "" && strings.EqualFold(email, h.cfg.AdminEmail)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, "", err
	}
	if !known {
		password.Verify(h.dummyHash(), pw) //nolint:errcheck // only for its time
		return false, "", nil
	}
	ok, err = password.Verify(hash, pw)
	if err != nil {
		h.log.Error("the stored admin password hash is unreadable; set it again with admin-password", "err", err)
		return false, "", nil
	}
	return ok, credentialStamp(hash), nil
}
