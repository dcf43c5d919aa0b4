package handlers

import (
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// Atom (RFC 4287) feed of the public articles, full content.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	Title      string         `xml:"title"`
	ID         string         `xml:"id"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Author     *atomPerson    `xml:"author,omitempty"` // nil: the feed's author
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    atomText       `xml:"content"`
}

// feed is the Atom feed at /feed.xml.
func (h *Handler) feed(c echo.Context) error {
	ctx := c.Request().Context()
	posts, err := db.AllPublicPosts(ctx, h.db)
	if err != nil {
		return err
	}
	b, err := h.business(c)
	if err != nil {
		return err
	}
	site := h.cfg.BaseURL.String()
	f := atomFeed{
		Title:  b.Name + " — articles",
		ID:     site + "/blog",
		Author: atomPerson{Name: b.Name, URI: site + "/"},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: site + "/feed.xml"},
			{Rel: "alternate", Type: "text/html", Href: site + "/blog"},
		},
	}
	var newest time.Time
	for _, p := range posts {
		if p.Modified().After(newest) {
			newest = p.Modified()
		}
		link := site + "/blog/" + p.Slug
		e := atomEntry{
			Title:     p.Title,
			ID:        entryID(h.cfg.BaseURL.Hostname(), p),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: link}},
			Published: p.Published().UTC().Format(time.RFC3339),
			Updated:   p.Modified().UTC().Format(time.RFC3339),
			Content:   atomText{Type: "html", Body: coverHTML(h.coverImage(p)) + absoluteLinks(p.BodyHTML, site)},
		}
		if p.Author != "" {
			e.Author = &atomPerson{Name: byline(p.Author, b)}
		}
		if p.Summary != "" {
			e.Summary = &atomText{Type: "text", Body: p.Summary}
		}
		for _, t := range p.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t})
		}
		f.Entries = append(f.Entries, e)
	}
	if newest.IsZero() {
		newest = b.UpdatedAt
	}
	f.Updated = newest.UTC().Format(time.RFC3339)
	return h.writeXML(c, "application/atom+xml; charset=utf-8", f)
}

// coverHTML is an article's cover as the first thing of its feed entry,
// where feed readers look for the picture to show beside it ("" without).
func coverHTML(img *views.Image) string {
	if img == nil {
		return ""
	}
	return fmt.Sprintf(`<p><img src="%s" alt="%s" width="%d" height="%d"></p>`,
		html.EscapeString(img.URL), html.EscapeString(img.Alt), img.Width, img.Height)
}

// entryID is an article's Atom id: a tag URI (RFC 4151) made of what never
// changes, so that renaming an article does not make feed readers show it
// again as a new one.
func entryID(host string, p db.Post) string {
	return fmt.Sprintf("tag:%s,%s:post-%d", host, p.CreatedAt.UTC().Format(time.DateOnly), p.ID)
}

// siteRelative matches the links and pictures of a rendered article that
// start at the site's root ("/media/…", "/services"), not "//host/…".
var siteRelative = regexp.MustCompile(`(\s(?:href|src)=")/([^/"])`)

// absoluteLinks makes an article's site-relative addresses absolute: a feed
// reader shows the article away from the site and resolves them against
// its own idea of the base, if at all.
func absoluteLinks(html, site string) string {
	return siteRelative.ReplaceAllString(html, "${1}"+site+"/${2}")
}

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemap lists every public page and article at /sitemap.xml.
func (h *Handler) sitemap(c echo.Context) error {
	posts, err := db.AllPublicPosts(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	b, err := h.business(c)
	if err != nil {
		return err
	}
	site := h.cfg.BaseURL.String()
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	}
	var newest time.Time
	for _, p := range posts {
		if p.Modified().After(newest) {
			newest = p.Modified()
		}
	}
	set := sitemapURLSet{}
	for _, path := range []string{"/", "/services", "/about", "/contact", "/book", "/privacy"} {
		set.URLs = append(set.URLs, sitemapURL{Loc: site + path, LastMod: day(b.UpdatedAt)})
	}
	set.URLs = append(set.URLs, sitemapURL{Loc: site + "/blog", LastMod: day(newest)})
	for _, p := range posts {
		set.URLs = append(set.URLs, sitemapURL{Loc: site + "/blog/" + p.Slug, LastMod: day(p.Modified())})
	}
	return h.writeXML(c, "application/xml; charset=utf-8", set)
}

// robots points crawlers at the sitemap and away from the admin area.
func (h *Handler) robots(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.String(http.StatusOK, "User-agent: *\nDisallow: /admin\nDisallow: /bookings/\n\nSitemap: "+
		h.cfg.BaseURL.String()+"/sitemap.xml\n")
}

func (h *Handler) writeXML(c echo.Context, contentType string, v any) error {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, contentType, append([]byte(xml.Header), out...))
}
