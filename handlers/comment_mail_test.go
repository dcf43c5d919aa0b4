package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dynamicmotion/db"
	"dynamicmotion/links"
)

// commentMail returns the messages about comments sent to address, oldest first.
func commentMail(t *testing.T, address string) []db.OutboxMessage {
	t.Helper()
	var ms []db.OutboxMessage
	if err := seededDB(t).NewSelect().Model(&ms).Where("recipient = ? AND kind LIKE 'comment%'", address).
		OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ms
}

// replyJobs counts the reply notification jobs about comment id.
func replyJobs(t *testing.T, id int64) int {
	t.Helper()
	var n int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM river_job WHERE kind = 'comment_reply' AND (args->>'comment_id')::bigint = ?", id).
		Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

var linkToken = regexp.MustCompile(`(/comments/subscriptions/(?:confirm|unsubscribe)/[A-Za-z0-9_-]{32})`)

func linkIn(t *testing.T, m db.OutboxMessage, kind string) string {
	t.Helper()
	for _, l := range linkToken.FindAllString(m.Message.Text, -1) {
		if strings.Contains(l, kind) {
			return l
		}
	}
	t.Fatalf("no %s link in %q:\n%s", kind, m.Subject, m.Message.Text)
	return ""
}

func uniqueEmail(who string) string { return who + "-" + unique() + "@example.com" }

// The box unticked sends nothing; ticked without an address is a mistake next to the field, everything typed
// kept; ticked with one sends exactly one confirmation.
func TestCommentEmailMeReplies(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	addr := uniqueEmail("ann")

	if res := cm.post(t, cm.form(t, "name=Ann", "body=No mail please", "email="+addr)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unticked: %d", res.StatusCode)
	}
	if ms := commentMail(t, addr); len(ms) != 0 {
		t.Fatalf("unticked box: %d messages", len(ms))
	}

	for _, bad := range []string{"", "not-an-address", "ann@localhost", "Ann <a@example.com>"} {
		res := cm.post(t, cm.form(t, "name=Ann", "body=Kept text", "notify=1", "email="+bad), htmx...)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("email %q: status %d, want 422", bad, res.StatusCode)
		}
		checkHTML(t, res.body,
			in("form#comment-form #comment-form-email-error", hasText("Please enter your email address")),
			in("form#comment-form input[name=email]", hasAttr("aria-invalid", "true")),
			in("form#comment-form input[name=notify]", hasAttr("checked", "")),
			in("form#comment-form input[name=name]", hasAttr("value", "Ann")))
		if !strings.Contains(res.body, ">Kept text</textarea>") {
			t.Errorf("the comment typed was lost")
		}
	}
	plain := cm.post(t, cm.form(t, "name=Ann", "body=Kept text", "notify=1", "email=nope"))
	if plain.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("plain: %d", plain.StatusCode)
	}
	checkHTML(t, plain.body, in("section#comments #comment-form-email-error"), in("#comment-form-notify-hint", hasText("confirmation link first")))

	res := cm.post(t, cm.form(t, "name=Ann", "body=Tell me", "notify=on", "email="+addr), htmx...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ticked: %d\n%s", res.StatusCode, res.body)
	}
	ms := commentMail(t, addr)
	if len(ms) != 1 || ms[0].Kind != "comment_subscription_confirm" {
		t.Fatalf("messages after ticking the box: %+v, want one confirmation", ms)
	}
	if ms[0].Message.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Errorf("headers %v", ms[0].Message.Headers)
	}
}

