package ical

import (
	"net/url"
	"strings"
	"time"
)

// The "Add to calendar" links for web calendars: plain addresses that open
// the calendar's new-event form filled in with the event, for clients whose
// calendar does not take an .ics download well (Google Calendar and
// Outlook.com in a phone's browser). Both carry the times in UTC, so the
// event lands at the right instant in whichever zone the client's calendar
// is set to.

// GoogleURL opens Google Calendar's new-event form for e: title, UTC start
// and end, the description (with the manage link) and the place. A
// cancelled event has none ("").
func GoogleURL(e Event) string {
	if e.Cancelled {
		return ""
	}
	start, end := linkTimes(e)
	const stamp = "20060102T150405Z"
	return "https://calendar.google.com/calendar/render?" + query(
		"action", "TEMPLATE",
		"text", linkLine(e.Summary),
		"dates", start.Format(stamp)+"/"+end.Format(stamp),
		"details", linkDetails(e),
		"location", linkLine(e.Location),
	)
}

// OutlookURL opens Outlook.com's (outlook.live.com) new-event form for e,
// like GoogleURL. A cancelled event has none ("").
func OutlookURL(e Event) string {
	if e.Cancelled {
		return ""
	}
	start, end := linkTimes(e)
	const stamp = "2006-01-02T15:04:05Z"
	return "https://outlook.live.com/calendar/0/action/compose?" + query(
		"subject", linkLine(e.Summary),
		"startdt", start.Format(stamp),
		"enddt", end.Format(stamp),
		"body", linkDetails(e),
		"location", linkLine(e.Location),
	)
}

// linkTimes are e's start and end in UTC, to the second; an end not after
// the start is the start.
func linkTimes(e Event) (start, end time.Time) {
	start, end = e.Start.UTC().Truncate(time.Second), e.End.UTC().Truncate(time.Second)
	if !end.After(start) {
		end = start
	}
	return start, end
}

// linkDetails is the description, followed by the event's URL when the
// description does not already give it.
func linkDetails(e Event) string {
	d := strings.TrimSpace(strings.ReplaceAll(e.Description, "\r\n", "\n"))
	if u := strings.TrimSpace(e.URL); u != "" && !strings.Contains(d, u) {
		d = strings.TrimSpace(d + "\n" + u)
	}
	return d
}

// linkLine is s on one line: line breaks (as in a multi-line address)
// become ", ", runs of spaces one.
func linkLine(s string) string {
	var parts []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			parts = append(parts, strings.TrimSuffix(l, ","))
		}
	}
	return strings.Join(parts, ", ")
}

// query is the pairs as a query string in the order given, each value
// percent-encoded with %20 for a space (Outlook shows a "+" as a plus).
// Empty values are left out.
func query(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pairs[i] + "=" + strings.ReplaceAll(url.QueryEscape(pairs[i+1]), "+", "%20"))
	}
	return b.String()
}
