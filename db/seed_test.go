package db_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/html"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/markdown"
)

func count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := dbtest.DB(t).QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedIsRepeatableAndKeepsEdits(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "services", "business_settings")

	for i := range 2 {
		if err := db.Seed(ctx, bdb); err != nil {
			t.Fatalf("Seed #%d: %v", i+1, err)
		}
		if n := count(t, "business_settings"); n != 1 {
			t.Errorf("after Seed #%d: %d business rows, want 1", i+1, n)
		}
		if n := count(t, "services"); n != 3 {
			t.Errorf("after Seed #%d: %d services, want 3", i+1, n)
		}
	}

	// The therapist edits her phone number and a price; seeding again must
	// not put the example values back.
	if _, err := bdb.ExecContext(ctx, "UPDATE business_settings SET phone = '07700 900123', is_example = false"); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.ExecContext(ctx, "UPDATE services SET price_pence = 4200 WHERE slug = 'sports-massage-60'"); err != nil {
		t.Fatal(err)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	b, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if b.Phone != "07700 900123" || b.IsExample {
		t.Errorf("after re-seeding: phone %q, is_example %v; want the edited 07700 900123, false", b.Phone, b.IsExample)
	}
	var price int
	if err := bdb.QueryRowContext(ctx, "SELECT price_pence FROM services WHERE slug = 'sports-massage-60'").Scan(&price); err != nil {
		t.Fatal(err)
	}
	if price != 4200 {
		t.Errorf("after re-seeding: price %d, want the edited 4200", price)
	}
}

func TestGetBusinessReturnsTheSeededExample(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "services", "business_settings")

	before, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatalf("GetBusiness before anything is saved: %v", err)
	}
	if diff := cmp.Diff(db.KnownBusiness, before); diff != "" {
		t.Errorf("before anything is saved GetBusiness should be what the practice's article says (-want +got):\n%s", diff)
	}
	if before.Phone != "" || before.Email != "" || before.IsExample {
		t.Errorf("the known facts must not invent contact details: %+v", before)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	want := db.Business{
		ID:        1,
		Name:      "Dynamic Motion Sports Therapy",
		Phone:     "01480 000000",
		Email:     "hello@example.com",
		Locality:  "St Ives",
		Region:    "Cambridgeshire",
		Postcode:  "PE27 0XX",
		IsExample: true,
		// Comments appear at once until the therapist chooses otherwise.
		CommentModeration: db.ModerationOff,
	}
	opts := cmpopts.IgnoreFields(db.Business{},
		"Tagline", "Intro", "About", "StreetAddress", "MobileArea", "HoursSummary", "UpdatedAt")
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("GetBusiness (-want +got):\n%s", diff)
	}
	for field, v := range map[string]string{
		"Tagline": got.Tagline, "Intro": got.Intro, "About": got.About,
		"StreetAddress": got.StreetAddress, "MobileArea": got.MobileArea, "HoursSummary": got.HoursSummary,
	} {
		if v == "" {
			t.Errorf("seeded business has an empty %s", field)
		}
	}
	// updated_at defaults to now(): the seed must not write a zero time.
	if age := time.Since(got.UpdatedAt); age < -time.Minute || age > time.Hour {
		t.Errorf("seeded business UpdatedAt = %v, want about now", got.UpdatedAt)
	}

	services, err := db.ListActiveServices(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		if !s.IsExample || !s.Active || !s.AtStudio || !s.Mobile {
			t.Errorf("seeded service %s: example %v active %v studio %v mobile %v, want all true",
				s.Slug, s.IsExample, s.Active, s.AtStudio, s.Mobile)
		}
	}
}

