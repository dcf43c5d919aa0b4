package ical_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/ical"
)

// The web calendars' links carry the event's instants in UTC (a booking in
// British Summer Time is an hour earlier in UTC), and every text survives
// the trip through the address: an ampersand, a plus, a hash, a line
// break, non-ASCII.
func TestCalendarLinks(t *testing.T) {
	const manage = "https://dm.example/bookings/tok_en-123"
	ev := func(start time.Time, minutes int) ical.Event {
		return ical.Event{
			UID: "booking-1@dm.example", Start: start, End: start.Add(time.Duration(minutes) * time.Minute),
			Summary:     "Sports massage — 60 minutes & more + #1",
			Description: "Your booking with Dynamic Motion. To move or cancel it: " + manage,
			Location:    "Dynamic Motion Sports Therapy\n14 Bridge Street,\nSt Ives  PE27 5EG",
			URL:         manage,
		}
	}
	tests := []struct {
		name                 string
		event                ical.Event
		googleDates          string
		outlookStart, outEnd string
	}{
		{"winter (GMT = UTC)", ev(time.Date(2026, 12, 10, 14, 0, 0, 0, london), 60),
			"20261210T140000Z/20261210T150000Z", "2026-12-10T14:00:00Z", "2026-12-10T15:00:00Z"},
		{"summer (BST = UTC+1)", ev(time.Date(2026, 6, 10, 14, 0, 0, 0, london), 90),
			"20260610T130000Z/20260610T143000Z", "2026-06-10T13:00:00Z", "2026-06-10T14:30:00Z"},
		{"the morning the clocks go back", ev(time.Date(2026, 10, 25, 0, 30, 0, 0, london), 120),
			"20261024T233000Z/20261025T013000Z", "2026-10-24T23:30:00Z", "2026-10-25T01:30:00Z"},
		{"the year's last hour", ev(time.Date(2026, 12, 31, 23, 30, 0, 0, london), 60),
			"20261231T233000Z/20270101T003000Z", "2026-12-31T23:30:00Z", "2027-01-01T00:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := parseLink(t, ical.GoogleURL(tt.event), "https", "calendar.google.com", "/calendar/render")
			o := parseLink(t, ical.OutlookURL(tt.event), "https", "outlook.live.com", "/calendar/0/action/compose")
			gq, oq := g.Query(), o.Query()
			if gq.Get("action") != "TEMPLATE" || gq.Get("dates") != tt.googleDates {
				t.Errorf("Google: action %q dates %q, want TEMPLATE %s", gq.Get("action"), gq.Get("dates"), tt.googleDates)
			}
			if oq.Get("startdt") != tt.outlookStart || oq.Get("enddt") != tt.outEnd {
				t.Errorf("Outlook: %s to %s, want %s to %s", oq.Get("startdt"), oq.Get("enddt"), tt.outlookStart, tt.outEnd)
			}
			for _, c := range []struct {
				who, got, want string
			}{
				{"Google title", gq.Get("text"), tt.event.Summary},
				{"Outlook subject", oq.Get("subject"), tt.event.Summary},
				{"Google place", gq.Get("location"), "Dynamic Motion Sports Therapy, 14 Bridge Street, St Ives PE27 5EG"},
				{"Outlook place", oq.Get("location"), "Dynamic Motion Sports Therapy, 14 Bridge Street, St Ives PE27 5EG"},
				{"Google details", gq.Get("details"), tt.event.Description},
				{"Outlook body", oq.Get("body"), tt.event.Description},
			} {
				if c.got != c.want {
					t.Errorf("%s %q, want %q", c.who, c.got, c.want)
				}
			}
			// Spaces are %20: Outlook would show a "+" as it is.
			for _, u := range []*url.URL{g, o} {
				if strings.Contains(u.RawQuery, "+") || strings.Contains(u.RawQuery, " ") {
					t.Errorf("%s: a space written as + or left raw: %s", u.Host, u.RawQuery)
				}
			}
		})
	}
}

// The manage link is in the details even when the description lacks it;
// an empty place is left out; a cancelled event has no links.
func TestCalendarLinksEdges(t *testing.T) {
	start := time.Date(2027, 3, 28, 9, 0, 0, 0, london) // the first morning of BST
	e := ical.Event{Start: start, End: start.Add(time.Hour), Summary: "Massage", Description: "Your booking.\r\nSee you soon.",
		URL: "https://dm.example/bookings/abc"}
	g := parseLink(t, ical.GoogleURL(e), "https", "calendar.google.com", "/calendar/render").Query()
	if want := "Your booking.\nSee you soon.\nhttps://dm.example/bookings/abc"; g.Get("details") != want {
		t.Errorf("details %q, want %q", g.Get("details"), want)
	}
	if g.Has("location") {
		t.Errorf("an empty place is in the link: %q", g.Get("location"))
	}
	if g.Get("dates") != "20270328T080000Z/20270328T090000Z" {
		t.Errorf("dates %q", g.Get("dates"))
	}
	// An end not after the start: a zero-length event, not a backwards one.
	e.End = start.Add(-time.Hour)
	if o := parseLink(t, ical.OutlookURL(e), "https", "outlook.live.com", "/calendar/0/action/compose").Query(); o.Get("enddt") != o.Get("startdt") {
		t.Errorf("backwards event: %s to %s", o.Get("startdt"), o.Get("enddt"))
	}
	e.Cancelled = true
	if g, o := ical.GoogleURL(e), ical.OutlookURL(e); g != "" || o != "" {
		t.Errorf("a cancelled event has links: %q %q", g, o)
	}
}

func parseLink(t *testing.T, raw, scheme, host, path string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	if u.Scheme != scheme || u.Host != host || u.Path != path {
		t.Errorf("%q goes to %s://%s%s, want %s://%s%s", raw, u.Scheme, u.Host, u.Path, scheme, host, path)
	}
	return u
}
