package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/config"
	"dynamicmotion/db"
	"dynamicmotion/mail"
	"dynamicmotion/password"
)

const (
	adminEmail    = "clare@dynamicmotion.example"
	adminPassword = "correct horse battery staple"
)

var adminHashOnce = sync.OnceValues(func() (string, error) { return password.Hash(adminPassword) })

// adminServer is a test server whose ADMIN_EMAIL account has adminPassword.
func adminServer(t *testing.T) *testServer {
	t.Helper()
	s := newTestServer(t, func(c *config.Config) { c.AdminEmail = adminEmail })
	hash, err := adminHashOnce()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(context.Background(), seededDB(t), adminEmail, hash); err != nil {
		t.Fatal(err)
	}
	return s
}

// logIn logs the client in and fails the test if that does not work.
func (cl *client) logIn(t *testing.T) {
	t.Helper()
	res := cl.post(t, loginPath, url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != adminPath {
		t.Fatalf("log in: %d to %q\n%.1500s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
}

func (cl *client) sessionCookie() string {
	if c := cl.cookies["session"]; c != nil {
		return c.Value
	}
	return ""
}

// fillParams puts a value in every :param of an Echo route path.
func fillParams(path string) string {
	return regexp.MustCompile(`:[a-z_]+`).ReplaceAllString(strings.TrimSuffix(path, "*"), "1")
}

// Every route under /admin except the login page itself sends a visitor who
// is not logged in to the login page, for every method it has: walking the
// router's own list means a route added later cannot be left open.
func TestEveryAdminRouteNeedsTheLogin(t *testing.T) {
	s := adminServer(t)
	checked := 0
	for _, r := range s.e.Routes() {
		if !strings.HasPrefix(r.Path, adminPath) || r.Path == loginPath {
			continue
		}
		target := fillParams(r.Path)
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			cl := s.client(t)
			var res response
			switch r.Method {
			case http.MethodGet, http.MethodHead:
				res = cl.do(t, newRequest(r.Method, target))
			default:
				res = cl.post(t, target, url.Values{})
			}
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), loginPath) {
				t.Errorf("%s %s by a visitor: %d to %q, want 303 to the login page", r.Method, target, res.StatusCode, res.Header.Get("Location"))
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			// htmx: HX-Redirect, which htmx follows with a full page load.
			hx := cl.do(t, newRequest(http.MethodGet, target), "HX-Request: true")
			if r.Method == http.MethodGet && (hx.StatusCode != http.StatusNoContent || !strings.HasPrefix(hx.Header.Get("HX-Redirect"), loginPath)) {
				t.Errorf("htmx GET %s: %d HX-Redirect %q", target, hx.StatusCode, hx.Header.Get("HX-Redirect"))
			}
			// An htmx form (the article preview as she types) does not take
			// her away from unsaved work: 401, and the page says why.
			if r.Method == http.MethodPost {
				hxPost := cl.post(t, target, url.Values{}, "HX-Request: true")
				if hxPost.StatusCode != http.StatusUnauthorized || hxPost.Header.Get("HX-Redirect") != "" || !strings.Contains(hxPost.body, "nothing on this page is lost") {
					t.Errorf("htmx POST %s: %d, HX-Redirect %q, want 401 saying nothing is lost", target, hxPost.StatusCode, hxPost.Header.Get("HX-Redirect"))
				}
			}
		})
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d admin routes found", checked)
	}

	// Logged in, every page of the area and every htmx answer in it (the
	// article preview holds a draft) is kept by no cache either.
	cl := s.client(t)
	cl.logIn(t)
	for _, r := range s.e.Routes() {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Path, adminPath) || strings.Contains(r.Path, ":") {
			continue
		}
		for _, headers := range [][]string{nil, {"HX-Request: true"}} {
			res := cl.do(t, newRequest(http.MethodGet, r.Path), headers...)
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("logged in, GET %s %v: Cache-Control %q, want no-store", r.Path, headers, cc)
			}
		}
	}
	preview := cl.post(t, adminPath+"/articles/preview", url.Values{"body": {"A draft *nobody* else may keep."}}, "HX-Request: true")
	wantStatus(t, preview, http.StatusOK)
	if cc := preview.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("the article preview: Cache-Control %q, want no-store", cc)
	}
}

