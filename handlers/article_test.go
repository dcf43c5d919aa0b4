package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// july16 is 16 July 2024, 09:00 in St Ives: the first article's date.
var july16 = time.Date(2024, 7, 16, 9, 0, 0, 0, views.London)

// words is n words of filler text.
func words(n int) string {
	return strings.TrimSpace(strings.Repeat("stretch ", n))
}

// jsonLD parses the page's one application/ld+json script.
func jsonLD(t *testing.T, body string) map[string]any {
	t.Helper()
	scripts := selectAll(parseHTML(t, body), "script[type=application/ld+json]")
	if len(scripts) != 1 {
		t.Fatalf("%d JSON-LD scripts, want 1", len(scripts))
	}
	var raw strings.Builder
	for c := scripts[0].FirstChild; c != nil; c = c.NextSibling {
		raw.WriteString(c.Data)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(raw.String()), &v); err != nil {
		t.Fatalf("JSON-LD is not JSON: %v\n%s", err, raw.String())
	}
	return v
}

// An article page: what it is, who wrote it and when, how long it takes to
// read, its topics, then the article itself.
func TestArticlePage(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{
		Slug:        "hamstrings-" + unique(),
		Title:       "Tight hamstrings & how to ease them",
		Summary:     "Why hamstrings tighten, and what a sports massage does about it.",
		Author:      "Alex Example",
		Tags:        []string{"hamstrings", "running injuries"},
		PublishedAt: &july16,
		// 500 words: 3 minutes at 220 words a minute.
		BodyMD: "## Warm up first\n\n" + words(494) + " *gently*.",
	})

	res := s.get(t, "/blog/"+p.Slug)
	wantStatus(t, res, http.StatusOK)
	wantVaryHXRequest(t, res)
	checkHTML(t, res.body,
		in("title", hasText("Tight hamstrings & how to ease them · "+practiceName)),
		count("h1", 1),
		in("article h1", hasExactText("Tight hamstrings & how to ease them")),
		in("article header .meta", hasText("By Alex Example"), hasText("3 min read")),
		in("article header .meta time", hasAttr("datetime", "2024-07-16"), hasExactText("16 July 2024")),
		in("article header ul[aria-label=Tags] a[href=/blog?tag=hamstrings]", hasExactText("hamstrings")),
		in("article header ul[aria-label=Tags] a[href=/blog?tag=running%20injuries]", hasExactText("running injuries")),
		in(".article-body h2#warm-up-first", hasExactText("Warm up first")),
		in(".article-body p em", hasExactText("gently")),
		in(".breadcrumb a[href=/blog]", hasExactText("Articles")),
		// The call to book comes at the end, and the comments' place is kept.
		in("article aside.book-call a[href=/book]", hasExactText("Book a session")),
		in("article section#comments h2", hasExactText("Comments (0)")),
		allScriptsExternal,
	)
	if strings.Contains(res.body, "ZgotmplZ") {
		t.Errorf("html/template rejected a value as unsafe:\n%s", zgotmplzContext(res.body))
	}
	if strings.Index(res.body, `class="book-call"`) < strings.Index(res.body, `class="prose article-body"`) {
		t.Error("the call to book comes before the article")
	}
}

// The practice's first article is published as written, headings and all,
// dated 16 July 2024.
func TestFirstArticlePublishedAsWritten(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.get(t, "/blog/sports-massage-for-lower-back-pain")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("h1", hasExactText("Sports Massage for Lower Back Pain: Relief and Recovery")),
		// Signed with the old blog's handle: shown as the practice until she gives her name (byline).
		in("article header .meta", hasText("By "+practiceName+" · 16 July 2024 · 3 min read")),
		count(".article-body h2", 3),
		count(".article-body h3", 5),
		in(".article-body h2#understanding-lower-back-pain", hasExactText("Understanding Lower Back Pain")),
		in(".article-body h3#1-muscle-tension-relief", hasExactText("1. Muscle Tension Relief")),
		in(".article-body h2#conclusion", hasExactText("Conclusion")),
		in(".article-body p", hasText("Lower back pain is a common issue that affects people of all ages")),
		in("article ul[aria-label=Tags] a[href=/blog?tag=lower%20back%20pain]"),
	)
}

