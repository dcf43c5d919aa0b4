package handlers

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"dynamicmotion/config"
	"dynamicmotion/db"
)

// commenter is a visitor who has an article open, ready to comment.
type commenter struct {
	*visitor
	slug string
	ip   string // the client address its posts come from ("" for httptest's)
}

func (s *testServer) commenter(t *testing.T, slug string) *commenter {
	t.Helper()
	v := s.visitor()
	if res := v.get(t, "/blog/"+slug); res.StatusCode != http.StatusOK {
		t.Fatalf("opening the article: %d", res.StatusCode)
	}
	return &commenter{visitor: v, slug: slug}
}

// form is a comment form as a person fills it: a stamp a minute old (they
// took their time), and the fields given as name=value.
func (cm *commenter) form(t *testing.T, fields ...string) url.Values {
	t.Helper()
	f := url.Values{
		startedField: {cm.s.h.stampForm(context.Background(), time.Now().Add(-time.Minute))},
	}
	for _, kv := range fields {
		k, v, _ := strings.Cut(kv, "=")
		f.Set(k, v)
	}
	return f
}

func (cm *commenter) post(t *testing.T, f url.Values, headers ...string) response {
	t.Helper()
	req := postForm("/blog/"+cm.slug+"/comments", f)
	if cm.ip != "" {
		req.RemoteAddr = cm.ip + ":4321"
	}
	return cm.do(t, req, headers...)
}

var htmx = []string{"HX-Request: true"}

// commentsOf returns a post's comments as stored, oldest first.
func commentsOf(t *testing.T, postID int64) []db.Comment {
	t.Helper()
	var cs []db.Comment
	if err := seededDB(t).NewSelect().Model(&cs).Where("post_id = ?", postID).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return cs
}

// Without JavaScript a comment posts, redirects to itself and is on the
// page, counted, for everyone.
func TestPostCommentWithoutJavaScript(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)

	res := cm.post(t, cm.form(t, "name=Ann", "body=Really *helpful*, thanks."))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; body:\n%s", res.StatusCode, res.body)
	}
	stored := commentsOf(t, p.ID)
	if len(stored) != 1 {
		t.Fatalf("%d comments stored, want 1", len(stored))
	}
	want := fmt.Sprintf("/blog/%s?posted=%d#comment-%d", p.Slug, stored[0].ID, stored[0].ID)
	if loc := res.Header.Get("Location"); loc != want {
		t.Errorf("redirect to %q, want %q", loc, want)
	}

	reader := s.visitor()
	page := reader.get(t, "/blog/"+p.Slug).body
	id := "comment-" + strconv.FormatInt(stored[0].ID, 10)
	checkHTML(t, page,
		in("#comments h2", hasExactText("Comments (1)")),
		in("article#"+id+" .comment-author", hasExactText("Ann")),
		in("article#"+id+" .comment-body em", hasExactText("helpful")),
		notIn("article#"+id+" a[href$=/edit]"), // not theirs
	)
	if got := jsonLD(t, page)["commentCount"]; got != 1.0 {
		t.Errorf("JSON-LD commentCount = %v, want 1", got)
	}
	// The author sees Edit and Delete on their own comment.
	checkHTML(t, cm.get(t, "/blog/"+p.Slug).body,
		in("article#"+id+" a[href=/blog/"+p.Slug+"/comments/"+strconv.FormatInt(stored[0].ID, 10)+"/edit]"),
		in("article#"+id+" form[action=/blog/"+p.Slug+"/comments/"+strconv.FormatInt(stored[0].ID, 10)+"/delete]"))
}

// With htmx the answer is a fresh, empty form, the comment placed in the
// list out of band (with the author's Edit), the new count and a message
// for screen readers.
func TestPostCommentWithHTMX(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	res := cm.post(t, cm.form(t, "name=Bo", "body=Hello there"), htmx...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body:\n%s", res.StatusCode, res.body)
	}
	if strings.Contains(res.body, "<html") || strings.Contains(res.body, "<h1") {
		t.Errorf("the answer is a whole page, want fragments:\n%s", res.body)
	}
	checkHTML(t, res.body,
		in("form#comment-form textarea[name=body]", hasExactText("")),
		in("form#comment-form input[name=name]", hasAttr("value", "")),
		in("div[hx-swap-oob=beforeend:#comment-list] li.thread article.comment .comment-author", hasExactText("Bo")),
		in("div[hx-swap-oob=beforeend:#comment-list] a[hx-target^=#comment-]", hasText("Edit")),
		in("span#comment-count[hx-swap-oob=innerHTML]", hasExactText("(1)")),
		in("p#comment-announce", hasText("Your comment is posted")),
	)
}

