package ical_test

import (
	"fmt"
	"strings"
	"time"

	"dynamicmotion/ical"
)

// A booking confirmation's attachment: METHOD:REQUEST with the practice as organizer, the client as attendee
// and a reminder the day before. A move sends the same UID with Sequence+1; a cancellation sends the booking
// as stored with ical.Cancel (SEQUENCE is then written one higher, with STATUS:CANCELLED).
func ExampleCalendar() {
	london, _ := time.LoadLocation("Europe/London")
	start := time.Date(2026, 3, 29, 10, 0, 0, 0, london) // the day the clocks go forward: 10:00 BST
	booking := ical.Event{
		UID:         "booking-42@dynamicmotion.example",
		Sequence:    0,
		Stamp:       time.Date(2026, 3, 20, 18, 5, 0, 0, time.UTC),
		Start:       start,
		End:         start.Add(time.Hour),
		Summary:     "Sports massage, 60 min",
		Description: "Manage or cancel: https://dynamicmotion.example/booking/manage/abc123",
		Location:    "14 Bridge Street, St Ives PE27 5EG",
		URL:         "https://dynamicmotion.example/booking/manage/abc123",
		Organizer:   ical.Person{Name: "Dynamic Motion Sports Therapy", Email: "bookings@dynamicmotion.example"},
		Attendee:    ical.Person{Name: "Smith, Jane", Email: "jane@example.com"},
		Alarm:       24 * time.Hour,
	}
	ics := ical.Calendar("-//Dynamic Motion//Bookings//EN", ical.Request, booking)

	fmt.Println("Content-Type:", ical.ContentType(ical.Request))
	fmt.Print(strings.ReplaceAll(string(ics), "\r\n", "\n")) // CRLF in the real thing
	// Output:
	// Content-Type: text/calendar; charset=utf-8; method=REQUEST
	// BEGIN:VCALENDAR
	// PRODID:-//Dynamic Motion//Bookings//EN
	// VERSION:2.0
	// CALSCALE:GREGORIAN
	// METHOD:REQUEST
	// BEGIN:VTIMEZONE
	// TZID:Europe/London
	// BEGIN:DAYLIGHT
	// TZOFFSETFROM:+0000
	// TZOFFSETTO:+0100
	// TZNAME:BST
	// DTSTART:19810329T010000
	// RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
	// END:DAYLIGHT
	// BEGIN:STANDARD
	// TZOFFSETFROM:+0100
	// TZOFFSETTO:+0000
	// TZNAME:GMT
	// DTSTART:19961027T020000
	// RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
	// END:STANDARD
	// END:VTIMEZONE
	// BEGIN:VEVENT
	// UID:booking-42@dynamicmotion.example
	// SEQUENCE:0
	// DTSTAMP:20260320T180500Z
	// DTSTART;TZID=Europe/London:20260329T100000
	// DTEND;TZID=Europe/London:20260329T110000
	// SUMMARY:Sports massage\, 60 min
	// DESCRIPTION:Manage or cancel: https://dynamicmotion.example/booking/manage/
	//  abc123
	// LOCATION:14 Bridge Street\, St Ives PE27 5EG
	// URL:https://dynamicmotion.example/booking/manage/abc123
	// STATUS:CONFIRMED
	// TRANSP:OPAQUE
	// ORGANIZER;CN=Dynamic Motion Sports Therapy:mailto:bookings@dynamicmotion.ex
	//  ample
	// ATTENDEE;CN="Smith, Jane";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE
	//  :mailto:jane@example.com
	// BEGIN:VALARM
	// ACTION:DISPLAY
	// TRIGGER:-PT24H
	// DESCRIPTION:Sports massage\, 60 min
	// END:VALARM
	// END:VEVENT
	// END:VCALENDAR
}
