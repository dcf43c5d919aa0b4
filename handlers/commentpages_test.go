package handlers

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// bulkComments stores n visible comments on the post at once, as a long
// thread has them: four in five top-level, the rest replies spread over
// the older threads. Their words are as long as ordinary comments'.
func bulkComments(tb testing.TB, postID int64, n int) {
	tb.Helper()
	if n == 0 {
		return
	}
	ctx := context.Background()
	tops := n - n/5
	const words = `'Thank you for this, comment ' || g || '. After a half marathon my lower back was stiff for days; ' ||
		'two sessions and the stretches you suggest made a real difference. Foam rolling before a long run is a good idea.'`
	if _, err := seededDB(tb).NewRaw(`
		INSERT INTO comments (post_id, name, body_md, body_html, status, author_hash, ip_hash)
		SELECT ?, 'Reader ' || g, `+words+`, '<p>' || `+words+` || '</p>', 'visible', '\x01'::bytea, '\x02'::bytea
		FROM generate_series(1, ?) g`, postID, tops).Exec(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := seededDB(tb).NewRaw(`
		INSERT INTO comments (post_id, parent_id, name, body_md, body_html, status, author_hash, ip_hash)
		SELECT ?, t.id, 'Replier ' || g, `+words+`, '<p>' || `+words+` || '</p>', 'visible', '\x01'::bytea, '\x02'::bytea
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM comments WHERE post_id = ? AND parent_id IS NULL) t
		WHERE t.g % 4 = 1 ORDER BY t.g LIMIT ?`, postID, postID, n-tops).Exec(ctx); err != nil {
		tb.Fatal(err)
	}
}

// shownComments lists the comments a page or fragment shows: each comment's
// id, and the thread it is in.
func shownComments(t *testing.T, body string) (ids []int64, thread map[int64]int64) {
	t.Helper()
	thread = map[int64]int64{}
	for _, th := range selectAll(parseHTML(t, body), "li.thread") {
		tid, _ := attr(th, "id")
		top, _ := strconv.ParseInt(strings.TrimPrefix(tid, "thread-"), 10, 64)
		for _, a := range selectAll(th, "article.comment") {
			aid, _ := attr(a, "id")
			id, _ := strconv.ParseInt(strings.TrimPrefix(aid, "comment-"), 10, 64)
			ids = append(ids, id)
			thread[id] = top
		}
	}
	return ids, thread
}

// earlierLink is the "Earlier comments" link's address and htmx address,
// "" when there is none.
func earlierLink(t *testing.T, body string) (href, hxGet string) {
	t.Helper()
	n := selectAll(parseHTML(t, body), "li#comments-earlier a")
	if len(n) == 0 {
		return "", ""
	}
	href, _ = attr(n[0], "href")
	hxGet, _ = attr(n[0], "hx-get")
	return href, hxGet
}

// A long thread is paged: the article shows the newest threads (at least
// commentPage comments, whole threads) and the total count; "Earlier
// comments" without JavaScript opens the page before, and with htmx brings
// the same comments as a fragment. Walking back shows every comment once,
// each reply in its own thread, oldest page last.
func TestLongThreadIsPaged(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	bulkComments(t, p.ID, 260)
	all := commentsOf(t, p.ID)

	res := s.get(t, "/blog/"+p.Slug)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("#comment-count", hasText("(260)")), in("section#comments[sse-connect]"))
	seen := map[int64]int{}
	var pages [][]int64
	body := res.body
	for hops := 0; ; hops++ {
		ids, thread := shownComments(t, body)
		if len(ids) < commentPage && hops == 0 {
			t.Fatalf("the newest page shows %d comments, want at least %d", len(ids), commentPage)
		}
		for _, id := range ids {
			seen[id]++
		}
		for _, c := range all {
			if c.ParentID != nil && slices.Contains(ids, c.ID) && thread[c.ID] != *c.ParentID {
				t.Errorf("reply %d is shown in thread %d, want under %d", c.ID, thread[c.ID], *c.ParentID)
			}
		}
		pages = append(pages, ids)
		href, hxGet := earlierLink(t, body)
		if href == "" {
			break
		}
		if hops > 20 {
			t.Fatal("the earlier links go on for ever")
		}
		if !strings.HasPrefix(href, "/blog/"+p.Slug+"?before=") || !strings.HasSuffix(href, "#comments") {
			t.Fatalf("the earlier link is %q", href)
		}
		fragment := s.get(t, hxGet, htmx...)
		wantStatus(t, fragment, http.StatusOK)
		if l := strings.ToLower(fragment.body); strings.Contains(l, "<html") || strings.Contains(l, "<main") || strings.Contains(l, `id="comment-form"`) {
			t.Fatalf("the earlier comments with htmx are not only the comments:\n%.500s", fragment.body)
		}
		wantVaryHXRequest(t, fragment)
		page := s.get(t, strings.TrimSuffix(href, "#comments"))
		wantStatus(t, page, http.StatusOK)
		isWholePage(t, page)
		checkHTML(t, page.body,
			in("#comment-count", hasText("(260)")),
			notIn("section#comments[sse-connect]"), // new comments do not belong at the end of an older page
			in("p.comments-newest a", hasAttr("href", "/blog/"+p.Slug+"#comments")))
		fromFragment, _ := shownComments(t, fragment.body)
		fromPage, _ := shownComments(t, page.body)
		if !slices.Equal(fromFragment, fromPage) {
			t.Fatalf("the earlier comments with htmx (%d) differ from the page without JavaScript (%d)", len(fromFragment), len(fromPage))
		}
		if f, _ := earlierLink(t, fragment.body); f != func() string { h, _ := earlierLink(t, page.body); return h }() {
			t.Errorf("the fragment's earlier link %q differs from the page's", f)
		}
		body = page.body
	}
	if len(pages) < 3 {
		t.Errorf("260 comments made %d pages, want several", len(pages))
	}
	for i := 1; i < len(pages); i++ {
		if pages[i][len(pages[i])-1] > pages[i-1][0] {
			t.Errorf("page %d has comments newer than page %d's", i+1, i)
		}
	}
	for _, c := range all {
		if seen[c.ID] != 1 {
			t.Errorf("comment %d is shown %d times across the pages, want once", c.ID, seen[c.ID])
		}
	}
	if last := pages[len(pages)-1]; last[0] != all[0].ID {
		t.Errorf("the last page starts at comment %d, want the oldest (%d)", last[0], all[0].ID)
	}
}

