package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The article tests share the package database: each starts by emptying the
// posts table (and the old slugs with it), so none of them may run in
// parallel.

// past is a fixed point well before any test runs, so that "published" posts
// are public however slow the machine; posts are spaced from it by minutes.
var past = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

// at is a pointer to past plus i minutes, for Post.PublishedAt.
func at(i int) *time.Time {
	t := past.Add(time.Duration(i) * time.Minute)
	return &t
}

// article is a published post with a one-paragraph body; tests adjust the
// fields they care about.
func article(slug, title, body string, published *time.Time, tags ...string) db.Post {
	if tags == nil {
		tags = []string{}
	}
	return db.Post{
		Slug: slug, Title: title, Author: "tester",
		BodyMD: body, BodyHTML: "<p>" + body + "</p>", BodyText: body,
		Tags: tags, Status: db.StatusPublished, PublishedAt: published, ReadingMinutes: 1,
	}
}

// save stores p with SavePost and returns it with its id.
func save(t testing.TB, p db.Post) db.Post {
	t.Helper()
	if err := db.SavePost(context.Background(), dbtest.DB(t), &p); err != nil {
		t.Fatalf("SavePost(%s): %v", p.Slug, err)
	}
	if p.ID == 0 {
		t.Fatalf("SavePost(%s) left the id at 0", p.Slug)
	}
	return p
}

func emptyPosts(t testing.TB) { dbtest.Truncate(t, "posts") }

func slugsOf(posts []db.Post) []string {
	out := []string{}
	for _, p := range posts {
		out = append(out, p.Slug)
	}
	return out
}

func hitSlugs(hits []db.SearchHit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, h.Slug)
	}
	return out
}

func listSlugs(t *testing.T, tag string, page, perPage int) ([]string, bool) {
	t.Helper()
	res, err := db.ListPosts(context.Background(), dbtest.DB(t), tag, page, perPage)
	if err != nil {
		t.Fatalf("ListPosts(tag %q, page %d): %v", tag, page, err)
	}
	return slugsOf(res.Posts), res.More
}

