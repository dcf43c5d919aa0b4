package emails_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"golang.org/x/net/html"

	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/mail"
)

const (
	site      = "https://dynamicmotion.fly.dev"
	manageURL = site + "/bookings/tok_9f8e7d6c5b4a39281706"
)

var (
	london = mustLondon()
	from   = mail.Address{Name: "Dynamic Motion Sports Therapy", Email: "bookings@dynamicmotion.example"}
)

func mustLondon() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}

func practice() emails.Practice {
	return emails.Practice{
		Name:    "Dynamic Motion Sports Therapy",
		Phone:   "01480 496000",
		Email:   "hello@dynamicmotion.example",
		Address: "14 Bridge Street, St Ives PE27 5EG",
		SiteURL: site,
		Host:    "dynamicmotion.fly.dev",
	}
}

// Distinctive strings that must never leave the admin area by mail.
var secrets = []string{"SECRETQUESTION-back-pain", "SECRETANSWER-yes", "SECRETDETAILS-slipped-disc", "SECRETNOTE-pregnant"}

func booking() db.Booking {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, london) // a Thursday, GMT
	cutoff := 24
	return db.Booking{
		ID: 42, Place: db.PlaceStudio, Status: db.BookingConfirmed,
		StartsAt: start, EndsAt: start.Add(time.Hour),
		ClientName: "Jane Smith", ClientEmail: "jane@example.com", ClientPhone: "07700 900123",
		ServiceName: "Sports massage", DurationMin: 60, PricePence: 4550,
		PolicyCutoffHours: &cutoff,
		PolicyText:        "Please cancel or move your appointment at least 24 hours before it starts.",
		Notes:             secrets[3],
		Health: map[string]any{
			"back": map[string]string{"question": secrets[0], "answer": secrets[1], "details": secrets[2]},
		},
	}
}

// ---- parsing a built message ------------------------------------------------------------------------------

type part struct {
	mediaType   string
	params      map[string]string
	disposition string
	body        []byte
}

type parsed struct {
	raw      []byte
	header   netmail.Header
	subject  string
	text     string
	html     string
	calendar []part // every text/calendar part, inline and attached
	parts    []part
}

// build renders m with mail.Build and takes it apart again with net/mail and mime/multipart.
func build(t *testing.T, m mail.Message) parsed {
	t.Helper()
	raw, err := mail.Build(from, m)
	if err != nil {
		t.Fatalf("mail.Build: %v", err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	p := parsed{raw: raw, header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	walk(t, &p, mt, params, msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	var texts, htmls int
	for _, pt := range p.parts {
		switch pt.mediaType {
		case "text/plain":
			texts++
			p.text = string(pt.body)
		case "text/html":
			htmls++
			p.html = string(pt.body)
		case "text/calendar":
			p.calendar = append(p.calendar, pt)
		}
	}
	if texts != 1 || htmls != 1 {
		t.Fatalf("want one text/plain and one text/html part, have %d and %d", texts, htmls)
	}
	return p
}

func walk(t *testing.T, p *parsed, mediaType string, params map[string]string, cte, disp string, r io.Reader) {
	t.Helper()
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			pt, err := mr.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			mt, ps, err := mime.ParseMediaType(pt.Header.Get("Content-Type"))
			if err != nil {
				t.Fatalf("part Content-Type %q: %v", pt.Header.Get("Content-Type"), err)
			}
			walk(t, p, mt, ps, pt.Header.Get("Content-Transfer-Encoding"), pt.Header.Get("Content-Disposition"), pt)
		}
	}
	if strings.EqualFold(cte, "base64") {
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", mediaType, err)
	}
	p.parts = append(p.parts, part{mediaType: mediaType, params: params, disposition: disp, body: body})
}

// calendar checks the invitation: sent twice (as an alternative part and as an attachment), the two copies
// equal, with method= matching METHOD; it returns the one event, decoded with go-ical.
func (p parsed) calendar1(t *testing.T, method string) (*goical.Calendar, goical.Event, string) {
	t.Helper()
	if len(p.calendar) != 2 {
		t.Fatalf("want the calendar inline and attached (2 parts), have %d", len(p.calendar))
	}
	var attached int
	for _, c := range p.calendar {
		if got := c.params["method"]; got != method {
			t.Errorf("text/calendar method=%q, want %q", got, method)
		}
		if strings.HasPrefix(c.disposition, "attachment") {
			attached++
		}
	}
	if attached != 1 {
		t.Errorf("want one calendar attachment, have %d", attached)
	}
	if !bytes.Equal(p.calendar[0].body, p.calendar[1].body) {
		t.Error("the inline and attached calendars differ")
	}
	data := p.calendar[0].body
	if !bytes.HasPrefix(data, []byte("BEGIN:VCALENDAR\r\n")) {
		t.Fatalf("calendar does not start with BEGIN:VCALENDAR:\n%s", data)
	}
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v\n%s", err, data)
	}
	if err := goical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Fatalf("go-ical rejects the structure: %v", err)
	}
	if got := cal.Props.Get("METHOD").Value; got != method {
		t.Errorf("METHOD:%s, want %s", got, method)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("want 1 VEVENT, have %d", len(evs))
	}
	return cal, evs[0], string(data)
}

