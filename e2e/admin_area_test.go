package e2e

// Around the admin area (issue 17, part C): the navigation on a phone,
// pictures added from inside the article editor, and cover pictures.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestAdminPhoneNavigation: at 390×844 the admin header is one bar of
// Today, Diary, Clients, Articles and More; More opens the rest (no script
// needed: a disclosure), and the current page is marked. On a laptop the
// whole list shows and the bar does not.
func TestAdminPhoneNavigation(t *testing.T) {
	tb := openTab(t)
	logIn(tb)
	tb.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	if status := tb.open("/admin"); status != 200 {
		t.Fatalf("GET /admin answered %d", status)
	}
	const shown = `[...document.querySelectorAll('header nav.admin-nav a, header nav.admin-nav summary')]
		.filter(e => e.checkVisibility()).map(e => e.textContent.trim())`
	if got := strings.Join(eval[[]string](tb, shown), ", "); got != "Today, Diary, Clients, Articles, More" {
		t.Errorf("on a phone the admin navigation shows %q, want the four daily places and More", got)
	}
	if h := eval[float64](tb, `document.querySelector('header.admin-header').getBoundingClientRect().height`); h > 844/6 {
		t.Errorf("the admin header takes %.0f px of 844 on a phone", h)
	}
	if eval[string](tb, `document.querySelector('nav.admin-nav .admin-nav-bar a[aria-current="page"]').textContent`) != "Today" {
		t.Error("the dashboard is not marked as the current page in the phone's bar")
	}
	tb.do("opening More", chromedp.Click(chromedp.CSS(`nav.admin-nav .admin-nav-more summary`)))
	waitFor(tb, "the rest of the places show", `(() => { const a = document.querySelector('nav.admin-nav .admin-nav-more a[href="/admin/media"]'); return !!a && a.checkVisibility(); })()`)
	checkAxe(tb, "the dashboard on a phone with More open")
	loadBy(tb, "following Pictures under More", chromedp.Click(chromedp.CSS(`nav.admin-nav .admin-nav-more a[href="/admin/media"]`)))
	if got := eval[string](tb, `location.pathname`); got != "/admin/media" {
		t.Fatalf("Pictures under More led to %s", got)
	}
	if !eval[bool](tb, `!!document.querySelector('nav.admin-nav .admin-nav-more a[href="/admin/media"][aria-current="page"]')`) {
		t.Error("Pictures is not marked as the current page under More")
	}
	tb.do("setting a laptop viewport", chromedp.EmulateViewport(1280, 800))
	got := eval[[]string](tb, shown)
	if len(got) < 13 || got[0] != "Today" || strings.Contains(strings.Join(got, ","), "More") {
		t.Errorf("on a laptop the admin navigation shows %q, want every place and no More", got)
	}
	checkAxe(tb, "the pictures page on a laptop")
	tb.assertClean("the admin navigation")
}

