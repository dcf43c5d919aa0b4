package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// withModeration sets the moderation mode for the test, back to off after it.
func withModeration(t *testing.T, mode string) {
	t.Helper()
	// The queue starts empty: comments other tests left held (links,
	// moderation of their own) are hidden, before and after.
	emptyQueue := func() {
		if _, err := seededDB(t).NewRaw("UPDATE comments SET status = ? WHERE status = ?", db.CommentHidden, db.CommentHeld).Exec(context.Background()); err != nil {
			t.Error(err)
		}
	}
	emptyQueue()
	if err := db.SetCommentModeration(context.Background(), seededDB(t), mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.SetCommentModeration(context.Background(), seededDB(t), db.ModerationOff)
		emptyQueue()
	})
}

// visibleComment saves a visible comment on post p, as a reader would.
func visibleComment(t *testing.T, p db.Post, name, body string) db.Comment {
	t.Helper()
	c := db.Comment{PostID: p.ID, Name: name, BodyMD: body, BodyHTML: "<p>" + body + "</p>", Status: db.CommentVisible,
		AuthorHash: []byte("author-" + unique()), IPHash: []byte("ip-" + unique())}
	if err := db.AddComment(context.Background(), seededDB(t), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func commentPath(id int64, action string) string {
	return adminPath + "/comments/" + strconv.FormatInt(id, 10) + "/" + action
}

// A held reply is in the queue with its article and what it answers;
// approving it (in place, with htmx) puts it on the article, live for an
// open page, and queues the reply notification; approving it again (another
// tab) is no error.
func TestApproveHeldComment(t *testing.T) {
	withModeration(t, db.ModerationAll)
	s := adminServer(t)
	srv := s.runHub(t)
	p := savePost(t, db.Post{Title: "Hamstrings"})
	stream := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream")
	parent := visibleComment(t, p, "Ann", "How often should I stretch?")
	stream.next(t, 2*time.Second) // Ann's comment, live

	cm := s.commenter(t, p.Slug)
	cm.post(t, cm.form(t, "name=Bob", "body=Every day, gently.", "parent_id="+strconv.FormatInt(parent.ID, 10)))
	cs := commentsOf(t, p.ID)
	held := cs[len(cs)-1]
	if held.Status != db.CommentHeld {
		t.Fatalf("the reply is %s, want held", held.Status)
	}

	admin := s.client(t)
	admin.logIn(t)
	page := admin.get(t, adminPath+"/comments")
	wantStatus(t, page, http.StatusOK)
	item := fmt.Sprintf("#queue li#mod-%d", held.ID)
	checkHTML(t, page.body,
		in(item+" .comment-meta", hasText("Bob")),
		in(item+" .comment-meta a[href=/blog/"+p.Slug+"]", hasText("Hamstrings")),
		in(item+" p.muted", hasText("In reply to Ann: “How often should I stretch?”")),
		in(item+" blockquote", hasText("Every day, gently.")),
		in(item+" form[action="+commentPath(held.ID, "approve")+"] button[hx-post="+commentPath(held.ID, "approve")+"]"),
		in(item+" button[formaction="+commentPath(held.ID, "block")+"]", hasText("Block this commenter")),
		in("#queue-title .count", hasExactText("(1)")))

	res := admin.post(t, commentPath(held.ID, "approve"), url.Values{}, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in(fmt.Sprintf("li#mod-%d[role=status]", held.ID), hasText("Approved")))
	if c := commentsOf(t, p.ID); c[len(c)-1].Status != db.CommentVisible {
		t.Errorf("after approval the comment is %s", c[len(c)-1].Status)
	}
	if n := replyJobs(t, held.ID); n != 1 {
		t.Errorf("%d reply notification jobs, want 1", n)
	}
	ev := stream.next(t, 2*time.Second)
	if ev.name != sseComment || !strings.Contains(ev.data, "Every day, gently.") {
		t.Errorf("live readers got %q: %s", ev.name, ev.data)
	}
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body,
		in(fmt.Sprintf("#replies-%d article#comment-%d .comment-body", parent.ID, held.ID), hasText("Every day, gently.")))

	again := admin.post(t, commentPath(held.ID, "approve"), url.Values{})
	wantStatus(t, again, http.StatusSeeOther)
	if loc := again.Header.Get("Location"); loc != adminPath+"/comments?done=gone" {
		t.Errorf("approving twice goes to %q", loc)
	}
	checkHTML(t, admin.get(t, again.Header.Get("Location")).body, in("p.form-notice", hasText("already been moderated")))
	if n := replyJobs(t, held.ID); n != 1 {
		t.Errorf("approving twice: %d reply jobs", n)
	}
	noServerErrors(t, s)
}

// Hiding a visible comment takes it off the article and out of open pages
// (an update event that deletes it); showing it again brings it back;
// deleting it leaves nothing to read anywhere.
func TestHideShowAndDeleteComment(t *testing.T) {
	s := adminServer(t)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	stream := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream")
	c := visibleComment(t, p, "Rude", "Something rude")
	stream.next(t, 2*time.Second) // the comment, live
	admin := s.client(t)
	admin.logIn(t)

	checkHTML(t, admin.get(t, adminPath+"/comments").body,
		in(fmt.Sprintf("#recent li#mod-%d button[formaction=%s]", c.ID, commentPath(c.ID, "hide"))))
	res := admin.post(t, commentPath(c.ID, "hide"), url.Values{})
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != adminPath+"/comments?done=hidden" {
		t.Errorf("hide goes to %q", loc)
	}
	ev := stream.next(t, 2*time.Second)
	if ev.name != sseUpdate || !strings.Contains(ev.data, fmt.Sprintf(`hx-swap-oob="delete:#thread-%d"`, c.ID)) {
		t.Errorf("live readers got %q: %s", ev.name, ev.data)
	}
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body, notIn(fmt.Sprintf("#comment-%d", c.ID)), in("#comments h2", hasExactText("Comments (0)")))
	checkHTML(t, admin.get(t, adminPath+"/comments").body,
		in(fmt.Sprintf("#hidden li#mod-%d button[formaction=%s]", c.ID, commentPath(c.ID, "show"))))

	res = admin.post(t, commentPath(c.ID, "show"), url.Values{}, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in(fmt.Sprintf("li#mod-%d", c.ID), hasText("Shown again")))
	if ev := stream.next(t, 2*time.Second); ev.name != sseComment {
		t.Errorf("showing again: live event %q", ev.name)
	}
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body, in(fmt.Sprintf("#comment-%d .comment-body", c.ID), hasText("Something rude")))

	wantStatus(t, admin.post(t, commentPath(c.ID, "delete"), url.Values{}), http.StatusSeeOther)
	if ev := stream.next(t, 2*time.Second); ev.name != sseUpdate {
		t.Errorf("delete: live event %q", ev.name)
	}
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body, notIn(fmt.Sprintf("#comment-%d", c.ID)))
	page := admin.get(t, adminPath+"/comments?done=deleted")
	checkHTML(t, page.body, notIn(fmt.Sprintf("#mod-%d", c.ID)), in("p.form-notice", hasText("Deleted for good")))
	if strings.Contains(page.body, "Something rude") {
		t.Error("the deleted text is still on the moderation page")
	}

	// A held comment deleted is gone entirely; a comment that does not exist is no error either.
	spam := db.Comment{PostID: p.ID, Name: "Spam", BodyMD: "Cheap pills", BodyHTML: "<p>Cheap pills</p>", Status: db.CommentHeld,
		AuthorHash: []byte("spam"), IPHash: []byte("spam")}
	if err := db.AddComment(context.Background(), seededDB(t), &spam); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, admin.post(t, commentPath(spam.ID, "delete"), url.Values{}), http.StatusSeeOther)
	if cs := commentsOf(t, p.ID); cs[len(cs)-1].ID == spam.ID {
		t.Error("the held comment is still stored")
	}
	res = admin.post(t, commentPath(spam.ID, "hide"), url.Values{})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != adminPath+"/comments?done=gone" {
		t.Errorf("hiding a deleted comment: %d to %q", res.StatusCode, loc)
	}
	wantStatus(t, admin.post(t, adminPath+"/comments/nope/hide", url.Values{}), http.StatusNotFound)
	noServerErrors(t, s)
}

