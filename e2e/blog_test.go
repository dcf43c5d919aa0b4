package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"dynamicmotion/db"
	"dynamicmotion/markdown"
)

// firstArticle is the seeded article every site starts with.
const firstArticle = "sports-massage-for-lower-back-pain"

// fillerTag marks the articles addFillerPosts makes, so that tests can find them.
const fillerTag = "e2e filler"

// addFillerPosts publishes 12 short articles older than the seeded one, so
// that the list has more than one page: 13 articles are 10 on page 1 and 3
// on page 2. TestMain adds them before the server starts, as content that
// exists when readers arrive (the site caches lists for a few seconds).
func addFillerPosts(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	bdb, err := db.Open(ctx, dsn, db.Options{AppName: "e2e"})
	if err != nil {
		return err
	}
	defer bdb.Close()
	for i := range 12 {
		body := fmt.Sprintf("Stretching notes for runners, part %d. Hold each stretch for thirty seconds.", i+1)
		html, err := markdown.Article(body, markdown.Options{})
		if err != nil {
			return err
		}
		published := time.Date(2023, 1, 1+i, 9, 0, 0, 0, time.UTC)
		p := db.Post{
			Slug: fmt.Sprintf("runners-stretching-part-%d", i+1), Title: fmt.Sprintf("Stretching for runners, part %d", i+1),
			Summary: "Simple stretches after a run.", BodyMD: body, BodyHTML: html, BodyText: markdown.Plain(body),
			Author: "Dynamic Motion", Tags: []string{fillerTag}, Status: db.StatusPublished,
			PublishedAt: &published, ReadingMinutes: 1,
		}
		if err := db.SavePost(ctx, bdb, &p); err != nil {
			return err
		}
	}
	return nil
}

// markPage sets a value on the window that a page load would lose: if it is
// still there later, the page was updated in place, not reloaded.
const markPage = `window.__noReload = 'still here'; true`
const pageMarked = `window.__noReload === 'still here'`

// waitFor polls a JavaScript condition until it is true or the test's
// browser context ends.
func waitFor(tb *tab, what, cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
		tb.t.Fatalf("waiting until %s (%s): %v", what, cond, err)
	}
}

// TestMoreArticlesAppendsTheNextPage (with the articles TestMain adds): the list shows ten articles; "More
// articles" adds the next ones below them without leaving the page, and
// disappears on the last page.
func TestMoreArticlesAppendsTheNextPage(t *testing.T) {
	tb := openTab(t)
	if status := tb.open("/blog"); status != 200 {
		t.Fatalf("GET /blog answered %d", status)
	}
	const cards = `document.querySelectorAll('#post-list .post-card').length`
	if n := eval[int](tb, cards); n != 10 {
		t.Fatalf("the first page shows %d articles, want 10", n)
	}
	if href := eval[string](tb, `document.querySelector('#more a').getAttribute('href')`); href != "/blog?page=2" {
		t.Errorf(`"More articles" links to %q, want /blog?page=2 (it must work without JavaScript too)`, href)
	}
	eval[bool](tb, markPage)
	tb.do(`clicking "More articles"`, chromedp.Click(chromedp.CSS(`#more a`)))
	waitFor(tb, "the next three articles are appended", cards+` === 13`)

	if !eval[bool](tb, pageMarked) {
		t.Error(`"More articles" reloaded the page; it should append in place`)
	}
	if n := eval[int](tb, `document.querySelectorAll('#more').length`); n != 0 {
		t.Errorf(`"More articles" is still offered on the last page (%d controls)`, n)
	}
	if path := eval[string](tb, `location.pathname + location.search`); path != "/blog" {
		t.Errorf("the address changed to %q; appending a page should keep it", path)
	}
	titles := eval[[]string](tb, `[...document.querySelectorAll('#post-list .post-card h2')].map(h => h.textContent.trim())`)
	if titles[0] != "Sports Massage for Lower Back Pain: Relief and Recovery" || titles[12] != "Stretching for runners, part 1" {
		t.Errorf("articles are not newest first across the pages: %q", titles)
	}
	seen := map[string]bool{}
	for _, title := range titles {
		if seen[title] {
			t.Errorf("%q is listed twice", title)
		}
		seen[title] = true
	}
	tb.assertClean("the article list after More articles")
}

