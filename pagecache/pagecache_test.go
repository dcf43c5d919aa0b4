package pagecache

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// clock is a settable now for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newStore(maxBytes int) (*Store, *clock) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	return New(time.Minute, maxBytes, c.now), c
}

var html = []byte(strings.Repeat("<p>The same words for every reader.</p>\n", 100))

func TestKeptPageIsServedInBothEncodings(t *testing.T) {
	s, _ := newStore(1 << 20)
	p, r := s.Get("/blog/a", nil)
	if p != nil || r == nil {
		t.Fatalf("first get = %v, %v; want a claim to render", p, r)
	}
	kept := r.Keep("text/html; charset=UTF-8", html)
	got, r2 := s.Get("/blog/a", nil)
	if got != kept || r2 != nil {
		t.Fatalf("second get = %p, %v; want the kept page %p", got, r2, kept)
	}
	zr, err := gzip.NewReader(bytes.NewReader(got.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, html) || len(got.Gzip) >= len(html) {
		t.Errorf("gzip holds %d bytes that unpack to the page: %v", len(got.Gzip), bytes.Equal(plain, html))
	}
	if got.ETag == got.GzipETag || !strings.HasPrefix(got.ETag, `"`) || strings.HasPrefix(got.ETag, "W/") {
		t.Errorf("tags %s and %s: want two strong, different tags", got.ETag, got.GzipETag)
	}
}

func TestSamePageSameTag(t *testing.T) {
	s, _ := newStore(1 << 20)
	_, r := s.Get("/", nil)
	a := r.Keep("text/html", html)
	s.Invalidate()
	_, r = s.Get("/", nil)
	b := r.Keep("text/html", html)
	if a.ETag != b.ETag {
		t.Errorf("the same bytes rendered again got tag %s, then %s: browsers would download them again", a.ETag, b.ETag)
	}
	_, r = s.Get("/", nil)
	if r != nil {
		t.Fatal("page not kept")
	}
	s.Invalidate()
	_, r = s.Get("/", nil)
	c := r.Keep("text/html", append([]byte("changed"), html...))
	if c.ETag == a.ETag {
		t.Error("a changed page kept its tag")
	}
}

func TestMatches(t *testing.T) {
	s, _ := newStore(1 << 20)
	_, r := s.Get("/", nil)
	p := r.Keep("text/html", html)
	for h, want := range map[string]bool{
		p.ETag:                         true,
		p.GzipETag:                     true,
		"W/" + p.ETag:                  true,
		`"other", ` + p.GzipETag:       true,
		"*":                            true,
		`"other"`:                      false,
		"":                             false,
		strings.Trim(p.ETag, `"`):      false,
		`"unterminated, ` + p.ETag[1:]: false,
	} {
		if got := p.Matches(h); got != want {
			t.Errorf("Matches(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestInvalidateDuringRenderKeepsNothing(t *testing.T) {
	s, _ := newStore(1 << 20)
	_, r := s.Get("/", nil)
	s.Invalidate() // a comment committed while the page was rendered
	if p := r.Keep("text/html", html); p == nil || p.ETag == "" {
		t.Fatal("the render's own request must still get its page")
	}
	if p, r := s.Get("/", nil); p != nil || r == nil {
		t.Fatalf("after the change got page %v: a page rendered before it was kept", p)
	}
}

func TestPagesGoStaleAfterTTL(t *testing.T) {
	s, c := newStore(1 << 20)
	_, r := s.Get("/", nil)
	r.Keep("text/html", html)
	c.add(59 * time.Second)
	if p, _ := s.Get("/", nil); p == nil {
		t.Fatal("page gone before its time")
	}
	c.add(time.Second)
	if p, r := s.Get("/", nil); p != nil || r == nil {
		t.Fatal("page served past its time to live")
	}
}

// The concurrent tests run in a synctest bubble: synctest.Wait returns
// once the other requests are blocked waiting for the render.

func TestOneRenderForConcurrentMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newStore(1 << 20)
		_, r := s.Get("/", nil)
		got := make(chan *Page, 3)
		for range 3 {
			go func() { p, _ := s.Get("/", nil); got <- p }()
		}
		synctest.Wait()
		kept := r.Keep("text/html", html)
		for range 3 {
			if p := <-got; p != kept {
				t.Errorf("a waiting request got %p, want the one render %p", p, kept)
			}
		}
	})
}

func TestDroppedRenderLetsWaitersRenderAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newStore(1 << 20)
		_, r := s.Get("/", nil)
		type res struct {
			p *Page
			r *Render
		}
		got := make(chan res, 1)
		go func() { p, r := s.Get("/", nil); got <- res{p, r} }()
		synctest.Wait()
		r.Drop()
		if g := <-got; g.p != nil || g.r != nil {
			t.Fatalf("waiter got %v, %v; want neither (render alone)", g.p, g.r)
		}
		if _, r := s.Get("/", nil); r == nil {
			t.Error("after a drop the next request should claim the render")
		}
	})
}

func TestWaiterStops(t *testing.T) {
	s, _ := newStore(1 << 20)
	_, r := s.Get("/", nil)
	defer r.Drop()
	stop := make(chan struct{})
	close(stop)
	if p, r := s.Get("/", stop); p != nil || r != nil {
		t.Error("a request whose client left should stop waiting")
	}
}

func TestStoreStaysWithinItsBytes(t *testing.T) {
	const max = 64 << 10
	s, _ := newStore(max)
	body := []byte(strings.Repeat("x", 4000)) // compresses to almost nothing
	for i := range 100 {
		_, r := s.Get("/p"+strings.Repeat("x", i), nil)
		r.Keep("text/html", body)
		if s.bytes > max {
			t.Fatalf("after %d pages the store holds %d bytes, over %d", i+1, s.bytes, max)
		}
	}
	if n := s.Len(); n < 5 {
		t.Errorf("only %d pages kept", n)
	}
	_, r := s.Get("/huge", nil)
	r.Keep("text/html", bytes.Repeat([]byte{0}, max)) // larger than an eighth: served, not kept
	if p, _ := s.Get("/huge", nil); p != nil {
		t.Error("a page of the store's whole size was kept")
	}
}

func TestPageReadBeforeAChangeIsNotKept(t *testing.T) {
	s, _ := newStore(1 << 20)
	v := s.Version() // the article is read now…
	s.Invalidate()   // …a change lands…
	_, r := s.Get("/blog/a", nil)
	r.Since(v) // …and the render, claimed after it, uses what was read before
	r.Keep("text/html", html)
	if p, _ := s.Get("/blog/a", nil); p != nil {
		t.Error("a page drawn from content read before a change was kept")
	}
}
