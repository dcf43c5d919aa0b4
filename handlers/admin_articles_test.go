package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// therapist is a logged-in client of s.
func therapist(t *testing.T, s *testServer) *client {
	t.Helper()
	cl := s.client(t)
	cl.logIn(t)
	return cl
}

// articleFields is a complete, valid editor form; pairs of name and value
// change it ("" removes nothing: the field is sent empty).
func articleFields(fields ...string) url.Values {
	f := url.Values{
		"title":      {"Hamstrings " + unique()},
		"slug":       {""},
		"summary":    {"Why hamstrings tighten and what helps."},
		"tags":       {"Running, hamstrings , running"},
		"author":     {"Clare"},
		"body":       {"## Why they tighten\n\nLong runs -- and long days sitting.\n\n- stretch\n- roll"},
		"status":     {db.StatusPublished},
		"publish_at": {""},
	}
	for i := 0; i+1 < len(fields); i += 2 {
		f.Set(fields[i], fields[i+1])
	}
	return f
}

// savedID is the id of the article a save redirected to.
func savedID(t *testing.T, res response) int64 {
	t.Helper()
	wantStatus(t, res, http.StatusSeeOther)
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.Path, articlesPath+"/") {
		t.Fatalf("saving went to %q, want the article's editor", res.Header.Get("Location"))
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc.Path, articlesPath+"/"), 10, 64)
	if err != nil {
		t.Fatalf("saving went to %q, want the article's editor", loc)
	}
	p, err := db.PostByID(context.Background(), seededDB(t), id)
	if err != nil {
		t.Fatalf("the saved article: %v", err)
	}
	return p.ID
}

func storedPost(t *testing.T, id int64) db.Post {
	t.Helper()
	p, err := db.PostByID(context.Background(), seededDB(t), id)
	if err != nil {
		t.Fatalf("PostByID(%d): %v", id, err)
	}
	return p
}

// The list has every article — drafts, scheduled and published — with its
// status, date and comments, each linking to its editor.
func TestAdminArticlesListsEveryArticle(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	pub := savePost(t, db.Post{Title: "Published " + unique()})
	draft := savePost(t, db.Post{Title: "Draft " + unique(), Status: db.StatusDraft})
	later := savePost(t, db.Post{Title: "Later " + unique(), Status: db.StatusScheduled, PublishedAt: ptr(time.Now().AddDate(0, 0, 3))})

	res := cl.get(t, articlesPath)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("nav a[href=/admin/articles][aria-current=page]"),
		in("a[href=/admin/articles/new]"),
		in("tr#article-"+itoa(pub.ID)+".is-published", hasText(pub.Title), hasText("Published"), hasText(pub.PublishedAt.In(views.London).Format("2 January 2006"))),
		in("tr#article-"+itoa(draft.ID)+".is-draft", hasText(draft.Title), hasText("Draft")),
		in("tr#article-"+itoa(later.ID)+".is-scheduled", hasText(later.Title), hasText("Scheduled"), hasText("goes live")),
		in("a[href=/admin/articles/"+itoa(draft.ID)+"]", hasText(draft.Title)),
		in("a[href=/blog/"+pub.Slug+"]"),
		notIn("a[href=/blog/"+draft.Slug+"]"),
	)
	if strings.Index(res.body, later.Title) > strings.Index(res.body, pub.Title) {
		t.Error("the list is not newest first: the scheduled article comes after last year's")
	}
	noServerErrors(t, s)
}