// Search engines and link previews learn what the article is: canonical
// address, description, OpenGraph article, Twitter card, and a BlogPosting.
func TestArticleMetadata(t *testing.T) {
	s := newTestServer(t, nil)
	updated := july16.AddDate(0, 1, 0)
	p := savePost(t, db.Post{
		Title: "Recovery after a marathon", Summary: "The first week after the race.",
		Author: "Alex Example", Tags: []string{"recovery", "running"},
		PublishedAt: &july16, UpdatedAt: updated,
	})
	canonical := httpBase + "/blog/" + p.Slug

	// A visit with tracking parameters still names the one address.
	res := s.get(t, "/blog/"+p.Slug+"?utm_source=newsletter")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("link[rel=canonical]", hasAttr("href", canonical)),
		in("meta[name=description]", hasAttr("content", p.Summary)),
		in("meta[property=og:type]", hasAttr("content", "article")),
		in("meta[property=og:title]", hasAttr("content", p.Title)),
		in("meta[property=og:url]", hasAttr("content", canonical)),
		in("meta[property=og:description]", hasAttr("content", p.Summary)),
		in("meta[name=twitter:card]", hasAttr("content", "summary")),
		notIn("meta[name=robots]"),
	)

	ld := jsonLD(t, res.body)
	author, _ := ld["author"].(map[string]any)
	publisher, _ := ld["publisher"].(map[string]any)
	got := map[string]any{
		"@context": ld["@context"], "@type": ld["@type"], "headline": ld["headline"],
		"datePublished": ld["datePublished"], "dateModified": ld["dateModified"],
		"mainEntityOfPage": ld["mainEntityOfPage"],
		"author.@type":     author["@type"], "author.name": author["name"],
		"publisher.@type": publisher["@type"], "publisher.name": publisher["name"],
	}
	want := map[string]any{
		"@context": "https://schema.org", "@type": "BlogPosting", "headline": p.Title,
		"datePublished": "2024-07-16T08:00:00Z", "dateModified": updated.UTC().Format(time.RFC3339),
		"mainEntityOfPage": canonical,
		"author.@type":     "Person", "author.name": "Alex Example",
		"publisher.@type": "Organization", "publisher.name": practiceName,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BlogPosting (-want +got):\n%s", diff)
	}
	// A byline that is a handle, as the old blog's articles have, is the
	// practice itself.
	handle := savePost(t, db.Post{Author: "dynamicmotionsports"})
	if a, _ := jsonLD(t, s.get(t, "/blog/"+handle.Slug).body)["author"].(map[string]any); a["@type"] != "Organization" || a["name"] != practiceName {
		t.Errorf("the author of an article signed with a handle: %v, want the practice", a)
	}
	for _, k := range []string{"datePublished", "dateModified"} {
		if _, err := time.Parse(time.RFC3339, ld[k].(string)); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// An article without a summary or an author still describes itself (from
// its first words) and says nothing about a missing author.
func TestArticleWithoutSummaryOrAuthor(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{
		BodyMD: "Ice or heat after a strain? It depends on how long ago it happened. " + words(60),
	})
	res := s.get(t, "/blog/"+p.Slug)
	wantStatus(t, res, http.StatusOK)
	doc := parseHTML(t, res.body)
	for _, sel := range []string{"meta[name=description]", "meta[property=og:description]"} {
		m := selectAll(doc, sel)
		if len(m) != 1 {
			t.Errorf("%d %s, want 1", len(m), sel)
			continue
		}
		d, _ := attr(m[0], "content")
		if !strings.HasPrefix(d, "Ice or heat after a strain? It depends on how long ago it happened.") || len(d) > 200 {
			t.Errorf("%s = %q, want the article's opening words, at most 200 bytes", sel, d)
		}
	}
	checkHTML(t, res.body, in("article header .meta", hasText("min read")))
	if meta := text(selectAll(doc, "article header .meta")[0]); strings.Contains(meta, "By ") {
		t.Errorf("byline %q names no one", meta)
	}
	if d, _ := jsonLD(t, res.body)["description"].(string); d == "" {
		t.Error("BlogPosting has no description")
	}
}