// Mistakes come back next to the field, with everything typed kept; nothing
// is stored.
func TestCommentValidation(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	tests := []struct {
		name, field, message string
		fields               []string
	}{
		{"no name", "name", "Please enter your name", []string{"name=  ", "body=Kept text"}},
		{"long name", "name", "80 characters", []string{"name=" + strings.Repeat("n", 81), "body=Kept text"}},
		{"no comment", "body", "Please write your comment", []string{"name=Kept name", "body=   "}},
		{"long comment", "body", "shorten it to 5000", []string{"name=Kept name", "body=" + strings.Repeat("é", 5001)}},
		{"too many links", "body", "at most 3 links", []string{"name=Kept name", "body=https://a.example https://b.example https://c.example https://d.example"}},
		{"nothing but an image", "body", "in words", []string{"name=Kept name", "body=![](https://x.example/a.png)"}},
		{"an invisible name", "name", "Please enter your name", []string{"name=\u200b\u2060", "body=Kept text"}},
		{"an invisible comment", "body", "Please write your comment", []string{"name=Kept name", "body=\u200b \ufeff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cm.form(t, tt.fields...)
			res := cm.post(t, f, htmx...)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("htmx: status %d, want 422", res.StatusCode)
			}
			checkHTML(t, res.body,
				in("form#comment-form #comment-form-"+tt.field+"-error", hasText(tt.message)),
				// The focus goes to it, and its message is read out with it.
				in("form#comment-form [name="+tt.field+"]", hasAttr("aria-invalid", "true"), hasAttr("autofocus", "")),
				count("form#comment-form [autofocus]", 1))
			if tt.field == "name" && !strings.Contains(res.body, ">Kept text</textarea>") {
				t.Errorf("the comment typed was lost:\n%s", res.body)
			}
			if tt.field == "body" && !strings.Contains(res.body, `value="Kept name"`) {
				t.Errorf("the name typed was lost:\n%s", res.body)
			}
			// Without JavaScript: the whole article, the form in place.
			plain := cm.post(t, f)
			if plain.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("plain: status %d, want 422", plain.StatusCode)
			}
			checkHTML(t, plain.body, in("h1"), in("section#comments form#comment-form #comment-form-"+tt.field+"-error", hasText(tt.message)))
		})
	}
	if n := len(commentsOf(t, p.ID)); n != 0 {
		t.Errorf("%d comments stored from invalid forms, want 0", n)
	}
}

// A reply whose comment went meanwhile is not lost: with htmx the reply
// form closes with a note and the text moves into the main form (one form
// with those ids on the page); without, the page comes back with it there.
func TestReplyToACommentThatWent(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	gone := visibleComment(t, p, "Ann", "Soon gone")
	if err := db.DeleteComment(context.Background(), seededDB(t), &gone); err != nil {
		t.Fatal(err)
	}
	cm := s.commenter(t, p.Slug)
	f := cm.form(t, "name=Bob", "body=My careful reply", "parent_id="+strconv.FormatInt(gone.ID, 10))
	res := cm.post(t, f, htmx...)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body,
		in("p.form-notice", hasText("no longer there")),
		count("form", 1),
		in("form#comment-form[hx-swap-oob=true] textarea[name=body]", hasExactText("My careful reply")),
		notIn("input[name=parent_id]"))
	plain := cm.post(t, f)
	wantStatus(t, plain, http.StatusUnprocessableEntity)
	checkHTML(t, plain.body, in("section#comments form#comment-form textarea[name=body]", hasExactText("My careful reply")),
		in("form#comment-form .form-notice", hasText("no longer there")))
	if n := len(commentsOf(t, p.ID)); n != 1 {
		t.Errorf("%d comments stored, want only the deleted one", n)
	}
}

// A browser counts a line break as one character (maxlength) but sends it
// as CR LF: a comment at the limit is not refused for its line breaks, and
// is kept with plain line breaks. Bidirectional controls, which could make
// a name or the text after it read backwards, are dropped.
func TestCommentLineBreaksAndDirection(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	line := strings.Repeat("a", 99)
	body := strings.TrimSuffix(strings.Repeat(line+"\r\n", 50), "\r\n") // 4,999 characters as a browser counts them
	res := cm.post(t, cm.form(t, "name=Ann\u202eevil", "body="+body))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a comment of 4,999 characters with 49 line breaks: %d, want 303\n%.500s", res.StatusCode, res.body)
	}
	got := commentsOf(t, p.ID)[0]
	if strings.Contains(got.BodyMD, "\r") || strings.Count(got.BodyMD, "\n") != 49 {
		t.Errorf("stored body has CR or lost its line breaks: %q…", got.BodyMD[:120])
	}
	if got.Name != "Annevil" {
		t.Errorf("stored name %q, want the bidirectional override dropped", got.Name)
	}
}

// spamCase is a way a form can look sent by a script, and what the answer
// says about it.
type spamCase struct {
	name   string
	change func(url.Values)
	notice string
}

