package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// Errors are friendly HTML pages (never Echo's JSON), or for htmx the error
// fragment alone, with the status code kept.
func TestErrorPages(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		name     string
		method   string
		target   string
		headers  []string
		status   int
		fragment bool // only the error fragment, no document
		heading  string
		sameSite bool // sent from the site's own page, as its forms are
	}{
		{"unknown path", "GET", "/no-such-page", nil, 404, false, "Page not found", false},
		{"unknown nested path", "GET", "/services/nope/deeper", nil, 404, false, "Page not found", false},
		{"unknown path, htmx", "GET", "/no-such-page", []string{"HX-Request: true"}, 404, true, "Page not found", false},
		{"unknown path, boosted htmx", "GET", "/no-such-page", []string{"HX-Request: true", "HX-Boosted: true"}, 404, false, "Page not found", false},
		{"unknown path asking for JSON", "GET", "/no-such-page", []string{"Accept: application/json"}, 404, false, "Page not found", false},
		{"POST to a GET-only page", "POST", "/services", nil, 405, false, "Not allowed", false},
		{"POST to the home page", "POST", "/", nil, 405, false, "Not allowed", false},
		{"DELETE a page", "DELETE", "/about", nil, 405, false, "Not allowed", false},
		{"POST to a GET-only page, htmx", "POST", "/services", []string{"HX-Request: true"}, 405, true, "Not allowed", false},
		{"POST to a GET-only page from the site's own page", "POST", "/services", nil, 405, false, "Not allowed", true},
		{"POST to /healthz", "POST", "/healthz", nil, 405, false, "Not allowed", false},
		{"failing handler", "GET", "/_test/boom", nil, 500, false, "Something went wrong", false},
		{"failing handler, htmx", "GET", "/_test/boom", []string{"HX-Request: true"}, 500, true, "Something went wrong", false},
		{"panicking handler", "GET", "/_test/panic", nil, 500, false, "Something went wrong", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, nil)
			setHeaders(t, req, tc.headers)
			if tc.sameSite {
				req.Header.Set("Sec-Fetch-Site", "same-origin")
			}
			res := s.serve(t, req)
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status == http.StatusMethodNotAllowed {
				if got := res.Header.Get("Allow"); !strings.Contains(got, http.MethodGet) {
					t.Errorf("Allow = %q, want the methods the page supports (GET)", got)
				}
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", got)
			}
			if strings.HasPrefix(strings.TrimSpace(res.body), "{") {
				t.Errorf("body looks like JSON:\n%s", res.body)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := res.Header.Values("Vary"); !containsToken(got, "HX-Request") {
				t.Errorf("Vary = %q, want it to include HX-Request", got)
			}
			isDocument := strings.Contains(res.body, "<html")
			if isDocument == tc.fragment {
				t.Errorf("whole document = %t, want %t; body:\n%s", isDocument, !tc.fragment, res.body)
			}
			checkHTML(t, res.body,
				count("h1", 1),
				in(".error[role=alert] h1", hasExactText(tc.heading)),
				in(".error .code", hasExactText("Error "+strconv.Itoa(tc.status))),
			)
			if !tc.fragment {
				checkHTML(t, res.body,
					in("title", hasText(tc.heading+" · "+practiceName)),
					in("main#main"),
					in("a.skip-link[href=#main]"),
					in("main a[href=/book]"),
				)
			}
			for _, secret := range []string{"boom", "kaboom", "goroutine", "PANIC"} {
				if strings.Contains(res.body, secret) {
					t.Errorf("body reveals %q:\n%s", secret, res.body)
				}
			}
		})
	}
}

// HEAD of a missing page is a 404 without a body.
func TestErrorHEAD(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.serve(t, httptest.NewRequest(http.MethodHead, "/no-such-page", nil))
	if res.StatusCode != http.StatusNotFound || res.body != "" {
		t.Errorf("HEAD /no-such-page = %d with %d bytes, want 404 without a body", res.StatusCode, len(res.body))
	}
}

// A 500 is logged with the request id the response carries, and the error
// itself stays in the log.
func TestInternalErrorLogged(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.get(t, "/_test/boom")
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", res.StatusCode)
	}
	id := res.Header.Get(echo.HeaderXRequestID)
	if len(id) != 24 {
		t.Fatalf("X-Request-Id = %q, want 24 hex digits", id)
	}
	var failed []logLine
	for _, l := range s.log.lines(t) {
		if l.Msg == "request failed" {
			failed = append(failed, l)
		}
	}
	want := []logLine{{Level: "ERROR", Msg: "request failed", ID: id, Route: "/_test/boom", Status: 500, Err: "boom"}}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("error log lines (-want +got):\n%s", diff)
	}
	reqLines := s.log.requestLines(t)
	if len(reqLines) != 1 || reqLines[0].ID != id || reqLines[0].Status != 500 {
		t.Errorf("request log lines = %+v, want one with id %s and status 500", reqLines, id)
	}
}

// 4xx are the visitor's doing and are not logged as errors.
func TestClientErrorsNotLoggedAsErrors(t *testing.T) {
	s := newTestServer(t, nil)
	s.get(t, "/no-such-page")
	s.serve(t, postForm("/_test/form", nil))
	for _, l := range s.log.lines(t) {
		if l.Level == "ERROR" || l.Level == "WARN" {
			t.Errorf("log line at %s for a client error: %+v", l.Level, l)
		}
	}
}

