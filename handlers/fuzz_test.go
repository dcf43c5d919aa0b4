package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"dynamicmotion/views"
)

// Fuzz tests of the parsers of what visitors type. `make fuzz` runs each for
// a bounded time; `go test` runs their seeds.

// A date parameter is either ignored or a midnight in London, whatever the
// clocks do, and its Monday is a Monday midnight too.
func FuzzDayParam(f *testing.F) {
	for _, s := range []string{"2026-11-25", "2026-03-29", "2026-10-25", "0000-01-01", "9999-12-31", "2026-02-30", "", "2026-11-25T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, date string) {
		d := dayParam(date)
		if d.IsZero() {
			return
		}
		l, m := d.In(views.London), mondayOf(d).In(views.London)
		if l.Hour() != 0 || l.Minute() != 0 || m.Weekday() != time.Monday || m.Hour() != 0 || m.Minute() != 0 {
			t.Fatalf("dayParam(%q) = %v, Monday %v: not midnights in London", date, l, m)
		}
	})
}

// A safe "next" after logging in stays inside the admin area.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/admin", "/admin/outbox?x=1", "//evil.example", "https://evil.example", "/\\evil", "/admin/../blog", "/admin%2F..%2Fblog", "\x00/admin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(got, "//") ||
			(u.Path != adminPath && !strings.HasPrefix(u.Path, adminPath+"/")) || path.Clean(u.Path) != u.Path {
			t.Fatalf("safeNext(%q) = %q leaves the admin area", next, got)
		}
	})
}

// Whatever body a form is posted with, the site answers without a 5xx:
// the booking, comment, contact and waitlist forms decode arbitrary bytes.
func FuzzFormPosts(f *testing.F) {
	for _, s := range []string{
		"name=Ann&email=ann%40example.com&body=Hello",
		"service=1&location=studio&start=2026-12-01T09%3A00%3A00Z",
		"name=%ff%fe&body=%00",
		"a=1&a=2&a=3;b=4",
		"%zz=%",
		"name=" + strings.Repeat("x", 3000),
		"parent_id=-1&started=1.2.3",
		"earliest=25%3A99&latest=-1%3A00&date=2026-02-30",
	} {
		f.Add(s)
	}
	s := newTestServer(f, nil)
	s.h.limits.booking = newRateLimit(1<<30, time.Hour)
	s.h.limits.comment = newCommentLimits()
	targets := []string{"/book", "/book/hold", "/blog/sports-massage-for-lower-back-pain/comments", "/contact", "/book/waitlist"}
	f.Fuzz(func(t *testing.T, body string) {
		if !utf8.ValidString(body) && len(body) > 4096 {
			return
		}
		for _, target := range targets {
			v := s.visitor()
			v.get(t, "/book")
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res := v.do(t, req)
			if res.StatusCode >= 500 {
				t.Fatalf("POST %s with %q: %d\n%.300s", target, body, res.StatusCode, res.body)
			}
		}
	})
}

// A slug suggested from any title is empty or a valid slug, never too long.
func FuzzSuggestSlug(f *testing.F) {
	for _, s := range []string{"Sports massage for lower back pain", "Ça va? Épaule & cou!", "", "---", "日本語", strings.Repeat("long words ", 30), "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := suggestSlug(title)
		if got != "" && (!slugPattern.MatchString(got) || len(got) > maxSlugChars) {
			t.Fatalf("suggestSlug(%q) = %q, not a valid slug", title, got)
		}
	})
}

// Working hours as the therapist types them are refused with a message, or
// become ranges inside the day, each ending after it starts, in order and
// not overlapping.
func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"09:00-13:00, 14:00-18:00", "9.00 to 17.30", "22:00-24:00", "13:00-09:00", "09:00-12:00,11:00-14:00", "", "25:00-26:00", "09:00-13:00;;", "0:00-0:01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ranges, msg := parseRanges(s)
		if msg != "" {
			if ranges != nil {
				t.Fatalf("parseRanges(%q) gave ranges and the message %q", s, msg)
			}
			return
		}
		for i, r := range ranges {
			if r[0] < 0 || r[1] > 24*60 || r[1] <= r[0] || (i > 0 && r[0] < ranges[i-1][1]) {
				t.Fatalf("parseRanges(%q) = %v", s, ranges)
			}
		}
	})
}

// The therapist's dates and times of day (time off): whatever she types,
// a time is either refused with a message or one that the database can
// store and read back (years 2000 to 3000), and it shows as what she typed.
func FuzzLondonTime(f *testing.F) {
	for _, s := range [][2]string{{"2026-12-24", ""}, {"2026-12-24", "09:30"}, {"9999-12-31", ""}, {"0000-01-01", "00:00"},
		{"2030-03-31", "01:30"}, {"2030-10-27", "01:30"}, {"2026-02-30", ""}, {"2026-12-24", "24:00"}, {"+2026-12-24", "9:30"}} {
		f.Add(s[0], s[1], false)
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, date, clock string, end bool) {
		got, msg := londonTime(date, clock, end)
		if msg != "" {
			return
		}
		if got.Year() < 2000 || got.Year() > 3000 {
			t.Fatalf("londonTime(%q, %q, %v) = %v: a year the database cannot keep", date, clock, end, got)
		}
		l := got.In(views.London)
		if clock != "" && (l.Format(time.DateOnly) != date || l.Format("15:04") != clock) {
			t.Fatalf("londonTime(%q, %q) = %v, not what was typed", date, clock, l)
		}
	})
}
