package handlers

import (
	"context"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"dynamicmotion/config"
	"dynamicmotion/db"
)

// The Atom (RFC 4287) and sitemap (sitemaps.org) documents as a reader or a
// crawler sees them, declared here rather than taken from feeds.go so that
// the tests check the documents, not the code that wrote them.

type atom struct {
	XMLName xml.Name     `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string       `xml:"http://www.w3.org/2005/Atom id"`
	Title   string       `xml:"http://www.w3.org/2005/Atom title"`
	Updated string       `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []atomLinkT  `xml:"http://www.w3.org/2005/Atom link"`
	Authors []atomNameT  `xml:"http://www.w3.org/2005/Atom author"`
	Entries []atomEntryT `xml:"http://www.w3.org/2005/Atom entry"`
}

type atomLinkT struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

type atomNameT struct {
	Name string `xml:"http://www.w3.org/2005/Atom name"`
}

type atomEntryT struct {
	ID        string      `xml:"http://www.w3.org/2005/Atom id"`
	Title     string      `xml:"http://www.w3.org/2005/Atom title"`
	Updated   string      `xml:"http://www.w3.org/2005/Atom updated"`
	Published string      `xml:"http://www.w3.org/2005/Atom published"`
	Links     []atomLinkT `xml:"http://www.w3.org/2005/Atom link"`
	Authors   []atomNameT `xml:"http://www.w3.org/2005/Atom author"`
	Content   struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	} `xml:"http://www.w3.org/2005/Atom content"`
}

func (e atomEntryT) link(rel string) string {
	for _, l := range e.Links {
		if l.Rel == rel || (rel == "alternate" && l.Rel == "") {
			return l.Href
		}
	}
	return ""
}

func getFeed(t *testing.T, s *testServer) atom {
	t.Helper()
	res := s.get(t, "/feed.xml")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("Content-Type = %q, want application/atom+xml", ct)
	}
	var f atom
	if err := xml.Unmarshal([]byte(res.body), &f); err != nil {
		t.Fatalf("feed is not Atom XML: %v\n%.1000s", err, res.body)
	}
	return f
}

func rfc3339(t *testing.T, what, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s = %q, not an RFC 3339 date-time", what, s)
	}
	return v
}

// publicSlugs are the slugs of every public post, as the database says.
func publicSlugs(t *testing.T) map[string]db.Post {
	t.Helper()
	posts, err := db.AllPublicPosts(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]db.Post{}
	for _, p := range posts {
		m[p.Slug] = p
	}
	return m
}

