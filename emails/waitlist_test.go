package emails_test

import (
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/emails"
)

func entry() db.WaitlistEntry {
	return db.WaitlistEntry{
		ID: 7, ServiceID: 2, Place: db.PlaceStudio, Day: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		EarliestMin: 9 * 60, LatestMin: 12*60 + 30, Name: "Wanda <b>Waiting</b>\r\nBcc: x@example.com", Email: "wanda@example.com",
		ServiceName: "Sports massage", DurationMin: 60, PricePence: 4550,
	}
}

const leaveURL = site + "/book/waitlist/leave/tok_leave_0123456789abcdef"

// Joining: the day, the window, place and service, and the leave link, in both parts, to the client.
func TestWaitlistJoined(t *testing.T) {
	p := build(t, emails.WaitlistJoined(practice(), entry(), leaveURL))
	if p.subject != "On the waitlist: Thursday 26 November 2026" {
		t.Errorf("subject %q", p.subject)
	}
	both(t, p, "Thursday 26 November 2026", "09:00 and 12:30 UK time", "Sports massage, 60 minutes",
		"14 Bridge Street", "Take me off the waitlist", "01480 496000")
	if a := address(t, p, "To"); a == nil || a.Address != "wanda@example.com" {
		t.Errorf("To %v", a)
	}
	if !strings.Contains(p.text, leaveURL) || !contains(hrefs(t, p.html), leaveURL) {
		t.Error("the leave link is missing from a part")
	}
	if strings.Contains(p.html, "<b>Waiting") || strings.Contains(string(p.raw), "\r\nBcc:") {
		t.Error("the name was not escaped or kept on one line")
	}
}

// The offer: the time, until when it is held, the link that books it and the one that leaves the list.
func TestWaitlistOffer(t *testing.T) {
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, london)
	o := db.WaitlistOffer{StartsAt: start, ExpiresAt: time.Date(2026, 11, 24, 16, 32, 0, 0, london)}
	offerURL := site + "/book/offer/tok_offer_0123456789abcdef"
	p := build(t, emails.WaitlistOffer(practice(), entry(), o, offerURL, leaveURL))
	if p.subject != "A time has come free: Thursday 26 November 2026 at 10:00" {
		t.Errorf("subject %q", p.subject)
	}
	both(t, p, "Thursday 26 November 2026, 10:00 to 11:00 UK time", "Held until: Tuesday 24 November 2026 at 16:32 UK time",
		"£45.50", "Book this time", "next person waiting", "Take me off the waitlist")
	for _, u := range []string{offerURL, leaveURL} {
		if !strings.Contains(p.text, u) || !contains(hrefs(t, p.html), u) {
			t.Errorf("%s is missing from a part", u)
		}
	}
	if len(p.calendar) != 0 {
		t.Error("an offer is not a booking: it carries no invitation")
	}
}