func TestListActiveServicesInDisplayOrder(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "services")
	if _, err := bdb.ExecContext(ctx, `
		INSERT INTO services (slug, name, duration_min, price_pence, sort_order, active) VALUES
		('ninety', 'Ninety', 90, 7000, 30, true),
		('thirty', 'Thirty', 30, 3000, 10, true),
		('retired', 'Retired', 45, 4000, 5, false),
		('sixty', 'Sixty', 60, 5000, 20, true),
		('also-ten', 'Also ten', 30, 3100, 10, true)`); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListActiveServices(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, s := range got {
		slugs = append(slugs, s.Slug)
	}
	// sort_order first, then insertion (id) order; inactive left out.
	want := []string{"thirty", "also-ten", "sixty", "ninety"}
	if diff := cmp.Diff(want, slugs); diff != "" {
		t.Errorf("ListActiveServices order (-want +got):\n%s", diff)
	}
	if len(got) > 0 {
		first := got[0]
		if first.Name != "Thirty" || first.DurationMin != 30 || first.PricePence != 3000 || first.CreatedAt.IsZero() {
			t.Errorf("first service read back as %+v", first)
		}
	}

	dbtest.Truncate(t, "services")
	got, err = db.ListActiveServices(ctx, bdb)
	if err != nil || len(got) != 0 {
		t.Errorf("ListActiveServices with no services = %v, %v; want none, nil", got, err)
	}
}

func TestAdminPassword(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "admins")

	if _, err := db.AdminPasswordHash(ctx, bdb, "ther@example.com"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("AdminPasswordHash of an unknown email: err = %v, want sql.ErrNoRows", err)
	}
	if err := db.SetAdminPassword(ctx, bdb, "Ther@Example.com", "hash-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(ctx, bdb, "ther@example.com", "hash-2"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "admins"); n != 1 {
		t.Errorf("%d admin rows, want 1 (emails compare case-insensitively)", n)
	}
	for _, email := range []string{"ther@example.com", "THER@EXAMPLE.COM", "Ther@Example.com"} {
		hash, err := db.AdminPasswordHash(ctx, bdb, email)
		if err != nil || hash != "hash-2" {
			t.Errorf("AdminPasswordHash(%q) = %q, %v; want hash-2", email, hash, err)
		}
	}
	if _, err := db.AdminPasswordHash(ctx, bdb, "someone@example.com"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("AdminPasswordHash of another email: err = %v, want sql.ErrNoRows", err)
	}

	// Functions take bun.IDB: inside a rolled-back transaction nothing sticks.
	tx, err := bdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(ctx, tx, "ther@example.com", "hash-3"); err != nil {
		t.Fatal(err)
	}
	if hash, _ := db.AdminPasswordHash(ctx, tx, "ther@example.com"); hash != "hash-3" {
		t.Errorf("inside the transaction: hash %q, want hash-3", hash)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if hash, _ := db.AdminPasswordHash(ctx, bdb, "ther@example.com"); hash != "hash-2" {
		t.Errorf("after rollback: hash %q, want hash-2", hash)
	}
}

// seedArticle is one file of seed/posts as it is on disk.
type seedArticle struct {
	file string
	doc  markdown.Document
}

// seedArticles parses every file in seed/posts (the folder db.Seed embeds).
func seedArticles(t *testing.T) []seedArticle {
	t.Helper()
	files, err := filepath.Glob("seed/posts/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no articles in seed/posts")
	}
	var out []seedArticle
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := markdown.ParseDocument(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, seedArticle{f, doc})
	}
	return out
}

