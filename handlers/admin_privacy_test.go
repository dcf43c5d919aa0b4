package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// privacyClient books online as a client with an address of its own, and
// also leaves a contact message, waits on the waitlist and comments with a
// reply subscription. It returns the address, the name and the booking.
func privacyClient(t *testing.T, s *testServer) (email, name string, b db.Booking) {
	t.Helper()
	ctx := context.Background()
	bdb := seededDB(t)
	u := unique()
	email, name = "Client."+u+"@Example.com", "Client "+u
	svc := bookingServices(t)[0]
	cl := s.client(t)
	f := detailsForm(svc.ID, db.PlaceStudio, cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(7)))
	f.Set("name", name)
	f.Set("email", email)
	f.Set("health_"+healthQuestions[0].Key, "yes")
	f.Set("health_"+healthQuestions[0].Key+"_details", "Torn calf "+u)
	b = bookingOf(t, bookedToken(t, cl.post(t, "/book", f)))

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.AddContactMessage(ctx, bdb, &db.ContactMessage{Name: name, Email: email, Message: "Hello from " + u}))
	_, err := db.AddToWaitlist(ctx, bdb, &db.WaitlistEntry{ServiceID: svc.ID, Place: db.PlaceStudio,
		Day: clk.Now().AddDate(0, 0, 20).Truncate(24 * time.Hour), EarliestMin: 540, LatestMin: 600,
		Name: name, Email: email, LeaveTokenHash: tokenHash(randomToken())})
	must(err)
	p := savePost(t, db.Post{})
	c := &db.Comment{PostID: p.ID, Name: name, BodyMD: "Comment " + u, BodyHTML: "<p>Comment " + u + "</p>",
		Status: db.CommentVisible, AuthorHash: tokenHash(u), IPHash: tokenHash(u)}
	must(db.AddComment(ctx, bdb, c))
	_, err = db.SubscribeToReplies(ctx, bdb, *c, strings.ToLower(email))
	must(err)
	return email, name, b
}

