package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/pagecache"
)

// Public pages are rendered once per content version for every visitor
// without a session and kept in memory (h.pages), compressed once, with a
// strong ETag: a browser that has the page gets 304. Whoever has a session
// (a commenter, a client holding a time, the therapist) or has liked the
// article gets a page rendered for them alone, never kept.
//
// The pages are dropped (contentChanged) when this instance changes
// content, when any instance announces a change on db.ContentChannel or a
// comment event, and when the content version read every few seconds has
// moved on (a notification lost while the listener reconnected).

const (
	// sharedTTL is the longest a kept page is served: what changes with
	// the clock rather than with an edit (the view count an article shows,
	// the year in the footer) is at most this late. An article scheduled to
	// go live is seen by checkContent within seconds.
	sharedTTL = time.Minute
	// sharedBytes bounds the memory the kept pages take (a page with 50
	// comments is about 40 KB plain and 9 KB compressed).
	sharedBytes = 16 << 20
	// personalKey marks a request whose page must not be shared.
	personalKey = "personal-page"
	// visitedKey holds what articleVisit found (visited).
	visitedKey = "visited-article"
	// readSinceKey holds the pages' version from before articleVisit read
	// the article: a page drawn from an article read before a change is
	// served to its request but not kept.
	readSinceKey = "read-since"
)

// visited is the article a GET of its page found, or why not.
type visited struct {
	a   *article
	err error
}

// contentChanged makes every page on this instance show a change to
// articles, services or the practice's details: the next request reads
// them again and renders afresh.
func (h *Handler) contentChanged() {
	h.facts.drop()
	h.commentsChanged()
}

// commentsChanged makes the articles show a change to their comments.
func (h *Handler) commentsChanged() {
	h.articles.invalidate()
	h.pages.Invalidate()
}

// contentSignal is a change announced on db.ContentChannel by any
// instance, this one included.
func (h *Handler) contentSignal(payload string) {
	if v, err := strconv.ParseInt(payload, 10, 64); err == nil {
		h.contentVersion.Store(v)
	}
	h.contentChanged()
}

// checkContent reads the content version and drops the pages if it moved
// on unannounced, or if a scheduled article's time came since the last
// check. The hub calls it every few seconds.
func (h *Handler) checkContent(ctx context.Context) {
	h.liveMu.Lock()
	v, live, now, err := db.ContentState(ctx, h.db, h.liveSince)
	if err == nil {
		h.liveSince = now
	}
	h.liveMu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("checking the content version failed; pages are kept as they are", slog.Any("err", err))
		}
		return
	}
	if h.contentVersion.Swap(v) != v || live {
		h.contentChanged()
	}
}

// sharePage serves a public page from h.pages to a visitor without a
// session, rendering it (with the rest of the chain) when it is not kept.
// params are the query parameters that select what the page shows; a
// request with any other (except campaign tags) is rendered for itself.
func (h *Handler) sharePage(params ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key, ok := h.shareKey(c, params)
			if !ok || c.Get(personalKey) == true {
				return next(c)
			}
			if c.Request().Method == http.MethodHead {
				if p := h.pages.Peek(key); p != nil {
					return servePage(c, p)
				}
				return next(c)
			}
			p, r := h.pages.Get(key, c.Request().Context().Done())
			if p != nil {
				return servePage(c, p)
			}
			if v, ok := c.Get(readSinceKey).(uint64); ok && r != nil {
				r.Since(v)
			}
			p, err := h.renderShared(c, next, r)
			if p == nil {
				return err
			}
			return servePage(c, p)
		}
	}
}

// renderShared runs the rest of the chain into a buffer, uncompressed. A
// page fit for everyone (200, no cookie set) is kept through r (when this
// request claimed the render) and returned to be served; anything else is
// written as it was rendered and nil is returned.
func (h *Handler) renderShared(c echo.Context, next echo.HandlerFunc, r *pagecache.Render) (*pagecache.Page, error) {
	req, res := c.Request(), c.Response()
	cookies := len(res.Header().Values("Set-Cookie"))
	rec := &recorder{header: res.Header().Clone()}
	enc := req.Header.Values("Accept-Encoding")
	req.Header.Del("Accept-Encoding") // the page is kept plain and compressed once
	w := res.Writer
	res.Writer = rec
	err := next(c)
	res.Writer = w
	if enc != nil {
		req.Header["Accept-Encoding"] = enc
	}
	committed := res.Committed
	res.Committed, res.Size, res.Status = false, 0, http.StatusOK

	if err == nil && rec.status == http.StatusOK && c.Get(personalKey) != true &&
		len(rec.header.Values("Set-Cookie")) == cookies {
		ctype := rec.header.Get(echo.HeaderContentType)
		if r != nil {
			return r.Keep(ctype, bytes.Clone(rec.body.Bytes())), nil
		}
		return pagecache.NewPage(ctype, rec.body.Bytes(), h.now()), nil
	}
	if r != nil {
		r.Drop()
	}
	if !committed {
		return nil, err
	}
	hd := res.Header()
	clear(hd)
	for k, v := range rec.header {
		hd[k] = v
	}
	res.WriteHeader(rec.status)
	if _, werr := res.Write(rec.body.Bytes()); werr != nil && err == nil {
		err = werr
	}
	return nil, err
}

