package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// contactForm is the contact form as a person fills it in: a stamp a
// minute old (they took their time), and the fields given as name=value
// over a valid message.
func (cl *client) contactForm(t *testing.T, fields ...string) url.Values {
	t.Helper()
	f := url.Values{
		startedField: {cl.s.h.stampForm(context.Background(), time.Now().Add(-time.Minute))},
		"name":       {"Ann Client"},
		"email":      {"ann-" + cl.ip + "@example.com"},
		"phone":      {""},
		"message":    {"Do you treat hamstring strains?\r\nThanks, Ann"},
	}
	for _, kv := range fields {
		k, v, _ := strings.Cut(kv, "=")
		f.Set(k, v)
	}
	return f
}

// contactMessagesFrom returns the stored messages from email, oldest first.
func contactMessagesFrom(t *testing.T, email string) []db.ContactMessage {
	t.Helper()
	var ms []db.ContactMessage
	if err := seededDB(t).NewSelect().Model(&ms).Where("email = ?", email).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ms
}

// contactMail returns the outbox messages whose reply goes to email.
func contactMail(t *testing.T, email string) []db.OutboxMessage {
	t.Helper()
	var all, out []db.OutboxMessage
	if err := seededDB(t).NewSelect().Model(&all).Where("kind = 'contact_message'").OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.Message.ReplyTo.Email == email {
			out = append(out, m)
		}
	}
	return out
}

