package emails_test

import (
	"strings"
	"testing"
	"time"

	"dynamicmotion/emails"
)

var unsub = emails.Unsubscribe{
	Page:     site + "/comments/subscriptions/unsubscribe/uTok123",
	OneClick: site + "/comments/subscriptions/unsubscribe/uTok123/one-click",
}

// checkUnsubscribable: the footer of both parts links the unsubscribe page, and the headers offer one-click
// unsubscribing (RFC 2369 and RFC 8058).
func checkUnsubscribable(t *testing.T, p parsed) {
	t.Helper()
	if got := p.header.Get("List-Unsubscribe"); got != "<"+unsub.OneClick+">" {
		t.Errorf("List-Unsubscribe %q", got)
	}
	if got := p.header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if !strings.Contains(p.text, unsub.Page) || !strings.Contains(p.html, `href="`+unsub.Page+`"`) {
		t.Errorf("a part lacks the unsubscribe link:\n%s\n%s", p.text, p.html)
	}
}

func TestConfirmReplies(t *testing.T) {
	confirm := site + "/comments/subscriptions/confirm/cTok456"
	m := emails.ConfirmReplies(practice(), emails.Subscription{
		Email: "ann@example.com", Name: "Ann <b>", PostTitle: "Back pain & you", URL: site + "/blog/back#comment-7",
	}, confirm, unsub)
	p := build(t, m)
	if m.To.Email != "ann@example.com" || !strings.Contains(p.subject, "confirm") || !strings.Contains(p.subject, "Back pain & you") {
		t.Errorf("to %q, subject %q", m.To.Email, p.subject)
	}
	for name, part := range map[string]string{"text": p.text, "html": p.html} {
		if !strings.Contains(part, confirm) {
			t.Errorf("the %s part lacks the confirmation link", name)
		}
	}
	if !strings.Contains(p.html, "Hello Ann &lt;b&gt;,") || strings.Contains(p.html, "<b>,") {
		t.Errorf("the name is not escaped in the HTML part")
	}
	if m.ReplyTo.Email != practice().Email {
		t.Errorf("Reply-To %q, want the practice's address %q (the sending address may not be read)", m.ReplyTo.Email, practice().Email)
	}
	checkUnsubscribable(t, p)
}

// The reply's text is shown as the replier typed it: line breaks kept, and anything that looks like HTML is
// text, never markup.
func TestReplyNotification(t *testing.T) {
	at := time.Date(2026, 11, 26, 14, 5, 0, 0, time.UTC)
	body := "Try *ice* first.\r\n\r\n<script>alert(1)</script> <a href=\"javascript:x\">click</a>"
	m := emails.ReplyNotification(practice(), "bo@example.com", emails.Reply{
		Name: "Clare\nBcc: evil@example.com", ByPractice: true, Text: body, PostTitle: "Hamstrings",
		URL: site + "/blog/hamstrings#comment-9", At: at,
	}, unsub)
	p := build(t, m)
	if m.To.Email != "bo@example.com" {
		t.Errorf("to %q", m.To.Email)
	}
	if p.subject != "New reply from Clare Bcc: evil@example.com on “Hamstrings”" {
		t.Errorf("subject %q", p.subject)
	}
	if p.header.Get("Bcc") != "" {
		t.Error("a name made a header")
	}
	if !strings.Contains(strings.ReplaceAll(p.text, "\r\n", "\n"), "> Try *ice* first.\n>\n> <script>alert(1)</script>") {
		t.Errorf("the text part does not quote the reply as typed:\n%s", p.text)
	}
	if strings.Contains(p.html, "<script>") || strings.Contains(p.html, `href="javascript`) ||
		!strings.Contains(p.html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the reply reached the HTML part unescaped:\n%s", p.html)
	}
	for name, part := range map[string]string{"text": p.text, "html": p.html} {
		if !strings.Contains(part, site+"/blog/hamstrings#comment-9") {
			t.Errorf("the %s part lacks the link to the reply", name)
		}
		if !strings.Contains(part, "Dynamic Motion Sports Therapy") {
			t.Errorf("the %s part lacks the practice's name", name)
		}
	}
	checkUnsubscribable(t, p)
}

func TestCommentsAwaitingModeration(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	held := []emails.HeldComment{
		{Name: "Ann", PostTitle: "Back pain", Text: "First line here\nsecond line not shown", URL: site + "/blog/back", At: at},
		{Name: "<i>Bo</i>", PostTitle: "Hamstrings", Text: strings.Repeat("long ", 60), URL: site + "/blog/hamstrings", At: at},
	}
	m := emails.CommentsAwaitingModeration(practice(), held, 3, site+"/admin/comments")
	p := build(t, m)
	if m.To.Email != practice().Email || p.subject != "3 comments are awaiting approval" {
		t.Errorf("to %q, subject %q", m.To.Email, p.subject)
	}
	for _, want := range []string{"Ann", "Back pain", "First line here …", site + "/blog/back", site + "/admin/comments", "And 1 more."} {
		if !strings.Contains(p.text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, p.text)
		}
	}
	if strings.Contains(p.text, "second line") {
		t.Error("the digest shows more than the first line")
	}
	if !strings.Contains(p.html, "&lt;i&gt;Bo&lt;/i&gt;") {
		t.Error("a commenter's name is not escaped")
	}
	if p.header.Get("List-Unsubscribe") != "" {
		t.Error("the practice's own digest has a List-Unsubscribe header")
	}
	one := build(t, emails.CommentsAwaitingModeration(practice(), held[:1], 1, site+"/admin/comments"))
	if one.subject != "A comment is awaiting approval" {
		t.Errorf("subject %q", one.subject)
	}
}
