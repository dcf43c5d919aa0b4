package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestArticlePreviewAsSheTypes: in the article editor, Markdown typed into
// the body shows rendered in the preview pane a moment after she stops
// typing — a heading with its anchor, emphasis, curly punctuation — without
// a page load, under the site's CSP.
func TestArticlePreviewAsSheTypes(t *testing.T) {
	origin := baseURL // the suite's instance: the test saves nothing
	tb := openTab(t)
	logInAt(tb, origin)
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

// TestArticleEditorKeepsUnsavedWords: words typed in the editor and never
// saved (the tab closed, the session ran out) are kept by the browser and
// offered back the next time the editor opens; with the login gone, the
// preview says so and the page stays.
func TestArticleEditorKeepsUnsavedWords(t *testing.T) {
	origin := baseURL
	tb := openTab(t)
	logInAt(tb, origin)
	if status := tb.openAt(origin, "/admin/articles/new"); status != 200 {
		t.Fatalf("GET /admin/articles/new answered %d", status)
	}
	// A title of its own (its address must be new): the suite may run
	// again on the same server (-count).
	title := uniqueText("Hamstrings")
	body := "## Hamstrings\n\nThree stretches " + uniqueText("for runners")
	tb.do("typing an article",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), title),
		chromedp.Click(chromedp.CSS(`#f-body`)),
		chromedp.SendKeys(chromedp.CSS(`#f-body`), body),
	)
	waitFor(tb, "the browser keeps a copy of the words (after the editor's debounce)", keptBody(body))
	waitFor(tb, "the preview shows the words (so that the next preview is one after the logout)",
		fmt.Sprintf(`(document.querySelector('#article-preview') || {}).textContent.includes(%q)`, body[strings.LastIndex(body, "\n")+1:]))

	// Logged out meanwhile (another tab, or away too long): the next
	// preview does not leave the page.
	eval[bool](tb, `(() => {
		fetch('/admin/logout', {method: 'POST'})
			.then(r => { window.__loggedOut = r.status; }, () => { window.__loggedOut = -1; });
		return true;
	})()`)
	waitFor(tb, "the logout is answered", `window.__loggedOut > 0`)
	eval[bool](tb, markPage)
	tb.do("typing on", chromedp.SendKeys(chromedp.CSS(`#f-body`), " and more"))
	waitFor(tb, "the page says the login is gone", `(document.querySelector('#flash') || {}).textContent.includes('logged out')`)
	waitFor(tb, "the browser keeps a copy of the words typed on", keptBody(body+" and more"))
	if !eval[bool](tb, pageMarked) {
		t.Fatal("the preview after the login ran out left the page, and the words with it")
	}
	tb.takeProblems() // the preview's 401, expected

	// The editor opened again, after logging in: the words are offered.
	logInAt(tb, origin)
	if status := tb.openAt(origin, "/admin/articles/new"); status != 200 {
		t.Fatalf("GET /admin/articles/new answered %d", status)
	}
	waitFor(tb, "the kept words are offered", `!!document.querySelector('.draft-kept button')`)
	tb.do(`clicking "Put them back"`, chromedp.Click(chromedp.CSS(`.draft-kept button.button`)))
	if got := eval[string](tb, `document.querySelector('#f-body').value`); got != body+" and more" {
		t.Errorf("the body put back is %q, want %q", got, body+" and more")
	}
	if got := eval[string](tb, `document.querySelector('#f-title').value`); got != title {
		t.Errorf("the title put back is %q", got)
	}

	// Saved, the words are the server's: the next new article starts empty,
	// with nothing offered.
	loadBy(tb, "saving the article", chromedp.Click(byText(`form.article-form button`, "Save")))
	waitFor(tb, "the article is saved", `!!document.querySelector('.form-saved')`)
	if status := tb.openAt(origin, "/admin/articles/new"); status != 200 {
		t.Fatalf("GET /admin/articles/new answered %d", status)
	}
	if eval[bool](tb, `!!document.querySelector('.draft-kept')`) {
		t.Error("after saving, the editor still offers the saved words as unsaved")
	}
}

// keptBody is a JavaScript expression: the copy the article editor keeps in
// the browser holds body.
func keptBody(body string) string {
	return fmt.Sprintf(`(() => {
		const key = 'dm-article-draft:' + document.querySelector('form.article-form').getAttribute('action');
		const kept = JSON.parse(localStorage.getItem(key) || 'null');
		return !!kept && !!kept.values && kept.values.body === %q;
	})()`, body)
}
