package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Comments: the tests below post at most two comments each through one
// server, well under the per-address limit (20 in 10 minutes) even when the
// suite runs several times in a row against the same server.

// fillTime is how long a person takes, at least, to fill the comment form:
// the site turns away forms sent sooner than 2 s after they were shown.
// Tests sleep it out: what they wait for is time itself passing since the
// form's stamp, which no event marks.
const fillTime = 2100 * time.Millisecond

// liveWithin is how soon a comment must reach the other readers.
const liveWithin = 2 * time.Second

// focusWithin is how long the page may take to move the focus after an
// answer lands: at once for a person, but a loaded CI machine running every
// package under -race once took over a second.
const focusWithin = 5 * time.Second

// sseOpenRecorder runs before the page's scripts and notes when the live
// stream of the comments is open, so that a test posts only once a reader
// is listening, and every message the stream brings (before the page's own
// handlers may skip it), so that a test can wait for a given one.
const sseOpenRecorder = `
document.addEventListener('htmx:sseOpen', function () { window.__sseOpen = true; });
window.__sseMessages = [];
document.addEventListener('htmx:sseBeforeMessage', function (e) {
	window.__sseMessages.push({type: e.detail.type, data: e.detail.data || ''});
});`

// streamed is a JavaScript expression: the page's live stream has brought
// a message of type ("comment", "update") whose HTML includes text.
func streamed(typ, text string) string {
	return fmt.Sprintf(`(window.__sseMessages || []).some(m => m.type === %q && m.data.includes(%q))`, typ, text)
}

// startSecondInstance runs another `serve` process of the site on the same
// database as TestMain's, as a second Fly machine would, and returns its
// origin. It is stopped (with the same graceful-shutdown check) when the test
// ends.
func startSecondInstance(t *testing.T) string { return startInstance(t, nil) }

// startInstance is startSecondInstance with more settings (SMTP_URL, …).
func startInstance(t *testing.T, extra map[string]string) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	origin := "http://127.0.0.1:" + strconv.Itoa(port)
	set := map[string]string{
		"DATABASE_URL": databaseURL,
		"PORT":         strconv.Itoa(port),
		"BASE_URL":     origin,
		"LOG_LEVEL":    "info",
	}
	for k, v := range extra {
		set[k] = v
	}
	env := siteEnv(set)
	srv, err := startServer(binPath, "", env, origin, readyTimeout)
	if err != nil {
		t.Fatalf("starting a second instance: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.stop(shutdownTimeout); err != nil {
			t.Errorf("second instance: %v\n--- its log ---\n%s", err, lastLines(srv.log.String(), 40))
		} else if t.Failed() {
			t.Logf("--- the second instance's log (last lines) ---\n%s", lastLines(srv.log.String(), 40))
		}
	})
	return origin
}

// openAt loads path on the site at origin (another instance than baseURL's)
// and returns the HTTP status of the document.
func (tb *tab) openAt(origin, path string) int64 {
	tb.t.Helper()
	resp, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(origin+path))
	if err != nil {
		tb.t.Fatalf("loading %s%s: %v", origin, path, err)
	}
	if err := chromedp.Do(tb.ctx, chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		tb.t.Fatalf("waiting for the body of %s%s: %v", origin, path, err)
	}
	return resp.Status
}

// onNewDocument runs script in every document the tab loads from now on,
// before the page's own scripts.
func (tb *tab) onNewDocument(script string) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		tb.t.Fatalf("installing a script for new documents: %v", err)
	}
}

// openArticle opens the seeded article at origin with the live stream
// connected, marks the page (to prove later that it was not reloaded) and
// returns the comment count it shows.
func openArticle(tb *tab, origin string) int {
	tb.t.Helper()
	tb.onNewDocument(sseOpenRecorder)
	if status := tb.openAt(origin, "/blog/"+firstArticle); status != 200 {
		tb.t.Fatalf("GET %s/blog/%s answered %d", origin, firstArticle, status)
	}
	waitFor(tb, "the live stream of the comments is open", `window.__sseOpen === true`)
	waitForStamp(tb, "#comment-form")
	eval[bool](tb, markPage)
	return commentCount(tb)
}

