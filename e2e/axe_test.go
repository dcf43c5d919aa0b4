package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"dynamicmotion/db"
	"dynamicmotion/links"
	"dynamicmotion/views"
)

// axe-core, the accessibility engine, comes from the npm registry at a
// pinned version whose tarball must match a pinned checksum. It is fetched
// with `npm pack` the first time the tests need it and kept in the user's
// cache directory (or $AXE_CACHE_DIR), so that the repository carries no
// 550 KB third-party file and a new version is a reviewed two-line change.
// .ci/ensure-deps installs npm when it is missing.
const (
	axeVersion = "4.14.1"
	// axeTarballSHA256 is the sha256 of axe-core-4.14.1.tgz as the registry
	// serves it (its sha512 integrity is
	// FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==).
	axeTarballSHA256 = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"
)

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript returns the source of axe.min.js, fetching it once per run.
func axeScript(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() { axeSource, axeErr = loadAxe() })
	if axeErr != nil {
		t.Fatalf("axe-core %s: %v", axeVersion, axeErr)
	}
	return axeSource
}

// loadAxe reads axe.min.js from the cached tarball, packing it from the
// registry first when it is missing or does not match the checksum.
func loadAxe() (string, error) {
	dir := os.Getenv("AXE_CACHE_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "dynamicmotion")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tgz := filepath.Join(dir, "axe-core-"+axeVersion+".tgz")
	data, err := os.ReadFile(tgz)
	if err != nil || sha256Hex(data) != axeTarballSHA256 {
		if data, err = packAxe(dir); err != nil {
			return "", err
		}
		if got := sha256Hex(data); got != axeTarballSHA256 {
			return "", fmt.Errorf("the registry's axe-core-%s.tgz has sha256 %s, want %s: not using it", axeVersion, got, axeTarballSHA256)
		}
		if err := os.WriteFile(tgz, data, 0o644); err != nil {
			return "", err
		}
	}
	return fileInTarball(data, "package/axe.min.js")
}

// packAxe downloads the pinned tarball with `npm pack` into a new folder
// under dir and returns its bytes.
func packAxe(dir string) ([]byte, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, errors.New("npm not found: run `make test` (.ci/ensure-deps installs it) or apt-get install npm")
	}
	tmp, err := os.MkdirTemp(dir, "axe-pack-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "pack", "--silent", "axe-core@"+axeVersion)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("npm pack axe-core@%s: %v\n%s", axeVersion, err, out)
	}
	return os.ReadFile(filepath.Join(tmp, "axe-core-"+axeVersion+".tgz"))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fileInTarball returns one file of a .tgz.
func fileInTarball(tgz []byte, name string) (string, error) {
	zr, err := gzip.NewReader(strings.NewReader(string(tgz)))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", fmt.Errorf("no %s in the tarball", name)
		}
		if err != nil {
			return "", err
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			return string(b), err
		}
	}
}

// axeViolation is one rule that failed on a page, with the first few
// elements that fail it.
type axeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Count   int       `json:"count"`
	Nodes   []axeNode `json:"nodes"`
}

type axeNode struct {
	Target  string `json:"target"`
	HTML    string `json:"html"`
	Summary string `json:"summary"`
}

// axeRunJS runs axe on the whole document against WCAG 2.2 A and AA and
// axe's best practices, and returns the violations.
const axeRunJS = `(async () => {
	const r = await axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
		resultTypes: ['violations'],
	});
	return r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl, count: v.nodes.length,
		nodes: v.nodes.slice(0, 4).map(n => ({
			target: n.target.join(' '), html: n.html.slice(0, 160),
			summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300),
		})),
	}));
})()`

// checkAxe runs axe-core on the tab's current page and fails the test for
// every serious or critical violation; moderate and minor ones are logged.
// what names the page or state in the messages.
func checkAxe(tb *tab, what string) {
	tb.t.Helper()
	for _, v := range runAxe(tb, what) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe %s (%s): %s — %d element(s), see %s", what, v.ID, v.Impact, v.Help, v.Count, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    %s\n      %s\n      %s", n.Target, n.HTML, n.Summary)
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.t.Error(b.String())
		} else {
			tb.t.Log(b.String())
		}
	}
}

