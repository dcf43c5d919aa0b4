package emails

import (
	"fmt"
	"strings"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/mail"
)

// WaitlistJoined confirms to a client that they are on the waitlist for a day: which day, place, service and
// window of start times, that a freed time will be offered by e-mail first come first served, and the link that
// takes them off the list.
func WaitlistJoined(p Practice, e db.WaitlistEntry, leaveURL string) mail.Message {
	e = cleanEntry(e)
	v := p.view("You are on the waitlist", entryGreeting(e))
	v.para("", "Thank you. If a time that suits you comes free on "+entryDay(e)+", we will e-mail you at once "+
		"and hold it for you for a while. People are offered times in the order they joined.")
	v.facts(entryFacts(p, e)...)
	v.para("", "Nothing is booked yet, and you do not need to do anything now.")
	v.link("Take me off the waitlist", leaveURL)
	v.Why = waitlistWhy(p)
	return waitlistMessage(p, e, "On the waitlist: "+entryDay(e), v)
}

// WaitlistOffer offers a freed time to the client at the head of the waitlist: the time, the service and place,
// until when it is held for them, the link that books it, and the link that takes them off the list. A time
// not taken in time goes to the next person; they stay on the list for other times.
func WaitlistOffer(p Practice, e db.WaitlistEntry, o db.WaitlistOffer, offerURL, leaveURL string) mail.Message {
	e = cleanEntry(e)
	end := o.StartsAt.Add(time.Duration(e.DurationMin) * time.Minute)
	v := p.view("A time has come free for you", entryGreeting(e))
	v.para("", "A time you were waiting for has come free, and we are holding it for you until "+
		when(o.ExpiresAt)+".")
	fs := []fact{{"When", span(o.StartsAt, end)}, {"Where", entryPlace(p, e)}, {"What", entryWhat(e)}}
	if e.PricePence > 0 {
		fs = append(fs, fact{"Price", pounds(e.PricePence)})
	}
	fs = append(fs, fact{"Held until", when(o.ExpiresAt)})
	v.facts(fs...)
	v.link("Book this time", offerURL)
	v.para("", "If it does not suit you, do nothing: after "+clock(o.ExpiresAt)+" it will be offered to the "+
		"next person waiting, and you stay on the waitlist in case another time comes free.")
	v.link("Take me off the waitlist", leaveURL)
	v.Why = waitlistWhy(p)
	return waitlistMessage(p, e, "A time has come free: "+at(o.StartsAt), v)
}

func waitlistMessage(p Practice, e db.WaitlistEntry, subject string, v view) mail.Message {
	m := message(subject, v, nil)
	m.To = mail.Address{Name: e.Name, Email: strings.TrimSpace(e.Email)}
	if addr := strings.TrimSpace(p.Email); addr != "" {
		m.ReplyTo = mail.Address{Name: oneLine(p.Name), Email: addr}
	}
	return m
}

func cleanEntry(e db.WaitlistEntry) db.WaitlistEntry {
	e.Name, e.Email, e.Postcode, e.ServiceName = oneLine(e.Name), oneLine(e.Email), oneLine(e.Postcode), oneLine(e.ServiceName)
	return e
}

func entryGreeting(e db.WaitlistEntry) string {
	if e.Name != "" {
		return "Hello " + e.Name + ","
	}
	return "Hello,"
}

func entryFacts(p Practice, e db.WaitlistEntry) []fact {
	return []fact{
		{"Day", entryDay(e)},
		{"Start between", EntryWindow(e)},
		{"Where", entryPlace(p, e)},
		{"What", entryWhat(e)},
	}
}

// entryDay is the entry's day: "Thursday 26 November 2026".
func entryDay(e db.WaitlistEntry) string { return e.Day.UTC().Format("Monday 2 January 2006") }

// EntryWindow is the start times an entry waits for: "09:00 and 12:30 UK time".
func EntryWindow(e db.WaitlistEntry) string {
	return hhmm(e.EarliestMin) + " and " + hhmm(e.LatestMin) + " UK time"
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func entryPlace(p Practice, e db.WaitlistEntry) string {
	if e.Place == db.PlaceMobile {
		if e.Postcode != "" {
			return "A mobile visit to you (" + e.Postcode + ")"
		}
		return "A mobile visit to you"
	}
	if a := strings.TrimSpace(p.Address); a != "" {
		return "At the studio: " + a
	}
	return "At the studio"
}

func entryWhat(e db.WaitlistEntry) string {
	return what(db.Booking{ServiceName: e.ServiceName, DurationMin: e.DurationMin})
}

func waitlistWhy(p Practice) string {
	if host := p.siteHost(); host != "" {
		return "You are receiving this e-mail because this address was put on the waitlist at " + host + "."
	}
	return "You are receiving this e-mail because this address was put on the waitlist."
}
