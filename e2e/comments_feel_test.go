package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// markdownComment is a comment as a reader might write it: what the
// renderer changes (emphasis, a link, a list) and what it must drop.
const markdownComment = "The **stretches** helped. See [my club](https://example.com/club) too.\n\n- calves\n- hamstrings\n\n<b onclick=x>raw</b>\n\n" +
	"Supercalifragilisticexpialidocious" + "Supercalifragilisticexpialidocious" + "Supercalifragilisticexpialidocious\n\n" +
	"    foam_roller --before-run --minutes=10 --calves --hamstrings --glutes --quads --it-band --lower-back --slowly"

// fitsTheScreen is a JavaScript expression: nothing on the page is wider
// than the window (a long word or code line wraps or scrolls in its box).
const fitsTheScreen = `document.documentElement.scrollWidth <= window.innerWidth`

// fourLinks is a reply the site refuses (at most three links), so that it
// comes back with its mistake whatever the browser checks first.
const fourLinks = "Links: https://a.example https://b.example https://c.example https://d.example"

// inView is a JavaScript expression: the element sel is wholly on screen.
func inView(sel string) string {
	return fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; })()`, sel)
}

// fullWidth is a JavaScript expression: the text box fills its form's width
// (less the form's padding) and is not in a monospace font.
func fullWidth(textarea string) string {
	return fmt.Sprintf(`(() => { const ta = document.querySelector(%q), f = ta.closest('form'), cs = getComputedStyle(f);
		const inner = f.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		return ta.getBoundingClientRect().width >= inner - 2 && !/mono/.test(getComputedStyle(ta).fontFamily); })()`, textarea)
}

// TestCommentsFeelFinished: on a phone, a reader previews a comment (the
// preview is the posted comment byte for byte), posts it and finds it in
// view, focused and marked as theirs; edits it in a form like the comment
// form that says how long is left; a reply sent back with a mistake still
// says whom it answers; a reply form closed and opened again keeps its
// words. axe finds nothing serious on the way.
func TestCommentsFeelFinished(t *testing.T) {
	tb := openTab(t)
	tb.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	openArticle(tb, baseURL)
	name := uniqueText("Rosa")

	// Preview: one request, the words stay in the box.
	tb.do("writing a comment in Markdown",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), markdownComment),
		chromedp.Click(chromedp.CSS(`#comment-form button[formaction*="/comments/preview"]`)),
	)
	waitFor(tb, "the preview appears", `!!document.querySelector('#comment-form-preview .comment-body strong')`)
	settled(tb)
	preview := eval[string](tb, `document.querySelector('#comment-form-preview .comment-body').innerHTML`)
	if strings.Contains(preview, "<b ") || !strings.Contains(preview, "<strong>stretches</strong>") {
		t.Errorf("the preview shows %q, want the rendered, sanitised text", preview)
	}
	if got := eval[string](tb, `document.querySelector('#comment-form-body').value`); got != markdownComment {
		t.Errorf("after Preview the text box holds %q, want what was typed", got)
	}
	if !eval[bool](tb, `document.activeElement && document.activeElement.matches('#comment-form-preview div.comment-preview')`) {
		t.Error("the focus did not move to the preview (a screen reader would not hear it)")
	}
	if !eval[bool](tb, fitsTheScreen) {
		t.Errorf("with the preview the page is %d px wide in a 390 px window", eval[int](tb, `document.documentElement.scrollWidth`))
	}
	// Changed after the preview: the preview says it is of the earlier text.
	tb.do("changing the text", chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), " "))
	waitFor(tb, "the preview is marked as of the earlier text", `!!document.querySelector('#comment-form-preview .comment-preview[data-stale]')`)
	checkAxe(tb, "the article with a comment previewed")

	// Post: the comment is on screen, focused and marked; its body is
	// what the preview showed.
	tb.do("posting it", chromedp.Sleep(fillTime), chromedp.Click(chromedp.CSS(`#comment-form-submit`))) // time itself must pass (see fillTime)
	waitFor(tb, "the comment appears", copiesOf("The stretches helped.")+` >= 1`)
	waitFor(tb, "the new comment has the focus", `!!document.activeElement && document.activeElement.matches('article.comment.just-posted')`)
	id := eval[string](tb, `document.activeElement.id`)
	num := strings.TrimPrefix(id, "comment-")
	waitFor(tb, "the new comment is in view", inView("#"+id))
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#%s .comment-body').innerHTML`, id)); got != preview {
		t.Errorf("the posted comment differs from its preview:\nposted  %q\npreview %q", got, preview)
	}
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#%s .just').textContent`, id)); got != "Yours, just now" {
		t.Errorf("the new comment is marked %q, want “Yours, just now”", got)
	}
	if v := eval[string](tb, `document.querySelector('#comment-form-body').value`); v != "" {
		t.Errorf("after posting, the form still holds %q", v)
	}
	if !eval[bool](tb, fitsTheScreen) {
		t.Errorf("with the comment posted the page is %d px wide in a 390 px window", eval[int](tb, `document.documentElement.scrollWidth`))
	}
	checkAxe(tb, "the article with a comment just posted")

	// Edit: in place, a form like the comment form, with the time left.
	tb.do(`clicking "Edit"`, chromedp.Click(chromedp.CSS(`#`+id+` .comment-actions a[href$="/edit"]`)))
	waitFor(tb, "the edit form opens", fmt.Sprintf(`!!document.querySelector('form#%s #edit-%s-body')`, id, num))
	settled(tb)
	if !eval[bool](tb, fullWidth("#edit-"+num+"-body")) {
		t.Errorf("the edit box is %s px wide in a %s px form, or monospace; want the comment form's style",
			eval[string](tb, fmt.Sprintf(`String(document.querySelector('#edit-%s-body').getBoundingClientRect().width)`, num)),
			eval[string](tb, fmt.Sprintf(`String(document.querySelector('form#%s').clientWidth)`, id)))
	}
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#edit-%s-time').textContent`, num)); !strings.Contains(got, "You can change it for 10 more minutes, until ") {
		t.Errorf("the edit form says %q, want the time left", got)
	}
	checkAxe(tb, "the article with a comment being edited")
	tb.do(`clicking "Cancel"`, chromedp.Click(chromedp.CSS(`form#`+id+` .form-actions a`)))
	waitFor(tb, "the comment is back", fmt.Sprintf(`!!document.querySelector('article#%s')`, id))
	settled(tb)

	// Reply with a mistake: the form comes back naming the person.
	tb.expectStatus("/blog/"+firstArticle+"/comments", 422)
	tb.do(`clicking "Reply"`, chromedp.Click(chromedp.CSS(`#`+id+` a[data-reply]`)))
	form := "#reply-form-" + num
	waitFor(tb, "the reply form opens", fmt.Sprintf(`!!document.querySelector('%s')`, form))
	settled(tb)
	waitFor(tb, "the focus moves into the reply form", fmt.Sprintf(`document.activeElement === document.querySelector('%s-name')`, form))
	tb.do("writing a reply with too many links",
		chromedp.SendKeys(chromedp.CSS(form+`-name`), "Sam"),
		chromedp.SendKeys(chromedp.CSS(form+`-body`), fourLinks),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(form+`-submit`)),
	)
	waitFor(tb, "the reply comes back with its mistake", fmt.Sprintf(`!!document.querySelector('%s .field-error')`, form))
	settled(tb)
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('%s .replying').textContent.trim()`, form)); got != "Replying to "+name {
		t.Errorf("the reply form sent back says %q, want “Replying to %s”", got, name)
	}

	// Close and open again: the words are still there.
	tb.do(`clicking "Close"`, chromedp.Click(chromedp.CSS(form+` a[data-close-reply]`)))
	waitFor(tb, "the reply form is closed", fmt.Sprintf(`getComputedStyle(document.querySelector('%s')).display === 'none'`, form))
	if !eval[bool](tb, fmt.Sprintf(`document.activeElement === document.querySelector('#%s a[data-reply]')`, id)) {
		t.Error("closing the reply form did not put the focus back on Reply")
	}
	tb.do(`clicking "Reply" again`, chromedp.Click(chromedp.CSS(`#`+id+` a[data-reply]`)))
	waitFor(tb, "the reply form is open again", fmt.Sprintf(`!document.querySelector('%s').hidden`, form))
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('%s-body').value`, form)); got != fourLinks {
		t.Errorf("the reply form opened again holds %q, want the words typed before", got)
	}

	// The time left counts down while the edit form is open: with four
	// seconds of the ten minutes left, it says one more minute, then that
	// the time is over (the page's own clock; nothing is sent).
	if _, err := dbOpen(t).NewRaw("UPDATE comments SET created_at = now() - interval '596 seconds' WHERE id = ?", num).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb.do(`clicking "Edit" near the end of the ten minutes`, chromedp.Click(chromedp.CSS(`#`+id+` .comment-actions a[href$="/edit"]`)))
	waitFor(tb, "the edit form opens", fmt.Sprintf(`!!document.querySelector('form#%s #edit-%s-body')`, id, num))
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#edit-%s-time').textContent`, num)); !strings.Contains(got, "You can change it for 1 more minute, until ") {
		t.Errorf("with seconds left the edit form says %q, want one more minute", got)
	}
	over := fmt.Sprintf(`document.querySelector('#edit-%s-time').textContent === 'The 10 minutes for changing it are over.'`, num)
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](over, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Errorf("the edit form did not say that the time is over: %v (it says %q)", err,
			eval[string](tb, fmt.Sprintf(`document.querySelector('#edit-%s-time').textContent`, num)))
	}
	tb.assertClean("the article after preview, post, edit and reply")
}

