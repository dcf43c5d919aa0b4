// Package emails is the content of every booking e-mail: what the client and the practice are told when a
// booking is made, moved or cancelled, and the client's reminder, as [mail.Message] values ready for
// [mail.Build] or an SMTP sender.
//
// The functions are pure: no sending, no database, no clock (except DTSTAMP in the calendar attachments, which
// is when the message was made). Each message has a plain-text part and a small inline-styled HTML part with the
// same content, rendered from one description of the message so that the two cannot drift apart; the HTML goes
// through html/template, so every value that came from a visitor is escaped. Times are London wall-clock time
// labelled "UK time", dates are written the British way ("Thursday 26 November 2026"), prices in pounds.
// Nothing is tracked: no images, no pixels, and every link is the site's own.
//
// Messages to the practice carry the client's contact details and the place, never the answers to the health
// questions (nor the client's free-text note, which may hold the same kind of thing): those stay in the admin
// area, and the message says so and links to it.
//
// Calendar attachments come from package ical: METHOD:REQUEST for a new or moved booking, METHOD:CANCEL for a
// cancelled one, with the UID "booking-<id>@<host>" throughout, so a client's calendar updates the one event.
package emails

import (
	"fmt"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must exist in a minimal container too

	practiceclock "dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/ical"
	"dynamicmotion/mail"
	"dynamicmotion/money"
)

// Practice is what every message says about the practice.
type Practice struct {
	Name, Phone, Email, Address string // Address: the studio's address line for the calendar and the footer
	SiteURL                     string // e.g. https://dynamicmotion.fly.dev
	Host                        string // for calendar UIDs, e.g. dynamicmotion.fly.dev
}

// PracticeFor is what messages say about the practice, from its business settings and the site's address. The
// demo seed's example street address is left out (only the town is given).
func PracticeFor(biz db.Business, site *url.URL) Practice {
	addr := biz.Locality
	if biz.StreetAddress != "" && !biz.IsExample {
		addr = strings.Join([]string{biz.StreetAddress, biz.Locality, biz.Postcode}, ", ")
	}
	return Practice{
		Name: biz.Name, Phone: biz.Phone, Email: biz.Email, Address: addr,
		SiteURL: site.String(), Host: site.Hostname(),
	}
}

// alarmBefore is when the calendar invitations remind the client.
const alarmBefore = 24 * time.Hour

// BookingConfirmed is the client's confirmation: when, where (the studio address or the client's address for a
// mobile visit), what, price, the cancellation policy it was booked under, the manage link, with an .ics invitation
// (ical.Request, UID "booking-<id>@<host>", SEQUENCE = b.Sequence, a 24 h DISPLAY alarm, the place as LOCATION).
func BookingConfirmed(p Practice, b db.Booking, manageURL string) mail.Message {
	b = clean(b)
	v := p.view("Your booking is confirmed", greeting(b))
	v.para("", "Thank you for booking with "+p.name()+". Here are the details. The invitation attached to "+
		"this e-mail adds the appointment to your calendar.")
	v.facts(
		fact{"When", span(b.StartsAt, b.EndsAt)},
		fact{"Where", clientPlace(p, b)},
		fact{"What", what(b)},
		fact{"Price", pounds(b.PricePence)},
	)
	if pol := policy(b); pol != "" {
		v.para("Cancellation policy", pol)
	}
	v.link("View, move or cancel your booking", manageURL)
	v.para("", "Please keep this e-mail: its link is how you view, move or cancel your booking online.")
	v.Why = clientWhy(p)
	return clientMessage(p, b, "Booking confirmed: "+at(b.StartsAt), v,
		p.invitation(ical.Request, p.clientEvent(b, manageURL)))
}

// BookingMoved: the new time (and the old one, given), same UID, the invitation with SEQUENCE = b.Sequence (callers
// pass the booking after the move, whose Sequence went up).
func BookingMoved(p Practice, b db.Booking, oldStart time.Time, manageURL string) mail.Message {
	b = clean(b)
	v := p.view("Your booking has moved", greeting(b))
	v.para("", "Your appointment with "+p.name()+" is now at a new time. The invitation attached to this "+
		"e-mail updates your calendar.")
	fs := []fact{{"New time", span(b.StartsAt, b.EndsAt)}}
	if !oldStart.IsZero() {
		fs = append(fs, fact{"Previous time", when(oldStart)})
	}
	fs = append(fs, fact{"Where", clientPlace(p, b)}, fact{"What", what(b)}, fact{"Price", pounds(b.PricePence)})
	v.facts(fs...)
	if b.LateMoved {
		v.para("Please note", "This booking was moved close to its start, so it can no longer be cancelled "+
			"online. If you cannot come, please "+contactLine(p)+".")
	} else if pol := policy(b); pol != "" {
		v.para("Cancellation policy", pol)
	}
	v.link("View, move or cancel your booking", manageURL)
	v.Why = clientWhy(p)
	return clientMessage(p, b, "Booking moved: "+at(b.StartsAt), v,
		p.invitation(ical.Request, p.clientEvent(b, manageURL)))
}

