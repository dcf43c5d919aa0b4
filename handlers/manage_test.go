package handlers

// Tests of a client's own booking page after the fact: "You're booked"
// with the facts and the add-to-calendar links, cancelling that asks
// first (with a reason for the therapist), the cancelled page, what a move
// changed, "Book again", and the therapist's cancel that asks first too.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/money"
	"dynamicmotion/views"
)

// calendarLink reads the add-to-calendar link whose address starts with
// prefix from a manage page, and its query.
func calendarLink(t *testing.T, doc *html.Node, prefix string) url.Values {
	t.Helper()
	as := selectAll(doc, "a[href^="+prefix+"]")
	if len(as) != 1 {
		t.Fatalf("%d links to %s, want 1", len(as), prefix)
	}
	u, err := url.Parse(attrOr(as[0], "href"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// checkCalendarLinks checks the Google and Outlook links of a manage page:
// the booking's instants in UTC, its service, place and manage link.
func checkCalendarLinks(t *testing.T, body string, b db.Booking, token, place string) {
	t.Helper()
	doc := parseHTML(t, body)
	g := calendarLink(t, doc, "https://calendar.google.com/calendar/render?")
	o := calendarLink(t, doc, "https://outlook.live.com/calendar/0/action/compose?")
	start, end := b.StartsAt.UTC(), b.EndsAt.UTC()
	if want := start.Format("20060102T150405Z") + "/" + end.Format("20060102T150405Z"); g.Get("dates") != want || g.Get("action") != "TEMPLATE" {
		t.Errorf("Google: dates %q action %q, want %s TEMPLATE", g.Get("dates"), g.Get("action"), want)
	}
	if o.Get("startdt") != start.Format(time.RFC3339) || o.Get("enddt") != end.Format(time.RFC3339) {
		t.Errorf("Outlook: %s to %s, want %s to %s", o.Get("startdt"), o.Get("enddt"), start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	manage := httpBase + bookingsPath + token
	for who, q := range map[string][3]string{"Google": {g.Get("text"), g.Get("details"), g.Get("location")},
		"Outlook": {o.Get("subject"), o.Get("body"), o.Get("location")}} {
		if !strings.Contains(q[0], b.ServiceName) || !strings.Contains(q[1], manage) || !strings.Contains(q[2], place) {
			t.Errorf("%s: title %q, details %q, place %q; want %q, the manage link %s, %q", who, q[0], q[1], q[2], b.ServiceName, manage, place)
		}
	}
}

// Right after booking (?booked=1): "You're booked", what, when, where, the
// price, where the confirmation went, the calendar links (the times in
// UTC), until when it can be moved or cancelled, and "Book again". Later
// visits say "Your booking" with the same facts.
func TestBookedPage(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	cl := s.client(t)
	token := cl.book(t, svc.ID, db.PlaceStudio, cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(5)))
	b := bookingOf(t, token)

	page := cl.get(t, bookingsPath+token+"?booked=1")
	wantStatus(t, page, http.StatusOK)
	isWholePage(t, page)
	when := londonName(b.StartsAt) + " to " + b.EndsAt.In(views.London).Format("15:04")
	cutoff := b.StartsAt.Add(-24 * time.Hour).In(views.London).Format(dateTimeFmt)
	again := "/book?service=" + itoa(svc.ID) + "&location=studio&again=" + token
	checkHTML(t, page.body,
		in("main h1", hasExactText("You’re booked")),
		in("main p.lead", hasText("A confirmation is on its way to ann@example.com")),
		in("dl.booking-facts", hasText(svc.Name), hasText(when+" (UK time)"), hasText("At the studio"),
			hasText(money.Pounds(svc.PricePence)), hasText("Ann Example")),
		in("dl.booking-facts address", hasText("St Ives")),
		in("a[href="+bookingsPath+token+"/calendar.ics]"),
		in("main p.cutoff", hasText("You can cancel or move this booking until "+cutoff+" (UK time)")),
		in("a[href="+bookingsPath+token+"/move]", hasText("Move to another time")),
		in("a[href="+bookingsPath+token+"/cancel]", hasText("Cancel this booking")),
		in("a[href="+again+"]", hasText("Book again")),
		notIn("form[action="+bookingsPath+token+"/cancel]"), // cancelling asks first, on its own page
		notIn("main .status-note"),
	)
	checkCalendarLinks(t, page.body, b, token, "St Ives")
	if rp := page.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy %q", rp)
	}
	if cc := page.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}

	// A later visit, or a flag that is not 1: the same facts, no news.
	for _, q := range []string{"", "?booked=0", "?booked=yes&moved=2026-13-45", "?moved=1"} {
		page := cl.get(t, bookingsPath+token+q)
		wantStatus(t, page, http.StatusOK)
		checkHTML(t, page.body,
			in("main h1", hasExactText("Your booking")),
			notIn("main p.lead"),
			notIn("main .status-note"), // ?moved=1 on a booking never moved says nothing
			in("dl.booking-facts", hasText(when)),
			in("a[href="+again+"]", hasText("Book again")))
		checkCalendarLinks(t, page.body, b, token, "St Ives")
	}
	noServerErrors(t, s)
}

// A mobile visit during British Summer Time: the calendar links carry the
// visit's address and the times an hour behind the UK wall clock.
func TestBookedPageInSummerTime(t *testing.T) {
	runAt(t, time.Date(2027, 6, 6, 18, 10, 0, 0, time.UTC)) // Sunday evening, BST
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	token := cl.book(t, svc.ID, db.PlaceMobile, cl.firstFree(t, svc.ID, db.PlaceMobile, weekAfter(2)))
	b := bookingOf(t, token)
	if _, off := b.StartsAt.In(views.London).Zone(); off != 3600 {
		t.Fatalf("the booking at %v is not in summer time", b.StartsAt.In(views.London))
	}
	page := cl.get(t, bookingsPath+token+"?booked=1")
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("main h1", hasExactText("You’re booked")),
		in("dl.booking-facts", hasText("Mobile visit to 1 Example Road, St Ives, PE27 5AB")))
	checkCalendarLinks(t, page.body, b, token, "1 Example Road, St Ives, PE27 5AB")
	g := calendarLink(t, parseHTML(t, page.body), "https://calendar.google.com/")
	wall := b.StartsAt.In(views.London)
	if want := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour()-1, wall.Minute(), 0, 0, time.UTC).Format("20060102T150405Z"); !strings.HasPrefix(g.Get("dates"), want+"/") {
		t.Errorf("Google dates %q for %v UK time, want them to start at %s", g.Get("dates"), wall, want)
	}
	noServerErrors(t, s)
}