// waitForStamp waits until the form has the stamp it fetches when the
// page loads (the page, shared by every visitor, carries none): the form's
// fill time runs from then.
func waitForStamp(tb *tab, form string) {
	tb.t.Helper()
	waitFor(tb, "the form has fetched its stamp", fmt.Sprintf(`!!document.querySelector('%s [name=started]').value`, form))
}

// commentCount reads the "(N)" after the Comments heading.
func commentCount(tb *tab) int {
	tb.t.Helper()
	text := eval[string](tb, `document.querySelector('#comment-count').textContent.trim()`)
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(text, "("), ")"))
	if err != nil {
		tb.t.Fatalf("the comment count reads %q, want (N)", text)
	}
	return n
}

// copiesOf is a JavaScript expression: how many comments on the page show
// text.
func copiesOf(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#comments article.comment')]
		.filter(a => a.querySelector('.comment-body') && a.querySelector('.comment-body').textContent.includes(%q)).length`, text)
}

// commentIDOf is the element id ("comment-<n>") of the comment showing text.
func commentIDOf(tb *tab, text string) string {
	tb.t.Helper()
	id := eval[string](tb, fmt.Sprintf(`(() => {
		const a = [...document.querySelectorAll('#comments article.comment')]
			.find(a => a.querySelector('.comment-body') && a.querySelector('.comment-body').textContent.includes(%q));
		return a ? a.id : '';
	})()`, text))
	if !strings.HasPrefix(id, "comment-") {
		tb.t.Fatalf("no comment on the page shows %q", text)
	}
	return id
}

// waitWithin polls a JavaScript condition for at most d.
func waitWithin(tb *tab, d time.Duration, what, cond string) error {
	ctx, cancel := context.WithTimeout(tb.ctx, d)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(10*time.Millisecond)))
	if err != nil {
		return fmt.Errorf("%s (%s) did not happen within %s: %w", what, cond, d, err)
	}
	return nil
}

// announced is the text of the comments' aria-live region.
func announced(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `document.querySelector('#comment-announce').textContent.trim()`)
}

// settled waits until htmx has finished the swaps it started: new content
// gets its hx- behaviour when it settles, so a click before that would be
// an ordinary link or form (a person is never that quick).
func settled(tb *tab) {
	tb.t.Helper()
	waitFor(tb, "htmx has settled the page", `!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`)
}

// postComment writes a comment in the tab's main form as a person would
// (after the form's minimum fill time), waits until it is on the page and
// settled, and returns its element id ("comment-<n>") and number.
func postComment(tb *tab, name, text string) (id, num string) {
	tb.t.Helper()
	tb.do("writing a comment",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), text),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(`#comment-form-submit`)),
	)
	waitFor(tb, "the comment appears", copiesOf(text)+` === 1`)
	settled(tb)
	id = commentIDOf(tb, text)
	return id, strings.TrimPrefix(id, "comment-")
}

// uniqueText makes comment text that no earlier run has posted.
func uniqueText(what string) string {
	return fmt.Sprintf("%s %d", what, time.Now().UnixNano())
}

