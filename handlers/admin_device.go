package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// A device the therapist has logged in on keeps a device cookie: a random
// id and the site's signature over it and her account. Failed logins slow
// down their source (login_limits.go); a device with a valid cookie for the
// account typed is a source of its own, not one with the address it is
// behind, so someone guessing from the same network (a café, a shared
// IPv6 /64) does not slow her phone or laptop. (The idea is OWASP's
// "device cookies".)

// deviceCookieLife is how long a device stays known without logging in.
const deviceCookieLife = 365 * 24 * time.Hour

func (h *Handler) deviceCookieName() string {
	if h.cfg.Secure() {
		return "__Secure-device"
	}
	return "device"
}

// deviceMAC signs device id for account.
func (h *Handler) deviceMAC(ctx context.Context, account, id string) ([]byte, error) {
	key, err := h.siteKey(ctx, "login-device")
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(account + "|" + id))
	return mac.Sum(nil), nil
}

// knownDevice returns the id of the request's device cookie if it is a
// valid one for account, or "".
func (h *Handler) knownDevice(c echo.Context, account string) (string, error) {
	ck, err := c.Cookie(h.deviceCookieName())
	if err != nil {
		return "", nil
	}
	id, sig, ok := strings.Cut(ck.Value, ".")
	got, derr := base64.RawURLEncoding.DecodeString(sig)
	if !ok || derr != nil || len(id) != 22 {
		return "", nil
	}
	want, err := h.deviceMAC(c.Request().Context(), account, id)
	if err != nil || !hmac.Equal(got, want) {
		return "", err
	}
	return id, nil
}

// rememberDevice gives the browser a device cookie for account (a new id
// unless it has a valid one), good for another year.
func (h *Handler) rememberDevice(c echo.Context, account, id string) error {
	if id == "" {
		var b [16]byte
		rand.Read(b[:])
		id = base64.RawURLEncoding.EncodeToString(b[:])
	}
	mac, err := h.deviceMAC(c.Request().Context(), account, id)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: h.deviceCookieName(), Value: id + "." + base64.RawURLEncoding.EncodeToString(mac),
		Path: adminPath, MaxAge: int(deviceCookieLife.Seconds()),
		HttpOnly: true, Secure: h.cfg.Secure(), SameSite: http.SameSiteStrictMode,
	})
	return nil
}
