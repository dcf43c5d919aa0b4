package emails_test

import (
	"fmt"
	"strings"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/emails"
)

// A client's confirmation of a mobile visit: the addressees, the subject, the attached invitation and the
// plain-text part (the HTML part says the same).
// mail.Build (or the SMTP sender) turns the message into the e-mail.
func ExampleBookingConfirmed() {
	london, _ := time.LoadLocation("Europe/London")
	p := emails.Practice{
		Name:    "Dynamic Motion Sports Therapy",
		Phone:   "01480 496000",
		Email:   "hello@dynamicmotion.example",
		Address: "14 Bridge Street, St Ives PE27 5EG",
		SiteURL: "https://dynamicmotion.fly.dev",
		Host:    "dynamicmotion.fly.dev",
	}
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, london)
	b := db.Booking{
		ID: 42, Place: db.PlaceMobile, Address: "12 High Street, Houghton", Postcode: "PE28 2AA",
		StartsAt: start, EndsAt: start.Add(time.Hour),
		ClientName: "Jane Smith", ClientEmail: "jane@example.com",
		ServiceName: "Sports massage", DurationMin: 60, PricePence: 4500,
		PolicyText: "Please cancel or move your appointment at least 24 hours before it starts.",
	}
	m := emails.BookingConfirmed(p, b, "https://dynamicmotion.fly.dev/bookings/tok_9f8e7d6c5b4a39281706")

	fmt.Println("To:", m.To.Name, "<"+m.To.Email+">")
	fmt.Println("Reply-To:", m.ReplyTo.Email)
	fmt.Println("Subject:", m.Subject)
	for _, a := range m.Attachments {
		fmt.Println("Attachment:", a.Filename, a.ContentType)
	}
	body, footer, _ := strings.Cut(m.Text, "\n-- \n") // the footer follows the "-- " signature line
	fmt.Println()
	fmt.Println(body)
	fmt.Println("--") // written "-- " in the message
	fmt.Print(footer)
	// Output:
	// To: Jane Smith <jane@example.com>
	// Reply-To: hello@dynamicmotion.example
	// Subject: Booking confirmed: Thursday 26 November 2026 at 09:00
	// Attachment: invite.ics text/calendar; charset=utf-8; method=REQUEST
	//
	// Your booking is confirmed
	// =========================
	//
	// Hello Jane Smith,
	//
	// Thank you for booking with Dynamic Motion Sports Therapy. Here are the details. The invitation attached to this e-mail adds the appointment to your calendar.
	//
	// When: Thursday 26 November 2026, 09:00 to 10:00 UK time
	// Where: We will come to 12 High Street, Houghton, PE28 2AA
	// What: Sports massage, 60 minutes
	// Price: £45
	//
	// Cancellation policy: Please cancel or move your appointment at least 24 hours before it starts.
	//
	// View, move or cancel your booking:
	// https://dynamicmotion.fly.dev/bookings/tok_9f8e7d6c5b4a39281706
	//
	// Please keep this e-mail: its link is how you view, move or cancel your booking online.
	//
	// --
	// Dynamic Motion Sports Therapy
	// 14 Bridge Street, St Ives PE27 5EG
	// Phone: 01480 496000
	// E-mail: hello@dynamicmotion.example
	// https://dynamicmotion.fly.dev
	//
	// You are receiving this e-mail because an appointment was booked with this address at dynamicmotion.fly.dev.
}
