package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// helpfulPath is the address a comment's Helpful button posts to.
func helpfulPath(slug string, id int64) string {
	return "/blog/" + slug + "/comments/" + strconv.FormatInt(id, 10) + "/helpful"
}

// vote sends a comment's Helpful (up) or its undo from cl's browser.
func vote(t *testing.T, cl *client, slug string, id int64, up bool, headers ...string) response {
	t.Helper()
	v := "1"
	if !up {
		v = "0"
	}
	return cl.post(t, helpfulPath(slug, id), url.Values{"helpful": {v}}, headers...)
}

func helpfulNow(t *testing.T, postID, id int64) int {
	t.Helper()
	c, err := db.CommentByID(context.Background(), seededDB(t), postID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Helpful
}

var helpfulClients int

func (s *testServer) reader(t *testing.T, slug string) *client {
	t.Helper()
	helpfulClients++
	cl := &client{visitor: s.visitor(), ip: fmt.Sprintf("203.0.114.%d", helpfulClients%250+1)}
	wantStatus(t, cl.get(t, "/blog/"+slug), http.StatusOK)
	return cl
}

// Without JavaScript: Helpful posts, comes back to the comment (303) and
// counts once per visitor, who is remembered by a cookie and no session;
// the visitor's page shows it pressed, everyone else's the count only;
// undo takes it back.
func TestHelpfulWithoutJavaScript(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	c := visibleComment(t, p, "Ann", "Stretch after, not before.")
	sessionsBefore := s.store.commits.Load()

	ann := s.reader(t, p.Slug)
	for i := range 2 {
		res := vote(t, ann, p.Slug, c.ID, true)
		wantStatus(t, res, http.StatusSeeOther)
		if loc, want := res.Header.Get("Location"), fmt.Sprintf("/blog/%s#comment-%d", p.Slug, c.ID); loc != want {
			t.Errorf("vote #%d goes to %q, want %q", i+1, loc, want)
		}
		if n := helpfulNow(t, p.ID, c.ID); n != 1 {
			t.Fatalf("after vote #%d from one visitor: %d, want 1", i+1, n)
		}
	}
	ck := ann.cookies[s.h.voterCookieName()]
	if ck == nil || ck.Path != "/blog" || !ck.HttpOnly || ck.MaxAge < 300*24*3600 || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("voter cookie %+v: want a lasting HttpOnly SameSite=Lax cookie for /blog", ck)
	}
	if n := s.store.commits.Load() - sessionsBefore; n != 0 {
		t.Errorf("voting wrote the session store %d times, want 0", n)
	}
	button := fmt.Sprintf("article#comment-%d button.helpful", c.ID)
	mine := ann.get(t, "/blog/"+p.Slug)
	checkHTML(t, mine.body, in(button, hasAttr("aria-pressed", "true"), hasAttr("value", "0"),
		hasAttr("formaction", helpfulPath(p.Slug, c.ID)), hasAttr("form", "helpful-form"), hasText("Helpful 1 for ")),
		in("form#helpful-form", hasAttr("method", "post")))
	if cc := mine.Header.Get("Cache-Control"); strings.Contains(cc, "public") {
		t.Errorf("the voter's page is Cache-Control %q", cc)
	}
	// Someone else: the count, nothing pressed (the shared page).
	bob := s.reader(t, p.Slug)
	checkHTML(t, bob.get(t, "/blog/"+p.Slug).body, in(button, hasAttr("aria-pressed", "false"), hasAttr("value", "1"), hasText("Helpful 1 for ")))
	wantStatus(t, vote(t, bob, p.Slug, c.ID, true), http.StatusSeeOther)
	if n := helpfulNow(t, p.ID, c.ID); n != 2 {
		t.Errorf("two visitors: %d, want 2", n)
	}
	// Undo: only Ann's, once.
	for range 2 {
		wantStatus(t, vote(t, ann, p.Slug, c.ID, false), http.StatusSeeOther)
		if n := helpfulNow(t, p.ID, c.ID); n != 1 {
			t.Fatalf("after Ann's undo: %d, want 1", n)
		}
	}
	checkHTML(t, ann.get(t, "/blog/"+p.Slug).body, in(button, hasAttr("aria-pressed", "false"), hasText("Helpful 1 for ")))
	checkHTML(t, bob.get(t, "/blog/"+p.Slug).body, in(button, hasAttr("aria-pressed", "true"), hasText("Helpful 1 for ")))

	// A vote from the Most helpful order goes back there, to a page that
	// shows the comment: the one it was voted from (?from=), or, when the
	// vote moved it off that page, one that starts with its thread (here
	// the first: there is no 50th thread).
	res := bob.post(t, helpfulPath(p.Slug, c.ID), url.Values{"helpful": {"0"}, "sort": {"helpful"}, "from": {"50"}})
	if loc, want := res.Header.Get("Location"), fmt.Sprintf("/blog/%s?sort=helpful#comment-%d", p.Slug, c.ID); loc != want {
		t.Errorf("a vote from Most helpful goes to %q, want %q", loc, want)
	}
	other := visibleComment(t, p, "Cy", "Later")
	res = bob.post(t, helpfulPath(p.Slug, other.ID), url.Values{"helpful": {"1"}, "sort": {"helpful"}, "from": {"1"}})
	if loc, want := res.Header.Get("Location"), fmt.Sprintf("/blog/%s?sort=helpful#comment-%d", p.Slug, other.ID); loc != want {
		t.Errorf("a vote that moved a comment up to first goes to %q, want %q", loc, want)
	}
}

