package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/config"
	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/links"
)

// hostileValues are what an attacker (or a broken client) sends: SQL and
// template injection, script, broken encodings, absurd numbers and dates.
var hostileValues = []string{
	"' OR '1'='1' --",
	"1; DROP TABLE bookings; --",
	"{{.}}{{template \"layout\" .}}",
	"${7*7}<%= 7*7 %>",
	"<script>alert('xss')</script>",
	"\"><img src=x onerror=alert('xss')>",
	"javascript:alert('xss')",
	"nul\x00byte",
	"bad \xff\xfe utf-8",
	"-1",
	"99999999999999999999999",
	"2026-13-45T99:99:99Z",
	"0000-01-03",
	"9999-12-31",
	"../../../../etc/passwd",
	strings.Repeat("long ", 2000),
}

// formFields are the names the site's forms use, all sent with a hostile
// value at once.
var formFields = []string{
	"name", "email", "phone", "body", "parent_id", "service", "location", "start", "week", "date", "time",
	"address", "postcode", "notes", "message", "reason", "status", "earliest", "latest", "consent_policy",
	"consent_health", "next", "password", "title", "slug", "summary", "tags", "before", "q", "tag", "page",
	"started", "website", "notify", "hours", "from", "to", "note", "price", "duration", "mode", "v",
	"from_date", "to_date", "from_time", "to_time", "publish_at", "keep_months", "districts", "policy",
	"late_move", "revision", "dir", "active", "confirm", "author", "submission", "preview", "helpful", "sort",
}

// personalTables are where a visitor's input would be stored.
var personalTables = []string{"bookings", "comments", "waitlist", "contact_messages", "comment_subscriptions", "outbox", "river_job"}

func rowCounts(t *testing.T, bdb *bun.DB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range personalTables {
		var n int
		if err := bdb.NewRaw("SELECT count(*) FROM "+table).Scan(context.Background(), &n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}

// walkableRoutes are the routes worth attacking: not the test routes, the
// assets, or the live stream (which stays open by design).
func walkableRoutes(e *echo.Echo, prefix string) []*echo.Route {
	var out []*echo.Route
	for _, r := range e.Routes() {
		switch {
		case strings.HasPrefix(r.Path, "/_test"), strings.HasPrefix(r.Path, "/static"), strings.HasSuffix(r.Path, "/stream"),
			r.Path == adminPath+"/logout", // it would end the attacker's own session half-way
			r.Method == echo.RouteNotFound, !strings.HasPrefix(r.Path, prefix):
			continue
		}
		out = append(out, r)
	}
	return out
}

var paramPattern = regexp.MustCompile(`:[a-z_]+`)

// withParams fills a route's :params (and a trailing *) with value.
func withParams(path, value string) string {
	return paramPattern.ReplaceAllString(strings.TrimSuffix(path, "*"), url.PathEscape(value))
}

// hostileForm sets every known field to v.
func hostileForm(v string) url.Values {
	f := url.Values{}
	for _, name := range formFields {
		f.Set(name, v)
	}
	return f
}

// reflectsScript reports whether a response carries hostile script as
// markup (escaped, it is harmless text).
func reflectsScript(res response) bool {
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		return false
	}
	return strings.Contains(res.body, "<script>alert('xss')") || strings.Contains(res.body, "<img src=x onerror")
}

// attack sends every hostile value to every route under prefix as cl, and
// checks what any answer must be: never a 5xx, never hostile markup echoed,
// the security headers always there.
func attack(t *testing.T, s *testServer, cl *client, prefix string) {
	t.Helper()
	routes := walkableRoutes(s.e, prefix)
	if len(routes) < 5 {
		t.Fatalf("only %d routes under %q", len(routes), prefix)
	}
	for _, r := range routes {
		reached := false // the handler ran: the cross-origin check let the attack through
		for _, v := range hostileValues {
			for _, param := range []string{"1", v} {
				target := withParams(r.Path, param)
				var res response
				switch r.Method {
				case http.MethodGet, http.MethodHead:
					res = cl.do(t, newRequest(r.Method, target+"?"+hostileForm(v).Encode()))
				default:
					res = cl.post(t, target, hostileForm(v))
				}
				reached = reached || res.StatusCode != http.StatusForbidden
				if res.StatusCode >= 500 {
					t.Errorf("%s %s with %.40q: %d\n%.300s", r.Method, r.Path, v, res.StatusCode, res.body)
				}
				if reflectsScript(res) {
					t.Errorf("%s %s echoes hostile markup unescaped", r.Method, r.Path)
				}
				checkHeadersOf(t, r.Path, res)
			}
		}
		if !reached {
			t.Errorf("%s %s refused every attack with 403: the attack never reached its handler", r.Method, r.Path)
		}
	}
}

// checkHeadersOf checks the security headers; the HTML part of a kept
// e-mail is served under a stricter sandbox policy of its own.
func checkHeadersOf(t *testing.T, path string, res response) {
	t.Helper()
	if strings.HasSuffix(path, "/outbox/:id/html") && res.StatusCode == http.StatusOK {
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("%s: CSP %q, want a sandbox", path, csp)
		}
		return
	}
	checkSecurityHeaders(t, res.Header, false)
	checkCookies(t, path, res, false)
}