// dbNow is the database's clock, which decides what is public.
func dbNow(t *testing.T) time.Time {
	t.Helper()
	var now time.Time
	if err := dbtest.DB(t).QueryRowContext(context.Background(), "SELECT clock_timestamp()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

func TestListPostsPagesNewestFirst(t *testing.T) {
	emptyPosts(t)
	const n = 23
	// Saved in a shuffled order: the list must sort by publication time,
	// not by id.
	for _, i := range []int{5, 0, 22, 13, 1, 7, 19, 2, 11, 3, 4, 6, 8, 9, 10, 12, 14, 15, 16, 17, 18, 20, 21} {
		save(t, article(fmt.Sprintf("post-%02d", i), fmt.Sprintf("Post %d", i), "Body.", at(i)))
	}
	var want []string
	for i := n - 1; i >= 0; i-- {
		want = append(want, fmt.Sprintf("post-%02d", i))
	}

	for _, tt := range []struct {
		page     int
		want     []string
		wantMore bool
	}{
		{1, want[0:10], true},
		{2, want[10:20], true},
		{3, want[20:23], false},
		{4, []string{}, false},
	} {
		got, more := listSlugs(t, "", tt.page, 10)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("page %d (-want +got):\n%s", tt.page, diff)
		}
		if more != tt.wantMore {
			t.Errorf("page %d: More = %v, want %v", tt.page, more, tt.wantMore)
		}
	}

	// Exactly one page's worth is not followed by an empty "more" page.
	emptyPosts(t)
	for i := range 10 {
		save(t, article(fmt.Sprintf("post-%02d", i), "Post", "Body.", at(i)))
	}
	if got, more := listSlugs(t, "", 1, 10); len(got) != 10 || more {
		t.Errorf("10 posts, 10 a page: got %d posts, More %v; want 10, false", len(got), more)
	}
}

func TestListPostsCarriesListFieldsButNoBodies(t *testing.T) {
	emptyPosts(t)
	saved := save(t, article("knee-pain", "Knee pain", "All about knees.", at(0), "knee", "running"))
	res, err := db.ListPosts(context.Background(), dbtest.DB(t), "", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Posts) != 1 {
		t.Fatalf("got %d posts, want 1", len(res.Posts))
	}
	got := res.Posts[0]
	if got.ID != saved.ID || got.Title != "Knee pain" || got.Author != "tester" ||
		!cmp.Equal(got.Tags, []string{"knee", "running"}) || !got.Published().Equal(*at(0)) {
		t.Errorf("listed post = %+v, want the saved one's id, title, author, tags and time", got)
	}
	if got.BodyHTML != "" || got.BodyMD != "" || got.BodyText != "" {
		t.Errorf("a list loads no bodies, got html %q md %q text %q", got.BodyHTML, got.BodyMD, got.BodyText)
	}
}

func TestListPostsFiltersByTag(t *testing.T) {
	emptyPosts(t)
	save(t, article("knee-old", "Knee", "Body.", at(1), "knee"))
	save(t, article("run-only", "Run", "Body.", at(2), "running"))
	save(t, article("knee-and-run", "Knee and run", "Body.", at(3), "running", "knee"))
	draft := article("knee-draft", "Knee draft", "Body.", nil, "knee")
	draft.Status = db.StatusDraft
	save(t, draft)
	save(t, article("knee-future", "Knee future", "Body.", ptr(time.Now().Add(time.Hour)), "knee"))
	for i := range 11 {
		save(t, article(fmt.Sprintf("ankle-%02d", i), "Ankle", "Body.", at(10+i), "ankle"))
	}

	if got, more := listSlugs(t, "knee", 1, 10); !cmp.Equal(got, []string{"knee-and-run", "knee-old"}) || more {
		t.Errorf("tag knee: %v, More %v; want [knee-and-run knee-old], false", got, more)
	}
	if got, more := listSlugs(t, "running", 1, 10); !cmp.Equal(got, []string{"knee-and-run", "run-only"}) || more {
		t.Errorf("tag running: %v, More %v; want [knee-and-run run-only], false", got, more)
	}
	if got, more := listSlugs(t, "ankle", 1, 10); len(got) != 10 || !more || got[0] != "ankle-10" {
		t.Errorf("tag ankle page 1: %v, More %v; want 10 newest first from ankle-10, More true", got, more)
	}
	if got, more := listSlugs(t, "ankle", 2, 10); !cmp.Equal(got, []string{"ankle-00"}) || more {
		t.Errorf("tag ankle page 2: %v, More %v; want [ankle-00], false", got, more)
	}
	// Tags match whole tags, not parts of them.
	if got, _ := listSlugs(t, "kne", 1, 10); len(got) != 0 {
		t.Errorf("tag kne: %v, want none", got)
	}
	if got, _ := listSlugs(t, "no such tag", 1, 10); len(got) != 0 {
		t.Errorf("unknown tag: %v, want none", got)
	}
}

func ptr[T any](v T) *T { return &v }

// Public means: not a draft, and published at or before the database's now.
// A scheduled post appears by itself once its time comes.
func TestOnlyPublicPostsAreListed(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)

	save(t, article("published", "Published", "Body.", at(1)))
	scheduledPast := article("scheduled-past", "Scheduled, due", "Body.", at(2))
	scheduledPast.Status = db.StatusScheduled
	save(t, scheduledPast)
	draft := article("draft", "Draft", "Body.", nil)
	draft.Status = db.StatusDraft
	save(t, draft)
	datedDraft := article("dated-draft", "Draft with a date", "Body.", at(3))
	datedDraft.Status = db.StatusDraft
	save(t, datedDraft)
	save(t, article("published-future", "Published in the future", "Body.", ptr(time.Now().Add(time.Hour))))

	// The post scheduled "soon" is due one microsecond (the resolution of
	// timestamptz) after the database's now() in the transaction that saves
	// it. now() stands still for a transaction, so inside that one the post
	// is not yet public, and any later transaction starts after its time:
	// no waiting for the clock.
	before := []string{"scheduled-past", "published"}
	if err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var now time.Time
		if err := tx.QueryRowContext(ctx, "SELECT now()").Scan(&now); err != nil {
			return err
		}
		soon := now.Add(time.Microsecond)
		scheduledSoon := article("scheduled-soon", "Scheduled soon", "Body.", &soon)
		scheduledSoon.Status = db.StatusScheduled
		if err := db.SavePost(ctx, tx, &scheduledSoon); err != nil {
			return err
		}
		res, err := db.ListPosts(ctx, tx, "", 1, 10)
		if err != nil {
			return err
		}
		if got := slugsOf(res.Posts); !cmp.Equal(got, before) {
			t.Errorf("before the scheduled time: %v, want %v", got, before)
		}
		if _, err := db.PostBySlug(ctx, tx, "scheduled-soon"); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("PostBySlug(scheduled-soon) before its time: err %v, want sql.ErrNoRows", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	after := []string{"scheduled-soon", "scheduled-past", "published"}
	if got, _ := listSlugs(t, "", 1, 10); !cmp.Equal(got, after) {
		t.Errorf("after the scheduled time: %v, want %v", got, after)
	}
	if p, err := db.PostBySlug(ctx, bdb, "scheduled-soon"); err != nil || p.Slug != "scheduled-soon" {
		t.Errorf("PostBySlug(scheduled-soon) after its time: %q, %v; want the post", p.Slug, err)
	}
	latest, err := db.LatestPosts(ctx, bdb, 2)
	if err != nil || !cmp.Equal(slugsOf(latest), after[:2]) {
		t.Errorf("LatestPosts(2) = %v, %v; want %v", slugsOf(latest), err, after[:2])
	}
	all, err := db.AllPublicPosts(ctx, bdb)
	if err != nil || !cmp.Equal(slugsOf(all), after) {
		t.Errorf("AllPublicPosts = %v, %v; want %v", slugsOf(all), err, after)
	}
	for _, p := range all {
		if p.BodyHTML == "" {
			t.Errorf("AllPublicPosts: %s has no body (the feed needs it)", p.Slug)
		}
	}
}

// searchCorpus is a handful of public articles, a draft and a future post.
func searchCorpus(t testing.TB) {
	t.Helper()
	emptyPosts(t)
	save(t, article("foam-rolling", "Foam rolling for runners",
		"A foam roller eases tight legs and quads after long runs.", at(1), "recovery"))
	save(t, article("neck-pain-at-work", "Desk work and your neck",
		"Neck pain often starts with a screen set too low. Raise the screen to eye level.", at(2), "posture"))
	save(t, article("pain-in-the-neck", "When training is a pain in the neck",
		"Heavy shrugs can leave the upper back stiff for days.", at(3), "strength"))
	save(t, article("calf-strain", "Calf strain recovery",
		"Rest first, then gentle loading; a roller helps once the calf settles.", at(4), "recovery"))
	draft := article("draft-foam", "Foam roller secrets", "Foam roller secrets nobody tells you.", nil, "recovery")
	draft.Status = db.StatusDraft
	save(t, draft)
	datedDraft := article("dated-draft-foam", "Foam roller secrets, dated", "Foam roller secrets.", at(5))
	datedDraft.Status = db.StatusDraft
	save(t, datedDraft)
	save(t, article("future-foam", "Foam roller secrets of the future",
		"Foam roller secrets.", ptr(time.Now().Add(time.Hour))))
}

func search(t *testing.T, query string, page, perPage int) db.SearchPage {
	t.Helper()
	res, err := db.SearchPosts(context.Background(), dbtest.DB(t), query, page, perPage)
	if err != nil {
		t.Fatalf("SearchPosts(%q): %v", query, err)
	}
	return res
}

func TestSearchPostsUnderstandsWebSearchSyntax(t *testing.T) {
	searchCorpus(t)
	for _, tt := range []struct {
		query string
		want  []string // any order
	}{
		{"roller", []string{"foam-rolling", "calf-strain"}},
		{"ROLLERS", []string{"foam-rolling", "calf-strain"}}, // case and plural do not matter
		{"foam roller", []string{"foam-rolling"}},            // every word must match
		{"neck pain", []string{"neck-pain-at-work", "pain-in-the-neck"}},
		{`"neck pain"`, []string{"neck-pain-at-work"}}, // a phrase: those words in that order
		{"roller -calf", []string{"foam-rolling"}},
		{"neck -desk", []string{"pain-in-the-neck"}},
		{"calf or neck", []string{"calf-strain", "neck-pain-at-work", "pain-in-the-neck"}},
		{"posture", []string{"neck-pain-at-work"}}, // tags are searched
		{"secrets", []string{}},                    // only in drafts and a future post
		{"hamstring", []string{}},
		// Searching as one types: the last word may be unfinished.
		{"rol", []string{"foam-rolling", "calf-strain"}},
		{"foam rol", []string{"foam-rolling"}},
		{"neck pa", []string{"neck-pain-at-work", "pain-in-the-neck"}},
		{"postu", []string{"neck-pain-at-work"}},
		{"roller -cal", []string{"foam-rolling", "calf-strain"}}, // a whole word to leave out, not a prefix
	} {
		res := search(t, tt.query, 1, 10)
		if diff := cmp.Diff(tt.want, hitSlugs(res.Hits), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("SearchPosts(%q) (-want +got):\n%s", tt.query, diff)
		}
		if res.More {
			t.Errorf("SearchPosts(%q): More is true with fewer hits than a page", tt.query)
		}
	}
}

func TestSearchPostsNeverFindsDrafts(t *testing.T) {
	searchCorpus(t)
	for _, q := range []string{"foam roller secrets", "draft", "dated", "future", "secrets -nothing", "foam or secrets"} {
		for _, h := range search(t, q, 1, 10).Hits {
			if h.Slug == "draft-foam" || h.Slug == "dated-draft-foam" || h.Slug == "future-foam" {
				t.Errorf("SearchPosts(%q) found %s, which is not public", q, h.Slug)
			}
		}
	}
}

func TestSearchPostsRanksTitleMatchesAboveBodyMatches(t *testing.T) {
	emptyPosts(t)
	// The body match is newer, so only the rank can put the title match first.
	save(t, article("hamstring-title", "Hamstring stretches that help",
		"Gentle stretching after a run keeps the back of the thigh supple and happy.", at(1)))
	save(t, article("hamstring-body", "Warming up before a parkrun",
		"A short jog and a few leg swings wake up the hamstring before the start.", at(2)))
	res := search(t, "hamstring", 1, 10)
	if diff := cmp.Diff([]string{"hamstring-title", "hamstring-body"}, hitSlugs(res.Hits)); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	if !(res.Hits[0].Rank > res.Hits[1].Rank) {
		t.Errorf("title match rank %v is not above body match rank %v", res.Hits[0].Rank, res.Hits[1].Rank)
	}
}

func TestSearchSnippetsMarkTheMatchedWords(t *testing.T) {
	searchCorpus(t)
	for _, tt := range []struct {
		query, slug string
		marked      []string // words that must appear between the markers
	}{
		{"screen", "neck-pain-at-work", []string{"screen"}},
		{"load", "calf-strain", []string{"loading"}}, // stemmed: the word as written is marked
		{`"neck pain"`, "neck-pain-at-work", []string{"Neck", "pain"}},
	} {
		res := search(t, tt.query, 1, 10)
		if len(res.Hits) != 1 || res.Hits[0].Slug != tt.slug {
			t.Errorf("SearchPosts(%q) = %v, want just %s", tt.query, hitSlugs(res.Hits), tt.slug)
			continue
		}
		s := res.Hits[0].Snippet
		for _, w := range tt.marked {
			if !strings.Contains(s, db.SnippetStart+w+db.SnippetEnd) {
				t.Errorf("SearchPosts(%q) snippet %q does not mark %q", tt.query, s, w)
			}
		}
		if strings.Count(s, db.SnippetStart) != strings.Count(s, db.SnippetEnd) {
			t.Errorf("snippet %q has unbalanced markers", s)
		}
		if strings.Contains(s, "<") {
			t.Errorf("snippet %q contains HTML; it must be plain text with the private markers", s)
		}
	}
}

func TestSearchPostsPages(t *testing.T) {
	emptyPosts(t)
	var all []string
	for i := range 12 {
		p := save(t, article(fmt.Sprintf("tendon-%02d", i), fmt.Sprintf("Tendon note %d", i),
			"Looking after a tendon.", at(i)))
		all = append(all, p.Slug)
	}
	save(t, article("unrelated", "Shoulders", "Nothing about the lower leg.", at(20)))

	var seen []string
	for _, tt := range []struct {
		page, want int
		more       bool
	}{{1, 5, true}, {2, 5, true}, {3, 2, false}, {4, 0, false}} {
		res := search(t, "tendon", tt.page, 5)
		if len(res.Hits) != tt.want || res.More != tt.more {
			t.Errorf("page %d: %d hits, More %v; want %d, %v", tt.page, len(res.Hits), res.More, tt.want, tt.more)
		}
		seen = append(seen, hitSlugs(res.Hits)...)
	}
	// Equal ranks are ordered newest first, so pages neither repeat nor skip.
	slices.Reverse(all)
	if diff := cmp.Diff(all, seen); diff != "" {
		t.Errorf("hits over all pages (-want +got):\n%s", diff)
	}
}

func TestSearchWithoutSearchableWordsFindsNothing(t *testing.T) {
	searchCorpus(t)
	for _, q := range []string{"", "   ", "the", "the and of", "a an the", "or", "-", "--", "!!!", "...",
		"???", `""`, "()", "&|!", "<->", ":*", "—", "-the", `"the of"`} {
		res, err := db.SearchPosts(context.Background(), dbtest.DB(t), q, 1, 10)
		if err != nil {
			t.Errorf("SearchPosts(%q): %v", q, err)
			continue
		}
		if len(res.Hits) != 0 || res.More {
			t.Errorf("SearchPosts(%q) = %v, More %v; want no hits", q, hitSlugs(res.Hits), res.More)
		}
	}
}

// Whatever a visitor types (the handler only drops invalid UTF-8 and caps
// the length) is data, never SQL or tsquery syntax that fails.
func TestSearchPostsTakesHostileInput(t *testing.T) {
	searchCorpus(t)
	before := count(t, "posts")
	for _, q := range []string{
		`'); DROP TABLE posts;--`,
		`' OR '1'='1`,
		`roller' OR 1=1 --`,
		`"unterminated phrase`,
		`"`, `'`, `''`, `\`, `\\`, `\'`, `'\''`, `$1`, `?`, `??`, `$$ $tag$`,
		`roller:*`, `roller & !calf`, `roller | neck`, `foam <-> roller`, `(roller`, `roller)`, `!(neck)`,
		`a:A*B`, `%`, `_`, `*`, "roller\x00calf", "tab\there\nnewline",
		`<script>alert(1)</script>`, `café naïve 東京 🙂`, "\ue000roller\ue001",
		strings.Repeat("x", 5000),               // one word longer than the index takes
		strings.Repeat("roller or -neck ", 300), // long, full of operators
		strings.Repeat(`"neck pain" `, 100),     // phrases cost most: the handler caps queries at 200 characters
		strings.Repeat(`'"\`, 2000),
	} {
		name := q
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		res, err := db.SearchPosts(context.Background(), dbtest.DB(t), q, 1, 10)
		if err != nil {
			t.Errorf("SearchPosts(%q): %v", name, err)
			continue
		}
		for _, h := range res.Hits {
			if h.Status == db.StatusDraft {
				t.Errorf("SearchPosts(%q) found the draft %s", name, h.Slug)
			}
		}
	}
	if got := count(t, "posts"); got != before {
		t.Errorf("posts: %d rows after the searches, %d before", got, before)
	}
	// The search still works afterwards.
	if got := hitSlugs(search(t, "foam roller", 1, 10).Hits); !cmp.Equal(got, []string{"foam-rolling"}) {
		t.Errorf("after hostile input, SearchPosts(foam roller) = %v", got)
	}
}

func TestPostBySlug(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	public := save(t, article("public-post", "Public", "The body.", at(1), "knee"))
	draft := article("draft-post", "Draft", "Draft body.", nil)
	draft.Status = db.StatusDraft
	save(t, draft)

	got, err := db.PostBySlug(ctx, bdb, "public-post")
	if err != nil {
		t.Fatalf("PostBySlug(public-post): %v", err)
	}
	if got.ID != public.ID || got.Title != "Public" || got.BodyHTML != "<p>The body.</p>" || got.BodyMD != "The body." {
		t.Errorf("PostBySlug(public-post) = %+v, want the post with its body", got)
	}
	for _, slug := range []string{"draft-post", "no-such-post", "", "PUBLIC-POST", "public-post-"} {
		if _, err := db.PostBySlug(ctx, bdb, slug); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("PostBySlug(%q): err %v, want sql.ErrNoRows", slug, err)
		}
	}
}