// TestLiveCommentAcrossInstances: two readers of one article, served by two
// instances of the site on one database. What one posts appears once on
// their own page (form cleared, count up, announced, no reload) and, within
// a second or two, once on the other's, through LISTEN/NOTIFY and the live
// stream; it does not turn up a second time later.
func TestLiveCommentAcrossInstances(t *testing.T) {
	second := startSecondInstance(t)
	a := openTab(t) // reader A, on the first instance
	b := openTab(t) // reader B, on the second
	beforeA := openArticle(a, baseURL)
	beforeB := openArticle(b, second)
	if beforeA != beforeB {
		t.Fatalf("the two instances show different comment counts for one article: (%d) and (%d)", beforeA, beforeB)
	}

	const name = "Priya from the running club"
	text := uniqueText("Does this help with sciatica after long runs? Asked live from instance two,")
	// A notes the moment the comment appears; B the moment its post was answered.
	eval[bool](a, fmt.Sprintf(`new MutationObserver(() => {
		if (!window.__seenAt && document.getElementById('comment-list').textContent.includes(%q)) { window.__seenAt = Date.now(); }
	}).observe(document.getElementById('comment-list'), {childList: true, subtree: true}); true`, text))
	eval[bool](b, `document.addEventListener('htmx:beforeOnLoad', e => {
		if (e.detail.elt && e.detail.elt.id === 'comment-form') { window.__answeredAt = Date.now(); }
	}); true`)

	b.do("typing a name and a comment on the second instance",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), text),
	)
	b.do("waiting as long as a person takes to write", chromedp.Sleep(fillTime)) // see fillTime
	clicked := time.Now()
	b.do(`clicking "Post comment"`, chromedp.Click(chromedp.CSS(`#comment-form-submit`)))

	waitFor(b, "the comment appears on the poster's page", copiesOf(text)+` >= 1`)
	waitFor(b, "the form is answered", `window.__answeredAt > 0`)
	if err := waitWithin(a, liveWithin, "the comment appears on the other instance's reader's page", copiesOf(text)+` >= 1`); err != nil {
		t.Fatalf("%v (the poster's page shows it %d times)", err, eval[int](b, copiesOf(text)))
	}
	crossed := time.Since(clicked)
	seenAt := eval[float64](a, `window.__seenAt || 0`)
	answeredAt := eval[float64](b, `window.__answeredAt`)
	t.Logf("the comment reached the other instance's reader %s after the click (%+dms from the poster's page getting its answer)",
		crossed.Round(time.Millisecond), int64(seenAt-answeredAt))

	check := func(tb *tab, who string, wantAnnounce string) {
		t.Helper()
		if n := eval[int](tb, copiesOf(text)); n != 1 {
			t.Errorf("%s: the comment is on the page %d times, want exactly once", who, n)
		}
		if !eval[bool](tb, pageMarked) {
			t.Errorf("%s: the page was reloaded; comments should appear in place", who)
		}
		if got := commentCount(tb); got != beforeA+1 {
			t.Errorf("%s: the count shows (%d), want (%d)", who, got, beforeA+1)
		}
		if got := announced(tb); got != wantAnnounce {
			t.Errorf("%s: the live region #comment-announce says %q, want %q", who, got, wantAnnounce)
		}
	}
	waitFor(b, "the poster's count goes up", fmt.Sprintf(`document.querySelector('#comment-count').textContent.trim() === '(%d)'`, beforeA+1))
	waitFor(a, "the reader's count goes up", fmt.Sprintf(`document.querySelector('#comment-count').textContent.trim() === '(%d)'`, beforeA+1))
	check(b, "the poster (second instance)", "Your comment is posted.")
	check(a, "the reader (first instance)", "New comment from "+name+".")

	// The form is empty again, ready for another comment.
	if v := eval[[]string](b, `[document.querySelector('#comment-form-name').value, document.querySelector('#comment-form-body').value]`); v[0] != "" || v[1] != "" {
		t.Errorf("after posting, the form still holds name %q and comment %q; it should be cleared", v[0], v[1])
	}
	// The comment is shown as the others are: name and text, in the list.
	id := commentIDOf(a, text)
	if by := eval[string](a, fmt.Sprintf(`document.getElementById(%q + '-by').textContent.trim()`, id)); by != name {
		t.Errorf("the reader sees the comment signed %q, want %q", by, name)
	}
	if id != commentIDOf(b, text) {
		t.Errorf("the two pages give the comment different ids: %s and %s", id, commentIDOf(b, text))
	}

	// Whatever else the stream brings (the poster's own copy of the event,
	// a reconnect), the comment stays single: once the poster's own copy
	// has come (the reader's brought the comment), nothing more is due.
	waitFor(b, "the poster's own copy of the comment arrives on the live stream", streamed("comment", `id="`+id+`"`))
	settled(b)
	settled(a)
	for _, r := range []struct {
		tb  *tab
		who string
	}{{b, "the poster"}, {a, "the reader"}} {
		if n := eval[int](r.tb, copiesOf(text)); n != 1 {
			t.Errorf("%s: a second later the comment is on the page %d times, want exactly once", r.who, n)
		}
		if n := eval[int](r.tb, fmt.Sprintf(`document.querySelectorAll('[id=%q]').length`, id)); n != 1 {
			t.Errorf("%s: %d elements have the id %s", r.who, n, id)
		}
		if got := commentCount(r.tb); got != beforeA+1 {
			t.Errorf("%s: a second later the count shows (%d), want (%d)", r.who, got, beforeA+1)
		}
	}
	b.assertClean("the article on the second instance, after posting a comment")
	a.assertClean("the article on the first instance, after a comment arrived live")
}

