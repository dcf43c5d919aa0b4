package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// A booking made online is in the diary and the dashboard; its page shows
// the therapist everything, the health answers included.
func TestDiaryShowsBookings(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	client := s.client(t)
	start := client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(2))
	f := detailsForm(svc.ID, db.PlaceStudio, start)
	f.Set("health_"+healthQuestions[0].Key, "yes")
	f.Set("health_"+healthQuestions[0].Key+"_details", "Torn calf in May")
	token := bookedToken(t, client.post(t, "/book", f))
	b := bookingOf(t, token)

	admin := s.client(t)
	admin.logIn(t)
	week := mondayOf(b.StartsAt).Format(time.DateOnly)
	diary := admin.get(t, adminPath+"/diary?week="+week)
	wantStatus(t, diary, http.StatusOK)
	checkHTML(t, diary.body, in("a[href=/admin/bookings/"+itoa(b.ID)+"]", hasText("Ann Example")))
	wantStatus(t, admin.get(t, adminPath+"/diary?week=not-a-date"), http.StatusBadRequest)
	wantStatus(t, admin.get(t, adminPath+"/diary?day=9999-99-99"), http.StatusBadRequest)

	// Its day, from the week's heading: the booking with the client's phone
	// number to tap, and the neighbouring days.
	day := b.StartsAt.In(views.London).Format(time.DateOnly)
	checkHTML(t, diary.body, in("h4.day-heading a[href=/admin/diary?day="+day+"]"), in(".dg-head a[href=/admin/diary?day="+day+"]"))
	dayPage := admin.get(t, adminPath+"/diary?day="+day)
	wantStatus(t, dayPage, http.StatusOK)
	checkHTML(t, dayPage.body,
		in("nav[aria-label=Days] h2", hasText(b.StartsAt.In(views.London).Format("Monday 2 January 2006"))),
		in("a[href=/admin/bookings/"+itoa(b.ID)+"]", hasText("Ann Example")),
		in("a.diary-phone[href^=tel:]", hasExactText("07700 900123")),
		in("a[href=/admin/diary?day="+b.StartsAt.In(views.London).AddDate(0, 0, 1).Format(time.DateOnly)+"]", hasText("Next day")),
		in("a[href=/admin/diary?week="+day+"]", hasText("The whole week")),
		count("ul.diary-list", 1))

	page := admin.get(t, adminPath+"/bookings/"+itoa(b.ID))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		in("dl.health-answers", hasText(healthQuestions[0].Question), hasText("Torn calf in May")),
		in("dl.booking-facts", hasText("ann@example.com"), hasText("07700 900123")),
		in("a[href=/admin/bookings/"+itoa(b.ID)+"/cancel]", hasText("Cancel this booking")),
		notIn("form[action=/admin/bookings/"+itoa(b.ID)+"/cancel]"),     // it asks first, on a page of its own
		notIn("form[action=/admin/bookings/"+itoa(b.ID)+"/attendance]"), // its time has not come
	)
	if cc := page.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("the booking page with health answers is cacheable: %q", cc)
	}
	wantStatus(t, admin.get(t, adminPath+"/bookings/99999999"), http.StatusNotFound)
	wantStatus(t, admin.get(t, adminPath+"/bookings/x"), http.StatusNotFound)
	// Not yet: completed or no-show before the appointment.
	wantStatus(t, admin.post(t, adminPath+"/bookings/"+itoa(b.ID)+"/attendance", url.Values{"status": {"completed"}}), http.StatusConflict)
	// Once its time has come: she marks the client absent, in words she
	// would use, and can take it back.
	if _, err := seededDB(t).NewRaw(`UPDATE bookings SET starts_at = starts_at - interval '60 days', ends_at = ends_at - interval '60 days',
		blocked_from = blocked_from - interval '60 days', blocked_to = blocked_to - interval '60 days' WHERE id = ?`, b.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	bookingPage := adminPath + "/bookings/" + itoa(b.ID)
	wantStatus(t, admin.post(t, bookingPage+"/attendance", url.Values{"status": {"no_show"}}), http.StatusSeeOther)
	checkHTML(t, admin.get(t, bookingPage).body, in("dl.booking-facts", hasText("did not come")),
		in("form[action="+bookingPage+"/attendance] button[value=confirmed]", hasText("Undo")))
	wantStatus(t, admin.post(t, bookingPage+"/attendance", url.Values{"status": {"confirmed"}}), http.StatusSeeOther)
	if got := bookingOf(t, token); got.Status != db.BookingConfirmed {
		t.Errorf("after Undo the booking is %s, want confirmed", got.Status)
	}

	// A booking in the next days is on the dashboard, a tap away from its
	// details and from calling the client.
	soon := client.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(0))
	if len(soon) == 0 {
		soon = client.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(1))
	}
	var next db.Booking
	for _, st := range soon {
		if mustTime(t, st).Before(clk.Now().AddDate(0, 0, 6)) {
			next = bookingOf(t, bookedToken(t, s.client(t).post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, st))))
			break
		}
	}
	if next.ID == 0 {
		t.Fatal("nothing free in the next six days")
	}
	checkHTML(t, admin.get(t, adminPath).body,
		in("ul.diary-list a[href=/admin/bookings/"+itoa(next.ID)+"]", hasText("Ann Example")),
		in("ul.diary-list a.diary-phone[href^=tel:]", hasExactText("07700 900123")))
	noServerErrors(t, s)
}