// checkAxeWithoutJS is checkAxe for a tab with scripting turned off: axe
// needs timers and promises, so scripting is turned on for the check alone,
// after the page has loaded without it (its own scripts stay unrun: the DOM
// checked is the one a visitor without JavaScript gets), and off again.
func checkAxeWithoutJS(tb *tab, what string) {
	tb.t.Helper()
	setScripting := func(on bool) {
		tb.t.Helper()
		if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
			tb.t.Fatalf("turning JavaScript %v for axe: %v", map[bool]string{true: "on", false: "off"}[on], err)
		}
	}
	setScripting(true)
	defer setScripting(false)
	if eval[bool](tb, `typeof window.htmx !== 'undefined'`) {
		tb.t.Fatalf("%s: htmx ran, so this is not the page without JavaScript", what)
	}
	checkAxe(tb, what)
}

// runAxe injects axe-core into the tab's current page (the page's CSP does
// not apply to what DevTools evaluates) and returns its violations.
func runAxe(tb *tab, what string) []axeViolation {
	tb.t.Helper()
	script := axeScript(tb.t)
	if !eval[bool](tb, `typeof axe === 'object'`) {
		tb.do("injecting axe-core "+axeVersion, chromedp.Evaluate[chromedp.Void](script))
	}
	vs, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]axeViolation](axeRunJS, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: running axe-core: %v", what, err)
	}
	return vs
}

// TestAxeFindsKnownProblems checks the check itself: on a page with an
// image without alt text, an unlabelled input and grey-on-white text, axe
// reports each as serious or critical, so that TestAxe* cannot pass by
// running nothing.
func TestAxeFindsKnownProblems(t *testing.T) {
	tb := openTab(t)
	const page = `<html lang="en"><head><title>Faults</title></head><body><main><h1>Faults</h1>
<img src="/x.png"><input type="text" name="q">
<p style="color:#bbb;background:#fff">grey on white</p></main></body></html>`
	tb.do("writing the test page", chromedp.Navigate("about:blank"),
		chromedp.Evaluate[chromedp.Void](`document.open(); document.write(`+strconvQuote(page)+`); document.close()`))
	found := map[string]string{}
	for _, v := range runAxe(tb, "the test page") {
		found[v.ID] = v.Impact
	}
	for _, id := range []string{"image-alt", "label", "color-contrast"} {
		if impact := found[id]; impact != "serious" && impact != "critical" {
			t.Errorf("axe reported %s as %q, want serious or critical (all found: %v)", id, impact, found)
		}
	}
}

// TestAxePublicPages: axe-core finds no serious or critical accessibility
// problem on any public page (home, services, about, contact, privacy, the
// booking page with its picker, the blog, a search, an article, the 404 page),
// on a phone's width as well as a desktop's.
func TestAxePublicPages(t *testing.T) {
	for _, pg := range publicPages {
		t.Run(pg.name, func(t *testing.T) {
			b := newBrowser(t)
			for _, vp := range []struct {
				name          string
				width, height int64
			}{{"desktop", 1280, 800}, {"phone", 375, 740}} {
				tb := b.newTab(t)
				if pg.status != 200 {
					tb.expectStatus(pg.path, pg.status)
				}
				tb.do("setting a "+vp.name+" viewport", chromedp.EmulateViewport(vp.width, vp.height))
				if status := tb.open(pg.path); status != pg.status {
					t.Fatalf("GET %s answered %d, want %d", pg.path, status, pg.status)
				}
				checkAxe(tb, pg.path+" ("+vp.name+")")
			}
		})
	}
}

// TestAxeCommentsSection: an article with comments, before and after a
// reader posts one with htmx (the new comment, the emptied form and the
// live region), has no serious or critical axe violation; nor has the form
// showing a mistake next to its field.
func TestAxeCommentsSection(t *testing.T) {
	tb := openTab(t)
	openArticle(tb, baseURL)
	tb.do("writing a comment",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), "Axe reader"),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), uniqueText("Checked with axe-core,")),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(`#comment-form-submit`)),
	)
	waitFor(tb, "the comment appears", `document.querySelectorAll('#comments article.comment').length > 0 && document.querySelector('#comment-form-body').value === ''`)
	settled(tb)
	checkAxe(tb, "an article with comments, after posting one")

	// Replying to it and editing it: the forms htmx swaps into the thread.
	own := `[...document.querySelectorAll('#comments article.comment')].find(a => a.querySelector('a[hx-get$="/edit"]'))`
	id := eval[string](tb, own+`.id`)
	tb.do("opening the reply form", chromedp.Click(chromedp.CSS(`#`+id+` a[data-reply]`)))
	waitFor(tb, "the reply form appears", `!!document.querySelector('[id^="reply-slot-"] form')`)
	settled(tb)
	checkAxe(tb, "the reply form")
	tb.do("opening the edit form", chromedp.Click(chromedp.CSS(`#`+id+` a[hx-get$="/edit"]`)))
	waitFor(tb, "the edit form appears", `!!document.querySelector('form.comment-edit#`+id+`')`)
	settled(tb)
	checkAxe(tb, "the form that edits one's own comment")

	// A comment without a name: the message appears next to the field.
	tb.do("sending a comment without a name",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), "No name given"),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#comment-form').noValidate = true`),
		chromedp.Click(chromedp.CSS(`#comment-form-submit`)),
	)
	waitFor(tb, "the form shows what is missing", `!!document.querySelector('#comment-form .field-error, #comment-form [aria-invalid="true"]')`)
	settled(tb)
	checkAxe(tb, "the comment form showing a mistake")
}

