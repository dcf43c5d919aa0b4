package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"dynamicmotion/db"
)

// taggedPosts saves n public articles tagged with a tag of their own, the
// i-th published i days after 1 March 2021, saved in a shuffled order so that
// ids do not follow dates. It returns the tag and the slugs newest first.
func taggedPosts(t *testing.T, n int) (tag string, newestFirst []string) {
	t.Helper()
	tag = "tag" + unique()
	slugs := make([]string, n)
	base := time.Date(2021, 3, 1, 9, 0, 0, 0, time.UTC)
	for k := range n {
		i := (k*7 + 3) % n // every index once, out of order (n not a multiple of 7)
		at := base.AddDate(0, 0, i)
		p := savePost(t, db.Post{Slug: "list-" + unique(), Tags: []string{tag}, PublishedAt: &at,
			Summary: "Article number " + string(rune('A'+i))})
		slugs[i] = p.Slug
	}
	slices.Reverse(slugs)
	return tag, slugs
}

// cardSlugs are the articles a list shows, in order.
func cardSlugs(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, a := range selectAll(parseHTML(t, body), "li.post-card h2 a") {
		href, _ := attr(a, "href")
		out = append(out, strings.TrimPrefix(href, "/blog/"))
	}
	return out
}

// isFragmentBody checks that a response is a piece of a page, not a page.
func isFragmentBody(t *testing.T, res response) {
	t.Helper()
	lower := strings.ToLower(res.body)
	for _, s := range []string{"<!doctype", "<html", "<head", "<body", "<header", "<main", "<footer"} {
		if strings.Contains(lower, s) {
			t.Errorf("fragment contains %s: it should be only the swapped part:\n%s", s, res.body)
		}
	}
}

func isWholePage(t *testing.T, res response) {
	t.Helper()
	if !strings.HasPrefix(res.body, "<!doctype html>") {
		t.Errorf("response is not a whole page:\n%.300s", res.body)
	}
	checkHTML(t, res.body, in("main#main"), in("header"), in("footer"), count("h1", 1))
}

func wantStatus(t *testing.T, res response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("status = %d, want %d; body:\n%.2000s", res.StatusCode, want, res.body)
	}
}

func wantVaryHXRequest(t *testing.T, res response) {
	t.Helper()
	if got := res.Header.Values("Vary"); !containsToken(got, "HX-Request") {
		t.Errorf("Vary = %q, want it to include HX-Request", got)
	}
}

// The list shows ten articles a page, newest first; "More articles" is a
// plain link to the next page that htmx turns into "append the next page".
func TestBlogListsNewestFirstTenAPage(t *testing.T) {
	s := newTestServer(t, nil)
	tag, want := taggedPosts(t, 12)
	first := "/blog?tag=" + tag
	next := "/blog?page=2&tag=" + tag

	res := s.get(t, first)
	wantStatus(t, res, http.StatusOK)
	if diff := cmp.Diff(want[:10], cardSlugs(t, res.body)); diff != "" {
		t.Errorf("page 1 (-want +got):\n%s", diff)
	}
	checkHTML(t, res.body,
		in("h1", hasText("Articles tagged “"+tag+"”")),
		in("link[rel=canonical]", hasAttr("href", httpBase+first)),
		in("li#more a", hasExactText("More articles"),
			hasAttr("href", next), // works without JavaScript
			hasAttr("hx-get", next), hasAttr("hx-target", "#more"), hasAttr("hx-swap", "outerHTML")),
	)

	// Without JavaScript the link opens page 2: the two oldest, and no more.
	res = s.get(t, next)
	wantStatus(t, res, http.StatusOK)
	if diff := cmp.Diff(want[10:], cardSlugs(t, res.body)); diff != "" {
		t.Errorf("page 2 (-want +got):\n%s", diff)
	}
	checkHTML(t, res.body, notIn("#more"), in("link[rel=canonical]", hasAttr("href", httpBase+next)))

	// All articles: the database now holds more than ten, so there is a
	// page 2, and the cards' dates never go up.
	res = s.get(t, "/blog")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("h1", hasExactText("Articles")),
		count("li.post-card", 10),
		in("li#more a", hasAttr("href", "/blog?page=2"), hasAttr("hx-get", "/blog?page=2")))
	var dates []string
	for _, tm := range selectAll(parseHTML(t, res.body), "li.post-card time") {
		d, _ := attr(tm, "datetime")
		dates = append(dates, d)
	}
	if !slices.IsSortedFunc(dates, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("/blog dates are not newest first: %q", dates)
	}
}

