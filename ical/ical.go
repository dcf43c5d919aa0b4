// Package ical is the site's one iCalendar (RFC 5545) generator: the attachments of the booking mails
// (iTIP, RFC 5546: METHOD:REQUEST for a new or moved booking, METHOD:CANCEL for a cancelled one) and the
// "Add to calendar" download and calendar feed (METHOD:PUBLISH).
//
// The output is plain RFC 5545: CRLF line ends, content lines folded at 75 octets without ever splitting a
// UTF-8 character, TEXT values escaped, and parameter values quoted when they must be and encoded per
// RFC 6868 (^' for a double quote, ^n for a newline, ^^ for a caret). Times are written as London wall-clock
// time with TZID=Europe/London, and every calendar carries the matching VTIMEZONE, so a client shows the
// booking at the time the practice booked it whichever zone the client is in. Equal input gives byte-equal
// output: nothing depends on the clock (except a zero Event.Stamp) or on map order.
package ical

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must exist in a minimal container too
	"unicode/utf8"
)

// Method is the iTIP method of a calendar object.
type Method string

const (
	Publish Method = "PUBLISH" // a download for the client's own calendar
	Request Method = "REQUEST" // an invitation: new or changed (higher Sequence)
	Cancel  Method = "CANCEL"  // the appointment is cancelled
)

// Person is an organizer or attendee.
type Person struct{ Name, Email string }

// Event is one appointment.
type Event struct {
	// UID is stable per booking, e.g. "booking-42@dynamicmotion.example". An empty UID is replaced by one
	// derived from the event's times and summary (so the output stays valid), but callers should always set it:
	// a client matches a move or a cancellation to the original invitation by UID.
	UID string
	// Sequence is the booking's revision: 0 when made, +1 with every move, and the REQUEST for that revision
	// carries it as is. A cancellation is one more revision, and the generator adds it: whenever the event is
	// cancelled (Method Cancel, or Cancelled set) SEQUENCE is written as Sequence+1. So pass the booking's
	// current Sequence, the one its last REQUEST used, and do not increment it yourself for a cancellation;
	// the CANCEL mail, and any later download or feed showing the cancelled booking, then agree, and the
	// CANCEL is always newer than every REQUEST sent before it. A negative Sequence counts as 0.
	Sequence int
	// Stamp is DTSTAMP: when the message was made. It is written in UTC; a zero Stamp means time.Now().
	Stamp time.Time
	// Start and End are the appointment's instants (any location; written as Europe/London wall clock).
	// Sub-second parts are dropped. If End is not after Start the event gets DURATION:PT0S instead of DTEND.
	Start, End  time.Time
	Summary     string
	Description string
	Location    string // the studio's address or the client's, as one line or several
	URL         string // the manage link
	Organizer   Person // the practice; written as ORGANIZER (all methods) when it has an Email
	// Attendee is the client; optional. It is written as ATTENDEE for REQUEST and CANCEL only (iTIP forbids
	// attendees in PUBLISH), when it has an Email.
	Attendee Person
	// Alarm adds a DISPLAY reminder this long before the start (whole seconds, written as an exact duration,
	// e.g. TRIGGER:-PT24H); 0 or less for none. A cancelled event never has one.
	Alarm     time.Duration
	Cancelled bool // STATUS:CANCELLED (else CONFIRMED); implied by Method Cancel
}

// tzid is the zone every DTSTART and DTEND is written in, with its VTIMEZONE.
const tzid = "Europe/London"

// london is the zone database's Europe/London, used to turn instants into wall-clock time. The VTIMEZONE below
// states the same rules for the client (the tests check that they agree).
var london = func() *time.Location {
	loc, err := time.LoadLocation(tzid)
	if err != nil {
		panic("ical: " + err.Error()) // cannot happen: time/tzdata is embedded
	}
	return loc
}()

// vtimezone is Europe/London since 1996 (the EU rules): BST from 01:00 UTC on the last Sunday of March
// (01:00 GMT local), GMT from 01:00 UTC on the last Sunday of October (02:00 BST local). Each onset DTSTART
// is the first one under the rule, in the local time before it.
var vtimezone = []string{
	"BEGIN:VTIMEZONE",
	"TZID:" + tzid,
	"BEGIN:DAYLIGHT",
	"TZOFFSETFROM:+0000",
	"TZOFFSETTO:+0100",
	"TZNAME:BST",
	"DTSTART:19810329T010000",
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
	"END:DAYLIGHT",
	"BEGIN:STANDARD",
	"TZOFFSETFROM:+0100",
	"TZOFFSETTO:+0000",
	"TZNAME:GMT",
	"DTSTART:19961027T020000",
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
	"END:STANDARD",
	"END:VTIMEZONE",
}

