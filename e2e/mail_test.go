package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goical "github.com/emersion/go-ical"

	"dynamicmotion/db/dbtest"
	"dynamicmotion/mail/mailtest"
)

// A client books in the browser on a site whose SMTP_URL is a real SMTP
// server: the confirmation arrives with the invitation at the booked time
// and a manage link that works; cancelling through that link sends the
// cancellation, which removes the event from the client's calendar.
//
// The site runs on a database of its own: every instance on a database
// works its job queue, and the suite's main instance has no SMTP_URL.
func TestBookingConfirmationByMail(t *testing.T) {
	smtp := mailtest.Start(t)
	dsn, drop, err := dbtest.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	for _, sub := range []string{"migrate", "seed"} {
		cmd := exec.Command(binPath, sub)
		cmd.Env = siteEnv(map[string]string{"DATABASE_URL": dsn})
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", sub, err, out)
		}
	}
	origin := startInstance(t, map[string]string{"DATABASE_URL": dsn, "SMTP_URL": smtp.URL(),
		"MAIL_FROM": "Dynamic Motion <bookings@dynamicmotion.test>"})
	tb := clickTab(t)
	tb.openAt(origin, "/book")
	service := serviceValue(tb, "60 minutes")
	tb.openAt(origin, "/book?service="+service+"&location=studio")
	laterInPlace(tb) // more than a day ahead, so that it can be cancelled online
	chosen := holdFirstFreeTime(tb)
	fillDetails(tb, "Mina Mailer", "mina@example.com")
	manage := book(tb)

	waitForMail(t, smtp, "mina@example.com", 1)
	conf := mailtest.MustParse(t, smtp.To("mina@example.com")[0].Data)
	if !strings.HasPrefix(conf.Subject, "Booking confirmed: ") {
		t.Errorf("subject %q", conf.Subject)
	}
	if from := conf.Header.Get("From"); !strings.Contains(from, "bookings@dynamicmotion.test") {
		t.Errorf("From %q, want MAIL_FROM", from)
	}
	if conf.Text == "" || conf.HTML == "" {
		t.Error("the confirmation lacks a text or an HTML part")
	}
	link := regexp.MustCompile(regexp.QuoteMeta(origin) + `(/bookings/[A-Za-z0-9_-]+)`).FindStringSubmatch(conf.Text)
	if link == nil || link[1] != manage {
		t.Fatalf("the confirmation's manage link %v, want %s%s", link, origin, manage)
	}
	ev := invitation(t, conf, "REQUEST")
	start, err := ev.DateTimeStart(time.UTC)
	if want, _ := time.Parse(time.RFC3339, chosen.Value); err != nil || !start.Equal(want) {
		t.Errorf("the invitation starts %v (%v), want %s", start, err, chosen.Value)
	}

	// The link from the mail opens the booking; cancel it there.
	tb.openAt(origin, link[1])
	loadBy(tb, `clicking "Cancel this booking"`, chromedp.Click(byText(`main a`, "Cancel this booking")))
	loadBy(tb, `clicking "Cancel booking" on the page that asks`, chromedp.Click(byText(`main form button`, "Cancel booking")))
	if !readBooking(tb).Cancelled {
		t.Fatal("the booking is not cancelled")
	}
	waitForMail(t, smtp, "mina@example.com", 2)
	cancel := mailtest.MustParse(t, smtp.To("mina@example.com")[1].Data)
	cev := invitation(t, cancel, "CANCEL")
	if cev.Props.Get(goical.PropUID).Value != ev.Props.Get(goical.PropUID).Value {
		t.Error("the cancellation's UID is not the invitation's")
	}
}

// waitForMail waits until address has n messages, at most 20 s (the queue
// polls every second).
func waitForMail(t *testing.T, s *mailtest.Server, address string, n int) {
	t.Helper()
	s.WaitTo(t, address, n, 20*time.Second)
}

// invitation parses a message's calendar part and checks its METHOD.
func invitation(t *testing.T, p mailtest.Parsed, method string) goical.Event {
	t.Helper()
	if len(p.Calendar) == 0 {
		t.Fatalf("%q has no calendar part", p.Subject)
	}
	cal, err := goical.NewDecoder(bytes.NewReader(p.Calendar[0].Body)).Decode()
	if err != nil {
		t.Fatalf("%q: the calendar does not parse: %v", p.Subject, err)
	}
	if m := cal.Props.Get(goical.PropMethod); m == nil || m.Value != method {
		t.Errorf("%q: METHOD %v, want %s", p.Subject, m, method)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%q: %d events", p.Subject, len(evs))
	}
	return evs[0]
}