// Share links are plain links: nothing on the page loads from another site
// until the reader clicks one.
func TestArticleShareLinksLoadNothingFromOtherSites(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{Title: "Shin splints: what helps"})
	res := s.get(t, "/blog/"+p.Slug)
	wantStatus(t, res, http.StatusOK)
	doc := parseHTML(t, res.body)

	links := selectAll(doc, "nav.share a")
	if len(links) < 3 {
		t.Fatalf("%d share links, want several", len(links))
	}
	pageURL := url.QueryEscape(httpBase + "/blog/" + p.Slug)
	for _, a := range links {
		href, _ := attr(a, "href")
		u, err := url.Parse(href)
		if err != nil || (u.Scheme != "https" && u.Scheme != "mailto") {
			t.Errorf("share link %s: want an https: or mailto: link", render(a))
			continue
		}
		if !strings.Contains(href, pageURL) && !strings.Contains(href, url.PathEscape(httpBase+"/blog/"+p.Slug)) {
			t.Errorf("share link %s does not carry the article's address", href)
		}
		if rel, _ := attr(a, "rel"); u.Scheme == "https" && !strings.Contains(rel, "noopener") {
			t.Errorf("share link %s: rel=%q, want noopener", href, rel)
		}
		if a.FirstChild == nil || a.FirstChild.Type != html.TextNode || a.FirstChild.NextSibling != nil {
			t.Errorf("share link %s holds more than its text (an icon from elsewhere?)", render(a))
		}
	}
	checkHTML(t, res.body, notIn("iframe"), notIn("object"), notIn("embed"))
	for _, n := range descendants(doc) {
		for _, a := range n.Attr {
			rel, _ := attr(n, "rel")
			loads := a.Key == "src" || a.Key == "srcset" || a.Key == "poster" || a.Key == "data" ||
				(n.Data == "link" && a.Key == "href" && rel != "canonical" && rel != "alternate")
			if !loads {
				continue
			}
			if u, err := url.Parse(a.Val); err != nil || (u.Host != "" && u.Host != "example.test") {
				t.Errorf("%s loads %q from another site", render(n), a.Val)
			}
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'self'", csp)
	}
}