// TestCommentsFeelFinishedWithoutJavaScript: the same without scripts.
// Preview is a submit button that brings the page back with the preview
// above the form and everything kept; posting lands on the comment,
// marked; the edit page has the styled form and its own preview; a reply
// sent back with a mistake names the person.
func TestCommentsFeelFinishedWithoutJavaScript(t *testing.T) {
	tb := openTab(t)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	tb.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	path := "/blog/" + firstArticle
	tb.open(path)
	name := uniqueText("Noor")
	load := func(what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, action)); err != nil {
			t.Fatalf("%s did not load a page: %v", what, err)
		}
	}

	tb.do("writing a comment in Markdown",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), markdownComment))
	load("Preview", chromedp.Click(chromedp.CSS(`#comment-form button[formaction*="/comments/preview"]`)))
	preview := eval[string](tb, `(document.querySelector('#comment-form-preview .comment-body') || {innerHTML: ''}).innerHTML`)
	if !strings.Contains(preview, "<strong>stretches</strong>") {
		t.Fatalf("the page after Preview shows %q, want the rendered text", preview)
	}
	if v := eval[[]string](tb, `[document.querySelector('#comment-form-name').value, document.querySelector('#comment-form-body').value]`); v[0] != name || v[1] != markdownComment {
		t.Errorf("after Preview the form holds %q, want what was typed", v)
	}
	if !eval[bool](tb, `!!(document.querySelector('#comment-form-preview').compareDocumentPosition(document.querySelector('#comment-form-body')) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Error("the preview is not above the text")
	}
	checkAxeWithoutJS(tb, "the article with a preview, without JavaScript")

	// The page after Preview carries a stamp: one press posts.
	tb.do("waiting as a person does", chromedp.Sleep(fillTime)) // time itself must pass (see fillTime)
	load("Post comment", chromedp.Click(chromedp.CSS(`#comment-form-submit`)))
	hash := eval[string](tb, `location.hash`)
	id := strings.TrimPrefix(hash, "#")
	num := strings.TrimPrefix(id, "comment-")
	if !strings.HasPrefix(id, "comment-") || !strings.Contains(eval[string](tb, `location.search`), "posted="+num) {
		t.Fatalf("after posting the address is %s, want the comment's anchor", eval[string](tb, `location.href`))
	}
	if got := eval[string](tb, fmt.Sprintf(`(document.querySelector('article#%s.just-posted .just') || {textContent: ''}).textContent`, id)); got != "Yours, just now" {
		t.Errorf("the comment landed on is marked %q, want “Yours, just now”", got)
	}
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#%s .comment-body').innerHTML`, id)); got != preview {
		t.Errorf("the posted comment differs from its preview:\nposted  %q\npreview %q", got, preview)
	}

	// The edit page: the styled form, the time left, its own preview.
	load("Edit", chromedp.Click(chromedp.CSS(`#`+id+` .comment-actions a[href$="/edit"]`)))
	if !eval[bool](tb, fullWidth("#edit-"+num+"-body")) {
		t.Error("the edit page's text box is not as wide as its form, or is monospace")
	}
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('#edit-%s-time').textContent`, num)); !strings.Contains(got, "more minutes, until ") {
		t.Errorf("the edit page says %q, want the time left", got)
	}
	tb.do("changing the text", chromedp.SendKeys(chromedp.CSS(`#edit-`+num+`-body`), " *Later*"))
	load("Preview on the edit page", chromedp.Click(chromedp.CSS(`form#`+id+` button[formaction*="/comments/preview"]`)))
	if got := eval[string](tb, fmt.Sprintf(`(document.querySelector('#edit-%s-preview .comment-body em') || {textContent: ''}).textContent`, num)); got != "Later" {
		t.Errorf("the edit page's preview shows %q, want the changed text", got)
	}
	checkAxeWithoutJS(tb, "the edit page with a preview, without JavaScript")

	// A reply with a mistake comes back naming the person.
	tb.open(path + "#" + id)
	load("Reply", chromedp.Click(chromedp.CSS(`#`+id+` a[data-reply]`)))
	form := "#reply-form-" + num
	tb.expectStatus(path+"/comments", 422)
	tb.do("writing a reply with too many links",
		chromedp.SendKeys(chromedp.CSS(form+`-name`), "Sam"),
		chromedp.SendKeys(chromedp.CSS(form+`-body`), fourLinks))
	load("Post reply", chromedp.Click(chromedp.CSS(form+`-submit`)))
	if got := eval[string](tb, fmt.Sprintf(`(document.querySelector('%s .replying') || {textContent: ''}).textContent.trim()`, form)); got != "Replying to "+name {
		t.Errorf("the reply form sent back says %q, want “Replying to %s”", got, name)
	}
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector('%s-body').value`, form)); got != fourLinks {
		t.Errorf("the reply form sent back holds %q, want the words typed", got)
	}
	tb.assertClean("the article after preview, post, edit and reply without JavaScript")
}
