package handlers

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"dynamicmotion/config"
)

// Every response carries the security headers: pages, errors, assets and
// probes alike. HSTS is sent only when the site is served over HTTPS.
func TestSecurityHeaders(t *testing.T) {
	for _, secureSite := range []bool{false, true} {
		name := "http"
		var override func(*config.Config)
		if secureSite {
			name, override = "https", secure
		}
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, override)
			requests := []struct {
				name   string
				req    *http.Request
				status int
			}{
				{"home", httptest.NewRequest("GET", "/", nil), 200},
				{"HEAD home", httptest.NewRequest("HEAD", "/", nil), 200},
				{"services, htmx", reqWithHeader("GET", "/services", "HX-Request", "true"), 200},
				{"stylesheet", httptest.NewRequest("GET", s.assets.URL("css/site.css"), nil), 200},
				{"htmx script, gzip", reqWithHeader("GET", s.assets.URL("vendor/htmx.min.js"), "Accept-Encoding", "gzip"), 200},
				{"missing asset", httptest.NewRequest("GET", "/static/css/site.css", nil), 404},
				{"favicon redirect", httptest.NewRequest("GET", "/favicon.ico", nil), 301},
				{"/healthz", httptest.NewRequest("GET", "/healthz", nil), 200},
				{"/readyz", httptest.NewRequest("GET", "/readyz", nil), 200},
				{"unknown page", httptest.NewRequest("GET", "/no-such-page", nil), 404},
				{"form from another site", crossSite(postForm("/_test/form", nil)), 403},
				{"server error", httptest.NewRequest("GET", "/_test/boom", nil), 500},
			}
			for _, r := range requests {
				t.Run(r.name, func(t *testing.T) {
					res := s.serve(t, r.req)
					if res.StatusCode != r.status {
						t.Errorf("status = %d, want %d", res.StatusCode, r.status)
					}
					checkSecurityHeaders(t, res.Header, secureSite)
				})
			}
		})
	}
}

func checkSecurityHeaders(t *testing.T, h http.Header, secureSite bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			directives[name] = value
		}
	}
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*"} {
		for name, value := range directives {
			for _, f := range strings.Fields(value) {
				if f == bad {
					t.Errorf("CSP %s allows %s: %q", name, bad, csp)
				}
			}
		}
	}
	for name, want := range map[string]string{
		"default-src":     "'self'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"object-src":      "'none'",
		"base-uri":        "'self'",
		"form-action":     "'self'",
		"frame-ancestors": "'none'",
	} {
		if got, ok := directives[name]; !ok || got != want {
			t.Errorf("CSP %s = %q, want %q (CSP: %q)", name, got, want, csp)
		}
	}
	if _, ok := directives["upgrade-insecure-requests"]; ok != secureSite {
		t.Errorf("CSP upgrade-insecure-requests present = %t, want %t", ok, secureSite)
	}
	want := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if got := h.Get("Permissions-Policy"); !strings.Contains(got, "camera=()") {
		t.Errorf("Permissions-Policy = %q, want camera=() and the like", got)
	}
	hsts := h.Get("Strict-Transport-Security")
	switch {
	case secureSite && !strings.HasPrefix(hsts, "max-age=63072000"):
		t.Errorf("Strict-Transport-Security = %q, want max-age=63072000 (two years)", hsts)
	case !secureSite && hsts != "":
		t.Errorf("Strict-Transport-Security = %q on a plain-HTTP site, want none", hsts)
	}
	if id := h.Get(echo.HeaderXRequestID); len(id) != 24 {
		t.Errorf("X-Request-Id = %q, want 24 hex digits", id)
	}
}

func reqWithHeader(method, target, name, value string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set(name, value)
	return r
}

// crossSite marks req as a browser marks a request sent from another site.
func crossSite(req *http.Request) *http.Request {
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	return req
}

// An anonymous visitor's first pages set no cookie, and carry no token:
// every visitor gets the same page (issue 16). Over HTTPS too. The one
// exception is an article's view counter, whose seen cookie (sent only to
// /blog) is left to the view counter's part of issue 16.
func TestAnonymousPagesSetNoCookie(t *testing.T) {
	paths := []string{"/", "/services", "/about", "/contact", "/privacy", "/book", "/blog",
		"/blog/sports-massage-for-lower-back-pain", loginPath}
	for _, override := range []func(*config.Config){nil, secure} {
		s := newTestServer(t, override)
		for _, path := range paths {
			headerSets := [][]string{nil}
			if path != loginPath {
				headerSets = append(headerSets, []string{"HX-Request: true"})
			}
			for _, headers := range headerSets {
				res := s.visitor().get(t, path, headers...)
				wantStatus(t, res, http.StatusOK)
				for _, ck := range res.Cookies() {
					if ck.Name != s.h.seenCookieName() || !strings.HasPrefix(path, "/blog/") {
						t.Errorf("GET %s %q set the cookie %s", path, headers, ck.Name)
					}
				}
				checkHTML(t, res.body, notIn("input[name=_csrf]"), notIn("[hx-headers]"))
			}
		}
	}
}

