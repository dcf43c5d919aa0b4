package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"dynamicmotion/db"
	"dynamicmotion/links"
	"dynamicmotion/views"
)

// manageBooking puts a confirmed studio booking in the database, as booking
// online leaves it, and returns its manage path and id. It is on a Sunday
// seven to eight weeks ahead, when the studio is closed, so that it takes
// no time another test could be offered, and is far from its cut-off at any
// instant. No picker is involved: the pages under test are the ones after
// booking.
func manageBooking(t *testing.T, name, email string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, databaseURL, db.Options{AppName: "e2e-manage"})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var svc db.Service
	if err := bdb.NewSelect().Model(&svc).Where("active AND at_studio").OrderExpr("sort_order, id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(views.London).AddDate(0, 0, 49)
	for day.Weekday() != time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	token := links.NewToken()
	cut := 24
	now := time.Now()
	// A free hour of that Sunday (another run of this test may have one).
	for hour := 8; hour < 20; hour++ {
		start := time.Date(day.Year(), day.Month(), day.Day(), hour, 0, 0, 0, views.London)
		end := start.Add(time.Duration(svc.DurationMin) * time.Minute)
		b := db.Booking{ServiceID: svc.ID, Place: db.PlaceStudio, StartsAt: start, EndsAt: end, BlockedFrom: start, BlockedTo: end,
			Status: db.BookingConfirmed, ClientName: name, ClientEmail: email, ClientPhone: "07700 900123",
			ConsentAt: &now, ConfirmedAt: &now, ManageTokenHash: db.HashToken(token),
			ServiceName: svc.Name, DurationMin: svc.DurationMin, PricePence: svc.PricePence,
			PolicyCutoffHours: &cut, PolicyText: "Please cancel or move your appointment at least 24 hours before it starts.", LateMoveAllowed: true}
		_, err := bdb.NewInsert().Model(&b).ExcludeColumn("id", "created_at").Returning("id").Exec(ctx)
		if err == nil {
			return links.Manage + token, b.ID
		}
		if !strings.Contains(err.Error(), "bookings_no_overlap") {
			t.Fatal(err)
		}
	}
	t.Fatalf("no free hour on %s", day.Format(time.DateOnly))
	return "", 0
}

// bookingStatus reads a booking's status and the client's reason from the
// database.
func bookingStatus(t *testing.T, id int64) (status, reason string) {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, databaseURL, db.Options{AppName: "e2e-manage"})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	b, err := db.BookingByID(ctx, bdb, id)
	if err != nil {
		t.Fatal(err)
	}
	return b.Status, b.ClientCancelReason
}

// onScreen is a JavaScript expression: the first element matching css
// whose text is text lies wholly within the viewport, as the page first
// shows it.
func onScreen(css, text string) string {
	return fmt.Sprintf(`(() => {
		const e = [...document.querySelectorAll(%q)].find(e => e.textContent.trim() === %q);
		if (!e) return false;
		const r = e.getBoundingClientRect();
		return r.top >= 0 && r.bottom <= window.innerHeight && r.width > 0;
	})()`, css, text)
}

