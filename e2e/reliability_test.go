package e2e

// Helpers of the reliability proofs (issue 8): instances a test starts and
// stops itself, visitors that speak plain HTTP (cookie jar, their own client
// address), and the checks on what the site answers while things fail.
//
// The instances these tests start set FLY_APP_NAME, so that they trust the
// Fly-Client-IP header, as they do behind Fly's proxy: each simulated
// visitor then has an address of its own, and the per-address limits
// (bookings 30, comments 20 per 10 minutes) count each visitor apart, as
// they would in production, instead of all of them as 127.0.0.1.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// instance is a `serve` process that a test starts and may stop itself.
type instance struct {
	*server
	origin string
}

// running reports whether the process has not exited yet.
func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// startOwnInstance runs `serve` on the database dsn, trusting Fly-Client-IP,
// and waits until it is ready. At the end of the test it is stopped with
// SIGINT (a clean exit within 5 s is required) unless the test stopped it.
// Set E2E_INSTANCE_LOGS=<dir> to keep every instance's whole log there.
func startOwnInstance(t *testing.T, dsn string, extra map[string]string) *instance {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	origin := "http://127.0.0.1:" + strconv.Itoa(port)
	set := map[string]string{
		"DATABASE_URL": dsn,
		"PORT":         strconv.Itoa(port),
		"BASE_URL":     origin,
		"LOG_LEVEL":    "info",
		"FLY_APP_NAME": "dynamicmotion-reliability-test",
	}
	for k, v := range extra {
		set[k] = v
	}
	srv, err := startServer(binPath, "", siteEnv(set), origin, readyTimeout)
	if err != nil {
		t.Fatalf("starting an instance of the site: %v", err)
	}
	in := &instance{server: srv, origin: origin}
	t.Cleanup(func() {
		if in.running() {
			if err := srv.stop(shutdownTimeout); err != nil {
				t.Errorf("instance %s: %v\n--- its log ---\n%s", origin, err, lastLines(srv.log.String(), 40))
				return
			}
		}
		if t.Failed() {
			t.Logf("--- the log of instance %s (last lines) ---\n%s", origin, lastLines(srv.log.String(), 40))
		}
		if dir := os.Getenv("E2E_INSTANCE_LOGS"); dir != "" {
			name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+strconv.Itoa(port)+".log")
			if err := os.WriteFile(name, []byte(srv.log.String()), 0o644); err != nil {
				t.Logf("keeping the instance's log: %v", err)
			}
		}
	})
	return in
}

// runBinary runs a subcommand of the site (migrate, seed) with
// DATABASE_URL=dsn and fails the test unless it exits 0.
func runBinary(t *testing.T, dsn, sub string) {
	t.Helper()
	cmd := exec.Command(binPath, sub)
	cmd.Env = siteEnv(map[string]string{"DATABASE_URL": dsn, "BASE_URL": "http://127.0.0.1:1", "LOG_LEVEL": "warn"})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("`dynamicmotion %s` must exit 0: %v\n%s", sub, err, out)
	}
}

// visitorIPs hands out client addresses, one per visitor (TEST-NET-2 and
// onwards, which no real client has).
var visitorIPs atomic.Uint32

func nextVisitorIP() string {
	n := visitorIPs.Add(1)
	return fmt.Sprintf("198.51.%d.%d", 100+n/250, 1+n%250)
}

// visitor is one person's browser reduced to HTTP: its own cookies, its own
// address (Fly-Client-IP), redirects not followed so that a test sees the
// 303 itself.
type visitor struct {
	origin string
	ip     string
	client *http.Client
}

