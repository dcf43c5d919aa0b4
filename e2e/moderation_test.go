package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"dynamicmotion/db"
)

// withModerationAll holds every comment for the test, off again after it.
func withModerationAll(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, databaseURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetCommentModeration(ctx, bdb, db.ModerationAll); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.SetCommentModeration(ctx, bdb, db.ModerationOff); err != nil {
			t.Error(err)
		}
		bdb.Close()
	})
}

// TestTherapistApprovesHeldComment: with every comment held, a visitor's
// comment waits (they see it as awaiting approval, another reader does not
// see it); the therapist logs in, finds it on /admin/comments and approves
// it in place; it appears live on the open article, without a reload, once.
func TestTherapistApprovesHeldComment(t *testing.T) {
	withModerationAll(t)
	origin := adminInstance(t)
	reader := openTab(t)
	visitor := openTab(t)
	therapist := openTab(t)
	openArticle(reader, origin)

	text := uniqueText("Is a sports massage useful before a marathon?")
	if status := visitor.openAt(origin, "/blog/"+firstArticle); status != 200 {
		t.Fatalf("the article answered %d", status)
	}
	waitForStamp(visitor, "#comment-form")
	visitor.do("writing a comment",
		chromedp.SendKeys(chromedp.CSS(`#comment-form-name`), "Maya"),
		chromedp.SendKeys(chromedp.CSS(`#comment-form-body`), text),
		chromedp.Sleep(fillTime), // time itself must pass (see fillTime)
		chromedp.Click(chromedp.CSS(`#comment-form-submit`)),
	)
	waitFor(visitor, "the comment shows to its author as awaiting approval", fmt.Sprintf(
		`[...document.querySelectorAll('#comments article.comment.held')].some(a => a.textContent.includes(%q) && a.textContent.includes('Awaiting approval'))`, text))
	if n := eval[int](reader, copiesOf(text)); n != 0 {
		t.Fatalf("a held comment is on another reader's page %d times", n)
	}

	logInAt(therapist, origin)
	if status := therapist.openAt(origin, "/admin/comments"); status != 200 {
		t.Fatalf("GET /admin/comments answered %d", status)
	}
	item := fmt.Sprintf(`[...document.querySelectorAll('#queue li.moderation-item')].find(li => li.textContent.includes(%q))`, text)
	waitFor(therapist, "the comment is in the queue", "!!"+item)
	eval[bool](therapist, markPage)
	id := eval[string](therapist, item+`.id`)
	settled(therapist)
	therapist.do("clicking Approve", chromedp.Click(chromedp.CSS(`#`+id+` button[hx-post$="/approve"]`)))
	waitFor(therapist, "the queue says it is approved, in place", fmt.Sprintf(
		`!!document.querySelector('#%s.moderated') && document.querySelector('#%s').textContent.includes('Approved')`, id, id))
	if !eval[bool](therapist, pageMarked) {
		t.Error("approving reloaded the moderation page; it should answer in place")
	}
	therapist.assertClean("the moderation page")

	if err := waitWithin(reader, liveWithin, "the approved comment reaches the open article", copiesOf(text)+` === 1`); err != nil {
		t.Fatal(err)
	}
	if !eval[bool](reader, pageMarked) {
		t.Error("the reader's page was reloaded; the comment should arrive live")
	}
	if n := eval[int](reader, copiesOf(text)); n != 1 {
		t.Errorf("the comment is on the reader's page %d times, want once", n)
	}
	reader.assertClean("the article with the live comment")

	// The author's open page too: the approved comment replaces their copy
	// awaiting approval, once, without a reload.
	if err := waitWithin(visitor, liveWithin, "the author's copy is approved live", fmt.Sprintf(
		`[...document.querySelectorAll('#comments article.comment')].filter(a => a.textContent.includes(%q) && !a.classList.contains('held')).length === 1`, text)); err != nil {
		t.Error(err)
	}
	if n := eval[int](visitor, copiesOf(text)); n != 1 {
		t.Errorf("after approval the comment is on its author's open page %d times, want once", n)
	}

	// After a reload it is there for everyone, no longer awaiting approval.
	if status := visitor.openAt(origin, "/blog/"+firstArticle); status != 200 {
		t.Fatalf("reloading the article answered %d", status)
	}
	if held := eval[int](visitor, fmt.Sprintf(`[...document.querySelectorAll('#comments article.comment.held')].filter(a => a.textContent.includes(%q)).length`, text)); held != 0 {
		t.Error("after approval the comment still shows as awaiting approval")
	}
	if n := eval[int](visitor, copiesOf(text)); n != 1 {
		t.Errorf("after a reload the comment is on the page %d times, want once", n)
	}
}
