package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// previewText has what the renderer changes: emphasis, a link, a list, a
// quote, and raw HTML and an htmx attribute that must not survive.
const previewText = "I *loved* this. See [the club](https://example.com/run).\n\n- stretch\n- roll\n\n> quoted\n\n<script>alert(1)</script><b hx-get=\"/x\">bold</b>"

// bodyOf is the raw inner HTML of the first div.comment-body after from in
// body (a comment body holds no div of its own).
func bodyOf(t *testing.T, body, from string) string {
	t.Helper()
	const open = `<div class="comment-body">`
	i := strings.Index(body, from)
	if i < 0 {
		t.Fatalf("%q not found in:\n%s", from, body)
	}
	rest := body[i:]
	j := strings.Index(rest, open)
	if j < 0 {
		t.Fatalf("no comment body after %q in:\n%s", from, rest)
	}
	rest = rest[j+len(open):]
	return rest[:strings.Index(rest, "</div>")]
}

// The preview shows the text through the very renderer and sanitiser of a
// posted comment, byte for byte, and stores nothing: with htmx as a
// fragment for the form's slot, without as the page with the form kept.
func TestCommentPreview(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	previewPath := "/blog/" + p.Slug + "/comments/preview"

	f := cm.form(t, "name=Ann", "body="+previewText, "notify=1", "email=ann@example.com")
	res := cm.do(t, postForm(previewPath, f), htmx...)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("div.comment-preview .comment-body em", hasExactText("loved")),
		in("div.comment-preview .comment-preview-title", hasText("Preview")),
		notIn("script"), notIn("[hx-get]"), notIn("form"))
	previewed := bodyOf(t, res.body, "comment-preview")
	if n := len(commentsOf(t, p.ID)); n != 0 {
		t.Fatalf("a preview stored %d comments", n)
	}

	// Without JavaScript: the article, the form as it was sent (stamp and
	// all), and the same preview at its top.
	plain := cm.do(t, postForm(previewPath, f))
	wantStatus(t, plain, http.StatusOK)
	checkHTML(t, plain.body,
		in("form#comment-form #comment-form-preview div.comment-preview[autofocus]"),
		in("form#comment-form textarea[name=body]", hasText("I *loved* this. See [the club]")),
		in("form#comment-form input[name=name]", hasAttr("value", "Ann")),
		in("form#comment-form input[name=email]", hasAttr("value", "ann@example.com")),
		in("form#comment-form input[name=notify][checked]"),
		in("form#comment-form input[name=started]", hasAttr("value", f.Get(startedField))))
	if got := bodyOf(t, plain.body, `id="comment-form-preview"`); got != previewed {
		t.Errorf("the page's preview differs from the fragment's:\n%s\n%s", got, previewed)
	}

	// Posted, the comment shows exactly what the preview showed.
	wantStatus(t, cm.post(t, f), http.StatusSeeOther)
	stored := commentsOf(t, p.ID)
	if len(stored) != 1 {
		t.Fatalf("%d comments stored, want 1", len(stored))
	}
	if stored[0].BodyHTML != previewed {
		t.Errorf("posted body differs from the preview:\nposted  %q\npreview %q", stored[0].BodyHTML, previewed)
	}
	page := s.visitor().get(t, "/blog/"+p.Slug).body
	if got := bodyOf(t, page, fmt.Sprintf(`id="comment-%d"`, stored[0].ID)); got != previewed {
		t.Errorf("the comment on the page differs from the preview:\npage    %q\npreview %q", got, previewed)
	}

	// Nothing to preview, or too much: said in the preview, 200 (not a
	// mistake of the form: nothing was sent).
	empty := cm.do(t, postForm(previewPath, cm.form(t, "name=Ann", "body=")), htmx...)
	wantStatus(t, empty, http.StatusOK)
	checkHTML(t, empty.body, in("div.comment-preview .field-error", hasText("nothing to preview")))
	long := cm.do(t, postForm(previewPath, cm.form(t, "body="+strings.Repeat("a", maxBodyLen+1))), htmx...)
	checkHTML(t, long.body, in("div.comment-preview .field-error", hasText("please shorten it")))
}