// Publishing a new article puts it on the blog, the home page, the feed and
// the sitemap at once (no waiting for caches), with an address made from its
// title and tags cleaned up.
func TestAdminArticlePublishAppearsEverywhereAtOnce(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	reader := s.client(t)
	// The reader's pages are cached before the article exists.
	wantStatus(t, reader.get(t, "/blog"), http.StatusOK)
	wantStatus(t, reader.get(t, "/"), http.StatusOK)

	form := cl.get(t, articlesPath+"/new")
	wantStatus(t, form, http.StatusOK)
	checkHTML(t, form.body,
		in("form[action=/admin/articles][hx-post=/admin/articles/preview]", hasAttr("hx-trigger", "input changed delay:400ms"),
			in("input[name=title]"), in("input[name=slug]"), in("textarea[name=summary]"),
			in("input[name=tags]"), in("textarea[name=body]"), in("input[name=status][value=draft][checked]"),
			in("input[name=publish_at][type=datetime-local]"), in("button[name=preview]")),
		in("#article-preview"),
	)

	title := "Hamstrings & Runners: " + unique()
	f := articleFields("title", title)
	id := savedID(t, cl.post(t, articlesPath, f))
	p := storedPost(t, id)
	if want := suggestSlug(title); p.Slug != want || !strings.HasPrefix(p.Slug, "hamstrings-runners-") {
		t.Errorf("slug = %q, want %q from the title", p.Slug, want)
	}
	if strings.Join(p.Tags, "|") != "running|hamstrings" || p.Status != db.StatusPublished ||
		p.PublishedAt == nil || time.Since(*p.PublishedAt) > time.Minute || p.Author != "Clare" || p.ReadingMinutes != 1 {
		t.Errorf("saved %+v", p)
	}
	if !strings.Contains(p.BodyHTML, `<h2 id="why-they-tighten">`) || !strings.Contains(p.BodyText, "Long runs – and") {
		t.Errorf("the body was not rendered like the seed's: %q / %q", p.BodyHTML, p.BodyText)
	}

	edit := cl.get(t, articlesPath+"/"+itoa(id)+"?saved=published")
	checkHTML(t, edit.body, in("[role=status]", hasText("It is on the blog"), in("a[href=/blog/"+p.Slug+"]")))

	checkHTML(t, reader.get(t, "/blog").body, in("a[href=/blog/"+p.Slug+"]"))
	checkHTML(t, reader.get(t, "/").body, in("a[href=/blog/"+p.Slug+"]"))
	article := reader.get(t, "/blog/"+p.Slug)
	wantStatus(t, article, http.StatusOK)
	checkHTML(t, article.body, in("h1", hasText(title)), in(".article-body h2#why-they-tighten"))
	found := false
	for _, e := range getFeed(t, s).Entries {
		found = found || e.link("alternate") == httpBase+"/blog/"+p.Slug
	}
	if !found {
		t.Error("the new article is not in the feed")
	}
	if sm := s.get(t, "/sitemap.xml"); !strings.Contains(sm.body, "<loc>"+httpBase+"/blog/"+p.Slug+"</loc>") {
		t.Error("the new article is not in the sitemap")
	}
	noServerErrors(t, s)
}

// A draft is saved for her eyes only.
func TestAdminArticleDraftStaysPrivate(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	id := savedID(t, cl.post(t, articlesPath, articleFields("status", db.StatusDraft, "body", "")))
	p := storedPost(t, id)
	if p.Status != db.StatusDraft || p.PublishedAt != nil {
		t.Errorf("saved %s, published %v; want a draft", p.Status, p.PublishedAt)
	}
	wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusNotFound)
	checkHTML(t, cl.get(t, articlesPath+"/"+itoa(id)+"?saved=draft").body,
		in("[role=status]", hasText("only you can see it")),
		in("input[name=status][value=draft][checked]"))
	noServerErrors(t, s)
}

// Mistakes come back next to their fields with 422, with everything she
// typed still there, and nothing is saved.
func TestAdminArticleValidationKeepsEverything(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	taken := savePost(t, db.Post{})
	body := "## Kept\n\nEvery <word> & line\nstays."
	cases := []struct {
		name    string
		fields  []string
		field   string
		message string
	}{
		{"no title", []string{"title", "  "}, "title", "Please give the article a title"},
		{"bad slug", []string{"slug", "Back Pain!"}, "slug", "lower-case letters and digits"},
		{"taken slug", []string{"slug", taken.Slug}, "slug", "Another article has this address"},
		{"empty body published", []string{"body", " "}, "body", "Please write the article"},
		{"scheduled without a time", []string{"status", db.StatusScheduled}, "publish_at", "Please give the date and time"},
		{"scheduled in the past", []string{"status", db.StatusScheduled, "publish_at", "2024-01-01T09:00"}, "publish_at", "That time has passed"},
		{"scheduled at a time the clocks skip", []string{"status", db.StatusScheduled, "publish_at", "2099-03-29T01:30"}, "publish_at", "clocks go forward"},
		{"scheduled at nonsense", []string{"status", db.StatusScheduled, "publish_at", "soon"}, "publish_at", "such as"},
		{"unknown status", []string{"status", "live"}, "status", "Please choose draft, scheduled or published"},
		{"too many tags", []string{"tags", "a,b,c,d,e,f,g,h,i,j,k"}, "tags", "at most 10 tags"},
		{"tag too long", []string{"tags", strings.Repeat("x", 41)}, "tags", "under 40 characters"},
		{"summary too long", []string{"summary", strings.Repeat("x", 301)}, "summary", "a sentence or two"},
		{"body too long", []string{"body", strings.Repeat("word ", maxArticleChars/5+1)}, "body", "too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			title := "Kept title " + unique()
			fields := append([]string{"title", title, "body", body, "tags", "calves, recovery"}, c.fields...)
			f := articleFields(fields...)
			res := cl.post(t, articlesPath, f)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			id := "f-" + strings.ReplaceAll(c.field, "_", "-")
			if c.field != "status" { // a fieldset of radio buttons
				checkHTML(t, res.body, in("#"+id+"[aria-invalid=true]"))
			}
			checkHTML(t, res.body,
				in("#"+id+"-error", hasText(c.message)),
				in("textarea[name=summary]", hasText(f.Get("summary"))),
				in("input[name=tags]", hasAttr("value", strings.TrimSpace(f.Get("tags")))),
				in("#article-preview"),
			)
			if f.Get("body") == body && !strings.Contains(res.body, html.EscapeString(body)) {
				t.Errorf("the body she typed is not kept exactly:\n%.2000s", res.body)
			}
			if c.field != "title" {
				checkHTML(t, res.body, in("input[name=title]", hasAttr("value", title)))
			}
		})
	}
	noServerErrors(t, s)
}