// defaultProdID is used when Calendar is given an empty one.
const defaultProdID = "-//Dynamic Motion//Bookings//EN"

// Calendar renders a VCALENDAR with the events: CRLF line ends, lines folded at 75 octets (never inside a UTF-8
// character), TEXT values escaped (backslash, semicolon, comma, newline), DTSTART/DTEND with TZID=Europe/London
// and a matching VTIMEZONE (with the real 2026–2027 GMT/BST rules as RRULEs), DTSTAMP in UTC, PRODID and VERSION:2.0,
// METHOD, and for Request/Cancel the ORGANIZER and ATTENDEE properties that iTIP requires (mailto: URIs, CN params
// quoted when needed).
//
// The method is taken case-insensitively; anything other than REQUEST or CANCEL is PUBLISH. The VTIMEZONE is
// written even with no events, so the calendar always has a component. iTIP wants one UID per REQUEST or
// CANCEL message: give those one event (a feed or download may have many). A DTSTART or DTEND in the hour
// that the October clock change repeats (01:00-01:59 twice) is written in UTC instead, as wall clock can't
// tell which of the two it means.
func Calendar(prodID string, method Method, events ...Event) []byte {
	method = normalize(method)
	if strings.TrimSpace(prodID) == "" {
		prodID = defaultProdID
	}
	var w writer
	w.line("BEGIN:VCALENDAR")
	w.line("PRODID:" + text(prodID))
	w.line("VERSION:2.0")
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:" + string(method))
	for _, l := range vtimezone {
		w.line(l)
	}
	for _, e := range events {
		w.event(method, e)
	}
	w.line("END:VCALENDAR")
	return w.buf
}

// ContentType returns the MIME type for an attachment: `text/calendar; charset=utf-8; method=REQUEST` etc.
func ContentType(method Method) string {
	return "text/calendar; charset=utf-8; method=" + string(normalize(method))
}

func normalize(m Method) Method {
	switch Method(strings.ToUpper(strings.TrimSpace(string(m)))) {
	case Request:
		return Request
	case Cancel:
		return Cancel
	default:
		return Publish
	}
}

type writer struct{ buf []byte }

// line appends one content line, folded so that no line has more than 75 octets before its CRLF: a fold is
// CRLF and a space, and it never falls inside a UTF-8 sequence (the values are valid UTF-8 by then).
func (w *writer) line(s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.buf = append(w.buf, s[:cut]...)
		w.buf = append(w.buf, "\r\n "...)
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, "\r\n"...)
}

func (w *writer) event(method Method, e Event) {
	cancelled := e.Cancelled || method == Cancel
	seq := max(e.Sequence, 0)
	if cancelled {
		seq++
	}
	start := e.Start.Truncate(time.Second)
	end := e.End.Truncate(time.Second)
	stamp := e.Stamp
	if stamp.IsZero() {
		stamp = time.Now()
	}
	uid := e.UID
	if strings.TrimSpace(uid) == "" {
		uid = derivedUID(e)
	}

	w.line("BEGIN:VEVENT")
	w.line("UID:" + text(uid))
	w.line("SEQUENCE:" + strconv.Itoa(seq))
	w.line("DTSTAMP:" + stamp.UTC().Format("20060102T150405Z"))
	w.line(dateTime("DTSTART", start))
	if end.After(start) {
		w.line(dateTime("DTEND", end))
	} else {
		w.line("DURATION:PT0S")
	}
	if e.Summary != "" {
		w.line("SUMMARY:" + text(e.Summary))
	}
	if e.Description != "" {
		w.line("DESCRIPTION:" + text(e.Description))
	}
	if e.Location != "" {
		w.line("LOCATION:" + text(e.Location))
	}
	if u := uri(e.URL); u != "" {
		w.line("URL:" + u)
	}
	if cancelled {
		w.line("STATUS:CANCELLED")
	} else {
		w.line("STATUS:CONFIRMED")
	}
	w.line("TRANSP:OPAQUE")
	if a := mailto(e.Organizer.Email); a != "" {
		w.line("ORGANIZER" + cn(e.Organizer.Name) + ":" + a)
	}
	if a := mailto(e.Attendee.Email); a != "" && method != Publish {
		params := ";ROLE=REQ-PARTICIPANT"
		if method == Request {
			// The client booked it: they have accepted already and need not reply.
			params += ";PARTSTAT=ACCEPTED;RSVP=FALSE"
		}
		w.line("ATTENDEE" + cn(e.Attendee.Name) + params + ":" + a)
	}
	if alarm := e.Alarm.Round(time.Second); alarm > 0 && !cancelled {
		desc := e.Summary
		if desc == "" {
			desc = "Reminder"
		}
		w.line("BEGIN:VALARM")
		w.line("ACTION:DISPLAY")
		w.line("TRIGGER:-" + duration(alarm))
		w.line("DESCRIPTION:" + text(desc))
		w.line("END:VALARM")
	}
	w.line("END:VEVENT")
}