// A renamed post answers to every slug it ever had: the current one
// directly, former ones with ErrMoved and the current slug (the handler
// redirects there).
func TestRenamedPostsKeepTheirOldSlugs(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("first-name", "A post", "Body.", at(1)))
	other := save(t, article("other-post", "Another", "Body.", at(2)))

	// expect checks what each slug answers: "" for sql.ErrNoRows, the
	// current slug otherwise (ErrMoved unless it is the one asked for).
	expect := func(step string, want map[string]string) {
		t.Helper()
		for slug, current := range want {
			got, err := db.PostBySlug(ctx, bdb, slug)
			switch {
			case current == "":
				if !errors.Is(err, sql.ErrNoRows) {
					t.Errorf("%s: PostBySlug(%s) err %v, want sql.ErrNoRows", step, slug, err)
				}
			case current == slug:
				if err != nil || got.ID != p.ID || got.Slug != slug {
					t.Errorf("%s: PostBySlug(%s) = %d %q, %v; want post %d, no error", step, slug, got.ID, got.Slug, err, p.ID)
				}
			default:
				if !errors.Is(err, db.ErrMoved) || got.ID != p.ID || got.Slug != current {
					t.Errorf("%s: PostBySlug(%s) = %d %q, %v; want post %d at %s, ErrMoved", step, slug, got.ID, got.Slug, err, p.ID, current)
				}
			}
		}
	}
	rename := func(slug string) {
		t.Helper()
		if err := db.RenamePost(ctx, bdb, p.ID, slug); err != nil {
			t.Fatalf("RenamePost(%s): %v", slug, err)
		}
		// A slug is either some post's current one or a redirect, never both.
		var clash []string
		if err := bdb.NewRaw("SELECT o.slug FROM post_old_slugs o JOIN posts p ON p.slug = o.slug").Scan(ctx, &clash); err != nil {
			t.Fatal(err)
		}
		if len(clash) > 0 {
			t.Errorf("after RenamePost(%s): %v are current slugs and redirects at once", slug, clash)
		}
	}

	rename("second-name")
	expect("renamed once", map[string]string{"first-name": "second-name", "second-name": "second-name"})
	rename("third-name")
	expect("renamed twice", map[string]string{"first-name": "third-name", "second-name": "third-name", "third-name": "third-name"})
	rename("first-name") // back to where it started
	expect("renamed back", map[string]string{"first-name": "first-name", "second-name": "first-name", "third-name": "first-name"})
	rename("second-name")
	expect("and forth", map[string]string{"first-name": "second-name", "second-name": "second-name", "third-name": "second-name"})
	rename("second-name") // to its own slug: nothing happens
	expect("renamed to itself", map[string]string{"first-name": "second-name", "second-name": "second-name"})

	// Another post's slug is taken: the rename fails and changes nothing.
	if err := db.RenamePost(ctx, bdb, p.ID, other.Slug); err == nil {
		t.Error("RenamePost to another post's current slug succeeded")
	}
	expect("after a refused rename", map[string]string{"first-name": "second-name", "second-name": "second-name", "third-name": "second-name"})
	if got, err := db.PostBySlug(ctx, bdb, other.Slug); err != nil || got.ID != other.ID {
		t.Errorf("the other post after the refused rename: %d, %v", got.ID, err)
	}

	// A former slug may be given to another post: it then answers for that
	// post, and the first post's other former slugs still redirect.
	if err := db.RenamePost(ctx, bdb, other.ID, "third-name"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.PostBySlug(ctx, bdb, "third-name"); err != nil || got.ID != other.ID {
		t.Errorf("third-name, now the other post's slug: post %d, %v; want post %d, no error", got.ID, err, other.ID)
	}
	if got, err := db.PostBySlug(ctx, bdb, "other-post"); !errors.Is(err, db.ErrMoved) || got.Slug != "third-name" {
		t.Errorf("other-post after its rename: %q, %v; want third-name, ErrMoved", got.Slug, err)
	}
	expect("after another post took a former slug", map[string]string{"first-name": "second-name", "second-name": "second-name"})
	// Were the other post unpublished, third-name must not fall back to
	// redirecting to the first post.
	if _, err := bdb.ExecContext(ctx, "UPDATE posts SET status = 'draft', published_at = NULL WHERE id = ?", other.ID); err != nil {
		t.Fatal(err)
	}
	expect("after the other post was unpublished", map[string]string{"third-name": "", "other-post": ""})

	if err := db.RenamePost(ctx, bdb, 999999, "whatever"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("RenamePost of an unknown post: err %v, want sql.ErrNoRows", err)
	}

	// Once the post is a draft again, none of its slugs answer.
	p.Slug, p.Status, p.PublishedAt = "second-name", db.StatusDraft, nil
	save(t, p)
	expect("unpublished", map[string]string{"first-name": "", "second-name": "", "third-name": ""})
}