func prop(t *testing.T, e goical.Event, name string) string {
	t.Helper()
	pr := e.Props.Get(name)
	if pr == nil {
		t.Fatalf("the event has no %s", name)
	}
	s, err := pr.Text()
	if err != nil {
		return pr.Value
	}
	return s
}

func checkEvent(t *testing.T, e goical.Event, b db.Booking, seq int, location string) {
	t.Helper()
	if got, want := prop(t, e, "UID"), "booking-"+strconv.FormatInt(b.ID, 10)+"@dynamicmotion.fly.dev"; got != want {
		t.Errorf("UID %q, want %q", got, want)
	}
	if got := prop(t, e, "SEQUENCE"); got != strconv.Itoa(seq) {
		t.Errorf("SEQUENCE %s, want %d", got, seq)
	}
	if got := prop(t, e, "LOCATION"); got != location {
		t.Errorf("LOCATION %q, want %q", got, location)
	}
	start, err := e.DateTimeStart(time.UTC)
	if err != nil || !start.Equal(b.StartsAt) {
		t.Errorf("DTSTART %v (%v), want %v", start, err, b.StartsAt)
	}
	end, err := e.DateTimeEnd(time.UTC)
	if err != nil || !end.Equal(b.EndsAt) {
		t.Errorf("DTEND %v (%v), want %v", end, err, b.EndsAt)
	}
}

func alarms(e goical.Event) []string {
	var out []string
	for _, c := range e.Children {
		if c.Name == "VALARM" {
			out = append(out, c.Props.Get("ACTION").Value+" "+c.Props.Get("TRIGGER").Value)
		}
	}
	return out
}

func address(t *testing.T, p parsed, field string) *netmail.Address {
	t.Helper()
	if p.header.Get(field) == "" {
		return nil
	}
	as, err := p.header.AddressList(field)
	if err != nil || len(as) != 1 {
		t.Fatalf("%s: %v %v", field, as, err)
	}
	return as[0]
}

// both checks that the text part and the HTML part's visible text each contain every one of want.
func both(t *testing.T, p parsed, want ...string) {
	t.Helper()
	visible := visibleText(t, p.html)
	for _, w := range want {
		if !strings.Contains(p.text, w) {
			t.Errorf("the text part lacks %q:\n%s", w, p.text)
		}
		if !strings.Contains(visible, w) {
			t.Errorf("the HTML part lacks %q:\n%s", w, visible)
		}
	}
}

// visibleText is the HTML body's text as a reader sees it, whitespace collapsed; a table's row header is
// followed by ": ", so that a fact reads "When: Thursday …" as in the text part.
func visibleText(t *testing.T, doc string) string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var f func(n *html.Node, inBody bool)
	f = func(n *html.Node, inBody bool) {
		if n.Type == html.ElementNode && n.Data == "body" {
			inBody = true
		}
		if n.Type == html.TextNode && inBody {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && (n.Data == "br" || n.Data == "p" || n.Data == "tr" || n.Data == "th" || n.Data == "td") {
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c, inBody)
		}
		if n.Type == html.ElementNode && n.Data == "th" {
			b.WriteString(": ") // a fact's label, as the text part writes it
		}
	}
	f(root, false)
	return strings.Join(strings.Fields(b.String()), " ")
}

