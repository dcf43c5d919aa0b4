package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Helpful on comments (issue 18): each test posts one comment to vote on,
// from a browser of its own (another visitor than the voter's).

// helpfulButton is the CSS selector of a comment's Helpful button.
func helpfulButton(id string) string { return "#" + id + " button.helpful" }

// helpfulState is a JavaScript expression: the button's pressed state and
// count, as "true 1".
func helpfulState(id string) string {
	return fmt.Sprintf(`(() => { const b = document.querySelector(%q);
		return b ? b.getAttribute('aria-pressed') + ' ' + b.querySelector('span').textContent.trim() : 'none'; })()`, helpfulButton(id))
}

// waitHelpful waits until the comment's button shows want ("true 1").
func waitHelpful(tb *tab, what, id, want string) {
	tb.t.Helper()
	if err := waitWithin(tb, focusWithin, what, helpfulState(id)+` === `+fmt.Sprintf("%q", want)); err != nil {
		tb.t.Fatalf("%v (it shows %q)", err, eval[string](tb, helpfulState(id)))
	}
}

// ownCount is a JavaScript expression: the count its author sees on their
// own comment (a count, not a button: one cannot vote on one's own), as
// "1", or "none".
func ownCount(id string) string {
	return fmt.Sprintf(`(() => { const c = document.querySelector('#%s span.helpful.mine > span');
		return c && !document.querySelector('#%s button.helpful') ? c.textContent.trim() : 'none'; })()`, id, id)
}

// commentToVoteOn posts a comment from a browser of its own and returns
// its element id.
func commentToVoteOn(t *testing.T, what string) string {
	t.Helper()
	_, id := commentAndAuthor(t, what)
	return id
}

// commentAndAuthor is commentToVoteOn with the author's tab, still open on
// the article.
func commentAndAuthor(t *testing.T, what string) (*tab, string) {
	t.Helper()
	author := openTab(t)
	openArticle(author, baseURL)
	id, _ := postComment(author, "Helpful author", uniqueText(what))
	return author, id
}

// TestHelpfulLiveOncePerVisitor: a reader's Helpful shows on another
// reader's page live; a second click undoes it there too; an edit of the
// comment arriving live leaves the voter's button pressed; after a reload
// the voter's button is still pressed and the count is one per visitor.
func TestHelpfulLiveOncePerVisitor(t *testing.T) {
	author, id := commentAndAuthor(t, "Is foam rolling before a run a good idea? Asked for Helpful,")
	voter, reader := openTab(t), openTab(t)
	openArticle(voter, baseURL)
	openArticle(reader, baseURL)
	waitHelpful(voter, "the comment shows Helpful, not pressed", id, "false 0")
	waitHelpful(reader, "the comment shows Helpful on the other page", id, "false 0")

	voter.do("clicking Helpful", chromedp.Click(chromedp.CSS(helpfulButton(id))))
	waitHelpful(voter, "the voter's button is pressed and counts one", id, "true 1")
	waitHelpful(reader, "the other reader sees the count live", id, "false 1")
	settled(voter)
	voter.do("clicking Helpful again (undo)", chromedp.Click(chromedp.CSS(helpfulButton(id))))
	waitHelpful(voter, "the voter's button is no longer pressed", id, "false 0")
	waitHelpful(reader, "the other reader sees the undo live", id, "false 0")
	settled(voter)
	voter.do("clicking Helpful once more", chromedp.Click(chromedp.CSS(helpfulButton(id))))
	waitHelpful(voter, "pressed again", id, "true 1")
	waitHelpful(reader, "and live again", id, "false 1")
	if !eval[bool](voter, pageMarked) || !eval[bool](reader, pageMarked) {
		t.Error("a page was reloaded; Helpful should work in place")
	}
	waitFor(author, "the author sees the count live, on their own comment no button", ownCount(id)+` === "1"`)
	// A live count changes the number only, not the words screen readers
	// hear after it.
	for _, c := range []struct {
		tb   *tab
		want string
	}{{reader, "Helpful 1 for Helpful author’s comment"}, {author, "Found helpful: 1"}} {
		if got := eval[string](c.tb, fmt.Sprintf(`document.querySelector('#%s .helpful').textContent.replace(/\s+/g, ' ').trim()`, id)); got != c.want {
			t.Errorf("after a live count the Helpful reads %q, want %q", got, c.want)
		}
	}

	// The author edits the comment: every page gets it anew, live; the
	// voter's stays pressed, the author keeps Edit.
	edited := uniqueText("Edited after a Helpful:")
	author.do("editing the comment", chromedp.Click(chromedp.CSS(`#`+id+` a[hx-get$="/edit"]`)))
	waitFor(author, "the edit form opens", fmt.Sprintf(`!!document.querySelector('form#%s textarea')`, id))
	author.do("saving the new text",
		chromedp.Clear(chromedp.CSS(`form#`+id+` textarea`)),
		chromedp.SendKeys(chromedp.CSS(`form#`+id+` textarea`), edited),
		chromedp.Click(chromedp.CSS(`form#`+id+` button[type=submit]`)),
	)
	for _, r := range []*tab{voter, reader} {
		if err := waitWithin(r, liveWithin, "the edit arrives live", copiesOf(edited)+` === 1`); err != nil {
			t.Fatal(err)
		}
		settled(r)
	}
	waitHelpful(voter, "the voter's button stays pressed through the live edit", id, "true 1")
	// The voter's focus was on the button they pressed: it stays there.
	waitFor(voter, "the voter's focus stays on Helpful through the live edit",
		fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, helpfulButton(id)))
	waitHelpful(reader, "the other reader's stays as it was", id, "false 1")
	waitFor(author, "the author's own copy of the edit arrives", streamed("update", edited))
	settled(author)
	waitFor(author, "the author's count stays", ownCount(id)+` === "1"`)
	if n := eval[int](author, fmt.Sprintf(`document.querySelectorAll('#%s .comment-actions a[href$="/edit"]').length`, id)); n != 1 {
		t.Errorf("after the edit the author's comment offers Edit %d times, want once", n)
	}

	voter.open("/blog/" + firstArticle)
	waitHelpful(voter, "after a reload the voter's button is still pressed", id, "true 1")
	reader.open("/blog/" + firstArticle)
	waitHelpful(reader, "after a reload the other reader sees the count, not pressed", id, "false 1")
	voter.assertClean("the article after voting Helpful")
	reader.assertClean("the article while another reader voted")
	checkAxe(voter, "an article with a comment found helpful, pressed")
}

