package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dynamicmotion/views"
)

// The therapist's login on the site under test (ADMIN_EMAIL, and the
// password TestMain sets with the admin-password subcommand).
const (
	adminEmail    = "therapist@dynamicmotion.example"
	adminPassword = "e2e password for the therapist"
)

// logIn logs the tab in to the therapist's area through the login form.
func logIn(tb *tab) {
	tb.t.Helper()
	logInAt(tb, baseURL)
}

// adminInstance runs another instance of the site on the suite's database
// for a test whose settings must not be cached by the main one (it stops
// when the test ends); the therapist's account is the suite's.
func adminInstance(t *testing.T) string {
	t.Helper()
	return startInstance(t, map[string]string{"ADMIN_EMAIL": adminEmail})
}

// logInAt logs the tab in on the instance at origin through the login form.
func logInAt(tb *tab, origin string) {
	tb.t.Helper()
	if status := tb.openAt(origin, "/admin/login"); status != 200 {
		tb.t.Fatalf("GET /admin/login answered %d", status)
	}
	tb.do("filling in the login form",
		chromedp.SendKeys(chromedp.CSS(`#f-email`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), adminPassword))
	loadBy(tb, "logging in", chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	if path := eval[string](tb, `location.pathname`); path != "/admin" {
		tb.t.Fatalf("after logging in the page is %s, want /admin", path)
	}
	tb.assertClean("the dashboard")
}

// TestTimeOffRemovesTimesFromThePicker: the therapist logs in, adds a day
// off on her availability page, and the public picker no longer offers
// that day's times, while the other days keep theirs; removing the time off
// brings them back. It works six weeks after the week the picker opens on,
// which no booking test uses (see booking_test.go).
func TestTimeOffRemovesTimesFromThePicker(t *testing.T) {
	b := newBrowser(t)
	visitor, admin := b.newTab(t), b.newTab(t)

	// The visitor's picker, six weeks on, reached as a visitor would: the
	// week is the server's, not one worked out from the wall clock.
	openWeek(visitor, "60 minutes", 6)
	service := serviceValue(visitor, "60 minutes")
	slots := slotsIn(visitor, "#picker")
	if len(slots) == 0 {
		t.Fatalf("%s offers no free time", pickerHeading(visitor))
	}
	picker := fmt.Sprintf("/book?service=%s&location=studio&week=%s", service, slots[0].ukDate(t))
	visitor.open(picker)
	visitor.assertClean("the booking page")
	if got := slotsIn(visitor, "#picker"); len(got) != len(slots) || got[0] != slots[0] {
		t.Fatalf("the picker's own address for the week (%s) shows %d times from %s; Next week showed %d from %s",
			picker, len(got), pickerHeading(visitor), len(slots), slots[0].name())
	}
	day := slots[0].Legend // "Monday 9 February 2027"
	onDay := func(ss []slot) (n int) {
		for _, s := range ss {
			if s.Legend == day {
				n++
			}
		}
		return n
	}
	before := len(slots) - onDay(slots)
	date, err := time.ParseInLocation("Monday 2 January 2006", day, views.London)
	if err != nil {
		t.Fatalf("the day's legend %q: %v", day, err)
	}

	// The therapist adds the day off.
	logIn(admin)
	admin.open("/admin/availability")
	admin.assertClean("the availability page")
	admin.do("filling in the time off",
		chromedp.SetValue(chromedp.CSS(`#off-from-date`), date.Format(time.DateOnly)),
		chromedp.SendKeys(chromedp.CSS(`#off-note`), "Course"))
	loadBy(admin, "adding the time off", chromedp.Click(byText(`button`, "Add the time off")))
	listed := eval[string](admin, `[...document.querySelectorAll('.time-off-list li')].map(li => li.textContent.replace(/\s+/g, ' ')).join('\n')`)
	if !strings.Contains(listed, day+", all day — Course") {
		t.Fatalf("the time off list reads %q, want %q in it", listed, day+", all day — Course")
	}
	if status := eval[string](admin, `(document.querySelector('[role=status]') || {}).textContent || ''`); !strings.Contains(status, "added") {
		t.Errorf("after adding, the page says %q", status)
	}
	admin.assertClean("the availability page after adding time off")

	// The picker no longer offers the day, and still offers the others.
	visitor.open(picker)
	after := slotsIn(visitor, "#picker")
	if n := onDay(after); n != 0 {
		t.Errorf("the picker still offers %d times on %s, a day off", n, day)
	}
	if len(after) != before {
		t.Errorf("the other days offer %d times, want the %d they offered before", len(after), before)
	}
	visitor.assertClean("the booking page after the time off")

	// Removing the time off brings the day back.
	loadBy(admin, "removing the time off", chromedp.Click(byText(`.time-off-list button`, "Remove the time off "+day+", all day")))
	if n := eval[int](admin, `document.querySelectorAll('.time-off-list li').length`); n != 0 {
		t.Errorf("%d time off entries listed after removing the only one", n)
	}
	visitor.open(picker)
	if n := onDay(slotsIn(visitor, "#picker")); n != onDay(slots) {
		t.Errorf("after removing the time off %s offers %d times, want %d again", day, n, onDay(slots))
	}
	admin.assertClean("the availability page after removing time off")
}