// Without JavaScript a message is stored, mailed to the practice (one
// message, Reply-To the sender, its job queued) and the sender is sent on
// to a thanks that says where the reply will go. Nothing is sent to the
// sender's address.
func TestContactWithoutJavaScript(t *testing.T) {
	s := newTestServer(t, nil)
	cl := s.client(t)
	checkHTML(t, cl.get(t, "/contact").body,
		in("main form#contact-form[method=post][action=/contact]",
			in("input[name=name][required]"), in("input[name=email][type=email][required]"),
			in("input[name=phone][type=tel]"), in("textarea[name=message][required]"),
			in(".hp input[name=website][tabindex=-1]"),
			in("button[type=submit]", hasExactText("Send message"))),
		notIn("main input[name=phone][required]"),
		// The practice's details are still there.
		in("main dl.details a[href^=tel:]"))

	f := cl.contactForm(t, "phone=07700 900456")
	email := f.Get("email")
	res := cl.post(t, "/contact", f)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/contact?sent=1" {
		t.Fatalf("status %d to %q, want 303 to /contact?sent=1; body:\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	thanks := cl.get(t, "/contact?sent=1")
	checkHTML(t, thanks.body,
		in("main .contact-sent[role=status] h3", hasText("Thank you, Ann Client — your message has been sent")),
		in("main .contact-sent", hasText(practiceName+" will reply to you at "+email)),
		in("main .contact-sent a[href^=tel:]"),
		notIn("main form#contact-form"))

	stored := contactMessagesFrom(t, email)
	if len(stored) != 1 {
		t.Fatalf("%d messages stored, want 1", len(stored))
	}
	if m := stored[0]; m.Name != "Ann Client" || m.Phone != "07700 900456" ||
		m.Message != "Do you treat hamstring strains?\nThanks, Ann" || m.ReadAt != nil {
		t.Errorf("stored %+v", m)
	}
	mails := contactMail(t, email)
	if len(mails) != 1 {
		t.Fatalf("%d e-mails enqueued, want 1", len(mails))
	}
	m := mails[0]
	if m.Recipient != "hello@example.com" || m.Message.To.Email != "hello@example.com" {
		t.Errorf("mail to %q, want the practice", m.Recipient)
	}
	if m.Message.ReplyTo.Name != "Ann Client" || !strings.Contains(m.Message.Text, "Do you treat hamstring strains?") {
		t.Errorf("mail %+v", m.Message)
	}
	var jobs int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM river_job WHERE kind = 'send_mail' AND (args->>'outbox_id')::bigint = ?", m.ID).
		Scan(context.Background(), &jobs); err != nil || jobs != 1 {
		t.Errorf("%d send jobs (%v), want 1", jobs, err)
	}
	var toSender int
	seededDB(t).NewRaw("SELECT count(*) FROM outbox WHERE recipient = ?", email).Scan(context.Background(), &toSender)
	if toSender != 0 {
		t.Errorf("%d messages to the sender's address, want none", toSender)
	}

	// The thanks is shown once; reloaded, it still thanks without the details.
	checkHTML(t, cl.get(t, "/contact?sent=1").body,
		in("main .contact-sent h3", hasExactText("Thank you — your message has been sent.")),
		in("main .contact-sent", hasText("will reply to you by email")))
}

// With htmx the form is replaced in place by the thanks.
func TestContactWithHTMX(t *testing.T) {
	s := newTestServer(t, nil)
	cl := s.client(t)
	f := cl.contactForm(t)
	res := cl.post(t, "/contact", f, htmx...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body:\n%s", res.StatusCode, res.body)
	}
	if strings.Contains(res.body, "<html") || strings.Contains(res.body, "<h1") {
		t.Errorf("the answer is a whole page, want the fragment:\n%s", res.body)
	}
	checkHTML(t, res.body,
		in("div#contact-form.contact-sent[role=status] h3[autofocus]", hasText("Thank you, Ann Client")),
		in("div#contact-form", hasText("will reply to you at "+f.Get("email"))))
	if n := len(contactMessagesFrom(t, f.Get("email"))); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	if n := len(contactMail(t, f.Get("email"))); n != 1 {
		t.Errorf("%d e-mails enqueued, want 1", n)
	}
}

// Mistakes come back next to the field (422), with everything typed kept;
// nothing is stored or sent.
func TestContactValidation(t *testing.T) {
	s := newTestServer(t, nil)
	cl := s.client(t)
	kept := "kept." + unique() + "@example.com" // this run's own: the count below is of its messages
	tests := []struct {
		name, field, message string
		fields               []string
	}{
		{"no name", "name", "Please enter your name", []string{"name=  "}},
		{"a very long name", "name", "200 characters", []string{"name=" + strings.Repeat("n", 201)}},
		{"no email", "email", "Please enter your email address", []string{"email="}},
		{"not an email", "email", "like name@example.com", []string{"email=ann at example"}},
		{"an email with a name", "email", "like name@example.com", []string{"email=Ann <ann@example.com>"}},
		{"two emails", "email", "like name@example.com", []string{"email=ann@example.com, bo@example.com"}},
		{"a phone with letters", "phone", "or leave it empty", []string{"phone=call me"}},
		{"a phone too short", "phone", "or leave it empty", []string{"phone=12345"}},
		{"no message", "message", "Please write your message", []string{"message= \r\n "}},
		{"a very long message", "message", "5000 characters or fewer (it has 5001)", []string{"message=" + strings.Repeat("é", 5001)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cl.contactForm(t, append([]string{"name=Kept Name", "email=" + kept, "phone=01480 123456", "message=Kept message"}, tt.fields...)...)
			kept := func(t *testing.T, body string) {
				t.Helper()
				for _, field := range []string{"name", "email", "phone"} {
					if field != tt.field {
						checkHTML(t, body, in("form#contact-form input[name="+field+"]", hasAttr("value", f.Get(field))))
					}
				}
				if tt.field != "message" {
					checkHTML(t, body, in("form#contact-form textarea[name=message]", hasExactText("Kept message")))
				}
			}
			res := cl.post(t, "/contact", f, htmx...)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("htmx: status %d, want 422", res.StatusCode)
			}
			checkHTML(t, res.body,
				in("form#contact-form #contact-"+tt.field+"-error", hasText(tt.message)),
				in("form#contact-form [name="+tt.field+"]", hasAttr("aria-invalid", "true")),
				count(".field-error", 1))
			kept(t, res.body)
			// Without JavaScript: the whole page, the form in place.
			plain := cl.post(t, "/contact", f)
			if plain.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("plain: status %d, want 422", plain.StatusCode)
			}
			checkHTML(t, plain.body, in("h1", hasExactText("Contact")), in("main form#contact-form #contact-"+tt.field+"-error", hasText(tt.message)))
			kept(t, plain.body)
		})
	}
	if n := len(contactMessagesFrom(t, kept)); n != 0 {
		t.Errorf("%d messages stored from invalid forms, want 0", n)
	}
	// A valid form from the same visitor goes through: mistakes do not count
	// against the limit.
	if res := cl.post(t, "/contact", cl.contactForm(t, "email="+kept), htmx...); res.StatusCode != http.StatusOK {
		t.Errorf("a valid form after the mistakes: status %d", res.StatusCode)
	}
}

