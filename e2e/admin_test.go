package e2e

import (
	"fmt"
	"maps"
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
// brings them back. While the day is off it is a full day as a visitor sees
// it: the strip marks it "full" (its accessible name says so), the page
// says everything is booked, offers "Join the waitlist for this day" (the
// waitlist form for that day) and "Next free: …" (that day's times, in
// place), and axe-core finds no serious problem on it. It works six weeks
// after the week the picker opens on, which no booking test uses (see
// booking_test.go).
func TestTimeOffRemovesTimesFromThePicker(t *testing.T) {
	b := newBrowser(t)
	visitor, admin := b.newTab(t), b.newTab(t)

	// The visitor's picker, six weeks on, reached as a visitor would: the
	// week and its first free day are the server's, not worked out from
	// the wall clock.
	openWeek(visitor, "60 minutes", 6)
	service := serviceValue(visitor, "60 minutes")
	slots := slotsIn(visitor, "#picker")
	if len(slots) == 0 {
		t.Fatalf("%s offers no free time", dayTitle(visitor))
	}
	day := slots[0].Day // "Monday 8 February"
	date := slots[0].ukDate(t)
	picker := pickerOf(t, service, slots[0])
	visitor.open(picker)
	visitor.assertClean("the booking page")
	if got := slotsIn(visitor, "#picker"); len(got) != len(slots) || got[0] != slots[0] {
		t.Fatalf("the day's own address (%s) shows %d times from %s; \"Later →\" showed %d from %s",
			picker, len(got), dayTitle(visitor), len(slots), slots[0].name())
	}
	freeOthers := func() map[string]string {
		m := map[string]string{}
		for _, d := range strip(visitor) {
			if d.Date != date {
				m[d.Date] = d.Name
			}
		}
		return m
	}
	before := freeOthers()

	// The therapist adds the day off.
	logIn(admin)
	admin.open("/admin/availability")
	admin.assertClean("the availability page")
	admin.do("filling in the time off",
		chromedp.SetValue(chromedp.CSS(`#off-from-date`), date),
		chromedp.SendKeys(chromedp.CSS(`#off-note`), "Course"))
	loadBy(admin, "adding the time off", chromedp.Click(byText(`button`, "Add the time off")))
	listed := eval[string](admin, `[...document.querySelectorAll('.time-off-list li')].map(li => li.textContent.replace(/\s+/g, ' ')).join('\n')`)
	whole, err := time.ParseInLocation(time.DateOnly, date, views.London)
	if err != nil {
		t.Fatal(err)
	}
	dayLong := whole.Format("Monday 2 January 2006")
	if !strings.Contains(listed, dayLong+", all day — Course") {
		t.Fatalf("the time off list reads %q, want %q in it", listed, dayLong+", all day — Course")
	}
	if status := eval[string](admin, `(document.querySelector('[role=status]') || {}).textContent || ''`); !strings.Contains(status, "added") {
		t.Errorf("after adding, the page says %q", status)
	}
	admin.assertClean("the availability page after adding time off")

	// The day is full; the others keep their times.
	visitor.open(picker)
	eval[bool](visitor, markPage)
	if n := len(slotsIn(visitor, "#picker")); n != 0 {
		t.Errorf("the picker still offers %d times on %s, a day off", n, day)
	}
	var entry stripDay
	for _, d := range strip(visitor) {
		if d.Date == date {
			entry = d
		}
	}
	if entry.State != "full" || !entry.Selected || entry.Name != day+", fully booked" {
		t.Errorf("in the strip the day off is %+v; want it chosen, marked full, named %q", entry, day+", fully booked")
	}
	if after := freeOthers(); !maps.Equal(after, before) {
		t.Errorf("the other days of the week read %v, want %v as before", after, before)
	}
	type none struct {
		Text     string `json:"text"`
		Waitlist string `json:"waitlist"`
		NextFree string `json:"nextFree"`
		NextHref string `json:"nextHref"`
	}
	got := eval[none](visitor, `(() => {
		const box = document.querySelector('#picker .day-none');
		if (!box) return {};
		const w = [...box.querySelectorAll('a')].find(a => a.textContent.trim() === 'Join the waitlist for this day');
		const n = box.querySelector('a.next-free');
		return {text: box.querySelector('p').textContent.trim(), waitlist: w ? w.getAttribute('href') : '',
			nextFree: n ? n.textContent.trim() : '', nextHref: n ? n.getAttribute('href') : ''};
	})()`)
	if got.Text != "Everything is booked on "+day+"." {
		t.Errorf("the full day says %q, want %q", got.Text, "Everything is booked on "+day+".")
	}
	if !strings.HasPrefix(got.Waitlist, "/book/waitlist?") || !strings.Contains(got.Waitlist, "date="+date) {
		t.Errorf(`the full day's "Join the waitlist for this day" leads to %q, want the waitlist form for %s`, got.Waitlist, date)
	}
	if !strings.HasPrefix(got.NextFree, "Next free: ") || !strings.Contains(got.NextHref, "date=") {
		t.Fatalf(`the full day offers no "Next free: …" link to a day (%+v)`, got)
	}
	visitor.assertClean("the full day")
	checkAxe(visitor, "a day with nothing free")

	// "Next free": that day's times, in place.
	nextDay := strings.TrimPrefix(got.NextFree, "Next free: ")
	swapBy(visitor, `clicking "`+got.NextFree+`"`, chromedp.Click(chromedp.CSS(`#picker a.next-free`)),
		fmt.Sprintf(`((document.querySelector('#day-title') || {}).textContent || '').trim() === %q`, nextDay))
	if n := len(slotsIn(visitor, "#picker")); n == 0 {
		t.Errorf(`"Next free" shows %s with no times`, dayTitle(visitor))
	}
	if !eval[bool](visitor, pageMarked) {
		t.Error(`"Next free" reloaded the page; it should swap the picker in place`)
	}
	if q := eval[string](visitor, `location.search`); !strings.Contains(q, "date=") || strings.Contains(q, "date="+date) {
		t.Errorf(`after "Next free" the address is …%s, want that day's own`, q)
	}
	visitor.assertClean("the next free day")

	// "Join the waitlist for this day": the form for the full day.
	visitor.open(got.Waitlist)
	if h := eval[string](visitor, `((document.querySelector('#waitlist-title') || document.querySelector('main h2') || {}).textContent || '').trim()`); !strings.Contains(h, day) {
		t.Errorf("the waitlist form for the full day is headed %q, want %s", h, day)
	}
	if v := eval[string](visitor, `(document.querySelector('main form input[name="date"]') || {}).value || ''`); v != date {
		t.Errorf("the waitlist form is for the day %q, want %s", v, date)
	}
	visitor.assertClean("the waitlist form for the full day")

	// Removing the time off brings the day back.
	loadBy(admin, "removing the time off", chromedp.Click(byText(`.time-off-list button`, "Remove the time off "+dayLong+", all day")))
	if n := eval[int](admin, `document.querySelectorAll('.time-off-list li').length`); n != 0 {
		t.Errorf("%d time off entries listed after removing the only one", n)
	}
	visitor.open(picker)
	if n := len(slotsIn(visitor, "#picker")); n != len(slots) {
		t.Errorf("after removing the time off %s offers %d times, want %d again", day, n, len(slots))
	}
	admin.assertClean("the availability page after removing time off")
}