// A reply's preview goes to that reply form; without JavaScript the page
// comes back with the reply form open under its thread, still naming the
// person replied to.
func TestReplyPreviewWithoutJavaScript(t *testing.T) {
	_, p, cm, ben, cat := benAndCat(t)
	top := strconv.FormatInt(ben.ID, 10)
	f := cm.form(t, "name=Ann", "body=**Yes**, for me", "parent_id="+top, "reply_to="+strconv.FormatInt(cat.ID, 10))

	frag := cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f), htmx...)
	checkHTML(t, frag.body, in("div.comment-preview .comment-body strong", hasExactText("Yes")))
	page := cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f))
	wantStatus(t, page, http.StatusOK)
	form := "#thread-" + top + " form#reply-form-" + top
	checkHTML(t, page.body,
		in(form+" .replying", hasText("Replying to Cat")),
		in(form+" #reply-form-"+top+"-preview .comment-body strong", hasExactText("Yes")),
		in(form+" textarea[name=body]", hasExactText("**Yes**, for me")),
		in(form+" input[name=reply_to]", hasAttr("value", strconv.FormatInt(cat.ID, 10))))
}

// An edit previews in its own form: with htmx into it, without JavaScript
// on the edit page; only the author may.
func TestEditPreview(t *testing.T) {
	s, p, cm, c := postedFirstGo(t)
	id := strconv.FormatInt(c.ID, 10)
	f := url.Values{"edit": {id}, "body": {"Second *go*"}}

	frag := cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f), htmx...)
	checkHTML(t, frag.body, in("div.comment-preview .comment-body em", hasExactText("go")))
	page := cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		in("h1", hasText("Edit your comment")),
		in("form#comment-"+id+" #edit-"+id+"-preview .comment-body em", hasExactText("go")),
		in("form#comment-"+id+" textarea[name=body]", hasExactText("Second *go*")))
	if got := commentsOf(t, p.ID)[0].BodyMD; got != "First go" {
		t.Errorf("a preview changed the comment to %q", got)
	}
	other := s.visitor()
	other.get(t, "/blog/"+p.Slug)
	wantStatus(t, other.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f)), http.StatusForbidden)
}

// Previews are limited per address, with a message that keeps the text.
func TestCommentPreviewLimit(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	f := cm.form(t, "body=Hello")
	for range 60 {
		wantStatus(t, cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f), htmx...), http.StatusOK)
	}
	res := cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", f), htmx...)
	wantStatus(t, res, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	checkHTML(t, res.body, in("div.comment-preview .field-error", hasText("your text is still here")))
}

// "Replying to <name>" names the person replied to in every answer: a reply
// to a reply names its author, and a form sent back with a mistake (with
// htmx or without) still names them, also once their comment was hidden.
func TestReplyFormNamesThePerson(t *testing.T) {
	_, p, cm, ben, cat := benAndCat(t)
	top := strconv.FormatInt(ben.ID, 10)

	form := cm.get(t, fmt.Sprintf("/blog/%s/comments/%d/reply", p.Slug, cat.ID), htmx...)
	checkHTML(t, form.body, in("form#reply-form-"+top+" .replying", hasText("Replying to Cat")),
		in("input[name=reply_to]", hasAttr("value", strconv.FormatInt(cat.ID, 10))))
	// Without JavaScript, the Reply link of Cat's reply opens the form
	// naming Cat.
	page := cm.get(t, "/blog/"+p.Slug).body
	link := attrOf(t, page, fmt.Sprintf("#comment-%d a[data-reply]", cat.ID), "href")
	checkHTML(t, cm.get(t, strings.Split(link, "#")[0]).body, in("form#reply-form-"+top+" .replying", hasText("Replying to Cat")))

	for _, tc := range []struct{ to, want string }{{strconv.FormatInt(cat.ID, 10), "Cat"}, {top, "Ben"}, {"", "Ben"}, {"999999999", "Ben"}} {
		mistake := cm.form(t, "name=", "body=Thanks", "parent_id="+top, "reply_to="+tc.to)
		res := cm.post(t, mistake, htmx...)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		checkHTML(t, res.body, in("form#reply-form-"+top+" .replying", hasText("Replying to "+tc.want)),
			in("form#reply-form-"+top, hasAttr("aria-label", "Reply to "+tc.want)))
		plain := cm.post(t, mistake)
		wantStatus(t, plain, http.StatusUnprocessableEntity)
		checkHTML(t, plain.body, in("#thread-"+top+" form#reply-form-"+top+" .replying", hasText("Replying to "+tc.want)))
	}

	// Cat's reply hidden meanwhile: the form opened from her Reply link
	// without JavaScript still names her; with htmx, Reply on her comment
	// says why no form opens.
	if err := db.HideComment(context.Background(), seededDB(t), &cat); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, cm.get(t, strings.Split(link, "#")[0]).body, in("form#reply-form-"+top+" .replying", hasText("Replying to Cat")))
	gone := cm.get(t, fmt.Sprintf("/blog/%s/comments/%d/reply", p.Slug, cat.ID), htmx...)
	wantStatus(t, gone, http.StatusNotFound)
	if !strings.Contains(gone.body, "no longer shown, so it cannot be answered") {
		t.Errorf("Reply on a hidden comment says:\n%s", gone.body)
	}

	// Hidden meanwhile: the form that comes back with a mistake still
	// says whom it answered.
	if err := db.HideComment(context.Background(), seededDB(t), &ben); err != nil {
		t.Fatal(err)
	}
	res := cm.post(t, cm.form(t, "name=", "body=Thanks", "parent_id="+top, "reply_to="+top), htmx...)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in(".replying", hasText("Replying to Ben")))
}