// With htmx the answer is the button as it is now, pressed or not.
func TestHelpfulWithHTMX(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	c := visibleComment(t, p, "Ann", "Ice or heat?")
	cl := s.reader(t, p.Slug)
	res := vote(t, cl, p.Slug, c.ID, true, htmx...)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("button.helpful", hasAttr("aria-pressed", "true"), hasAttr("value", "0"), hasText("Helpful 1 for ")))
	res = vote(t, cl, p.Slug, c.ID, false, htmx...)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("button.helpful", hasAttr("aria-pressed", "false"), hasAttr("value", "1"), hasText("Helpful 0 for ")))

	// One's own comment shows its count, not a button, also after Cancel
	// (or Save) and once it can no longer be changed; a vote on it (from
	// an old page, or by hand) is refused with a reason and not counted.
	author := s.commenter(t, p.Slug)
	wantStatus(t, author.post(t, author.form(t, "name=Bo", "body=Mine"), htmx...), http.StatusOK)
	own := commentsOf(t, p.ID)[1]
	mine := fmt.Sprintf("#comment-%d", own.ID)
	res = author.get(t, fmt.Sprintf("/blog/%s/comments/%d", p.Slug, own.ID), htmx...)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, count("button.helpful", 0), in("span.helpful.mine", hasText("Found helpful: 0")))
	res = vote(t, &client{visitor: author.visitor}, p.Slug, own.ID, true, htmx...)
	wantStatus(t, res, http.StatusConflict)
	checkHTML(t, res.body, count("button.helpful", 0), in("span.helpful.mine", hasText("Found helpful: 0")),
		in(".field-error", hasText("This is your comment: only other readers can mark it helpful.")))
	wantStatus(t, vote(t, &client{visitor: author.visitor}, p.Slug, own.ID, true), http.StatusConflict)
	if n := helpfulNow(t, p.ID, own.ID); n != 0 {
		t.Errorf("own comment, voted on by its author: %d, want 0", n)
	}
	if _, err := seededDB(t).NewRaw("UPDATE comments SET created_at = now() - interval '11 minutes' WHERE id = ?", own.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, author.get(t, "/blog/"+p.Slug).body, in(mine, count("button.helpful", 0), count("span.helpful.mine", 1)),
		in(fmt.Sprintf("#comment-%d", c.ID), count("button.helpful", 1)))
	checkHTML(t, cl.get(t, "/blog/"+p.Slug).body, in(mine, count("button.helpful", 1), count(".mine", 0)))
	wantStatus(t, vote(t, cl, p.Slug, own.ID, true, htmx...), http.StatusOK)
	if n := helpfulNow(t, p.ID, own.ID); n != 1 {
		t.Errorf("own comment, voted on by another reader: %d, want 1", n)
	}
}