// The therapist finds a client by email in every table, downloads their
// data, and erases it: only after typing the address again, and only once
// no appointment is still to come. The booking stays in the diary,
// anonymised; the address appears in no log.
func TestPrivacyFindExportErase(t *testing.T) {
	s := adminServer(t)
	email, name, b := privacyClient(t, s)
	admin := s.client(t)
	admin.logIn(t)

	page := admin.get(t, adminPath+"/privacy")
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("form[action=/admin/privacy] input[name=email]"), in("input[name=keep_months]", hasAttr("value", "84")))

	// Found whatever the case of the address.
	found := admin.post(t, adminPath+"/privacy", url.Values{"email": {"  " + strings.ToUpper(email) + " "}})
	wantStatus(t, found, http.StatusOK)
	checkHTML(t, found.body,
		in(".client-bookings", hasText(name), hasText("health answers held")),
		in(".client-waitlist"), in(".client-messages", hasText("Hello from")), in(".client-comments", hasText("Comment ")),
		in(".client-mail"),
		in(".upcoming a[href=/admin/bookings/"+itoa(b.ID)+"]"), // still to come: cancel first
		notIn("form[action=/admin/privacy/erase]"),
		in("form[action=/admin/privacy/export] input[name=email]"))

	// The export: every kind of data, health answers included.
	res := admin.post(t, adminPath+"/privacy/export", url.Values{"email": {email}})
	wantStatus(t, res, http.StatusOK)
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".json") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var x clientExport
	if err := json.Unmarshal([]byte(res.body), &x); err != nil {
		t.Fatalf("the export is not JSON: %v\n%.500s", err, res.body)
	}
	if len(x.Bookings) != 1 || x.Bookings[0].Name != name || !strings.Contains(res.body, "Torn calf") {
		t.Errorf("bookings in the export: %+v", x.Bookings)
	}
	if len(x.Waitlist) != 1 || len(x.ContactMessages) != 1 || len(x.Subscriptions) != 1 || len(x.Comments) != 1 {
		t.Errorf("export: %d waitlist, %d messages, %d subscriptions, %d comments; want one of each",
			len(x.Waitlist), len(x.ContactMessages), len(x.Subscriptions), len(x.Comments))
	}
	if len(x.Emails) == 0 || x.Emails[0].Kind != "booking_confirmed" || x.Emails[0].Text == "" {
		t.Errorf("emails in the export: %+v", x.Emails)
	}

	// Erasing while the appointment is to come: refused, nothing changed.
	res = admin.post(t, adminPath+"/privacy/erase", url.Values{"email": {email}, "confirm": {email}})
	wantStatus(t, res, http.StatusConflict)
	checkHTML(t, res.body, in(".form-notice", hasText("still to come")))
	if got, _ := db.BookingByID(context.Background(), seededDB(t), b.ID); got.ClientName != name {
		t.Fatalf("the refused erasure changed the booking: %+v", got)
	}
	wantStatus(t, admin.post(t, adminPath+"/bookings/"+itoa(b.ID)+"/cancel", url.Values{"reason": {"Asked to be forgotten."}}), http.StatusSeeOther)

	// The confirmation must match.
	res = admin.post(t, adminPath+"/privacy/erase", url.Values{"email": {email}, "confirm": {"someone@else.com"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#f-confirm-error"), in("input[name=confirm]", hasAttr("value", "someone@else.com")))
	wantStatus(t, admin.post(t, adminPath+"/privacy/erase", url.Values{"email": {email}}), http.StatusUnprocessableEntity)

	// Post/Redirect/Get: the erasure leads to the privacy page, which (on
	// a reload too) says what was erased, without the address.
	res = admin.post(t, adminPath+"/privacy/erase", url.Values{"email": {email}, "confirm": {strings.ToLower(email)}})
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != adminPath+"/privacy?erased=1" {
		t.Fatalf("the erasure leads to %q", loc)
	}
	for range 2 {
		res = admin.get(t, adminPath+"/privacy?erased=1")
		wantStatus(t, res, http.StatusOK)
		checkHTML(t, res.body, in(".erased-summary", hasText("1 booking kept in the diary"), hasText("1 waitlist entry deleted"),
			hasText("1 contact message deleted"), hasText("1 reply subscription deleted"), hasText("1 comment now signed")),
			in("#erased-title", hasExactText("Erased")))
		if strings.Contains(res.body, email) {
			t.Error("the page after the erasure names the address")
		}
	}
	checkHTML(t, admin.get(t, adminPath+"/privacy").body, notIn(".erased-summary"))
	got, err := db.BookingByID(context.Background(), seededDB(t), b.ID)
	if err != nil || got.ClientName != db.ErasedName || got.ClientEmail != "" || got.Health != nil || got.ClientPhone != "" {
		t.Errorf("the booking after erasure: %+v, %v", got, err)
	}
	again := admin.post(t, adminPath+"/privacy", url.Values{"email": {email}})
	checkHTML(t, again.body, in(".client-data", hasText("Nothing is held about this address")))

	if logs := strings.ToLower(s.log.String()); strings.Contains(logs, strings.ToLower(email)) || strings.Contains(logs, strings.ToLower(name)) {
		t.Error("the client's address or name is in the server log")
	}
	noServerErrors(t, s)
}

// A missing or malformed address is answered next to the field.
func TestPrivacySearchNeedsAnAddress(t *testing.T) {
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	for _, path := range []string{"/privacy", "/privacy/export", "/privacy/erase"} {
		for _, v := range []string{"", "not an address"} {
			res := admin.post(t, adminPath+path, url.Values{"email": {v}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body, in("#f-email-error"), in("input[name=email]", hasAttr("value", v)))
		}
	}
	res := admin.post(t, adminPath+"/privacy", url.Values{"email": {"nobody-" + unique() + "@example.com"}})
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in(".client-data", hasText("Nothing is held")), notIn("form[action=/admin/privacy/erase]"))
	noServerErrors(t, s)
}

// The retention setting is checked, saved, and applied at once by the job.
func TestPrivacyRetentionSetting(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	ctx := context.Background()
	t.Cleanup(func() { db.SavePrivacy(ctx, seededDB(t), db.DefaultPrivacy) }) //nolint:errcheck // best effort

	for _, v := range []string{"", "two", "-1", "2", "241"} {
		res := admin.post(t, adminPath+"/privacy/retention", url.Values{"keep_months": {v}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		checkHTML(t, res.body, in("#f-keep_months-error"), in("input[name=keep_months]", hasAttr("value", v)))
	}
	var before int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM river_job WHERE kind = 'health_retention'").Scan(ctx, &before); err != nil {
		t.Fatal(err)
	}
	res := admin.post(t, adminPath+"/privacy/retention", url.Values{"keep_months": {"36"}})
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != adminPath+"/privacy?saved=1" {
		t.Errorf("Location %q", loc)
	}
	if p, err := db.GetPrivacy(ctx, seededDB(t)); err != nil || p.HealthKeepMonths != 36 {
		t.Errorf("saved: %+v, %v", p, err)
	}
	var after int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM river_job WHERE kind = 'health_retention'").Scan(ctx, &after); err != nil {
		t.Fatal(err)
	}
	if after != before+1 {
		t.Errorf("health_retention jobs %d → %d: saving does not apply the setting at once", before, after)
	}
	page := admin.get(t, res.Header.Get("Location"))
	checkHTML(t, page.body, in("input[name=keep_months]", hasAttr("value", "36")), in("[role=status]", hasText("Saved")))

	// A shorter period that reaches records kept now: she is told how many
	// bookings would lose their health answers, and asked, before anything
	// is saved or erased.
	svc := bookingServices(t)[0]
	client := s.client(t)
	old := bookingOf(t, client.book(t, svc.ID, db.PlaceStudio, client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(6))))
	if _, err := seededDB(t).NewRaw(`UPDATE bookings SET status = 'completed',
		starts_at = starts_at - interval '40 months', ends_at = ends_at - interval '40 months',
		blocked_from = blocked_from - interval '40 months', blocked_to = blocked_to - interval '40 months' WHERE id = ?`, old.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ask := admin.post(t, adminPath+"/privacy/retention", url.Values{"keep_months": {"24"}})
	wantStatus(t, ask, http.StatusOK)
	checkHTML(t, ask.body,
		in(".confirm-erase[role=alert]", hasText("erases those of 1 booking now")),
		in(".confirm-erase form input[name=confirm]", hasAttr("value", "yes")),
		in(".confirm-erase form input[name=keep_months]", hasAttr("value", "24")))
	if p, _ := db.GetPrivacy(ctx, seededDB(t)); p.HealthKeepMonths != 36 {
		t.Errorf("asked, not yet confirmed, the setting is already %d months", p.HealthKeepMonths)
	}
	res = admin.post(t, adminPath+"/privacy/retention", url.Values{"keep_months": {"24"}, "confirm": {"yes"}})
	wantStatus(t, res, http.StatusSeeOther)
	if p, _ := db.GetPrivacy(ctx, seededDB(t)); p.HealthKeepMonths != 24 {
		t.Errorf("confirmed, the setting is %d months, want 24", p.HealthKeepMonths)
	}

	res = admin.post(t, adminPath+"/privacy/retention", url.Values{"keep_months": {"0"}})
	wantStatus(t, res, http.StatusSeeOther)
	checkHTML(t, admin.get(t, res.Header.Get("Location")).body, in("[role=status]", hasText("Health answers are kept")))
	noServerErrors(t, s)
}
