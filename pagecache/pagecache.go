// Package pagecache keeps public pages as they were rendered for visitors
// without a session, so that every such visitor is served the same bytes:
// rendered once per content version, compressed once, with a strong ETag
// that lets a browser revalidate them for nothing.
//
// A Store knows nothing of HTTP handlers or the database. Its version moves
// on (Invalidate) whenever anything a public page shows may have changed;
// a page rendered before that is never served again. Pages also go stale
// after a time to live, for what changes with the clock rather than with
// an edit (an article scheduled to go live, view counts).
package pagecache

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"time"
)

// Page is one rendered page in both encodings.
type Page struct {
	ContentType string
	Plain       []byte
	Gzip        []byte // nil when compressing does not make it smaller
	ETag        string // strong, quoted, of Plain
	GzipETag    string // strong, quoted, of Gzip

	version uint64
	made    time.Time
}

// size is what the page holds in memory.
func (p *Page) size() int { return len(p.Plain) + len(p.Gzip) + len(p.ContentType) + 64 }

// Matches reports whether an If-None-Match header names either encoding
// of the page (or is "*"). Both count: a browser keeps whichever it was
// sent, and either is the same page.
func (p *Page) Matches(ifNoneMatch string) bool {
	for _, tag := range splitTags(ifNoneMatch) {
		if tag == "*" || tag == p.ETag || (p.GzipETag != "" && tag == p.GzipETag) {
			return true
		}
	}
	return false
}

// splitTags returns the entity tags of an If-None-Match header. Weak
// ones (W/"…") compare by their opaque part, as RFC 9110 asks of
// If-None-Match.
func splitTags(h string) []string {
	var tags []string
	for len(h) > 0 {
		h = trimSpaceComma(h)
		if h == "" {
			break
		}
		if h[0] == '*' {
			tags = append(tags, "*")
			h = h[1:]
			continue
		}
		h = strings.TrimPrefix(h, "W/")
		if h == "" || h[0] != '"' {
			break // not an entity tag: the rest cannot be trusted
		}
		end := strings.IndexByte(h[1:], '"')
		if end < 0 {
			break
		}
		tags = append(tags, h[:end+2])
		h = h[end+2:]
	}
	return tags
}

func trimSpaceComma(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == ',') {
		s = s[1:]
	}
	return s
}

// Store holds pages by key (the path and the query that matters).
type Store struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu      sync.Mutex
	version uint64
	pages   map[string]*Page
	bytes   int
	renders map[string]chan struct{} // keys being rendered, closed when done
}

// New returns a store whose pages are served for at most ttl and which
// holds at most maxBytes; now is the clock.
func New(ttl time.Duration, maxBytes int, now func() time.Time) *Store {
	return &Store{ttl: ttl, maxBytes: maxBytes, now: now, version: 1,
		pages: map[string]*Page{}, renders: map[string]chan struct{}{}}
}

// Invalidate drops every page: the next request for each renders afresh.
// A render that started before it is not kept.
func (s *Store) Invalidate() {
	s.mu.Lock()
	s.version++
	clear(s.pages)
	s.bytes = 0
	s.mu.Unlock()
}

// Len is how many pages are kept.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pages)
}

// Version is the store's content version: read it before reading what a
// page is made of, and pass it to Render.Since.
func (s *Store) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Render is a claim on rendering one key, from Get.
type Render struct {
	s       *Store
	key     string
	version uint64
	done    chan struct{}
}

// Get returns the current page for key. Without one, it returns a Render
// when the caller is to render the page for everyone (it must then call
// Keep or Drop on it); when another request is already rendering key, Get
// waits for it (or for stop) and returns its page, or neither if that
// render kept nothing, in which case the caller renders for itself alone.
func (s *Store) Get(key string, stop <-chan struct{}) (*Page, *Render) {
	for waited := false; ; waited = true {
		s.mu.Lock()
		if p := s.pages[key]; p != nil {
			if s.now().Sub(p.made) < s.ttl {
				s.mu.Unlock()
				return p, nil
			}
			s.bytes -= p.size()
			delete(s.pages, key)
		}
		if waited {
			s.mu.Unlock()
			return nil, nil
		}
		done, busy := s.renders[key]
		if !busy {
			r := &Render{s: s, key: key, version: s.version, done: make(chan struct{})}
			s.renders[key] = r.done
			s.mu.Unlock()
			return nil, r
		}
		s.mu.Unlock()
		select {
		case <-done:
		case <-stop:
			return nil, nil
		}
	}
}

// Since says that what the page is made of was read from version v on (an
// article read before the render was claimed): if the content changed
// after v, the page is not kept.
func (r *Render) Since(v uint64) {
	r.version = min(r.version, v)
}

// Keep stores what was rendered and returns the page to serve. If the
// content changed while it was rendered, the page is served to this
// request but not kept.
func (r *Render) Keep(contentType string, body []byte) *Page {
	p := newPage(contentType, body, r.version, r.s.now())
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finish(r)
	if r.version != s.version || p.size() > s.maxBytes/8 {
		return p
	}
	if old := s.pages[r.key]; old != nil {
		s.bytes -= old.size()
	}
	for k, old := range s.pages { // evict any, until it fits
		if s.bytes+p.size() <= s.maxBytes {
			break
		}
		s.bytes -= old.size()
		delete(s.pages, k)
	}
	s.pages[r.key] = p
	s.bytes += p.size()
	return p
}

// Drop gives up the claim: what was rendered is not for everyone (an
// error page, a redirect, a page that set a cookie).
func (r *Render) Drop() {
	r.s.mu.Lock()
	r.s.finish(r)
	r.s.mu.Unlock()
}

func (s *Store) finish(r *Render) {
	if s.renders[r.key] == r.done {
		delete(s.renders, r.key)
		close(r.done)
	}
}

// gzipLevel is the best compression: a page is compressed once per
// version, not once per request.
const gzipLevel = gzip.BestCompression

// newPage makes a page of body, compressed and tagged.
func newPage(contentType string, body []byte, version uint64, made time.Time) *Page {
	p := &Page{ContentType: contentType, Plain: body, ETag: tag(body, ""), version: version, made: made}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzipLevel) // the level is valid
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body) {
		p.Gzip = buf.Bytes()
		p.GzipETag = tag(body, "-gz")
	}
	return p
}

// tag is a strong entity tag for body: 128 bits of its SHA-256. The gzip
// encoding gets its own tag (suffix), as a different representation.
func tag(body []byte, suffix string) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + suffix + `"`
}

// Peek returns the current page for key, or nil; it never claims a
// render (for HEAD requests, which render no body to keep).
func (s *Store) Peek(key string) *Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pages[key]; p != nil && s.now().Sub(p.made) < s.ttl {
		return p
	}
	return nil
}

// NewPage returns a page of body for one request, kept nowhere: what a
// request that rendered alone serves, with the same headers and tags as a
// kept one.
func NewPage(contentType string, body []byte, now time.Time) *Page {
	return newPage(contentType, body, 0, now)
}