// Votes and undos from one address are limited: past the limit, 429 with
// Retry-After and how long to wait, beside the button with htmx and as
// the error page without; nothing is counted.
func TestHelpfulLimitPerAddress(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	c := visibleComment(t, p, "Ann", "Thanks")
	for i := range helpfulPerHour {
		cl := &client{visitor: s.visitor(), ip: "198.51.100.77"} // a script that drops its cookies
		wantStatus(t, vote(t, cl, p.Slug, c.ID, i%2 == 0), http.StatusSeeOther)
	}
	before := helpfulNow(t, p.ID, c.ID)
	cl := &client{visitor: s.visitor(), ip: "198.51.100.77"}
	res := vote(t, cl, p.Slug, c.ID, true)
	wantStatus(t, res, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > 3600 {
		t.Errorf("Retry-After %q, want seconds within the hour", res.Header.Get("Retry-After"))
	}
	if !strings.Contains(res.body, "Please try again in") {
		t.Errorf("the 429 page does not say when to try again:\n%s", res.body)
	}
	if res.cookie(s.h.voterCookieName()) != nil {
		t.Error("a refused vote set the voter cookie")
	}
	res = vote(t, cl, p.Slug, c.ID, true, htmx...)
	wantStatus(t, res, http.StatusTooManyRequests)
	checkHTML(t, res.body, in("button.helpful", hasAttr("aria-pressed", "false")),
		in(".field-error[role=alert]", hasText("Please try again in")))
	if n := helpfulNow(t, p.ID, c.ID); n != before {
		t.Errorf("refused votes changed the count from %d to %d", before, n)
	}
	// Another address is not limited.
	other := &client{visitor: s.visitor(), ip: "198.51.100.78"}
	wantStatus(t, vote(t, other, p.Slug, c.ID, true), http.StatusSeeOther)
}

// Only comments everyone sees can be found helpful: not one awaiting
// approval, hidden, or of another article; and no button shows on them.
func TestHelpfulOnlyOnVisibleComments(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	other := savePost(t, db.Post{})
	held := db.Comment{PostID: p.ID, Name: "Held", BodyMD: "Wait", BodyHTML: "<p>Wait</p>", Status: db.CommentHeld,
		AuthorHash: []byte("a-" + unique()), IPHash: []byte("ip")}
	if err := db.AddComment(context.Background(), seededDB(t), &held); err != nil {
		t.Fatal(err)
	}
	hidden := visibleComment(t, p, "Hidden", "Gone")
	if err := db.HideComment(context.Background(), seededDB(t), &hidden); err != nil {
		t.Fatal(err)
	}
	elsewhere := visibleComment(t, other, "Other", "Elsewhere")
	cl := s.reader(t, p.Slug)
	for _, id := range []int64{held.ID, hidden.ID, elsewhere.ID, 99999999} {
		res := vote(t, cl, p.Slug, id, true)
		wantStatus(t, res, http.StatusNotFound)
		if !strings.Contains(res.body, "cannot be marked helpful") {
			t.Errorf("comment %d: the 404 does not say why:\n%s", id, res.body)
		}
	}
	wantStatus(t, cl.post(t, "/blog/"+p.Slug+"/comments/x/helpful", url.Values{"helpful": {"1"}}), http.StatusNotFound)
}

var ldPattern = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)

// The article's JSON-LD counts its comments and describes each shown one
// with its Helpful count (upvoteCount), replies under their comment; a
// name cannot break out of the script.
func TestHelpfulInStructuredData(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	a := visibleComment(t, p, "</script><b>Ann", "First")
	r := db.Comment{PostID: p.ID, ParentID: &a.ID, Name: "Bob", BodyMD: "Reply", BodyHTML: "<p>Reply</p>",
		Status: db.CommentVisible, AuthorHash: []byte("x"), IPHash: []byte("y")}
	if err := db.AddComment(context.Background(), seededDB(t), &r); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, a.ID, true), http.StatusSeeOther)

	page := s.get(t, "/blog/"+p.Slug)
	wantStatus(t, page, http.StatusOK)
	if strings.Contains(page.body, "</script><b>") {
		t.Fatal("a commenter's name closed the script")
	}
	m := ldPattern.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no JSON-LD on the article")
	}
	var ld struct {
		Type         string `json:"@type"`
		CommentCount int    `json:"commentCount"`
		Comment      []struct {
			Type   string `json:"@type"`
			URL    string `json:"url"`
			Author struct {
				Type string `json:"@type"`
				Name string `json:"name"`
			} `json:"author"`
			DateCreated string `json:"dateCreated"`
			UpvoteCount int    `json:"upvoteCount"`
			Comment     []struct {
				URL         string `json:"url"`
				Author      struct{ Name string }
				UpvoteCount int `json:"upvoteCount"`
			} `json:"comment"`
		} `json:"comment"`
	}
	if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
		t.Fatalf("the JSON-LD is not JSON: %v\n%s", err, m[1])
	}
	if ld.Type != "BlogPosting" || ld.CommentCount != 2 || len(ld.Comment) != 1 {
		t.Fatalf("JSON-LD %+v: want a BlogPosting with commentCount 2 and one thread", ld)
	}
	c := ld.Comment[0]
	if c.Type != "Comment" || c.Author.Type != "Person" || c.Author.Name != "</script><b>Ann" || c.UpvoteCount != 1 ||
		c.DateCreated != a.CreatedAt.UTC().Format(time.RFC3339) || c.URL != fmt.Sprintf("%s/blog/%s#comment-%d", httpBase, p.Slug, a.ID) {
		t.Errorf("comment %+v", c)
	}
	if len(c.Comment) != 1 || c.Comment[0].UpvoteCount != 0 || c.Comment[0].Author.Name != "Bob" ||
		!strings.HasSuffix(c.Comment[0].URL, fmt.Sprintf("#comment-%d", r.ID)) {
		t.Errorf("the reply %+v: want it under its comment", c.Comment)
	}
}

