package handlers

// This file holds the test server and the helpers the other *_test.go files
// share. The tests run the real Echo (h.Echo()) against the real PostgreSQL
// that dbtest provides, wired the way main.go wires the binary.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"dynamicmotion/clock"
	"dynamicmotion/config"
	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/emails"
	"dynamicmotion/jobs"
	"dynamicmotion/markdown"
	"dynamicmotion/static"
	"dynamicmotion/views"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// epoch is the instant the booking tests run at: by default Sunday 6
// December 2026 at 19:10 in London, the evening a run once failed because
// "next week" was tomorrow morning, inside the 24-hour cut-off. TEST_EPOCH
// (RFC 3339) runs them at another instant, to walk the suite across
// clock changes and year ends; TestBookingFlowAtHardInstants (here) and
// booking.TestBookingAtHardInstants walk one booking through them all in
// every run.
var epoch = func() time.Time {
	if v := os.Getenv("TEST_EPOCH"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			panic("TEST_EPOCH: " + err.Error())
		}
		return t
	}
	return time.Date(2026, 12, 6, 19, 10, 0, 0, time.UTC)
}()

// clk is the clock of every test server in this package: the wall clock
// until a test calls runAt. (Tests in a package run one at a time.)
var clk = &clock.Offset{}

// onClock is at, an instant on the wall clock (River schedules jobs on it),
// as clk reads it, to the second: the offset is measured twice, a moment
// apart.
func onClock(at time.Time) time.Time {
	return at.Add(time.Until(clk.Now())).Round(time.Second)
}

// runAt runs the rest of t at instant: every test server (and the job
// queue's decisions) read clk, which starts there and runs at the wall
// clock's pace. When t ends, clk is the wall clock again.
//
// Tests at one instant book the same days each time they run: what a test
// writes to the diary (bookings and holds, waitlist entries and offers, the
// mail they queued, time off) is deleted when it ends, so that the next
// test, or this one again with -count, finds the diary as it was.
func runAt(t testing.TB, instant time.Time) {
	t.Helper()
	ctx := context.Background()
	bdb := seededDB(t)
	tables := []string{"outbox", "waitlist", "bookings", "time_off"} // in an order the foreign keys allow
	last := make([]int64, len(tables))
	for i, table := range tables {
		if err := bdb.NewRaw("SELECT coalesce(max(id), 0) FROM ?", bun.Ident(table)).Scan(ctx, &last[i]); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(instant)
	t.Cleanup(func() {
		clk.Reset()
		for i, table := range tables {
			if _, err := bdb.NewRaw("DELETE FROM ? WHERE id > ?", bun.Ident(table), last[i]).Exec(ctx); err != nil {
				t.Errorf("deleting what the test wrote to %s: %v", table, err)
			}
		}
	})
}

const (
	practiceName = "Dynamic Motion Sports Therapy"
	httpBase     = "http://example.test"
	httpsBase    = "https://example.test"
	// sessionKey is the session key the test routes write.
	sessionKey = "test-value"
)

var (
	seedOnce sync.Once
	seedErr  error
)

// seededDB is the package's migrated test database with the demo content.
func seededDB(t testing.TB) *bun.DB {
	t.Helper()
	bdb := dbtest.DB(t)
	seedOnce.Do(func() {
		if seedErr = db.Seed(context.Background(), bdb); seedErr == nil {
			// The package's booking tests choose times on a 15-minute grid
			// (the default was 15 until it became the half hour); the step
			// itself is tested apart (TestScheduleSettings).
			_, seedErr = bdb.NewRaw("UPDATE schedule_settings SET step_min = 15").Exec(context.Background())
		}
	})
	if seedErr != nil {
		t.Fatalf("db.Seed: %v", seedErr)
	}
	return bdb
}

// unreachableDB is a *bun.DB whose server does not exist (a closed port), as
// when PostgreSQL is down. It is built without db.Open, which would ping.
func unreachableDB(t *testing.T) *bun.DB {
	t.Helper()
	sqldb := sql.OpenDB(pgdriver.NewConnector(
		pgdriver.WithDSN("postgres://postgres@127.0.0.1:1/down?sslmode=disable"),
		pgdriver.WithDialTimeout(time.Second),
	))
	bdb := bun.NewDB(sqldb, pgdialect.New())
	t.Cleanup(func() { bdb.Close() })
	return bdb
}

// testServer is the site as main.go assembles it, plus test-only routes.
type testServer struct {
	cfg    config.Config
	h      *Handler
	e      *echo.Echo
	assets *static.Assets
	log    *syncBuffer
	store  *countingStore
}

// newTestServer builds the site over the seeded test database. BaseURL is
// http://example.test unless override changes it (or anything else in the
// configuration).
func newTestServer(t testing.TB, override func(*config.Config)) *testServer {
	t.Helper()
	return newTestServerDB(t, seededDB(t), override)
}

// newTestServerDB builds the site over bdb, for the database-outage and
// readiness tests.
func newTestServerDB(t testing.TB, bdb *bun.DB, override func(*config.Config)) *testServer {
	t.Helper()
	base, _ := url.Parse(httpBase)
	cfg := config.Config{Port: 8080, BaseURL: base, LogLevel: slog.LevelDebug}
	if override != nil {
		override(&cfg)
	}

	assets, err := static.Load()
	if err != nil {
		t.Fatalf("static.Load: %v", err)
	}
	renderer, err := views.New(map[string]any{"asset": assets.URL})
	if err != nil {
		t.Fatalf("views.New: %v", err)
	}

	// As in main.go, with a store that counts its writes and no cleanup
	// goroutine.
	store := &countingStore{PostgresStore: postgresstore.NewWithCleanupInterval(bdb.DB, 0)}
	sessions := NewSessions(store, cfg.Secure())

	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })

	// The job queue is not started: tests see what was enqueued in the
	// outbox and River's table (package jobs has the tests that send).
	queue, err := jobs.New(context.Background(), jobs.Config{
		DB: bdb, DSN: dbtest.DSN(t), Log: log, Now: clk.Now,
		Practice: func(ctx context.Context, idb bun.IDB) (emails.Practice, error) {
			biz, err := db.GetBusiness(ctx, idb)
			return emails.PracticeFor(biz, cfg.BaseURL), err
		},
	})
	if err != nil {
		t.Fatalf("jobs.New: %v", err)
	}
	t.Cleanup(func() { queue.Close() })

	h := New(Deps{Config: cfg, DB: bdb, Views: renderer, Assets: assets, Sessions: sessions, Log: log, Done: done, Jobs: queue, Now: clk.Now})
	e := h.Echo()
	// Echo's Recover middleware logs panics through e.Logger, not slog:
	// keep them in the test's log buffer rather than on stdout.
	e.Logger.SetOutput(logs)
	addTestRoutes(e, h)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testServer{cfg: cfg, h: h, e: e, assets: assets, log: logs, store: store}
}