// Without JavaScript, "Reply" under a comment of an older page opens that
// page with the form under it, and the reply, once posted, is shown there.
func TestReplyOnAnOlderPageWithoutJavaScript(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	bulkComments(t, p.ID, 150)
	old := commentsOf(t, p.ID)[0] // the oldest thread: not on the newest page
	id := strconv.FormatInt(old.ID, 10)
	cm := s.commenter(t, p.Slug)
	if ids, _ := shownComments(t, s.get(t, "/blog/"+p.Slug).body); slices.Contains(ids, old.ID) {
		t.Fatal("the oldest comment is on the newest page: the thread is too short for this test")
	}

	res := cm.get(t, "/blog/"+p.Slug+"?reply="+id)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("#thread-"+id+" form#reply-form-"+id))
	f := fieldsOf(t, res.body, "form#reply-form-"+id)
	f.Set("name", "Bob")
	f.Set("body", "Thanks!")
	f.Set(startedField, cm.form(t).Get(startedField))
	posted := cm.post(t, f)
	wantStatus(t, posted, http.StatusSeeOther)
	reply := commentsOf(t, p.ID)
	rid := strconv.FormatInt(reply[len(reply)-1].ID, 10)
	loc := posted.Header.Get("Location")
	if want := "/blog/" + p.Slug + "?before=" + strconv.FormatInt(old.ID+1, 10) + "&posted=" + rid + "#comment-" + rid; loc != want {
		t.Fatalf("the reply went to %q, want %q", loc, want)
	}
	page := cm.get(t, strings.TrimSuffix(loc, "#comment-"+rid))
	checkHTML(t, page.body, in("#thread-"+id+" #replies-"+id+" article#comment-"+rid))

	// A mistake in it, without JavaScript: the form comes back under its
	// comment, on its page.
	f.Set("body", "")
	f.Set(startedField, cm.form(t).Get(startedField))
	bad := cm.post(t, f)
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	checkHTML(t, bad.body, in("#thread-"+id+" form#reply-form-"+id+" textarea[aria-invalid=true]"))
}

// rowsRead records, while it is on, how many rows each query of the test
// database returns.
type rowsRead struct {
	on   atomic.Bool
	mu   sync.Mutex
	rows []int64
	sql  []string
}

