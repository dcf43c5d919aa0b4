package emails_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/emails"
)

func contactMessage() db.ContactMessage {
	return db.ContactMessage{
		ID: 7, Name: "Ann Client", Email: "ann@example.com", Phone: "07700 900456",
		Message:   "Hello,\r\n\r\nDo you treat hamstring strains?\r\nThanks, Ann",
		CreatedAt: time.Date(2026, 11, 26, 14, 5, 0, 0, london),
	}
}

// A contact message goes to the practice, a reply goes to the sender, and both parts say who wrote, how to
// reach them, when, and what they wrote, line by line.
func TestContactMessage(t *testing.T) {
	m := emails.ContactMessage(practice(), contactMessage())
	got := build(t, m)

	if to := address(t, got, "To"); to == nil || to.Address != "hello@dynamicmotion.example" || to.Name != "Dynamic Motion Sports Therapy" {
		t.Errorf("To %v, want the practice", to)
	}
	if r := address(t, got, "Reply-To"); r == nil || r.Address != "ann@example.com" || r.Name != "Ann Client" {
		t.Errorf("Reply-To %v, want the sender", r)
	}
	if got.subject != "Message from Ann Client (contact form)" {
		t.Errorf("subject %q", got.subject)
	}
	if got.header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted: %q", got.header.Get("Auto-Submitted"))
	}
	if len(m.Attachments) != 0 || len(got.calendar) != 0 {
		t.Error("a contact message has attachments")
	}
	both(t, got, "New message from the website", "From: Ann Client", "E-mail: ann@example.com",
		"Phone: 07700 900456", "Sent: Thursday 26 November 2026 at 14:05 UK time",
		"Do you treat hamstring strains?", "the reply goes to ann@example.com",
		"Dynamic Motion Sports Therapy", "01480 496000", "contact form at dynamicmotion.fly.dev")
	// Line breaks are kept: in the text part as they were typed (without \r), quoted with "> ", in the HTML as <br>.
	if !strings.Contains(strings.ReplaceAll(got.text, "\r\n", "\n"), "Message:\n> Hello,\n>\n> Do you treat hamstring strains?\n> Thanks, Ann\n") {
		t.Errorf("the text part does not keep the message's lines:\n%s", got.text)
	}
	if !strings.Contains(got.html, "Hello,<br><br>Do you treat hamstring strains?<br>Thanks, Ann</blockquote>") {
		t.Errorf("the HTML part does not keep the message's lines:\n%s", got.html)
	}
	if !contains(hrefs(t, got.html), site+"/admin") {
		t.Error("no link to the admin area")
	}
	checkDocument(t, "ContactMessage", got.html, got.subject)
}

// Whatever the sender typed is text: escaped in the HTML, one line in headers, and a broken address is
// not made the Reply-To.
func TestContactMessageEscaping(t *testing.T) {
	c := contactMessage()
	c.Name = "<b>Eve</b>\r\nBcc: victim@example.com"
	c.Message = "<script>alert(1)</script>\n<a href=\"https://spam.example\">cheap</a>\x00\x1b[31m"
	c.Phone = ""
	got := build(t, emails.ContactMessage(practice(), c))
	lower := strings.ToLower(got.html)
	if strings.Contains(lower, "<script") || strings.Contains(lower, "<a href=\"https://spam") || strings.Contains(lower, "<b>eve") {
		t.Errorf("unescaped markup in the HTML:\n%s", got.html)
	}
	head, _, _ := bytes.Cut(got.raw, []byte("\r\n\r\n"))
	if got.header.Get("Bcc") != "" || bytes.Contains(head, []byte("\r\nBcc:")) {
		t.Error("a line break in the name added a header")
	}
	if strings.ContainsAny(got.text, "\x00\x1b") {
		t.Error("control characters reached the text part")
	}
	both(t, got, "<script>alert(1)</script>", "Phone: not given")

	c = contactMessage()
	c.Email = "ann@example.com>, evil@example.com"
	got = build(t, emails.ContactMessage(practice(), c))
	if r := address(t, got, "Reply-To"); r != nil {
		t.Errorf("Reply-To %v from a broken address", r)
	}
	both(t, got, "does not look usable")
}

// The feed's copy of a booking is the practice's event without an alarm, and carries no health data.
func TestTherapistFeedEvent(t *testing.T) {
	b := booking()
	e := emails.TherapistFeedEvent(practice(), b)
	if e.Alarm != 0 || e.UID != "booking-42@dynamicmotion.fly.dev" || e.Summary != "Sports massage — Jane Smith" {
		t.Errorf("event %+v", e)
	}
	all := e.Summary + e.Description + e.Location + e.URL
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the feed event holds %q", s)
		}
	}
	for _, w := range []string{"07700 900123", "jane@example.com"} {
		if !strings.Contains(e.Description, w) {
			t.Errorf("the description lacks %q: %s", w, e.Description)
		}
	}
}