// Related articles: those sharing most tags first, then the most recent.
func TestArticleRelated(t *testing.T) {
	s := newTestServer(t, nil)
	a, b := "a"+unique(), "b"+unique()
	at := func(day int) *time.Time { return ptr(time.Date(2020, 1, day, 9, 0, 0, 0, time.UTC)) }
	article := savePost(t, db.Post{Tags: []string{a, b}, PublishedAt: at(10)})
	oneTag := savePost(t, db.Post{Title: "Shares one tag", Tags: []string{a}, PublishedAt: at(5)})
	twoTags := savePost(t, db.Post{Title: "Shares two tags", Tags: []string{b, a}, PublishedAt: at(1)})
	savePost(t, db.Post{Tags: []string{a, b}, Status: db.StatusDraft})

	latest, err := db.LatestPosts(context.Background(), seededDB(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{twoTags.Slug, oneTag.Slug}
	for _, p := range latest {
		if len(want) < relatedCount && !slices.Contains([]string{article.Slug, oneTag.Slug, twoTags.Slug}, p.Slug) {
			want = append(want, p.Slug)
		}
	}

	res := s.get(t, "/blog/"+article.Slug)
	wantStatus(t, res, http.StatusOK)
	var got []string
	for _, l := range selectAll(parseHTML(t, res.body), "section.related li h3 a") {
		href, _ := attr(l, "href")
		got = append(got, strings.TrimPrefix(href, "/blog/"))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("related articles (-want +got):\n%s", diff)
	}
	checkHTML(t, res.body, in("section.related h2", hasExactText("More articles")))
}

// Unknown, malformed and unpublished slugs get the site's 404 page, with a
// search box to find what the reader was looking for.
func TestArticleNotFound(t *testing.T) {
	s := newTestServer(t, nil)
	draft := savePost(t, db.Post{Status: db.StatusDraft})
	draftWithDate := savePost(t, db.Post{Status: db.StatusDraft, PublishedAt: ptr(july16)})
	scheduled := savePost(t, db.Post{Status: db.StatusScheduled, PublishedAt: ptr(time.Now().AddDate(0, 1, 0))})

	for _, slug := range []string{
		"no-such-article-" + unique(),
		"Sports-Massage-For-Lower-Back-Pain",
		"..",
		"%2e%2e",
		"..%2f..%2fetc",
		"a--b",
		"-a",
		"a_b",
		"%ff",
		"%00",
		"sports-massage-for-lower-back-pain%20",
		strings.Repeat("a", 201),
		strings.Repeat("long-", 2000) + "slug",
		draft.Slug,
		draftWithDate.Slug,
		scheduled.Slug,
	} {
		name := slug
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			res := s.get(t, "/blog/"+slug)
			wantStatus(t, res, http.StatusNotFound)
			checkHTML(t, res.body,
				in("h1", hasExactText("Page not found")),
				in("main form[action=/blog] input[name=q]"),
				in("main form[action=/blog] button[type=submit]"))
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type = %q, want the HTML page", got)
			}
			if res := s.serve(t, newRequest(http.MethodHead, "/blog/"+slug)); res.StatusCode != http.StatusNotFound {
				t.Errorf("HEAD status = %d, want 404", res.StatusCode)
			}
		})
	}
}

// A renamed article keeps its old addresses: each answers 301 straight to
// the current one, with the query it was asked with.
func TestArticleOldSlugRedirects(t *testing.T) {
	s := newTestServer(t, nil)
	ctx := context.Background()
	p := savePost(t, db.Post{Slug: "first-name-" + unique()})
	second, third := "second-name-"+unique(), "third-name-"+unique()
	if err := db.RenamePost(ctx, seededDB(t), p.ID, second); err != nil {
		t.Fatal(err)
	}
	if err := db.RenamePost(ctx, seededDB(t), p.ID, third); err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{p.Slug, second} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			res := s.serve(t, newRequest(method, "/blog/"+old))
			if res.StatusCode != http.StatusMovedPermanently {
				t.Fatalf("%s /blog/%s: status = %d, want 301", method, old, res.StatusCode)
			}
			if got, want := res.Header.Get("Location"), "/blog/"+third; got != want {
				t.Errorf("%s /blog/%s: Location = %q, want %q", method, old, got, want)
			}
		}
	}
	res := s.get(t, "/blog/"+second+"?sort=helpful&from=20")
	wantStatus(t, res, http.StatusMovedPermanently)
	if got, want := res.Header.Get("Location"), "/blog/"+third+"?sort=helpful&from=20"; got != want {
		t.Errorf("GET /blog/%s?sort=helpful&from=20: Location = %q, want %q", second, got, want)
	}
	res = s.get(t, "/blog/"+third)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("link[rel=canonical]", hasAttr("href", httpBase+"/blog/"+third)))
}

// like sends the like form as a browser without JavaScript does.
func like(t *testing.T, v *visitor, slug string, headers ...string) response {
	t.Helper()
	return v.do(t, postForm("/blog/"+slug+"/like", url.Values{}), headers...)
}

// The like button is a form that works without JavaScript and with htmx;
// the page carries no token.
func TestArticleLikeForm(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	v := s.visitor()
	res := v.get(t, "/blog/"+p.Slug)
	wantStatus(t, res, http.StatusOK)
	action := "/blog/" + p.Slug + "/like"
	checkHTML(t, res.body,
		in("form#like", hasAttr("method", "post"), hasAttr("action", action), hasAttr("hx-post", action)),
		in("form#like button[type=submit]", hasExactText("Like this article"), hasAttr("aria-pressed", "false")),
		notIn("form#like button[disabled]"),
		in("form#like .like-count", hasExactText("0 likes")),
	)
	for _, ck := range res.Cookies() {
		if ck.Name != s.h.seenCookieName() { // the view counter's, for now
			t.Errorf("the article page set the cookie %s", ck.Name)
		}
	}
	checkHTML(t, res.body, notIn("input[name=_csrf]"), notIn("body[hx-headers]"))
}