func hrefs(t *testing.T, doc string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var f func(n *html.Node)
	f = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key == "href" {
					out = append(out, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(root)
	return out
}

// ---- every message ------------------------------------------------------------------------------------------

type kind struct {
	name      string
	therapist bool
	method    string // "" for no calendar
	make      func(p emails.Practice, b db.Booking) mail.Message
}

var oldStart = time.Date(2026, 11, 24, 14, 30, 0, 0, london) // Tuesday 24 November 2026 at 14:30

var kinds = []kind{
	{"BookingConfirmed", false, "REQUEST", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.BookingConfirmed(p, b, manageURL)
	}},
	{"BookingMoved", false, "REQUEST", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.BookingMoved(p, b, oldStart, manageURL)
	}},
	{"BookingCancelled", false, "CANCEL", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.BookingCancelled(p, b, "Therapist unwell")
	}},
	{"BookingReminder", false, "", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.BookingReminder(p, b, manageURL)
	}},
	{"TherapistNewBooking", true, "REQUEST", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.TherapistNewBooking(p, b, true)
	}},
	{"TherapistCancelled", true, "CANCEL", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.TherapistCancelled(p, b, "Client cancelled online")
	}},
	{"TherapistMoved", true, "REQUEST", func(p emails.Practice, b db.Booking) mail.Message {
		return emails.TherapistMoved(p, b, oldStart)
	}},
}