func TestRelatedPosts(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("the-post", "The post", "Body.", at(5), "knee", "running", "recovery"))
	save(t, article("three-shared-oldest", "3", "Body.", at(1), "recovery", "knee", "running", "ankle"))
	save(t, article("two-shared-old", "2 old", "Body.", at(2), "knee", "running"))
	save(t, article("two-shared-new", "2 new", "Body.", at(3), "running", "recovery"))
	save(t, article("one-shared", "1", "Body.", at(4), "knee"))
	save(t, article("none-newest", "0 newest", "Body.", at(9), "shoulder"))
	save(t, article("none-untagged", "0 untagged", "Body.", at(8)))
	draft := article("draft-all-shared", "Draft", "Body.", nil, "knee", "running", "recovery")
	draft.Status = db.StatusDraft
	save(t, draft)
	save(t, article("future-all-shared", "Future", "Body.", ptr(time.Now().Add(time.Hour)), "knee", "running", "recovery"))

	want := []string{"three-shared-oldest", "two-shared-new", "two-shared-old", "one-shared", "none-newest", "none-untagged"}
	got, err := db.RelatedPosts(ctx, bdb, p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, slugsOf(got)); diff != "" {
		t.Errorf("RelatedPosts (-want +got):\n%s", diff)
	}
	got, err = db.RelatedPosts(ctx, bdb, p, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:3], slugsOf(got)); diff != "" {
		t.Errorf("RelatedPosts(n=3) (-want +got):\n%s", diff)
	}

	// A post without tags gets the most recent ones.
	untagged := article("untagged", "Untagged", "Body.", at(6))
	untagged.Tags = nil
	untagged = save(t, untagged)
	got, err = db.RelatedPosts(ctx, bdb, untagged, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"none-newest", "none-untagged"}, slugsOf(got)); diff != "" {
		t.Errorf("RelatedPosts of an untagged post (-want +got):\n%s", diff)
	}
}