// Without JavaScript: one like per visitor (browser), answered 303 back to the
// article, which then shows it as liked. Another visitor's like counts too.
func TestLikeOncePerSession(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	reader := s.visitor()
	reader.get(t, "/blog/"+p.Slug)

	for i := range 2 {
		res := like(t, reader, p.Slug)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("like #%d: status = %d, want 303; body:\n%s", i+1, res.StatusCode, res.body)
		}
		loc, _ := url.Parse(res.Header.Get("Location"))
		if loc == nil || loc.Path != "/blog/"+p.Slug {
			t.Errorf("like #%d: Location = %q, want the article", i+1, res.Header.Get("Location"))
		}
		if got := postNow(t, p.Slug).Likes; got != 1 {
			t.Errorf("after like #%d from one session: %d likes, want 1", i+1, got)
		}
	}
	checkHTML(t, reader.get(t, "/blog/"+p.Slug).body,
		in("form#like button[disabled]", hasExactText("Liked"), hasAttr("aria-pressed", "true")),
		in("form#like .like-count", hasExactText("1 like")))

	other := s.visitor()
	other.get(t, "/blog/"+p.Slug)
	if res := like(t, other, p.Slug); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another visitor's like: status = %d, want 303", res.StatusCode)
	}
	if got := postNow(t, p.Slug).Likes; got != 2 {
		t.Errorf("after another visitor's like: %d likes, want 2", got)
	}
}

// With htmx the button is swapped in place: the new count, and a disabled
// "Liked" button, still in a form with the token.
func TestLikeWithHTMX(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	first := s.visitor()
	first.get(t, "/blog/"+p.Slug)
	like(t, first, p.Slug)

	v := s.visitor()
	v.get(t, "/blog/"+p.Slug)
	// htmx sends the token in the header (from <body hx-headers>) and the
	// form's fields.
	res := like(t, v, p.Slug, "HX-Request: true", "HX-Target: like")
	wantStatus(t, res, http.StatusOK)
	isFragmentBody(t, res)
	checkHTML(t, res.body,
		count("form", 1),
		in("form#like", hasAttr("hx-post", "/blog/"+p.Slug+"/like")),
		in("form#like button[disabled]", hasExactText("Liked"), hasAttr("aria-pressed", "true")),
		in("form#like .like-count", hasExactText("2 likes")))

	// Liking again changes nothing.
	res = like(t, v, p.Slug, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("form#like .like-count", hasExactText("2 likes")))
	if got := postNow(t, p.Slug).Likes; got != 2 {
		t.Errorf("%d likes, want 2", got)
	}
}

// A like sent from another site is refused and not counted.
func TestLikeFromAnotherSiteIsRefused(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	v := s.visitor()
	v.get(t, "/blog/"+p.Slug)

	for _, tc := range []struct {
		name string
		req  func() response
	}{
		{"Sec-Fetch-Site: cross-site", func() response {
			return like(t, v, p.Slug, "Sec-Fetch-Site: cross-site")
		}},
		{"Sec-Fetch-Site: same-site (a subdomain)", func() response {
			return like(t, v, p.Slug, "Sec-Fetch-Site: same-site")
		}},
		{"an older browser's foreign Origin", func() response {
			return like(t, v, p.Slug, "Origin: http://evil.example")
		}},
		{"htmx, from another site", func() response {
			return like(t, v, p.Slug, "HX-Request: true", "Sec-Fetch-Site: cross-site")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.req()
			wantStatus(t, res, http.StatusForbidden)
			if got := postNow(t, p.Slug).Likes; got != 0 {
				t.Errorf("%d likes, want 0", got)
			}
		})
	}
	// The same visitor from the article's own page may still like it.
	if res := like(t, v, p.Slug, "Sec-Fetch-Site: same-origin"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("like from the page: status = %d, want 303", res.StatusCode)
	}
}

