package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dynamicmotion/db"
	"dynamicmotion/password"
)

// The therapist's account on the instance therapistSite starts.
const (
	therapistEmail    = "clare-articles@dynamicmotion.example"
	therapistPassword = "calf stretch after every long run"
)

// therapistSite gives the account therapistEmail its password and runs an
// instance of the site whose ADMIN_EMAIL names it (the suite's main
// instance has no admin account), on the suite's database. It returns the
// instance's origin; the instance stops when the test ends.
func therapistSite(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hash, err := password.Hash(therapistPassword)
	if err != nil {
		t.Fatal(err)
	}
	bdb, err := db.Open(ctx, databaseURL, db.Options{AppName: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.SetAdminPassword(ctx, bdb, therapistEmail, hash)
	bdb.Close()
	if err != nil {
		t.Fatalf("setting the therapist's password: %v", err)
	}

	port, err := freePort()
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	origin := "http://127.0.0.1:" + strconv.Itoa(port)
	env := siteEnv(map[string]string{
		"DATABASE_URL": databaseURL,
		"PORT":         strconv.Itoa(port),
		"BASE_URL":     origin,
		"LOG_LEVEL":    "info",
		"ADMIN_EMAIL":  therapistEmail,
	})
	srv, err := startServer(binPath, "", env, origin, readyTimeout)
	if err != nil {
		t.Fatalf("starting the therapist's instance: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.stop(shutdownTimeout); err != nil {
			t.Errorf("the therapist's instance: %v\n--- its log ---\n%s", err, lastLines(srv.log.String(), 40))
		} else if t.Failed() {
			t.Logf("--- the therapist's instance's log (last lines) ---\n%s", lastLines(srv.log.String(), 40))
		}
	})
	return origin
}

// loginAsTherapist logs the tab in on the instance at origin (from
// therapistSite) through the login form, and waits for her dashboard.
func loginAsTherapist(tb *tab, origin string) {
	tb.t.Helper()
	if status := tb.openAt(origin, "/admin/login"); status != 200 {
		tb.t.Fatalf("GET /admin/login answered %d", status)
	}
	tb.do("logging in",
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/login"] input[name=email]`), therapistEmail),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/login"] input[name=password]`), therapistPassword),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.admin-header`)),
	)
}

// TestArticlePreviewAsSheTypes: in the article editor, Markdown typed into
// the body shows rendered in the preview pane a moment after she stops
// typing — a heading with its anchor, emphasis, curly punctuation — without
// a page load, under the site's CSP.
func TestArticlePreviewAsSheTypes(t *testing.T) {
	origin := therapistSite(t)
	tb := openTab(t)
	loginAsTherapist(tb, origin)
	if status := tb.openAt(origin, "/admin/articles/new"); status != 200 {
		t.Fatalf("GET /admin/articles/new answered %d", status)
	}
	eval[bool](tb, markPage)

	tb.do("typing a title and Markdown",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Warm ups"),
		chromedp.Click(chromedp.CSS(`#f-body`)),
		chromedp.SendKeys(chromedp.CSS(`#f-body`), "## Warm up first\n\nIt's *easy* -- really."),
	)
	typed := time.Now()
	waitFor(tb, "the preview shows the rendered heading",
		`(document.querySelector('#article-preview .article-body h2#warm-up-first') || {}).textContent === 'Warm up first'`)
	if took := time.Since(typed); took > 2*time.Second {
		t.Errorf("the preview took %v after the last key; want it within a second or two", took.Round(time.Millisecond))
	}
	if got := eval[string](tb, `document.querySelector('#article-preview .article-body p').textContent`); got != "It’s easy – really." {
		t.Errorf("preview paragraph = %q, want typographic punctuation", got)
	}
	if got := eval[string](tb, `document.querySelector('#article-preview .article-body em').textContent`); got != "easy" {
		t.Errorf("preview emphasis = %q", got)
	}
	if got := eval[string](tb, `document.querySelector('#article-preview').textContent`); !strings.Contains(got, "/blog/warm-ups") {
		t.Errorf("the preview does not show the address made from the title: %q", got)
	}
	if !eval[bool](tb, pageMarked) {
		t.Error("the preview reloaded the page; it should update in place")
	}
	if got := eval[string](tb, `document.querySelector('#f-body').value`); got != "## Warm up first\n\nIt's *easy* -- really." {
		t.Errorf("the body she typed changed to %q", got)
	}
	tb.assertClean("the article editor after the preview")
}