// The Atom feed has one entry per public article, with its full content;
// drafts and articles scheduled for later are not in it.
func TestAtomFeed(t *testing.T) {
	s := newTestServer(t, nil)
	published := time.Date(2023, 5, 2, 11, 0, 0, 0, time.UTC)
	updated := published.AddDate(0, 0, 3)
	article := savePost(t, db.Post{
		Title: "Cramp: causes & cures", Author: "Alex Example", Tags: []string{"cramp"},
		PublishedAt: &published, UpdatedAt: updated,
		BodyMD: "## What cramp is\n\nA muscle that will not let go.\n\n## What helps\n\nStretch it <b>gently</b>, then drink, or book [a session](/book).\n\nThe last paragraph.",
	})
	noAuthor := savePost(t, db.Post{})
	draft := savePost(t, db.Post{Status: db.StatusDraft, PublishedAt: ptr(published)})
	pastScheduled := savePost(t, db.Post{Status: db.StatusScheduled, PublishedAt: ptr(time.Now().Add(-time.Minute).Truncate(time.Second))})
	futureScheduled := savePost(t, db.Post{Status: db.StatusScheduled, PublishedAt: ptr(time.Now().AddDate(0, 0, 7))})

	f := getFeed(t, s)
	if f.ID != httpBase+"/blog" {
		t.Errorf("feed id = %q, want %q", f.ID, httpBase+"/blog")
	}
	if !strings.Contains(f.Title, practiceName) {
		t.Errorf("feed title = %q, want the practice's name in it", f.Title)
	}
	if len(f.Authors) != 1 || f.Authors[0].Name != practiceName {
		t.Errorf("feed authors = %+v, want %s", f.Authors, practiceName)
	}
	var self []string
	for _, l := range f.Links {
		if l.Rel == "self" {
			self = append(self, l.Href)
		}
	}
	if diff := cmp.Diff([]string{httpBase + "/feed.xml"}, self); diff != "" {
		t.Errorf("self link (-want +got):\n%s", diff)
	}

	public := publicSlugs(t)
	entries := map[string]atomEntryT{}
	var newest time.Time
	for _, e := range f.Entries {
		link := e.link("alternate")
		slug, ok := strings.CutPrefix(link, httpBase+"/blog/")
		if !ok {
			t.Errorf("entry %q links to %q, want an article on %s", e.Title, link, httpBase)
			continue
		}
		if _, dup := entries[slug]; dup {
			t.Errorf("two entries for %s", slug)
		}
		entries[slug] = e
		if e.ID == "" || e.Title == "" || e.Content.Type != "html" || e.Content.Body == "" {
			t.Errorf("entry %s: id %q, title %q, content type %q (%d bytes): want all, content type html",
				slug, e.ID, e.Title, e.Content.Type, len(e.Content.Body))
		}
		if len(e.Authors) > 0 && e.Authors[0].Name == "" {
			t.Errorf("entry %s has an author without a name", slug)
		}
		pub, upd := rfc3339(t, slug+" published", e.Published), rfc3339(t, slug+" updated", e.Updated)
		if upd.Before(pub) {
			t.Errorf("entry %s updated %s before it was published %s", slug, e.Updated, e.Published)
		}
		if upd.After(newest) {
			newest = upd
		}
		if _, ok := public[slug]; !ok {
			t.Errorf("entry %s is not a public article", slug)
		}
	}
	if len(entries) != len(public) {
		t.Errorf("%d entries, want one for each of the %d public articles", len(entries), len(public))
	}
	if got := rfc3339(t, "feed updated", f.Updated); !got.Equal(newest) {
		t.Errorf("feed updated = %s, want the newest entry's %s", f.Updated, newest.Format(time.RFC3339))
	}

	for _, p := range []db.Post{draft, futureScheduled} {
		if _, ok := entries[p.Slug]; ok {
			t.Errorf("%s (%s, published %v) is in the feed", p.Slug, p.Status, p.PublishedAt)
		}
	}
	for _, p := range []db.Post{pastScheduled, noAuthor, article} {
		if _, ok := entries[p.Slug]; !ok {
			t.Errorf("%s (%s, published %v) is not in the feed", p.Slug, p.Status, p.PublishedAt)
		}
	}

	e := entries[article.Slug]
	// The id never changes: not with the slug, not with the content.
	if !strings.HasPrefix(e.ID, "tag:") || strings.Contains(e.ID, article.Slug) {
		t.Errorf("entry id %q: want a tag URI that does not depend on the slug", e.ID)
	}
	want := atomEntryT{
		ID: e.ID, Title: "Cramp: causes & cures",
		Published: "2023-05-02T11:00:00Z", Updated: "2023-05-05T11:00:00Z",
		Links:   []atomLinkT{{Rel: "alternate", Type: "text/html", Href: httpBase + "/blog/" + article.Slug}},
		Authors: []atomNameT{{Name: "Alex Example"}},
	}
	// A feed reader shows the article away from the site: its links and
	// pictures point at the site in full.
	want.Content.Type, want.Content.Body = "html", strings.ReplaceAll(article.BodyHTML, `href="/book"`, `href="`+httpBase+`/book"`)
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
	for _, part := range []string{`<h2 id="what-helps">What helps</h2>`, "<p>The last paragraph.</p>"} {
		if !strings.Contains(e.Content.Body, part) {
			t.Errorf("entry content lacks %s: want the full article", part)
		}
	}
	if strings.Contains(e.Content.Body, "<b>") {
		t.Error("raw HTML from the Markdown reached the feed")
	}

	// Renamed, the article keeps its entry id: readers do not show it again.
	if _, err := seededDB(t).NewUpdate().Model((*db.Post)(nil)).Set("slug = ?", article.Slug+"-renamed").
		Where("id = ?", article.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, renamed := range getFeed(t, s).Entries {
		if renamed.link("alternate") == httpBase+"/blog/"+article.Slug+"-renamed" && renamed.ID != e.ID {
			t.Errorf("renamed, the entry's id changed from %q to %q", e.ID, renamed.ID)
		}
	}
}

type sitemapT struct {
	XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []struct {
		Loc     string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 loc"`
		LastMod string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 lastmod"`
	} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
}

// w3cDate is the W3C Datetime profile sitemaps accept: a date, or a date
// and time with a zone.
var w3cDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$`)

// The sitemap lists every public page and every public article, articles
// with the date they last changed; nothing unpublished.
func TestSitemap(t *testing.T) {
	s := newTestServer(t, nil)
	updated := time.Date(2023, 8, 9, 12, 0, 0, 0, time.UTC)
	article := savePost(t, db.Post{PublishedAt: ptr(updated.AddDate(0, -1, 0)), UpdatedAt: updated})
	draft := savePost(t, db.Post{Status: db.StatusDraft, PublishedAt: ptr(updated)})
	later := savePost(t, db.Post{Status: db.StatusScheduled, PublishedAt: ptr(time.Now().AddDate(0, 0, 7))})

	res := s.get(t, "/sitemap.xml")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") && !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("Content-Type = %q, want XML", ct)
	}
	if !strings.HasPrefix(res.body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("sitemap does not start with the XML declaration:\n%.100s", res.body)
	}
	var sm sitemapT
	if err := xml.Unmarshal([]byte(res.body), &sm); err != nil {
		t.Fatalf("sitemap is not a sitemaps.org urlset: %v\n%.1000s", err, res.body)
	}
	lastmod := map[string]string{}
	for _, u := range sm.URLs {
		if _, dup := lastmod[u.Loc]; dup {
			t.Errorf("%s is listed twice", u.Loc)
		}
		lastmod[u.Loc] = u.LastMod
		if !strings.HasPrefix(u.Loc, httpBase+"/") {
			t.Errorf("loc %q is not an absolute URL on %s", u.Loc, httpBase)
		}
		if u.LastMod != "" && !w3cDate.MatchString(u.LastMod) {
			t.Errorf("%s: lastmod %q is not a W3C date", u.Loc, u.LastMod)
		}
	}
	for _, path := range []string{"/", "/services", "/about", "/contact", "/privacy", "/blog", "/book"} {
		if _, ok := lastmod[httpBase+path]; !ok {
			t.Errorf("%s is not in the sitemap", path)
		}
	}
	public := publicSlugs(t)
	for slug := range public {
		lm, ok := lastmod[httpBase+"/blog/"+slug]
		if !ok {
			t.Errorf("article %s is not in the sitemap", slug)
		} else if lm == "" {
			t.Errorf("article %s has no lastmod", slug)
		}
	}
	if got := len(sm.URLs) - 7; got != len(public) {
		t.Errorf("%d article URLs, want the %d public articles", got, len(public))
	}
	if got := lastmod[httpBase+"/blog/"+article.Slug]; got != "2023-08-09" && !strings.HasPrefix(got, "2023-08-09T") {
		t.Errorf("article lastmod = %q, want its update date 2023-08-09", got)
	}
	for _, p := range []db.Post{draft, later} {
		if _, ok := lastmod[httpBase+"/blog/"+p.Slug]; ok {
			t.Errorf("unpublished %s is in the sitemap", p.Slug)
		}
	}
}

// robots.txt points crawlers at the sitemap on the site's own address.
func TestRobots(t *testing.T) {
	for _, base := range []string{httpBase, httpsBase} {
		t.Run(base, func(t *testing.T) {
			var override func(*config.Config)
			if base == httpsBase {
				override = secure
			}
			s := newTestServer(t, override)
			res := s.get(t, "/robots.txt")
			wantStatus(t, res, http.StatusOK)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
			lines := strings.Split(res.body, "\n")
			for _, want := range []string{"User-agent: *", "Sitemap: " + base + "/sitemap.xml"} {
				if !containsLine(lines, want) {
					t.Errorf("robots.txt has no line %q:\n%s", want, res.body)
				}
			}
			if containsLine(lines, "Disallow: /") || containsLine(lines, "Disallow: /blog") {
				t.Errorf("robots.txt keeps crawlers out of the site:\n%s", res.body)
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// Every public page tells search engines and link previews its canonical
// address, what it is about, and how to show it.
func TestEveryPublicPageHasSearchAndShareMetadata(t *testing.T) {
	s := newTestServer(t, nil)
	paths := []string{"/blog", "/blog?tag=recovery", "/blog/sports-massage-for-lower-back-pain"}
	for _, p := range publicPages {
		paths = append(paths, p.path)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			res := s.get(t, path)
			wantStatus(t, res, http.StatusOK)
			doc := parseHTML(t, res.body)
			canonical := ""
			if l := selectAll(doc, "link[rel=canonical]"); len(l) == 1 {
				canonical, _ = attr(l[0], "href")
			}
			if !strings.HasPrefix(canonical, httpBase+"/") {
				t.Errorf("canonical = %q, want an absolute URL on %s", canonical, httpBase)
			}
			wantType := "website"
			if strings.HasPrefix(path, "/blog/") {
				wantType = "article"
			}
			checkHTML(t, res.body,
				count("link[rel=canonical]", 1),
				in("meta[property=og:url]", hasAttr("content", canonical)),
				in("meta[property=og:type]", hasAttr("content", wantType)),
				in("link[rel=alternate][type=application/atom+xml]", hasAttr("href", "/feed.xml")),
			)
			for _, sel := range []string{"meta[name=description]", "meta[property=og:title]",
				"meta[property=og:description]", "meta[name=twitter:card]"} {
				m := selectAll(doc, sel)
				if len(m) != 1 {
					t.Errorf("%d %s, want 1", len(m), sel)
					continue
				}
				if v, _ := attr(m[0], "content"); strings.TrimSpace(v) == "" {
					t.Errorf("%s is empty", sel)
				}
			}
		})
	}
}

// Feeds are shared by every reader and cacheable by proxies: they must not
// set a cookie.
func TestFeedsSetNoCookies(t *testing.T) {
	s := newTestServer(t, nil)
	for _, path := range []string{"/feed.xml", "/sitemap.xml", "/robots.txt"} {
		res := s.get(t, path, "Accept-Encoding: gzip")
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, res.StatusCode)
		}
		if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s sets cookies %q on a public, cacheable answer", path, c)
		}
	}
}