// Changing a published article's address keeps the old one working: a 301
// to the new one, even for a reader whose page was cached.
func TestAdminArticleRenameKeepsOldLinks(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	p := savePost(t, db.Post{BodyMD: "Old words."})
	reader := s.client(t)
	wantStatus(t, reader.get(t, "/blog/"+p.Slug), http.StatusOK) // cached

	edit := cl.get(t, articlesPath+"/"+itoa(p.ID))
	wantStatus(t, edit, http.StatusOK)
	checkHTML(t, edit.body,
		in("form[action=/admin/articles/"+itoa(p.ID)+"]"),
		in("input[name=slug]", hasAttr("value", p.Slug)),
		in("#f-slug-hint", hasText("keeps the old address working")),
		in("input[name=status][value=published][checked]"),
		in("#article-preview .article-body", hasText("Old words.")))

	newSlug := "renamed-" + unique()
	f := articleFields("title", p.Title, "slug", newSlug, "body", "New words.")
	if id := savedID(t, cl.post(t, articlesPath+"/"+itoa(p.ID), f)); id != p.ID {
		t.Fatalf("saving an edit made article %d, want %d", id, p.ID)
	}
	now := storedPost(t, p.ID)
	if !now.PublishedAt.Equal(*p.PublishedAt) {
		t.Errorf("an edit moved the publication date from %v to %v", p.PublishedAt, now.PublishedAt)
	}
	old := reader.get(t, "/blog/"+p.Slug)
	wantStatus(t, old, http.StatusMovedPermanently)
	if loc := old.Header.Get("Location"); loc != "/blog/"+newSlug {
		t.Errorf("the old address moves to %q, want /blog/%s", loc, newSlug)
	}
	checkHTML(t, reader.get(t, "/blog/"+newSlug).body, in(".article-body", hasText("New words.")))
	noServerErrors(t, s)
}

// A scheduled article stays off the blog until its time, then is public;
// saving it again with its time unchanged is fine even once that time has
// passed.
func TestAdminArticleSchedule(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	at := time.Now().In(views.London).AddDate(0, 0, 2).Truncate(time.Minute)
	f := articleFields("status", db.StatusScheduled, "publish_at", at.Format(publishAtLayout))
	id := savedID(t, cl.post(t, articlesPath, f))
	p := storedPost(t, id)
	if p.Status != db.StatusScheduled || !p.PublishedAt.Equal(at) {
		t.Fatalf("saved %s at %v, want scheduled at %v", p.Status, p.PublishedAt, at)
	}
	wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusNotFound)
	for _, e := range getFeed(t, s).Entries {
		if strings.HasSuffix(e.link("alternate"), "/blog/"+p.Slug) {
			t.Error("a scheduled article is in the feed before its time")
		}
	}
	edit := cl.get(t, articlesPath+"/"+itoa(id)+"?saved=scheduled")
	checkHTML(t, edit.body,
		in("[role=status]", hasText("It will be published on "+at.Format("2 January 2006 at 15:04"))),
		in("input[name=status][value=scheduled][checked]"),
		in("input[name=publish_at]", hasAttr("value", at.Format(publishAtLayout))))

	// Its time comes (moved into the past here), and an edit keeps it.
	past := time.Now().Add(-time.Hour).Truncate(time.Minute)
	if _, err := seededDB(t).NewRaw("UPDATE posts SET published_at = ? WHERE id = ?", past, id).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.h.contentChanged()
	wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusOK)
	checkHTML(t, cl.get(t, articlesPath+"/"+itoa(id)).body, in("input[name=status][value=published][checked]"))
	f = articleFields("title", p.Title, "slug", p.Slug, "status", db.StatusScheduled, "publish_at", past.In(views.London).Format(publishAtLayout))
	savedID(t, cl.post(t, articlesPath+"/"+itoa(id), f))
	if now := storedPost(t, id); !now.PublishedAt.Equal(past) {
		t.Errorf("published at %v after the edit, want %v", now.PublishedAt, past)
	}
	noServerErrors(t, s)
}