func TestSeedLoadsEveryArticleOnce(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "posts", "services", "business_settings")
	articles := seedArticles(t)

	embedded, err := db.SeedPosts()
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, inBinary []string
	for _, a := range articles {
		onDisk = append(onDisk, a.doc.Slug)
	}
	for _, p := range embedded {
		inBinary = append(inBinary, p.Slug)
	}
	if diff := cmp.Diff(onDisk, inBinary); diff != "" {
		t.Errorf("SeedPosts slugs vs the files in seed/posts (-disk +SeedPosts):\n%s", diff)
	}

	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	var first []db.Post
	if err := bdb.NewSelect().Model(&first).Order("slug").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	// Readers like an article between two deployments; the next seed must
	// neither copy the article nor lose the like.
	if _, err := db.AddLike(ctx, bdb, first[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatalf("second Seed: %v", err)
	}

	if n := count(t, "posts"); n != len(articles) {
		t.Errorf("%d posts after seeding twice, want %d (one per file)", n, len(articles))
	}
	for _, a := range articles {
		var n int
		if err := bdb.QueryRowContext(ctx, "SELECT count(*) FROM posts WHERE slug = ?", a.doc.Slug).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: %d rows with slug %s, want 1", a.file, n, a.doc.Slug)
		}
	}
	var second []db.Post
	if err := bdb.NewSelect().Model(&second).Order("slug").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(second) != len(first) {
		t.Fatalf("%d posts after the second seed, %d after the first", len(second), len(first))
	}
	for i, p := range second {
		if p.ID != first[i].ID || !p.UpdatedAt.Equal(first[i].UpdatedAt) {
			t.Errorf("%s: re-seeding changed id %d→%d or updated_at %v→%v; an unchanged file must change nothing",
				p.Slug, first[i].ID, p.ID, first[i].UpdatedAt, p.UpdatedAt)
		}
	}
	if second[0].Likes != 1 {
		t.Errorf("%s: %d likes after re-seeding, want the 1 it had", second[0].Slug, second[0].Likes)
	}

	// A row older than its file (the file changed since the last deploy) is
	// brought up to date by the next seed.
	if _, err := bdb.ExecContext(ctx, "UPDATE posts SET title = 'Stale', body_md = 'Stale.', body_html = '<p>Stale.</p>'"); err != nil {
		t.Fatal(err)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatalf("third Seed: %v", err)
	}
	for _, a := range articles {
		var title, body string
		if err := bdb.QueryRowContext(ctx, "SELECT title, body_md FROM posts WHERE slug = ?", a.doc.Slug).Scan(&title, &body); err != nil {
			t.Fatal(err)
		}
		if title != a.doc.Title || body != a.doc.Body {
			t.Errorf("%s: after re-seeding a stale row: title %q, body %.30q…; want the file's", a.file, title, body)
		}
	}
}

// h2s returns the id and text of every <h2> in an HTML fragment.
func h2s(t *testing.T, fragment string) (ids, texts []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(fragment))
	if err != nil {
		t.Fatal(err)
	}
	var text func(*html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "h2" {
			id := ""
			for _, a := range n.Attr {
				if a.Key == "id" {
					id = a.Val
				}
			}
			ids = append(ids, id)
			texts = append(texts, text(n))
		}
	}
	return ids, texts
}

// markdownH2s returns the text of every "## " heading of Markdown, as a
// reader sees it (typographic punctuation applied), skipping fenced code.
func markdownH2s(body string) []string {
	var out []string
	fenced := false
	for line := range strings.Lines(body) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			continue
		}
		if !fenced && strings.HasPrefix(line, "## ") {
			out = append(out, markdown.Plain(line))
		}
	}
	return out
}