// TestHelpfulTwoTabsOneBrowser: the same reader with the article open in
// two tabs presses Helpful in one; the other shows it pressed too (not only
// the count), and taking it back there is a real undo in both.
func TestHelpfulTwoTabsOneBrowser(t *testing.T) {
	id := commentToVoteOn(t, "Should I stretch on rest days? Asked in two tabs,")
	b := newBrowser(t)
	first, second := b.newTab(t), b.newTab(t)
	openArticle(first, baseURL)
	openArticle(second, baseURL)
	waitHelpful(second, "the second tab shows Helpful, not pressed", id, "false 0")

	first.do("clicking Helpful in the first tab", chromedp.Click(chromedp.CSS(helpfulButton(id))))
	waitHelpful(first, "pressed in the first tab", id, "true 1")
	waitHelpful(second, "pressed in the second tab too", id, "true 1")
	settled(second)
	second.do("clicking Helpful in the second tab (undo)", chromedp.Click(chromedp.CSS(helpfulButton(id))))
	waitHelpful(second, "taken back in the second tab", id, "false 0")
	waitHelpful(first, "taken back in the first tab too", id, "false 0")
	first.assertClean("the first tab")
	second.assertClean("the second tab")
}

// TestHelpfulByKeyboard: Tab reaches the button after the comment's own
// link, Enter presses it and Space takes it back; the focus stays on it.
func TestHelpfulByKeyboard(t *testing.T) {
	id := commentToVoteOn(t, "Does ice help after a deep tissue massage? Asked for the keyboard,")
	tb := openTab(t)
	openArticle(tb, baseURL)
	waitHelpful(tb, "the comment shows Helpful", id, "false 0")
	eval[bool](tb, fmt.Sprintf(`document.querySelector('#%s header a').focus(); true`, id))
	if f := pressTab(tb); f.Tag != "button" || !strings.HasPrefix(f.Text, "Helpful 0 for ") {
		t.Fatalf("Tab after the comment's link focuses %s, want its Helpful button", f)
	}
	tb.do("pressing Enter", chromedp.KeyEvent(kb.Enter))
	waitHelpful(tb, "Enter presses it", id, "true 1")
	focusOn := fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, helpfulButton(id))
	waitFor(tb, "the focus stays on the button", focusOn)
	settled(tb)
	tb.do("pressing Space", chromedp.KeyEvent(" "))
	waitHelpful(tb, "Space takes it back", id, "false 0")
	waitFor(tb, "the focus is still on the button", focusOn)
	tb.assertClean("voting Helpful by keyboard")
}

// TestHelpfulWithoutJavaScript: the button is a plain form button: it
// posts, comes back to the comment pressed, and a second press undoes it.
func TestHelpfulWithoutJavaScript(t *testing.T) {
	id := commentToVoteOn(t, "How often should I stretch? Asked without scripts,")
	tb := openTab(t)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	tb.open("/blog/" + firstArticle)
	if eval[bool](tb, `typeof window.htmx !== 'undefined'`) {
		t.Fatal("htmx ran although JavaScript is off")
	}
	press := func(what string) {
		t.Helper()
		if _, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
			chromedp.Click(chromedp.CSS(helpfulButton(id))))); err != nil {
			t.Fatalf("%s did not load a page: %v", what, err)
		}
	}
	if got := eval[string](tb, helpfulState(id)); got != "false 0" {
		t.Fatalf("the button shows %q, want false 0", got)
	}
	press("pressing Helpful")
	if got := eval[string](tb, helpfulState(id)); got != "true 1" {
		t.Errorf("after pressing Helpful the button shows %q, want true 1", got)
	}
	if hash := eval[string](tb, `location.hash`); hash != "#"+id {
		t.Errorf("after voting the address ends in %q, want #%s", hash, id)
	}
	checkAxeWithoutJS(tb, "an article with a comment found helpful, without JavaScript")
	press("pressing Helpful again")
	if got := eval[string](tb, helpfulState(id)); got != "false 0" {
		t.Errorf("after pressing again the button shows %q, want false 0", got)
	}
	tb.assertClean("voting Helpful without JavaScript")
}