// The moderation setting is saved, and applies to the next comment.
func TestModerationModeSetting(t *testing.T) {
	t.Cleanup(func() { db.SetCommentModeration(context.Background(), seededDB(t), db.ModerationOff) })
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)

	res := admin.post(t, adminPath+"/comments/mode", url.Values{"mode": {"sometimes"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#f-mode-error", hasText("choose one")))

	res = admin.post(t, adminPath+"/comments/mode", url.Values{"mode": {db.ModerationAll}})
	wantStatus(t, res, http.StatusSeeOther)
	checkHTML(t, admin.get(t, res.Header.Get("Location")).body,
		in("input[name=mode][value=all]", hasAttr("checked", "")), notIn("input[name=mode][value=off][checked]"))

	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	cm.post(t, cm.form(t, "name=Ann", "body=Held now"))
	if c := commentsOf(t, p.ID); len(c) != 1 || c[0].Status != db.CommentHeld {
		t.Errorf("after setting all: %+v", c)
	}
	noServerErrors(t, s)
}

// Blocking a commenter (from one of their comments) holds their next
// comment, silently: they see it as awaiting approval; the queue marks it.
// Unblocking lets them through again.
func TestBlockCommenter(t *testing.T) {
	t.Cleanup(func() { dbtest.Truncate(t, "comment_blocks") })
	s := adminServer(t)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	cm.ip = "203.0.113.77"
	cm.post(t, cm.form(t, "name=Troll", "body=First"))
	first := commentsOf(t, p.ID)[0]
	if first.Status != db.CommentVisible {
		t.Fatalf("first comment %s", first.Status)
	}

	admin := s.client(t)
	admin.logIn(t)
	res := admin.post(t, commentPath(first.ID, "block"), url.Values{})
	wantStatus(t, res, http.StatusSeeOther)
	page := admin.get(t, res.Header.Get("Location"))
	checkHTML(t, page.body,
		in("p.form-notice", hasText("Blocked")),
		in("#blocks td", hasExactText("Troll")),
		in(fmt.Sprintf("#mod-%d .badge", first.ID), hasText("Blocked commenter")),
		notIn(fmt.Sprintf("#mod-%d button[formaction$=block]", first.ID)))

	posted := cm.post(t, cm.form(t, "name=Troll", "body=Again"), htmx...)
	wantStatus(t, posted, http.StatusOK)
	checkHTML(t, posted.body, in("p#comment-announce", hasText("waiting for approval")))
	second := commentsOf(t, p.ID)[1]
	if second.Status != db.CommentHeld {
		t.Fatalf("a blocked commenter's comment is %s, want held", second.Status)
	}
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body, notIn(fmt.Sprintf("#comment-%d", second.ID)))
	checkHTML(t, admin.get(t, adminPath+"/comments").body,
		in(fmt.Sprintf("#queue li#mod-%d .badge", second.ID), hasText("Blocked commenter")))

	// Someone else (another address) is not affected.
	other := s.commenter(t, p.Slug)
	other.ip = "203.0.113.78"
	other.post(t, other.form(t, "name=Kind", "body=Hello"))
	if c := commentsOf(t, p.ID)[2]; c.Status != db.CommentVisible {
		t.Errorf("another commenter's comment is %s", c.Status)
	}

	blocks, err := db.CommentBlocks(context.Background(), seededDB(t))
	if err != nil || len(blocks) != 1 {
		t.Fatalf("blocks %v, %v", blocks, err)
	}
	wantStatus(t, admin.post(t, fmt.Sprintf("%s/comments/blocks/%d/delete", adminPath, blocks[0].ID), url.Values{}), http.StatusSeeOther)
	cm.post(t, cm.form(t, "name=Troll", "body=Sorry"))
	if c := commentsOf(t, p.ID)[3]; c.Status != db.CommentVisible {
		t.Errorf("after unblocking the comment is %s", c.Status)
	}
	noServerErrors(t, s)
}

// A hidden reply leaves its thread live as on a reload: its own list item
// goes (not an empty one left behind), and the comment it answers stays.
func TestHiddenReplyLeavesNothingBehind(t *testing.T) {
	s := adminServer(t)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	top := visibleComment(t, p, "Ann", "A question")
	reply := db.Comment{PostID: p.ID, ParentID: &top.ID, Name: "Rude", BodyMD: "Rude", BodyHTML: "<p>Rude</p>",
		Status: db.CommentVisible, AuthorHash: []byte("author-" + unique()), IPHash: []byte("ip-" + unique())}
	if err := db.AddComment(context.Background(), seededDB(t), &reply); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body,
		in(fmt.Sprintf("li#thread-%d ol#replies-%d li#reply-%d article#comment-%d", top.ID, top.ID, reply.ID, reply.ID)))
	stream := openStream(t, srv.URL, fmt.Sprintf("/blog/%s/comments/stream", p.Slug))
	admin := s.client(t)
	admin.logIn(t)
	wantStatus(t, admin.post(t, commentPath(reply.ID, "hide"), url.Values{}), http.StatusSeeOther)
	ev := stream.nextUpdate(t, 2*time.Second)
	if ev.name != sseUpdate || !strings.Contains(ev.data, fmt.Sprintf(`hx-swap-oob="delete:#reply-%d"`, reply.ID)) {
		t.Errorf("live readers got %q: %s; want the reply's list item deleted", ev.name, ev.data)
	}
}