// spamCases are the anti-spam checks every visitor's form has (comments,
// contact): the honeypot, a form sent faster than a person types, a forged,
// day-old stamp. (A stamp is no longer bound to a visitor: anonymous
// visitors have no cookie to bind it to.)
func spamCases(s *testServer) []spamCase {
	ctx := context.Background()
	return []spamCase{
		{"honeypot filled", func(f url.Values) { f.Set(honeypotField, "http://spam.example") }, "Leave this empty"},
		{"sent at once", func(f url.Values) { f.Set(startedField, s.h.stampForm(ctx, time.Now())) }, "wait a moment, then press"},
		{"forged stamp", func(f url.Values) {
			f.Set(startedField, strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)+".AAAAAAAAAAAAAAAAAAAAAA")
		}, "could not be checked"},
		{"no stamp", func(f url.Values) { f.Del(startedField) }, "and press"}, // Post (Send) again: see TestCommentWithoutStampPostsOnSecondPress
		{"a day old", func(f url.Values) {
			f.Set(startedField, s.h.stampForm(ctx, time.Now().Add(-25*time.Hour)))
		}, "open for a day"},
	}
}

// Spam checks: the honeypot, a form sent faster than a person types, a
// forged or day-old stamp. Each says what to do and keeps the text.
func TestCommentSpamChecks(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	tests := spamCases(s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cm.form(t, "name=Sam", "body=Buy things")
			tt.change(f)
			res := cm.post(t, f, htmx...)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			checkHTML(t, res.body, in("form#comment-form p.form-notice", hasText(tt.notice)))
			if !strings.Contains(res.body, ">Buy things</textarea>") {
				t.Error("the comment typed was lost")
			}
		})
	}
	if n := len(commentsOf(t, p.ID)); n != 0 {
		t.Errorf("%d comments stored, want 0", n)
	}
}

// With the load run's switch (BENCH_NO_LIMITS, which config allows only
// with BENCH_CEILING on loopback), one session and one address may post
// past both limits (6 per session, 20 per address): the load script posts
// thousands of comments from one address.
func TestCommentRateLimitLiftedForALoadRun(t *testing.T) {
	s := newTestServer(t, func(c *config.Config) { c.BenchCeiling, c.BenchNoLimits = true, true })
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	for i := range 25 {
		if res := cm.post(t, cm.form(t, "name=Load", "body=Comment "+strconv.Itoa(i)), htmx...); res.StatusCode != http.StatusOK {
			t.Fatalf("comment %d with the limits lifted: status %d, want 200", i+1, res.StatusCode)
		}
	}
}

// Too many comments from one session in a short time get 429 with a clear
// message; the comment typed is kept.
func TestCommentRateLimit(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	for i := range 6 {
		if res := cm.post(t, cm.form(t, "name=Fast", "body=Comment "+strconv.Itoa(i)), htmx...); res.StatusCode != http.StatusOK {
			t.Fatalf("comment %d: status %d", i+1, res.StatusCode)
		}
	}
	res := cm.post(t, cm.form(t, "name=Fast", "body=One too many"), htmx...)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("7th comment: status %d, want 429", res.StatusCode)
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	checkHTML(t, res.body, in("p.form-notice", hasText("Please wait")))
	if !strings.Contains(res.body, ">One too many</textarea>") {
		t.Error("the comment typed was lost")
	}
	if n := len(commentsOf(t, p.ID)); n != 6 {
		t.Errorf("%d comments stored, want 6", n)
	}
	// Someone else is not held back by it.
	other := s.commenter(t, p.Slug)
	if res := other.post(t, other.form(t, "name=Slow", "body=Hi"), htmx...); res.StatusCode != http.StatusOK {
		t.Errorf("another session: status %d, want 200", res.StatusCode)
	}
}