// checkCookies: every cookie the site sets is HttpOnly and SameSite (scripts
// cannot read it, other sites' forms cannot send it), and on an HTTPS site
// Secure and __Host- prefixed.
func checkCookies(t *testing.T, path string, res response, secureSite bool) {
	t.Helper()
	for _, c := range res.Cookies() {
		if !c.HttpOnly || (c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode) {
			t.Errorf("%s sets cookie %s without HttpOnly and SameSite: %+v", path, c.Name, c)
		}
		if secureSite && (!c.Secure || !strings.HasPrefix(c.Name, "__Host-")) {
			t.Errorf("%s sets cookie %s over HTTPS without Secure and the __Host- prefix", path, c.Name)
		}
	}
}

// Over HTTPS every page sends HSTS and only Secure, __Host- cookies.
func TestEveryPageOverHTTPS(t *testing.T) {
	s := newTestServer(t, secure)
	sawSession := false
	for _, r := range walkableRoutes(s.e, "/") {
		if r.Method != http.MethodGet {
			continue
		}
		v := s.visitor()
		res := v.get(t, withParams(r.Path, "1"))
		if res.StatusCode >= 500 {
			t.Errorf("GET %s over HTTPS: %d", r.Path, res.StatusCode)
		}
		checkSecurityHeaders(t, res.Header, true)
		checkCookies(t, r.Path, res, true)
		// And with a session, as after a first form.
		set := v.do(t, postForm("/_test/session", url.Values{"v": {"x"}}))
		checkCookies(t, "/_test/session", set, true)
		sawSession = sawSession || set.cookie("__Host-session") != nil
		res = v.get(t, withParams(r.Path, "1"))
		checkCookies(t, r.Path, res, true)
	}
	if !sawSession {
		t.Error("no session cookie was ever set: the cookie checks saw nothing")
	}
}

// Every public route, sent hostile values in every field and parameter,
// answers with a 4xx (or an ordinary page) and a clear message: never a
// 5xx, never the hostile markup echoed, and nothing is stored.
func TestEveryPublicRouteWithstandsHostileInput(t *testing.T) {
	s := newTestServer(t, nil)
	s.h.limits.booking = newRateLimit(1<<30, 1)
	s.h.limits.comment = newCommentLimits()
	bdb := seededDB(t)
	before := rowCounts(t, bdb)
	cl := s.client(t)
	attack(t, s, cl, "/")
	after := rowCounts(t, bdb)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows before the attack, %d after: hostile input was stored", table, n, after[table])
		}
	}
}

