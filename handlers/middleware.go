package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"dynamicmotion/static"
)

// contentSecurityPolicy allows only this origin: no inline script or style,
// no eval, no framing. htmx is configured (in the layout) not to inject its
// indicator styles, which this policy would block.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// requestID gives every request an id, sent back as X-Request-Id and
// written in its log line. On Fly.io the edge proxy's Fly-Request-Id is used
// (when it looks like one), so one request can be followed across both logs;
// an id sent by a client is never trusted.
func (h *Handler) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := ""
		if h.cfg.OnFly {
			id = c.Request().Header.Get("Fly-Request-Id")
		}
		if !plainID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// securityHeaders sets the headers every response carries.
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	csp := contentSecurityPolicy
	if h.cfg.Secure() {
		csp += "; upgrade-insecure-requests"
	}
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), interest-cohort=()")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if h.cfg.Secure() {
			// Not includeSubDomains: the practice's domain may have
			// subdomains (mail, say) that this site does not control.
			hd.Set("Strict-Transport-Security", "max-age=63072000")
		}
		return next(c)
	}
}

// logRequests writes one line per request: the route pattern, not the path
// (a path can hold a booking's secret token), no query string, no IP address,
// nothing that identifies a person.
func (h *Handler) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		res := c.Response()
		path := c.Request().URL.Path
		level := slog.LevelInfo
		if path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/static/") {
			level = slog.LevelDebug
		}
		route := c.Path()
		if route == "" || route == "/*" {
			route = "(no route)"
		}
		h.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.Bool("htmx", c.Request().Header.Get("HX-Request") != ""),
		)
		return nil
	}
}

// recover turns a panic into a 500 logged with its stack and request id.
func (h *Handler) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			h.log.Error("panic", slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.Any("err", err), slog.String("stack", string(stack)))
			return err
		},
	})(next)
}

// echoContextKey carries the echo.Context through scs, whose ErrorFunc only
// sees the http.Request.
type echoContextKey struct{}

// withSession loads the scs session before the handler and saves it after.
// When the session store fails (the database is down), scs calls
// sessionError, which answers through the site's error handler.
func (h *Handler) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	wrapped := echo.WrapMiddleware(h.sessions.LoadAndSave)(func(c echo.Context) error {
		c.Set(sessionLoadedKey, true)
		return next(c)
	})
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), echoContextKey{}, c)))
		return wrapped(c)
	}
}

// sessionLoadedKey is set on the echo.Context once the session is loaded and
// the handler runs: a store failure after that is one of saving.
const sessionLoadedKey = "session_loaded"

// sessionError is scs's ErrorFunc: a friendly page (503 when the database
// is unreachable) instead of scs's plain-text 500.
//
// That is only for a session that could not be loaded, before the handler
// ran. A session that could not be saved fails as the handler's answer
// starts (scs saves it then), and that answer is written right after this
// returns: writing an error page here too would send two pages in one
// body, and turn what the handler did (a comment or a booking saved) into a
// 503 that asks the visitor to send it again, which would save it twice. So
// the handler's answer goes out as it is, without the session cookie, and
// the failure is logged.
func (h *Handler) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	c, ok := r.Context().Value(echoContextKey{}).(echo.Context)
	if !ok {
		http.Error(w, "The site is briefly unavailable. Please try again in a minute.", http.StatusServiceUnavailable)
		return
	}
	if loaded, _ := c.Get(sessionLoadedKey).(bool); loaded {
		h.log.Warn("session not saved; the answer goes out without it",
			slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("route", c.Path()), slog.Any("err", err))
		return
	}
	c.SetRequest(r)
	c.SetResponse(echo.NewResponse(w, c.Echo()))
	h.handleError(err, c)
}