// Comments from one client address are limited too, 20 in 10 minutes,
// however many sessions they come from: a visitor who drops their cookie
// (or a script that never keeps one) gets the same 429, clear message and
// kept text as one session does. Another address is not held back. On
// Fly.io the address is the visitor's own (Fly-Client-IP), not that of the
// edge proxy every visitor arrives through.
func TestCommentRateLimitPerAddress(t *testing.T) {
	for _, onFly := range []bool{false, true} {
		t.Run(fmt.Sprintf("on Fly %t", onFly), func(t *testing.T) {
			s := newTestServer(t, func(c *config.Config) { c.OnFly = onFly })
			p := savePost(t, db.Post{})
			// send posts a comment from a new or given session at addr.
			send := func(cm *commenter, addr, body string) response {
				t.Helper()
				headers := htmx
				if onFly {
					cm.ip = "172.19.0.2" // Fly's proxy, the same for everyone
					headers = append([]string{"Fly-Client-IP: " + addr}, htmx...)
				} else {
					cm.ip = addr
				}
				return cm.post(t, cm.form(t, "name=Busy", "body="+body), headers...)
			}
			const addr = "203.0.113.50"
			for v := range 4 { // four sessions, five comments each: under the session limit
				cm := s.commenter(t, p.Slug)
				for i := range 5 {
					if res := send(cm, addr, fmt.Sprintf("Visitor %d comment %d", v+1, i+1)); res.StatusCode != http.StatusOK {
						t.Fatalf("comment %d from the address: status %d, want 200", v*5+i+1, res.StatusCode)
					}
				}
			}
			res := send(s.commenter(t, p.Slug), addr, "One too many from here")
			if res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("21st comment from one address, in a fresh session: status %d, want 429", res.StatusCode)
			}
			if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 601 {
				t.Errorf("Retry-After = %q, want 1 to 601 seconds", res.Header.Get("Retry-After"))
			}
			checkHTML(t, res.body, in("p.form-notice", hasText("several comments in a short time"), hasText("Please wait")))
			if !strings.Contains(res.body, ">One too many from here</textarea>") {
				t.Error("the comment typed was lost")
			}
			if n := len(commentsOf(t, p.ID)); n != 20 {
				t.Errorf("%d comments stored, want 20", n)
			}
			// Another address, in a fresh session, is not held back.
			if res := send(s.commenter(t, p.Slug), "203.0.113.51", "From next door"); res.StatusCode != http.StatusOK {
				t.Errorf("a comment from another address: status %d, want 200", res.StatusCode)
			}
			noServerErrors(t, s)
		})
	}
}

// Replies are one level deep: a reply to a reply joins the same thread.
func TestCommentReplies(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	cm.post(t, cm.form(t, "name=Ann", "body=Question?"))
	top := commentsOf(t, p.ID)[0].ID
	cm.post(t, cm.form(t, "name=Bob", "body=Answer", "parent_id="+strconv.FormatInt(top, 10)))
	reply := commentsOf(t, p.ID)[1].ID
	res := cm.post(t, cm.form(t, "name=Cat", "body=Thanks", "parent_id="+strconv.FormatInt(reply, 10)), htmx...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reply to a reply: %d\n%s", res.StatusCode, res.body)
	}
	replyTop := fmt.Sprintf("div[hx-swap-oob=beforeend:#replies-%d]", top)
	checkHTML(t, res.body, in(replyTop+" .comment-author", hasExactText("Cat")), notIn("form#comment-form"))

	page := s.visitor().get(t, "/blog/"+p.Slug).body
	checkHTML(t, page,
		count("#comment-list li.thread", 1),
		count(fmt.Sprintf("ol#replies-%d li", top), 2))

	// Reply to something that is not there: the text comes back to send as a
	// new comment.
	res = cm.post(t, cm.form(t, "name=Dan", "body=Lost reply", "parent_id=99999999"), htmx...)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, ">Lost reply</textarea>") {
		t.Errorf("reply to a missing comment: %d\n%s", res.StatusCode, res.body)
	}
	// Without JavaScript, "Reply" opens the form under the comment.
	checkHTML(t, s.visitor().get(t, fmt.Sprintf("/blog/%s?reply=%d", p.Slug, top)).body,
		in(fmt.Sprintf("#thread-%d form#reply-form-%d input[name=parent_id]", top, top), hasAttr("value", strconv.FormatInt(top, 10))))
}