// TestEveryMessage checks what all messages share: addressees, subject, both parts with the time, place,
// footer, the calendar where there is one, and no health data anywhere.
func TestEveryMessage(t *testing.T) {
	p := practice()
	for _, place := range []string{db.PlaceStudio, db.PlaceMobile} {
		b := booking()
		b.Place = place
		b.Address, b.Postcode = "12 High Street, Houghton", "PE28 2AA"
		for _, k := range kinds {
			t.Run(k.name+"/"+place, func(t *testing.T) {
				m := k.make(p, b)
				got := build(t, m)

				to, replyTo := address(t, got, "To"), address(t, got, "Reply-To")
				wantTo, wantReply := "jane@example.com", "hello@dynamicmotion.example"
				if k.therapist {
					wantTo, wantReply = wantReply, wantTo
				}
				if to == nil || to.Address != wantTo {
					t.Errorf("To %v, want %s", to, wantTo)
				}
				if replyTo == nil || replyTo.Address != wantReply {
					t.Errorf("Reply-To %v, want %s", replyTo, wantReply)
				}
				if got.subject != m.Subject || !strings.Contains(got.subject, "Thursday 26 November 2026 at 09:00") {
					t.Errorf("subject %q", got.subject)
				}
				if got.header.Get("Auto-Submitted") != "auto-generated" {
					t.Errorf("Auto-Submitted: %q", got.header.Get("Auto-Submitted"))
				}

				want := []string{"Thursday 26 November 2026", "09:00 to 10:00 UK time", "Sports massage, 60 minutes",
					// the footer
					"Dynamic Motion Sports Therapy", "14 Bridge Street, St Ives PE27 5EG", "01480 496000",
					"hello@dynamicmotion.example"}
				if k.name != "BookingCancelled" {
					want = append(want, "£45.50")
				}
				switch {
				case place == db.PlaceMobile && k.therapist:
					want = append(want, "Mobile visit to 12 High Street, Houghton, PE28 2AA")
				case place == db.PlaceMobile:
					want = append(want, "We will come to 12 High Street, Houghton, PE28 2AA")
				case !k.therapist:
					want = append(want, "At the studio: 14 Bridge Street, St Ives PE27 5EG")
				default:
					want = append(want, "At the studio")
				}
				if k.therapist {
					want = append(want, "Jane Smith", "07700 900123", "jane@example.com", "admin area")
				} else {
					want = append(want, "Hello Jane Smith,")
				}
				both(t, got, want...)

				links := hrefs(t, got.html)
				for _, l := range []string{site, "tel:01480496000", "mailto:hello@dynamicmotion.example"} {
					if !contains(links, l) {
						t.Errorf("the footer lacks the link %s: %v", l, links)
					}
				}
				wantLink := ""
				switch {
				case k.therapist:
					wantLink = site + "/admin"
				case k.name == "BookingCancelled":
					wantLink = site + "/book"
				default:
					wantLink = manageURL
				}
				if !contains(links, wantLink) || !strings.Contains(got.text, wantLink) {
					t.Errorf("the link %s is missing: %v\n%s", wantLink, links, got.text)
				}
				if k.therapist && (contains(links, manageURL) || strings.Contains(got.text, manageURL)) {
					t.Error("a therapist message holds the client's manage link")
				}

				// Health answers and the free-text note: never by mail.
				everything := string(got.raw) + got.text + got.html
				for _, c := range got.calendar {
					everything += string(c.body)
				}
				for _, s := range secrets {
					if strings.Contains(everything, s) || strings.Contains(strings.ReplaceAll(everything, "=\r\n", ""), s) {
						t.Errorf("the message contains the health data %q", s)
					}
				}

				if k.method == "" {
					if len(got.calendar) != 0 {
						t.Errorf("unexpected calendar attachment")
					}
					return
				}
				_, ev, raw := got.calendar1(t, k.method)
				loc := "Dynamic Motion Sports Therapy, 14 Bridge Street, St Ives PE27 5EG"
				if place == db.PlaceMobile {
					loc = "12 High Street, Houghton, PE28 2AA"
				}
				seq := b.Sequence
				if k.method == "CANCEL" {
					seq++
				}
				checkEvent(t, ev, b, seq, loc)
				if k.method == "CANCEL" {
					if prop(t, ev, "STATUS") != "CANCELLED" || len(alarms(ev)) != 0 {
						t.Errorf("a cancellation: STATUS %s, alarms %v", prop(t, ev, "STATUS"), alarms(ev))
					}
				} else if a := alarms(ev); len(a) != 1 || a[0] != "DISPLAY -PT24H" {
					t.Errorf("alarms %v, want one DISPLAY -PT24H", a)
				}
				if k.therapist && strings.Contains(raw, manageURL) {
					t.Error("the practice's calendar copy holds the client's manage link")
				}
				if !k.therapist && k.method == "REQUEST" && prop(t, ev, "URL") != manageURL {
					t.Errorf("URL %q, want the manage link", prop(t, ev, "URL"))
				}
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSameContent checks that the HTML says what the text says: every line of the text part (split at ": ")
// is in the HTML's visible text, and every URL in it is a link there.
func TestSameContent(t *testing.T) {
	b := booking()
	for _, k := range kinds {
		got := build(t, k.make(practice(), b))
		visible := visibleText(t, got.html)
		links := hrefs(t, got.html)
		for _, line := range strings.Split(got.text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line == "--" || strings.Trim(line, "=") == "" {
				continue
			}
			for _, piece := range strings.Split(line, ": ") {
				piece = strings.TrimSuffix(strings.TrimSpace(piece), ":")
				if strings.HasPrefix(piece, "https://") {
					if !contains(links, piece) {
						t.Errorf("%s: the HTML has no link to %s", k.name, piece)
					}
				} else if !strings.Contains(visible, piece) {
					t.Errorf("%s: the HTML lacks %q", k.name, piece)
				}
			}
		}
	}
}

func TestBookingConfirmed(t *testing.T) {
	got := build(t, emails.BookingConfirmed(practice(), booking(), manageURL))
	if got.subject != "Booking confirmed: Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
	both(t, got, "Your booking is confirmed", "When: Thursday 26 November 2026, 09:00 to 10:00 UK time",
		"Price: £45.50", "Cancellation policy: Please cancel or move your appointment at least 24 hours before it starts.")
	cal, ev, _ := got.calendar1(t, "REQUEST")
	if cal.Props.Get("PRODID") == nil {
		t.Error("no PRODID")
	}
	if s := prop(t, ev, "SUMMARY"); s != "Sports massage — Dynamic Motion Sports Therapy" {
		t.Errorf("SUMMARY %q", s)
	}
	if o := ev.Props.Get("ORGANIZER"); o == nil || o.Value != "mailto:hello@dynamicmotion.example" {
		t.Errorf("ORGANIZER %v", o)
	}
	if a := ev.Props.Get("ATTENDEE"); a == nil || a.Value != "mailto:jane@example.com" {
		t.Errorf("ATTENDEE %v", a)
	}
	if !strings.Contains(prop(t, ev, "DESCRIPTION"), manageURL) {
		t.Error("DESCRIPTION lacks the manage link")
	}
}

// A service named with its length is not followed by the length again.
func TestWhatSaysTheLengthOnce(t *testing.T) {
	b := booking()
	b.ServiceName, b.DurationMin = "Sports massage — 60 minutes", 60
	got := build(t, emails.BookingConfirmed(practice(), b, manageURL))
	both(t, got, "What: Sports massage — 60 minutes")
	if strings.Contains(got.text, "60 minutes, 60 minutes") {
		t.Errorf("the length is said twice:\n%s", got.text)
	}
	b.ServiceName = "Sports massage"
	both(t, build(t, emails.BookingConfirmed(practice(), b, manageURL)), "What: Sports massage, 60 minutes")
}

func TestPolicyFromCutoffOnly(t *testing.T) {
	b := booking()
	b.PolicyText = ""
	cutoff := 48
	b.PolicyCutoffHours = &cutoff
	both(t, build(t, emails.BookingConfirmed(practice(), b, manageURL)),
		"Please cancel or move your appointment at least 48 hours before it starts.")
}

func TestBookingMoved(t *testing.T) {
	b := booking()
	b.Sequence = 2 // moved twice
	got := build(t, emails.BookingMoved(practice(), b, oldStart, manageURL))
	if got.subject != "Booking moved: Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
	both(t, got, "New time: Thursday 26 November 2026, 09:00 to 10:00 UK time",
		"Previous time: Tuesday 24 November 2026 at 14:30 UK time")
	_, ev, raw := got.calendar1(t, "REQUEST")
	checkEvent(t, ev, b, 2, "Dynamic Motion Sports Therapy, 14 Bridge Street, St Ives PE27 5EG")
	if !strings.Contains(raw, "\r\nSEQUENCE:2\r\n") {
		t.Errorf("no SEQUENCE:2 in\n%s", raw)
	}

	// Without the old time, no "Previous time"; a late move says it cannot be cancelled online.
	b.LateMoved = true
	got = build(t, emails.BookingMoved(practice(), b, time.Time{}, manageURL))
	if strings.Contains(got.text, "Previous time") || strings.Contains(got.html, "Previous time") {
		t.Error("a zero old time is shown")
	}
	both(t, got, "can no longer be cancelled online", "phone 01480 496000")

	got = build(t, emails.TherapistMoved(practice(), b, oldStart))
	both(t, got, "New time: Thursday 26 November 2026, 09:00 to 10:00 UK time",
		"Previous time: Tuesday 24 November 2026 at 14:30 UK time", "can no longer cancel online")
	if got.subject != "Booking moved: Jane Smith, now Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
}

func TestBookingCancelled(t *testing.T) {
	b := booking()
	b.Sequence = 1
	b.Status = db.BookingCancelled
	got := build(t, emails.BookingCancelled(practice(), b, "Therapist unwell"))
	if got.subject != "Booking cancelled: Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
	both(t, got, "Your booking is cancelled", "Reason: Therapist unwell", "Book again")
	_, ev, raw := got.calendar1(t, "CANCEL")
	checkEvent(t, ev, b, 2, "Dynamic Motion Sports Therapy, 14 Bridge Street, St Ives PE27 5EG")
	for _, l := range []string{"METHOD:CANCEL", "SEQUENCE:2", "STATUS:CANCELLED", "UID:booking-42@dynamicmotion.fly.dev"} {
		if !strings.Contains(raw, "\r\n"+l+"\r\n") {
			t.Errorf("no %s in\n%s", l, raw)
		}
	}

	// No reason given: no "Reason" line.
	got = build(t, emails.BookingCancelled(practice(), b, "  "))
	if strings.Contains(got.text, "Reason") {
		t.Errorf("an empty reason is shown:\n%s", got.text)
	}

	got = build(t, emails.TherapistCancelled(practice(), b, "Client cancelled online"))
	if got.subject != "Booking cancelled: Jane Smith, Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
	both(t, got, "Reason: Client cancelled online", "the time is free again")
	got.calendar1(t, "CANCEL")

	// Cancelled online with a word for the therapist: her notice says there
	// is one and where to read it, but not the words (they may speak of
	// health, which stays out of e-mail); the client's own cancellation
	// does not repeat it either.
	b.ClientCancelReason = "Down with a cold,\nsorry <b>!"
	got = build(t, emails.TherapistCancelled(practice(), b, ""))
	both(t, got, "Client’s reason: left with the cancellation; read it on the booking in the admin area")
	if strings.Contains(got.text, "cold") || strings.Contains(got.html, "cold") {
		t.Errorf("the client's reason is in the practice's e-mail:\n%s", got.text)
	}
	if got := build(t, emails.BookingCancelled(practice(), b, "")); strings.Contains(got.text, "cold") {
		t.Errorf("the client's own cancellation repeats their reason:\n%s", got.text)
	}
}

func TestBookingReminder(t *testing.T) {
	got := build(t, emails.BookingReminder(practice(), booking(), manageURL))
	if got.subject != "Reminder: your appointment on Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
	both(t, got, "When: Thursday 26 November 2026, 09:00 to 10:00 UK time", "What to bring:", "comfortable clothing")
	if len(got.calendar) != 0 || len(got.parts) != 2 {
		t.Errorf("a reminder is text and HTML only, have %d parts", len(got.parts))
	}
}

func TestTherapistNewBooking(t *testing.T) {
	got := build(t, emails.TherapistNewBooking(practice(), booking(), false))
	if got.subject != "New booking: Jane Smith, Thursday 26 November 2026 at 09:00" {
		t.Errorf("subject %q", got.subject)
	}
	both(t, got, "Client: Jane Smith", "Phone: 07700 900123", "E-mail: jane@example.com", "Booking number: 42",
		"health answers and their note are not sent by e-mail")
	_, ev, _ := got.calendar1(t, "REQUEST")
	if s := prop(t, ev, "SUMMARY"); s != "Sports massage — Jane Smith" {
		t.Errorf("SUMMARY %q", s)
	}
	d := prop(t, ev, "DESCRIPTION")
	for _, w := range []string{"07700 900123", "jane@example.com", site + "/admin"} {
		if !strings.Contains(d, w) {
			t.Errorf("DESCRIPTION lacks %q: %q", w, d)
		}
	}

	// Without a note, only the health answers are mentioned; an unusable client address is no Reply-To.
	b := booking()
	b.Notes, b.ClientEmail, b.ClientPhone = "", "not an address", ""
	got = build(t, emails.TherapistNewBooking(practice(), b, false))
	both(t, got, "The client’s health answers are not sent by e-mail", "Phone: not given")
	if got.header.Get("Reply-To") != "" {
		t.Errorf("Reply-To %q", got.header.Get("Reply-To"))
	}
	if strings.Contains(got.text, "held") {
		t.Error("a booking whose confirmation was sent says it is held")
	}

	// Past the day's ceiling on new addresses, the client's confirmation
	// waits for her: the message says so and where to send it.
	got = build(t, emails.TherapistNewBooking(practice(), booking(), true))
	both(t, got, "Not sent yet", "the client’s confirmation is held", "from the admin area", "Open the admin area")
}

// TestEscaping: a client's name with markup is text in the HTML, as typed in the text part, and a line break
// in it cannot add a header.
func TestEscaping(t *testing.T) {
	const name = `<script>alert(1)</script> & O'Brien`
	b := booking()
	b.ClientName = name
	b.Place, b.Address, b.Postcode = db.PlaceMobile, `<img src=x onerror=alert(2)> "Flat 1"`, "PE28 2AA"
	for _, k := range kinds {
		got := build(t, k.make(practice(), b))
		lower := strings.ToLower(got.html)
		if strings.Contains(lower, "<script") || strings.Contains(lower, "<img") {
			t.Errorf("%s: unescaped markup in the HTML:\n%s", k.name, got.html)
		}
		if !strings.Contains(got.html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; O&#39;Brien") {
			t.Errorf("%s: the escaped name is missing:\n%s", k.name, got.html)
		}
		both(t, got, name, `<img src=x onerror=alert(2)> "Flat 1", PE28 2AA`)
		if !k.therapist {
			both(t, got, "Hello "+name+",")
			if to := address(t, got, "To"); to.Name != name {
				t.Errorf("%s: To name %q", k.name, to.Name)
			}
		}
	}

	b.ClientName = "Eve\r\nBcc: victim@example.com"
	for _, k := range kinds {
		got := build(t, k.make(practice(), b))
		head, _, _ := bytes.Cut(got.raw, []byte("\r\n\r\n"))
		if got.header.Get("Bcc") != "" || bytes.Contains(head, []byte("\r\nBcc:")) {
			t.Errorf("%s: a line break in the name added a header", k.name)
		}
	}
}

// TestClockChange: times are London wall clock on both sides of the October change (Sunday 25 October 2026,
// 02:00 BST → 01:00 GMT), and in the repeated hour the zone is named.
func TestClockChange(t *testing.T) {
	cases := []struct {
		start                time.Time
		subject, text, dtval string
	}{
		{time.Date(2026, 10, 24, 9, 0, 0, 0, time.UTC), "Saturday 24 October 2026 at 10:00",
			"Saturday 24 October 2026, 10:00 to 11:00 UK time", "DTSTART;TZID=Europe/London:20261024T100000"},
		{time.Date(2026, 10, 25, 10, 0, 0, 0, time.UTC), "Sunday 25 October 2026 at 10:00",
			"Sunday 25 October 2026, 10:00 to 11:00 UK time", "DTSTART;TZID=Europe/London:20261025T100000"},
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "Sunday 25 October 2026 at 01:30 BST",
			"Sunday 25 October 2026, 01:30 BST to 01:30 GMT UK time", "DTSTART:20261025T003000Z"},
		{time.Date(2026, 3, 29, 9, 0, 0, 0, time.UTC), "Sunday 29 March 2026 at 10:00",
			"Sunday 29 March 2026, 10:00 to 11:00 UK time", "DTSTART;TZID=Europe/London:20260329T100000"},
	}
	for _, c := range cases {
		b := booking()
		b.StartsAt, b.EndsAt = c.start, c.start.Add(time.Hour)
		got := build(t, emails.BookingConfirmed(practice(), b, manageURL))
		if got.subject != "Booking confirmed: "+c.subject {
			t.Errorf("subject %q, want %q", got.subject, c.subject)
		}
		both(t, got, c.text)
		_, ev, raw := got.calendar1(t, "REQUEST")
		if !strings.Contains(raw, "\r\n"+c.dtval+"\r\n") {
			t.Errorf("no %s in\n%s", c.dtval, raw)
		}
		checkEvent(t, ev, b, 0, "Dynamic Motion Sports Therapy, 14 Bridge Street, St Ives PE27 5EG")
	}
}

var urlRE = regexp.MustCompile(`(?i)(?:https?:)?//[^\s"'<>]*`)

// TestNoTracking: no images or other remote content, and every web address in the HTML is the site's own.
func TestNoTracking(t *testing.T) {
	b := booking()
	for _, k := range kinds {
		got := build(t, k.make(practice(), b))
		for _, u := range urlRE.FindAllString(got.html, -1) {
			if u != site && !strings.HasPrefix(u, site+"/") {
				t.Errorf("%s: foreign URL %q in the HTML", k.name, u)
			}
		}
		if strings.Contains(got.html, "http://") {
			t.Errorf("%s: http:// in the HTML", k.name)
		}
		for _, l := range hrefs(t, got.html) {
			if !strings.HasPrefix(l, site) && !strings.HasPrefix(l, "mailto:") && !strings.HasPrefix(l, "tel:") {
				t.Errorf("%s: link %q", k.name, l)
			}
		}
		checkDocument(t, k.name, got.html, got.subject)
	}
}

// checkDocument: lang="en-GB", a <title> (the subject), and no element that loads anything.
func checkDocument(t *testing.T, name, doc, title string) {
	t.Helper()
	if len(doc) > 8<<10 {
		t.Errorf("%s: the HTML is %d bytes", name, len(doc))
	}
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var gotTitle, lang string
	var f func(n *html.Node)
	f = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html":
				for _, a := range n.Attr {
					if a.Key == "lang" {
						lang = a.Val
					}
				}
			case "title":
				if n.FirstChild != nil {
					gotTitle = n.FirstChild.Data
				}
			case "img", "script", "iframe", "object", "embed", "link", "style", "video", "audio", "source", "form":
				t.Errorf("%s: <%s> in the HTML", name, n.Data)
			}
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "background" || a.Key == "srcset" ||
					(a.Key == "style" && strings.Contains(strings.ToLower(a.Val), "url(")) {
					t.Errorf("%s: %s=%q loads something", name, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(root)
	if lang != "en-GB" {
		t.Errorf("%s: lang=%q", name, lang)
	}
	if gotTitle != title {
		t.Errorf("%s: <title> %q, want %q", name, gotTitle, title)
	}
}

func TestHostFromSiteURL(t *testing.T) {
	p := practice()
	p.Host = ""
	_, ev, _ := build(t, emails.BookingConfirmed(p, booking(), manageURL)).calendar1(t, "REQUEST")
	if got := prop(t, ev, "UID"); got != "booking-42@dynamicmotion.fly.dev" {
		t.Errorf("UID %q", got)
	}
	p.SiteURL += "/" // a trailing slash gives no double slash
	got := build(t, emails.BookingCancelled(p, booking(), ""))
	if !contains(hrefs(t, got.html), site+"/book") {
		t.Errorf("links %v", hrefs(t, got.html))
	}
}