func (r *rowsRead) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (r *rowsRead) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !r.on.Load() || e.Result == nil || e.Err != nil {
		return
	}
	q := strings.ToUpper(strings.TrimSpace(e.Query))
	n, err := e.Result.RowsAffected()
	if err != nil || !(strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "WITH")) {
		return
	}
	r.mu.Lock()
	r.rows = append(r.rows, n)
	r.sql = append(r.sql, e.Query)
	r.mu.Unlock()
}

// countingDB opens a second handle on the package's database with a
// rowsRead hook on it. The hook is added before the handle is used: bun's
// hook list is not guarded, so adding one to a handle that other goroutines
// (a test server's view-count flush, say) are querying is a data race.
func countingDB(tb testing.TB) (*bun.DB, *rowsRead) {
	tb.Helper()
	seededDB(tb)
	bdb, err := db.Open(context.Background(), dbtest.DSN(tb), db.Options{MaxOpenConns: 5})
	if err != nil {
		tb.Fatalf("db.Open: %v", err)
	}
	hook := &rowsRead{}
	bdb.AddQueryHook(hook)
	tb.Cleanup(func() { bdb.Close() })
	return bdb, hook
}

// count returns the rows read by the queries f makes on the hooked handle,
// in all and the most one query read (and that query).
func (r *rowsRead) count(f func()) (total, most int64, query string) {
	r.mu.Lock()
	r.rows, r.sql = nil, nil
	r.mu.Unlock()
	r.on.Store(true)
	f()
	r.on.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, n := range r.rows {
		total += n
		if n > most {
			most, query = n, r.sql[i]
		}
	}
	return total, most, query
}

// Posting a comment (and the article's page drawn again afterwards, as the
// next reader causes) reads a page of the thread, never the whole of it:
// as many rows on a thread of 3,000 comments as on one of 50.
func TestPostingDoesNotReadTheWholeThread(t *testing.T) {
	bdb, hook := countingDB(t)
	s := newTestServerDB(t, bdb, nil)
	read := map[int]int64{}
	for _, n := range []int{50, 3000} {
		p := savePost(t, db.Post{})
		bulkComments(t, p.ID, n)
		cm := s.commenter(t, p.Slug)
		wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusOK)
		total, most, query := hook.count(func() {
			wantStatus(t, cm.post(t, cm.form(t, "name=Ann", "body=One more."), htmx...), http.StatusOK)
			wantStatus(t, s.get(t, "/blog/"+p.Slug), http.StatusOK)
		})
		t.Logf("thread of %d: %d rows read in all, at most %d by one query", n, total, most)
		if most > 2*commentPage {
			t.Errorf("thread of %d: one query read %d rows:\n%s", n, most, query)
		}
		read[n] = total
		if c, err := db.CommentCount(context.Background(), seededDB(t), p.ID); err != nil || c != n+1 {
			t.Errorf("thread of %d: the kept count is %d (%v), want %d", n, c, err, n+1)
		}
	}
	if read[3000] > read[50]+commentPage {
		t.Errorf("posting read %d rows on a thread of 3,000 and %d on one of 50: want about the same", read[3000], read[50])
	}
}

// The kept count follows every change of status, whoever makes it, and is
// the number of visible comments.
func TestCommentCountIsKept(t *testing.T) {
	ctx := context.Background()
	bdb := seededDB(t)
	p := savePost(t, db.Post{})
	a := visibleComment(t, p, "Ann", "One")
	b := visibleComment(t, p, "Bob", "Two")
	visibleComment(t, p, "Cy", "Three")
	count := func() int {
		t.Helper()
		n, err := db.CommentCount(ctx, bdb, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var real int
		if err := bdb.NewRaw("SELECT count(*) FROM comments WHERE post_id = ? AND status = 'visible'", p.ID).Scan(ctx, &real); err != nil {
			t.Fatal(err)
		}
		if n != real {
			t.Errorf("kept count %d, counted %d", n, real)
		}
		return n
	}
	if n := count(); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	if err := db.DeleteComment(ctx, bdb, &a); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.NewRaw("UPDATE comments SET status = 'hidden' WHERE id = ?", b.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("count %d after a deletion and a hiding, want 1", n)
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE comments SET status = 'visible' WHERE id = ?", b.ID).Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("count %d after showing one again, want 2", n)
	}
	// The post deleted with its comments takes its count with it.
	if _, err := bdb.NewRaw("DELETE FROM posts WHERE id = ?", p.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := bdb.NewRaw("SELECT count(*) FROM comment_counts WHERE post_id = ?", p.ID).Scan(ctx, &left); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d counts left for a deleted post", left)
	}
}
