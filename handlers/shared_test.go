package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// Every visitor without a session gets the same copy of a public page,
// revalidated with its strong ETag, gzip-compressed for whoever asks.
func TestSharedPage(t *testing.T) {
	s := newTestServer(t, nil)
	first := s.get(t, "/about")
	wantStatus(t, first, http.StatusOK)
	etag := first.Header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETag = %q, want a strong one", etag)
	}
	if got := first.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache (kept and revalidated)", got)
	}
	if got := first.Header.Values("Vary"); !containsToken(got, "Cookie") || !containsToken(got, "Accept-Encoding") || !containsToken(got, "HX-Request") {
		t.Errorf("Vary = %q, want Accept-Encoding, HX-Request and Cookie", got)
	}
	if len(first.Cookies()) > 0 {
		t.Errorf("a page for everyone set cookies %v", first.Cookies())
	}
	second := s.get(t, "/about")
	if second.body != first.body || second.Header.Get("ETag") != etag {
		t.Error("two visitors got different copies")
	}

	same := s.get(t, "/about", "If-None-Match: "+etag)
	if same.StatusCode != http.StatusNotModified || same.body != "" || same.Header.Get("ETag") != etag {
		t.Errorf("revalidation: %d, %d bytes, ETag %q; want 304, none, %s", same.StatusCode, len(same.body), same.Header.Get("ETag"), etag)
	}
	if stale := s.get(t, "/about", `If-None-Match: "not-this-one"`); stale.StatusCode != http.StatusOK || stale.body != first.body {
		t.Errorf("another ETag: %d, want the page", stale.StatusCode)
	}

	gz := s.get(t, "/about", "Accept-Encoding: br, gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("ETag") == etag {
		t.Fatalf("with gzip accepted: Content-Encoding %q, ETag %q; want gzip and its own tag", gz.Header.Get("Content-Encoding"), gz.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(strings.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, []byte(first.body)) {
		t.Error("the gzip copy is not the page")
	}
	if res := s.get(t, "/about", "Accept-Encoding: gzip", "If-None-Match: "+gz.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating the gzip copy: %d, want 304", res.StatusCode)
	}
	if res := s.get(t, "/about", "Accept-Encoding: gzip;q=0, identity"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a browser that refused it (q=0)")
	}

	head := s.serve(t, newRequest(http.MethodHead, "/about"))
	if head.StatusCode != http.StatusOK || head.body != "" || head.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %d, %d bytes, ETag %q", head.StatusCode, len(head.body), head.Header.Get("ETag"))
	}
	// Campaign tags change nothing; a search is not kept.
	if res := s.get(t, "/about?utm_source=newsletter&utm_medium=email"); res.Header.Get("ETag") != etag {
		t.Error("a link with campaign tags got another copy")
	}
	if res := s.get(t, "/blog?q=massage"); res.Header.Get("ETag") != "" || res.Header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("a search: ETag %q, Cache-Control %q; want a render for that visitor alone", res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
	}
	if res := s.get(t, "/blog?page=x"); res.Header.Get("ETag") != "" {
		t.Error("a page number the site never links to was kept")
	}
	// A topic as the site links it, spaces and all, is shared.
	tag := "shared topic " + unique()
	savePost(t, db.Post{Tags: []string{tag}})
	if res := s.get(t, "/blog?tag="+url.QueryEscape(tag)); res.StatusCode != http.StatusOK || res.Header.Get("ETag") == "" {
		t.Errorf("/blog?tag=%s: %d, ETag %q; want the shared copy", tag, res.StatusCode, res.Header.Get("ETag"))
	}
}