// "More articles" asks with HX-Target: more and gets only the next cards,
// ending with the next "More" control, or none on the last page.
func TestBlogMoreArticlesFragment(t *testing.T) {
	s := newTestServer(t, nil)
	tag, want := taggedPosts(t, 12)

	res := s.get(t, "/blog?tag="+tag, "HX-Request: true", "HX-Target: more")
	wantStatus(t, res, http.StatusOK)
	isFragmentBody(t, res)
	wantVaryHXRequest(t, res)
	if diff := cmp.Diff(want[:10], cardSlugs(t, res.body)); diff != "" {
		t.Errorf("first cards (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(strings.TrimSpace(res.body), "</li>") || !strings.Contains(res.body, `id="more"`) {
		t.Errorf("fragment does not end with the More control:\n%s", res.body)
	}
	lis := selectAll(parseHTML(t, res.body), "li")
	if id, _ := attr(lis[len(lis)-1], "id"); id != "more" {
		t.Errorf("last item is %s, want li#more", render(lis[len(lis)-1]))
	}
	checkHTML(t, res.body, notIn("form"), notIn("h1"), notIn("ol"))

	res = s.get(t, "/blog?page=2&tag="+tag, "HX-Request: true", "HX-Target: more")
	wantStatus(t, res, http.StatusOK)
	isFragmentBody(t, res)
	if diff := cmp.Diff(want[10:], cardSlugs(t, res.body)); diff != "" {
		t.Errorf("last cards (-want +got):\n%s", diff)
	}
	checkHTML(t, res.body, notIn("#more"), notIn("a.button"))
}

// Searching as you type swaps the list (HX-Target: post-list): the results,
// not the search box or the page around them; out of band the heading and
// the topics (none current: a search covers every topic), and the page's
// title, so that nothing still speaks of the list before.
func TestBlogSearchAsYouTypeGetsTheList(t *testing.T) {
	s := newTestServer(t, nil)
	word := "word" + unique()
	p := savePost(t, db.Post{Title: "Foam rolling and " + word})

	res := s.get(t, "/blog?q="+word, "HX-Request: true", "HX-Target: post-list")
	wantStatus(t, res, http.StatusOK)
	isFragmentBody(t, res)
	wantVaryHXRequest(t, res)
	if diff := cmp.Diff([]string{p.Slug}, cardSlugs(t, res.body)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	checkHTML(t, res.body, in("ol.posts li.post-card"), notIn("form"),
		in("title", hasExactText("Search: "+word+" · "+practiceName)),
		in("h1#blog-title[hx-swap-oob=true]", hasExactText("Articles about “"+word+"”")),
		in("nav#blog-tags[hx-swap-oob=true]"), notIn("nav#blog-tags a[aria-current]"))

	res = s.get(t, "/blog?q=nothing"+word, "HX-Request: true", "HX-Target: post-list")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("p.empty", hasText("No articles match")), notIn("li.post-card"))
}

// A boosted navigation, a history restore, or an htmx request for another
// target gets the whole page.
func TestBlogWholePageForOtherHTMXRequests(t *testing.T) {
	s := newTestServer(t, nil)
	for _, headers := range [][]string{
		{},
		{"HX-Request: true", "HX-Boosted: true"},
		{"HX-Request: true", "HX-Boosted: true", "HX-Target: more"},
		{"HX-Request: true", "HX-History-Restore-Request: true"},
		{"HX-Request: true", "HX-History-Restore-Request: true", "HX-Target: post-list"},
		{"HX-Request: true", "HX-Target: main"},
	} {
		t.Run(strings.Join(headers, ","), func(t *testing.T) {
			res := s.get(t, "/blog", headers...)
			wantStatus(t, res, http.StatusOK)
			isWholePage(t, res)
			wantVaryHXRequest(t, res)
			checkHTML(t, res.body, in("form.search[action=/blog] input[name=q]"), in("#post-list li.post-card"))
		})
	}
}

// ?tag= lists only the articles with that tag; the topics list links to it.
func TestBlogTagFilter(t *testing.T) {
	s := newTestServer(t, nil)
	tag := "knee " + unique() // tags may hold spaces
	older := savePost(t, db.Post{Tags: []string{tag, "running"}})
	newer := savePost(t, db.Post{Tags: []string{"running", tag}, PublishedAt: ptr(older.Published().Add(time.Hour))})
	savePost(t, db.Post{Tags: []string{"running"}})

	res := s.get(t, "/blog?tag="+url.QueryEscape(strings.ToUpper(tag)))
	wantStatus(t, res, http.StatusOK)
	if diff := cmp.Diff([]string{newer.Slug, older.Slug}, cardSlugs(t, res.body)); diff != "" {
		t.Errorf("tagged list (-want +got):\n%s", diff)
	}
	checkHTML(t, res.body, in("h1", hasExactText("Articles tagged “"+tag+"”")))

	href := "/blog?tag=" + strings.ReplaceAll(tag, " ", "%20")
	checkHTML(t, s.get(t, "/blog").body, in("nav.tags a[href="+href+"]", hasText(tag), hasText("(2)")))
	checkHTML(t, res.body, in("nav.tags a[aria-current=page]", hasAttr("href", href)))
}

// checkNode runs the checkers on one element of a page.
func checkNode(t *testing.T, n *html.Node, checkers ...checker) {
	t.Helper()
	for _, c := range checkers {
		if err := c(n); err != nil {
			t.Error(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// ?q= searches title, summary, tags and body, best matches first, with the
// matched words marked in a snippet. Results are not for search engines.
func TestBlogSearch(t *testing.T) {
	s := newTestServer(t, nil)
	word := "word" + unique()
	inBody := savePost(t, db.Post{Title: "Stretching after a long run",
		BodyMD: "Calves first.\n\nThen the " + word + " routine, slowly, twice a day; type `<img src=x onerror=alert(1)>` to see it."})
	inTitle := savePost(t, db.Post{Title: "The " + word + " routine", PublishedAt: ptr(inBody.Published().AddDate(0, 0, -30))})
	savePost(t, db.Post{Title: "Something else entirely"})

	res := s.get(t, "/blog?q="+word)
	wantStatus(t, res, http.StatusOK)
	// The title weighs more than the body, even for an older article.
	if diff := cmp.Diff([]string{inTitle.Slug, inBody.Slug}, cardSlugs(t, res.body)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	cards := selectAll(parseHTML(t, res.body), "li.post-card")
	if len(cards) != 2 {
		t.Fatalf("%d cards, want 2", len(cards))
	}
	// The body's match is shown in context, marked.
	checkNode(t, cards[1],
		in("p.snippet", hasText("Then the "+word+" routine"), hasText("<img src=x onerror=alert")),
		in("p.snippet mark", hasExactText(word)),
		notIn("img"))
	checkHTML(t, res.body,
		count("li.post-card p.snippet", 2),
		in("meta[name=robots]", hasAttr("content", "noindex, follow")),
		in("title", hasText("Search: "+word)),
		in("h1", hasExactText("Articles about “"+word+"”")),
		in("input#q", hasAttr("value", word)),
	)
	// The plain list is for search engines.
	checkHTML(t, s.get(t, "/blog").body, notIn("meta[name=robots]"))
}

// No results: a friendly message that repeats the query and offers a way on.
func TestBlogSearchNothingFound(t *testing.T) {
	s := newTestServer(t, nil)
	q := "zz" + unique()
	res := s.get(t, "/blog?q="+q)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		notIn("li.post-card"),
		notIn("#more"),
		in("#post-list p.empty", hasText("No articles match “"+q+"”"), hasText("Try fewer or different words")),
		in("#post-list p.empty a[href=/blog]"))
}

// A query is text everywhere it appears: in the title, the heading, the
// search box, the message and the htmx fragments.
func TestBlogSearchEscapesTheQuery(t *testing.T) {
	s := newTestServer(t, nil)
	normal := parseHTML(t, s.get(t, "/blog?q=massage").body)
	wantScripts, wantImages := len(selectAll(normal, "script")), len(selectAll(normal, "img"))
	for _, q := range []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`'><svg onload=alert(1)> massage`,
		`" hx-get="/admin" hx-trigger="load`,
	} {
		t.Run(q, func(t *testing.T) {
			target := "/blog?q=" + url.QueryEscape(q)
			for _, headers := range [][]string{{}, {"HX-Request: true", "HX-Target: post-list"}, {"HX-Request: true", "HX-Target: more"}} {
				res := s.get(t, target, headers...)
				wantStatus(t, res, http.StatusOK)
				if strings.Contains(res.body, q) || strings.Contains(res.body, "<img src=x") || strings.Contains(res.body, "<svg") {
					t.Errorf("%v: the query is in the page unescaped:\n%s", headers, res.body)
				}
				doc := parseHTML(t, res.body)
				for _, n := range descendants(doc) {
					for _, a := range n.Attr {
						if strings.HasPrefix(a.Key, "on") || (a.Key == "hx-trigger" && a.Val == "load") {
							t.Errorf("%v: query became an attribute: %s", headers, render(n))
						}
					}
				}
				if len(headers) == 0 {
					if n := len(selectAll(doc, "script")); n != wantScripts {
						t.Errorf("%d script elements, want %d as on any search page", n, wantScripts)
					}
					if n := len(selectAll(doc, "img")); n != wantImages {
						t.Errorf("%d img elements, want %d as on any search page", n, wantImages)
					}
					checkHTML(t, res.body,
						in("title", hasText(q)),
						in("h1", hasText(q)),
						in("input#q", hasAttr("value", q)),
						in("meta[name=robots]", hasAttr("content", "noindex, follow")))
				}
			}
		})
	}
}

// Page numbers come from the address bar: nonsense gives the first page;
// a page past the last is the site's 404 (a list with nothing in it is no
// page to index), never an error. Searches say "no articles match".
func TestBlogJunkPageNumbers(t *testing.T) {
	s := newTestServer(t, nil)
	firstPage := cardSlugs(t, s.get(t, "/blog").body)
	for _, page := range []string{"-1", "0", "abc", "1.5", "1e3", "999999", "99999999999999999999", "%00", "10000"} {
		for _, extra := range []string{"", "&q=massage", "&tag=recovery"} {
			target := "/blog?page=" + page + extra
			t.Run(target, func(t *testing.T) {
				want := http.StatusOK
				if page == "10000" && extra != "&q=massage" {
					want = http.StatusNotFound
				}
				wantStatus(t, s.get(t, target), want)
				wantStatus(t, s.get(t, target, "HX-Request: true", "HX-Target: more"), http.StatusOK)
			})
		}
	}
	// A tag no public article has is not a page either.
	res := s.get(t, "/blog?tag=no-such-topic-"+unique())
	wantStatus(t, res, http.StatusNotFound)
	checkHTML(t, res.body, in("form[role=search] input[name=q]"))
	for _, page := range []string{"-1", "abc", "999999"} {
		if got := cardSlugs(t, s.get(t, "/blog?page="+page).body); !slices.Equal(got, firstPage) {
			t.Errorf("page=%s shows %q, want the first page %q", page, got, firstPage)
		}
	}
}