// Logging in renews the session token, goes where the therapist was going,
// and logging out renews it again and closes the area.
func TestLoginAndLogout(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)

	res := cl.get(t, adminPath+"/outbox?before=5")
	wantStatus(t, res, http.StatusSeeOther)
	loc, _ := url.Parse(res.Header.Get("Location"))
	next := loc.Query().Get("next")
	if next != "/admin/outbox?before=5" {
		t.Errorf("next = %q", next)
	}
	page := cl.get(t, res.Header.Get("Location"))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		in("form[action=/admin/login] input[name=next]", hasAttr("value", next)),
		in("form[action=/admin/login] input[name=password][type=password][autocomplete=current-password]"),
		in("meta[name=robots]"))
	if cc := page.Header.Get("Cache-Control"); cc != "no-store" && cc != "private, no-store" {
		t.Errorf("login page Cache-Control %q", cc)
	}

	// A session that existed before the login (the token an attacker might have planted).
	cl.post(t, "/_test/session", url.Values{"v": {"before"}})
	before := cl.sessionCookie()
	if before == "" {
		t.Fatal("no session before logging in")
	}
	res = cl.post(t, loginPath, url.Values{"email": {strings.ToUpper(adminEmail)}, "password": {adminPassword}, "next": {next}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != next {
		t.Fatalf("log in: %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), next)
	}
	after := cl.sessionCookie()
	if after == before || after == "" {
		t.Error("the session token was not renewed on login")
	}
	dash := cl.get(t, adminPath)
	wantStatus(t, dash, http.StatusOK)
	checkHTML(t, dash.body, in("h1", hasText("Today")), in("form[action=/admin/logout] button", hasText("Log out")))
	if cc := dash.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("dashboard Cache-Control %q, want no-store", cc)
	}
	// The old token is worth nothing.
	old := s.visitor()
	old.cookies["session"] = &http.Cookie{Name: "session", Value: before}
	if res := old.get(t, adminPath); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the pre-login token opens the admin area: %d", res.StatusCode)
	}

	res = cl.post(t, adminPath+"/logout", nil)
	wantStatus(t, res, http.StatusSeeOther)
	if cl.sessionCookie() == after {
		t.Error("the session token was not renewed on logout")
	}
	if loc := res.Header.Get("Location"); loc != loginPath+"?out=1" {
		t.Errorf("logout goes to %q", loc)
	} else {
		checkHTML(t, cl.get(t, loc).body, in("[role=status]", hasText("You are logged out")))
	}
	if res := cl.get(t, adminPath); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout the dashboard answers %d", res.StatusCode)
	}
	// Logging out, like every form, is refused from another site.
	cl.logIn(t)
	req := postForm(adminPath+"/logout", url.Values{})
	req.RemoteAddr = cl.ip + ":4321"
	if res := cl.do(t, req, "Sec-Fetch-Site: cross-site"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site logout: %d, want 403", res.StatusCode)
	}
	noServerErrors(t, s)
}

