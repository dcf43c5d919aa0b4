package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/db"
)

// dayOfWeek is the day weekday (Monday = 0) of the week n weeks after this one, as a London midnight.
func dayOfWeek(n, weekday int) time.Time { return mondayOf(clk.Now()).AddDate(0, 0, 7*n+weekday) }

// localTime is hh:mm on day, as the RFC 3339 the forms send.
func localTime(day time.Time, hh, mm int) string {
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, day.Location()).UTC().Format(time.RFC3339)
}

// waitlistForm is a valid join form for svc at the studio on day, starting between earliest and latest.
func waitlistForm(svc int64, day time.Time, earliest, latest string) url.Values {
	return url.Values{
		"service": {fmt.Sprint(svc)}, "location": {db.PlaceStudio}, "date": {day.Format(time.DateOnly)},
		"earliest": {earliest}, "latest": {latest}, "name": {"Wanda Waiting"}, "email": {"wanda@example.com"},
	}
}

// outboxKind returns the messages of kind to recipient.
func outboxKind(t *testing.T, kind, recipient string) []db.OutboxMessage {
	t.Helper()
	var ms []db.OutboxMessage
	if err := seededDB(t).NewSelect().Model(&ms).Where("kind = ? AND recipient = ?", kind, recipient).OrderExpr("id").
		Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ms
}

// offerJobs counts the queued waitlist offers for day.
func offerJobs(t *testing.T, day time.Time) int {
	t.Helper()
	var n int
	if err := seededDB(t).NewRaw(`SELECT count(*) FROM river_job WHERE kind = 'waitlist_offer' AND args->>'day' = ?`,
		day.Format(time.DateOnly)).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Joining the waitlist: every mistake comes back next to its field (422) with everything kept, a choice that
// cannot be waited for says why, a window with free times says to book one (409), and a good form puts the
// client on the list once, with one confirmation that carries the link that takes them off it again.
func TestWaitlistJoin(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	day := dayOfWeek(6, 3) // a Thursday
	booker := s.client(t)
	at := localTime(day, 15, 0)
	booker.hold(t, svc.ID, db.PlaceStudio, at)
	booker.book(t, svc.ID, db.PlaceStudio, at)

	cl := s.client(t)
	// The picker links a working day to its waitlist, after its times.
	res := cl.get(t, slotsURL(svc.ID, db.PlaceStudio, "")+"&date="+day.Format(time.DateOnly), "HX-Request: true")
	join := fmt.Sprintf("/book/waitlist?service=%d&location=studio&date=%s", svc.ID, day.Format(time.DateOnly))
	checkHTML(t, res.body, in(`.waitlist-link a[href="`+join+`"]`, hasText("Join the waitlist for this day")))
	res = cl.get(t, join)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("form[action='/book/waitlist'] select#f-earliest option[value='15:00']"),
		in("input#f-email"))

	sunday := dayOfWeek(6, 6)
	tests := []struct {
		name   string
		change func(url.Values)
		status int
		want   checker
	}{
		{"no name", func(f url.Values) { f.Set("name", " ") }, 422, in("#f-name-error", hasText("your name"))},
		{"bad email", func(f url.Values) { f.Set("email", "wanda@") }, 422, in("#f-email-error")},
		{"latest before earliest", func(f url.Values) { f.Set("earliest", "15:00"); f.Set("latest", "14:00") }, 422,
			in("#f-latest-error", hasText("at or after the earliest"))},
		{"off the grid", func(f url.Values) { f.Set("earliest", "15:07") }, 422, in("#f-earliest-error")},
		{"after closing", func(f url.Values) { f.Set("latest", "17:45") }, 422, in("#f-latest-error")},
		{"outside the mobile area", func(f url.Values) { f.Set("location", "mobile"); f.Set("postcode", "CB1 1AA") }, 422,
			in("#f-postcode-error", hasText("outside that area"))},
		{"a day gone by", func(f url.Values) { f.Set("date", "2020-01-02") }, 422, in(".form-notice", hasText("from today"))},
		{"not a working day", func(f url.Values) { f.Set("date", sunday.Format(time.DateOnly)) }, 422,
			in(".form-notice", hasText("does not see clients"))},
		{"no such service", func(f url.Values) { f.Set("service", "999999") }, 422, in(".form-notice")},
		{"free times in the window", func(f url.Values) { f.Set("earliest", "16:30"); f.Set("latest", "17:00") }, 409,
			in(".form-notice", hasText("Good news"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := waitlistForm(svc.ID, day, "15:00", "15:00")
			tc.change(f)
			res := cl.post(t, "/book/waitlist", f)
			wantStatus(t, res, tc.status)
			checkHTML(t, res.body, tc.want, count("h1", 1))
			if tc.status == 422 && f.Get("name") != " " && strings.Contains(res.body, `id="f-name"`) {
				checkHTML(t, res.body, in("input#f-name", hasAttr("value", "Wanda Waiting"))) // kept
			}
		})
	}
	if ms := outboxKind(t, "waitlist_joined", "wanda@example.com"); len(ms) != 0 {
		t.Fatalf("%d confirmations after refused forms", len(ms))
	}

	// Good: on the list, told once.
	res = cl.post(t, "/book/waitlist", waitlistForm(svc.ID, day, "14:00", "15:00"))
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/book/waitlist/joined" {
		t.Fatalf("Location %q", loc)
	}
	res = cl.get(t, "/book/waitlist/joined")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("h1", hasText("You are on the waitlist")), in("main", hasText("wanda@example.com")),
		in("main", hasText("14:00 and 15:00")))
	wantStatus(t, cl.get(t, "/book/waitlist/joined"), http.StatusSeeOther) // shown once
	wantStatus(t, cl.post(t, "/book/waitlist", waitlistForm(svc.ID, day, "14:00", "15:00")), http.StatusSeeOther)
	ms := outboxKind(t, "waitlist_joined", "wanda@example.com")
	if len(ms) != 1 {
		t.Fatalf("%d confirmations after joining twice, want 1", len(ms))
	}
	if offerJobs(t, day) < 1 {
		t.Error("joining enqueued no look for free times")
	}
	leave := regexp.MustCompile(regexp.QuoteMeta(httpBase) + `/book/waitlist/leave/([A-Za-z0-9_-]{32})`).FindStringSubmatch(ms[0].Message.Text)
	if leave == nil || !strings.Contains(ms[0].Message.HTML, leave[0]) {
		t.Fatalf("the confirmation lacks the leave link:\n%s", ms[0].Message.Text)
	}

	// The leave link asks first (a mail scanner opening it takes no one off), then takes them off.
	other := s.client(t)
	res = other.get(t, "/book/waitlist/leave/"+leave[1])
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("form[method=post] button", hasText("Take me off the waitlist")))
	wantStatus(t, other.post(t, "/book/waitlist/leave/"+leave[1], nil), http.StatusSeeOther)
	wantStatus(t, other.post(t, "/book/waitlist/leave/"+leave[1], nil), http.StatusSeeOther)
	res = other.get(t, "/book/waitlist/leave/"+leave[1])
	checkHTML(t, res.body, notIn("form[method=post] button"), in("main", hasText("no longer on the waitlist")))
	wantStatus(t, other.get(t, "/book/waitlist/leave/not-a-real-token-not-a-real-token"), http.StatusNotFound)
	noServerErrors(t, s)
}