var headingID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// The practice's first article, as the site shows it after seeding.
func TestSeededLowerBackPainArticle(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "posts")
	const slug = "sports-massage-for-lower-back-pain"
	var want markdown.Document
	for _, a := range seedArticles(t) {
		if a.doc.Slug == slug {
			want = a.doc
		}
	}
	if want.Slug == "" {
		t.Fatalf("no file in seed/posts has slug %s", slug)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}

	p, err := db.PostBySlug(ctx, bdb, slug)
	if err != nil {
		t.Fatalf("PostBySlug(%s) after seeding: %v", slug, err)
	}
	if p.Status != db.StatusPublished {
		t.Errorf("status %q, want published", p.Status)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	if y, m, d := p.Published().In(london).Date(); y != 2024 || m != time.July || d != 16 {
		t.Errorf("published %v, which is %d-%02d-%02d in London; want 16 July 2024", p.Published(), y, m, d)
	}
	// Feeds and the sitemap show when it last changed: the front matter's
	// updated date, or its publication, never the day it was seeded.
	wantModified := want.Updated
	if wantModified.IsZero() {
		wantModified = want.Published
	}
	if !p.Modified().Equal(wantModified) || !p.Published().Equal(want.Published) {
		t.Errorf("published %v, modified %v; want %v, %v from the front matter", p.Published(), p.Modified(), want.Published, wantModified)
	}
	if p.Title != want.Title || p.Summary != want.Summary || p.Author != want.Author {
		t.Errorf("title %q, summary %q, author %q; want the front matter's %q, %q, %q",
			p.Title, p.Summary, p.Author, want.Title, want.Summary, want.Author)
	}
	if diff := cmp.Diff(want.Tags, p.Tags, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("tags (-front matter +db):\n%s", diff)
	}
	if p.ReadingMinutes < 1 {
		t.Errorf("reading time %d minutes, want at least 1", p.ReadingMinutes)
	}
	if p.BodyMD != want.Body || p.BodyText == "" {
		t.Errorf("body_md differs from the file's body, or body_text is empty (%d characters)", len(p.BodyText))
	}

	headings := markdownH2s(want.Body)
	if len(headings) == 0 {
		t.Fatal("the article file has no ## headings")
	}
	ids, texts := h2s(t, p.BodyHTML)
	if diff := cmp.Diff(headings, texts); diff != "" {
		t.Errorf("<h2>s in body_html vs ## headings in the file (-file +html):\n%s", diff)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if !headingID.MatchString(id) || seen[id] {
			t.Errorf("<h2> %q has id %q; want a unique lower-case-with-hyphens id", texts[i], id)
		}
		seen[id] = true
	}

	// It is found by the words its readers would type.
	for _, q := range []string{"lower back pain", `"sports massage"`, "myofascial"} {
		res, err := db.SearchPosts(ctx, bdb, q, 1, 10)
		if err != nil || len(res.Hits) != 1 || res.Hits[0].Slug != slug {
			t.Errorf("SearchPosts(%q) = %v, %v; want the article", q, hitSlugs(res.Hits), err)
		}
	}
}

// The therapist edits the seeded article, renames it, or renames it as a
// draft: seeding again (every `go run .` does) neither undoes her edit nor
// makes a second copy under the file's slug, and a public article's old
// slug still leads to it.
func TestSeedKeepsTheTherapistsArticleEdits(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "posts")
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	const slug = "sports-massage-for-lower-back-pain"
	seeded, err := db.PostBySlug(ctx, bdb, slug)
	if err != nil {
		t.Fatal(err)
	}
	n := count(t, "posts")
	edit := func(change func(p *db.Post)) {
		t.Helper()
		p, err := db.PostByID(ctx, bdb, seeded.ID)
		if err != nil {
			t.Fatal(err)
		}
		opened := p.UpdatedAt
		change(&p)
		if err := db.UpdatePost(ctx, bdb, &p, opened); err != nil {
			t.Fatal(err)
		}
		if err := db.Seed(ctx, bdb); err != nil {
			t.Fatal(err)
		}
		if got := count(t, "posts"); got != n {
			t.Errorf("%d posts after seeding again, want %d", got, n)
		}
	}

	edit(func(p *db.Post) { p.Title = "Her own title" })
	if got, _ := db.PostByID(ctx, bdb, seeded.ID); got.Title != "Her own title" {
		t.Errorf("after re-seeding her edit the title is %q, want hers", got.Title)
	}

	edit(func(p *db.Post) { p.Slug = "lower-back-pain-and-massage" })
	moved, err := db.PostBySlug(ctx, bdb, slug)
	if !errors.Is(err, db.ErrMoved) || moved.ID != seeded.ID {
		t.Errorf("the seeded slug after a rename: post %d, %v; want a redirect to post %d", moved.ID, err, seeded.ID)
	}

	edit(func(p *db.Post) { p.Status, p.PublishedAt = db.StatusDraft, nil })
	edit(func(p *db.Post) { p.Slug = "back-pain-draft" })
	if got, _ := db.PostByID(ctx, bdb, seeded.ID); got.Slug != "back-pain-draft" || got.Title != "Her own title" {
		t.Errorf("after re-seeding her renamed draft: %q, %q", got.Slug, got.Title)
	}
}