// A new password (set with the admin-password command, perhaps because the
// old one leaked) ends every session logged in with the old one, on every
// instance once its copy of the account is read again (cache.TTL).
func TestNewPasswordEndsOldSessions(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	wantStatus(t, cl.get(t, adminPath), http.StatusOK)

	hash, err := password.Hash("A-different-password-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(context.Background(), seededDB(t), adminEmail, hash); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminServer(t) }) // the usual password back for the other tests
	s.h.adminStamp.Drop()                // as cache.TTL would
	res := cl.get(t, adminPath)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), loginPath) {
		t.Errorf("after a new password the old session opens the admin area: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Logged in with the new password, she is in again.
	res = cl.post(t, loginPath, url.Values{"email": {adminEmail}, "password": {"A-different-password-42"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != adminPath {
		t.Fatalf("log in with the new password: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	wantStatus(t, cl.get(t, adminPath), http.StatusOK)
}

func TestLoginMistakes(t *testing.T) {
	s := adminServer(t)
	for _, tc := range []struct {
		name            string
		email, password string
		status          int
		want            string
	}{
		{"nothing", "", "", http.StatusUnprocessableEntity, "Please enter your email address."},
		{"no password", adminEmail, "", http.StatusUnprocessableEntity, "Please enter your password."},
		{"wrong password", adminEmail, "wrong password!!", http.StatusUnprocessableEntity, "do not match"},
		{"unknown account", "someone@example.com", adminPassword, http.StatusUnprocessableEntity, "do not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := s.client(t)
			res := cl.post(t, loginPath, url.Values{"email": {tc.email}, "password": {tc.password}})
			wantStatus(t, res, tc.status)
			if !strings.Contains(res.body, tc.want) {
				t.Errorf("the page does not say %q", tc.want)
			}
			checkHTML(t, res.body, in("input[name=email]", hasAttr("value", tc.email)))
			if strings.Contains(res.body, tc.password) && tc.password != "" {
				t.Error("the password is sent back in the page")
			}
			if res := cl.get(t, adminPath); res.StatusCode != http.StatusSeeOther {
				t.Errorf("after a failed login the dashboard answers %d", res.StatusCode)
			}
		})
	}
	noServerErrors(t, s)
}

// After two hours without activity the login ends; the login page says why.
func TestAdminSessionExpiresWhenIdle(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	wantStatus(t, cl.get(t, adminPath), http.StatusOK)
	wantStatus(t, cl.post(t, "/_test/admin-idle", url.Values{"hours": {"3"}}), http.StatusNoContent)
	res := cl.get(t, adminPath)
	wantStatus(t, res, http.StatusSeeOther)
	if !strings.Contains(res.Header.Get("Location"), "expired=1") {
		t.Errorf("redirect %q does not say the login expired", res.Header.Get("Location"))
	}
	page := cl.get(t, res.Header.Get("Location"))
	checkHTML(t, page.body, in(".form-notice", hasText("without activity")))
	if res := cl.get(t, adminPath); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the expired login still opens the dashboard: %d", res.StatusCode)
	}
}

// After logging in, only places inside the admin area are followed.
func TestLoginNextStaysOnSite(t *testing.T) {
	for next, want := range map[string]string{
		"/admin/outbox":        "/admin/outbox",
		"/admin/outbox?x=1":    "/admin/outbox?x=1",
		"//evil.example/admin": "/admin",
		"https://evil.example": "/admin",
		"/\\evil.example":      "/admin",
		"/blog":                "/admin",
		"/admin/login":         "/admin",
		"/administrator":       "/admin",
		"":                     "/admin",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// The outbox lists what the site wrote; a failed message can be sent again.
func TestOutboxPages(t *testing.T) {
	s := adminServer(t)
	ctx := context.Background()
	bdb := seededDB(t)
	msg := mail.Message{To: mail.Address{Name: "Ann", Email: "ann@example.com"}, Subject: "Booking confirmed <test>",
		Text: "Hello Ann,\nsee you soon.", HTML: "<p>Hello Ann</p><script>alert(1)</script>"}
	var om db.OutboxMessage
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		om = db.OutboxMessage{Kind: "test", Message: msg}
		if err := db.AddToOutbox(ctx, tx, &om); err != nil {
			return err
		}
		return db.SettleOutbox(ctx, tx, om.ID, db.OutboxFailed, "550 no such user")
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := s.client(t)
	cl.logIn(t)
	dash := cl.get(t, adminPath)
	checkHTML(t, dash.body, in("#mail-title"), in("form[action=/admin/outbox/"+itoa(om.ID)+"/retry] button", hasText("Try again")))

	list := cl.get(t, adminPath+"/outbox")
	wantStatus(t, list, http.StatusOK)
	checkHTML(t, list.body, in("table.admin-table a[href=/admin/outbox/"+itoa(om.ID)+"]", hasText("Booking confirmed <test>")))

	one := cl.get(t, adminPath+"/outbox/"+itoa(om.ID))
	wantStatus(t, one, http.StatusOK)
	checkHTML(t, one.body, in("pre.mail-text", hasText("see you soon.")), in("dd.last-error", hasText("550 no such user")))

	htmlPart := cl.get(t, adminPath+"/outbox/"+itoa(om.ID)+"/html")
	if csp := htmlPart.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the HTML part is served with CSP %q, want a sandbox without scripts", csp)
	}
	raw := cl.get(t, adminPath+"/outbox/"+itoa(om.ID)+"/message.eml")
	if raw.Header.Get("Content-Type") != "message/rfc822" || !strings.Contains(raw.body, "Subject:") {
		t.Errorf("the .eml download: %q", raw.Header.Get("Content-Type"))
	}
	wantStatus(t, cl.get(t, adminPath+"/outbox/999999"), http.StatusNotFound)
	wantStatus(t, cl.get(t, adminPath+"/outbox/abc"), http.StatusNotFound)

	res := cl.post(t, adminPath+"/outbox/"+itoa(om.ID)+"/retry", nil)
	wantStatus(t, res, http.StatusSeeOther)
	again, err := db.OutboxByID(ctx, bdb, om.ID)
	if err != nil || again.Status != db.OutboxQueued {
		t.Errorf("after Try again the message is %s (%v), want queued", again.Status, err)
	}

	// Mail still being tried after a failed attempt (the server is away)
	// is on the dashboard too: it has not gone, whatever comes of it.
	if _, err := bdb.NewRaw("UPDATE outbox SET last_error = '421 try later', attempts = 2 WHERE id = ?", om.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	dash = cl.get(t, adminPath)
	checkHTML(t, dash.body,
		in("ul.delayed-mail a[href=/admin/outbox/"+itoa(om.ID)+"]", hasText("Booking confirmed <test>")),
		in("ul.delayed-mail .field-error", hasText("421 try later")))
	if strings.Contains(dash.body, "Every message went out") {
		t.Error("the dashboard says every message went out while one is still being tried")
	}
	var jobs int
	if err := bdb.NewRaw("SELECT count(*) FROM river_job WHERE kind = 'send_mail' AND (args->>'outbox_id')::bigint = ?", om.ID).Scan(ctx, &jobs); err != nil || jobs != 1 {
		t.Errorf("%d send jobs for the message (%v), want 1", jobs, err)
	}
	noServerErrors(t, s)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The therapist's comments, posted while she is logged in, are marked as the
// practice's answer; once her login has lapsed, they are not.
func TestPracticeAnswerIsMarked(t *testing.T) {
	s := adminServer(t)
	const slug = "sports-massage-for-lower-back-pain"
	cl := s.client(t)
	cl.logIn(t)
	cm := &commenter{visitor: cl.visitor, slug: slug, ip: cl.ip}
	cl.get(t, "/blog/"+slug)
	answer := "From the practice: gentle walking helps " + strconv.FormatInt(time.Now().UnixNano(), 36)
	wantStatus(t, cm.post(t, cm.form(t, "name=Clare", "body="+answer)), http.StatusSeeOther)
	page := s.get(t, "/blog/"+slug)
	found := false
	for _, a := range selectAll(parseHTML(t, page.body), "article.comment.practice") {
		if t := text(a); strings.Contains(t, answer) && strings.Contains(t, "The practice’s answer") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the therapist's comment is not on the page marked as the practice's answer")
	}

	// Away for three hours: no longer the practice.
	wantStatus(t, cl.post(t, "/_test/admin-idle", url.Values{"hours": {"3"}}), http.StatusNoContent)
	cl.get(t, "/blog/"+slug)
	later := "Not marked " + strconv.FormatInt(time.Now().UnixNano(), 36)
	wantStatus(t, cm.post(t, cm.form(t, "name=Clare", "body="+later)), http.StatusSeeOther)
	var byPractice bool
	if err := seededDB(t).NewRaw("SELECT by_practice FROM comments WHERE body_md = ?", later).Scan(context.Background(), &byPractice); err != nil || byPractice {
		t.Errorf("a comment after the login lapsed: by_practice %v (%v), want false", byPractice, err)
	}
}

// TestLoginFormAsFragment: htmx asking for the login page gets its form, not
// a 500 (the form was drawn from the whole page's data).
func TestLoginFormAsFragment(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.client(t).get(t, loginPath, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("form#login-form input[name=email]"))
	if strings.Contains(res.body, "<html") {
		t.Error("htmx got the whole page, want the form alone")
	}
	if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
}