// TestAxeBookingFlow: every step of booking has no serious or critical axe
// violation: the booking page, the picker on another day (swapped in by
// htmx), the details form, the details form showing mistakes, the booking's
// own page, the page that moves it (and another day there), and the
// waitlist form and its answer. A day with nothing free is checked in
// TestTimeOffRemovesTimesFromThePicker, a postcode outside the area in
// TestBookingMobilePostcode. It books in the fifth week after the one the
// picker opens on (see the list at the top of booking_test.go).
func TestAxeBookingFlow(t *testing.T) {
	tb := clickTab(t)
	tb.open("/book")
	checkAxe(tb, "the booking page")
	openWeek(tb, "30 minutes", 5)
	checkAxe(tb, "the picker, five weeks on (htmx)")
	days := strip(tb)
	if i := slices.IndexFunc(days, func(d stripDay) bool { return d.State == "free" && !d.Selected }); i >= 0 {
		dayInPlace(tb, days[i])
		checkAxe(tb, "another day of the strip (htmx)")
	}

	waitlist := eval[string](tb, `(document.querySelector('#picker .waitlist-link a') || {}).href || ''`)

	holdFirstFreeTime(tb)
	checkAxe(tb, "the details form (htmx)")

	tb.expectStatus("/book", 422)
	loadBy(tb, `clicking "Book" with nothing filled in`, chromedp.Click(byText(`#details form button`, "Book")))
	if n := eval[int](tb, `document.querySelectorAll('main .field-error').length`); n == 0 {
		t.Fatal("the empty details form came back without messages next to its fields")
	}
	checkAxe(tb, "the details form showing mistakes")

	fillDetails(tb, "Axe Client", "axe.client@example.com")
	manage := book(tb)
	checkAxe(tb, "the booking's own page")

	tb.open(manage + "/move")
	checkAxe(tb, "the page that moves a booking")
	days = strip(tb)
	if i := slices.IndexFunc(days, func(d stripDay) bool { return d.State == "free" && !d.Selected }); i >= 0 {
		dayInPlace(tb, days[i])
		checkAxe(tb, "another day on the page that moves a booking (htmx)")
	}

	if waitlist == "" {
		t.Fatal("the picker offers no day to join the waitlist for")
	}
	tb.open(strings.TrimPrefix(waitlist, baseURL))
	checkAxe(tb, "the waitlist form")

	// Its answer: the page saying they joined, or that times are free now.
	tb.expectStatus("/book/waitlist", 409)
	tb.do("filling in the waitlist form",
		chromedp.SendKeys(chromedp.CSS(`#waitlist input[name=name]`), "Axe Waiter"),
		chromedp.SendKeys(chromedp.CSS(`#waitlist input[name=email]`), "axe.waiter@example.com"))
	loadBy(tb, "joining the waitlist", chromedp.Click(byText(`#waitlist form button`, "Join the waitlist")))
	checkAxe(tb, "the waitlist's answer")
}

// TestAxeAdminLogin: the therapist's login page, and the same page telling
// her the password was wrong, have no serious or critical axe violation.
func TestAxeAdminLogin(t *testing.T) {
	tb := openTab(t)
	tb.open("/admin/login")
	checkAxe(tb, "the login page")
	tb.expectStatus("/admin/login", 422)
	tb.do("filling in a wrong password",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "not-the-password"))
	loadBy(tb, "logging in", chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	checkAxe(tb, "the login page saying the password was wrong")
}

