package handlers

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"

	"dynamicmotion/db"
)

// feedBooking stores a booking of svc with status at start, with health
// answers and a note that must never reach the feed.
func feedBooking(t *testing.T, svc db.Service, name, place, status string, start time.Time) db.Booking {
	t.Helper()
	end := start.Add(time.Duration(svc.DurationMin) * time.Minute)
	b := db.Booking{
		ServiceID: svc.ID, Place: place, Status: status, StartsAt: start, EndsAt: end,
		BlockedFrom: start, BlockedTo: end, ServiceName: svc.Name, DurationMin: svc.DurationMin, PricePence: svc.PricePence,
		ClientName: name, ClientEmail: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", ClientPhone: "07700 900777",
		Notes:           "SECRETNOTE-" + name,
		Health:          map[string]any{"injury": map[string]string{"question": "SECRETQUESTION", "answer": "yes", "details": "SECRETDETAILS-" + name}},
		ManageTokenHash: db.HashToken("feed-" + name + start.String()),
	}
	if place == db.PlaceMobile {
		b.Address, b.Postcode = "12 High Street, Houghton", "PE28 2AA"
	}
	if status == db.BookingHeld {
		exp := clk.Now().Add(time.Hour)
		b.HoldOwner, b.HoldExpiresAt, b.ManageTokenHash = db.HashToken(name), &exp, nil
	}
	if _, err := seededDB(t).NewInsert().Model(&b).ExcludeColumn("id", "created_at").Returning("id").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b
}

// feedEvents parses a feed with go-ical and returns its events by UID.
func feedEvents(t *testing.T, body string) map[string]goical.Event {
	t.Helper()
	cal, err := goical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v\n%s", err, body)
	}
	if err := goical.NewEncoder(&bytes.Buffer{}).Encode(cal); err != nil {
		t.Fatalf("go-ical rejects the structure: %v", err)
	}
	if m := cal.Props.Get(goical.PropMethod); m == nil || m.Value != "PUBLISH" {
		t.Errorf("METHOD %v, want PUBLISH", m)
	}
	out := map[string]goical.Event{}
	for _, e := range cal.Events() {
		uid, _ := e.Props.Text(goical.PropUID)
		out[uid] = e
	}
	return out
}

func feedUID(b db.Booking) string { return "booking-" + strconv.FormatInt(b.ID, 10) + "@example.test" }