func secure(c *config.Config) { c.BaseURL, _ = url.Parse(httpsBase) }

// addTestRoutes adds the routes that exercise middleware the site's pages
// do not reach yet (forms, session writes, failures).
func addTestRoutes(e *echo.Echo, h *Handler) {
	g := e.Group("/_test", h.siteMiddleware(h.crossOrigin())...)
	// A form that changes nothing.
	g.POST("/form", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	// A form that reads its whole body, as real forms do.
	g.POST("/read", func(c echo.Context) error {
		if _, err := c.FormParams(); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	// A form that stores the field v in the session.
	g.POST("/session", func(c echo.Context) error {
		h.sessions.Put(c.Request().Context(), sessionKey, c.FormValue("v"))
		return c.NoContent(http.StatusNoContent)
	})
	// A form that stores v in the session and then fails validation.
	g.POST("/session-error", func(c echo.Context) error {
		h.sessions.Put(c.Request().Context(), sessionKey, c.FormValue("v"))
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Please check the form.")
	})
	// Ages the admin login by the given hours, as if she had gone away.
	g.POST("/admin-idle", func(c echo.Context) error {
		hours, _ := strconv.Atoi(c.FormValue("hours"))
		h.sessions.Put(c.Request().Context(), adminSeenKey, h.now().Add(-time.Duration(hours)*time.Hour).Unix())
		return c.NoContent(http.StatusNoContent)
	})
	g.GET("/boom", func(c echo.Context) error { return errors.New("boom") })
	g.GET("/panic", func(c echo.Context) error { panic("kaboom") })
	g.GET("/ip", func(c echo.Context) error { return c.String(http.StatusOK, c.RealIP()) })
}

// countingStore is the Postgres session store, counting Commit calls; with
// failCommits set, saving fails as it does when the database goes away.
type countingStore struct {
	*postgresstore.PostgresStore
	commits     atomic.Int64
	failCommits atomic.Bool
}

func (s *countingStore) Commit(token string, b []byte, expiry time.Time) error {
	s.commits.Add(1)
	if s.failCommits.Load() {
		return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return s.PostgresStore.Commit(token, b, expiry)
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLine is the part of a JSON log line the tests look at.
type logLine struct {
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	ID     string `json:"id"`
	Method string `json:"method"`
	Route  string `json:"route"`
	Status int    `json:"status"`
	Err    string `json:"err"`
}

func (b *syncBuffer) lines(t *testing.T) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, ll)
	}
	return out
}

// requestLines returns the request log lines (msg "request").
func (b *syncBuffer) requestLines(t *testing.T) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range b.lines(t) {
		if l.Msg == "request" {
			out = append(out, l)
		}
	}
	return out
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	body string
}

// serve sends req through the server.
func (s *testServer) serve(t *testing.T, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res, string(b)}
}

