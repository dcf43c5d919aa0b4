package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/db/migrations"
)

// /healthz says the process is alive without asking the database, so an
// outage never makes Fly stop routing to a healthy machine.
func TestHealthz(t *testing.T) {
	closed := reopenPackageDB(t)
	closed.Close()
	servers := []struct {
		name string
		db   *bun.DB
	}{
		{"migrated database", seededDB(t)},
		{"database unreachable", unreachableDB(t)},
		{"connection pool closed", closed},
	}
	for _, sv := range servers {
		t.Run(sv.name, func(t *testing.T) {
			s := newTestServerDB(t, sv.db, nil)
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				res := s.serve(t, httptest.NewRequest(method, "/healthz", nil))
				if res.StatusCode != http.StatusOK {
					t.Errorf("%s /healthz: status = %d, want 200", method, res.StatusCode)
				}
				// (The recorder keeps what a HEAD handler writes; net/http drops it.)
				if method == http.MethodGet && res.body != "ok\n" {
					t.Errorf("GET /healthz: body = %q, want \"ok\\n\"", res.body)
				}
				if got := res.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s /healthz: Cache-Control = %q, want no-store", method, got)
				}
				if n := len(res.Cookies()); n != 0 {
					t.Errorf("%s /healthz set %d cookies, want none", method, n)
				}
			}
		})
	}
}

// /readyz is 200 only when the database answers and every embedded
// migration is applied; otherwise 503 says why, naming pending migrations.
func TestReadyz(t *testing.T) {
	all := embeddedMigrations(t)
	tests := []struct {
		name    string
		db      func(t *testing.T) *bun.DB
		status  int
		body    string   // exact, when set
		pending []string // named in the body
	}{
		{"migrated", func(t *testing.T) *bun.DB { return seededDB(t) }, http.StatusOK, "ready\n", nil},
		{"empty database, never migrated", func(t *testing.T) *bun.DB { return freshDB(t, false) },
			http.StatusServiceUnavailable, "", all},
		{"migration tables created, nothing applied", func(t *testing.T) *bun.DB { return freshDB(t, true) },
			http.StatusServiceUnavailable, "", all},
		{"database unreachable", unreachableDB, http.StatusServiceUnavailable, "database unreachable\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServerDB(t, tc.db(t), nil)
			res := s.get(t, "/readyz")
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d; body: %q", res.StatusCode, tc.status, res.body)
			}
			if tc.body != "" && res.body != tc.body {
				t.Errorf("body = %q, want %q", res.body, tc.body)
			}
			if len(tc.pending) > 0 && !strings.HasPrefix(res.body, "pending migrations: ") {
				t.Errorf("body = %q, want it to start with \"pending migrations: \"", res.body)
			}
			for _, name := range tc.pending {
				if !strings.Contains(res.body, name) {
					t.Errorf("body = %q, want it to name pending migration %s", res.body, name)
				}
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}

// embeddedMigrations are the names of the migrations the binary carries.
func embeddedMigrations(t *testing.T) []string {
	t.Helper()
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrations.FS); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms.Sorted() {
		names = append(names, m.Name)
	}
	if len(names) == 0 {
		t.Fatal("no embedded migrations")
	}
	return names
}

// freshDB is a new, empty database on the test server (dropped at the end of
// the test). With initMigrations, bun/migrate's own tables exist but no
// migration has run.
func freshDB(t *testing.T, initMigrations bool) *bun.DB {
	t.Helper()
	ctx := context.Background()
	_, bdb := dbtest.Empty(t, db.Options{MaxOpenConns: 2})
	if initMigrations {
		ms := migrate.NewMigrations()
		if err := ms.Discover(migrations.FS); err != nil {
			t.Fatal(err)
		}
		if err := migrate.NewMigrator(bdb, ms).Init(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return bdb
}