// Whoever has a session, or has liked the article, gets a page of their
// own, never kept for the others.
func TestPersonalPagesAreNotShared(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	shared := s.get(t, "/blog/"+p.Slug)
	wantStatus(t, shared, http.StatusOK)
	// The shared bytes, with this reader's seen cookie: theirs alone for
	// any cache on the way.
	if shared.cookie("seen") == nil || shared.Header.Get("ETag") == "" || shared.Header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("first view: seen cookie %v, ETag %q, Cache-Control %q", shared.cookie("seen"), shared.Header.Get("ETag"), shared.Header.Get("Cache-Control"))
	}

	liker := s.visitor()
	liker.get(t, "/blog/"+p.Slug)
	like(t, liker, p.Slug)
	own := liker.get(t, "/blog/"+p.Slug)
	if own.Header.Get("ETag") != "" || own.Header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("the liker's page: ETag %q, Cache-Control %q; want their own", own.Header.Get("ETag"), own.Header.Get("Cache-Control"))
	}
	checkHTML(t, own.body, in(".like button[aria-pressed=true]"))
	checkHTML(t, s.get(t, "/blog/"+p.Slug).body, in(".like button[aria-pressed=false]"))

	v := s.visitor()
	v.do(t, postForm("/_test/session", map[string][]string{"v": {"x"}}))
	if res := v.get(t, "/about"); res.Header.Get("ETag") != "" || len(res.Header.Values("Set-Cookie")) > 0 && res.cookie("session") != nil {
		t.Errorf("a visitor with a session got the shared copy (ETag %q)", res.Header.Get("ETag"))
	}
	if res := s.get(t, "/blog/"+p.Slug, "HX-Request: true"); res.Header.Get("ETag") != "" {
		t.Error("an htmx request got the shared copy")
	}
}

// A comment posted here, or a change announced by any instance, is on the
// next page at once.
func TestSharedPageShowsChanges(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	before := s.get(t, "/blog/"+p.Slug)
	cm := s.commenter(t, p.Slug)
	text := "Shared pages show this at once " + unique()
	wantStatus(t, cm.post(t, cm.form(t, "name=Sam", "body="+text)), http.StatusSeeOther)
	after := s.get(t, "/blog/"+p.Slug)
	if !strings.Contains(after.body, text) || after.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Error("the shared copy does not show the comment just posted on this instance")
	}

	// Another instance's change: a transaction on the database, announced
	// on db.ContentChannel, heard by the hub.
	s.runHub(t)
	home := s.get(t, "/services")
	name := "Renamed for the test " + unique()
	var was string
	ctx := context.Background()
	bdb := seededDB(t)
	if err := bdb.NewRaw("SELECT name FROM services WHERE active ORDER BY sort_order, id LIMIT 1").Scan(ctx, &was); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.NewRaw("UPDATE services SET name = ? WHERE name = ?", was, name).Exec(ctx) }) //nolint:errcheck
	if _, err := bdb.NewRaw("UPDATE services SET name = ? WHERE name = ?", name, was).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// Within 2 s: the notification's trip, not the hub's 5 s check, which
	// backs it up. The page is the only thing that shows the hub heard it.
	pollUntil(t, "the change announced on the content channel on /services (ETag before "+home.Header.Get("ETag")+")",
		2*time.Second, func() bool { return strings.Contains(s.get(t, "/services").body, name) })
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"gzip": true, "gzip, deflate, br": true, "br;q=1.0, gzip;q=0.8": true, "*": true,
		"": false, "br": false, "identity": false, "gzip;q=0": false, "gzip; q=0.000": false,
		"*;q=0, gzip": true, "gzip;q=0, *": false, "*;q=0": false, "GZIP": true,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

// An article scheduled to go live appears on the kept pages at its time,
// though nothing changes in the database then: the hub's regular check
// sees it.
func TestScheduledArticleReplacesKeptPages(t *testing.T) {
	s := newTestServer(t, nil)
	ctx := context.Background()
	title := "Goes live later " + unique()
	p := savePost(t, db.Post{Title: title, Status: db.StatusScheduled, PublishedAt: ptr(time.Now().Add(time.Hour))})
	s.h.checkContent(ctx)
	if strings.Contains(s.get(t, "/").body, title) {
		t.Fatal("a scheduled article is on the home page before its time")
	}
	// Its time comes: moved into the past without the triggers that would
	// announce an edit, as the clock would.
	err := seededDB(t).RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		_, err := tx.NewRaw("UPDATE posts SET published_at = now() WHERE id = ?", p.ID).Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.h.checkContent(ctx)
	if !strings.Contains(s.get(t, "/").body, title) {
		t.Error("after the check, the home page still does not list the article whose time came")
	}
}