// Moderation: "all" holds every comment, "first" a person's first one.
// A held comment is seen by its author only, and is not streamed.
func TestCommentModeration(t *testing.T) {
	setModeration := func(t *testing.T, mode string) {
		t.Helper()
		if _, err := seededDB(t).NewRaw("UPDATE business_settings SET comment_moderation = ?", mode).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			seededDB(t).NewRaw("UPDATE business_settings SET comment_moderation = 'off'").Exec(context.Background())
		})
	}
	t.Run("all", func(t *testing.T) {
		setModeration(t, db.ModerationAll)
		s := newTestServer(t, nil)
		p := savePost(t, db.Post{})
		cm := s.commenter(t, p.Slug)
		res := cm.post(t, cm.form(t, "name=Held", "body=Please approve"), htmx...)
		checkHTML(t, res.body, in("p#comment-announce", hasText("waiting for approval")), in("article.comment.held p.notice", hasText("Awaiting approval")))
		stored := commentsOf(t, p.ID)
		if len(stored) != 1 || stored[0].Status != db.CommentHeld {
			t.Fatalf("stored %+v, want one held comment", stored)
		}
		checkHTML(t, cm.get(t, "/blog/"+p.Slug).body, in("#comment-list article.held", hasText("Please approve")), in("#comments h2", hasExactText("Comments (0)")))
		checkHTML(t, s.visitor().get(t, "/blog/"+p.Slug).body, notIn("#comment-list article"))
		if ids, _ := db.CommentEventsSince(context.Background(), seededDB(t), p.ID, 0, 10); len(ids) != 0 {
			t.Errorf("a held comment made events %v", ids)
		}

		// Its author may still correct it while it waits.
		base := fmt.Sprintf("/blog/%s/comments/%d", p.Slug, stored[0].ID)
		if res := cm.do(t, postForm(base, url.Values{"body": {"Please approve this"}}), htmx...); res.StatusCode != http.StatusOK {
			t.Fatalf("editing one's held comment: %d\n%s", res.StatusCode, res.body)
		}
		if got := commentsOf(t, p.ID)[0]; got.Status != db.CommentHeld || got.BodyMD != "Please approve this" {
			t.Errorf("after the author's edit: %s %q, want held with the new text", got.Status, got.BodyMD)
		}
		// Approved, it cannot be rewritten past moderation: an edit puts it
		// back in the queue and off the page.
		seededDB(t).NewRaw("UPDATE comments SET status = 'visible' WHERE id = ?", stored[0].ID).Exec(context.Background())
		if res := cm.do(t, postForm(base, url.Values{"body": {"BUY NOW https://spam.example"}}), htmx...); res.StatusCode != http.StatusOK {
			t.Fatalf("editing after approval: %d\n%s", res.StatusCode, res.body)
		} else {
			checkHTML(t, res.body, in("article.comment.held p.notice", hasText("Awaiting approval")))
		}
		if got := commentsOf(t, p.ID)[0]; got.Status != db.CommentHeld {
			t.Errorf("edited after approval, the comment is %s, want held again", got.Status)
		}
		if page := s.visitor().get(t, "/blog/"+p.Slug).body; strings.Contains(page, "BUY NOW") {
			t.Error("an approved comment rewritten by its author reached readers without approval")
		}
		// And its author may delete it, held or not.
		if res := cm.do(t, postForm(base+"/delete", url.Values{})); res.StatusCode != http.StatusSeeOther {
			t.Errorf("deleting one's held comment: %d", res.StatusCode)
		}
	})
	t.Run("first", func(t *testing.T) {
		setModeration(t, db.ModerationFirst)
		s := newTestServer(t, nil)
		p := savePost(t, db.Post{})
		cm := s.commenter(t, p.Slug)
		cm.ip = "2001:db8::" + strconv.FormatInt(time.Now().UnixNano()%0xffff, 16) // a new person: no comment from this address before
		cm.post(t, cm.form(t, "name=New", "body=First"))
		first := commentsOf(t, p.ID)[0]
		if first.Status != db.CommentHeld {
			t.Fatalf("first comment is %s, want held", first.Status)
		}
		// Approved (the admin area does this): the next one appears at once.
		seededDB(t).NewRaw("UPDATE comments SET status = 'visible' WHERE id = ?", first.ID).Exec(context.Background())
		cm.post(t, cm.form(t, "name=New", "body=Second"))
		if second := commentsOf(t, p.ID)[1]; second.Status != db.CommentVisible {
			t.Errorf("second comment is %s, want visible", second.Status)
		}
		// Someone else behind the same address (a mobile network's, say)
		// is a new person: held.
		stranger := s.commenter(t, p.Slug)
		stranger.ip = cm.ip
		stranger.post(t, stranger.form(t, "name=Stranger", "body=Hello"))
		if third := commentsOf(t, p.ID)[2]; third.Status != db.CommentHeld {
			t.Errorf("a stranger at an approved commenter's address: %s, want held", third.Status)
		}
	})
}

