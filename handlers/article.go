package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// relatedCount is how many related articles an article page suggests.
const relatedCount = 3

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// articleData is what an article page shows.
type articleData struct {
	Post     db.Post
	Body     template.HTML // rendered from the therapist's Markdown when saved
	Like     likeData
	Share    []shareLink
	Related  []db.Post
	Comments commentsData
}

// likeData is the like button's state (likes.go).
type likeData struct {
	Slug   string
	Count  int
	Liked  bool
	Notice string // why the like was not counted (too many from the address)
}

type shareLink struct{ Name, URL string }

// findArticle returns the public article for the :slug parameter, from the
// article cache. Unknown slugs are 404; a former slug gives the article with
// moved set.
func (h *Handler) findArticle(c echo.Context) (*article, error) {
	if v, ok := c.Get(visitedKey).(visited); ok {
		return v.a, v.err
	}
	slug := c.Param("slug")
	if len(slug) > 200 || !slugPattern.MatchString(slug) {
		return nil, echo.ErrNotFound
	}
	a, err := h.articles.get(c.Request().Context(), slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, echo.ErrNotFound
	}
	return a, err
}

// loadArticle reads an article and its related articles for the cache.
func (h *Handler) loadArticle(ctx context.Context, slug string) (*article, error) {
	p, err := db.PostBySlug(ctx, h.db, slug)
	a := &article{post: p, moved: errors.Is(err, db.ErrMoved)}
	if err != nil && !a.moved {
		return nil, err
	}
	if !a.moved {
		if a.related, err = db.RelatedPosts(ctx, h.db, p, relatedCount); err != nil {
			return nil, err
		}
		// The event first: a comment saved in between is then both on the
		// page and replayed by the stream, and the page keeps it once.
		if a.lastEvent, err = db.LastCommentEvent(ctx, h.db); err != nil {
			return nil, err
		}
		if a.comments, a.earlier, err = db.CommentThreads(ctx, h.db, p.ID, 0, commentPage); err != nil {
			return nil, err
		}
		if a.count, err = db.CommentCount(ctx, h.db, p.ID); err != nil {
			return nil, err
		}
	}
	a.share = shareLinks(h.cfg.BaseURL.String()+"/blog/"+p.Slug, p.Title)
	a.views.Store(int64(p.Views))
	a.likes.Store(int64(p.Likes))
	return a, nil
}

// showArticle is one article with its like button, share links, comments,
// related articles and the call to book. A view is counted once per browser
// session (see seen.go). ?before= shows an older page of comments: with
// htmx only those comments ("Earlier comments" inserts them in place).
func (h *Handler) showArticle(c echo.Context) error {
	want := commentsWant{before: queryID(c, "before"), thread: queryID(c, "reply"),
		to: queryID(c, "to"), posted: queryID(c, "posted")}
	if c.QueryParam("sort") == helpfulSort { // rendered per request: sharePage keeps no such page
		want = commentsWant{helpful: true, from: int(queryID(c, "from"))}
	}
	// "Earlier comments" and, in the Most helpful order, "More comments"
	// put the threads they bring in place of their link.
	if (want.before > 0 || want.from > 0) && isFragment(c) {
		a, err := h.findArticle(c)
		if err != nil {
			return err
		}
		if a.moved {
			return articleMoved(c, a)
		}
		d, err := h.commentsFor(c, a, want)
		if err != nil {
			return err
		}
		return h.renderFragment(c, http.StatusOK, "article#comment-page", d)
	}
	return h.renderArticle(c, http.StatusOK, want, nil)
}

// queryID reads an id from the query; 0 if there is none.
func queryID(c echo.Context, name string) int64 {
	id, err := strconv.ParseInt(c.QueryParam(name), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// renderArticle renders the article page with the comments want asks for;
// edit, if not nil, changes its comment section (a form with errors in
// place).
func (h *Handler) renderArticle(c echo.Context, status int, want commentsWant, edit func(*commentsData)) error {
	a, err := h.findArticle(c)
	if err != nil {
		return err
	}
	if a.moved {
		return articleMoved(c, a) // with its query: a shared ?sort= or ?posted= link still lands
	}
	p := a.post // its view was counted by articleVisit
	p.Views, p.Likes = int(a.views.Load()), int(a.likes.Load())
	page, err := h.page(c, p.Title, description(p), nil)
	if err != nil {
		return err
	}
	comments, err := h.commentsFor(c, a, want)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(&comments)
	} else if comments.shared {
		if comments.Rendered, err = a.sharedThreads(func() (template.HTML, error) {
			var buf bytes.Buffer
			err := h.views.Render(&buf, "article#comment-threads", comments.Threads)
			return template.HTML(buf.String()), err
		}); err != nil {
			return err
		}
	}
	page.OGType = "article"
	ld := blogPosting(p, page.Description, comments.Count, page.Business, page.Canonical, h.cfg.BaseURL.String())
	if page.Image = h.coverImage(p); page.Image != nil {
		ld["image"] = page.Image.URL
	}
	if cl := commentsLD(comments.Threads, page.Canonical); cl != nil {
		ld["comment"] = cl
	}
	page.JSONLD = ld
	p.Author = byline(p.Author, page.Business)
	page.Scripts = []string{"vendor/htmx-ext-sse.min.js"}
	page.Data = articleData{
		Post:     p,
		Body:     template.HTML(p.BodyHTML),
		Like:     likeData{Slug: p.Slug, Count: p.Likes, Liked: h.hasLiked(c, p.ID)},
		Share:    a.share,
		Related:  a.related,
		Comments: comments,
	}
	return h.render(c, status, "article", "", page)
}

// descriptionLen is the longest meta description taken from an article's
// text, in characters (search engines show about 155).
const descriptionLen = 155

// description is what search engines and link previews show for an
// article: its summary, or, when it has none, its opening words.
func description(p db.Post) string {
	if p.Summary != "" {
		return p.Summary
	}
	text := []rune(p.BodyText)
	if len(text) <= descriptionLen {
		return string(text)
	}
	cut := descriptionLen
	for cut > 0 && !unicode.IsSpace(text[cut]) {
		cut--
	}
	if cut == 0 {
		cut = descriptionLen
	}
	return strings.TrimRightFunc(string(text[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	}) + "…"
}

// shareLinks are plain links to share an article: nothing loads from the
// other sites until the reader clicks one.
func shareLinks(pageURL, title string) []shareLink {
	u, t := url.QueryEscape(pageURL), url.QueryEscape(title)
	return []shareLink{
		{"Email", "mailto:?subject=" + url.PathEscape(title) + "&body=" + url.PathEscape(pageURL)},
		{"WhatsApp", "https://wa.me/?text=" + url.QueryEscape(title+" "+pageURL)},
		{"Facebook", "https://www.facebook.com/sharer/sharer.php?u=" + u},
		{"X", "https://x.com/intent/post?url=" + u + "&text=" + t},
		{"LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url=" + u},
	}
}