// offerTo offers start to entry e as the waitlist's worker does, with a known token, the hold ending at expires.
func offerTo(t *testing.T, s *testServer, e db.WaitlistEntry, svc db.Service, start, token string, expires time.Time) db.WaitlistOffer {
	t.Helper()
	ctx := context.Background()
	r, err := s.h.bookingRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hold := booking.NewBooking(svc, e.Place, mustTime(t, start), r)
	hold.HoldOwner, hold.HoldExpiresAt = tokenHash(token), &expires
	o := db.WaitlistOffer{EntryID: e.ID, TokenHash: tokenHash(token), ExpiresAt: expires}
	err = seededDB(t).RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, clk.Now()); err != nil {
			return err
		}
		return db.CreateOffer(ctx, tx, hold, &o, clk.Now())
	})
	if err != nil {
		t.Fatalf("offering %s: %v", start, err)
	}
	return o
}

// waiting puts email on the waitlist for day.
func waiting(t *testing.T, svc db.Service, day time.Time, email string) db.WaitlistEntry {
	t.Helper()
	e := db.WaitlistEntry{ServiceID: svc.ID, Place: db.PlaceStudio, Day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
		EarliestMin: 9 * 60, LatestMin: 17 * 60, Name: "Wally " + email, Email: email, LeaveTokenHash: tokenHash("leave-" + email)}
	if added, err := db.AddToWaitlist(context.Background(), seededDB(t), &e); err != nil || !added {
		t.Fatalf("AddToWaitlist: %v %v", added, err)
	}
	return e
}

func offerState(t *testing.T, id int64) (outcome, entry string) {
	t.Helper()
	err := seededDB(t).NewRaw(`SELECT o.outcome, w.status FROM waitlist_offers o JOIN waitlist w ON w.id = o.entry_id WHERE o.id = ?`, id).
		Scan(context.Background(), &outcome, &entry)
	if err != nil {
		t.Fatal(err)
	}
	return outcome, entry
}