// errorsInside renders a handler's error inside the session middleware, so
// the error page is written while scs still wraps the response: the session
// is saved once and one Set-Cookie goes out (scs commits on the first byte).
func (h *Handler) errorsInside(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// clientIP returns the visitor's address for rate limits. On Fly.io the
// edge proxy sets Fly-Client-IP (and overwrites any value a client sent);
// anywhere else that header is ignored, and X-Forwarded-For is never trusted.
func clientIP(onFly bool) echo.IPExtractor {
	return func(r *http.Request) string {
		if onFly {
			if ip := net.ParseIP(strings.TrimSpace(r.Header.Get("Fly-Client-IP"))); ip != nil {
				return ip.String()
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
}

// crossOrigin refuses a cross-site unsafe request (POST and the rest) from
// Fetch Metadata, with the rules of http.CrossOriginProtection: a browser
// says where a request comes from in Sec-Fetch-Site (or, if older, in
// Origin, compared with Host). It reads headers only, so it runs before any
// body is read; and it needs no token, so a page is the same for every
// visitor and sets no cookie. A request with neither header is let through:
// it is not from a browser (a browser always sends one of them on a
// cross-origin POST), so no visitor's cookies could be riding on it.
//
// The site's own origin (BASE_URL) is trusted as well: behind a proxy that
// rewrites Host, a browser without Sec-Fetch-Site sends an Origin that
// differs from the Host this server sees, yet comes from the site itself.
func (h *Handler) crossOrigin() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	if u := h.cfg.BaseURL; u != nil && u.Scheme != "" && u.Host != "" {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			h.log.Warn("BASE_URL is not trusted as an origin", slog.Any("err", err))
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return errCrossSite
			}
			c.Set(checkedKey, true)
			return next(c)
		}
	}
}

// errCrossSite answers a form sent from another website.
var errCrossSite = echo.NewHTTPError(http.StatusForbidden, "This form was sent from another website, so it was refused.")

// checkedKey is set once the request has passed the cross-origin check (on
// the therapist's routes, after requireAdmin): see dropUnreadBody.
const checkedKey = "origin_checked"

// withoutTrailingSlash sends a page asked for with a trailing slash
// ("/blog/", an old link or a hand-typed address) to the same address
// without it, for good (301): one address per page. Only GET and HEAD: a
// form is never redirected, nor a path under the assets, nor a secret
// address (a manage or feed link: those are sent, never typed, and must
// match exactly). Leading slashes are collapsed, so that
// "//other.example/" cannot become a redirect to another site.
func (h *Handler) withoutTrailingSlash(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		p := r.URL.EscapedPath() // a backslash stays %5C: "/\\other.example" is not "//other.example"
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || len(p) < 2 || !strings.HasSuffix(p, "/") ||
			strings.HasPrefix(p, static.Prefix) || slices.ContainsFunc(h.secretPrefixes, func(s string) bool { return strings.HasPrefix(p, s) }) {
			return next(c)
		}
		target := "/" + strings.Trim(p, "/")
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		return c.Redirect(http.StatusMovedPermanently, target)
	}
}

// secretPrefixes are the fixed beginnings of the routes whose addresses
// hold a secret (a :token or :file parameter): "/bookings/", "/calendar/".
func secretPrefixes(routes []*echo.Route) []string {
	var out []string
	for _, r := range routes {
		if i := strings.Index(r.Path, ":"); i > 0 && (strings.Contains(r.Path, ":token") || strings.Contains(r.Path, ":file")) {
			if !slices.Contains(out, r.Path[:i]) {
				out = append(out, r.Path[:i])
			}
		}
	}
	return out
}

// uploadReadTime is how long a picture's upload may take: 15 MB at about
// 60 KB/s, a poor mobile connection.
const uploadReadTime = 5 * time.Minute

// slowBody gives the request up to d to send its body, in place of the
// server's ReadTimeout (meant for ordinary forms). It comes after
// requireAdmin and the cross-origin check: only the logged-in therapist's own
// upload gets the long allowance; anyone else keeps the ordinary limit.
func slowBody(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// An error means the connection cannot take a deadline (an
			// in-process test): then there is none to lift either.
			_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(d))
			return next(c)
		}
	}
}

// dropUnreadBody ends the connection after a refusal given before the
// request's body was read to its end: a stranger's post sent to the login
// page, a form refused as cross-site, a body over the route's limit. Left
// to itself the server would read what is left of a small or chunked body
// (up to 256 KB) before it let the connection go, so a body trickled in
// slowly would hold it open; instead the answer says Connection: close and
// the connection takes no more reads. Once the therapist and the
// cross-origin check have passed (checkedKey is set), her requests are left
// to the server's ordinary handling, which keeps the connection for her
// next click.
func dropUnreadBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			return next(c)
		}
		body := &watchedBody{ReadCloser: r.Body}
		r.Body = body
		c.Response().Before(func() {
			if body.ended || c.Get(checkedKey) != nil {
				return
			}
			c.Response().Header().Set("Connection", "close")
			// As above: in-process tests have no connection.
			_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now())
		})
		return next(c)
	}
}

// watchedBody is a request body that knows whether it was read to its end.
type watchedBody struct {
	io.ReadCloser
	ended bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.ended = true
	}
	return n, err
}