// A commenter may edit or delete their own comment for ten minutes, from
// their own session only.
func TestEditAndDeleteOwnComment(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	cm.post(t, cm.form(t, "name=Ann", "body=Tpyo"))
	c := commentsOf(t, p.ID)[0]
	base := fmt.Sprintf("/blog/%s/comments/%d", p.Slug, c.ID)

	edit := cm.get(t, base+"/edit", htmx...)
	checkHTML(t, edit.body, in(fmt.Sprintf("form#comment-%d textarea[name=body]", c.ID), hasExactText("Tpyo")))
	res := cm.do(t, postForm(base, url.Values{"body": {"Typo"}}), htmx...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("saving an edit: %d\n%s", res.StatusCode, res.body)
	}
	checkHTML(t, res.body, in(fmt.Sprintf("article#comment-%d .comment-body", c.ID), hasText("Typo")), in(".edited", hasExactText("edited")))

	// Someone else cannot.
	other := s.visitor()
	other.get(t, "/blog/"+p.Slug)
	if res := other.do(t, postForm(base, url.Values{"body": {"Hacked"}})); res.StatusCode != http.StatusForbidden {
		t.Errorf("another session's edit: %d, want 403", res.StatusCode)
	}
	if res := other.do(t, postForm(base+"/delete", url.Values{})); res.StatusCode != http.StatusForbidden {
		t.Errorf("another session's delete: %d, want 403", res.StatusCode)
	}

	// A reply keeps the thread when its parent is deleted.
	other.do(t, postForm("/blog/"+p.Slug+"/comments", url.Values{
		startedField: {s.h.stampForm(context.Background(), time.Now().Add(-time.Minute))},
		"name":       {"Bob"}, "body": {"Reply"}, "parent_id": {strconv.FormatInt(c.ID, 10)},
	}))
	if res := cm.do(t, postForm(base+"/delete", url.Values{})); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deleting: %d", res.StatusCode)
	}
	page := s.visitor().get(t, "/blog/"+p.Slug).body
	checkHTML(t, page,
		in(fmt.Sprintf("article#comment-%d.deleted", c.ID), hasText("deleted by its author")),
		in(fmt.Sprintf("#replies-%d .comment-author", c.ID), hasExactText("Bob")),
		in("#comments h2", hasExactText("Comments (1)")))
	if strings.Contains(page, "Typo") {
		t.Error("the deleted comment's text is still on the page")
	}

	// After ten minutes the reply's author can no longer change it.
	rep := commentsOf(t, p.ID)[1]
	seededDB(t).NewRaw("UPDATE comments SET created_at = now() - interval '11 minutes' WHERE id = ?", rep.ID).Exec(context.Background())
	res = other.do(t, postForm(fmt.Sprintf("/blog/%s/comments/%d", p.Slug, rep.ID), url.Values{"body": {"Late"}}))
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, "10 minutes") || !strings.Contains(res.body, "Late</textarea>") {
		t.Errorf("an edit after the window: %d, want 409 with the message and the text kept\n%s", res.StatusCode, res.body)
	}
}

// What a commenter writes cannot run or carry htmx attributes into the page.
func TestCommentsAreSanitised(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	body := `<script>alert(1)</script> <img src=x onerror=alert(1)> <a href="javascript:alert(1)" hx-get="/admin">x</a> [y](javascript:alert(2)) <div data-hx-post="/x">z</div> https://ok.example`
	if res := cm.post(t, cm.form(t, "name=<b>Eve</b>", "body="+body)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	page := s.visitor().get(t, "/blog/"+p.Slug).body
	root := parseHTML(t, page)
	var inside []*html.Node
	for _, b := range selectAll(root, "#comment-list .comment-body") {
		inside = append(inside, descendants(b)...)
	}
	for _, n := range inside {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || strings.Contains(a.Key, "hx-") || strings.Contains(strings.ToLower(a.Val), "javascript:") {
				t.Errorf("dangerous attribute %s=%q survived on <%s>", a.Key, a.Val, n.Data)
			}
		}
		if n.Data == "script" || n.Data == "img" || n.Data == "div" {
			t.Errorf("<%s> survived in a comment", n.Data)
		}
	}
	checkHTML(t, page,
		in("#comment-list .comment-author", hasExactText("<b>Eve</b>")),
		in("#comment-list .comment-body a[href=https://ok.example]", hasAttr("rel", "nofollow ugc noopener")))
}

// sseClient reads one Server-Sent Events stream: its events, and apart
// from them its comment lines (": keep-alive"), which browsers ignore.
type sseClient struct {
	events   chan sseEvent
	comments chan string
	cancel   context.CancelFunc
}

type sseEvent struct{ id, name, data string }

func openStream(t *testing.T, base, path string, headers ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	c := &sseClient{events: make(chan sseEvent, 100), comments: make(chan string, 100), cancel: cancel}
	t.Cleanup(cancel)
	go func() {
		defer res.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					c.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				select {
				case c.comments <- line:
				default: // nobody is counting them
				}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[6:] + "\n"
			}
		}
	}()
	return c
}

func (c *sseClient) next(t *testing.T, within time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-c.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return sseEvent{}
}

// nextUpdate is the next update event (a change to a comment already on
// the page), past the new-comment events of comments the test added just
// before opening the stream, which may still be on their way.
func (c *sseClient) nextUpdate(t *testing.T, within time.Duration) sseEvent {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if ev := c.next(t, time.Until(deadline)); ev.name == sseUpdate {
			return ev
		}
	}
}

// runHub runs the server's live comment hub for the test.
func (s *testServer) runHub(t *testing.T) *httptest.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-s.h.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("the hub did not start listening")
	}
	srv := httptest.NewServer(s.e)
	t.Cleanup(srv.Close)
	return srv
}