// BookingCancelled: METHOD:CANCEL with the same UID (ical handles the sequence), and a link to book again.
func BookingCancelled(p Practice, b db.Booking, reason string) mail.Message {
	b = clean(b)
	v := p.view("Your booking is cancelled", greeting(b))
	v.para("", "Your appointment with "+p.name()+" on "+when(b.StartsAt)+" has been cancelled. The "+
		"cancellation attached to this e-mail removes it from your calendar.")
	fs := []fact{{"Was", span(b.StartsAt, b.EndsAt)}, {"Where", clientPlace(p, b)}, {"What", what(b)}}
	if r := oneLine(reason); r != "" {
		fs = append(fs, fact{"Reason", r})
	}
	v.facts(fs...)
	v.para("", "If you would like another appointment, you are welcome to book again.")
	v.link("Book again", p.site("/book"))
	v.Why = clientWhy(p)
	ev := p.clientEvent(b, "")
	ev.Description = "Your booking with " + p.name() + " is cancelled. To book again: " + p.site("/book")
	return clientMessage(p, b, "Booking cancelled: "+at(b.StartsAt), v, p.invitation(ical.Cancel, ev))
}

// BookingReminder: 24 hours before; where and when, what to bring/wear (a short friendly line), the manage link.
func BookingReminder(p Practice, b db.Booking, manageURL string) mail.Message {
	b = clean(b)
	v := p.view("Your appointment is coming up", greeting(b))
	v.para("", "This is a reminder of your appointment with "+p.name()+".")
	v.facts(
		fact{"When", span(b.StartsAt, b.EndsAt)},
		fact{"Where", clientPlace(p, b)},
		fact{"What", what(b)},
		fact{"Price", pounds(b.PricePence)},
	)
	bring := "Please wear or bring loose, comfortable clothing (shorts and a vest top are ideal) and a bottle of water."
	if b.Place == db.PlaceMobile {
		bring += " A clear space about the size of a single bed, with room to walk around it, is all we need."
	} else {
		bring += " Arriving a few minutes early gives you time to settle in."
	}
	v.para("What to bring", bring)
	v.para("", "To move your appointment, use the link below. If you cannot come at all, please "+contactLine(p)+".")
	v.link("View, move or cancel your booking", manageURL)
	v.Why = clientWhy(p)
	return clientMessage(p, b, "Reminder: your appointment on "+at(b.StartsAt), v)
}

// TherapistNewBooking is the practice's notice of a new booking, with the invitation for its own calendar.
//
// With confirmationHeld, the client's confirmation was held (the day's
// confirmations to new addresses passed the ceiling she set): the message
// says so, or she would think the client had it.
func TherapistNewBooking(p Practice, b db.Booking, confirmationHeld bool) mail.Message {
	b = clean(b)
	v := p.view("New booking", "")
	v.para("", clientName(b)+" has booked an appointment.")
	if confirmationHeld {
		v.para("Not sent yet", "the client’s confirmation is held, because today’s confirmations to new e-mail addresses reached your daily limit. Send it, or delete it if the booking looks false, from the admin area.")
	}
	v.facts(p.therapistFacts(b, fact{"When", span(b.StartsAt, b.EndsAt)})...)
	p.healthNote(&v, b) // ends with the link to the admin area
	return therapistMessage(p, b, "New booking: "+oneLine(clientName(b))+", "+at(b.StartsAt), v,
		p.invitation(ical.Request, p.therapistEvent(b)))
}

