package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dynamicmotion/db/dbtest"
)

// What PostgreSQL says while it stops or starts (a restart, a failover) is
// an outage, not a bug: the visitor gets the friendly 503 with Retry-After.
// Found by e2e.TestFaultPostgresRestartUnderLoad, where requests during
// `pg_ctl stop -m fast` and the start that followed got 500 for "the
// database system is shutting down" (57P03) and "terminating connection due
// to administrator command" (57P01). Errors of the request or the data
// stay 500 (or are turned into their own answers by the handlers).
func TestPostgresStoppingIsUnavailable(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	raise := func(code string) error {
		_, err := bdb.ExecContext(ctx, fmt.Sprintf(`DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '%s'; END $$`, code))
		if err == nil {
			t.Fatalf("RAISE with SQLSTATE %s did not fail", code)
		}
		return err
	}
	for _, tc := range []struct {
		code, what string
		want       bool
	}{
		{"57P01", "admin_shutdown: terminating connection due to administrator command", true},
		{"57P02", "crash_shutdown", true},
		{"57P03", "cannot_connect_now: the database system is starting up / shutting down", true},
		{"08006", "connection_failure", true},
		{"08003", "connection_does_not_exist", true},
		{"53300", "too_many_connections", true},
		{"55000", "object_not_in_prerequisite_state: database does not allow connections", true},
		{"3D000", "invalid_catalog_name: database does not exist", true},
		{"23505", "unique_violation", false},
		{"22P02", "invalid_text_representation", false},
		{"42P01", "undefined_table", false},
		{"57014", "query_canceled", false},
	} {
		err := raise(tc.code)
		if got := isUnavailable(err); got != tc.want {
			t.Errorf("isUnavailable(SQLSTATE %s, %s) = %v, want %v (err: %v)", tc.code, tc.what, got, tc.want, err)
		}
		if got := isUnavailable(fmt.Errorf("loading the page: %w", err)); got != tc.want {
			t.Errorf("isUnavailable(wrapped SQLSTATE %s) = %v, want %v", tc.code, got, tc.want)
		}
	}
	if isUnavailable(errors.New("template: no such block")) {
		t.Error("isUnavailable(a plain error) = true, want false")
	}
}

// A session that cannot be saved (the database went away while the handler
// ran) must not add a second page to the handler's answer, nor turn what
// the handler did into a 503: a comment or booking already saved would be
// sent again by a visitor told to try again, and saved twice. The handler's
// answer goes out once, without the session cookie, and the failure is
// logged. Found by e2e.TestFaultPostgresRestartUnderLoad, where comment
// POSTs during the outage got two "Back in a moment" pages in one body.
func TestSessionNotSavedKeepsTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/_test/session", http.StatusNoContent, ""},
		{"/_test/session-error", http.StatusUnprocessableEntity, "Please check the form."},
	} {
		t.Run(tc.path, func(t *testing.T) {
			s := newTestServer(t, nil)
			s.store.failCommits.Store(true)
			req := postForm(tc.path, url.Values{"v": {uniqueMarker(t)}})
			res := s.serve(t, req)
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want the handler's %d; body:\n%s", res.StatusCode, tc.status, res.body)
			}
			if n := strings.Count(res.body, "<!doctype html>"); n > 1 {
				t.Errorf("the answer holds %d pages, want at most one:\n%s", n, res.body)
			}
			if tc.body != "" && !strings.Contains(res.body, tc.body) {
				t.Errorf("the answer lacks the handler's %q:\n%s", tc.body, res.body)
			}
			if n := res.setCookies("session"); n != 0 {
				t.Errorf("a session cookie was sent for a session that was not saved: %q", res.Header.Values("Set-Cookie"))
			}
			if !strings.Contains(s.log.String(), "session not saved") {
				t.Errorf("the failure to save the session was not logged:\n%s", s.log.String())
			}
		})
	}
}