// The confirmation link shows a button (following it confirms nothing); the button confirms. Replies then
// reach the subscriber, never about their own reply; a held reply waits for its approval. Unsubscribing is one
// click on the page, or one POST from the mail program without a session or any browser header.
func TestCommentSubscriptionLinks(t *testing.T) {
	s := newTestServer(t, nil)
	ctx := context.Background()
	p := savePost(t, db.Post{})
	ann := s.commenter(t, p.Slug)
	addr := uniqueEmail("ann")
	ann.post(t, ann.form(t, "name=Ann", "body=Question", "notify=1", "email="+addr))
	top := commentsOf(t, p.ID)[0]
	confirm := linkIn(t, commentMail(t, addr)[0], "confirm")

	page := ann.get(t, confirm)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("confirm page: %d", page.StatusCode)
	}
	checkHTML(t, page.body, in("form[action="+confirm+"] button", hasText("Yes, e-mail me replies")), in("h1"))
	bob := s.commenter(t, p.Slug)
	bob.post(t, bob.form(t, "name=Bob", "body=Early reply", "parent_id="+itoa(top.ID)))
	early := commentsOf(t, p.ID)[1]
	if replyJobs(t, early.ID) != 1 {
		t.Fatalf("a visible reply enqueued %d jobs, want 1", replyJobs(t, early.ID))
	}
	if sub, _ := db.SubscriptionByConfirmToken(ctx, seededDB(t), db.HashToken(strings.TrimPrefix(confirm, links.ConfirmReplies))); sub.ConfirmedAt != nil {
		t.Fatal("following the link confirmed the subscription")
	}

	// The button, from a browser that is not the commenter's.
	v := s.visitor()
	v.get(t, confirm)
	res := v.do(t, postForm(confirm, url.Values{}))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	checkHTML(t, v.get(t, confirm).body, in("h1", hasText("Thank you")))
	if res := s.visitor().do(t, postForm(confirm, url.Values{}), "Sec-Fetch-Site: cross-site"); res.StatusCode != http.StatusForbidden {
		t.Errorf("confirm from another site: %d, want 403", res.StatusCode)
	}

	// A held reply enqueues nothing until approved.
	seededDB(t).NewRaw("UPDATE business_settings SET comment_moderation = 'all'").Exec(ctx)
	t.Cleanup(func() { seededDB(t).NewRaw("UPDATE business_settings SET comment_moderation = 'off'").Exec(ctx) })
	moderated := newTestServer(t, nil)
	cat := moderated.commenter(t, p.Slug)
	cat.post(t, cat.form(t, "name=Cat", "body=Held reply", "parent_id="+itoa(top.ID)))
	held := commentsOf(t, p.ID)[2]
	if held.Status != db.CommentHeld || replyJobs(t, held.ID) != 0 {
		t.Fatalf("held reply: %s, %d jobs", held.Status, replyJobs(t, held.ID))
	}

	// One-click unsubscribe, as a mail program POSTs it: no cookies, no token but the link's.
	// (The confirmation carries an unsubscribe link too, as every message does.)
	unsubTok := strings.TrimPrefix(linkIn(t, commentMail(t, addr)[0], "unsubscribe"), links.Unsubscribe)
	unsubPage := links.Unsubscribe + unsubTok
	checkHTML(t, s.visitor().get(t, unsubPage+links.OneClick).body, in("form[action="+unsubPage+"] button", hasText("Unsubscribe")))
	req := postForm(unsubPage+links.OneClick, url.Values{"List-Unsubscribe": {"One-Click"}})
	one := s.serve(t, req)
	if one.StatusCode != http.StatusOK || len(one.Cookies()) != 0 {
		t.Fatalf("one-click: %d, cookies %v", one.StatusCode, one.Cookies())
	}
	sub, err := db.SubscriptionByUnsubscribeToken(ctx, seededDB(t), db.HashToken(unsubTok))
	if err != nil || sub.UnsubscribedAt == nil || sub.Email != "" {
		t.Fatalf("after one-click: %+v, %v", sub, err)
	}
	checkHTML(t, s.visitor().get(t, unsubPage).body, in("h1", hasText("You are unsubscribed")))
	// Again is fine, even from a mail program that sends it from the
	// reader's browser (cross-site: the one-click address has no
	// cross-origin check); a made-up token is not found.
	if again := s.serve(t, postForm(unsubPage+links.OneClick, nil)); again.StatusCode != http.StatusOK {
		t.Errorf("second one-click: %d", again.StatusCode)
	}
	cross := postForm(unsubPage+links.OneClick, nil)
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	cross.Header.Set("Origin", "https://webmail.example")
	if again := s.serve(t, cross); again.StatusCode != http.StatusOK {
		t.Errorf("one-click from a webmail page: %d", again.StatusCode)
	}
	if bad := s.serve(t, postForm(links.Unsubscribe+strings.Repeat("A", 32)+links.OneClick, nil)); bad.StatusCode != http.StatusNotFound {
		t.Errorf("unknown token: %d, want 404", bad.StatusCode)
	}
	// The confirmation link no longer works after unsubscribing.
	if res := s.visitor().get(t, confirm); res.StatusCode != http.StatusNotFound {
		t.Errorf("confirm link after unsubscribing: %d, want 404", res.StatusCode)
	}
	// The page's own button is refused from another site, and works from the page.
	if res := s.visitor().do(t, postForm(unsubPage, nil), "Origin: http://evil.example"); res.StatusCode != http.StatusForbidden {
		t.Errorf("unsubscribe button from another site: %d, want 403", res.StatusCode)
	}
	w := s.visitor()
	w.get(t, unsubPage)
	if res := w.do(t, postForm(unsubPage, url.Values{}), "Sec-Fetch-Site: same-origin"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("unsubscribe button: %d, want 303", res.StatusCode)
	}
}