// TestCommentReplyAndEditInPlace: a reader posts a comment, replies under it and
// edits it, all without a reload; another reader sees the reply and the
// edit live.
func TestCommentReplyAndEditInPlace(t *testing.T) {
	author := openTab(t)
	other := openTab(t)
	before := openArticle(author, baseURL)
	openArticle(other, baseURL)

	const name = "Tom (cyclist)"
	text := uniqueText("My hamstrings are tight after every ride,")
	id, num := postComment(author, name, text)
	waitFor(other, "the comment reaches the other reader", copiesOf(text)+` === 1`)

	// Reply: htmx loads a reply form under the comment.
	author.do(`clicking "Reply"`, chromedp.Click(chromedp.CSS(`#`+id+` .comment-actions a[href*="reply="]`)))
	replyForm := "#reply-form-" + num
	waitFor(author, "a reply form opens under the comment",
		fmt.Sprintf(`!!document.querySelector('#reply-slot-%s > form%s')`, num, replyForm))
	settled(author)
	if !eval[bool](author, pageMarked) {
		t.Fatal(`"Reply" reloaded the page; it should open the form in place`)
	}
	// The reply form keeps the page's form stamp: the reader has been on
	// the page since, so a short reply sent at once is not "too quick".
	if got, want := eval[string](author, `document.querySelector('`+replyForm+` [name=started]').value`),
		eval[string](author, `document.querySelector('#comment-form [name=started]').value`); got == "" || got != want {
		t.Errorf("the reply form's stamp is %q, want the page's %q", got, want)
	}
	reply := uniqueText("Replying to myself: foam rolling helped a bit,")
	author.do("writing a reply",
		chromedp.SendKeys(chromedp.CSS(replyForm+`-name`), name),
		chromedp.SendKeys(chromedp.CSS(replyForm+`-body`), reply),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(replyForm+`-submit`)),
	)
	inReplies := func(s string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('#replies-%s article.comment')].filter(a => a.textContent.includes(%q)).length`, num, s)
	}
	waitFor(author, "the reply appears under the comment", inReplies(reply)+` === 1`)
	waitFor(author, "the reply form goes away", fmt.Sprintf(`!document.querySelector(%q)`, replyForm))
	settled(author)
	if n := eval[int](author, copiesOf(reply)); n != 1 {
		t.Errorf("the reply is on the author's page %d times, want once", n)
	}
	// The keyboard stays where the reader was: on the new reply, not at the
	// top of the page.
	focusOnReply := fmt.Sprintf(`(() => { const a = document.activeElement; return !!a && a.matches('article.comment') && a.textContent.includes(%q); })()`, reply)
	if err := waitWithin(author, focusWithin, "the focus moves to the new reply", focusOnReply); err != nil {
		t.Errorf("%v; the focus is on %s", err, eval[string](author, `document.activeElement ? document.activeElement.tagName + '#' + document.activeElement.id : ''`))
	}
	if err := waitWithin(other, liveWithin, "the reply reaches the other reader", inReplies(reply)+` === 1`); err != nil {
		t.Error(err)
	}

	// Edit: the comment turns into a form in place, and back.
	author.do(`clicking "Edit"`, chromedp.Click(chromedp.CSS(`#`+id+` .comment-actions a[href$="/edit"]`)))
	editBody := "#edit-" + num + "-body"
	waitFor(author, "the edit form replaces the comment", fmt.Sprintf(`!!document.querySelector('form#%s %s')`, id, editBody))
	settled(author)
	if got := eval[string](author, `document.activeElement ? document.activeElement.id : ''`); got != strings.TrimPrefix(editBody, "#") {
		t.Errorf("the edit form opened with the focus on %q, want its text box", got)
	}
	edited := uniqueText("Update: after two sessions my hamstrings are much better,")
	author.do("changing the text and saving",
		chromedp.Clear(chromedp.CSS(editBody)),
		chromedp.SendKeys(chromedp.CSS(editBody), edited),
		chromedp.Click(chromedp.CSS(`form#`+id+` button[type=submit]`)),
	)
	waitFor(author, "the comment shows the new text", fmt.Sprintf(`!!document.querySelector('article#%s') && `, id)+copiesOf(edited)+` === 1`)
	if err := waitWithin(author, focusWithin, "the focus returns to the saved comment", fmt.Sprintf(`!!document.activeElement && document.activeElement.id === %q`, id)); err != nil {
		t.Error(err)
	}
	showsEdit := func(tb *tab) bool {
		return eval[bool](tb, fmt.Sprintf(`(() => {
			const a = document.querySelector('article#%s');
			return !!a && !!a.querySelector('.edited') && a.querySelector('.edited').textContent.trim() === 'edited' &&
				a.textContent.includes(%q) && !a.textContent.includes(%q);
		})()`, id, edited, text))
	}
	if !showsEdit(author) {
		t.Errorf(`after saving, the author's comment does not show the new text marked "edited" (and only that): %s`,
			eval[string](author, fmt.Sprintf(`document.getElementById(%q).outerHTML`, id)))
	}
	if err := waitWithin(other, liveWithin, "the edit reaches the other reader", copiesOf(edited)+` === 1`); err != nil {
		t.Error(err)
	} else if !showsEdit(other) {
		t.Errorf(`the other reader sees the edit without "edited", or with the old text too: %s`,
			eval[string](other, fmt.Sprintf(`document.getElementById(%q).outerHTML`, id)))
	}

	// Once the author's own copy of the live events has arrived, they can
	// still change their comment, and nobody else can. The stream brings
	// events in order, so the edit's comes after the comment's and the
	// reply's.
	waitFor(author, "the author's own copy of the edit arrives on the live stream", streamed("update", edited))
	settled(author)
	for _, r := range []struct {
		tb       *tab
		who      string
		wantEdit int
	}{{author, "the author", 1}, {other, "the other reader", 0}} {
		if n := eval[int](r.tb, fmt.Sprintf(`document.querySelectorAll('#%s .comment-actions a[href$="/edit"]').length`, id)); n != r.wantEdit {
			t.Errorf(`%s: the comment offers "Edit" %d times, want %d (only its author may change it, for 10 minutes)`, r.who, n, r.wantEdit)
		}
		if !eval[bool](r.tb, pageMarked) {
			t.Errorf("%s: the page was reloaded", r.who)
		}
		if n := eval[int](r.tb, copiesOf(edited)); n != 1 {
			t.Errorf("%s: the edited comment is on the page %d times, want once", r.who, n)
		}
		if n := eval[int](r.tb, copiesOf(reply)); n != 1 {
			t.Errorf("%s: the reply is on the page %d times, want once", r.who, n)
		}
		if got := commentCount(r.tb); got != before+2 {
			t.Errorf("%s: the count shows (%d), want (%d): a comment and a reply", r.who, got, before+2)
		}
	}
	author.assertClean("the article after a comment, a reply and an edit")
	other.assertClean("the article of the reader who watched them arrive")
}