// "Most helpful" is offered on a thread of more than 20 comments: the
// threads by their count (ties oldest first), replies under their thread,
// paged by whole threads; the page is not the shared default one.
func TestHelpfulSortOrder(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	few := visibleComment(t, p, "First", "One")
	checkHTML(t, s.get(t, "/blog/"+p.Slug).body, notIn(`a[href="/blog/`+p.Slug+`?sort=helpful#comments"]`))
	wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, few.ID, true), http.StatusSeeOther)
	bulkComments(t, p.ID, 60) // 48 threads, 12 replies
	cs := commentsOf(t, p.ID)
	reply := int64(0)
	for _, c := range cs {
		if c.ParentID != nil && reply == 0 {
			reply = c.ID
		}
	}
	// Two votes for a newer thread than the first, one for a reply.
	for range 2 {
		wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, cs[30].ID, true), http.StatusSeeOther)
	}
	wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, reply, true), http.StatusSeeOther)
	s.h.commentsChanged()

	checkHTML(t, s.get(t, "/blog/"+p.Slug).body, in(`#comments a[href="/blog/`+p.Slug+`?sort=helpful#comments"]`, hasExactText("Most helpful")), in(`#comments strong[aria-current=true]`, hasExactText("Oldest first")))
	page := s.get(t, "/blog/"+p.Slug+"?sort=helpful")
	wantStatus(t, page, http.StatusOK)
	ids, thread := shownComments(t, page.body)
	if len(ids) < 3 || ids[0] != cs[30].ID || ids[1] != few.ID {
		t.Fatalf("Most helpful shows %v first, want %d then %d", ids[:min(3, len(ids))], cs[30].ID, few.ID)
	}
	// The rest oldest first, each reply under its thread.
	var tops []int64
	for _, id := range ids {
		if thread[id] == id {
			tops = append(tops, id)
		} else if !slices.Contains(ids, thread[id]) {
			t.Errorf("reply %d without its thread", id)
		}
	}
	if !slices.IsSorted(tops[2:]) {
		t.Errorf("threads after the voted ones are not oldest first: %v", tops)
	}
	checkHTML(t, page.body, in(`#comments a[href="/blog/`+p.Slug+`#comments"]`, hasExactText("Oldest first")), in(`#comments strong[aria-current=true]`, hasExactText("Most helpful")),
		in(`form#helpful-form input[name=sort]`, hasAttr("value", "helpful")))
	next := selectAll(parseHTML(t, page.body), `a[href^="/blog/`+p.Slug+`?sort=helpful&from="]`)
	if len(next) != 1 {
		t.Fatal("no link to the next page of Most helpful")
	}
	href, _ := attr(next[0], "href")
	rest, _ := shownComments(t, s.get(t, strings.TrimSuffix(href, "#comments")).body)
	// With htmx, "More comments" brings only the next threads, for the
	// list in place of its link.
	more := s.get(t, strings.TrimSuffix(href, "#comments"), htmx...)
	wantStatus(t, more, http.StatusOK)
	if strings.Contains(more.body, "<html") || strings.Contains(more.body, "comment-form") {
		t.Errorf("More comments with htmx answers a whole page, want the threads:\n%.300s", more.body)
	}
	if got, _ := shownComments(t, more.body); !slices.Equal(got, rest) {
		t.Errorf("More comments with htmx brings %v, want %v", got, rest)
	}
	all := append(slices.Clone(ids), rest...)
	slices.Sort(all)
	if len(all) != len(cs) || len(slices.Compact(all)) != len(cs) {
		t.Errorf("the two pages show %d comments (%d different), want each of %d once", len(ids)+len(rest), len(slices.Compact(all)), len(cs))
	}
	// Not kept as the shared page: the default page is still oldest first.
	if ids, _ := shownComments(t, s.get(t, "/blog/"+p.Slug).body); len(ids) == 0 || ids[0] == cs[30].ID {
		t.Errorf("the default page begins with %v", ids[:1])
	}
}