// Liking what is not a public article is 404.
func TestLikeNotFound(t *testing.T) {
	s := newTestServer(t, nil)
	draft := savePost(t, db.Post{Status: db.StatusDraft})
	v := s.visitor()
	v.get(t, "/about")
	for _, slug := range []string{"no-such-article-" + unique(), draft.Slug, "UPPER"} {
		if res := like(t, v, slug); res.StatusCode != http.StatusNotFound {
			t.Errorf("like %s: status = %d, want 404", slug, res.StatusCode)
		}
	}
}

// A view counts once per session; a HEAD request (an uptime checker, a link
// preview's probe) is not a view.
func TestViewsCountedOncePerSession(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	path := "/blog/" + p.Slug

	probe := s.visitor()
	if res := probe.do(t, newRequest(http.MethodHead, path)); res.StatusCode != http.StatusOK {
		t.Fatalf("HEAD: status = %d, want 200", res.StatusCode)
	}
	if got := s.savedViews(t, p.Slug); got != 0 {
		t.Errorf("after a HEAD request: %d views, want 0", got)
	}

	reader := s.visitor()
	checkHTML(t, reader.get(t, path).body, in("article header .meta", hasText("1 view")))
	reader.get(t, path)
	reader.get(t, path, "HX-Request: true", "HX-Boosted: true")
	if got := s.savedViews(t, p.Slug); got != 1 {
		t.Errorf("after one session's three visits: %d views, want 1", got)
	}

	// The page every reader shares shows the count as of its render, at
	// most sharedTTL old; the view is counted all the same.
	another := s.visitor()
	checkHTML(t, another.get(t, path).body, in("article header .meta", hasText("1 view")))
	if got := s.savedViews(t, p.Slug); got != 2 {
		t.Errorf("after a second session's visit: %d views, want 2", got)
	}
	// The prober's session did not mark the article as seen.
	probe.get(t, path)
	if got := s.savedViews(t, p.Slug); got != 3 {
		t.Errorf("after the prober's first GET: %d views, want 3", got)
	}
	runAt(t, clk.Now().Add(sharedTTL))
	checkHTML(t, probe.get(t, path).body, in("article header .meta", hasText("3 views")))
	// Crawlers, link previews and scripts read the article, but are not
	// readers: no view, however often they come.
	for _, ua := range []string{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"facebookexternalhit/1.1", "WhatsApp/2.23.20.0 A", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "curl/8.5.0", "python-requests/2.31",
	} {
		s.visitor().get(t, path, "User-Agent: "+ua)
	}
	if got := s.savedViews(t, p.Slug); got != 3 {
		t.Errorf("after crawlers' visits: %d views, want still 3", got)
	}
}

// The home page lists the newest public articles, and describes the
// practice as a local business for search engines.
func TestHomeLatestArticles(t *testing.T) {
	s := newTestServer(t, nil)
	now := time.Now().Truncate(time.Second)
	// Published this instant: newer than any other test's article, whatever
	// ran before.
	newest := savePost(t, db.Post{Title: "Newest article " + unique(), PublishedAt: ptr(time.Now())})
	savePost(t, db.Post{Title: "A draft", Status: db.StatusDraft, PublishedAt: ptr(now.Add(-time.Second))})
	savePost(t, db.Post{Title: "Not yet", Status: db.StatusScheduled, PublishedAt: ptr(now.Add(time.Hour))})

	latest, err := db.LatestPosts(context.Background(), seededDB(t), latestOnHome)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range latest {
		want = append(want, "/blog/"+p.Slug)
	}
	if want[0] != "/blog/"+newest.Slug {
		t.Fatalf("test setup: the newest public post is %s, not %s", want[0], newest.Slug)
	}

	res := s.get(t, "/")
	wantStatus(t, res, http.StatusOK)
	doc := parseHTML(t, res.body)
	sections := selectAll(doc, "section[aria-labelledby=latest-heading]")
	if len(sections) != 1 {
		t.Fatalf("%d Latest articles sections, want 1", len(sections))
	}
	checkNode(t, sections[0], in("h2", hasExactText("Latest articles")), in("a[href=/blog]"))
	var got []string
	for _, a := range selectAll(sections[0], "li h3 a") {
		href, _ := attr(a, "href")
		got = append(got, href)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("latest articles (-want +got):\n%s", diff)
	}
	checkNode(t, sections[0], in("li h3 a", hasExactText(newest.Title)))
}