// navigation is one document request the browser made: method, address and
// answer, and the redirect that led to it.
type navigation struct {
	method, url    string
	redirectStatus int64 // the answer that redirected here; 0 for none
	redirectFrom   string
}

// TestCommentsWithoutJavaScript: with scripting off the comment form is a
// plain form: POST, 303 to the article at the new comment, which is on the
// page; a comment left blank comes back as a 422 page with the message next
// to the field and the name kept. axe-core finds no serious or critical
// problem on either page.
func TestCommentsWithoutJavaScript(t *testing.T) {
	tb := openTab(t)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	var mu sync.Mutex
	var docs []navigation
	if err := chromedp.Listen(tb.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Type == network.ResourceTypeDocument {
			n := navigation{method: e.Request.Method, url: e.Request.URL}
			if e.RedirectResponse != nil {
				n.redirectStatus, n.redirectFrom = e.RedirectResponse.Status, e.RedirectResponse.URL
			}
			mu.Lock()
			docs = append(docs, n)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	takeDocs := func() []navigation {
		mu.Lock()
		defer mu.Unlock()
		d := docs
		docs = nil
		return d
	}

	tb.open("/blog/" + firstArticle)
	if eval[bool](tb, `typeof window.htmx !== 'undefined'`) {
		t.Fatal("htmx ran although JavaScript is off: the test would not show the plain form")
	}
	before := commentCount(tb)
	takeDocs()

	path := "/blog/" + firstArticle
	const name = "Margaret, no scripts"
	text := uniqueText("Reading with JavaScript off: is a weekly massage too often for a marathon block?")
	tb.do("filling in the form",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), text),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
	)
	// The shared page carries no stamp (a script fetches it): the first
	// press brings the form back (422), stamped, with the words kept.
	tb.expectStatus(path+"/comments", 422)
	if _, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`#comment-form-submit`)))); err != nil {
		t.Fatalf(`clicking "Post comment" did not load a page: %v`, err)
	}
	if got := eval[string](tb, `(document.querySelector('#comment-form .form-notice') || {textContent: ''}).textContent`); !strings.Contains(got, "press Post again") {
		t.Fatalf("the first press without a stamp was answered with the notice %q, want one asking to press Post again", got)
	}
	if v := eval[[]string](tb, `[document.querySelector('#comment-form-name').value, document.querySelector('#comment-form-body').value]`); v[0] != name || v[1] != text {
		t.Fatalf("the form came back with %q, want what was typed", v)
	}
	// It lands on the form, not at the top of a long page.
	if hash := eval[string](tb, `location.hash`); hash != "#comment-form" {
		t.Errorf("the form came back at %q, want #comment-form (the notice in view)", hash)
	}
	takeDocs()
	tb.do("pressing Post again", chromedp.Sleep(fillTime)) // time itself must pass (see fillTime)
	if _, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`#comment-form-submit`)))); err != nil {
		t.Fatalf(`clicking "Post comment" again did not load a page: %v`, err)
	}
	var redirect *navigation
	for _, d := range takeDocs() {
		if d.redirectStatus != 0 {
			redirect = &d
		}
	}
	switch {
	case redirect == nil:
		t.Errorf("posting the form was not redirected (want POST %s/comments → 303 → GET %s#comment-<id>)", path, path)
	case redirect.redirectStatus != 303 || redirect.redirectFrom != baseURL+path+"/comments" || redirect.method != "GET" || !strings.HasPrefix(redirect.url, baseURL+path+"?posted="):
		t.Errorf("posting the form was answered %d from %s and followed with %s %s; want 303 from %s/comments, then GET %s?posted=<id>",
			redirect.redirectStatus, redirect.redirectFrom, redirect.method, redirect.url, baseURL+path, baseURL+path)
	}
	id := commentIDOf(tb, text)
	if hash := eval[string](tb, `location.hash`); hash != "#"+id {
		t.Errorf("after posting, the address ends in %q, want #%s (the new comment)", hash, id)
	}
	if n := eval[int](tb, copiesOf(text)); n != 1 {
		t.Errorf("the comment is on the page %d times, want once", n)
	}
	if got := commentCount(tb); got != before+1 {
		t.Errorf("the count shows (%d), want (%d)", got, before+1)
	}
	if by := eval[string](tb, fmt.Sprintf(`document.getElementById(%q + '-by').textContent.trim()`, id)); by != name {
		t.Errorf("the comment is signed %q, want %q", by, name)
	}
	tb.assertClean("the article after posting a comment without JavaScript")
	checkAxeWithoutJS(tb, "the article after posting a comment without JavaScript")

	// A blank comment (only spaces: the browser's own check lets them
	// through) comes back with the message by the field and the name kept.
	tb.expectStatus(path+"/comments", 422)
	const second = "Margaret again"
	tb.do("filling in a name and a blank comment",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), second),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), "   "),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
	)
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`#comment-form-submit`)))
	if err != nil {
		t.Fatalf(`clicking "Post comment" with a blank comment: %v`, err)
	}
	if resp.Status != 422 {
		t.Errorf("a blank comment was answered %d, want 422 with the form again", resp.Status)
	}
	type fieldState struct {
		Name, Error, Described string
		Invalid                string
	}
	got := eval[fieldState](tb, `(() => {
		const body = document.querySelector('#comment-form-body');
		const err = document.querySelector('#comment-form-body-error');
		return {Name: document.querySelector('#comment-form-name').value, Error: err ? err.textContent.trim() : '',
			Described: body.getAttribute('aria-describedby') || '', Invalid: body.getAttribute('aria-invalid') || ''};
	})()`)
	if got.Error != "Please write your comment." {
		t.Errorf("the blank comment's message by the field is %q, want %q", got.Error, "Please write your comment.")
	}
	if !strings.Contains(got.Described, "comment-form-body-error") || got.Invalid != "true" {
		t.Errorf("the comment field is not tied to its message (aria-describedby %q, aria-invalid %q)", got.Described, got.Invalid)
	}
	if got.Name != second {
		t.Errorf("the name field holds %q after the error, want what was typed (%q)", got.Name, second)
	}
	if n := eval[int](tb, copiesOf(text)); n != 1 {
		t.Errorf("the error page shows the earlier comment %d times, want once", n)
	}
	tb.assertClean("the article re-rendered with an error, without JavaScript")
	checkAxeWithoutJS(tb, "the article re-rendered with an error, without JavaScript")
}

