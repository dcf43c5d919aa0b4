package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dynamicmotion/db"
)

// keepBusiness puts the practice's details back as they were after the test.
func keepBusiness(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	before, err := db.GetBusiness(ctx, seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.SaveBusiness(ctx, seededDB(t), before); err != nil {
			t.Error(err)
		}
		seededDB(t).NewRaw("UPDATE business_settings SET is_example = ?", before.IsExample).Exec(ctx)
	})
}

func businessFields(fields ...string) url.Values {
	f := url.Values{
		"name": {"Dynamic Motion Sports Therapy"}, "tagline": {"Sports massage in St Ives"}, "intro": {"Deep tissue massage."},
		"about": {"Clare has been a sports therapist for ten years.\r\n\r\nShe trained in Cambridge."},
		"phone": {"01480 123456"}, "email": {"clare@dynamicmotion.example.co.uk"}, "hours_summary": {"Weekdays 8 to 8"},
		"street_address": {"12 Bridge Street"}, "locality": {"St Ives"}, "region": {"Cambridgeshire"}, "postcode": {"pe27 5ab"},
		"mobile_area": {"St Ives and nearby villages"},
	}
	for _, kv := range fields {
		k, v, _ := strings.Cut(kv, "=")
		f.Set(k, v)
	}
	return f
}

// Mistakes come back next to their fields with everything typed kept and
// nothing saved; real details are saved, shown on the public pages at once
// and no longer marked as examples.
func TestBusinessDetails(t *testing.T) {
	keepBusiness(t)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)

	page := admin.get(t, adminPath+"/business")
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("form[action=/admin/business] input[name=name]", hasAttr("value", "Dynamic Motion Sports Therapy")),
		in("p.form-notice", hasText("example details")))

	res := admin.post(t, adminPath+"/business", businessFields("name=", "email=clare@", "phone=123", "postcode=PE27", "tagline=Kept <tagline>",
		"about="+strings.Repeat("x", 6001)))
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body,
		in("#f-name-error", hasText("Please enter the practice’s name")),
		in("#f-email-error", hasText("does not look like an email address")),
		in("#f-phone-error", hasText("10 to 15 digits")),
		in("#f-postcode-error", hasText("full postcode")),
		in("#f-about-error", hasText("6000 characters")),
		in("input[name=email][aria-invalid=true]", hasAttr("value", "clare@")),
		in("input[name=tagline]", hasAttr("value", "Kept <tagline>")))
	res = admin.post(t, adminPath+"/business", businessFields("phone=", "email="))
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#f-phone-error", hasText("phone number or an email address")))
	if b, _ := db.GetBusiness(context.Background(), seededDB(t)); b.Phone == "01480 123456" {
		t.Fatal("a form with mistakes was saved")
	}

	res = admin.post(t, adminPath+"/business", businessFields())
	wantStatus(t, res, http.StatusSeeOther)
	checkHTML(t, admin.get(t, res.Header.Get("Location")).body, in("p.form-notice[role=status]", hasText("Saved")),
		in("input[name=postcode]", hasAttr("value", "PE27 5AB")), count("p.form-notice", 1))
	b, err := db.GetBusiness(context.Background(), seededDB(t))
	if err != nil || b.IsExample || b.Postcode != "PE27 5AB" || b.StreetAddress != "12 Bridge Street" {
		t.Fatalf("saved %+v, %v", b, err)
	}

	visitor := s.visitor()
	contact := visitor.get(t, "/contact")
	checkHTML(t, contact.body, notIn(".example"), notIn(".example-note"),
		in("footer a[href=tel:01480123456]", hasText("01480 123456")),
		in("footer a[href=mailto:clare@dynamicmotion.example.co.uk]"))
	if !strings.Contains(contact.body, "12 Bridge Street") {
		t.Error("the contact page does not show the new street")
	}
	checkHTML(t, visitor.get(t, "/about").body, in("main p", hasText("Clare has been a sports therapist")))
	noServerErrors(t, s)
}

// A new calendar link is shown once, right after it is made, and works;
// making another stops the first; turning it off stops the link.
func TestCalendarLinkPage(t *testing.T) {
	ctx := context.Background()
	if err := db.RevokeCalendarFeed(ctx, seededDB(t)); err != nil {
		t.Fatal(err)
	}
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)

	page := admin.get(t, adminPath+"/calendar")
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("p#feed-status", hasText("There is no calendar link")),
		in("form[action=/admin/calendar/new] button", hasText("Make a new calendar link")), notIn("form[action=/admin/calendar/off]"))

	newLink := func() string {
		t.Helper()
		res := admin.post(t, adminPath+"/calendar/new", url.Values{})
		wantStatus(t, res, http.StatusOK)
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q: the page with the secret must not be kept", cc)
		}
		nodes := selectAll(parseHTML(t, res.body), "input#feed-url")
		if len(nodes) != 1 {
			t.Fatalf("no link shown:\n%.2000s", res.body)
		}
		u, _ := attr(nodes[0], "value")
		checkHTML(t, res.body, in("section.form-notice h3", hasText("iPhone")), in("section", hasText("Google Calendar")))
		path, ok := strings.CutPrefix(u, httpBase)
		if !ok || !strings.HasPrefix(path, calendarPath) {
			t.Fatalf("link %q", u)
		}
		return path
	}
	first := newLink()
	wantStatus(t, s.get(t, first), http.StatusOK)
	again := admin.get(t, adminPath+"/calendar")
	if strings.Contains(again.body, strings.TrimSuffix(strings.TrimPrefix(first, calendarPath), ".ics")) {
		t.Error("the secret is shown again after the first time")
	}
	checkHTML(t, again.body, in("dd#feed-fetched", hasText("about")), in("form[action=/admin/calendar/off]"))

	second := newLink()
	wantStatus(t, s.get(t, first), http.StatusNotFound)
	wantStatus(t, s.get(t, second), http.StatusOK)

	res := admin.post(t, adminPath+"/calendar/off", url.Values{})
	wantStatus(t, res, http.StatusSeeOther)
	checkHTML(t, admin.get(t, res.Header.Get("Location")).body, in("p#feed-status", hasText("turned off")))
	wantStatus(t, s.get(t, second), http.StatusNotFound)
	noServerErrors(t, s)
}