// The therapist's feed lists her appointments (upcoming, and the last
// month's) for her phone's calendar: who, what, where and how to reach them,
// never health answers or notes, and never cancelled bookings or holds. It
// sets no cookie, asks not to be indexed and may be cached privately for
// five minutes. A wrong or rotated secret is the site's 404.
func TestCalendarFeed(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	ctx := context.Background()
	svc := bookingServices(t)[1]
	// Far from the weeks other tests book in.
	day := clk.Now().Truncate(time.Hour).AddDate(0, 0, 300)
	studio := feedBooking(t, svc, "Ann Feed", db.PlaceStudio, db.BookingConfirmed, day)
	mobile := feedBooking(t, svc, "Bo Feed", db.PlaceMobile, db.BookingConfirmed, day.Add(3*time.Hour))
	cancelled := feedBooking(t, svc, "Cy Feed", db.PlaceStudio, db.BookingCancelled, day.Add(6*time.Hour))
	held := feedBooking(t, svc, "Di Feed", db.PlaceStudio, db.BookingHeld, day.Add(9*time.Hour))
	recent := feedBooking(t, svc, "Ed Feed", db.PlaceStudio, db.BookingCompleted, clk.Now().Truncate(time.Hour).AddDate(0, 0, -5))
	old := feedBooking(t, svc, "Flo Feed", db.PlaceStudio, db.BookingCompleted, clk.Now().Truncate(time.Hour).AddDate(0, 0, -40))

	if err := db.RevokeCalendarFeed(ctx, seededDB(t)); err != nil {
		t.Fatal(err)
	}
	guess := "/calendar/" + strings.Repeat("A", db.CalendarSecretLen) + ".ics"
	if res := s.get(t, guess); res.StatusCode != http.StatusNotFound {
		t.Errorf("before any feed exists: status %d, want 404", res.StatusCode)
	}

	feedURL, err := s.h.rotateCalendarFeed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path, ok := strings.CutPrefix(feedURL, httpBase)
	if !ok || !strings.HasPrefix(path, "/calendar/") || !strings.HasSuffix(path, ".ics") {
		t.Fatalf("feed URL %q", feedURL)
	}

	res := s.get(t, path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body:\n%s", res.StatusCode, res.body)
	}
	for header, want := range map[string]string{
		"Content-Type":  "text/calendar; charset=utf-8",
		"Cache-Control": "private, max-age=300",
		"X-Robots-Tag":  "noindex, nofollow",
		"Set-Cookie":    "",
	} {
		if got := res.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	for _, secret := range []string{"SECRETNOTE", "SECRETQUESTION", "SECRETDETAILS", "ATTENDEE", "BEGIN:VALARM"} {
		if strings.Contains(res.body, secret) {
			t.Errorf("the feed contains %q", secret)
		}
	}

	events := feedEvents(t, res.body)
	for _, b := range []db.Booking{cancelled, held, old} {
		if _, ok := events[feedUID(b)]; ok {
			t.Errorf("%s's booking (%s, %s) is in the feed", b.ClientName, b.Status, b.StartsAt.Format(time.DateOnly))
		}
	}
	tests := []struct {
		b        db.Booking
		location string
	}{
		{studio, practiceName},
		{mobile, "12 High Street, Houghton, PE28 2AA"},
		{recent, practiceName},
	}
	for _, tt := range tests {
		e, ok := events[feedUID(tt.b)]
		if !ok {
			t.Errorf("%s's booking is not in the feed", tt.b.ClientName)
			continue
		}
		text := func(name string) string { v, _ := e.Props.Text(name); return v }
		if got, want := text(goical.PropSummary), svc.Name+" — "+tt.b.ClientName; got != want {
			t.Errorf("SUMMARY %q, want %q", got, want)
		}
		if got := text(goical.PropLocation); !strings.HasPrefix(got, tt.location) {
			t.Errorf("%s: LOCATION %q, want %q", tt.b.ClientName, got, tt.location)
		}
		for _, want := range []string{tt.b.ClientName, "07700 900777", tt.b.ClientEmail} {
			if !strings.Contains(text(goical.PropDescription), want) {
				t.Errorf("%s: the description lacks %q: %q", tt.b.ClientName, want, text(goical.PropDescription))
			}
		}
		start, err := e.DateTimeStart(time.UTC)
		if err != nil || !start.Equal(tt.b.StartsAt) {
			t.Errorf("%s: DTSTART %v (%v), want %v", tt.b.ClientName, start, err, tt.b.StartsAt)
		}
		end, err := e.DateTimeEnd(time.UTC)
		if err != nil || !end.Equal(tt.b.EndsAt) {
			t.Errorf("%s: DTEND %v (%v), want %v", tt.b.ClientName, end, err, tt.b.EndsAt)
		}
	}

	// HEAD answers like GET, without a body.
	if head := s.serve(t, newRequest(http.MethodHead, path)); head.StatusCode != http.StatusOK || head.body != "" {
		t.Errorf("HEAD: status %d, body %q", head.StatusCode, head.body)
	}

	// A new secret: the old address is the site's 404 at once, the new one works.
	newURL, err := s.h.rotateCalendarFeed(ctx)
	if err != nil || newURL == feedURL {
		t.Fatalf("rotating: %q %v", newURL, err)
	}
	gone := s.get(t, path)
	if gone.StatusCode != http.StatusNotFound {
		t.Errorf("the old address after rotating: status %d, want 404", gone.StatusCode)
	}
	checkHTML(t, gone.body, in("h1", hasExactText("Page not found")))
	if gone.Header.Get("Set-Cookie") != "" {
		t.Error("the 404 sets a cookie")
	}
	newPath := strings.TrimPrefix(newURL, httpBase)
	if res := s.get(t, newPath); res.StatusCode != http.StatusOK {
		t.Errorf("the new address: status %d, want 200", res.StatusCode)
	}
	for _, p := range []string{strings.TrimSuffix(newPath, ".ics"), newPath + ".bak", newPath + "/", strings.ToUpper(newPath)} {
		if res := s.get(t, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
	}
	if strings.Contains(s.log.String(), strings.TrimSuffix(strings.TrimPrefix(newPath, "/calendar/"), ".ics")) {
		t.Error("the log holds the feed's secret")
	}
}