// TestCommentFormKeyboardOnly: someone who uses only the keyboard reaches
// the comment form with Tab, fills it in, posts with Enter and stays in the
// form afterwards; the honeypot field is never in their way.
func TestCommentFormKeyboardOnly(t *testing.T) {
	tb := openTab(t)
	before := openArticle(tb, baseURL)

	var order []string
	// tabTo presses Tab (or Shift+Tab) until the element with id want has
	// the focus, at most max times.
	tabTo := func(want string, shift bool, max int) {
		t.Helper()
		var opts []chromedp.KeyOption
		key := "Tab"
		if shift {
			opts, key = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift)), "Shift+Tab"
		}
		for i := 1; i <= max; i++ {
			tb.do("pressing "+key, chromedp.KeyEvent(kb.Tab, opts...))
			f := activeElement(tb)
			order = append(order, fmt.Sprintf("%s → %s", key, f))
			if strings.HasSuffix(f.ID, "-website") {
				t.Fatalf("%s focused the honeypot field %s: keyboard users would fill it and be taken for a bot", key, f)
			}
			if f.ID == want {
				return
			}
		}
		t.Fatalf("%d presses of %s never reach #%s; the focus went:\n%s", max, key, want, strings.Join(order, "\n"))
	}

	const name = "Sam Keys"
	text := uniqueText("Typed without a mouse: thank you for the stretches,")
	tabTo("comment-form-name", false, 250)
	tb.do("typing the name", chromedp.KeyEvent(name))
	tabTo("comment-form-body", false, 1)
	tb.do("typing the comment", chromedp.KeyEvent(text))
	tabTo("comment-form-notify", false, 1) // "Email me replies", left unticked: its address field stays out of the way
	tabTo("comment-form-submit", false, 1)
	// Back and forth once: Shift+Tab returns past the box to the comment, past nothing hidden.
	tabTo("comment-form-notify", true, 1)
	tabTo("comment-form-body", true, 1)
	tabTo("comment-form-submit", false, 2)
	if v := eval[[]string](tb, `[document.querySelector('#comment-form-name').value, document.querySelector('#comment-form-body').value]`); v[0] != name || v[1] != text {
		t.Fatalf("the keys typed ended up as name %q and comment %q", v[0], v[1])
	}
	tb.do("waiting as long as a person takes to write", chromedp.Sleep(fillTime)) // see fillTime
	tb.do(`pressing Enter on "Post comment"`, chromedp.KeyEvent(kb.Enter))

	waitFor(tb, "the comment appears", copiesOf(text)+` === 1`)
	id := commentIDOf(tb, text)
	waitFor(tb, "the form is answered", `document.querySelector('#comment-form-body').value === ''`)
	// The focus lands on the new comment once it has settled in the page
	// (site.js, htmx:load), a moment after the form is emptied.
	waitFor(tb, "the focus lands on the new comment", fmt.Sprintf(`!!document.activeElement && document.activeElement.id === %q`, id))
	if !eval[bool](tb, pageMarked) {
		t.Error("Enter reloaded the page; the comment should post in place")
	}
	if got := commentCount(tb); got != before+1 {
		t.Errorf("the count shows (%d), want (%d)", got, before+1)
	}
	f := activeElement(tb)
	inForm := eval[bool](tb, fmt.Sprintf(`!!document.activeElement && !!document.activeElement.closest('#comment-form, #%s')`, id))
	if !inForm {
		t.Errorf("after posting, the focus is on %s; it should stay in the comment form (or move to the new comment), not go back to the top", f)
	}
	if f.OutlineStyle == "none" || f.OutlineWidth == "0px" || !f.FocusVisible {
		t.Errorf("after posting, the focused %s shows no focus indicator (outline %s %s, :focus-visible %v)", f, f.OutlineStyle, f.OutlineWidth, f.FocusVisible)
	}
	// The keyboard user can go on from there: Shift+Tab leads back to the
	// comment field (past the "Email me replies" box), not into the honeypot.
	if f.ID == "comment-form-submit" {
		tabTo("comment-form-body", true, 2)
	}
	tb.assertClean("the article after a comment posted by keyboard")
}