// The edit form says how long the comment can still be changed.
func TestEditFormShowsTimeLeft(t *testing.T) {
	_, p, cm, c := postedFirstGo(t)
	// Three and a half minutes in (the window runs on the database's clock).
	if _, err := seededDB(t).NewRaw("UPDATE comments SET created_at = now() - interval '210 seconds' WHERE id = ?", c.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	c = commentsOf(t, p.ID)[0]
	until := c.CreatedAt.Add(editWindow).In(views.London).Format("15:04")
	id := strconv.FormatInt(c.ID, 10)
	for _, headers := range [][]string{htmx, nil} {
		res := cm.get(t, "/blog/"+p.Slug+"/comments/"+id+"/edit", headers...)
		wantStatus(t, res, http.StatusOK)
		checkHTML(t, res.body,
			in("form#comment-"+id+".comment-form.comment-edit textarea#edit-"+id+"-body[aria-describedby=edit-"+id+"-time]"),
			in("#edit-"+id+"-time", hasText("You can change it for 7 more minutes, until "+until+".")),
			in("form#comment-"+id+" .form-actions button[type=submit]", hasText("Save")),
			in("form#comment-"+id+" .form-actions a", hasText("Cancel")))
	}
}

// Past the 10 minutes, Save and Preview answer in the edit form with the
// words kept (409 with htmx, which swaps it in; the edit page without).
func TestEditTooLateKeepsTheText(t *testing.T) {
	_, p, cm, c := postedFirstGo(t)
	if _, err := seededDB(t).NewRaw("UPDATE comments SET created_at = now() - interval '11 minutes' WHERE id = ?", c.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(c.ID, 10)
	typed := url.Values{"body": {"My careful second thoughts"}, "edit": {id}}
	for _, headers := range [][]string{htmx, nil} {
		res := cm.do(t, postForm("/blog/"+p.Slug+"/comments/"+id, typed), headers...)
		wantStatus(t, res, http.StatusConflict)
		checkHTML(t, res.body,
			in("form#comment-"+id+" textarea[name=body]", hasExactText("My careful second thoughts")),
			in("form#comment-"+id+" .field-error", hasText("10 minutes for changing this comment are over")),
			in("#edit-"+id+"-time", hasText("are over")))
	}
	pv := cm.do(t, postForm("/blog/"+p.Slug+"/comments/preview", typed))
	wantStatus(t, pv, http.StatusOK)
	checkHTML(t, pv.body,
		in("form#comment-"+id+" textarea[name=body]", hasExactText("My careful second thoughts")),
		in("form#comment-"+id+" .field-error", hasText("can no longer be saved")),
		in("#edit-"+id+"-preview .comment-body", hasText("My careful second thoughts")))
	if got := commentsOf(t, p.ID)[0].BodyMD; got != "First go" {
		t.Errorf("a late edit changed the comment to %q", got)
	}
}

// Without JavaScript, the author lands on their new comment marked as just
// posted; the same address shows no mark to anyone else.
func TestPostedCommentIsMarked(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	res := cm.post(t, cm.form(t, "name=Ann", "body=Mine"))
	wantStatus(t, res, http.StatusSeeOther)
	c := commentsOf(t, p.ID)[0]
	id := "comment-" + strconv.FormatInt(c.ID, 10)
	loc := res.Header.Get("Location")
	if !strings.HasSuffix(loc, "#"+id) || !strings.Contains(loc, "posted=") {
		t.Fatalf("redirected to %q, want the comment's anchor with posted=", loc)
	}
	path := strings.TrimSuffix(loc, "#"+id)
	checkHTML(t, cm.get(t, path).body, in("article#"+id+".just-posted .just", hasText("Yours, just now")))
	checkHTML(t, cm.get(t, "/blog/"+p.Slug).body, in("article#"+id), notIn(".just-posted"))
	checkHTML(t, s.visitor().get(t, path).body, in("article#"+id), notIn(".just-posted"), notIn(".just"))

	// With htmx, the answer's copy carries the mark.
	frag := cm.post(t, cm.form(t, "name=Ann", "body=Mine again"), htmx...)
	wantStatus(t, frag, http.StatusOK)
	checkHTML(t, frag.body, in("div[hx-swap-oob] article.comment.just-posted .just", hasText("Yours, just now")))
}

// replyComment saves a visible reply to parent, as a reader would.
func replyComment(t *testing.T, p db.Post, parent db.Comment, name, body string) db.Comment {
	t.Helper()
	c := db.Comment{PostID: p.ID, ParentID: &parent.ID, Name: name, BodyMD: body, BodyHTML: "<p>" + body + "</p>",
		Status: db.CommentVisible, AuthorHash: []byte("author-" + unique()), IPHash: []byte("ip-" + unique())}
	if err := db.AddComment(context.Background(), seededDB(t), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// A comment's own address sends anyone to where it is shown: the article,
// or the older page of comments that has its thread; a comment not shown
// is a 404 that says so.
func TestCommentPermalink(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	first := visibleComment(t, p, "Ann", "Oldest")
	bulkComments(t, p.ID, 60) // pushes Ann's thread to an older page
	v := s.visitor()
	res := v.get(t, fmt.Sprintf("/blog/%s/comments/%d", p.Slug, first.ID))
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "?before=") || !strings.HasSuffix(loc, fmt.Sprintf("#comment-%d", first.ID)) {
		t.Errorf("the permalink of a comment on an older page goes to %q", loc)
	}
	page := v.get(t, strings.Split(res.Header.Get("Location"), "#")[0])
	checkHTML(t, page.body, in(fmt.Sprintf("article#comment-%d", first.ID)))
	if err := db.HideComment(context.Background(), seededDB(t), &first); err != nil {
		t.Fatal(err)
	}
	gone := v.get(t, fmt.Sprintf("/blog/%s/comments/%d", p.Slug, first.ID))
	wantStatus(t, gone, http.StatusNotFound)
	if !strings.Contains(gone.body, "not shown on the article") {
		t.Errorf("a hidden comment's permalink says:\n%s", gone.body)
	}
}

// postedFirstGo is an article with Ann's comment "First go", posted by cm
// (whose it is to edit): the server, the article, Ann and her comment.
func postedFirstGo(t *testing.T) (*testServer, db.Post, *commenter, db.Comment) {
	t.Helper()
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	wantStatus(t, cm.post(t, cm.form(t, "name=Ann", "body=First go")), http.StatusSeeOther)
	return s, p, cm, commentsOf(t, p.ID)[0]
}

// benAndCat is an article with Ben's comment and Cat's reply to it, and a
// commenter (cm) about to answer.
func benAndCat(t *testing.T) (s *testServer, p db.Post, cm *commenter, ben, cat db.Comment) {
	t.Helper()
	s = newTestServer(t, nil)
	p = savePost(t, db.Post{})
	ben = visibleComment(t, p, "Ben", "Does it help cramp?")
	cat = replyComment(t, p, ben, "Cat", "Same question")
	return s, p, s.commenter(t, p.Slug), ben, cat
}
