package handlers

import (
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
	Post    db.Post
	Body    template.HTML // rendered from the therapist's Markdown when saved
	Like    likeData
	Share   []shareLink
	Related []db.Post
}

// likeData is the like button's state.
type likeData struct {
	Slug  string
	Count int
	Liked bool
	CSRF  string
}

type shareLink struct{ Name, URL string }

func viewedKey(id int64) string { return "viewed:" + strconv.FormatInt(id, 10) }
func likedKey(id int64) string  { return "liked:" + strconv.FormatInt(id, 10) }

// findPost loads the public post for the :slug parameter. A former slug
// answers with the post and moved=true; unknown slugs are 404.
func (h *Handler) findPost(c echo.Context) (p db.Post, moved bool, err error) {
	slug := c.Param("slug")
	if len(slug) > 200 || !slugPattern.MatchString(slug) {
		return p, false, echo.ErrNotFound
	}
	p, err = db.PostBySlug(c.Request().Context(), h.db, slug)
	switch {
	case errors.Is(err, db.ErrMoved):
		return p, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return p, false, echo.ErrNotFound
	}
	return p, false, err
}

// showArticle is one article with its like button, share links, related
// articles and the call to book. A view is counted once per session.
func (h *Handler) showArticle(c echo.Context) error {
	p, moved, err := h.findPost(c)
	if err != nil {
		return err
	}
	if moved {
		return c.Redirect(http.StatusMovedPermanently, "/blog/"+p.Slug)
	}
	ctx := c.Request().Context()
	if c.Request().Method == http.MethodGet && !h.sessions.GetBool(ctx, viewedKey(p.ID)) {
		if err := db.AddView(ctx, h.db, p.ID); err != nil {
			return err
		}
		h.sessions.Put(ctx, viewedKey(p.ID), true)
		p.Views++
	}
	related, err := db.RelatedPosts(ctx, h.db, p, relatedCount)
	if err != nil {
		return err
	}
	page, err := h.page(c, p.Title, description(p), nil)
	if err != nil {
		return err
	}
	page.OGType = "article"
	page.JSONLD = blogPosting(p, page.Description, page.Business, page.Canonical, h.cfg.BaseURL.String())
	page.Data = articleData{
		Post:    p,
		Body:    template.HTML(p.BodyHTML),
		Like:    likeData{Slug: p.Slug, Count: p.Likes, Liked: h.sessions.GetBool(ctx, likedKey(p.ID)), CSRF: page.CSRF},
		Share:   shareLinks(page.Canonical, p.Title),
		Related: related,
	}
	return h.render(c, http.StatusOK, "article", "", page)
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

// likeArticle counts one like per visitor session. htmx gets the updated
// button; a plain form post goes back to the article.
func (h *Handler) likeArticle(c echo.Context) error {
	p, _, err := h.findPost(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	likes := p.Likes
	if !h.sessions.GetBool(ctx, likedKey(p.ID)) {
		if likes, err = db.AddLike(ctx, h.db, p.ID); err != nil {
			return err
		}
		h.sessions.Put(ctx, likedKey(p.ID), true)
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/blog/"+p.Slug+"#like")
	}
	token, _ := c.Get(csrfKey).(string)
	return h.renderFragment(c, http.StatusOK, "article#like",
		likeData{Slug: p.Slug, Count: likes, Liked: true, CSRF: token})
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