// TestLiveDeleteKeepsAReplyBeingWritten: a reader is writing a reply when
// the comment's author deletes it. The live update takes the comment's
// words away but not the reply form nor what the reader typed; sent, the
// reply moves into the main form to go as a new comment.
func TestLiveDeleteKeepsAReplyBeingWritten(t *testing.T) {
	author := openTab(t)
	reader := openTab(t)
	openArticle(author, baseURL)
	openArticle(reader, baseURL)

	text := uniqueText("A comment its author will delete,")
	id, num := postComment(author, "Dee", text)
	waitFor(reader, "the comment reaches the reader", copiesOf(text)+` === 1`)
	settled(reader)

	reader.do(`clicking "Reply"`, chromedp.Click(chromedp.CSS(`#`+id+` .comment-actions a[href*="reply="]`)))
	replyForm := "#reply-form-" + num
	waitFor(reader, "a reply form opens", fmt.Sprintf(`!!document.querySelector(%q)`, replyForm))
	settled(reader)
	const reply = "Half of a careful reply"
	reader.do("typing a reply", chromedp.SendKeys(chromedp.CSS(replyForm+`-body`), reply))

	// The author deletes the comment (as its Delete button does, without
	// the confirmation dialog).
	eval[bool](author, fmt.Sprintf(`(() => {
		fetch(location.pathname + '/comments/%s/delete', {method: 'POST', headers: {'HX-Request': 'true'}});
		return true;
	})()`, num))
	waitFor(reader, "the deleted comment's words leave the reader's page", copiesOf(text)+` === 0`)
	if got := eval[string](reader, fmt.Sprintf(`(document.querySelector(%q) || {}).value || ''`, replyForm+`-body`)); got != reply {
		t.Fatalf("after the live delete the reply box holds %q, want %q", got, reply)
	}

	// Sent, the reply finds its comment gone: it moves to the main form.
	reader.do("sending the reply",
		chromedp.SendKeys(chromedp.CSS(replyForm+`-name`), "Eve"),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(replyForm+`-submit`)),
	)
	waitFor(reader, "the text is in the main form", fmt.Sprintf(`document.querySelector('#comment-form-body').value === %q`, reply))
	if n := eval[int](reader, `document.querySelectorAll('[id="comment-form"]').length`); n != 1 {
		t.Errorf("%d forms with the id comment-form, want 1", n)
	}
	if note := eval[string](reader, `(document.querySelector('.form-notice') || {}).textContent || ''`); !strings.Contains(note, "no longer there") {
		t.Errorf("the reader is not told why (%q)", note)
	}
}