// newVisitor makes a visitor of the site at origin. With fresh, every
// request opens a new connection (no keep-alive): a request that fails is
// then either refused at connect or failed by the server, never an idle
// connection closed under it.
func newVisitor(t *testing.T, origin string, fresh bool) *visitor {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = fresh
	t.Cleanup(tr.CloseIdleConnections)
	return &visitor{origin: origin, ip: nextVisitorIP(), client: &http.Client{
		Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// answer is a complete HTTP answer, read to its end.
type answer struct {
	status int
	header http.Header
	body   string
	took   time.Duration
}

// callError is a request that got no complete answer.
type callError struct {
	err       error
	connected bool // a connection was made
	wrote     bool // the whole request was sent
}

func (e *callError) Error() string {
	return fmt.Sprintf("%v (connected %v, request sent %v)", e.err, e.connected, e.wrote)
}

// refused reports a request that never reached the server: the connection
// was refused, as after a graceful shutdown has closed the listener.
func (e *callError) refused() bool { return !e.connected }

// do sends one request (a form when form is not nil) and reads the whole
// answer. hdr adds headers (HX-Request, Accept, …).
func (v *visitor) do(method, path string, form url.Values, hdr map[string]string) (answer, error) {
	return v.doCtx(context.Background(), method, path, form, hdr)
}

func (v *visitor) doCtx(ctx context.Context, method, path string, form url.Values, hdr map[string]string) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	var connected, wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { connected.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	})
	req, err := http.NewRequestWithContext(ctx, method, v.origin+path, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Fly-Client-IP", v.ip)
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	start := time.Now()
	resp, err := v.client.Do(req)
	if err != nil {
		return answer{}, &callError{err: err, connected: connected.Load(), wrote: wrote.Load()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, &callError{err: fmt.Errorf("reading the answer (%s): %w", resp.Status, err), connected: true, wrote: true}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b), took: time.Since(start)}, nil
}

// Fields of the site's forms.
var (
	startedField = regexp.MustCompile(`name="started" value="([^"]*)"`)
	startValue   = regexp.MustCompile(`<button name="start" value="([^"]+)"`)
	serviceField = regexp.MustCompile(`name="service" value="(\d+)"`)
	freeDayLink  = regexp.MustCompile(`<a class="day free" href="/book\?[^"]*date=([0-9-]+)"`)
	nextWeekLink = regexp.MustCompile(`<a href="/book\?[^"]*week=([0-9-]+)" rel="next">`)
	commentIDRe  = regexp.MustCompile(`id="comment-(\d+)"`)
)

// unfriendly says what is wrong with an answer given while the database
// is unreachable, or "" when it is the site's own "Back in a moment" page
// (or fragment, for htmx): 503, HTML, Retry-After, and nothing of the
// error itself.
func unfriendly(a answer) string {
	var problems []string
	if a.status != http.StatusServiceUnavailable {
		problems = append(problems, fmt.Sprintf("status %d, want 503", a.status))
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		problems = append(problems, fmt.Sprintf("Content-Type %q, want HTML", ct))
	}
	if !strings.Contains(a.body, "briefly unavailable") || !strings.Contains(a.body, "Error 503") {
		problems = append(problems, "not the friendly page (no “briefly unavailable”, no “Error 503”)")
	}
	if n := strings.Count(a.body, "Error 503"); n > 1 {
		problems = append(problems, fmt.Sprintf("the error is in the answer %d times", n))
	}
	if a.header.Get("Retry-After") == "" {
		problems = append(problems, "no Retry-After")
	}
	for _, leak := range []string{"goroutine ", "pgdriver", "SQLSTATE", "dial unix", "panic", ".go:", "sql: ", "database/sql"} {
		if strings.Contains(a.body, leak) {
			problems = append(problems, fmt.Sprintf("shows %q", leak))
		}
	}
	if len(problems) == 0 {
		return ""
	}
	return strings.Join(problems, "; ") + "\n" + abbreviate(a.body, 400)
}

// abbreviate keeps the start of s.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// freeStudioTimes reads the slot picker (as htmx asks for it) of the
// first service at the studio, day by day along its strip and week after
// week ("Later →"), until it has at least n free start times (or the horizon
// ends). It returns the service id and the times, in RFC 3339, earliest
// first.
func freeStudioTimes(t *testing.T, v *visitor, n int) (service string, starts []string) {
	t.Helper()
	a, err := v.do("GET", "/book", nil, nil)
	if err != nil || a.status != 200 {
		t.Fatalf("GET /book: %v %d", err, a.status)
	}
	m := serviceField.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("GET /book shows no service in its picker:\n%s", abbreviate(a.body, 2000))
	}
	service = m[1]
	base := "/book/slots?service=" + service + "&location=studio"
	queue, seen := []string{base}, map[string]bool{base: true}
	for len(queue) > 0 && len(starts) < n && len(seen) < 150 {
		path := queue[0]
		queue = queue[1:]
		a, err := v.do("GET", path, nil, map[string]string{"HX-Request": "true"})
		if err != nil || a.status != 200 {
			t.Fatalf("GET %s: %v %d", path, err, a.status)
		}
		for _, m := range startValue.FindAllStringSubmatch(a.body, -1) {
			if !slices.Contains(starts, m[1]) {
				starts = append(starts, m[1])
			}
		}
		// The week's other free days, then the next week.
		var more []string
		for _, m := range freeDayLink.FindAllStringSubmatch(a.body, -1) {
			more = append(more, base+"&date="+m[1])
		}
		if nw := nextWeekLink.FindStringSubmatch(a.body); nw != nil {
			more = append(more, base+"&week="+nw[1])
		}
		for _, p := range more {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	if len(starts) < n {
		t.Fatalf("the picker offers %d free studio times in the weeks open for booking, the test needs %d", len(starts), n)
	}
	slices.Sort(starts) // RFC 3339 in UTC: in the order of time
	return service, starts
}

// bookingForm is everything POST /book needs to hold and confirm a time in
// one go, as a form posted without JavaScript and without an earlier hold.
func bookingForm(service, start, name, email string) url.Values {
	f := url.Values{
		"service": {service}, "location": {"studio"}, "start": {start},
		"name": {name}, "email": {email}, "phone": {"07700 900123"},
		"consent_policy": {"yes"}, "consent_health": {"yes"},
	}
	for _, k := range []string{"injury", "clots", "skin", "pregnancy", "medication"} {
		f.Set("health_"+k, "no")
	}
	return f
}

// commentForm is a new comment as the article's form sends it: the signed
// stamp the form fetched (stamp is the answer of GET /form-stamp; the
// article itself, shared by every visitor, carries none), the honeypot
// empty.
func commentForm(stamp, name, body string) (url.Values, error) {
	m := startedField.FindStringSubmatch(stamp)
	if m == nil || m[1] == "" {
		return nil, errors.New("/form-stamp gave no signed stamp")
	}
	return url.Values{"started": {m[1]}, "name": {name}, "body": {body}, "website": {""}}, nil
}

// postedCommentID is the id in the Location of a comment's 303
// (/blog/<slug>#comment-<id>), or 0.
func postedCommentID(a answer) int64 {
	_, frag, _ := strings.Cut(a.header.Get("Location"), "#comment-")
	id, _ := strconv.ParseInt(frag, 10, 64)
	return id
}

// sseEvent is one event of a live comment stream.
type sseEvent struct {
	id   int64
	name string
	data string
	at   time.Time // when it was received
}

// commentID is the id of the comment an event carries (its first
// id="comment-N"), or 0.
func (e sseEvent) commentID() int64 {
	m := commentIDRe.FindStringSubmatch(e.data)
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// stream is an open live comment stream, read as a browser's EventSource
// reads it.
type stream struct {
	events chan sseEvent
	ended  chan struct{} // closed when the server ends the stream
	err    error         // why it ended, when ended is closed
	cancel context.CancelFunc
}

// streamAfterRe finds where a page's live stream starts: the last event the
// page was rendered with.
var streamAfterRe = regexp.MustCompile(`sse-connect="(/blog/[^"?]+/comments/stream\?after=\d+)"`)

// openStream connects to the live comments at path (with Last-Event-ID
// when lastID > 0, as a reconnecting browser does) and fails the test
// unless it answers 200 text/event-stream.
func openStream(t *testing.T, v *visitor, path string, lastID int64) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", v.origin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Fly-Client-IP", v.ip)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	client := &http.Client{Transport: v.client.Transport} // no timeout: the stream stays open
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("opening the live stream %s%s: %v", v.origin, path, err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		cancel()
		t.Fatalf("the live stream %s%s answered %s (%s), want 200 text/event-stream", v.origin, path, resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &stream{events: make(chan sseEvent, 100), ended: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var e sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.name != "" || len(data) > 0 {
					e.data, e.at = strings.Join(data, "\n"), time.Now()
					s.events <- e
				}
				e, data = sseEvent{}, nil
			case strings.HasPrefix(line, "id: "):
				e.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "event: "):
				e.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
		s.err = sc.Err()
	}()
	return s
}

// preparedComment is an article's comment form, fetched by its own visitor
// (its own session and address) on one instance, ready to send once a
// person would have filled it in.
type preparedComment struct {
	v    *visitor
	form url.Values
	body string
}

// prepareComments opens the article n times on the instance at origin,
// each time as a new visitor, and fills in the form with a unique text.
func prepareComments(t *testing.T, origin, label string, n int) []preparedComment {
	t.Helper()
	var out []preparedComment
	for i := 0; i < n; i++ {
		v := newVisitor(t, origin, true)
		a, err := v.do("GET", "/blog/"+firstArticle, nil, nil)
		if err != nil || a.status != 200 {
			t.Fatalf("GET %s/blog/%s: %v %d", origin, firstArticle, err, a.status)
		}
		body := uniqueText(fmt.Sprintf("%s %d: does a massage help before a race?", label, i))
		stamp, err := v.do("GET", "/form-stamp", nil, map[string]string{"HX-Request": "true"}) // as the page does when it loads
		if err != nil || stamp.status != 200 {
			t.Fatalf("GET %s/form-stamp: %v %d", origin, err, stamp.status)
		}
		form, err := commentForm(stamp.body, "Reader "+label, body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, preparedComment{v: v, form: form, body: body})
	}
	return out
}

// send posts the prepared comment as a plain form and returns its id from
// the 303, failing the test on anything else.
func (p preparedComment) send(t *testing.T) int64 {
	t.Helper()
	a, err := p.v.do("POST", "/blog/"+firstArticle+"/comments", p.form, nil)
	if err != nil {
		t.Fatalf("posting a comment on %s: %v", p.v.origin, err)
	}
	id := postedCommentID(a)
	if a.status != http.StatusSeeOther || id == 0 {
		t.Fatalf("posting a comment on %s answered %d (Location %q), want 303 to #comment-<id>:\n%s", p.v.origin, a.status, a.header.Get("Location"), abbreviate(a.body, 1500))
	}
	return id
}

// dbOpen opens TestMain's database for checks, closed when the test ends.
func dbOpen(t *testing.T) *bun.DB {
	t.Helper()
	bdb, err := db.Open(context.Background(), databaseURL, db.Options{MaxOpenConns: 2, AppName: "e2e-check"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return bdb
}