// The therapist cancels with a reason; the client is told it, and the time
// is free again.
func TestTherapistCancels(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	client := s.client(t)
	start := client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(3))
	b := bookingOf(t, client.book(t, svc.ID, db.PlaceStudio, start))
	admin := s.client(t)
	admin.logIn(t)
	path := adminPath + "/bookings/" + itoa(b.ID) + "/cancel"

	res := admin.post(t, path, url.Values{"reason": {"  "}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#f-reason-error", hasText("Please give a reason")))

	res = admin.post(t, path, url.Values{"reason": {"The therapist is unwell."}})
	wantStatus(t, res, http.StatusSeeOther)
	after := bookingOf(t, client.book(t, svc.ID, db.PlaceStudio, start)) // free again: someone else books it
	if after.ID == b.ID {
		t.Fatal("the cancelled time was not free again")
	}
	kinds, ms := outboxOf(t, b.ID)
	i := slices.Index(kinds, "booking_cancelled")
	if i < 0 || !strings.Contains(ms[i].Message.Text, "The therapist is unwell.") {
		t.Errorf("the client's cancellation does not carry the reason: %v", kinds)
	}
	// A second cancel: refused clearly, nothing more sent.
	wantStatus(t, admin.post(t, path, url.Values{"reason": {"again"}}), http.StatusConflict)
	if k, _ := outboxOf(t, b.ID); len(k) != len(kinds) {
		t.Errorf("a second cancel sent more mail: %v", k)
	}
	noServerErrors(t, s)
}

// A booking by phone is checked like an online one and, with an email
// address, confirmed to the client.
func TestAddBookingByHand(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	admin := s.client(t)
	admin.logIn(t)
	free := admin.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(4))
	if len(free) < 2 {
		t.Fatal("not enough free times")
	}
	at := mustTime(t, free[0]).In(views.London)
	form := func(date, clock, name, email string) url.Values {
		return url.Values{"service": {itoa(svc.ID)}, "location": {db.PlaceStudio}, "date": {date}, "time": {clock},
			"name": {name}, "email": {email}, "phone": {"07700 900456"}}
	}
	day, clock := at.Format(time.DateOnly), at.Format("15:04")

	for _, tc := range []struct {
		name  string
		f     url.Values
		field string
	}{
		{"no name", form(day, clock, "", ""), "name"},
		{"no time", form(day, "", "Bob", ""), "time"},
		{"bad email", form(day, clock, "Bob", "bob at example"), "email"},
		{"no service", url.Values{"location": {db.PlaceStudio}, "date": {day}, "time": {clock}, "name": {"Bob"}, "phone": {"1"}}, "service"},
		{"not a phone number", func() url.Values { f := form(day, clock, "Bob", ""); f.Set("phone", "=1+1"); return f }(), "phone"},
	} {
		res := admin.post(t, adminPath+"/bookings", tc.f)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		checkHTML(t, res.body, in("#f-"+tc.field+"-error"))
		if tc.f.Get("name") != "" {
			checkHTML(t, res.body, in("input[name=name]", hasAttr("value", tc.f.Get("name"))))
		}
	}
	// Outside the hours (03:00): not booked without her confirming it.
	wantStatus(t, admin.post(t, adminPath+"/bookings", form(day, "03:00", "Bob", "")), http.StatusConflict)

	res := admin.post(t, adminPath+"/bookings", form(day, clock, "Bob Phone", "bob@example.com"))
	wantStatus(t, res, http.StatusSeeOther)
	got := takingTime(t, free[0])
	if len(got) != 1 || got[0].ClientName != "Bob Phone" || got[0].Status != db.BookingConfirmed {
		t.Fatalf("rows at %s: %+v", free[0], got)
	}
	if kinds, _ := outboxOf(t, got[0].ID); !slices.Contains(kinds, "booking_confirmed") {
		t.Errorf("no confirmation for a booking by hand with an email address: %v", kinds)
	}
	// The same time again: taken.
	wantStatus(t, admin.post(t, adminPath+"/bookings", form(day, clock, "Cat", "")), http.StatusConflict)
	// Without an email: booked, nothing sent to the client.
	at2 := mustTime(t, free[len(free)-1]).In(views.London)
	wantStatus(t, admin.post(t, adminPath+"/bookings", form(at2.Format(time.DateOnly), at2.Format("15:04"), "Dee", "")), http.StatusSeeOther)
	got2 := takingTime(t, free[len(free)-1])
	if len(got2) != 1 {
		t.Fatalf("rows at %s: %+v", free[len(free)-1], got2)
	}
	if kinds, _ := outboxOf(t, got2[0].ID); slices.Contains(kinds, "booking_confirmed") {
		t.Errorf("a confirmation was written for a client without an email address")
	}
	noServerErrors(t, s)
}

