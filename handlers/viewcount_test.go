package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"dynamicmotion/db"
)

// Views reach the database by themselves a moment after they are counted,
// in one write for a burst of readers.
func TestViewsAreWrittenInBatches(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	for range 5 {
		s.visitor().get(t, "/blog/"+p.Slug)
	}
	if got := s.h.viewCount.pendingViews()[p.ID]; got != 5 {
		t.Fatalf("%d views waiting to be written, want 5", got)
	}
	deadline := time.Now().Add(5 * viewFlushDelay)
	for postNow(t, p.Slug).Views != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the database has %d views, want 5", 5*viewFlushDelay, postNow(t, p.Slug).Views)
		}
		time.Sleep(50 * time.Millisecond) // polling the table: the batched write sends no event
	}
	if got := s.h.viewCount.pendingViews(); len(got) != 0 {
		t.Errorf("views still waiting after the write: %v", got)
	}
}

// A failed write loses nothing: the counts wait for the next batch and are
// added to the views counted meanwhile.
func TestViewCounterKeepsCountsWhenAWriteFails(t *testing.T) {
	var (
		mu      sync.Mutex
		fail    = true
		written []map[int64]int
	)
	vc := newViewCounter(func(_ context.Context, counts map[int64]int) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("database is down")
		}
		written = append(written, counts)
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))

	vc.add(1)
	vc.add(1)
	vc.add(2)
	if err := vc.Flush(context.Background()); err == nil {
		t.Fatal("Flush reported success although the write failed")
	}
	vc.add(1)
	mu.Lock()
	fail = false
	mu.Unlock()
	if err := vc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]map[int64]int{{1: 3, 2: 1}}, written); diff != "" {
		t.Errorf("written batches (-want +got):\n%s", diff)
	}
}

// An article is read from the database once per cache.TTL, however many
// readers ask; a made-up slug is not kept.
func TestArticleCacheReadsOnce(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	var reads int
	var mu sync.Mutex
	load := s.h.articles.load
	s.h.articles.load = func(ctx context.Context, slug string) (*article, error) {
		mu.Lock()
		reads++
		mu.Unlock()
		return load(ctx, slug)
	}
	for range 10 {
		if res := s.visitor().get(t, "/blog/"+p.Slug); res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	for i := range 5 {
		s.get(t, "/blog/made-up-"+string(rune('a'+i)))
	}
	mu.Lock()
	defer mu.Unlock()
	if reads != 1+5 {
		t.Errorf("%d database reads for 10 views of one article and 5 unknown slugs, want 6", reads)
	}
	s.h.articles.mu.Lock()
	defer s.h.articles.mu.Unlock()
	if n := len(s.h.articles.bySlug); n != 1 {
		t.Errorf("the cache keeps %d slugs, want 1 (unknown slugs are not kept)", n)
	}
}

// Reading an article writes nothing per reader: no server session is made
// for a first-time visitor (or a crawler). The seen cookie is a browser
// session cookie, only for /blog, that scripts cannot read.
func TestReadingAnArticleMakesNoSession(t *testing.T) {
	s := newTestServer(t, secure)
	p := savePost(t, db.Post{})
	before := s.store.commits.Load()
	res := s.get(t, "/blog/"+p.Slug)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if n := s.store.commits.Load() - before; n != 0 {
		t.Errorf("reading an article wrote %d sessions, want none", n)
	}
	var seen *http.Cookie
	for _, c := range res.Cookies() {
		switch c.Name {
		case "__Host-session":
			t.Errorf("reading an article set a session cookie")
		case "__Secure-seen":
			seen = c
		}
	}
	if seen == nil {
		t.Fatalf("no seen cookie; cookies: %q", res.Header.Values("Set-Cookie"))
	}
	if seen.Path != "/blog" || !seen.HttpOnly || !seen.Secure || seen.SameSite != http.SameSiteLaxMode || !seen.Expires.IsZero() || seen.MaxAge != 0 {
		t.Errorf("seen cookie = %+v; want Path=/blog, HttpOnly, Secure, SameSite=Lax and no expiry", seen)
	}
}

// A seen cookie that is not a list of ids counts as none (the view counts,
// nothing fails), and the cookie stays small however much one reads.
func TestSeenCookieIsForgiving(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	path := "/blog/" + p.Slug
	for _, junk := range []string{"", "x", "-1", "0", "1..2", strings.Repeat("1.", 2000), "'; DROP TABLE posts;--", "\x00"} {
		req := newRequest(http.MethodGet, path)
		req.AddCookie(&http.Cookie{Name: "seen", Value: junk})
		if res := s.serve(t, req); res.StatusCode != http.StatusOK {
			t.Errorf("seen=%q: status %d, want 200", junk, res.StatusCode)
		}
	}
	if got := s.savedViews(t, p.Slug); got != 8 {
		t.Errorf("%d views after 8 readers with broken cookies, want 8", got)
	}

	v := s.visitor()
	for range maxSeen + 10 {
		v.get(t, "/blog/"+savePost(t, db.Post{}).Slug)
	}
	if n := len(strings.Split(v.cookies["seen"].Value, ".")); n != maxSeen {
		t.Errorf("the seen cookie holds %d ids after %d articles, want the last %d", n, maxSeen+10, maxSeen)
	}
}

// Limits count an IPv6 client by its /64, so that one client cannot walk
// through its own addresses to escape them.
func TestLimitKey(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"2001:db8:1:2:aaaa::1": "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb::9": "2001:db8:1:2::/64",
		"::ffff:192.0.2.7":     "::ffff:192.0.2.7",
		"not an address":       "not an address",
	} {
		if got := limitKey(ip); got != want {
			t.Errorf("limitKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

// One address holds a bounded number of live streams open.
func TestStreamsPerAddressAreBounded(t *testing.T) {
	var s streamCounts
	for i := range maxStreamsPerIP {
		if !s.open("a") {
			t.Fatalf("stream %d refused", i+1)
		}
	}
	if s.open("a") {
		t.Error("one stream too many was allowed")
	}
	if !s.open("b") {
		t.Error("another address was refused")
	}
	s.close("a")
	if !s.open("a") {
		t.Error("a closed stream's place was not freed")
	}
}