func TestPublicTagsCountOnlyPublicPosts(t *testing.T) {
	emptyPosts(t)
	save(t, article("a", "A", "Body.", at(1), "massage", "recovery"))
	save(t, article("b", "B", "Body.", at(2), "massage"))
	save(t, article("c", "C", "Body.", at(3), "knee"))
	draft := article("d", "D", "Body.", at(4), "massage", "secret")
	draft.Status = db.StatusDraft
	save(t, draft)
	scheduled := article("e", "E", "Body.", ptr(time.Now().Add(time.Hour)), "massage", "coming-soon")
	scheduled.Status = db.StatusScheduled
	save(t, scheduled)

	got, err := db.PublicTags(context.Background(), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []db.TagCount{{Tag: "massage", Count: 2}, {Tag: "knee", Count: 1}, {Tag: "recovery", Count: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PublicTags (-want +got):\n%s", diff)
	}
}

func TestLikesAndViewsCount(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("liked", "Liked", "Body.", at(1)))
	save(t, article("other", "Other", "Body.", at(2)))

	for want := 1; want <= 3; want++ {
		got, err := db.AddLike(ctx, bdb, p.ID)
		if err != nil || got != want {
			t.Errorf("AddLike #%d = %d, %v; want %d", want, got, err, want)
		}
	}
	for range 2 {
		if err := db.AddViews(ctx, bdb, map[int64]int{p.ID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.PostBySlug(ctx, bdb, "liked")
	if err != nil || got.Likes != 3 || got.Views != 2 {
		t.Errorf("after 3 likes and 2 views: likes %d views %d (%v)", got.Likes, got.Views, err)
	}
	if o, _ := db.PostBySlug(ctx, bdb, "other"); o.Likes != 0 || o.Views != 0 {
		t.Errorf("the other post got likes %d views %d, want 0 0", o.Likes, o.Views)
	}
	if _, err := db.AddLike(ctx, bdb, 999999); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("AddLike of an unknown post: err %v, want sql.ErrNoRows", err)
	}
}

// Views are written in batches: one statement adds to several posts, skips
// posts that are gone, and concurrent batches (two instances) add up.
func TestAddViewsAddsBatches(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	a := save(t, article("viewed-a", "A", "Body.", at(1)))
	b := save(t, article("viewed-b", "B", "Body.", at(2)))

	if err := db.AddViews(ctx, bdb, map[int64]int{a.ID: 3, b.ID: 1, 999999: 5}); err != nil {
		t.Fatalf("AddViews with a missing post: %v", err)
	}
	if err := db.AddViews(ctx, bdb, nil); err != nil {
		t.Fatalf("AddViews with nothing to add: %v", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := db.AddViews(ctx, bdb, map[int64]int{a.ID: 2, b.ID: 1}); err != nil {
				t.Errorf("concurrent AddViews: %v", err)
			}
		})
	}
	wg.Wait()
	for slug, want := range map[string]int{"viewed-a": 3 + 16, "viewed-b": 1 + 8} {
		got, err := db.PostBySlug(ctx, bdb, slug)
		if err != nil || got.Views != want {
			t.Errorf("%s: views %d (%v), want %d", slug, got.Views, err, want)
		}
	}
}

// Changing only the author is a change too: the feed and sitemap show it.
func TestSavePostNoticesAuthorChange(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := article("byline", "Byline", "Body.", at(1))
	save(t, p)
	var before time.Time
	if err := bdb.QueryRowContext(ctx, "SELECT updated_at FROM posts WHERE slug = 'byline'").Scan(&before); err != nil {
		t.Fatal(err)
	}
	p.Author = "Someone Else"
	save(t, p)
	var after time.Time
	var author string
	if err := bdb.QueryRowContext(ctx, "SELECT updated_at, author FROM posts WHERE slug = 'byline'").Scan(&after, &author); err != nil {
		t.Fatal(err)
	}
	if author != "Someone Else" || !after.After(before) {
		t.Errorf("after changing the author: author %q, updated_at %v (was %v); want the new author and a later time", author, after, before)
	}
}

// SavePost is how seeding and (later) the editor write posts: an upsert on
// the slug.
func TestSavePostUpsertsBySlug(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	updatedAt := func() time.Time {
		t.Helper()
		var u time.Time
		if err := bdb.QueryRowContext(ctx, "SELECT updated_at FROM posts WHERE slug = 'upsert'").Scan(&u); err != nil {
			t.Fatal(err)
		}
		return u
	}

	p := save(t, article("upsert", "Upsert", "First body.", at(1), "knee"))
	if _, err := db.AddLike(ctx, bdb, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.AddViews(ctx, bdb, map[int64]int{p.ID: 1}); err != nil {
		t.Fatal(err)
	}
	// Pretend the post was last changed long ago, to see whether a save
	// touches updated_at.
	long := time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)
	if _, err := bdb.ExecContext(ctx, "UPDATE posts SET updated_at = ? WHERE id = ?", long, p.ID); err != nil {
		t.Fatal(err)
	}

	again := save(t, article("upsert", "Upsert", "First body.", at(1), "knee"))
	if again.ID != p.ID {
		t.Errorf("second save returned id %d, want the existing %d", again.ID, p.ID)
	}
	if n := count(t, "posts"); n != 1 {
		t.Errorf("%d rows after saving one slug twice, want 1", n)
	}
	if u := updatedAt(); !u.Equal(long) {
		t.Errorf("saving an unchanged post moved updated_at to %v", u)
	}

	changed := article("upsert", "Upsert", "Second body.", at(1), "knee")
	save(t, changed)
	if u := updatedAt(); u.Sub(dbNow(t)).Abs() > time.Minute {
		t.Errorf("after a body change updated_at = %v, want about now", u)
	}
	got, err := db.PostBySlug(ctx, bdb, "upsert")
	if err != nil {
		t.Fatal(err)
	}
	if got.BodyMD != "Second body." || got.BodyHTML != "<p>Second body.</p>" || got.Likes != 1 || got.Views != 1 {
		t.Errorf("after the change: body %q / %q, likes %d, views %d; want the new body and the counts kept",
			got.BodyMD, got.BodyHTML, got.Likes, got.Views)
	}
	if n := count(t, "posts"); n != 1 {
		t.Errorf("%d rows after the change, want 1", n)
	}

	// Counts change only through AddLike and AddViews, never from the struct.
	fresh := article("fresh", "Fresh", "Body.", at(2))
	fresh.Likes, fresh.Views = 7, 9
	save(t, fresh)
	if got, err := db.PostBySlug(ctx, bdb, "fresh"); err != nil || got.Likes != 0 || got.Views != 0 {
		t.Errorf("a new post saved with likes 7, views 9 reads back %d, %d (%v); want 0, 0", got.Likes, got.Views, err)
	}

	// Every field the writer sets is updated.
	if _, err := bdb.ExecContext(ctx, "UPDATE posts SET updated_at = ? WHERE id = ?", long, p.ID); err != nil {
		t.Fatal(err)
	}
	retitled := article("upsert", "New title", "Second body.", at(7), "ankle")
	retitled.Summary, retitled.ReadingMinutes, retitled.Author = "New summary.", 4, "someone else"
	save(t, retitled)
	got, err = db.PostBySlug(ctx, bdb, "upsert")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "New title" || got.Summary != "New summary." || got.ReadingMinutes != 4 ||
		got.Author != "someone else" || !cmp.Equal(got.Tags, []string{"ankle"}) || !got.Published().Equal(*at(7)) {
		t.Errorf("after the second change: %+v", got)
	}
	if u := updatedAt(); u.Equal(long) {
		t.Error("a new title, summary, tags and date did not move updated_at")
	}
}

// A post without tags (nil, as an editor form may leave them) is saved with
// an empty list, not refused by the NOT NULL column.
func TestSavePostWithoutTags(t *testing.T) {
	emptyPosts(t)
	p := article("no-tags", "No tags", "Body.", at(1))
	p.Tags = nil
	save(t, p)
	got, err := db.PostBySlug(context.Background(), dbtest.DB(t), "no-tags")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != 0 {
		t.Errorf("tags = %v, want none", got.Tags)
	}
}