// A request body over 64 KB is refused with the friendly 413 page, never a
// 500, whether its length is announced or not.
func TestBodyTooLarge(t *testing.T) {
	s := newTestServer(t, nil)
	// The site group's BodyLimit("64K") is 64,000 bytes: Echo (gommon/bytes)
	// reads "K" as a decimal kilobyte.
	const limit = 64_000
	tests := []struct {
		name    string
		target  string
		size    int
		chunked bool // no Content-Length: the limit applies while reading
		status  int
	}{
		{"at the limit", "/_test/form", limit, false, http.StatusNoContent},
		{"one byte over", "/_test/form", limit + 1, false, http.StatusRequestEntityTooLarge},
		{"over 64 KiB", "/_test/form", 64*1024 + 1, false, http.StatusRequestEntityTooLarge},
		{"a megabyte", "/_test/form", 1 << 20, false, http.StatusRequestEntityTooLarge},
		{"a megabyte, chunked, read by the handler", "/_test/read", 1 << 20, true, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := "x=" + strings.Repeat("a", tc.size-2)
			req := httptest.NewRequest(http.MethodPost, tc.target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.chunked {
				req.ContentLength = -1
			}
			res := s.serve(t, req)
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d; body:\n%s", res.StatusCode, tc.status, res.body)
			}
			if tc.status != http.StatusRequestEntityTooLarge {
				return
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", got)
			}
			checkHTML(t, res.body,
				in("h1", hasExactText("Too much to send")),
				in(".error", hasText("too large")),
			)
		})
	}
}

// When PostgreSQL is down, pages answer 503 "back in a moment" with
// Retry-After, the layout still shows the practice's name, and the probes
// tell liveness (fine) from readiness (not ready).
func TestDatabaseDown(t *testing.T) {
	s := newTestServerDB(t, unreachableDB(t), nil)
	for _, p := range publicPages {
		t.Run(p.path, func(t *testing.T) {
			res := s.get(t, p.path)
			checkUnavailable(t, res)
		})
	}
	t.Run("htmx", func(t *testing.T) {
		res := s.get(t, "/services", "HX-Request: true")
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", res.StatusCode)
		}
		if strings.Contains(res.body, "<html") {
			t.Errorf("htmx request got a whole document:\n%s", res.body)
		}
		checkHTML(t, res.body, in(".error h1", hasExactText("Back in a moment")))
	})
	// A returning visitor sends the session cookie, so the session store
	// (on the same database) is read before the handler runs.
	t.Run("visitor with a session cookie", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/services", nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: "Xq3lRk2T0z6dWgkq3Kv2cA7bq0H3WlE1p0u9Yx1n2m4"})
		res := s.serve(t, req)
		checkUnavailable(t, res)
	})
	t.Run("/healthz", func(t *testing.T) {
		res := s.get(t, "/healthz")
		if res.StatusCode != http.StatusOK || res.body != "ok\n" {
			t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", res.StatusCode, res.body)
		}
	})
	t.Run("/readyz", func(t *testing.T) {
		res := s.get(t, "/readyz")
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(res.body, "database unreachable") {
			t.Errorf("GET /readyz = %d %q, want 503 \"database unreachable\"", res.StatusCode, res.body)
		}
	})
	t.Run("logged with the request id", func(t *testing.T) {
		res := s.get(t, "/about")
		id := res.Header.Get(echo.HeaderXRequestID)
		found := false
		for _, l := range s.log.lines(t) {
			found = found || (l.Msg == "request failed" && l.ID == id && l.Status == 503)
		}
		if !found {
			t.Errorf("no \"request failed\" log line with id %s and status 503", id)
		}
	})
}

func checkUnavailable(t *testing.T, res response) {
	t.Helper()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503; body:\n%s", res.StatusCode, res.body)
	}
	if got := res.Header.Get("Retry-After"); got == "" {
		t.Error("no Retry-After header")
	}
	if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", got)
	}
	checkHTML(t, res.body,
		in("title", hasText(practiceName)),
		in("header a.brand", hasText(practiceName)),
		count("h1", 1),
		in("main .error h1", hasExactText("Back in a moment")),
		in("main .error", hasText("try again in a minute")),
	)
}

// A closed connection pool (as after a shutdown began) must not turn into a
// panic or a JSON answer either.
func TestDatabaseClosed(t *testing.T) {
	bdb := reopenPackageDB(t)
	s := newTestServerDB(t, bdb, nil)
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
	res := s.get(t, "/services")
	if res.StatusCode < 500 {
		t.Errorf("status = %d, want a 5xx", res.StatusCode)
	}
	checkHTML(t, res.body, in("main .error h1"), in("header a.brand", hasText(practiceName)))
	if res := s.get(t, "/healthz"); res.StatusCode != http.StatusOK || res.body != "ok\n" {
		t.Errorf("GET /healthz with the pool closed = %d %q, want 200 \"ok\\n\"", res.StatusCode, res.body)
	}
}

// reopenPackageDB opens a second pool on the package's test database, which
// a test may close.
func reopenPackageDB(t *testing.T) *bun.DB {
	t.Helper()
	seededDB(t)
	bdb, err := db.Open(context.Background(), dbtest.DSN(t), db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return bdb
}