// pictureFile writes a w×h PNG of one colour to the test's folder.
func pictureFile(t *testing.T, name string, w, h int, c color.NRGBA) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestArticleEditorAddsPictures: in the editor, a picture chosen with the
// file field is uploaded, she is asked what it shows (required), and its
// Markdown goes where the cursor was; the preview shows it. A pasted
// picture does the same, and so does one dragged onto the article. A file that is not a picture is refused with a
// clear message. The picture is then chosen as the cover, and the
// published article shows it at its top and in its link preview.
func TestArticleEditorAddsPictures(t *testing.T) {
	origin := adminInstance(t) // it publishes an article: not on the suite's instance, whose lists other tests count
	tb := openTab(t)
	logInAt(tb, origin)
	if status := tb.openAt(origin, "/admin/articles/new"); status != 200 {
		t.Fatalf("GET /admin/articles/new answered %d", status)
	}
	tb.do("typing a title and a word",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Calf stretches"),
		chromedp.Click(chromedp.CSS(`#f-body`)),
		chromedp.SendKeys(chromedp.CSS(`#f-body`), "Before"))
	// Two paragraphs, exactly (typed newlines vary with the keyboard events).
	eval[bool](tb, `(() => { const b = document.querySelector('#f-body'); b.value = 'Before the run.\n\nAfter the run.'; return true; })()`)
	eval[bool](tb, markPage)
	if eval[bool](tb, `document.querySelector('.picture-upload').checkVisibility()`) {
		t.Error("with JavaScript the Upload button still shows; choosing a file is enough")
	}
	// The cursor after the first paragraph.
	eval[bool](tb, `(() => { const b = document.querySelector('#f-body'); b.focus(); b.setSelectionRange(15, 15); return true; })()`)

	// Not a picture: refused in words, nothing asked.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do("choosing a text file", chromedp.SetUploadFiles(chromedp.CSS(`#f-picture`), []string{notes}))
	waitFor(tb, "the file is refused", `document.querySelector('#picture-status').textContent.includes('not a picture')`)
	if eval[bool](tb, `!document.querySelector('#picture-alt').hidden`) {
		t.Error("a file that is not a picture asked for alt text")
	}

	// Chosen with the file field.
	tb.do("choosing a picture", chromedp.SetUploadFiles(chromedp.CSS(`#f-picture`),
		[]string{pictureFile(t, "calf.png", 300, 200, color.NRGBA{200, 60, 40, 255})}))
	waitFor(tb, "she is asked what it shows", `!document.querySelector('#picture-alt').hidden && document.activeElement === document.querySelector('#f-picture-alt')`)
	checkAxe(tb, "the editor asking for a picture's alt text")
	tb.do("inserting without words", chromedp.Click(chromedp.CSS(`#picture-insert`)))
	if !eval[bool](tb, `!document.querySelector('#f-picture-alt-error').hidden && document.querySelector('#f-picture-alt').getAttribute('aria-invalid') === 'true'`) {
		t.Error("inserting a picture without alt text was not refused")
	}
	tb.do("saying what it shows", chromedp.SendKeys(chromedp.CSS(`#f-picture-alt`), "A calf stretch against a wall"),
		chromedp.Click(chromedp.CSS(`#picture-insert`)))
	waitFor(tb, "the picture's line is in the article", `document.querySelector('#picture-alt').hidden`)
	body := eval[string](tb, `document.querySelector('#f-body').value`)
	url := eval[string](tb, `document.querySelector('#picture-alt-img').getAttribute('src')`)
	want := "Before the run.\n\n![A calf stretch against a wall](" + url + ")\n\nAfter the run."
	if !strings.HasPrefix(url, "/media/") || body != want {
		t.Errorf("the article is\n%q\nwant\n%q", body, want)
	}
	waitFor(tb, "the preview shows the picture", fmt.Sprintf(
		`(() => { const i = document.querySelector('#article-preview .article-body img[src=%q]'); return !!i && i.alt === 'A calf stretch against a wall' && i.complete && i.naturalWidth > 0; })()`, url))

	// Pasted at the end.
	pasteJS := `new Promise(done => {
		const c = document.createElement('canvas'); c.width = 40; c.height = 30;
		const g = c.getContext('2d'); g.fillStyle = '#1a7'; g.fillRect(0, 0, 40, 30);
		c.toBlob(blob => {
			const b = document.querySelector('#f-body'); b.focus(); b.setSelectionRange(b.value.length, b.value.length);
			const dt = new DataTransfer(); dt.items.add(new File([blob], 'pasted.png', { type: 'image/png' }));
			b.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
			done(true);
		}, 'image/png');
	})`
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](pasteJS, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("pasting a picture: %v", err)
	}
	waitFor(tb, "she is asked what the pasted picture shows", `!document.querySelector('#picture-alt').hidden`)
	tb.do("saying what it shows", chromedp.SendKeys(chromedp.CSS(`#f-picture-alt`), "A green square"),
		chromedp.Click(chromedp.CSS(`#picture-insert`)))
	waitFor(tb, "the pasted picture is at the end", `/\n\n!\[A green square\]\(\/media\/[0-9a-f]{16}\.png\)$/.test(document.querySelector('#f-body').value)`)

	// Dragged onto the article from the desktop: while over it the box is
	// marked as a place to drop; dropped, it goes where the cursor is (the
	// start, here). Dragged text is left to the browser.
	dragJS := `new Promise(done => {
		const c = document.createElement('canvas'); c.width = 30; c.height = 20;
		const g = c.getContext('2d'); g.fillStyle = '#24c'; g.fillRect(0, 0, 30, 20);
		c.toBlob(blob => {
			const b = document.querySelector('#f-body'); b.focus(); b.setSelectionRange(0, 0);
			const text = new DataTransfer(); text.setData('text/plain', 'words');
			const textTaken = !b.dispatchEvent(new DragEvent('dragover', { dataTransfer: text, bubbles: true, cancelable: true }));
			const dt = new DataTransfer(); dt.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));
			const over = !b.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
			const marked = b.classList.contains('is-dropping');
			const dropped = !b.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
			done([textTaken, over, marked, dropped, b.classList.contains('is-dropping')].join(' '));
		}, 'image/png');
	})`
	drag, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](dragJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("dragging a picture onto the article: %v", err)
	}
	if drag != "false true true true false" {
		t.Errorf("dragging: text taken, file over marked, dropped, still marked = %q; want text left to the browser, the file taken and marked while over", drag)
	}
	waitFor(tb, "she is asked what the dropped picture shows", `!document.querySelector('#picture-alt').hidden`)
	tb.do("saying what it shows", chromedp.SendKeys(chromedp.CSS(`#f-picture-alt`), "A blue square"),
		chromedp.Click(chromedp.CSS(`#picture-insert`)))
	waitFor(tb, "the dropped picture is at the start", `/^!\[A blue square\]\(\/media\/[0-9a-f]{16}\.png\)\n\nBefore the run\./.test(document.querySelector('#f-body').value)`)
	if !eval[bool](tb, pageMarked) {
		t.Error("adding pictures reloaded the editor")
	}

	// The first picture as the cover; published.
	eval[bool](tb, `(() => { const s = document.querySelector('#f-cover');
		const o = [...s.options].find(o => o.dataset.alt === 'A calf stretch against a wall' || o.textContent.startsWith('A calf stretch'));
		s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`)
	if got := eval[string](tb, `document.querySelector('#f-cover-alt').value`); got != "A calf stretch against a wall" {
		t.Errorf("the cover's words start as %q, want the picture's", got)
	}
	tb.do("publishing", chromedp.Click(chromedp.CSS(`input[name=status][value=published]`)))
	loadBy(tb, "saving", chromedp.Click(chromedp.CSS(`form.article-form .form-actions button[type=submit]:not([name])`)))
	if !eval[bool](tb, `!!document.querySelector('.form-saved')`) {
		t.Fatalf("the article was not saved: %s", eval[string](tb, `document.querySelector('main').innerText`))
	}
	edit := eval[string](tb, `location.pathname`)
	slug := eval[string](tb, `document.querySelector('#f-slug').value`)
	if status := tb.openAt(origin, "/blog/"+slug); status != 200 {
		t.Fatalf("GET /blog/%s answered %d", slug, status)
	}
	waitFor(tb, "the cover shows at the top of the article", fmt.Sprintf(
		`(() => { const i = document.querySelector('article img.cover'); return !!i && i.getAttribute('src') === %q && i.alt === 'A calf stretch against a wall' && i.complete && i.naturalWidth === 300; })()`, url))
	if got := eval[string](tb, `document.querySelector('meta[property="og:image"]').content`); !strings.HasSuffix(got, url) || !strings.HasPrefix(got, "http") {
		t.Errorf("og:image = %q, want the cover's absolute address", got)
	}
	checkAxe(tb, "an article with a cover picture")
	tb.assertClean("adding pictures in the editor")

	// Back to a draft, so that the blog is as it was.
	if status := tb.openAt(origin, edit); status != 200 {
		t.Fatalf("GET %s answered %d", edit, status)
	}
	tb.do("making it a draft", chromedp.Click(chromedp.CSS(`input[name=status][value=draft]`)))
	loadBy(tb, "saving the draft", chromedp.Click(chromedp.CSS(`form.article-form .form-actions button[type=submit]:not([name])`)))
}

