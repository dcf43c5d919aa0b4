package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// The limits that keep the booking form from mailing strangers (issue 15):
// five bookings an hour per address, three upcoming bookings per e-mail
// address, and the daily ceiling on confirmations to new addresses, whose
// held mail the therapist sees on her dashboard.

// practicePhone is the seeded practice's phone number, which the refusals
// give.
const practicePhone = "01480 000000"

// apartTimes is n of the free times, each at least two hours after the one
// before, so that booking one leaves the next free.
func apartTimes(t *testing.T, free []string, n int) []string {
	t.Helper()
	var out []string
	var last time.Time
	for _, v := range free {
		if len(out) == n {
			break
		}
		if at := mustTime(t, v); len(out) == 0 || !at.Before(last.Add(2*time.Hour)) {
			out, last = append(out, v), at
		}
	}
	if len(out) < n {
		t.Fatalf("only %d free times two hours apart, want %d", len(out), n)
	}
	return out
}

// bookAs sends a valid details form for start with the address email.
func (cl *client) bookAs(t *testing.T, svc int64, start, email string, headers ...string) response {
	t.Helper()
	f := detailsForm(svc, db.PlaceStudio, start)
	f.Set("email", email)
	return cl.post(t, "/book", f, headers...)
}

// outboxStatus is the status of the client's confirmation of booking id.
func outboxStatus(t *testing.T, id int64) string {
	t.Helper()
	var status string
	err := seededDB(t).NewRaw("SELECT status FROM outbox WHERE booking_id = ? AND kind = 'booking_confirmed'", id).
		Scan(context.Background(), &status)
	if err != nil {
		t.Fatalf("the confirmation of booking %d: %v", id, err)
	}
	return status
}

// The sixth booking from one address within an hour is refused: 429 with
// Retry-After, the practice's phone number, everything typed kept and the
// time still held (said so). Bookings not made (a time taken meanwhile) do
// not count; other addresses book as usual; an hour later it may book again.
func TestFiveBookingsPerAddressAnHour(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	times := apartTimes(t, cl.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(5)), 9)

	// Someone else has times[0]: trying it is no booking, and costs nothing.
	other := s.client(t)
	bookedToken(t, other.bookAs(t, svc.ID, times[0], "other@example.com"))
	wantStatus(t, cl.bookAs(t, svc.ID, times[0], "p0@example.com"), http.StatusConflict)

	// Five bookings, to five addresses, from one address (two sessions).
	second := s.client(t)
	second.ip = cl.ip
	for i := 1; i <= newBookingsPerHour; i++ {
		who := cl
		if i%2 == 0 {
			who = second
		}
		bookedToken(t, who.bookAs(t, svc.ID, times[i], fmt.Sprintf("p%d@example.com", i)))
	}

	// The sixth, held first: refused, whole page and htmx fragment alike.
	sixth := times[newBookingsPerHour+1]
	cl.hold(t, svc.ID, db.PlaceStudio, sixth)
	f := detailsForm(svc.ID, db.PlaceStudio, sixth)
	f.Set("email", "p6@example.com")
	for _, headers := range [][]string{nil, {"HX-Request: true"}} {
		res := cl.post(t, "/book", f, headers...)
		wantStatus(t, res, http.StatusTooManyRequests)
		if wait, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || wait <= 0 || wait > 3600 {
			t.Errorf("Retry-After %q, want the seconds until the hour is up", res.Header.Get("Retry-After"))
		}
		checkHTML(t, res.body, in("section.booking-details .form-notice",
			hasText(practicePhone), hasText("Nothing was booked"), hasText("everything you typed is kept")),
			in("section.booking-details .form-notice a[href^='tel:']", hasText(practicePhone))) // one tap to call
		keptStudioValues(t, res.body, f)
	}
	if got := takingTime(t, sixth); len(got) != 1 || got[0].Status != db.BookingHeld {
		t.Errorf("rows at %s after the refusal: %+v, want the hold", sixth, got)
	}

	// Another address is not affected.
	bookedToken(t, other.bookAs(t, svc.ID, times[newBookingsPerHour+2], "other@example.com"))

	// An hour later the address books again.
	clk.Set(clk.Now().Add(time.Hour + time.Minute))
	bookedToken(t, second.bookAs(t, svc.ID, times[newBookingsPerHour+3], "p6@example.com"))
	noServerErrors(t, s)
}

