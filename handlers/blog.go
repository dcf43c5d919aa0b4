package handlers

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// postsPerPage is how many articles one page of the list shows.
const postsPerPage = 10

// maxQueryLen bounds a search query, in characters.
const maxQueryLen = 200

// blogData is the article list page.
type blogData struct {
	Tags []db.TagCount
	List postList
	// For search as you type: the page's whole title, and OOB to send the
	// heading and topics out of band.
	Title string
	OOB   bool
}

// postList is one page of articles or search results; its blocks are what
// the search box and "More articles" swap in.
type postList struct {
	Cards   []postCard
	Query   string
	Tag     string
	NextURL string // the next page, or "" on the last one
}

type postCard struct {
	Post    db.Post
	Snippet template.HTML // search results only: text around the matches, marked
}

// showBlog lists articles (newest first), filtered by ?tag=, or searches
// them with ?q=. htmx gets just the list (search as you type) or just the
// next page of cards ("More articles").
func (h *Handler) showBlog(c echo.Context) error {
	query := cleanQuery(c.QueryParam("q"))
	tag := strings.ToLower(strings.TrimSpace(c.QueryParam("tag")))
	page := pageNumber(c.QueryParam("page"))

	list, err := h.postList(c, query, tag, page)
	if err != nil {
		return err
	}
	if isFragment(c) && c.Request().Header.Get("HX-Target") == "more" {
		return h.renderFragment(c, http.StatusOK, "blog#post-items", list)
	}

	tags, err := h.facts.tags.Get(c.Request().Context())
	if err != nil {
		return err
	}
	title := blogTitle(query, tag)
	if isFragment(c) && c.Request().Header.Get("HX-Target") == "post-list" {
		b, err := h.business(c)
		if err != nil {
			return err
		}
		return h.renderFragment(c, http.StatusOK, "blog#search-results",
			blogData{Tags: tags, List: list, Title: title + " · " + b.Name, OOB: true})
	}
	// A tag no public article has, or a page past the last, is not a page
	// of this site: 404 (with the search box), not an empty list that
	// search engines would index under any words in its address.
	if len(list.Cards) == 0 && query == "" && (page > 1 || (tag != "" && !hasTag(tags, tag))) {
		return echo.ErrNotFound
	}
	desc := "Articles on sports massage, pain and recovery from Dynamic Motion Sports Therapy in St Ives."
	p, err := h.page(c, title, desc, blogData{Tags: tags, List: list})
	if err != nil {
		return err
	}
	p.Canonical = h.cfg.BaseURL.String() + blogURL("", tag, page)
	p.NoIndex = query != ""
	return h.render(c, http.StatusOK, "blog", "", p)
}

func (h *Handler) postList(c echo.Context, query, tag string, page int) (postList, error) {
	ctx := c.Request().Context()
	list := postList{Query: query, Tag: tag}
	more := false
	if query != "" {
		res, err := db.SearchPosts(ctx, h.db, query, page, postsPerPage)
		if err != nil {
			return list, err
		}
		for _, hit := range res.Hits {
			list.Cards = append(list.Cards, postCard{Post: hit.Post, Snippet: markSnippet(hit.Snippet)})
		}
		more = res.More
	} else {
		var res db.PostPage
		var err error
		if tag == "" && page == 1 {
			res, err = h.facts.blog.Get(ctx) // the page most readers open
		} else {
			res, err = db.ListPosts(ctx, h.db, tag, page, postsPerPage)
		}
		if err != nil {
			return list, err
		}
		for _, p := range res.Posts {
			list.Cards = append(list.Cards, postCard{Post: p})
		}
		more = res.More
	}
	if more {
		list.NextURL = blogURL(query, tag, page+1)
	}
	return list, nil
}

// blogTitle is the list's page title.
func blogTitle(query, tag string) string {
	switch {
	case query != "":
		return "Search: " + query
	case tag != "":
		return "Articles tagged " + tag
	}
	return "Articles"
}

// hasTag reports whether tag is one of the public articles' tags.
func hasTag(tags []db.TagCount, tag string) bool {
	for _, t := range tags {
		if t.Tag == tag {
			return true
		}
	}
	return false
}

// blogURL is the list's address for a query, tag and page.
func blogURL(query, tag string, page int) string {
	v := url.Values{}
	if query != "" {
		v.Set("q", query)
	}
	if tag != "" {
		v.Set("tag", tag)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/blog"
	}
	return "/blog?" + v.Encode()
}

// markSnippet escapes a search snippet and marks the matched words.
func markSnippet(s string) template.HTML {
	s = html.EscapeString(s)
	s = strings.ReplaceAll(s, db.SnippetStart, "<mark>")
	s = strings.ReplaceAll(s, db.SnippetEnd, "</mark>")
	return template.HTML(s)
}

// cleanQuery trims a search query and caps its length; invalid UTF-8 and
// the snippet markers are dropped, and control and format characters
// (bidi controls, which could make the page's title and heading read
// backwards) become spaces. What it keeps is shown as typed; db.SearchPosts
// makes its own safe tsquery from it (operators and all).
func cleanQuery(q string) string {
	if len(q) > 4*maxQueryLen*utf8.UTFMax { // more than can be kept: no work on the rest
		q = q[:4*maxQueryLen*utf8.UTFMax]
	}
	q = strings.ToValidUTF8(q, "")
	q = strings.NewReplacer(db.SnippetStart, "", db.SnippetEnd, "").Replace(q)
	q = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, q)
	q = strings.Join(strings.Fields(q), " ")
	if utf8.RuneCountInString(q) > maxQueryLen {
		q = string([]rune(q)[:maxQueryLen])
	}
	return q
}

// pageNumber reads ?page=; anything that is not a sensible page number is
// page 1.
func pageNumber(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 10000 {
		return 1
	}
	return n
}