// The inbox lists messages newest first with unread ones marked; reading
// one marks it read and offers a reply by email; it can be marked unread
// again, and deleted.
func TestContactMessagesInbox(t *testing.T) {
	ctx := context.Background()
	s := adminServer(t)
	add := func(name, message string) db.ContactMessage {
		m := db.ContactMessage{Name: name, Email: uniqueEmail("sender"), Phone: "07700 900123", Message: message}
		if err := db.AddContactMessage(ctx, seededDB(t), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	older := add("Ann Inbox", "Do you treat calves?\nThanks")
	newer := add("Bob Inbox", "Can I book for Saturday?")
	unread, err := db.CountUnreadContactMessages(ctx, seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	admin := s.client(t)
	admin.logIn(t)

	checkHTML(t, admin.get(t, adminPath).body,
		in("#messages-title .count", hasExactText(fmt.Sprintf("(%d unread)", unread))),
		in("a[href=/admin/messages]"), in("a[href=/admin/comments]"))
	list := admin.get(t, adminPath+"/messages")
	wantStatus(t, list, http.StatusOK)
	checkHTML(t, list.body,
		in(fmt.Sprintf("tr.is-unread a[href=/admin/messages/%d]", older.ID), hasText("Do you treat calves? Thanks")),
		in(fmt.Sprintf("tr.is-unread a[href=/admin/messages/%d]", newer.ID)),
		in("h1 .count", hasExactText(fmt.Sprintf("(%d unread)", unread))))
	if strings.Index(list.body, "Bob Inbox") > strings.Index(list.body, "Ann Inbox") {
		t.Error("the newer message is not listed first")
	}

	msg := admin.get(t, fmt.Sprintf("%s/messages/%d", adminPath, older.ID))
	wantStatus(t, msg, http.StatusOK)
	checkHTML(t, msg.body, in("h1", hasText("Message from Ann Inbox")), in(".contact-message p", hasText("Do you treat calves?")),
		in("a[href=tel:07700900123]"),
		in("a.button", hasText("Reply by email")))
	reply := selectAll(parseHTML(t, msg.body), "a.button")[0]
	href, _ := attr(reply, "href")
	if !strings.HasPrefix(href, "mailto:"+older.Email+"?") || !strings.Contains(href, "subject=Your%20message%20to%20") {
		t.Errorf("reply link %q", href)
	}
	if m, _ := db.ContactMessageByID(ctx, seededDB(t), older.ID); m.ReadAt == nil {
		t.Error("reading the message did not mark it read")
	}
	checkHTML(t, admin.get(t, adminPath+"/messages").body,
		in(fmt.Sprintf("tr.is-read a[href=/admin/messages/%d]", older.ID)),
		in("h1 .count", hasExactText(fmt.Sprintf("(%d unread)", unread-1))))

	wantStatus(t, admin.post(t, fmt.Sprintf("%s/messages/%d/unread", adminPath, older.ID), url.Values{}), http.StatusSeeOther)
	if m, _ := db.ContactMessageByID(ctx, seededDB(t), older.ID); m.ReadAt != nil {
		t.Error("marking unread did not")
	}

	res := admin.post(t, fmt.Sprintf("%s/messages/%d/delete", adminPath, older.ID), url.Values{})
	wantStatus(t, res, http.StatusSeeOther)
	checkHTML(t, admin.get(t, res.Header.Get("Location")).body, in("p.form-notice", hasText("deleted")),
		notIn(fmt.Sprintf("a[href=/admin/messages/%d]", older.ID)))
	if _, err := db.ContactMessageByID(ctx, seededDB(t), older.ID); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("after deleting: %v", err)
	}
	wantStatus(t, admin.get(t, fmt.Sprintf("%s/messages/%d", adminPath, older.ID)), http.StatusNotFound)
	wantStatus(t, admin.post(t, fmt.Sprintf("%s/messages/%d/delete", adminPath, older.ID), url.Values{}), http.StatusSeeOther)
	noServerErrors(t, s)
}