// The offer's link: while the offer is open it brings the held time into the visitor's booking form, filled in
// with their name and address, and books it exactly once; the time is nobody else's meanwhile. A link whose
// offer ran out says plainly that the time is gone (410), also when someone else has booked it since; leaving
// the list withdraws an open offer and looks for the next person in the same transaction.
func TestWaitlistOfferLink(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	day := dayOfWeek(7, 4) // a Friday
	ctx := context.Background()

	// A cancellation enqueues the look for someone waiting, in its own transaction.
	booker := s.client(t)
	at := localTime(day, 15, 0)
	booker.hold(t, svc.ID, db.PlaceStudio, at)
	token := booker.book(t, svc.ID, db.PlaceStudio, at)
	before := offerJobs(t, day)
	wantStatus(t, booker.post(t, bookingsPath+token+"/cancel", nil), http.StatusSeeOther)
	if n := offerJobs(t, day); n != before+1 {
		t.Errorf("the cancellation enqueued %d offer jobs for %s, want 1", n-before, day.Format(time.DateOnly))
	}

	e := waiting(t, svc, day, "wally@example.com")
	offerToken := "offer-token-wally-0123456789abcdef"
	o := offerTo(t, s, e, svc, at, offerToken, clk.Now().Add(2*time.Hour))

	// Held: not in anyone else's picker, not holdable.
	other := s.client(t)
	for _, v := range other.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(7)) {
		if v == at {
			t.Fatalf("the offered time %s is in someone else's picker", at)
		}
	}
	wantStatus(t, other.post(t, "/book/hold", holdForm(svc.ID, db.PlaceStudio, at)), http.StatusConflict)

	// Taken through the link.
	w := s.client(t)
	res := w.get(t, "/book/offer/"+offerToken)
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/book/details" {
		t.Fatalf("the offer link sends to %q", loc)
	}
	res = w.get(t, "/book/details")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("input#f-name", hasAttr("value", "Wally wally@example.com")),
		in("input#f-email", hasAttr("value", "wally@example.com")),
		in("input[name=start]", hasAttr("value", at)),
		in(".hint", hasText("holding this time for you until")))
	f := detailsForm(svc.ID, db.PlaceStudio, at)
	booked := bookedToken(t, w.post(t, "/book", f))
	bookedToken(t, w.post(t, "/book", f)) // a second click
	if bs := takingTime(t, at); len(bs) != 1 || bs[0].Status != db.BookingConfirmed {
		t.Fatalf("bookings of the offered time: %+v", bs)
	}
	if b := bookingOf(t, booked); !b.StartsAt.Equal(mustTime(t, at)) {
		t.Errorf("booked %v, want %s", b.StartsAt, at)
	}
	if outcome, entry := offerState(t, o.ID); outcome != db.OfferBooked || entry != db.WaitlistBooked {
		t.Errorf("after booking: offer %s, entry %s", outcome, entry)
	}
	res = w.get(t, "/book/offer/"+offerToken)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("h1", hasText("This time is booked")))

	// An offer that ran out: the link says the time is gone, before and after someone else books it.
	e2 := waiting(t, svc, day, "late@example.com")
	at2 := localTime(day, 11, 0)
	lateToken := "offer-token-late-0123456789abcdef"
	offerTo(t, s, e2, svc, at2, lateToken, clk.Now().Add(-time.Minute))
	if _, err := seededDB(t).NewRaw(`UPDATE waitlist_offers SET outcome = 'expired' WHERE token_hash = ?`, tokenHash(lateToken)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	late := s.client(t)
	for i := range 2 {
		res = late.get(t, "/book/offer/"+lateToken)
		wantStatus(t, res, http.StatusGone)
		checkHTML(t, res.body, in("h1", hasText("no longer available")),
			in(fmt.Sprintf(`a[href="/book?service=%d&location=studio&date=%s"]`, svc.ID, day.Format(time.DateOnly))))
		if len(late.holds(t)) != 0 {
			t.Fatal("a visitor of a dead offer holds a time")
		}
		if i == 0 {
			other.hold(t, svc.ID, db.PlaceStudio, at2) // the time is free: someone else takes it
			other.book(t, svc.ID, db.PlaceStudio, at2)
		}
	}
	wantStatus(t, late.get(t, "/book/offer/no-such-offer-token-0123456789"), http.StatusNotFound)

	// Leaving with an open offer: the hold goes, and the next person is looked for in the same transaction.
	e3 := waiting(t, svc, day, "leaver@example.com")
	at3 := localTime(day, 13, 0)
	leaveToken := "offer-token-leaver-0123456789abcdef"
	o3 := offerTo(t, s, e3, svc, at3, leaveToken, clk.Now().Add(2*time.Hour))
	before = offerJobs(t, day)
	wantStatus(t, late.post(t, "/book/waitlist/leave/"+leaveToken, nil), http.StatusSeeOther)
	if outcome, entry := offerState(t, o3.ID); outcome != db.OfferWithdrawn || entry != db.WaitlistRemoved {
		t.Errorf("after leaving: offer %s, entry %s", outcome, entry)
	}
	if bs := takingTime(t, at3); len(bs) != 0 {
		t.Errorf("the withdrawn offer still holds its time: %+v", bs)
	}
	if n := offerJobs(t, day); n != before+1 {
		t.Errorf("leaving enqueued %d offer jobs, want 1", n-before)
	}
	res = late.get(t, "/book/offer/"+leaveToken)
	wantStatus(t, res, http.StatusGone)
	checkHTML(t, res.body, in("main", hasText("taken off the waitlist")))
	noServerErrors(t, s)
}