// TestArticleEditorPicturesWithoutJavaScript: without a script the editor
// offers the file field and an Upload button whose form opens the Pictures
// page in a new tab (so the words typed in this one stay), and axe-core
// finds no serious problem on it.
func TestArticleEditorPicturesWithoutJavaScript(t *testing.T) {
	tb := openTab(t)
	logIn(tb)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	tb.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	if status := tb.open("/admin/articles/new"); status != 200 {
		t.Fatalf("GET /admin/articles/new answered %d", status)
	}
	if !eval[bool](tb, `document.querySelector('#picture-add .picture-upload').checkVisibility()`) {
		t.Error("without JavaScript there is no Upload button")
	}
	form := eval[map[string]string](tb, `(() => { const f = document.querySelector('#f-picture').form;
		return { action: f.getAttribute('action'), target: f.target, enctype: f.enctype, button: document.querySelector('#picture-add .picture-upload').form.id }; })()`)
	if form["action"] != "/admin/media" || form["target"] != "_blank" || form["enctype"] != "multipart/form-data" || form["button"] != "picture-form" {
		t.Errorf("the picture's form without JavaScript: %v", form)
	}
	tb.assertClean("the article editor without JavaScript")
	checkAxeWithoutJS(tb, "the article editor without JavaScript")
}