// The CSV export lists the appointments; a cell that a spreadsheet would
// run as a formula is defused.
func TestDiaryCSV(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	client := s.client(t)
	start := client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(5))
	f := detailsForm(svc.ID, db.PlaceStudio, start)
	f.Set("name", "=HYPERLINK(\"http://evil.example\")")
	bookedToken(t, client.post(t, "/book", f))
	admin := s.client(t)
	admin.logIn(t)
	res := admin.get(t, adminPath+"/diary.csv?from="+clk.Now().Format(time.DateOnly)+"&to="+clk.Now().AddDate(0, 3, 0).Format(time.DateOnly))
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
		t.Errorf("Content-Disposition %q, want a .csv attachment", cd)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store: it lists clients", cc)
	}
	// A byte order mark, so that Excel reads the file as UTF-8 ("£", "—").
	body, bom := strings.CutPrefix(res.body, "\uFEFF")
	if !bom {
		t.Error("the export does not start with a UTF-8 byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("CSV: %v, %d rows", err, len(rows))
	}
	if rows[0][0] != "date" || rows[0][5] != "client" || rows[0][10] != "price (£)" {
		t.Errorf("header %v", rows[0])
	}
	found := false
	for _, r := range rows[1:] {
		if strings.Contains(r[5], "HYPERLINK") {
			found = true
			if !strings.HasPrefix(r[5], "'=") {
				t.Errorf("formula cell not defused: %q", r[5])
			}
			// A number a spreadsheet can add up.
			if want := fmt.Sprintf("%d.%02d", svc.PricePence/100, svc.PricePence%100); r[10] != want {
				t.Errorf("price %q, want %q", r[10], want)
			}
		}
	}
	// Every way a cell can start a formula is defused.
	for _, v := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain"} {
		if got := csvSafe(v); (got == v) != (v == "plain") {
			t.Errorf("csvSafe(%q) = %q", v, got)
		}
	}
	if !found {
		t.Error("the booking is not in the export")
	}
	if strings.Contains(res.body, "Tight left calf") {
		t.Error("the export carries the client's notes")
	}
	wantStatus(t, admin.get(t, adminPath+"/diary.csv?from=yesterday"), http.StatusBadRequest)
}
