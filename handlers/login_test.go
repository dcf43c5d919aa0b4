package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/password"
)

// frozenClock is a clock that moves only when the test moves it: the
// login's backoff is counted in seconds, which a slow run must not eat.
type frozenClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *frozenClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *frozenClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// loginServer is adminServer on a frozen clock at epoch, with no notice of
// failed logins sent yet, and a count of the password checks made against
// password.Absent (the dummy comparison for addresses without an account).
func loginServer(t *testing.T) (*testServer, *frozenClock, *atomic.Int64) {
	t.Helper()
	runAt(t, epoch) // the outbox is emptied of what the test queued
	s := adminServer(t)
	fc := &frozenClock{t: epoch}
	s.h.now = fc.now
	dummies := &atomic.Int64{}
	s.h.dummyHash = func() string { dummies.Add(1); return password.Absent }
	forgetLoginAlerts(t)
	return s, fc, dummies
}

// forgetLoginAlerts clears when the last notice of failed logins went out,
// now and after the test (the admins row is shared by the package's tests).
func forgetLoginAlerts(t *testing.T) {
	t.Helper()
	clear := func() {
		if _, err := seededDB(t).NewRaw("UPDATE admins SET login_alert_at = NULL").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	clear()
	t.Cleanup(clear)
}

// tryLogin posts the login form from cl.
func tryLogin(t *testing.T, cl *client, email, pw string) response {
	t.Helper()
	return cl.post(t, loginPath, url.Values{"email": {email}, "password": {pw}})
}

// sameAnswer compares two answers to logins with different emails from
// two clients: status, headers (but the request id) and body, with each
// one's email taken out.
func sameAnswer(t *testing.T, step string, a, b response, emailA, emailB string) {
	t.Helper()
	if a.StatusCode != b.StatusCode {
		t.Errorf("%s: status %d for %s, %d for %s", step, a.StatusCode, emailA, b.StatusCode, emailB)
	}
	ha, hb := a.Header.Clone(), b.Header.Clone()
	ha.Del("X-Request-Id")
	hb.Del("X-Request-Id")
	for k, v := range ha {
		if !slices.Equal(v, hb[k]) {
			t.Errorf("%s: header %s is %q for %s, %q for %s", step, k, v, emailA, hb[k], emailB)
		}
	}
	for k := range hb {
		if _, ok := ha[k]; !ok {
			t.Errorf("%s: header %s only for %s", step, k, emailB)
		}
	}
	ba := strings.ReplaceAll(a.body, emailA, "EMAIL")
	bb := strings.ReplaceAll(b.body, emailB, "EMAIL")
	if ba != bb {
		t.Errorf("%s: the pages differ for %s and %s:\n%.3000s\n----\n%.3000s", step, emailA, emailB, ba, bb)
	}
}

// The admin's address and an unknown one get the same answers through a
// run of wrong passwords: the same statuses, headers and pages, the 429 at
// the same try. An unknown address costs the same work: its password is
// compared with password.Absent, once per try that is checked.
func TestLoginSameAnswersForAnyAddress(t *testing.T) {
	s, _, dummies := loginServer(t)
	unknown := "david@dynamicmotion.example" // as long as adminEmail, so that even the lengths match
	if len(unknown) != len(adminEmail) {
		t.Fatalf("the unknown address must be as long as %q", adminEmail)
	}
	known, other := s.client(t), s.client(t)
	var statuses []int
	for i := range 6 {
		before := dummies.Load()
		a := tryLogin(t, known, adminEmail, "wrong password "+strconv.Itoa(i))
		if d := dummies.Load() - before; d != 0 {
			t.Errorf("try %d at the admin's address compared with the dummy hash %d times", i+1, d)
		}
		b := tryLogin(t, other, unknown, "wrong password "+strconv.Itoa(i))
		want := int64(1)
		if b.StatusCode == http.StatusTooManyRequests {
			want = 0 // a source told to wait is not checked at all
		}
		if d := dummies.Load() - before; d != want {
			t.Errorf("try %d at an unknown address (%d): %d comparisons with the dummy hash, want %d", i+1, b.StatusCode, d, want)
		}
		sameAnswer(t, "try "+strconv.Itoa(i+1), a, b, adminEmail, unknown)
		statuses = append(statuses, a.StatusCode)
	}
	want := []int{422, 422, 422, 429, 429, 429}
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v (three tries, then a wait)", statuses, want)
	}
	// The right password at the admin's address is checked against her
	// hash, not the dummy.
	before := dummies.Load()
	s.client(t).logIn(t)
	if dummies.Load() != before {
		t.Error("the admin's login was compared with the dummy hash")
	}
	noServerErrors(t, s)
}