// dateTime writes name;TZID=Europe/London:YYYYMMDDTHHMMSS for t, or name:YYYYMMDDTHHMMSSZ when that wall
// clock does not name t alone: in the hour the October change repeats. RFC 5545 reads a repeated wall clock
// as its first occurrence, but clients differ (Go's own time.Date may take either), and UTC is unambiguous.
func dateTime(name string, t time.Time) string {
	local := t.In(london)
	if !unique(local) {
		return name + ":" + t.UTC().Format("20060102T150405Z")
	}
	return name + ";TZID=" + tzid + ":" + local.Format("20060102T150405")
}

// unique reports whether the wall clock of local (in london) names exactly one instant, local itself.
func unique(local time.Time) bool {
	wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, time.UTC)
	var tried []int
	n, self := 0, false
	for _, probe := range []time.Duration{-24 * time.Hour, 0, 24 * time.Hour} {
		_, off := wall.Add(probe).In(london).Zone()
		if slices.Contains(tried, off) {
			continue
		}
		tried = append(tried, off)
		u := wall.Add(-time.Duration(off) * time.Second)
		if _, o := u.In(london).Zone(); o == off {
			n++
			self = self || u.Equal(local)
		}
	}
	return n == 1 && self
}

// duration formats a positive duration as an exact RFC 5545 dur-time (PTnHnMnS), never in days or weeks:
// those are nominal, so "P1D" before an appointment the day after a clock change would be 23 or 25 hours.
func duration(d time.Duration) string {
	secs := int64(d / time.Second)
	h, m, s := secs/3600, secs/60%60, secs%60
	var b strings.Builder
	b.WriteString("PT")
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m > 0 || (h > 0 && s > 0) { // the grammar has no hours-then-seconds without minutes
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if s > 0 || secs == 0 {
		b.WriteString(strconv.FormatInt(s, 10) + "S")
	}
	return b.String()
}

// text escapes a TEXT value: backslash, semicolon, comma and newline (CRLF, LF or CR) are escaped; invalid
// UTF-8 becomes U+FFFD; other control characters but tab, which TEXT may not hold, are dropped.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// not allowed in TEXT
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cn is ";CN=..." for a name, or "" for none. The value is encoded per RFC 6868 (a parameter value has no
// other way to hold a double quote or a newline) and quoted when it holds a comma, colon or semicolon.
func cn(name string) string {
	name = strings.TrimSpace(strings.ToValidUTF8(name, "\uFFFD"))
	name = strings.ReplaceAll(name, "\r\n", "\n")
	if name == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '^':
			b.WriteString("^^")
		case r == '"':
			b.WriteString("^'")
		case r == '\n' || r == '\r':
			b.WriteString("^n")
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			// not allowed in a parameter value
		default:
			b.WriteRune(r)
		}
	}
	v := strings.TrimSpace(b.String())
	if v == "" {
		return ""
	}
	if strings.ContainsAny(v, ",:;") {
		v = `"` + v + `"`
	}
	return ";CN=" + v
}

// mailto is the mailto: URI (RFC 6068) for an address, or "" for none: bytes other than unreserved
// characters, "@" and RFC 6068's other allowed delimiters are percent-encoded.
func mailto(addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return ""
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString("mailto:")
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$'()*+,;:@", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// uri cleans a URI value: it is not TEXT (no escaping), but may hold no control characters or spaces.
func uri(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	return strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// derivedUID makes a stable UID for an event given none, from what identifies the appointment.
func derivedUID(e Event) string {
	h := sha256.New()
	for _, s := range []string{
		e.Start.UTC().Format(time.RFC3339), e.End.UTC().Format(time.RFC3339),
		e.Summary, e.Location, e.Organizer.Email, e.Attendee.Email,
	} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@ical.invalid"
}