// A fourth upcoming booking for one e-mail address, from wherever, is
// refused (422) with the practice's phone number, the details kept and
// the hold kept; cancelling one makes room.
func TestThreeUpcomingBookingsPerEmail(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	times := apartTimes(t, cl.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(6)), 5)
	var tokens []string
	for i, email := range []string{"ann@example.com", "Ann@example.com", "ANN@EXAMPLE.COM"} {
		tokens = append(tokens, bookedToken(t, s.client(t).bookAs(t, svc.ID, times[i], email)))
	}
	fourth := s.client(t)
	fourth.hold(t, svc.ID, db.PlaceStudio, times[3])
	f := detailsForm(svc.ID, db.PlaceStudio, times[3])
	for _, headers := range [][]string{nil, {"HX-Request: true"}} {
		res := fourth.post(t, "/book", f, headers...)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		checkHTML(t, res.body, in("section.booking-details .form-notice",
			hasText("ann@example.com already has 3 appointments to come"), hasText(practicePhone),
			hasText("held for you until"), hasText("Everything you typed is kept")))
		keptStudioValues(t, res.body, f)
	}
	if got := takingTime(t, times[3]); len(got) != 1 || got[0].Status != db.BookingHeld {
		t.Errorf("rows at %s after the refusal: %+v, want the hold", times[3], got)
	}
	// Not held, the refusal says nothing was booked.
	res := s.client(t).post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, times[4]))
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("section.booking-details .form-notice", hasText("Nothing was booked.")))

	// Cancelling one makes room for the held time.
	c := s.client(t)
	wantStatus(t, c.post(t, bookingsPath+tokens[0]+"/cancel", url.Values{}), http.StatusSeeOther)
	bookedToken(t, fourth.post(t, "/book", f))
	noServerErrors(t, s)
}

