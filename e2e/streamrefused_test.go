package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestRefusedLiveStreamSaysSo: a reader whose connection already holds as
// many live streams as one address may open still reads the article, with
// a note that new comments are not appearing live; once a place is free
// the page connects again by itself and the note goes.
func TestRefusedLiveStreamSaysSo(t *testing.T) {
	a := startAbuseTarget(t, nil)
	page, err := newVisitor(t, a.origin, false).do("GET", "/blog/"+firstArticle, nil, nil)
	if err != nil || page.status != 200 {
		t.Fatalf("GET the article: %v", err)
	}
	m := streamAfterRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("the article names no live stream")
	}
	path := strings.ReplaceAll(m[1], "&amp;", "&")
	// Chromium connects from 127.0.0.1 with no Fly-Client-IP: the same
	// address as these.
	var streams []*stream
	for range 8 {
		streams = append(streams, openStream(t, visitorAt(t, a.origin, "127.0.0.1"), path, 0))
	}

	tb := openTab(t)
	tb.origin = a.origin
	tb.expectStatus(path, 429)
	tb.open("/blog/" + firstArticle)
	waitFor(tb, "the note that comments are not live", `(document.querySelector('#comments-stale[data-live-off][role=status]') || {}).textContent`+
		`?.includes('not appearing live') === true`)

	// A place frees: the page's next try (after one to a few seconds)
	// connects, and the note goes.
	streams[0].cancel()
	if err := waitWithin(tb, 20*time.Second, "the note going once the stream connects",
		`!document.querySelector('#comments-stale[data-live-off]') && document.getElementById('comments-stale').textContent.trim() === ''`); err != nil {
		t.Fatal(err)
	}
	// htmx reports the refused connection on the console (its htmx:sseError
	// event); nothing else may go wrong.
	if p := tb.takeProblems(); len(p.exceptions)+len(p.failedRequests) > 0 {
		t.Errorf("exceptions %q, failed requests %q", p.exceptions, p.failedRequests)
	}
}