// The therapist's own pages, sent hostile values while she is logged in,
// never fail with a 5xx or echo markup. (What she types is hers to store:
// an article may well contain "<script>" as text; it is escaped on output.)
// It runs on a database of its own, since the attack may save junk as the
// practice's details.
func TestEveryAdminRouteWithstandsHostileInput(t *testing.T) {
	_, bdb := dbtest.Empty(t, db.Options{MaxOpenConns: 8})
	ctx := context.Background()
	if _, err := db.Migrate(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	s := newTestServerDB(t, bdb, func(c *config.Config) { c.AdminEmail = adminEmail })
	hash, err := adminHashOnce()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(ctx, bdb, adminEmail, hash); err != nil {
		t.Fatal(err)
	}
	s.h.limits.login = newLoginLimits()
	cl := s.client(t)
	cl.logIn(t)
	attack(t, s, cl, adminPath+"/")
	// Still logged in: nothing in the attack broke the session.
	wantStatus(t, cl.get(t, adminPath), http.StatusOK)
}

// Every route that changes anything refuses a cross-site browser request
// with 403 and the friendly page (except the one-click unsubscribe, which
// mail providers post from anywhere), and oversized bodies with 413. A
// browser says it is cross-site in Sec-Fetch-Site, or (an older one) by an
// Origin that is not this site; htmx requests are no different. In the
// therapist's area the login comes first: a visitor is sent to the login
// page (htmx: 401), and the therapist herself gets the 403.
func TestEveryUnsafeRouteRefusesACrossSiteRequest(t *testing.T) {
	s := adminServer(t)
	bdb := seededDB(t)
	before := rowCounts(t, bdb)
	admin := s.client(t)
	admin.logIn(t)
	for _, r := range walkableRoutes(s.e, "/") {
		if r.Method != http.MethodPost {
			continue
		}
		target := withParams(r.Path, "1")
		oneClick := strings.HasSuffix(r.Path, links.OneClick)
		needsLogin := strings.HasPrefix(r.Path, adminPath+"/") && r.Path != loginPath
		for _, from := range [][]string{
			{"Sec-Fetch-Site: cross-site"},
			{"Sec-Fetch-Site: same-site"},
			{"Origin: http://evil.example"},
			{"Sec-Fetch-Site: cross-site", "Origin: http://evil.example", "HX-Request: true"},
		} {
			cl := s.client(t)
			f := url.Values{"name": {"Ann"}, "body": {"Hello"}}
			req := postForm(target, f)
			req.RemoteAddr = cl.ip + ":4321"
			res := cl.do(t, req, from...)
			if needsLogin {
				if htmx := slices.Contains(from, "HX-Request: true"); htmx && res.StatusCode != http.StatusUnauthorized ||
					!htmx && (res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), loginPath)) {
					t.Errorf("POST %s by a visitor with %q: %d to %q, want 303 to the login page (401 for htmx)",
						r.Path, from, res.StatusCode, res.Header.Get("Location"))
				}
				req := postForm(target, f)
				req.RemoteAddr = admin.ip + ":4321"
				res = admin.do(t, req, from...)
			}
			switch {
			case oneClick:
				if res.StatusCode != http.StatusNotFound {
					t.Errorf("POST %s (one-click) with an unknown token and %q: %d, want 404", r.Path, from, res.StatusCode)
				}
			case res.StatusCode != http.StatusForbidden:
				t.Errorf("POST %s with %q: %d, want 403", r.Path, from, res.StatusCode)
			case !strings.Contains(res.body, "sent from another website"):
				t.Errorf("POST %s with %q: the 403 page does not explain:\n%.400s", r.Path, from, res.body)
			}
		}
		// Oversized: more than a form may have (64 KB; the article
		// editor's, which carry a whole article, 1 MB; a picture, 16 MB).
		size := 70 << 10
		switch {
		case strings.HasPrefix(r.Path, articlesPath):
			size = 1100 << 10
		case r.Path == mediaPath:
			size = 17 << 20
		}
		cl := s.client(t)
		big := url.Values{"body": {strings.Repeat("x", size)}}
		req := postForm(target, big)
		req.RemoteAddr = cl.ip + ":4321"
		want := http.StatusRequestEntityTooLarge
		if r.Path == mediaPath {
			want = http.StatusSeeOther // judged once she is known: a stranger is sent to log in
		}
		if res := cl.do(t, req); res.StatusCode != want {
			t.Errorf("POST %s with a %d KB body: %d, want %d", r.Path, size>>10, res.StatusCode, want)
		}
	}
	after := rowCounts(t, bdb)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows before, %d after cross-site forms", table, n, after[table])
		}
	}
}