// servePage answers with a kept page: 304 when the browser has it,
// otherwise the gzip copy to whoever accepts it.
func servePage(c echo.Context, p *pagecache.Page) error {
	req, res := c.Request(), c.Response()
	hd := res.Header()
	hd.Set(echo.HeaderContentType, p.ContentType)
	// Kept by the browser and asked again each time: the answer is a 304
	// unless the page changed. An answer that sets this reader's seen
	// cookie is theirs alone for any cache between.
	if len(hd.Values("Set-Cookie")) > 0 {
		hd.Set("Cache-Control", "private, no-cache")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	hd.Set(echo.HeaderVary, "Accept-Encoding, HX-Request, Cookie")
	body, etag := p.Plain, p.ETag
	gz := p.Gzip != nil && acceptsGzip(req.Header.Get(echo.HeaderAcceptEncoding))
	if gz {
		body, etag = p.Gzip, p.GzipETag
	}
	hd.Set("ETag", etag)
	if p.Matches(req.Header.Get("If-None-Match")) {
		return c.NoContent(http.StatusNotModified)
	}
	if gz {
		hd.Set(echo.HeaderContentEncoding, "gzip")
	}
	hd.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	res.WriteHeader(http.StatusOK)
	if req.Method == http.MethodHead {
		return nil
	}
	_, err := res.Write(body)
	return err
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip: by
// name, or else by "*", without q=0.
func acceptsGzip(h string) bool {
	star := false
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		ok := true
		if _, q, found := strings.Cut(strings.ReplaceAll(strings.ToLower(params), " ", ""), "q="); found {
			w, err := strconv.ParseFloat(q, 64)
			ok = err == nil && w > 0
		}
		if name == "gzip" {
			return ok
		}
		star = ok
	}
	return star
}

// campaignParams are added to links by newsletters and social sites and
// change nothing on a page.
var campaignParams = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid", "mc_cid", "mc_eid"}

// shareParams are what a kept page's query values may be: a page number
// or a tag as the site's own links write them, so that the pages kept are
// the site's pages, not whatever anyone types (which is rendered alone).
var shareParams = map[string]*regexp.Regexp{
	"page": regexp.MustCompile(`^[1-9][0-9]{0,3}$`),
	"tag":  regexp.MustCompile(`^[a-z0-9]+([ -][a-z0-9]+)*$`), // "lower back pain"; a tag no article has is a 404, never kept
}

// shareKey returns the key of the page a request asks for, and whether it
// may get the shared page: a GET or HEAD of the whole page, without a
// session cookie, and with only params (one value each) in its query.
func (h *Handler) shareKey(c echo.Context, params []string) (string, bool) {
	req := c.Request()
	if req.Method != http.MethodGet && req.Method != http.MethodHead || isFragment(c) {
		return "", false
	}
	if _, err := req.Cookie(h.sessions.Cookie.Name); err == nil {
		return "", false
	}
	key := req.URL.Path
	if req.URL.RawQuery == "" {
		return key, true
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return "", false
	}
	kept := url.Values{}
	for name, vs := range q {
		switch {
		case slices.Contains(campaignParams, name):
		case slices.Contains(params, name) && len(vs) == 1 && len(vs[0]) <= 60 && shareParams[name].MatchString(vs[0]):
			kept[name] = vs
		default:
			return "", false
		}
	}
	if len(kept) > 0 {
		key += "?" + kept.Encode()
	}
	return key, true
}

// recorder keeps a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// articleVisit counts a view of the article (once per browser session, see
// seen.go) whether the page comes from h.pages or not, and renders the
// page for this browser alone when it has liked the article (the button
// shows it).
func (h *Handler) articleVisit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(readSinceKey, h.pages.Version())
		a, err := h.findArticle(c)
		c.Set(visitedKey, visited{a, err}) // for findArticle: one read, also of an unknown slug
		if err != nil || a.moved {
			return next(c) // the handler answers (404, a redirect, the error page)
		}
		if c.Request().Method == http.MethodGet && !isCrawler(c.Request()) && h.markSeen(c, a.post.ID) {
			h.viewCount.add(a.post.ID)
			a.views.Add(1)
		}
		if h.hasLiked(c, a.post.ID) {
			c.Set(personalKey, true)
		}
		// Comments this browser found helpful show pressed (comment_helpful.go).
		if voted, err := h.votedOn(c, a); err != nil {
			return err
		} else if len(voted) > 0 {
			c.Set(personalKey, true)
		}
		return next(c)
	}
}