// Every unsafe request passes the rules of http.CrossOriginProtection: a
// browser's Sec-Fetch-Site, or else its Origin compared with Host (or the
// site's own BASE_URL origin). A request with neither header is not from a
// browser and passes. A refused form stores nothing, sets no cookie and
// gets the friendly 403 page (its fragment, for htmx).
func TestCrossOrigin(t *testing.T) {
	s := newTestServer(t, nil) // BASE_URL http://example.test; httptest's Host is example.com
	const elsewhere = "This form was sent from another website"
	tests := []struct {
		name    string
		headers []string
		status  int
	}{
		{"neither header (not a browser)", nil, 204},
		{"same-origin", []string{"Sec-Fetch-Site: same-origin"}, 204},
		{"none (typed or bookmarked)", []string{"Sec-Fetch-Site: none"}, 204},
		{"same-origin wins over a stray Origin", []string{"Sec-Fetch-Site: same-origin", "Origin: http://evil.example"}, 204},
		{"htmx, same-origin", []string{"Sec-Fetch-Site: same-origin", "HX-Request: true"}, 204},
		{"cross-site", []string{"Sec-Fetch-Site: cross-site"}, 403},
		{"same-site (a subdomain)", []string{"Sec-Fetch-Site: same-site"}, 403},
		{"cross-site with the site's Host as Origin", []string{"Sec-Fetch-Site: cross-site", "Origin: http://example.com"}, 403},
		{"htmx, cross-site", []string{"Sec-Fetch-Site: cross-site", "HX-Request: true"}, 403},
		{"an older browser: Origin is the Host", []string{"Origin: http://example.com"}, 204},
		{"an older browser: Origin is BASE_URL behind a proxy", []string{"Origin: http://example.test"}, 204},
		{"an older browser: another site", []string{"Origin: http://evil.example"}, 403},
		{"an older browser: BASE_URL's host, another scheme", []string{"Origin: https://example.test"}, 403},
		{"an older browser: null Origin (a sandboxed frame)", []string{"Origin: null"}, 403},
		{"htmx, an older browser, another site", []string{"Origin: http://evil.example", "HX-Request: true"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			marker := uniqueMarker(t)
			req := postForm("/_test/session", url.Values{"v": {marker}})
			setHeaders(t, req, tc.headers)
			res := s.serve(t, req)
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.status)
			}
			wantRows := 0
			if tc.status < 400 {
				wantRows = 1
			}
			if got := sessionRows(t, marker); got != wantRows {
				t.Errorf("session rows holding the form's value = %d, want %d", got, wantRows)
			}
			if tc.status != http.StatusForbidden {
				return
			}
			if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("refused form set cookies: %q", sc)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", got)
			}
			checkHTML(t, res.body,
				in(".error h1", hasExactText("Not allowed")),
				in(".error p", hasText(elsewhere)),
			)
		})
	}
	// Reading is never refused, wherever the link was.
	for _, path := range []string{"/", "/about"} {
		wantStatus(t, s.serve(t, crossSite(httptest.NewRequest(http.MethodGet, path, nil))), http.StatusOK)
	}
}

// scs commits the session when the response starts. A handler that stores
// something and then fails still sends one session cookie and writes the
// store once, because its error page is rendered inside the session scope.
func TestSessionSavedOnce(t *testing.T) {
	tests := []struct {
		name     string
		override func(*config.Config)
		cookie   string
		path     string
		status   int
	}{
		{"success", nil, "session", "/_test/session", http.StatusNoContent},
		{"handler error", nil, "session", "/_test/session-error", http.StatusUnprocessableEntity},
		{"handler error, https", secure, "__Host-session", "/_test/session-error", http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, tc.override)
			marker := uniqueMarker(t)
			req := postForm(tc.path, url.Values{"v": {marker}})
			res := s.serve(t, req)
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d; body:\n%s", res.StatusCode, tc.status, res.body)
			}
			if n := res.setCookies(tc.cookie); n != 1 {
				t.Errorf("Set-Cookie for %s sent %d times, want 1: %q", tc.cookie, n, res.Header.Values("Set-Cookie"))
			}
			if n := s.store.commits.Load(); n != 1 {
				t.Errorf("session store written %d times, want 1", n)
			}
			if n := sessionRows(t, marker); n != 1 {
				t.Errorf("session rows holding the value = %d, want 1", n)
			}
			if sc := res.cookie(tc.cookie); sc != nil {
				if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure != s.cfg.Secure() {
					t.Errorf("session cookie HttpOnly=%t SameSite=%v Secure=%t, want true, Lax, %t",
						sc.HttpOnly, sc.SameSite, sc.Secure, s.cfg.Secure())
				}
			}
			if tc.status >= 400 {
				if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
					t.Errorf("Content-Type = %q, want text/html", got)
				}
				checkHTML(t, res.body, in(".error p", hasText("Please check the form.")))
			}
		})
	}
}