// get sends a GET for target with the given header lines ("Name: value").
func (s *testServer) get(t *testing.T, target string, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	setHeaders(t, req, headers)
	return s.serve(t, req)
}

func setHeaders(t *testing.T, req *http.Request, headers []string) {
	t.Helper()
	for _, hl := range headers {
		k, v, ok := strings.Cut(hl, ":")
		if !ok {
			t.Fatalf("header %q: want \"Name: value\"", hl)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
}

// postForm builds a urlencoded POST of form.
func postForm(target string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// cookie returns the response's cookie called name, or nil.
func (r response) cookie(name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookies returns how many Set-Cookie headers name the cookie.
func (r response) setCookies(name string) int {
	n := 0
	for _, c := range r.Cookies() {
		if c.Name == name {
			n++
		}
	}
	return n
}

// sessionRows counts the rows of the sessions table whose data holds marker.
func sessionRows(t *testing.T, marker string) int {
	t.Helper()
	n, err := dbtest.DB(t).NewSelect().Table("sessions").
		Where("position(?::bytea in data) > 0", []byte(marker)).
		Count(context.Background())
	if err != nil {
		t.Fatalf("counting sessions: %v", err)
	}
	return n
}

// uniqueMarker is a value no other test stores in a session.
func uniqueMarker(t *testing.T) string {
	return "marker-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// visitor is one browser: it keeps the cookies the site sets and sends them
// back, so that its requests share a session.
type visitor struct {
	s       *testServer
	cookies map[string]*http.Cookie
}

func (s *testServer) visitor() *visitor {
	return &visitor{s: s, cookies: map[string]*http.Cookie{}}
}

// do sends req with the visitor's cookies and the header lines, and keeps
// the cookies the response sets.
func (v *visitor) do(t *testing.T, req *http.Request, headers ...string) response {
	t.Helper()
	setHeaders(t, req, headers)
	for _, c := range v.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res := v.s.serve(t, req)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(v.cookies, c.Name)
		} else {
			v.cookies[c.Name] = c
		}
	}
	return res
}

func (v *visitor) get(t *testing.T, target string, headers ...string) response {
	t.Helper()
	return v.do(t, newRequest(http.MethodGet, target), headers...)
}

var uniqueSeq atomic.Int64

// unique is a lower-case string of letters that no other call returns, even
// across runs (-count=n) on the package's one database: for slugs, tags and
// search words.
func unique() string {
	letters := func(n uint64) string {
		var b []byte
		for ; n > 0; n /= 26 {
			b = append(b, byte('a'+n%26))
		}
		return string(b)
	}
	return letters(uint64(time.Now().UnixNano())) + "x" + letters(uint64(uniqueSeq.Add(1)))
}

// savePost stores an article the way the seed does (its Markdown rendered by
// the markdown package) and returns it with its id. Left out: a unique slug,
// a title, a body, status published, published a year ago, updated then.
func savePost(t testing.TB, p db.Post) db.Post {
	t.Helper()
	if p.Slug == "" {
		p.Slug = "post-" + unique()
	}
	if p.Title == "" {
		p.Title = "Test article " + p.Slug
	}
	if p.BodyMD == "" {
		p.BodyMD = "A short article written for a test."
	}
	if p.Status == "" {
		p.Status = db.StatusPublished
	}
	if p.PublishedAt == nil && p.Status != db.StatusDraft {
		at := time.Now().AddDate(-1, 0, 0).Truncate(time.Second)
		p.PublishedAt = &at
	}
	if p.UpdatedAt.IsZero() && p.PublishedAt != nil {
		p.UpdatedAt = *p.PublishedAt
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	body, err := markdown.Article(p.BodyMD, markdown.Options{})
	if err != nil {
		t.Fatalf("rendering %s: %v", p.Slug, err)
	}
	p.BodyHTML, p.BodyText, p.ReadingMinutes = body, markdown.Plain(p.BodyMD), markdown.ReadingMinutes(p.BodyMD)
	if err := db.SavePost(context.Background(), seededDB(t), &p); err != nil {
		t.Fatalf("saving post %s: %v", p.Slug, err)
	}
	if p.ID == 0 {
		t.Fatalf("saving post %s: no id", p.Slug)
	}
	return p
}

// savedViews writes the views s has counted in memory, then reads the post's
// view count from the database.
func (s *testServer) savedViews(t *testing.T, slug string) int {
	t.Helper()
	if err := s.h.Close(context.Background()); err != nil {
		t.Fatalf("writing the counted views: %v", err)
	}
	return postNow(t, slug).Views
}

// postNow reads a post's current counts (likes, views) from the database.
func postNow(t *testing.T, slug string) db.Post {
	t.Helper()
	p, err := db.PostBySlug(context.Background(), seededDB(t), slug)
	if err != nil {
		t.Fatalf("PostBySlug(%s): %v", slug, err)
	}
	return p
}