// TherapistCancelled is the practice's notice of a cancellation, with the calendar cancellation; reason is the one
// the client was told (the therapist's), and a client who cancelled online may have left one of their own.
func TherapistCancelled(p Practice, b db.Booking, reason string) mail.Message {
	b = clean(b)
	v := p.view("Booking cancelled", "")
	v.para("", clientName(b)+"’s appointment has been cancelled; the time is free again.")
	extra := []fact{{"Was", span(b.StartsAt, b.EndsAt)}}
	if r := oneLine(reason); r != "" {
		extra = append(extra, fact{"Reason", r})
	}
	if oneLine(b.ClientCancelReason) != "" {
		// Cancelled online with a word for her: it may speak of health, and
		// health stays out of e-mail (as the client's notes do), so the mail
		// says where to read it.
		extra = append(extra, fact{"Client’s reason", "left with the cancellation; read it on the booking in the admin area"})
	}
	v.facts(p.therapistFacts(b, extra...)...)
	v.link("Open the admin area", p.site("/admin"))
	return therapistMessage(p, b, "Booking cancelled: "+oneLine(clientName(b))+", "+at(b.StartsAt), v,
		p.invitation(ical.Cancel, p.therapistEvent(b)))
}

// TherapistMoved is the practice's notice of a move, with the updated invitation.
func TherapistMoved(p Practice, b db.Booking, oldStart time.Time) mail.Message {
	b = clean(b)
	v := p.view("Booking moved", "")
	v.para("", clientName(b)+" has moved their appointment.")
	extra := []fact{{"New time", span(b.StartsAt, b.EndsAt)}}
	if !oldStart.IsZero() {
		extra = append(extra, fact{"Previous time", when(oldStart)})
	}
	v.facts(p.therapistFacts(b, extra...)...)
	if b.LateMoved {
		v.para("", "The move was inside the cancellation cut-off, so the client can no longer cancel online.")
	}
	p.healthNote(&v, b)
	return therapistMessage(p, b, "Booking moved: "+oneLine(clientName(b))+", now "+at(b.StartsAt), v,
		p.invitation(ical.Request, p.therapistEvent(b)))
}

// clean makes the booking's one-line fields one line (a line break typed into a name must not break a header
// or the layout of the text part).
func clean(b db.Booking) db.Booking {
	b.ClientName, b.ClientEmail, b.ClientPhone = oneLine(b.ClientName), oneLine(b.ClientEmail), oneLine(b.ClientPhone)
	b.Address, b.Postcode, b.ServiceName = oneLine(b.Address), oneLine(b.Postcode), oneLine(b.ServiceName)
	return b
}

// ---- the pieces of a message ----------------------------------------------------------------------------

func clientMessage(p Practice, b db.Booking, subject string, v view, atts ...mail.Attachment) mail.Message {
	m := message(subject, v, atts)
	m.To = mail.Address{Name: oneLine(b.ClientName), Email: strings.TrimSpace(b.ClientEmail)}
	if e := strings.TrimSpace(p.Email); e != "" {
		m.ReplyTo = mail.Address{Name: oneLine(p.Name), Email: e}
	}
	return m
}

// therapistMessage goes to the practice's own inbox; a reply goes to the client when the client's address
// is usable (a broken one must not make the practice's notice unsendable).
func therapistMessage(p Practice, b db.Booking, subject string, v view, atts ...mail.Attachment) mail.Message {
	m := message(subject, v, atts)
	m.To = mail.Address{Name: oneLine(p.Name), Email: strings.TrimSpace(p.Email)}
	if e := strings.TrimSpace(b.ClientEmail); validAddress(e) {
		m.ReplyTo = mail.Address{Name: oneLine(b.ClientName), Email: e}
	}
	return m
}

