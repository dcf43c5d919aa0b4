package e2e

import (
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