// TestAxeContactSent: the contact form's thanks, swapped in by htmx, has no
// serious or critical axe violation.
func TestAxeContactSent(t *testing.T) {
	tb := openTab(t)
	tb.open("/contact")
	waitForStamp(tb, "#contact-form")
	tb.do("writing a message",
		chromedp.SendKeys(chromedp.CSS(`#contact-name`), "Axe Sender"),
		chromedp.SendKeys(chromedp.CSS(`#contact-email`), "axe.sender@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#contact-form textarea[name=message]`), "Checked with axe-core."),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(`#contact-form button[type=submit]`)),
	)
	waitFor(tb, "the thanks appears", `!!document.querySelector('.contact-sent') || !!document.querySelector('#contact-form .form-notice')`)
	settled(tb)
	if eval[bool](tb, `!document.querySelector('.contact-sent')`) {
		t.Fatalf("the message was not sent: %s", eval[string](tb, `document.querySelector('#contact-form .form-notice').textContent`))
	}
	checkAxe(tb, "the thanks for a message")
}

// TestAxeEmailLinkPages: the pages reached only from a link in an e-mail —
// confirming reply notifications, ending them, one's place on the
// waitlist with the button to leave it — have no serious or critical axe
// violation. Their tokens are made here in the database, as the mail jobs
// make them.
func TestAxeEmailLinkPages(t *testing.T) {
	ctx := context.Background()
	bdb, err := db.Open(ctx, databaseURL, db.Options{AppName: "e2e-axe"})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	token := func(what string) string { return fmt.Sprintf("axe-%s-%d", what, time.Now().UnixNano()) }

	var post db.Post
	if err := bdb.NewSelect().Model(&post).Where("slug = ?", "runners-stretching-part-3").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	c := db.Comment{PostID: post.ID, Name: "Axe Reader", BodyMD: "Checked with axe.", BodyHTML: "<p>Checked with axe.</p>",
		Status: db.CommentVisible, AuthorHash: []byte("axe-author"), IPHash: []byte("axe-ip")}
	if err := db.AddComment(ctx, bdb, &c); err != nil {
		t.Fatal(err)
	}
	s, err := db.SubscribeToReplies(ctx, bdb, c, "axe.reader@example.com")
	if err != nil {
		t.Fatal(err)
	}
	confirm, unsubscribe := token("confirm"), token("unsubscribe")
	if _, err := db.SetConfirmToken(ctx, bdb, s.ID, db.HashToken(confirm)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUnsubscribeLink(ctx, bdb, s.ID, db.HashToken(unsubscribe)); err != nil {
		t.Fatal(err)
	}

	// A Sunday weeks ahead, when the studio is closed: no time will ever be
	// offered to this entry, so the other tests' waitlists are left alone.
	// Six to seven weeks ahead (a UK calendar day, stepped with AddDate) it
	// is neither past nor beyond the 8-week horizon at any instant.
	day := time.Now().In(views.London).AddDate(0, 0, 42)
	for day.Weekday() != time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	var svc db.Service
	if err := bdb.NewSelect().Model(&svc).Where("active").OrderExpr("sort_order, id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	leave := token("leave")
	e := db.WaitlistEntry{ServiceID: svc.ID, Place: db.PlaceStudio, Day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
		EarliestMin: 600, LatestMin: 660, Name: "Axe Waiter", Email: token("waiter") + "@example.com", LeaveTokenHash: db.HashToken(leave)}
	if added, err := db.AddToWaitlist(ctx, bdb, &e); err != nil || !added {
		t.Fatalf("AddToWaitlist: %v, %v", added, err)
	}

	// An offer of a time that has since gone (it ran out): its link's page.
	offer := token("offer")
	o := db.WaitlistOffer{EntryID: e.ID, StartsAt: e.Day.Add(10 * time.Hour), HoldID: 0, TokenHash: db.HashToken(offer),
		ExpiresAt: time.Now().Add(-time.Hour), Outcome: "expired"}
	if _, err := bdb.NewInsert().Model(&o).ExcludeColumn("id", "created_at", "booking_id", "taken_by").Exec(ctx); err != nil {
		t.Fatal(err)
	}

	tb := openTab(t)
	tb.expectStatus("/book/offer/"+offer, 410)
	for _, pg := range []struct {
		path, what string
		status     int64
	}{
		{links.ConfirmReplies + confirm, "confirming reply notifications", 200},
		{links.Unsubscribe + unsubscribe, "ending reply notifications", 200},
		{"/book/waitlist/leave/" + leave, "one's place on the waitlist", 200},
		{"/book/offer/" + offer, "an offered time that has gone", 410},
	} {
		if status := tb.open(pg.path); status != pg.status {
			t.Errorf("%s: GET answered %d, want %d", pg.what, status, pg.status)
			continue
		}
		checkAxe(tb, pg.what)
	}
}