// A new comment reaches every reader of the article live, as the page's own
// fragment, within a second; a reconnecting reader gets what it missed.
func TestCommentStream(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	stream := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream")

	cm := s.commenter(t, p.Slug)
	cm.post(t, cm.form(t, "name=Live", "body=Hello everyone"))
	ev := stream.next(t, time.Second)
	c := commentsOf(t, p.ID)[0]
	if ev.name != "comment" || ev.id == "" {
		t.Errorf("event %q id %q, want a comment event with an id", ev.name, ev.id)
	}
	checkHTML(t, "<div>"+ev.data+"</div>",
		in(fmt.Sprintf("div[hx-swap-oob=beforeend:#comment-list] article#comment-%d .comment-author", c.ID), hasExactText("Live")),
		notIn("a[href$=/edit]"),
		in("span#comment-count", hasExactText("(1)")),
		in("p#comment-announce", hasText("New comment from Live")))

	// An edit is an update of the comment in place.
	cm.do(t, postForm(fmt.Sprintf("/blog/%s/comments/%d", p.Slug, c.ID), url.Values{"body": {"Hello all"}}))
	up := stream.next(t, time.Second)
	checkHTML(t, "<div>"+up.data+"</div>", in(fmt.Sprintf("article#comment-%d[hx-swap-oob=true] .comment-body", c.ID), hasText("Hello all")))

	// Another article's readers hear nothing of it.
	other := openStream(t, srv.URL, "/blog/"+savePost(t, db.Post{}).Slug+"/comments/stream")
	cm.post(t, cm.form(t, "name=Live", "body=Second"))
	stream.next(t, time.Second)
	select {
	case ev := <-other.events:
		t.Errorf("another article's stream got %q", ev.name)
	case <-time.After(200 * time.Millisecond):
	}

	// Reconnecting with Last-Event-ID replays what came after it, in order:
	// each changed comment once, as it is now, the last with the newest id.
	last, _ := db.LastCommentEvent(context.Background(), seededDB(t))
	again := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream", "Last-Event-ID: "+ev.id)
	if r := again.next(t, time.Second); r.name != sseUpdate || !strings.Contains(r.data, "Hello all") || eventID(r.id) < eventID(up.id) {
		t.Errorf("replay starts with %s %q (id %s), want the edit (id %s or later)", r.name, r.data, r.id, up.id)
	}
	if r := again.next(t, time.Second); r.name != sseComment || !strings.Contains(r.data, "Second") || eventID(r.id) != last {
		t.Errorf("replay goes on with %s %q (id %s), want the second comment with the newest id %d", r.name, r.data, r.id, last)
	}
	// ?after= does the same for a page's first connection: the first
	// comment, posted then edited, comes once, as it is now.
	fromPage := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream?after=0")
	if r := fromPage.next(t, time.Second); r.name != sseComment || !strings.Contains(r.data, "Hello all") {
		t.Errorf("?after=0 replays first %s %q, want the first comment as edited", r.name, r.data)
	}
	if r := fromPage.next(t, time.Second); !strings.Contains(r.data, "Second") {
		t.Errorf("?after=0 replays second %s %q, want the second comment", r.name, r.data)
	}

	// A page that missed more than can be replayed is told to reload, and
	// the stream goes on from the newest event (so that its next reconnect
	// does not ask for the same again).
	s.h.replayLimit = 1
	far := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream?after=0")
	stale := far.next(t, time.Second)
	checkHTML(t, "<div>"+stale.data+"</div>",
		in("div#comments-stale[hx-swap-oob=true][role=status]", hasText("reload it")),
		in("div#comments-stale a[href='/blog/"+p.Slug+"#comments']"))
	if last, _ := db.LastCommentEvent(context.Background(), seededDB(t)); stale.id != strconv.FormatInt(last, 10) {
		t.Errorf("the notice's id is %s, want the newest event %d", stale.id, last)
	}
}

// Two instances on one database: a comment posted to one reaches a reader
// streaming from the other within a second.
func TestCommentStreamAcrossInstances(t *testing.T) {
	a := newTestServer(t, nil)
	b := newTestServer(t, nil)
	srvA := a.runHub(t)
	b.runHub(t)
	p := savePost(t, db.Post{})
	stream := openStream(t, srvA.URL, "/blog/"+p.Slug+"/comments/stream")

	cm := b.commenter(t, p.Slug)
	start := time.Now()
	cm.post(t, cm.form(t, "name=Elsewhere", "body=From instance B"))
	ev := stream.next(t, time.Second)
	if !strings.Contains(ev.data, "From instance B") {
		t.Errorf("instance A streamed %q", ev.data)
	}
	t.Logf("comment crossed instances in %v", time.Since(start))
	// Instance A's page shows it too (its cache was told).
	checkHTML(t, a.visitor().get(t, "/blog/"+p.Slug).body, in("#comment-list .comment-body", hasText("From instance B")))
}