// A top-level comment its author deletes goes from open pages as it goes
// on a reload: entirely when nobody answered it, as a placeholder over its
// replies when someone did.
func TestDeletedCommentLiveAsOnAReload(t *testing.T) {
	s := adminServer(t)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	alone := visibleComment(t, p, "Ann", "Nobody answers this")
	answered := visibleComment(t, p, "Bo", "Somebody answers this")
	reply := db.Comment{PostID: p.ID, ParentID: &answered.ID, Name: "Cy", BodyMD: "An answer", BodyHTML: "<p>An answer</p>",
		Status: db.CommentVisible, AuthorHash: []byte("author-" + unique()), IPHash: []byte("ip-" + unique())}
	if err := db.AddComment(context.Background(), seededDB(t), &reply); err != nil {
		t.Fatal(err)
	}
	stream := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream")
	for _, c := range []db.Comment{alone, answered} {
		if err := db.DeleteComment(context.Background(), seededDB(t), &c); err != nil {
			t.Fatal(err)
		}
	}
	gone := stream.nextUpdate(t, 2*time.Second)
	if !strings.Contains(gone.data, fmt.Sprintf(`hx-swap-oob="delete:#thread-%d"`, alone.ID)) {
		t.Errorf("the unanswered comment's event: %s; want its thread deleted", gone.data)
	}
	kept := stream.nextUpdate(t, 2*time.Second)
	checkHTML(t, kept.data, in(fmt.Sprintf("article#comment-%d.deleted", answered.ID), hasText("deleted by its author")))
	checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body,
		notIn(fmt.Sprintf("#thread-%d", alone.ID)),
		in(fmt.Sprintf("#thread-%d article#comment-%d.deleted", answered.ID, answered.ID)),
		in(fmt.Sprintf("#thread-%d #reply-%d", answered.ID, reply.ID)))
}