// Past the day's ceiling, a booking to a new address is made, its page
// says the confirmation will follow, the confirmation is held, and the
// dashboard says so with the addresses; she sends one booking's mail and
// deletes the rest. The ceiling is hers to set on the dashboard.
func TestHeldConfirmationsOnTheDashboard(t *testing.T) {
	runAt(t, epoch)
	t.Cleanup(func() {
		if _, err := seededDB(t).NewRaw("DELETE FROM booking_mail_settings").Exec(context.Background()); err != nil {
			t.Error(err)
		}
	})
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	dash := admin.get(t, adminPath)
	checkHTML(t, dash.body, in("#mail-ceiling input[name=per_day]", hasAttr("value", strconv.Itoa(db.DefaultNewAddressesPerDay))),
		notIn("#held-mail-title"))
	res := admin.post(t, adminPath+"/mail/ceiling", url.Values{"per_day": {"lots"}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#mail-ceiling .field-error", hasText("whole number")), in("#mail-ceiling input[name=per_day][autofocus]", hasAttr("value", "lots"))) // focused: on a phone the form is far down
	wantStatus(t, admin.post(t, adminPath+"/mail/ceiling", url.Values{"per_day": {"2"}}), http.StatusSeeOther)

	svc := bookingServices(t)[0]
	times := apartTimes(t, s.client(t).freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(4)), 4)
	var ids []int64
	var pages []response
	for i, start := range times {
		cl := s.client(t)
		token := bookedToken(t, cl.bookAs(t, svc.ID, start, fmt.Sprintf("new%d@example.com", i)))
		ids = append(ids, bookingOf(t, token).ID)
		pages = append(pages, cl.get(t, bookedURL(token)))
	}
	booked := func(id int64) db.Booking {
		t.Helper()
		b, err := db.BookingByID(context.Background(), seededDB(t), id)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i, id := range ids {
		want := map[bool]string{true: db.OutboxQueued, false: db.OutboxHeld}[i < 2]
		if got := outboxStatus(t, id); got != want {
			t.Errorf("confirmation %d: %s, want %s", i, got, want)
		}
	}
	// The practice's own news of each booking says when the client's
	// confirmation waits for her.
	for i, id := range ids {
		var text string
		if err := seededDB(t).NewRaw("SELECT message->>'Text' FROM outbox WHERE booking_id = ? AND kind = 'practice_new_booking'", id).
			Scan(context.Background(), &text); err != nil {
			t.Fatalf("the practice's mail of booking %d: %v", id, err)
		}
		if held := i >= 2; strings.Contains(text, "confirmation is held") != held {
			t.Errorf("the practice's mail of booking %d (confirmation held: %v) says: %s", i, held, text)
		}
	}
	checkHTML(t, pages[0].body, in("p.lead", hasText("A confirmation is on its way")))
	checkHTML(t, pages[2].body, in("p.lead", hasText("once the practice has looked")))

	dash = admin.get(t, adminPath)
	wantStatus(t, dash, http.StatusOK)
	checkHTML(t, dash.body,
		in("section.held-mail .form-notice", hasText("2 confirmations to new addresses were held today: new2@example.com, new3@example.com")),
		in("section.held-mail a[href=/admin/bookings/"+itoa(ids[2])+"]"),
		in("#mail-ceiling input[name=per_day]", hasAttr("value", "2")))
	upto := attrOf(t, dash.body, "section.held-mail input[name=upto]", "value")

	// Send new2's; the job to send it is queued with it, and the page says so.
	sent := admin.post(t, adminPath+"/mail/held/send", url.Values{"upto": {upto}, "booking": {itoa(ids[2])}})
	wantStatus(t, sent, http.StatusSeeOther)
	if loc := sent.Header.Get("Location"); loc != adminPath+"?done=sent&n=1#done" {
		t.Errorf("after Send: to %q", loc)
	} else {
		checkHTML(t, admin.get(t, adminPath+"?done=sent&n=1").body, in("#done[role=status]", hasText("1 e-mail sent on their way.")))
	}
	if got := outboxStatus(t, ids[2]); got != db.OutboxQueued {
		t.Errorf("after Send: %s, want queued", got)
	}
	var jobs int
	if err := seededDB(t).NewRaw(`SELECT count(*) FROM river_job WHERE kind = 'send_mail'
		AND (args->>'outbox_id')::bigint IN (SELECT id FROM outbox WHERE booking_id = ? AND kind = 'booking_confirmed')`, ids[2]).
		Scan(context.Background(), &jobs); err != nil || jobs != 1 {
		t.Errorf("%d jobs send the released confirmation (%v), want 1", jobs, err)
	}
	dash = admin.get(t, adminPath)
	checkHTML(t, dash.body, in("section.held-mail .form-notice", hasText("1 confirmation to a new address was held today: new3@example.com")))

	// Delete the rest: the alert goes.
	wantStatus(t, admin.post(t, adminPath+"/mail/held/delete", url.Values{"upto": {upto}}), http.StatusSeeOther)
	var held int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM outbox WHERE status = 'held'").Scan(context.Background(), &held); err != nil || held != 0 {
		t.Errorf("%d messages still held (%v)", held, err)
	}
	dash = admin.get(t, adminPath)
	checkHTML(t, dash.body, notIn("section.held-mail"))
	if b := booked(ids[3]); b.Status != db.BookingConfirmed {
		t.Errorf("the booking whose mail was deleted is %s, want still confirmed", b.Status)
	}
	noServerErrors(t, s)
}

// attrOf is attribute name of the first element sel selects in body.
func attrOf(t *testing.T, body, sel, name string) string {
	t.Helper()
	m := selectAll(parseHTML(t, body), sel)
	if len(m) == 0 {
		t.Fatalf("nothing matches %s", sel)
	}
	return attrOr(m[0], name)
}

// keptStudioValues checks that a re-rendered details form for the studio
// shows everything f sent.
func keptStudioValues(t *testing.T, body string, f url.Values) {
	t.Helper()
	checkHTML(t, body,
		in("input[name=name]", hasAttr("value", f.Get("name"))),
		in("input[name=email]", hasAttr("value", f.Get("email"))),
		in("input[name=phone]", hasAttr("value", f.Get("phone"))),
		in("textarea[name=notes]", hasText(f.Get("notes"))),
		in("input[name=consent_policy][checked]"), in("input[name=consent_health][checked]"),
		in("input[name=health_injury][value=no][checked]"), in("input[name=health_medication][value=no][checked]"))
}