// The comment list rendered once per cached article for visitors with no
// comment of their own is the list they would get rendered for them: a new
// comment shows at once, and its author still gets their Edit and Delete
// controls while nobody else does.
func TestSharedCommentListStaysCurrent(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	reader := s.visitor()
	if res := reader.get(t, "/blog/"+p.Slug); res.StatusCode != http.StatusOK {
		t.Fatalf("GET the article: %d", res.StatusCode)
	}
	cm := s.commenter(t, p.Slug)
	for i, text := range []string{"First shared comment", "Second shared comment"} {
		if res := cm.post(t, cm.form(t, "name=Ann", "body="+text), htmx...); res.StatusCode != http.StatusOK {
			t.Fatalf("comment %d: status %d", i+1, res.StatusCode)
		}
		for range 2 { // the second view reads the list rendered by the first
			res := reader.get(t, "/blog/"+p.Slug)
			if !strings.Contains(res.body, text) {
				t.Fatalf("after comment %d a reader's page does not show %q", i+1, text)
			}
			if strings.Contains(res.body, "/delete\"") || strings.Contains(res.body, ">Edit<") {
				t.Errorf("a reader's page offers Edit or Delete on someone else's comment")
			}
		}
		own := cm.get(t, "/blog/"+p.Slug)
		if !strings.Contains(own.body, text) || !strings.Contains(own.body, ">Edit<") {
			t.Errorf("after comment %d its author's page lacks the comment or its Edit link", i+1)
		}
	}
}

// The article is renamed while a reader writes a comment: what they send to
// the old address is sent on (308, which keeps a POST and its form) and
// saved there; nothing they typed is lost. Editing their comment through
// the old address works the same way.
func TestCommentOnARenamedArticle(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	if err := db.RenamePost(context.Background(), seededDB(t), p.ID, p.Slug+"-renamed"); err != nil {
		t.Fatal(err)
	}
	s.h.articles.invalidate()
	newPath := "/blog/" + p.Slug + "-renamed/comments"
	for _, headers := range [][]string{nil, htmx} {
		res := cm.post(t, cm.form(t, "name=Ann", "body=Written while it moved"), headers...)
		if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != newPath {
			t.Fatalf("a comment sent to the old address: %d to %q, want 308 to %s", res.StatusCode, res.Header.Get("Location"), newPath)
		}
	}
	f := cm.form(t, "name=Ann", "body=Written while it moved")
	req := postForm(newPath, f)
	wantStatus(t, cm.do(t, req), http.StatusSeeOther)
	stored := commentsOf(t, p.ID)
	if len(stored) != 1 || stored[0].BodyMD != "Written while it moved" {
		t.Fatalf("comments after following the redirect: %+v", stored)
	}
	old := fmt.Sprintf("/blog/%s/comments/%d", p.Slug, stored[0].ID)
	res := cm.do(t, postForm(old, url.Values{"body": {"Edited"}}))
	if want := fmt.Sprintf("%s/%d", newPath, stored[0].ID); res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
		t.Errorf("an edit sent to the old address: %d to %q, want 308 to %s", res.StatusCode, res.Header.Get("Location"), want)
	}
	noServerErrors(t, s)
}

// TestRoundWait: a wait is said as a person would say it, also when it is
// a day ("1440 minutes" was seen).
func TestRoundWait(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "a minute"},
		{90 * time.Second, "2 minutes"},
		{59 * time.Minute, "59 minutes"},
		{60 * time.Minute, "an hour"},
		{100 * time.Minute, "2 hours"},
		{5*time.Hour + 10*time.Minute, "5 hours"},
		{24 * time.Hour, "a day"},
		{23*time.Hour + 59*time.Minute, "a day"},
	} {
		if got := roundWait(c.d); got != c.want {
			t.Errorf("roundWait(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestReplyFormKeepsThePageStamp: the reply form fetched with htmx keeps
// the stamp of the page it opens in (the reader has been there since), so a
// short reply typed at once is not refused as too quick; a forged stamp is
// not kept.
func TestReplyFormKeepsThePageStamp(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	wantStatus(t, cm.post(t, cm.form(t, "name=Ann", "body=First")), http.StatusSeeOther)
	c := commentsOf(t, p.ID)[0]
	id := strconv.FormatInt(c.ID, 10)
	pageStamp := fetchStamp(t, s) // as the page's form does when it loads
	later(t, time.Minute)         // the page has been open a minute
	replyPath := fmt.Sprintf("/blog/%s/comments/%s/reply?started=", p.Slug, id)
	res := cm.get(t, replyPath+url.QueryEscape(pageStamp), htmx...)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("form#reply-form-"+id+" input[name=started]", hasAttr("value", pageStamp)))
	f := url.Values{startedField: {pageStamp}, "name": {"Bob"}, "body": {"Thanks!"}, "parent_id": {id}}
	wantStatus(t, cm.post(t, f), http.StatusSeeOther)

	forged := cm.get(t, replyPath+"1700000000000.forged", htmx...)
	wantStatus(t, forged, http.StatusOK)
	if strings.Contains(forged.body, "1700000000000.forged") {
		t.Error("the reply form kept a stamp that is not the site's")
	}
}