// TestCancelAsksThenCancels: on a phone (390×844), the booked page offers
// the calendar links and "Cancel this booking", which asks first: what will
// be cancelled, a reason, "Keep my booking" first (it keeps it). Then a
// reason and "Cancel booking" cancel it: "Your booking is cancelled", no
// calendar links, "Book another time". Every page is axe-clean, the one
// asking also with a mistake; the reason reaches the database.
func TestCancelAsksThenCancels(t *testing.T) {
	manage, id := manageBooking(t, "Casey Canceller", "casey@example.com")
	tb := clickTab(t)
	tb.do("setting a 390×844 phone viewport", chromedp.EmulateViewport(390, 844))

	tb.open(manage + "?booked=1")
	b := readBooking(tb)
	if b.H1 != "You’re booked" || b.Cancelled {
		t.Fatalf("the booked page: %+v", b)
	}
	for _, want := range []string{"A confirmation is on its way to casey@example.com", "Google Calendar", "Outlook.com", "Calendar file (.ics)"} {
		if !strings.Contains(eval[string](tb, `document.querySelector('main').innerText.replace(/\s+/g, ' ')`), want) {
			t.Errorf("the booked page lacks %q", want)
		}
	}
	pageFits(t, tb, "the booked page")
	tb.assertClean("the booked page")
	checkAxe(tb, "the booked page")

	// Asks first; "Keep my booking" keeps it.
	loadBy(tb, `clicking "Cancel this booking"`, chromedp.Click(byText(`main a`, "Cancel this booking")))
	if path := eval[string](tb, `location.pathname`); path != manage+"/cancel" {
		t.Fatalf(`"Cancel this booking" went to %s, want %s/cancel`, path, manage)
	}
	if h1 := readBooking(tb).H1; h1 != "Cancel your booking?" {
		t.Errorf("the page asking says %q", h1)
	}
	if when := readBooking(tb).When; !strings.Contains(when, "Sunday") {
		t.Errorf("the page asking does not say when: %q", when)
	}
	pageFits(t, tb, "the page asking before cancelling")
	for _, b := range []string{"Keep my booking", "Cancel booking"} {
		if !eval[bool](tb, onScreen(`main .confirm-actions .button`, b)) {
			t.Errorf("%q is not on the first screen of a 390×844 phone", b)
		}
	}
	// By keyboard, from the reason: "Keep my booking" is the next stop.
	tb.do("focusing the reason", chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-reason').focus()`))
	k := &keyboard{t: t, tb: tb}
	k.press(kb.Tab, false)
	if got := eval[string](tb, `document.activeElement.textContent.trim()`); got != "Keep my booking" {
		t.Errorf("Tab from the reason goes to %q, want Keep my booking", got)
	}
	tb.assertClean("the page asking before cancelling")
	checkAxe(tb, "the page asking before cancelling")
	loadBy(tb, `clicking "Keep my booking"`, chromedp.Click(byText(`main .confirm-actions a`, "Keep my booking")))
	if path, b := eval[string](tb, `location.pathname`), readBooking(tb); path != manage || b.Cancelled || b.H1 != "Your booking" {
		t.Errorf(`"Keep my booking" led to %s: %+v`, path, b)
	}
	if st, _ := bookingStatus(t, id); st != db.BookingConfirmed {
		t.Fatalf("after Keep my booking the booking is %s", st)
	}

	// A reason too long (past the field's own limit, as a script could
	// send it): the message beside the field, the words kept.
	loadBy(tb, `clicking "Cancel this booking" again`, chromedp.Click(byText(`main a`, "Cancel this booking")))
	tb.expectStatus(manage+"/cancel", 422)
	tb.do("writing 1,001 characters", chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-reason').value = 'x'.repeat(1001)`))
	loadBy(tb, `clicking "Cancel booking" with a long reason`, chromedp.Click(byText(`main form button`, "Cancel booking")))
	if msg := eval[string](tb, `(document.querySelector('#f-reason-error') || {}).textContent || ''`); !strings.Contains(msg, "1000 characters") {
		t.Errorf("a long reason came back with %q", msg)
	}
	if n := eval[int](tb, `document.querySelector('#f-reason').value.length`); n != 1001 {
		t.Errorf("the long reason came back with %d characters, want all 1001", n)
	}
	checkAxe(tb, "the page asking before cancelling, with a mistake")
	tb.takeProblems() // the 422 is meant

	// Cancelled, with a reason.
	tb.do("writing a reason",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-reason').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`#f-reason`), "Away that week, sorry."))
	loadBy(tb, `clicking "Cancel booking"`, chromedp.Click(byText(`main form button`, "Cancel booking")))
	if path := eval[string](tb, `location.pathname`); path != manage {
		t.Fatalf("cancelling landed on %s, want %s", path, manage)
	}
	b = readBooking(tb)
	if !b.Cancelled || b.H1 != "Your booking is cancelled" {
		t.Errorf("after cancelling: %+v", b)
	}
	if n := eval[int](tb, `document.querySelectorAll('main a[href$="calendar.ics"], main a[href*="calendar.google.com"], main a[href*="outlook.live.com"], main a[href$="/cancel"], main a[href$="/move"]').length`); n != 0 {
		t.Errorf("the cancelled booking's page still offers %d calendar, cancel or move links", n)
	}
	again := eval[string](tb, `(() => { const a = [...document.querySelectorAll('main a')].find(a => a.textContent.trim() === 'Book another time'); return a ? a.getAttribute('href') : ''; })()`)
	if !strings.HasPrefix(again, "/book?service=") || !strings.Contains(again, "&location=studio&again=") {
		t.Errorf(`"Book another time" goes to %q`, again)
	}
	pageFits(t, tb, "the cancelled booking's page")
	tb.assertClean("the cancelled booking's page")
	checkAxe(tb, "the cancelled booking's page")
	if st, reason := bookingStatus(t, id); st != db.BookingCancelled || reason != "Away that week, sorry." {
		t.Errorf("in the database: %s, reason %q", st, reason)
	}
}

// TestTherapistCancelAsksFirst: the therapist's "Cancel this booking…"
// opens a page saying who and when, with "Keep booking" first; a missing
// reason comes back there; with one, the booking is cancelled. The page is
// axe-clean, with and without the mistake.
func TestTherapistCancelAsksFirst(t *testing.T) {
	_, id := manageBooking(t, "Tess Therapistcancel", "tess@example.com")
	tb := clickTab(t)
	tb.do("setting a 390×844 phone viewport", chromedp.EmulateViewport(390, 844))
	logIn(tb)
	page := fmt.Sprintf("/admin/bookings/%d", id)
	tb.open(page)
	loadBy(tb, `clicking "Cancel this booking…"`, chromedp.Click(byText(`main a`, "Cancel this booking…")))
	if path := eval[string](tb, `location.pathname`); path != page+"/cancel" {
		t.Fatalf(`"Cancel this booking…" went to %s`, path)
	}
	if h1 := eval[string](tb, `document.querySelector('h1').textContent.trim()`); h1 != "Cancel Tess Therapistcancel’s booking?" {
		t.Errorf("the page asking says %q", h1)
	}
	if got := eval[[]string](tb, `[...document.querySelectorAll('main .confirm-actions .button')].map(e => e.textContent.trim())`); len(got) != 2 || got[0] != "Keep booking" || got[1] != "Cancel booking" {
		t.Errorf("the choices are %q, want Keep booking first", got)
	}
	pageFits(t, tb, "the therapist's page asking before cancelling")
	tb.assertClean("the therapist's page asking before cancelling")
	checkAxe(tb, "the therapist's page asking before cancelling")

	tb.expectStatus(page+"/cancel", 422)
	loadBy(tb, `clicking "Cancel booking" without a reason`, chromedp.Click(byText(`main form button`, "Cancel booking")))
	if msg := eval[string](tb, `(document.querySelector('#f-reason-error') || {}).textContent || ''`); !strings.Contains(msg, "Please give a reason") {
		t.Errorf("no reason came back with %q", msg)
	}
	checkAxe(tb, "the therapist's page asking before cancelling, with a mistake")
	tb.takeProblems() // the 422 is meant
	if st, _ := bookingStatus(t, id); st != db.BookingConfirmed {
		t.Fatalf("asking cancelled the booking: %s", st)
	}
	tb.do("writing a reason", chromedp.SendKeys(chromedp.CSS(`#f-reason`), "The therapist is unwell."))
	loadBy(tb, `clicking "Cancel booking"`, chromedp.Click(byText(`main form button`, "Cancel booking")))
	if path := eval[string](tb, `location.pathname`); path != page {
		t.Errorf("cancelling landed on %s, want %s", path, page)
	}
	if st, _ := bookingStatus(t, id); st != db.BookingCancelled {
		t.Errorf("after cancelling the booking is %s", st)
	}
	tb.assertClean("the booking's page after cancelling")
}