// Rate limits key on the visitor's address. Off Fly.io, headers a client
// can forge are ignored; on Fly.io, Fly-Client-IP (set by the edge proxy) is
// used.
func TestClientIP(t *testing.T) {
	tests := []struct {
		name       string
		onFly      bool
		remoteAddr string
		headers    map[string]string
		want       string
	}{
		{"off Fly: remote address", false, "192.0.2.1:5678", nil, "192.0.2.1"},
		{"off Fly: spoofed headers ignored", false, "192.0.2.1:5678", map[string]string{
			"Fly-Client-IP": "203.0.113.9", "X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.8"}, "192.0.2.1"},
		{"off Fly: IPv6 remote address", false, "[2001:db8::2]:443", nil, "2001:db8::2"},
		{"on Fly: Fly-Client-IP", true, "10.0.0.5:1234", map[string]string{"Fly-Client-IP": "203.0.113.9"}, "203.0.113.9"},
		{"on Fly: Fly-Client-IP over X-Forwarded-For", true, "10.0.0.5:1234", map[string]string{
			"Fly-Client-IP": "203.0.113.9", "X-Forwarded-For": "198.51.100.7"}, "203.0.113.9"},
		{"on Fly: IPv6 Fly-Client-IP", true, "10.0.0.5:1234", map[string]string{"Fly-Client-IP": " 2001:db8::1 "}, "2001:db8::1"},
		{"on Fly: no header, X-Forwarded-For still ignored", true, "10.0.0.5:1234", map[string]string{
			"X-Forwarded-For": "198.51.100.7"}, "10.0.0.5"},
		{"on Fly: malformed Fly-Client-IP", true, "10.0.0.5:1234", map[string]string{"Fly-Client-IP": "not-an-ip"}, "10.0.0.5"},
		{"remote address without a port", false, "192.0.2.1", nil, "192.0.2.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remoteAddr
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if got := clientIP(tc.onFly)(req); got != tc.want {
				t.Errorf("clientIP(%t) = %q, want %q", tc.onFly, got, tc.want)
			}
		})
	}
}

// The site's Echo uses clientIP for c.RealIP().
func TestRealIPUsesClientIP(t *testing.T) {
	for _, onFly := range []bool{false, true} {
		s := newTestServer(t, func(c *config.Config) { c.OnFly = onFly })
		req := httptest.NewRequest(http.MethodGet, "/_test/ip", nil)
		req.RemoteAddr = "192.0.2.1:5678"
		req.Header.Set("Fly-Client-IP", "203.0.113.9")
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		want := "192.0.2.1"
		if onFly {
			want = "203.0.113.9"
		}
		if res := s.serve(t, req); res.body != want {
			t.Errorf("OnFly=%t: c.RealIP() = %q, want %q", onFly, res.body, want)
		}
	}
}

// One log line per request with its id, method, path and status, and
// nothing that identifies a person: no query string, no address.
func TestRequestLog(t *testing.T) {
	tests := []struct {
		name   string
		req    func(s *testServer) *http.Request
		route  string
		status int
	}{
		{"page with a query", func(*testServer) *http.Request {
			return httptest.NewRequest("GET", "/services?q=secret&email=someone%40example.org", nil)
		}, "/services", 200},
		{"unknown page with a query", func(*testServer) *http.Request {
			return httptest.NewRequest("GET", "/no-such-page?q=secret", nil)
		}, "(no route)", 404},
		{"refused form", func(*testServer) *http.Request {
			return crossSite(postForm("/_test/form?q=secret", url.Values{"name": {"secret"}}))
		}, "/_test/form", 403},
		{"server error", func(*testServer) *http.Request {
			return httptest.NewRequest("GET", "/_test/boom?q=secret", nil)
		}, "/_test/boom", 500},
		{"asset", func(s *testServer) *http.Request {
			return httptest.NewRequest("GET", s.assets.URL("css/site.css")+"?q=secret", nil)
		}, "/static/*", 200},
		{"probe", func(*testServer) *http.Request {
			return httptest.NewRequest("GET", "/healthz?q=secret", nil)
		}, "/healthz", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			req := tc.req(s)
			req.RemoteAddr = "198.51.100.23:5555"
			req.Header.Set("X-Forwarded-For", "203.0.113.77")
			req.Header.Set("User-Agent", "secret-agent")
			res := s.serve(t, req)
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.status)
			}
			route := tc.route
			lines := s.log.requestLines(t)
			if len(lines) != 1 {
				t.Fatalf("%d request log lines, want 1:\n%s", len(lines), s.log)
			}
			got := lines[0]
			got.Level = ""
			want := logLine{Msg: "request", ID: res.Header.Get(echo.HeaderXRequestID), Method: req.Method, Route: route, Status: tc.status}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request log line (-want +got):\n%s", diff)
			}
			if want.ID == "" {
				t.Error("response has no X-Request-Id")
			}
			log := s.log.String()
			for _, private := range []string{"secret", "q=", "198.51.100.23", "203.0.113.77", "someone"} {
				if strings.Contains(log, private) {
					t.Errorf("log contains %q:\n%s", private, log)
				}
			}
		})
	}
}