// Someone who took an offer through its link but then booked another time that day (chosen in the picker, or
// after "Choose another time" gave the offered time back) is done with the waitlist: the offer ends as booked,
// with their booking, and the entry does not go back on the list when the offer would have run out. Someone
// else's offer that day is left alone.
func TestWaitlistOfferBookedAnotherTime(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	day := dayOfWeek(1, 3) // a Thursday
	ctx := context.Background()
	free := s.client(t).freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(1))
	var times []string // the day's free times, two hours apart
	for _, v := range free {
		if mustTime(t, v).In(day.Location()).Format(time.DateOnly) == day.Format(time.DateOnly) &&
			(len(times) == 0 || !mustTime(t, v).Before(mustTime(t, times[len(times)-1]).Add(2*time.Hour))) {
			times = append(times, v)
		}
	}
	if len(times) < 5 {
		t.Fatalf("free times on %s: %v", day.Format(time.DateOnly), times)
	}
	bystander := waiting(t, svc, day, "bystander@example.com")
	ob := offerTo(t, s, bystander, svc, times[4], "offer-token-bystander-0123456789ab", clk.Now().Add(2*time.Hour))

	for i, how := range []string{"picker", "release"} {
		t.Run(how, func(t *testing.T) {
			e := waiting(t, svc, day, how+"@example.com")
			token := "offer-token-" + how + "-0123456789abcdef"
			offered, chosen := times[2*i], times[2*i+1]
			o := offerTo(t, s, e, svc, offered, token, clk.Now().Add(2*time.Hour))
			w := s.client(t)
			wantStatus(t, w.get(t, "/book/offer/"+token), http.StatusSeeOther)
			if how == "release" {
				wantStatus(t, w.post(t, "/book/release", holdForm(svc.ID, db.PlaceStudio, offered)), http.StatusSeeOther)
			}
			w.hold(t, svc.ID, db.PlaceStudio, chosen) // gives up the offered time
			booked := bookingOf(t, w.book(t, svc.ID, db.PlaceStudio, chosen))
			if outcome, entry := offerState(t, o.ID); outcome != db.OfferBooked || entry != db.WaitlistBooked {
				t.Errorf("after booking %s instead of %s: offer %s, entry %s, want booked and booked", chosen, offered, outcome, entry)
			}
			var bookingID *int64
			if err := seededDB(t).NewRaw(`SELECT booking_id FROM waitlist_offers WHERE id = ?`, o.ID).Scan(ctx, &bookingID); err != nil ||
				bookingID == nil || *bookingID != booked.ID {
				t.Errorf("the offer's booking: %v (%v), want %d", bookingID, err, booked.ID)
			}
			// When the offer would have run out, nothing changes: they are not put back on the list.
			err := seededDB(t).RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, clk.Now()); err != nil {
					return err
				}
				_, ended, err := db.ExpireOffer(ctx, tx, o.ID)
				if ended {
					t.Error("the offer was still open when it ran out")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if outcome, entry := offerState(t, o.ID); entry != db.WaitlistBooked {
				t.Errorf("after the offer's time ran out: offer %s, entry %s, want the entry booked", outcome, entry)
			}
			res := w.get(t, "/book/offer/"+token)
			wantStatus(t, res, http.StatusOK)
			checkHTML(t, res.body, in("main", hasText(londonName(booked.StartsAt))))
		})
	}
	if outcome, entry := offerState(t, ob.ID); outcome != db.OfferOpen || entry != db.WaitlistOffered {
		t.Errorf("someone else's offer: %s, entry %s, want still offered", outcome, entry)
	}
	noServerErrors(t, s)
}