// TestSearchAsYouType: typing in the search box updates the list in place
// after a short pause (not on every key), with the heading and the page's
// title, shows highlighted matches, puts the query in the address (in
// place: each pause is not a step back in the history), keeps the focus in
// the box, and clearing it brings the full list back.
func TestSearchAsYouType(t *testing.T) {
	tb := openTab(t)
	tb.open("/blog")
	eval[bool](tb, markPage)
	history := eval[int](tb, `history.length`)

	const query = "lower back"
	tb.do("typing a search", chromedp.Click(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS(`#q`), query))
	waitFor(tb, "the results replace the list", `document.querySelectorAll('#post-list .post-card').length === 1`)
	waitFor(tb, "the address carries the query", `new URLSearchParams(location.search).get('q') === 'lower back'`)

	if !eval[bool](tb, pageMarked) {
		t.Error("searching reloaded the page; the list should update in place")
	}
	waitFor(tb, "the heading follows the search", `document.querySelector('h1').textContent.includes('lower back')`)
	if title := eval[string](tb, `document.title`); !strings.HasPrefix(title, "Search: lower back") {
		t.Errorf("the page's title is %q while it shows the search", title)
	}
	if n := eval[int](tb, `history.length`); n != history {
		t.Errorf("searching added %d steps to the history, want none (the address is replaced)", n-history)
	}
	if title := eval[string](tb, `document.querySelector('#post-list .post-card h2').textContent.trim()`); !strings.Contains(title, "Lower Back Pain") {
		t.Errorf("the one result is %q, want the lower back pain article", title)
	}
	marks := eval[[]string](tb, `[...document.querySelectorAll('#post-list .snippet mark')].map(m => m.textContent.toLowerCase())`)
	if len(marks) == 0 || !(contains(marks, "lower") || contains(marks, "back")) {
		t.Errorf("the snippet highlights %q, want the words searched for", marks)
	}
	if id := eval[string](tb, `document.activeElement && document.activeElement.id`); id != "q" {
		t.Errorf("the focus moved to %q while typing; it should stay in the search box", id)
	}
	// Debounced: one request per pause, not one per key.
	requests := eval[int](tb, `performance.getEntriesByType('resource').filter(e => e.name.includes('/blog?q=')).length`)
	if requests < 1 || requests > 3 {
		t.Errorf("typing %d characters sent %d searches; want a few at most (debounced)", len(query), requests)
	}

	// Clearing the box brings every article back.
	tb.do("clearing the search", chromedp.SendKeys(chromedp.CSS(`#q`), strings.Repeat(kb.Backspace, len(query))))
	waitFor(tb, "the full list returns", `document.querySelectorAll('#post-list .post-card').length === 10`)

	// A search nobody can match says so.
	tb.do("typing a search with no results", chromedp.SendKeys(chromedp.CSS(`#q`), "zzyzx"))
	waitFor(tb, "the empty result is explained", `(document.querySelector('#post-list .empty') || {}).textContent?.includes('No articles match')`)

	tb.assertClean("the article list while searching")
}

// TestLikeWithoutReload: the like button counts the like in place, once per
// visitor; after a reload it still shows as liked with the same count.
func TestLikeWithoutReload(t *testing.T) {
	tb := openTab(t)
	tb.open("/blog/" + firstArticle)
	const count = `parseInt(document.querySelector('#like .like-count').textContent, 10)`
	before := eval[int](tb, count)
	eval[bool](tb, markPage)

	tb.do("clicking Like", chromedp.Click(chromedp.CSS(`#like button`)))
	waitFor(tb, "the count goes up by one", fmt.Sprintf(`%s === %d`, count, before+1))

	if !eval[bool](tb, pageMarked) {
		t.Error("liking reloaded the page; the count should update in place")
	}
	if !eval[bool](tb, `document.querySelector('#like button').disabled`) {
		t.Error("the like button can still be pressed after liking")
	}
	if label := eval[string](tb, `document.querySelector('#like button').textContent.trim()`); label != "Liked" {
		t.Errorf("the button says %q after liking, want Liked", label)
	}
	tb.assertClean("the article after liking")

	tb.open("/blog/" + firstArticle)
	if got := eval[int](tb, count); got != before+1 {
		t.Errorf("after a reload the count is %d, want %d", got, before+1)
	}
	if !eval[bool](tb, `document.querySelector('#like button').disabled`) {
		t.Error("after a reload the same visitor can like again")
	}
}

func contains(list []string, s string) bool { // slices.Contains, named for the messages
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