func TestRequestIDIsNeverTakenFromTheClient(t *testing.T) {
	for _, tc := range []struct {
		name          string
		onFly         bool
		header, value string
		keep          bool
	}{
		{"client X-Request-Id ignored", false, "X-Request-Id", "abc-123", false},
		{"client X-Request-Id ignored on Fly", true, "X-Request-Id", "abc-123", false},
		{"Fly-Request-Id ignored off Fly", false, "Fly-Request-Id", "01JABCDEF0123456789", false},
		{"Fly-Request-Id kept on Fly", true, "Fly-Request-Id", "01JABCDEF0123456789", true},
		{"Fly-Request-Id with a newline replaced", true, "Fly-Request-Id", "abc\nlevel=ERROR msg=forged", false},
		{"Fly-Request-Id too long replaced", true, "Fly-Request-Id", strings.Repeat("a", 65), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *config.Config) { c.OnFly = tc.onFly })
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.Header.Set(tc.header, tc.value)
			rec := httptest.NewRecorder()
			ts.e.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if tc.keep && got != tc.value {
				t.Errorf("X-Request-Id = %q, want Fly's %q kept", got, tc.value)
			}
			if !tc.keep && (got == tc.value || !plainID(got)) {
				t.Errorf("X-Request-Id = %q: this incoming id must be replaced by a fresh one", got)
			}
		})
	}
}

// A page asked for with a trailing slash is sent, for good, to its one
// address; never to another site, and never a form.
func TestTrailingSlashRedirects(t *testing.T) {
	s := newTestServer(t, nil)
	for target, want := range map[string]string{
		"/blog/":                  "/blog",
		"/services/":              "/services",
		"/blog/?tag=recovery":     "/blog?tag=recovery",
		"/book//":                 "/book",
		"//other.example/":        "/other.example",
		"/%5Cother.example/":      "/%5Cother.example",
		"/blog/some%20article/":   "/blog/some%20article",
		"/admin/articles/1/edit/": "/admin/articles/1/edit",
	} {
		res := s.get(t, target)
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 301 to %q", target, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	if res := s.get(t, "/"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /: %d", res.StatusCode)
	}
	// A secret address (a manage link, the calendar feed) must match exactly.
	for _, target := range []string{"/bookings/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/", "/calendar/abcdefghijklmnopqrstuvwxyz.ics/"} {
		if res := s.get(t, target); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, res.StatusCode)
		}
	}
	req := newRequest(http.MethodPost, "/contact/")
	if res := s.serve(t, req); res.StatusCode == http.StatusMovedPermanently {
		t.Error("a form sent to an address with a trailing slash was redirected (as a GET, losing it)")
	}
}

// A picture sent slowly (a phone on a weak connection) outlasts the
// server's read limit for ordinary forms: slowBody lifts it for that route
// alone.
func TestSlowBodyOutlastsTheReadTimeout(t *testing.T) {
	e := echo.New()
	read := func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return c.String(http.StatusRequestTimeout, err.Error())
		}
		return c.String(http.StatusOK, strconv.Itoa(len(b)))
	}
	e.POST("/upload", read, slowBody(5*time.Second))
	e.POST("/form", read)
	srv := httptest.NewUnstartedServer(e)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()

	send := func(path string) (int, string) {
		pr, pw := io.Pipe()
		go func() {
			for range 6 { // 6 × 100 ms: twice the read limit
				pw.Write(bytes.Repeat([]byte("x"), 1000))
				time.Sleep(100 * time.Millisecond) // a slow client: the time must really pass
			}
			pw.Close()
		}()
		res, err := http.Post(srv.URL+path, "application/octet-stream", pr)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := send("/upload"); code != http.StatusOK || body != "6000" {
		t.Errorf("a slow upload: %d %q, want 200 with all 6000 bytes read", code, body)
	}
	if code, body := send("/form"); code == http.StatusOK && body == "6000" {
		t.Error("a slow ordinary form was read whole: the test does not exercise the read limit")
	}
}