// A source that keeps failing waits 1 s after its third failure, then 2,
// 4, … up to 15 minutes; the answer says how long, in words and in
// Retry-After. Another source is not slowed by it; a success clears the
// count, and so does a day without failures.
func TestLoginBackoffPerSource(t *testing.T) {
	s, fc, _ := loginServer(t)
	guesser := s.client(t)
	for range 3 {
		wantStatus(t, tryLogin(t, guesser, "nobody@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	waits := []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900}
	for i, w := range waits {
		res := tryLogin(t, guesser, "nobody@example.com", "guess")
		wantStatus(t, res, http.StatusTooManyRequests)
		if got := res.Header.Get("Retry-After"); got != strconv.Itoa(w) {
			t.Fatalf("after %d failures: Retry-After %q, want %d", i+3, got, w)
		}
		words := map[int]string{1: "wait a second", 2: "wait 2 seconds", 16: "wait 16 seconds", 64: "wait a minute", 900: "wait 15 minutes"}[w]
		if words != "" && !strings.Contains(res.body, words) {
			t.Errorf("after %d failures the page does not say %q:\n%.2000s", i+3, words, res.body)
		}
		// A moment before the wait is over it is still there; then the
		// source may try once more (and fails again).
		fc.advance(time.Duration(w)*time.Second - time.Millisecond)
		wantStatus(t, tryLogin(t, guesser, adminEmail, adminPassword), http.StatusTooManyRequests)
		fc.advance(time.Millisecond)
		wantStatus(t, tryLogin(t, guesser, "nobody@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	// Another address is not slowed by this one's failures.
	other := s.client(t)
	wantStatus(t, tryLogin(t, other, "nobody@example.com", "guess"), http.StatusUnprocessableEntity)
	// A day after its last failure the source starts afresh.
	fc.advance(loginForgetAfter)
	for range 3 {
		wantStatus(t, tryLogin(t, guesser, "nobody@example.com", "guess"), http.StatusUnprocessableEntity)
	}
	wantStatus(t, tryLogin(t, guesser, "nobody@example.com", "guess"), http.StatusTooManyRequests)
	// The right password clears the count of its source.
	fc.advance(2 * time.Second)
	guesser.logIn(t)
	if n := s.h.limits.login.failures("address " + guesser.ip); n != 0 {
		t.Errorf("after a success the source has %d failures, want 0", n)
	}
	// IPv6: one /64 is one source.
	for i := range 3 {
		cl := s.client(t)
		cl.ip = "2001:db8:7:7::" + strconv.Itoa(i+1)
		wantStatus(t, tryLogin(t, cl, adminEmail, "guess"), http.StatusUnprocessableEntity)
	}
	cl := s.client(t)
	cl.ip = "2001:db8:7:7:abcd::1"
	wantStatus(t, tryLogin(t, cl, adminEmail, "guess"), http.StatusTooManyRequests)
	noServerErrors(t, s)
}

// Guessers at many addresses, each slowed to its longest wait, do not stop
// the therapist: the right password from a new address logs in at once,
// and so does a device she has logged in on from behind a guessing
// address (a source of its own). The address that guesses still waits,
// whatever it types.
func TestLoginRightPasswordWhileOthersAreThrottled(t *testing.T) {
	s, _, _ := loginServer(t)
	phone := s.client(t)
	phone.logIn(t)
	guessers := make([]*client, 4)
	for i := range guessers {
		guessers[i] = s.client(t)
		for range 3 {
			wantStatus(t, tryLogin(t, guessers[i], adminEmail, "guess "+strconv.Itoa(i)), http.StatusUnprocessableEntity)
		}
		wantStatus(t, tryLogin(t, guessers[i], adminEmail, "guess"), http.StatusTooManyRequests)
	}
	// Twelve failures on her account: more than any per-account limit
	// would allow.
	s.client(t).logIn(t)
	// Her phone, now behind the first guesser's address.
	phone.ip = guessers[0].ip
	phone.logIn(t)
	// A device cookie that is forged or signed for another account is no
	// device of hers: the request counts with its address.
	forged := s.client(t)
	forged.ip = guessers[0].ip
	forged.cookies[s.h.deviceCookieName()] = &http.Cookie{Name: s.h.deviceCookieName(),
		Value: strings.Split(phone.cookies[s.h.deviceCookieName()].Value, ".")[0] + ".AAAA"}
	wantStatus(t, tryLogin(t, forged, adminEmail, adminPassword), http.StatusTooManyRequests)
	// A known device that guesses is slowed on its own.
	laptop := s.client(t)
	laptop.logIn(t)
	for range 3 {
		wantStatus(t, tryLogin(t, laptop, adminEmail, "a wrong one"), http.StatusUnprocessableEntity)
	}
	wantStatus(t, tryLogin(t, laptop, adminEmail, adminPassword), http.StatusTooManyRequests)
	phone.logIn(t)
	// Successful logins never add up.
	for range 12 {
		c := s.client(t)
		c.ip = "203.0.113.9"
		c.logIn(t)
	}
	noServerErrors(t, s)
}

// loginAlerts are the notices of failed logins in the outbox.
func loginAlerts(t *testing.T) []db.OutboxMessage {
	t.Helper()
	all, err := db.ListOutbox(context.Background(), seededDB(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []db.OutboxMessage
	for _, m := range all {
		if m.Kind == "login_alert" {
			out = append(out, m)
		}
	}
	return out
}

// Ten failures on her account, from anywhere, queue one e-mail to her
// (her login's address) in the outbox; more failures that day queue none;
// the next day's do. Failures at other addresses never do.
func TestLoginAlertQueuedOnce(t *testing.T) {
	s, fc, _ := loginServer(t)
	before := len(loginAlerts(t))
	fail := func(email string, n int) {
		t.Helper()
		for range n {
			wantStatus(t, tryLogin(t, s.client(t), email, "a guess"), http.StatusUnprocessableEntity)
		}
	}
	fail("nobody@example.com", 25)
	fail(adminEmail, 9)
	if n := len(loginAlerts(t)) - before; n != 0 {
		t.Fatalf("%d notices after 9 failures on her account, want none yet", n)
	}
	fail(strings.ToUpper(adminEmail), 1)
	alerts := loginAlerts(t)
	if n := len(alerts) - before; n != 1 {
		t.Fatalf("%d notices after 10 failures, want 1", n)
	}
	m, err := db.OutboxByID(context.Background(), seededDB(t), alerts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Recipient != adminEmail || m.Message.To.Email != adminEmail || m.Status != db.OutboxQueued || !strings.Contains(m.Message.Text, "10 times") {
		t.Errorf("notice to %q, status %s, text:\n%s", m.Message.To.Email, m.Status, m.Message.Text)
	}
	var jobs int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM river_job WHERE kind = 'send_mail' AND (args->>'outbox_id')::bigint = ?", m.ID).Scan(context.Background(), &jobs); err != nil || jobs != 1 {
		t.Errorf("%d jobs send the notice (%v), want 1", jobs, err)
	}
	fail(adminEmail, 30)
	if n := len(loginAlerts(t)) - before; n != 1 {
		t.Errorf("%d notices after 40 failures in a day, want 1", n)
	}
	fc.advance(25 * time.Hour)
	fail(adminEmail, 10)
	if n := len(loginAlerts(t)) - before; n != 2 {
		t.Errorf("%d notices the next day, want 2", n)
	}
	noServerErrors(t, s)
}

// A try whose password was never checked, because too many checks were
// waiting, is not counted against its source: 429 "try again in a
// moment", and the source still has its three tries.
func TestLoginBusyIsNoFailure(t *testing.T) {
	s, _, _ := loginServer(t)
	for range cap(s.h.passwordChecks) {
		s.h.passwordChecks <- struct{}{}
	}
	cl := s.client(t)
	res := tryLogin(t, cl, adminEmail, adminPassword)
	for range cap(s.h.passwordChecks) {
		<-s.h.passwordChecks
	}
	wantStatus(t, res, http.StatusTooManyRequests)
	if !strings.Contains(res.body, "Many people are logging in at once") || res.Header.Get("Retry-After") == "" {
		t.Errorf("the busy answer: Retry-After %q\n%.1500s", res.Header.Get("Retry-After"), res.body)
	}
	if n := s.h.limits.login.failures("address " + cl.ip); n != 0 {
		t.Errorf("the unchecked try counts as %d failures, want 0", n)
	}
	cl.logIn(t)
}