// The therapist sees the most helpful comments first, with their counts,
// and can ask for the newest.
func TestHelpfulInModeration(t *testing.T) {
	s := adminServer(t)
	p := savePost(t, db.Post{Title: "Calves"})
	voted := visibleComment(t, p, "Voted", "Useful "+unique())
	newer := visibleComment(t, p, "Newer", "Newer "+unique())
	for range 3 {
		wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, voted.ID, true), http.StatusSeeOther)
	}
	cl := s.client(t)
	cl.logIn(t)
	res := cl.get(t, adminPath+"/comments")
	wantStatus(t, res, http.StatusOK)
	// Other tests' comments may have more votes: the order of these two.
	var order []string
	for _, li := range selectAll(parseHTML(t, res.body), "#recent li") {
		id, _ := attr(li, "id")
		order = append(order, id)
	}
	v, n := slices.Index(order, fmt.Sprintf("mod-%d", voted.ID)), slices.Index(order, fmt.Sprintf("mod-%d", newer.ID))
	if v < 0 || (n >= 0 && n < v) {
		t.Errorf("the list is %v: want mod-%d (3 votes) before mod-%d (none)", order, voted.ID, newer.ID)
	}
	checkHTML(t, res.body, in(fmt.Sprintf("#mod-%d .helpful-count", voted.ID), hasExactText("Helpful: 3")),
		in("#recent-title", hasExactText("Most helpful comments on the site")))
	res = cl.get(t, adminPath+"/comments?visible=newest")
	checkHTML(t, res.body, in("#recent li", hasAttr("id", fmt.Sprintf("mod-%d", newer.ID))))
}

// A vote reaches every reader of the article live as the new count only,
// not the whole comment; an edit between two quick votes is not lost to
// the hub's coalescing (a count has a Key of its own); a reader who
// reconnects gets the comment as it is now, count included.
func TestHelpfulLive(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	c := visibleComment(t, p, "Ann", "Live")
	page := s.get(t, "/blog/"+p.Slug)
	m := regexp.MustCompile(`comments/stream\?after=(\d+)`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no stream on the page")
	}
	stream := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream?after="+m[1])
	wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, c.ID, true), http.StatusSeeOther)
	ev := stream.nextUpdate(t, 5*time.Second)
	want := fmt.Sprintf(`<span hx-swap-oob="innerHTML:#comment-%d .helpful>span:first-child">1</span>`, c.ID)
	if strings.TrimSpace(ev.data) != want {
		t.Errorf("live event %q, want only %q", ev.data, want)
	}
	// The count is on the page for the next reader too.
	checkHTML(t, s.get(t, "/blog/"+p.Slug).body, in(fmt.Sprintf("article#comment-%d button.helpful", c.ID), hasText("Helpful 1 for ")))

	// At once: an edit, then another vote. Both arrive.
	cm, err := db.CommentByID(context.Background(), seededDB(t), p.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EditComment(context.Background(), seededDB(t), &cm, "Edited live", "<p>Edited live</p>", false); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, vote(t, s.reader(t, p.Slug), p.Slug, c.ID, true), http.StatusSeeOther)
	var edited, counted bool
	for !edited || !counted {
		ev := stream.nextUpdate(t, 5*time.Second)
		edited = edited || strings.Contains(ev.data, "<p>Edited live</p>")
		counted = counted || strings.Contains(ev.data, `.helpful>span:first-child">2</span>`)
	}

	// Reconnecting from before the votes: the comment as it is now.
	again := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream?after="+m[1])
	ev = again.nextUpdate(t, 5*time.Second)
	checkHTML(t, ev.data, in(fmt.Sprintf("article#comment-%d button.helpful", c.ID), hasText("Helpful 2 for "), hasAttr("aria-pressed", "false")),
		in(fmt.Sprintf("article#comment-%d .comment-body", c.ID), hasExactText("Edited live")))
}