// Setting a published article back to draft takes it off the blog and the
// feed at once.
func TestAdminArticleUnpublish(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	p := savePost(t, db.Post{})
	wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusOK)
	f := articleFields("title", p.Title, "slug", p.Slug, "status", db.StatusDraft)
	savedID(t, cl.post(t, articlesPath+"/"+itoa(p.ID), f))
	wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusNotFound)
	for _, e := range getFeed(t, s).Entries {
		if strings.HasSuffix(e.link("alternate"), "/blog/"+p.Slug) {
			t.Error("an unpublished article is still in the feed")
		}
	}
	noServerErrors(t, s)
}

// The editor's addresses for an article that is not there are 404s.
func TestAdminArticleUnknown(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	wantStatus(t, cl.get(t, articlesPath+"/99999999"), http.StatusNotFound)
	wantStatus(t, cl.get(t, articlesPath+"/x"), http.StatusNotFound)
	wantStatus(t, cl.post(t, articlesPath+"/99999999", articleFields()), http.StatusNotFound)
}

// An article longer than the rest of the site's forms allow (64K) still
// saves: the editor has its own limit.
func TestAdminArticleLongBodySaves(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	body := strings.Repeat("Stretch your calves after every long run, & hold it.\n\n", 1500) // ~80K, more encoded
	id := savedID(t, cl.post(t, articlesPath, articleFields("body", body, "status", db.StatusDraft)))
	if p := storedPost(t, id); p.ReadingMinutes < 30 {
		t.Errorf("reading time %d min for ~15,000 words", p.ReadingMinutes)
	}
	noServerErrors(t, s)
}

// The preview renders Markdown exactly as the article page will (headings
// with ids, typographic punctuation), and never lets raw HTML or script
// links through.
func TestPreviewRendersMarkdownNotHTML(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	f := url.Values{
		"title": {"Calf Pain & You"},
		"body": {"## Warm up first\n\nIt's *easy* -- really.\n\n<script>alert(1)</script>\n\n<b onclick=\"x()\">bold</b> " +
			"[click](javascript:alert(1)) <img src=x onerror=alert(1)> [other site](https://example.org/)"},
	}
	res := cl.post(t, articlesPath+"/preview", f, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	if strings.Contains(res.body, "<html") || strings.Contains(res.body, "<body") {
		t.Fatalf("htmx got a whole page, want the preview pane:\n%.500s", res.body)
	}
	checkHTML(t, res.body,
		in("section#article-preview",
			in(".preview-title", hasText("Calf Pain & You")),
			in("p", hasText("/blog/calf-pain-you")),
			in(".article-body h2#warm-up-first", hasText("Warm up first")),
			in(".article-body em", hasText("easy")),
			in(".article-body p", hasText("It’s easy – really.")),
			in("a[href=https://example.org/][rel=noopener]")),
		notIn("script"), notIn("b"), notIn("img"), notIn("[onclick]"), notIn("a[href^=javascript]"),
	)
	noServerErrors(t, s)
}

// Without JavaScript, the Preview button shows the whole editor with the
// preview, keeps what she typed, and saves nothing.
func TestPreviewButtonWithoutJavaScript(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	title := "Preview only " + unique()
	f := articleFields("title", title, "body", "## A heading\n\nText.", "preview", "1")
	res := cl.post(t, articlesPath, f)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("form[action=/admin/articles] input[name=title]", hasAttr("value", title)),
		in("#article-preview .article-body h2#a-heading"),
		notIn(".field-error"))
	posts, err := db.AllPosts(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range posts {
		if p.Title == title {
			t.Error("previewing saved the article")
		}
	}
	noServerErrors(t, s)
}

// Addresses suggested from titles are valid slugs.
func TestAdminArticleSlugSuggestion(t *testing.T) {
	for title, want := range map[string]string{
		"Sports Massage for Lower Back Pain: Relief and Recovery": "sports-massage-for-lower-back-pain-relief-and-recovery",
		"Clare’s café — après-ski recovery!":                      "clares-cafe-apres-ski-recovery",
		"  10 stretches  ":                "10-stretches",
		"Ωμέγα":                           "",
		strings.Repeat("long words ", 20): strings.TrimSuffix(strings.Repeat("long-words-", 9), "-"),
	} {
		got := suggestSlug(title)
		if got != want {
			t.Errorf("suggestSlug(%q) = %q, want %q", title, got, want)
		}
		if got != "" && (!slugPattern.MatchString(got) || len(got) > maxSlugChars) {
			t.Errorf("suggestSlug(%q) = %q, not a valid slug", title, got)
		}
	}
}