// localBusinessTypes are schema.org's LocalBusiness and the subtypes that
// fit a sports massage practice.
var localBusinessTypes = []string{"LocalBusiness", "HealthAndBeautyBusiness", "MedicalBusiness",
	"MedicalClinic", "Physiotherapy", "DaySpa", "SportsActivityLocation"}

// The home page's JSON-LD describes the practice from its business
// settings; while those are the seeded example, no example phone number,
// email or street address reaches search engines.
func TestHomeStructuredData(t *testing.T) {
	s := newTestServer(t, nil)
	b, err := db.GetBusiness(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if !b.IsExample || b.Phone == "" || b.StreetAddress == "" {
		t.Fatalf("test setup: want the seeded example details, got %+v", b)
	}
	ld := jsonLD(t, s.get(t, "/").body)
	if typ, _ := ld["@type"].(string); !slices.Contains(localBusinessTypes, typ) {
		t.Errorf("@type = %v, want LocalBusiness or one of its subtypes", ld["@type"])
	}
	if ld["@context"] != "https://schema.org" || ld["name"] != b.Name || ld["url"] != httpBase+"/" {
		t.Errorf("@context, name, url = %v, %v, %v; want https://schema.org, %q, %q",
			ld["@context"], ld["name"], ld["url"], b.Name, httpBase+"/")
	}
	addr, _ := ld["address"].(map[string]any)
	if addr["addressLocality"] != b.Locality || addr["addressRegion"] != b.Region {
		t.Errorf("address = %v, want %s, %s", addr, b.Locality, b.Region)
	}
	for _, k := range []string{"telephone", "email"} {
		if v, ok := ld[k]; ok {
			t.Errorf("%s = %v from example details", k, v)
		}
	}
	for _, k := range []string{"streetAddress", "postalCode"} {
		if v, ok := addr[k]; ok {
			t.Errorf("address.%s = %v from example details", k, v)
		}
	}
	if strings.Contains(s.get(t, "/").body, `"01480`) {
		t.Error("the example phone number is in the structured data")
	}
}

// Once the therapist has saved her real details, they are in the JSON-LD.
// (The test saves them in the package's database and puts the example back
// when it ends; no test here runs in parallel.)
func TestHomeStructuredDataWithRealDetails(t *testing.T) {
	ctx := context.Background()
	bdb := seededDB(t)
	example, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := bdb.NewUpdate().Model(&example).WherePK().Exec(ctx); err != nil {
			t.Errorf("putting the example details back: %v", err)
		}
	})
	b := example
	b.Phone, b.Email, b.StreetAddress, b.Postcode = "07700 900123", "clinic@dynamicmotion.test", "1 Bridge Street", "PE27 5EH"
	b.IsExample = false
	if _, err := bdb.NewUpdate().Model(&b).WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}

	s := newTestServer(t, nil)
	ld := jsonLD(t, s.get(t, "/").body)
	addr, _ := ld["address"].(map[string]any)
	got := []any{ld["name"], ld["telephone"], ld["email"], addr["streetAddress"], addr["postalCode"]}
	want := []any{practiceName, "07700 900123", "clinic@dynamicmotion.test", "1 Bridge Street", "PE27 5EH"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("name, telephone, email, street, postcode (-want +got):\n%s", diff)
	}
}
