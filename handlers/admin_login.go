package handlers

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

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
	CSRF   string
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
	f.CSRF, _ = c.Get(csrfKey).(string)
	p, err := h.page(c, "Log in", "", f)
	if err != nil {
		return err
	}
	p.NoIndex, p.NoStore, p.Canonical = true, true, ""
	return h.render(c, status, "admin-login", "login-form", p)
}

// login is POST /admin/login: the therapist's email and password. Failed
// attempts are limited per client address and per account, or per device
// on a device she has logged in on (429 with how long to wait); a success
// gets a new session token, so a token planted before the login is
// worthless after it, and the device is remembered.
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
	ip, account := limitKey(c.RealIP()), strings.ToLower(f.Email)
	device, err := h.knownDevice(c, account)
	if err != nil {
		return err
	}
	// Failures are counted per account among unknown devices, and per
	// device for each device she has logged in on (see admin_device.go).
	limited := account
	switch {
	case h.cfg.AdminEmail == "" || !strings.EqualFold(account, h.cfg.AdminEmail):
		// No account to protect: only the address counts. (Counting made-up
		// addresses would let thousands of them fill the table, which is
		// then emptied, the real account's count with it.)
		limited = ""
	case device != "":
		limited = account + "|" + device
	}
	if wait := h.limits.login.wait(ip, limited, h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.Notice = fmt.Sprintf("Too many failed attempts to log in. Please wait %s and try again.", roundWait(wait))
		return h.renderLogin(c, http.StatusTooManyRequests, f)
	}
	// The attempt counts before the password is checked, so that a burst
	// of parallel guesses meets the limit too; a success takes it back.
	h.limits.login.failed(ip, limited, h.now())
	// Each check takes 19 MiB for a moment (argon2id): a few at a time, so
	// that a burst cannot exhaust the machine's memory.
	select {
	case h.passwordChecks <- struct{}{}:
		defer func() { <-h.passwordChecks }()
	case <-time.After(3 * time.Second):
		f.Notice = "Many people are logging in at once. Please try again in a moment."
		return h.renderLogin(c, http.StatusTooManyRequests, f)
	}
	ok, stamp, err := h.checkAdminPassword(c, f.Email, pw)
	if err != nil {
		return err
	}
	if !ok {
		f.Notice = "That email address and password do not match. Please try again."
		return h.renderLogin(c, http.StatusUnprocessableEntity, f)
	}
	h.limits.login.perAccount.forget(limited)
	h.limits.login.perIP.forget(ip)
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

// newDummyHash is the hash verified against when the account does not
// exist, so that the answer takes as long as for a wrong password and does
// not reveal which addresses have accounts.
func newDummyHash() func() string {
	return sync.OnceValue(func() string {
		h, _ := password.Hash("not the password of anyone")
		return h
	})
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