func message(subject string, v view, atts []mail.Attachment) mail.Message {
	subject = oneLine(subject)
	v.Title = subject
	text, html := v.render()
	return mail.Message{
		Subject:     subject,
		Text:        text,
		HTML:        html,
		Attachments: atts,
		// Machine-sent (RFC 3834): no out-of-office replies to it, please.
		Headers: map[string]string{"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
	}
}

// therapistFacts are the booking's facts for the practice: first the given ones (the time), then place,
// service, price, the client's contact details and the booking's number.
func (p Practice) therapistFacts(b db.Booking, first ...fact) []fact {
	phone := strings.TrimSpace(b.ClientPhone)
	if phone == "" {
		phone = "not given"
	}
	return append(first,
		fact{"Where", practicePlace(b)},
		fact{"What", what(b)},
		fact{"Price", pounds(b.PricePence)},
		fact{"Client", clientName(b)},
		fact{"Phone", phone},
		fact{"E-mail", strings.TrimSpace(b.ClientEmail)},
		fact{"Booking number", fmt.Sprint(b.ID)},
	)
}

// healthNote says where the health answers (and the client's note) are: only in the admin area.
func (p Practice) healthNote(v *view, b db.Booking) {
	what := "The client’s health answers are"
	if strings.TrimSpace(b.Notes) != "" {
		what = "The client’s health answers and their note are"
	}
	v.para("", what+" not sent by e-mail: please read them in the admin area before the appointment.")
	v.link("Open the admin area", p.site("/admin"))
}

// uid is the booking's calendar UID, the same in every message and download.
func (p Practice) uid(b db.Booking) string {
	host := strings.TrimSpace(p.Host)
	if host == "" {
		if u, err := url.Parse(strings.TrimSpace(p.SiteURL)); err == nil {
			host = u.Hostname()
		}
	}
	if host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("booking-%d@%s", b.ID, host)
}

// event is the booking as a calendar event, the fields both copies (the client's, the practice's) share.
func (p Practice) event(b db.Booking) ical.Event {
	return ical.Event{
		UID:       p.uid(b),
		Sequence:  b.Sequence,
		Start:     b.StartsAt,
		End:       b.EndsAt,
		Location:  location(p, b),
		Organizer: ical.Person{Name: oneLine(p.Name), Email: strings.TrimSpace(p.Email)},
		Attendee:  ical.Person{Name: oneLine(b.ClientName), Email: strings.TrimSpace(b.ClientEmail)},
		Alarm:     alarmBefore,
	}
}

func (p Practice) clientEvent(b db.Booking, manageURL string) ical.Event {
	e := p.event(b)
	e.Summary = joinNonEmpty(" — ", serviceName(b), p.Name)
	e.Description = "Your booking with " + p.name() + "."
	if manageURL != "" {
		e.Description += " To move or cancel it: " + manageURL
	}
	e.URL = manageURL
	return e
}

// therapistEvent is the practice's copy: the same UID, times and place, the client's name in the summary and
// contact details in the description; never the health answers.
func (p Practice) therapistEvent(b db.Booking) ical.Event {
	e := p.event(b)
	e.Summary = joinNonEmpty(" — ", serviceName(b), oneLine(clientName(b)))
	e.Description = strings.Join([]string{
		"Client: " + clientName(b),
		"Phone: " + strings.TrimSpace(b.ClientPhone),
		"E-mail: " + strings.TrimSpace(b.ClientEmail),
		"Where: " + practicePlace(b),
		"Health answers: in the admin area only, " + p.site("/admin"),
	}, "\n")
	e.URL = p.site("/admin")
	return e
}

func (p Practice) invitation(method ical.Method, e ical.Event) mail.Attachment {
	name := "invite.ics"
	if method == ical.Cancel {
		name = "cancel.ics"
	}
	prodID := ""
	if n := oneLine(p.Name); n != "" {
		prodID = "-//" + n + "//Bookings//EN"
	}
	return mail.Attachment{Filename: name, ContentType: ical.ContentType(method), Data: ical.Calendar(prodID, method, e)}
}

// site is an absolute link to path on the practice's site.
func (p Practice) site(path string) string {
	return strings.TrimRight(strings.TrimSpace(p.SiteURL), "/") + path
}

func (p Practice) name() string {
	if n := oneLine(p.Name); n != "" {
		return n
	}
	return "the practice"
}

// contactLine finishes "please …" with the quickest way to reach the practice.
func contactLine(p Practice) string {
	if ph := oneLine(p.Phone); ph != "" {
		return "phone " + ph + " as soon as you can"
	}
	return "reply to this e-mail as soon as you can"
}

func clientWhy(p Practice) string {
	host := p.siteHost()
	if host == "" {
		return "You are receiving this e-mail because an appointment was booked with this address."
	}
	return "You are receiving this e-mail because an appointment was booked with this address at " + host + "."
}

func (p Practice) siteHost() string {
	u, err := url.Parse(strings.TrimSpace(p.SiteURL))
	if err != nil {
		return ""
	}
	return u.Host
}

func greeting(b db.Booking) string {
	if n := strings.TrimSpace(b.ClientName); n != "" {
		return "Hello " + n + ","
	}
	return "Hello,"
}

func clientName(b db.Booking) string {
	if n := strings.TrimSpace(b.ClientName); n != "" {
		return n
	}
	return "A client"
}

// clientPlace is where the appointment is, as the client is told.
func clientPlace(p Practice, b db.Booking) string {
	if b.Place == db.PlaceMobile {
		return "We will come to " + visitAddress(b)
	}
	if a := strings.TrimSpace(p.Address); a != "" {
		return "At the studio: " + a
	}
	return "At the studio"
}

// practicePlace is where the appointment is, as the practice is told.
func practicePlace(b db.Booking) string {
	if b.Place == db.PlaceMobile {
		return "Mobile visit to " + visitAddress(b)
	}
	return "At the studio"
}

// location is the calendar's LOCATION: the studio (the practice's name and address) or the client's address.
func location(p Practice, b db.Booking) string {
	if b.Place == db.PlaceMobile {
		return visitAddress(b)
	}
	return joinNonEmpty(", ", p.Name, p.Address)
}

func visitAddress(b db.Booking) string {
	a := joinNonEmpty(", ", b.Address, b.Postcode)
	if a == "" {
		return "your address"
	}
	return a
}

func serviceName(b db.Booking) string {
	if s := strings.TrimSpace(b.ServiceName); s != "" {
		return s
	}
	return "Appointment"
}

// what is the service and its length: "Sports massage, 60 minutes".
func what(b db.Booking) string {
	m := b.DurationMin
	if m <= 0 {
		m = int(b.EndsAt.Sub(b.StartsAt).Round(time.Minute) / time.Minute)
	}
	if m <= 0 || strings.Contains(serviceName(b), minutes(m)) {
		return serviceName(b) // "Sports massage — 30 minutes" says it already
	}
	return serviceName(b) + ", " + minutes(m)
}

// policy is the cancellation policy the booking was made under.
func policy(b db.Booking) string {
	if t := strings.TrimSpace(b.PolicyText); t != "" {
		return t
	}
	if b.PolicyCutoffHours != nil && *b.PolicyCutoffHours > 0 {
		return fmt.Sprintf("Please cancel or move your appointment at least %d hours before it starts.", *b.PolicyCutoffHours)
	}
	return ""
}

// ---- formatting --------------------------------------------------------------------------------------------

var london = practiceclock.Zone // the practice's time zone

// day is the date in London: "Thursday 26 November 2026".
func day(t time.Time) string { return t.In(london).Format("Monday 2 January 2006") }

// clock is the London wall-clock time, "09:00"; in the hour the October clock change repeats it names the
// zone as well ("01:30 BST"), as the wall clock alone could mean either.
func clock(t time.Time) string {
	l := t.In(london)
	s := l.Format("15:04")
	for _, d := range []time.Duration{-time.Hour, time.Hour} {
		if t.Add(d).In(london).Format("2006-01-02 15:04") == l.Format("2006-01-02 15:04") {
			zone, _ := l.Zone()
			return s + " " + zone
		}
	}
	return s
}

// at is a start for a subject line: "Thursday 26 November 2026 at 09:00".
func at(t time.Time) string { return day(t) + " at " + clock(t) }

// when is a start with its label: "Thursday 26 November 2026 at 09:00 UK time".
func when(t time.Time) string { return at(t) + " UK time" }

// span is an appointment's time: "Thursday 26 November 2026, 09:00 to 10:00 UK time".
func span(start, end time.Time) string {
	if !end.After(start) {
		return when(start)
	}
	if day(start) != day(end) {
		return day(start) + ", " + clock(start) + " to " + day(end) + ", " + clock(end) + " UK time"
	}
	return day(start) + ", " + clock(start) + " to " + clock(end) + " UK time"
}

// pounds formats pence as a price: 3000 → "£30", 3550 → "£35.50".
func pounds(pence int) string { return money.Pounds(pence) }

// minutes formats a session's length as massage sessions are sold: "60 minutes", "90 minutes".
func minutes(m int) string {
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// oneLine makes a value safe for a header or a one-line field: line breaks and other control characters
// become spaces, runs of spaces one.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

func validAddress(e string) bool {
	a, err := netmail.ParseAddress(e)
	return err == nil && a.Name == "" && a.Address == e && !strings.ContainsAny(e, "\r\n")
}

// ClientEvent is the booking as the client's calendar event: the same one
// the invitations carry, for the "Add to calendar" download (cancelled when
// the booking is).
func ClientEvent(p Practice, b db.Booking, manageURL string) ical.Event {
	e := p.clientEvent(clean(b), manageURL)
	e.Cancelled = b.Status == db.BookingCancelled
	return e
}