// The comment form's spam checks guard the contact form too: the honeypot,
// a form sent faster than a person types, a forged or day-old stamp. Each
// says what to do and keeps what was typed.
func TestContactSpamChecks(t *testing.T) {
	s := newTestServer(t, nil)
	cl := s.client(t)
	tests := spamCases(s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cl.contactForm(t, "email=spam@example.com", "message=Buy things")
			tt.change(f)
			res := cl.post(t, "/contact", f, htmx...)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			checkHTML(t, res.body,
				in("form#contact-form p.form-notice[role=alert]", hasText(tt.notice)),
				in("form#contact-form textarea[name=message]", hasExactText("Buy things")),
				in("form#contact-form input[name=started]")) // a fresh stamp to send again with
		})
	}
	if n := len(contactMessagesFrom(t, "spam@example.com")); n != 0 {
		t.Errorf("%d messages stored, want 0", n)
	}
}

// Too many messages from one visitor in a short time get 429 with a clear
// message; the message typed is kept and nothing more is stored.
func TestContactRateLimit(t *testing.T) {
	s := newTestServer(t, nil)
	cl := s.client(t)
	email := "often-" + cl.ip + "@example.com"
	for i := range 3 {
		if res := cl.post(t, "/contact", cl.contactForm(t, "email="+email), htmx...); res.StatusCode != http.StatusOK {
			t.Fatalf("message %d: status %d", i+1, res.StatusCode)
		}
	}
	res := cl.post(t, "/contact", cl.contactForm(t, "email="+email, "message=One too many"), htmx...)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th message: status %d, want 429", res.StatusCode)
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	checkHTML(t, res.body,
		in("form#contact-form p.form-notice", hasText("Please wait")),
		in("form#contact-form textarea[name=message]", hasExactText("One too many")),
		in("form#contact-form input[name=email]", hasAttr("value", email)))
	plain := cl.post(t, "/contact", cl.contactForm(t, "email="+email, "message=One too many"))
	if plain.StatusCode != http.StatusTooManyRequests {
		t.Errorf("without JavaScript: status %d, want 429", plain.StatusCode)
	}
	checkHTML(t, plain.body, in("main form#contact-form p.form-notice", hasText("Please wait")))
	if n := len(contactMessagesFrom(t, email)); n != 3 {
		t.Errorf("%d messages stored, want 3", n)
	}
	// Someone else is not held back by it.
	other := s.client(t)
	if res := other.post(t, "/contact", other.contactForm(t), htmx...); res.StatusCode != http.StatusOK {
		t.Errorf("another visitor: status %d, want 200", res.StatusCode)
	}
}

// Before the practice has an e-mail address the message is kept for the
// admin area, no mail is enqueued, and the sender is thanked all the same.
func TestContactWithoutPracticeEmail(t *testing.T) {
	s := newTestServer(t, nil)
	ctx := context.Background()
	bdb := seededDB(t)
	var email string
	if err := bdb.NewRaw("SELECT email FROM business_settings").Scan(ctx, &email); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.NewRaw("UPDATE business_settings SET email = ''").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.NewRaw("UPDATE business_settings SET email = ?", email).Exec(ctx) })

	cl := s.client(t)
	f := cl.contactForm(t)
	if res := cl.post(t, "/contact", f, htmx...); res.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body:\n%s", res.StatusCode, res.body)
	}
	if n := len(contactMessagesFrom(t, f.Get("email"))); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	if n := len(contactMail(t, f.Get("email"))); n != 0 {
		t.Errorf("%d e-mails enqueued without an address to send them to", n)
	}
	if strings.Contains(s.log.String(), f.Get("email")) || strings.Contains(s.log.String(), "hamstring") {
		t.Error("the log holds the sender's address or message")
	}
}