// Cancel asks first: its page says what will be cancelled, offers a reason
// and "Keep my booking" before "Cancel booking". A reason too long comes
// back with a message and kept; the cancel stores the reason, the
// therapist sees it (her page and her e-mail), and the cancelled page has
// no calendar links and offers "Book another time".
func TestCancelAsksFirst(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	token := cl.book(t, svc.ID, db.PlaceStudio, cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(4)))
	b := bookingOf(t, token)
	manage := bookingsPath + token
	when := londonName(b.StartsAt) + " to " + b.EndsAt.In(views.London).Format("15:04")

	ask := cl.get(t, manage+"/cancel")
	wantStatus(t, ask, http.StatusOK)
	isWholePage(t, ask)
	checkHTML(t, ask.body,
		in("main h1", hasExactText("Cancel your booking?")),
		in("dl.booking-facts", hasText(svc.Name), hasText(when), hasText("At the studio")),
		in("main", hasText("We will e-mail the cancellation to ann@example.com")),
		in("form[action="+manage+"/cancel] textarea[name=reason]", hasAttr("maxlength", "1000")),
		in("label[for=f-reason]", hasText("optional")),
		in("form[action="+manage+"/cancel] button[type=submit]", hasExactText("Cancel booking")),
		in("form[action="+manage+"/cancel] a[href="+manage+"]", hasExactText("Keep my booking")))
	// "Keep my booking" comes first, and is the main button.
	var order []string
	for _, n := range selectAll(parseHTML(t, ask.body), "form[action="+manage+"/cancel] .confirm-actions .button") {
		order = append(order, text(n)+"|"+attrOr(n, "class"))
	}
	if want := []string{"Keep my booking|button", "Cancel booking|button secondary"}; !slices.Equal(order, want) {
		t.Errorf("the choices are %q, want %q", order, want)
	}
	if rp := ask.Header.Get("Referrer-Policy"); rp != "no-referrer" || !strings.Contains(ask.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("the cancel page: Referrer-Policy %q, Cache-Control %q", rp, ask.Header.Get("Cache-Control"))
	}
	if got := bookingOf(t, token); got.Status != db.BookingConfirmed {
		t.Fatalf("asking cancelled the booking: %s", got.Status)
	}

	// Too long: the message beside the field, every word kept, nothing cancelled.
	long := strings.Repeat("é", 990) + "\n" + strings.Repeat("x", 10) // 1,001 characters
	res := cl.post(t, manage+"/cancel", url.Values{"reason": {long}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body,
		in("#f-reason-error", hasText("Please keep the reason to 1000 characters")),
		in("textarea#f-reason", hasAttr("aria-invalid", "true")),
		in("form[action="+manage+"/cancel] a[href="+manage+"]", hasText("Keep my booking")))
	if got := textRaw(selectAll(parseHTML(t, res.body), "textarea#f-reason")[0]); got != long {
		t.Errorf("the reason came back as %d characters, want the 1,001 sent", len([]rune(got)))
	}
	if got := bookingOf(t, token); got.Status != db.BookingConfirmed {
		t.Fatalf("a refused reason cancelled the booking: %s", got.Status)
	}

	// Cancelled, with a reason.
	res = cl.post(t, manage+"/cancel", url.Values{"reason": {"  Away with work.\r\nSorry!  "}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != manage {
		t.Fatalf("cancel: %d to %q\n%.2000s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	got := bookingOf(t, token)
	if got.Status != db.BookingCancelled || got.CancelReason != booking.ClientCancelReason || got.ClientCancelReason != "Away with work.\nSorry!" {
		t.Errorf("after cancelling: %s, reason %q, the client's %q", got.Status, got.CancelReason, got.ClientCancelReason)
	}
	for _, q := range []string{"", "?booked=1", "?moved=1"} {
		page := cl.get(t, manage+q)
		wantStatus(t, page, http.StatusOK)
		checkHTML(t, page.body,
			in("main h1", hasExactText("Your booking is cancelled")),
			in("main p.lead", hasText("This booking is cancelled"), hasText("ann@example.com")),
			in("dl.booking-facts", hasText(when)),
			in("a[href=/book?service="+itoa(svc.ID)+"&location=studio&again="+token+"]", hasExactText("Book another time")),
			notIn("a[href$=calendar.ics]"),
			notIn("a[href^=https://calendar.google.com]"),
			notIn("a[href^=https://outlook.live.com]"),
			notIn("a[href="+manage+"/cancel]"),
			notIn("a[href="+manage+"/move]"),
			notIn("main .status-note"))
		if strings.Contains(page.body, "Away with work") {
			t.Error("the client's page repeats their reason (it is for the therapist)")
		}
	}
	// The cancel page of a cancelled booking, and a second cancel: back to it.
	for _, res := range []response{cl.get(t, manage+"/cancel"), cl.post(t, manage+"/cancel", url.Values{"reason": {"again"}})} {
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != manage {
			t.Errorf("after cancelling, the cancel page: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	if c := bookingOf(t, token); c.ClientCancelReason != "Away with work.\nSorry!" {
		t.Errorf("a second cancel changed the reason to %q", c.ClientCancelReason)
	}

	// The therapist reads the reason on the booking's page and in her e-mail.
	admin := s.client(t)
	admin.logIn(t)
	checkHTML(t, admin.get(t, adminPath+"/bookings/"+itoa(b.ID)).body,
		in("dl.booking-facts", hasText("cancelled by the client"), hasText("Client’s reason for cancelling"), hasText("Away with work. Sorry!")))
	kinds, ms := outboxOf(t, b.ID)
	i := slices.Index(kinds, "practice_booking_cancelled")
	if i < 0 || !strings.Contains(ms[i].Message.Text, "Client’s reason: left with the cancellation") || strings.Contains(ms[i].Message.Text, "Away with work") {
		t.Errorf("the practice's notice should point to the client's reason without its words: %v", kinds)
	}
	if j := slices.Index(kinds, "booking_cancelled"); j < 0 || strings.Contains(ms[j].Message.Text, "Away with work") {
		t.Errorf("the client's cancellation is missing or repeats their reason: %v", kinds)
	}
	noServerErrors(t, s)
}

// Inside the cut-off the cancel page is not offered: its address leads
// back to the booking, which says why.
func TestCancelPageAfterCutoff(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	token := cl.book(t, svc.ID, db.PlaceStudio, cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(5)))
	makeLate(t, token)
	res := cl.get(t, bookingsPath+token+"/cancel")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != bookingsPath+token {
		t.Errorf("the cancel page inside the cut-off: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res = cl.post(t, bookingsPath+token+"/cancel", url.Values{"reason": {"Ill."}})
	wantStatus(t, res, http.StatusConflict)
	if b := bookingOf(t, token); b.Status != db.BookingConfirmed || b.ClientCancelReason != "" {
		t.Errorf("a refused cancel: %s, reason %q", b.Status, b.ClientCancelReason)
	}
	noServerErrors(t, s)
}

// After a move, the page says what moved, from where to where in UK time;
// the same again for the second click of a double click.
func TestMovedMessage(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	cl := s.client(t)
	week := weekAfter(6)
	t1 := cl.firstFree(t, svc.ID, db.PlaceStudio, week)
	token := cl.book(t, svc.ID, db.PlaceStudio, t1)
	t2 := cl.freeAfter(t, svc.ID, db.PlaceStudio, week, t1, 26*time.Hour)
	res := cl.post(t, bookingsPath+token+"/move", url.Values{"start": {t2}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != bookingsPath+token+"?moved=1" {
		t.Fatalf("move: %d to %q\n%.2000s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	short := func(s string) string { return mustTime(t, s).In(views.London).Format("Monday 2 January, 15:04") }
	want := "Moved from " + short(t1) + " to " + short(t2) + "."
	page := cl.get(t, res.Header.Get("Location"))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		in("main h1", hasExactText("Your booking")),
		in("main .status-note[role=status]", hasExactText(want)),
		in("dl.booking-facts", hasText(londonName(mustTime(t, t2)))))
	checkCalendarLinks(t, page.body, bookingOf(t, token), token, "St Ives")
	// The same move sent again (the second click): the same page.
	again := cl.post(t, bookingsPath+token+"/move", url.Values{"start": {t2}})
	if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != bookingsPath+token+"?moved=1" {
		t.Errorf("the move again: %d to %q", again.StatusCode, again.Header.Get("Location"))
	}
	// Without the flag, no news.
	checkHTML(t, cl.get(t, bookingsPath+token).body, notIn("main .status-note"))
	noServerErrors(t, s)
}

func TestMovedText(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) *time.Time {
		v := time.Date(y, m, d, h, min, 0, 0, views.London)
		return &v
	}
	tests := []struct {
		from *time.Time
		to   time.Time
		want string
	}{
		{at(2026, 12, 10, 14, 0), *at(2026, 12, 16, 13, 0), "Moved from Thursday 10 December, 14:00 to Wednesday 16 December, 13:00"},
		{at(2027, 3, 27, 9, 0), *at(2027, 3, 29, 9, 0), "Moved from Saturday 27 March, 09:00 to Monday 29 March, 09:00"}, // across the clock change
		{at(2026, 12, 31, 16, 0), *at(2027, 1, 4, 10, 0), "Moved from Thursday 31 December 2026, 16:00 to Monday 4 January 2027, 10:00"},
		{nil, *at(2026, 12, 10, 14, 0), ""},
		{at(2026, 12, 10, 14, 0), at(2026, 12, 10, 14, 0).UTC(), ""},
	}
	for _, tt := range tests {
		if got := movedText(tt.from, tt.to); got != tt.want {
			t.Errorf("movedText(%v, %v) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

// The therapist's cancel asks first: the booking's page links to a page
// that says who and when, that the client is e-mailed, and offers "Keep
// booking" first. Mistakes come back there, kept.
func TestTherapistCancelAsksFirst(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	b := bookingOf(t, cl.book(t, svc.ID, db.PlaceStudio, cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(3))))
	admin := s.client(t)
	admin.logIn(t)
	bookingPage := adminPath + "/bookings/" + itoa(b.ID)

	checkHTML(t, admin.get(t, bookingPage).body,
		in("a[href="+bookingPage+"/cancel]", hasText("Cancel this booking")),
		notIn("form[action="+bookingPage+"/cancel]"))
	ask := admin.get(t, bookingPage+"/cancel")
	wantStatus(t, ask, http.StatusOK)
	when := londonName(b.StartsAt) + " to " + b.EndsAt.In(views.London).Format("15:04")
	checkHTML(t, ask.body,
		count("h1", 1),
		in("main h1", hasExactText("Cancel Ann Example’s booking?")),
		in("dl.booking-facts", hasText(when), hasText(svc.Name), hasText("07700 900123")),
		in("main", hasText("Ann Example is e-mailed the cancellation at ann@example.com, with your reason")),
		in("form[action="+bookingPage+"/cancel] textarea[name=reason]"),
		in("form[action="+bookingPage+"/cancel] .confirm-actions a[href="+bookingPage+"]", hasExactText("Keep booking")),
		in("form[action="+bookingPage+"/cancel] button[type=submit]", hasExactText("Cancel booking")))
	var order []string
	for _, n := range selectAll(parseHTML(t, ask.body), "form[action="+bookingPage+"/cancel] .confirm-actions .button") {
		order = append(order, text(n))
	}
	if !slices.Equal(order, []string{"Keep booking", "Cancel booking"}) {
		t.Errorf("the choices are %q, want Keep booking first", order)
	}
	if got, err := db.BookingByID(t.Context(), seededDB(t), b.ID); err != nil || got.Status != db.BookingConfirmed {
		t.Fatalf("asking cancelled the booking: %s %v", got.Status, err)
	}

	for _, bad := range []struct{ reason, message string }{
		{"   ", "Please give a reason"},
		{strings.Repeat("r", 501), "Please keep the reason to 500 characters"},
	} {
		res := admin.post(t, bookingPage+"/cancel", url.Values{"reason": {bad.reason}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		checkHTML(t, res.body,
			in("main h1", hasText("Cancel Ann Example’s booking?")),
			in("#f-reason-error", hasText(bad.message)),
			in(".confirm-actions a[href="+bookingPage+"]", hasText("Keep booking")))
		if kept := textRaw(selectAll(parseHTML(t, res.body), "textarea#f-reason")[0]); kept != strings.TrimSpace(bad.reason) {
			t.Errorf("the reason came back as %q, want %q", kept, strings.TrimSpace(bad.reason))
		}
	}
	res := admin.post(t, bookingPage+"/cancel", url.Values{"reason": {"The therapist is unwell."}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != bookingPage {
		t.Fatalf("cancel: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got, _ := db.BookingByID(t.Context(), seededDB(t), b.ID); got.Status != db.BookingCancelled || got.CancelReason != "The therapist is unwell." {
		t.Errorf("after the therapist's cancel: %s %q", got.Status, got.CancelReason)
	}
	// Nothing left to cancel: the page asking leads back to the booking.
	if res := admin.get(t, bookingPage+"/cancel"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != bookingPage {
		t.Errorf("the cancel page of a cancelled booking: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	wantStatus(t, admin.get(t, adminPath+"/bookings/99999999/cancel"), http.StatusNotFound)
	// Not for visitors.
	if res := cl.get(t, bookingPage+"/cancel"); res.StatusCode == http.StatusOK {
		t.Errorf("a visitor sees the therapist's cancel page")
	}
	noServerErrors(t, s)
}
