package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"dynamicmotion/views"
)

// Booking: the tests below and in booking_flow_test.go book through one
// database, one after the other. Each works in a week of its own, counted
// from the week the picker opens on (the week of the first free time), so
// that they do not take each other's times:
//
//	TestBookingByTouch (booking_flow_test.go)      the week it opens on (the first free time)
//	TestBookingByKeyboardOnly                      1 week later
//	TestBookingWithoutJavaScript                   2 weeks later
//	TestHoldBlocksSecondVisitor                    3 weeks later (holds only)
//	TestBookingBackForwardReload, …ServiceChange…  3 weeks later (holds only)
//	TestCancelAndMoveFromManagePage                4 weeks later (more than 24 h ahead)
//	TestAxeBookingFlow (axe_test.go)               5 weeks later
//	TestTimeOffRemovesTimesFromThePicker (admin)   6 weeks later (no booking)
//	TestBookAgainPrefills (booking_flow_test.go)   7 weeks later
//
// The weeks are reached by "Later →", as a visitor would: no test works out
// a day from the wall clock, so none depends on the day or the hour it
// runs. With the demo schedule the picker opens on this week or the next
// (when nothing is free this week any more: a Saturday evening, a Sunday),
// so seven weeks later starts less than eight weeks ahead, and the demo
// schedule books 8 weeks ahead: every one of those weeks has free times.
//
// Holds and bookings count against a limit of 30 in 10 minutes per address
// (kept in each instance's memory): on the main instance these tests make
// about 20. Bookings made count against 5 an hour per address as well: on
// the main instance, whose visitors are all 127.0.0.1, these tests make 5
// (TestBookingByTouch 2, …ByKeyboardOnly, …WithoutJavaScript,
// TestAxeBookingFlow). TestBookingServiceChangeKeepsFields,
// TestCancelAndMoveFromManagePage and TestBookAgainPrefills run on
// instances of their own, and TestHoldRefusedKeepsThePicker uses its
// instance's allowance up. An address may also hold only 3 times at once
// (db.MaxHoldsPerAddress, in the database, for 10 minutes): every test that
// holds gives its hold up when it ends (releaseAtEnd).

// dayTimeFormat is how a free time is named where it stands on its own
// ("Thursday 10 December, 09:00"), in UK time; bookedFormat is how a
// booking's page says when it is ("Thursday 10 December 2026, 09:00").
const (
	dayTimeFormat = "Monday 2 January, 15:04"
	bookedFormat  = "Monday 2 January 2006, 15:04"
)

// dayNamePattern is a day's heading in the picker, "Thursday 10 December".
var dayNamePattern = regexp.MustCompile(`^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) [1-9][0-9]? ` +
	`(January|February|March|April|May|June|July|August|September|October|November|December)$`)

// manageLink is the address of a client's own booking page (right after
// booking, with ?booked=1).
var manageLink = regexp.MustCompile(`^/bookings/[A-Za-z0-9_-]{20,64}(\?booked=1)?$`)

// clickTab opens a tab for a test that clicks around (every tab asks for
// reduced motion; see newTab).
func clickTab(t *testing.T) *tab {
	t.Helper()
	return openTab(t)
}

// slot is one free time the picker offers, as the page shows it.
type slot struct {
	Value string `json:"value"` // the control's value: the start, RFC 3339 UTC
	Day   string `json:"day"`   // the day's heading, "Thursday 10 December"
	Shown string `json:"shown"` // the time a sighted visitor sees, "09:00"
	Part  string `json:"part"`  // "Morning", "Afternoon" or "Evening"
	Held  bool   `json:"held"`  // marked as held by this visitor (or chosen, on the move page)
}

// name is the slot's day and time as the page shows them: "Thursday 10 December, 09:00".
func (s slot) name() string { return s.Day + ", " + s.Shown }

// start is the slot's start instant.
func (s slot) start(t *testing.T) time.Time {
	t.Helper()
	start, err := time.Parse(time.RFC3339, s.Value)
	if err != nil {
		t.Fatalf("a time's value %q is not RFC 3339: %v", s.Value, err)
	}
	return start
}

// ukName is the name the slot's start instant has in UK time.
func (s slot) ukName(t *testing.T) string {
	t.Helper()
	return s.start(t).In(views.London).Format(dayTimeFormat)
}

// booked is how a booking's page says when the slot is, with the year.
func (s slot) booked(t *testing.T) string {
	t.Helper()
	return s.start(t).In(views.London).Format(bookedFormat)
}

// ukDate is the day the slot starts on in UK time, as the picker's date
// parameter takes it (its value is in UTC, which can be the day before).
func (s slot) ukDate(t *testing.T) string {
	t.Helper()
	return s.start(t).In(views.London).Format(time.DateOnly)
}

// slotsJS lists the free times offered in the element matching the
// selector it is called with, in document order: the booking picker's
// buttons or the move page's radio buttons.
const slotsJS = `((scope) => [...document.querySelectorAll(scope + ' .times [name="start"]')].map(el => {
	const squash = s => (s || '').trim().replace(/\s+/g, ' ');
	const label = el.tagName === 'INPUT' ? (el.labels && el.labels[0]) : el;
	let h = el.closest('.grid, ul');
	h = h && h.previousElementSibling;
	return {
		value: el.value,
		day: squash((document.querySelector('#day-title') || {}).textContent),
		shown: label ? squash(label.textContent) : '',
		part: h && h.tagName === 'H3' ? squash(h.textContent) : '',
		held: el.tagName === 'INPUT' ? el.checked : el.classList.contains('held'),
	};
}))`

func slotsIn(tb *tab, scope string) []slot {
	tb.t.Helper()
	return eval[[]slot](tb, slotsJS+fmt.Sprintf(`(%q)`, scope))
}

// offered reports whether the page offers the time starting at value.
func offered(tb *tab, value string) bool {
	tb.t.Helper()
	return eval[bool](tb, fmt.Sprintf(`!!document.querySelector('#picker .times [name="start"][value=%q]')`, value))
}

// dayTitle is the text of the picker's heading: the day shown.
func dayTitle(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `((document.querySelector('#day-title') || {}).textContent || '').trim().replace(/\s+/g, ' ')`)
}

// weekShown is the strip's week, "7 to 13 December".
func weekShown(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `((document.querySelector('#picker .week-links span') || {}).textContent || '').trim()`)
}

// pickerStatus is the text of the picker's status: the day and how many
// times are free.
func pickerStatus(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `((document.querySelector('#picker-status') || {}).textContent || '').trim()`)
}

// pickerAnnounced is the text of the booking page's live region, which stays in
// the page while the picker is swapped and says what the new picker shows.
func pickerAnnounced(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `((document.querySelector('#picker-announce') || {}).textContent || '').trim()`)
}

// stripDay is one day of the picker's strip.
type stripDay struct {
	Href     string `json:"href"`  // its address, /book?…&date=YYYY-MM-DD
	Date     string `json:"date"`  // YYYY-MM-DD
	State    string `json:"state"` // "free", "full" or "closed"
	Name     string `json:"name"`  // its accessible name, "Thursday 10 December, 6 free times"
	Selected bool   `json:"selected"`
}

const stripJS = `[...document.querySelectorAll('#picker .day-strip a.day')].map(a => ({
	href: a.getAttribute('href'),
	date: (new URL(a.href).searchParams.get('date')) || '',
	state: ['free', 'full', 'closed'].find(c => a.classList.contains(c)) || '',
	name: ((a.querySelector('.visually-hidden') || {}).textContent || '').trim(),
	selected: a.getAttribute('aria-current') === 'date',
}))`

func strip(tb *tab) []stripDay {
	tb.t.Helper()
	return eval[[]stripDay](tb, stripJS)
}

// byText selects the first element matching css whose text is text.
func byText(css, text string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(e => e.textContent.trim().replace(/\s+/g, ' ') === %q).slice(0, 1)`, css, text))
}

// serviceValue is the value of the service radio whose label mentions what
// ("60 minutes").
func serviceValue(tb *tab, what string) string {
	tb.t.Helper()
	v := eval[string](tb, fmt.Sprintf(`(() => {
		const i = [...document.querySelectorAll('input[name="service"]')].find(i => i.closest('label').textContent.includes(%q));
		return i ? i.value : '';
	})()`, what))
	if v == "" {
		tb.t.Fatalf("the booking page offers no service with %q in its name", what)
	}
	return v
}

// loadBy runs an action that makes the tab load a new document (a plain
// link or form) and waits until it has loaded.
func loadBy(tb *tab, what string, action chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, action)); err != nil {
		tb.t.Fatalf("%s did not load a page: %v", what, err)
	}
}

// swapBy runs an action that makes htmx swap part of the page, waits until
// cond (a JavaScript expression) holds and the page has settled.
func swapBy(tb *tab, what string, action chromedp.Action[chromedp.Void], cond string) {
	tb.t.Helper()
	tb.do(what, action)
	waitFor(tb, what+" has its effect", cond)
	settled(tb)
}

// laterInPlace follows "Later →" in the picker (htmx) and waits for the
// next week to be swapped in.
func laterInPlace(tb *tab) {
	tb.t.Helper()
	before := weekShown(tb)
	swapBy(tb, `clicking "Later →"`, chromedp.Click(chromedp.CSS(`#picker a[rel="next"]`)),
		fmt.Sprintf(`((document.querySelector('#picker .week-links span') || {}).textContent || '').trim() !== %q`, before))
}

// dayInPlace follows a day of the strip (htmx) and waits for it to be shown.
func dayInPlace(tb *tab, d stripDay) {
	tb.t.Helper()
	swapBy(tb, "clicking the day "+d.Name, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#picker .day-strip a.day[href=%q]`, d.Href))),
		fmt.Sprintf(`!!document.querySelector('#picker .day-strip a.day[href=%q][aria-current="date"]')`, d.Href))
}

// openWeek opens the booking page for a service at the studio and moves
// weeks weeks on from the week it opens on, in place. The day shown is the
// first day of that week with a free time.
func openWeek(tb *tab, service string, weeks int) {
	tb.t.Helper()
	tb.open("/book")
	v := serviceValue(tb, service)
	tb.open("/book?service=" + v + "&location=studio")
	tb.assertClean("the booking page")
	for range weeks {
		laterInPlace(tb)
	}
}

// detailsShown is a JavaScript expression: the details step is on the page.
const detailsShown = `!!document.querySelector('#book-flow #details-title')`

// holdTime chooses the time s in the picker (one click on its button:
// htmx holds it and swaps in the details form) and waits for the form.
func holdTime(tb *tab, s slot) {
	tb.t.Helper()
	swapBy(tb, "choosing "+s.name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`#picker .times button[name="start"][value=%q]`, s.Value))), detailsShown)
}

// holdFirstFreeTime chooses the first free time of the day shown and
// returns it, once the details form is on the page.
func holdFirstFreeTime(tb *tab) slot {
	tb.t.Helper()
	slots := slotsIn(tb, "#picker")
	if len(slots) == 0 {
		tb.t.Fatalf("%s offers no free time", dayTitle(tb))
	}
	holdTime(tb, slots[0])
	return slots[0]
}

// releaseAtEnd gives up, when the test ends, the time the tab's visitor
// holds, if any: an address may hold only a few times at once (see
// db.MaxHoldsPerAddress), so a test that leaves one behind would take one of
// those from the tests after it for the length of a hold.
func releaseAtEnd(tb *tab) {
	tb.t.Helper()
	tb.t.Cleanup(func() {
		// Best effort from whatever page of the site the tab is on; the
		// browser closes after this (its cleanup was registered first).
		_, _ = chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](`(async () => {
			if (!location.href.startsWith('http://127.0.0.1:')) return;
			await fetch('/book/release', {method: 'POST', redirect: 'manual'});
		})()`, chromedp.EvalAwaitPromise))
	})
}

// fillDetails fills the details form as a client would with a mouse: name,
// e-mail, phone, every health question No, and both consents.
func fillDetails(tb *tab, name, email string) {
	tb.t.Helper()
	tb.do("filling in the details",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "07700 900123"),
	)
	for _, q := range eval[[]string](tb, `[...new Set([...document.querySelectorAll('#details input[type="radio"][name^="health_"]')].map(i => i.name))]`) {
		tb.do("answering "+q+" No", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#details input[name=%q][value="no"]`, q))))
	}
	tb.do("agreeing to the policy and to keeping the health answers",
		chromedp.Click(chromedp.CSS(`#details input[name="consent_policy"]`)),
		chromedp.Click(chromedp.CSS(`#details input[name="consent_health"]`)),
	)
}

// formMessages is what the details form says is wrong, for failure messages.
const formMessages = `[...document.querySelectorAll('main .field-error, main .form-notice, #flash')].map(e => e.textContent.trim().replace(/\s+/g, ' ')).filter(Boolean).join(' | ')`

// book submits the filled details form and returns the path of the
// booking's own page it lands on (POST /book → 303 → /bookings/<token>).
func book(tb *tab) string {
	tb.t.Helper()
	loadBy(tb, `clicking "Book"`, chromedp.Click(byText(`#details form button`, "Book")))
	return bookedPath(tb)
}

// bookedPath is the path of the booking's own page the tab is on; it fails
// the test when the tab is elsewhere.
func bookedPath(tb *tab) string {
	tb.t.Helper()
	path := eval[string](tb, `location.pathname`)
	if !manageLink.MatchString(path) {
		tb.t.Fatalf("booking landed on %s, want /bookings/<token>; the page's messages: %s", path, eval[string](tb, formMessages))
	}
	// The page right after booking says so, and where the confirmation goes.
	if got := eval[string](tb, `location.search + ' ' + document.querySelector('h1').textContent.trim() + ' ' + ((document.querySelector('main .lead') || {}).textContent || '').trim()`); !strings.HasPrefix(got, "?booked=1 You’re booked A confirmation is on its way to ") {
		tb.t.Errorf("right after booking the page says %q, want ?booked=1, \"You’re booked\" and where the confirmation goes", got)
	}
	return path
}

// bookingFacts reads the "When" and "Name" of a booking's own page, and
// whether it says it is cancelled.
type bookingFacts struct {
	H1        string `json:"h1"`
	When      string `json:"when"`
	Name      string `json:"name"`
	Cancelled bool   `json:"cancelled"`
	Notice    string `json:"notice"`
}

const bookingFactsJS = `(() => {
	const squash = s => (s || '').trim().replace(/\s+/g, ' ');
	const dd = term => {
		const dt = [...document.querySelectorAll('.booking-facts dt')].find(d => squash(d.textContent) === term);
		return dt ? squash(dt.nextElementSibling.textContent) : '';
	};
	return {
		h1: squash((document.querySelector('h1') || {}).textContent),
		when: dd('When'), name: dd('Name'),
		cancelled: /This booking is cancelled|^Cancelled/.test(squash(document.querySelector('main').textContent)),
		notice: [...document.querySelectorAll('main .form-notice')].map(p => squash(p.textContent)).join(' | '),
	};
})()`

func readBooking(tb *tab) bookingFacts {
	tb.t.Helper()
	return eval[bookingFacts](tb, bookingFactsJS)
}

// checkBooked checks that the tab shows the booking of s for name.
func checkBooked(t *testing.T, tb *tab, s slot, name string) {
	t.Helper()
	if b := readBooking(tb); !strings.HasPrefix(b.When, s.booked(t)+" to ") || b.Name != name || b.Cancelled {
		t.Errorf("the booking's page shows %+v; want %s's booking at %s", b, name, s.booked(t))
	}
}

// axNames returns the accessible names Chromium computes for the controls
// of a role ("button"), in the order of its accessibility tree.
func axNames(tb *tab, role string) []string {
	tb.t.Helper()
	res, err := chromedp.Call(tb.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		tb.t.Fatalf("reading the accessibility tree: %v", err)
	}
	str := func(v *accessibility.Value) string {
		if v == nil || len(v.Value) == 0 {
			return ""
		}
		var s string
		if err := json.Unmarshal(v.Value, &s); err != nil {
			return string(v.Value)
		}
		return s
	}
	var names []string
	for _, n := range res.Nodes {
		if !n.Ignored && str(n.Role) == role {
			names = append(names, str(n.Name))
		}
	}
	return names
}

// checkSlots checks that the day's times in scope are what they say: each
// shows its start in UK time under the day's heading, on the day shown, in
// the right part of the day, and the day's group of times is named by that
// heading in the accessibility tree.
func checkSlots(t *testing.T, tb *tab, scope string) []slot {
	t.Helper()
	slots := slotsIn(tb, scope)
	if len(slots) == 0 {
		t.Fatalf("%s offers no free times to check (%s)", scope, dayTitle(tb))
	}
	bad := 0
	for _, s := range slots {
		local := s.start(t).In(views.London)
		part := map[bool]string{true: "Morning"}[local.Hour() < 12]
		if part == "" {
			part = map[bool]string{true: "Afternoon", false: "Evening"}[local.Hour() < 17]
		}
		if !dayNamePattern.MatchString(s.Day) || s.name() != s.ukName(t) || s.Part != part {
			t.Errorf("the time %s is shown as %q under %q in %q, want %q in %q: the day and the time in UK time", s.Value, s.Shown, s.Day, s.Part, s.ukName(t), part)
			if bad++; bad == 3 {
				t.FailNow()
			}
		}
	}
	group := "group"
	if eval[bool](tb, `!!document.querySelector('`+scope+` .times[role="radiogroup"]')`) {
		group = "radiogroup"
	}
	if names := axNames(tb, group); !slices.Contains(names, slots[0].Day) {
		t.Errorf("no %s in the accessibility tree is named %q, the day of the times (the %ss are named %q): a screen reader must hear which day the times are on",
			group, slots[0].Day, group, names)
	}
	return slots
}

// pageFits checks that the current page does not scroll sideways at the
// width it is shown at.
func pageFits(t *testing.T, tb *tab, what string) {
	t.Helper()
	f := eval[pageFacts](tb, pageFactsJS)
	if width := eval[int](tb, `document.documentElement.clientWidth`); f.ScrollWidth > width {
		t.Errorf("%s scrolls sideways on a %dpx-wide screen: it is %dpx wide; too wide: %s",
			what, width, f.ScrollWidth, strings.Join(f.Overflowing, ", "))
	}
}

// documents records the documents a tab requests, with the redirects that
// led to them.
type documents struct {
	mu   sync.Mutex
	docs []navigation
}

func recordDocuments(tb *tab) *documents {
	tb.t.Helper()
	d := &documents{}
	if err := chromedp.Listen(tb.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Type == network.ResourceTypeDocument {
			n := navigation{method: e.Request.Method, url: e.Request.URL}
			if e.RedirectResponse != nil {
				n.redirectStatus, n.redirectFrom = e.RedirectResponse.Status, e.RedirectResponse.URL
			}
			d.mu.Lock()
			d.docs = append(d.docs, n)
			d.mu.Unlock()
		}
	}); err != nil {
		tb.t.Fatal(err)
	}
	return d
}

// take returns the documents requested since the last call.
func (d *documents) take() []navigation {
	d.mu.Lock()
	defer d.mu.Unlock()
	docs := d.docs
	d.docs = nil
	return docs
}

// checkRedirect checks that one of docs was a 303 from POST fromPath to a
// GET of a path that matches toPath.
func checkRedirect(t *testing.T, docs []navigation, fromPath string, toPath *regexp.Regexp) {
	t.Helper()
	var seen []string
	for _, d := range docs {
		seen = append(seen, fmt.Sprintf("%s %s (redirected %d from %s)", d.method, d.url, d.redirectStatus, d.redirectFrom))
		if d.redirectStatus == 303 && d.redirectFrom == baseURL+fromPath && d.method == "GET" &&
			toPath.MatchString(strings.TrimPrefix(d.url, baseURL)) {
			return
		}
	}
	t.Errorf("POST %s was not answered 303 and followed to GET %s; the documents requested were:\n  %s",
		fromPath, toPath, strings.Join(seen, "\n  "))
}

// keyboard is a person using only the keyboard in a tab.
type keyboard struct {
	t       *testing.T
	tb      *tab
	order   []string // where the focus went, for failure messages
	presses int      // keys pressed, typing aside
}

// press presses one key (kb.Tab, kb.ArrowDown, " ", kb.Enter …).
func (k *keyboard) press(key string, shift bool) {
	k.t.Helper()
	var opts []chromedp.KeyOption
	if shift {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	k.presses++
	k.tb.do("pressing "+keyName(key, shift), chromedp.KeyEvent(key, opts...))
}

func keyName(key string, shift bool) string {
	name := map[string]string{kb.Tab: "Tab", kb.Enter: "Enter", " ": "Space", kb.ArrowDown: "ArrowDown", kb.ArrowUp: "ArrowUp",
		kb.ArrowRight: "ArrowRight", kb.ArrowLeft: "ArrowLeft", kb.Home: "Home", kb.End: "End"}[key]
	if name == "" {
		name = fmt.Sprintf("%q", key)
	}
	if shift {
		name = "Shift+" + name
	}
	return name
}

// focusedJS describes the focused element for the messages.
const focusedJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return '<body>';
	const label = el.labels && el.labels[0] ? ' "' + el.labels[0].textContent.trim().replace(/\s+/g, ' ').slice(0, 60) + '"' : '';
	return '<' + el.tagName.toLowerCase() + (el.id ? ' id="' + el.id + '"' : '') + (el.name ? ' name="' + el.name + '"' : '') +
		(el.type && el.tagName !== 'BUTTON' ? ' type="' + el.type + '"' : '') + (el.value && el.type === 'radio' ? ' value="' + el.value + '"' : '') + '>' +
		(label || ' ' + el.textContent.trim().replace(/\s+/g, ' ').slice(0, 60));
})()`

func (k *keyboard) focused() string {
	k.t.Helper()
	return eval[string](k.tb, focusedJS)
}

// is evaluates cond, a JavaScript expression about el, the focused element.
func (k *keyboard) is(cond string) bool {
	k.t.Helper()
	return eval[bool](k.tb, `((el) => !!el && el !== document.body && !!(`+cond+`))(document.activeElement)`)
}

// tabTo presses Tab (Shift+Tab when back) until the focused element el
// makes cond true, at most max times.
func (k *keyboard) tabTo(what, cond string, back bool, max int) {
	k.t.Helper()
	for i := 0; i < max; i++ {
		k.press(kb.Tab, back)
		k.order = append(k.order, keyName(kb.Tab, back)+" → "+k.focused())
		if k.is(cond) {
			return
		}
	}
	tail := k.order
	if len(tail) > 40 {
		tail = tail[len(tail)-40:]
	}
	k.t.Fatalf("%d presses of %s never reach %s; the focus went:\n  %s", max, keyName(kb.Tab, back), what, strings.Join(tail, "\n  "))
}

// typeText types s into the focused field.
func (k *keyboard) typeText(s string) {
	k.t.Helper()
	k.tb.do("typing "+s, chromedp.KeyEvent(s))
}

// Keystroke budgets of the keyboard path (issue 14: it took 83 presses of
// an arrow key to reach a Thursday afternoon). Measured in December 2026
// with the seeded schedule (a start every 15 minutes: 12 morning times to
// pass with the arrow keys): 21 presses from the day's heading to holding
// the Thursday's first afternoon time, 36 from /book (skip link, another
// service, "Later →", the day, the time), 23 from the details form to
// booked. Typing the name, e-mail and phone is not counted.
const (
	maxKeysDayAndTime = 24 // from the week's heading to holding an afternoon time on a later day
	maxKeysToHold     = 40 // from /book, with another service and the next week
	maxKeysToBook     = 25 // from the details form's heading to booked
)

// TestBookingByKeyboardOnly: someone who uses only the keyboard books from
// the start: Tab to the services and ArrowDown to the 60-minute one (the
// picker is swapped and the focus stays on the choice), Tab to "Later →"
// and Enter (the next week's first free day is swapped in, the focus moves
// to the day's heading and the live region tells the day), back to a later
// day of the strip and Enter (the same), Tab into that day's times — one
// stop, the arrow keys move inside it — to the first afternoon time, Enter
// (it is held and the details form is swapped in, with the focus on its
// heading and the address of its own), the form filled in by typing, Space
// on "None of these apply to me" and on both consents, and Enter on Book.
// The focus never falls to the page's body after a swap, no swap reloads
// the page, and the keystrokes stay within the budgets above.
func TestBookingByKeyboardOnly(t *testing.T) {
	tb := openTab(t)
	releaseAtEnd(tb)
	k := &keyboard{t: t, tb: tb}
	tb.open("/book")
	tb.assertClean("the booking page")
	eval[bool](tb, markPage)
	eval[bool](tb, `window.__announcer = document.getElementById('picker-announce'); !!window.__announcer`)
	notLost := func(after string) {
		t.Helper()
		if eval[bool](tb, `!document.activeElement || document.activeElement === document.body`) {
			t.Errorf("after %s the focus fell to the page's body: a keyboard or screen reader user starts again at the top", after)
		}
		if !eval[bool](tb, pageMarked) {
			t.Fatalf("%s reloaded the page; it should swap in place", after)
		}
	}

	// The page starts at the top: a keyboard or screen reader user meets the
	// heading and the choice of service before the times.
	if k.is(`el.closest('#picker')`) {
		t.Errorf("when /book loads, the focus jumps into the picker (%s), past the choice of service and place", k.focused())
	}

	// The skip link, then the service with the arrow keys: the picker is
	// swapped in place.
	k.tabTo("the skip link", `el.textContent.trim() === 'Skip to main content'`, false, 2)
	k.press(kb.Enter, false)
	waitFor(tb, "the skip link has moved the focus to the main content", `document.activeElement && document.activeElement.id === 'main'`)
	k.tabTo("the services", `el.name === 'service'`, false, 3)
	if !k.is(`el.checked && el.closest('label').textContent.includes('30 minutes')`) {
		t.Errorf("Tab into the services focuses %s, want the chosen one (30 minutes)", k.focused())
	}
	k.press(kb.ArrowDown, false)
	if !k.is(`el.name === 'service' && el.checked && el.closest('label').textContent.includes('60 minutes')`) {
		t.Fatalf("ArrowDown in the services leaves the focus on %s, want the 60-minute service, chosen", k.focused())
	}
	service := eval[string](tb, `document.activeElement.value`)
	waitFor(tb, "the picker shows the 60-minute service's times", fmt.Sprintf(`!!document.querySelector('#picker form.slots input[name="service"][value=%q]')`, service))
	settled(tb)
	notLost("choosing a service")
	if !k.is(`el.name === 'service' && el.checked && el.closest('label').textContent.includes('60 minutes')`) {
		t.Errorf("after the picker was swapped for the 60-minute service the focus is on %s; it should stay on the service", k.focused())
	}
	if s := pickerAnnounced(tb); s == "" || s != pickerStatus(tb) || !strings.Contains(s, dayTitle(tb)) || !strings.Contains(s, "free") {
		t.Errorf("after choosing a service the live region #picker-announce says %q (the picker's status: %q); it should say the day and how many times are free", s, pickerStatus(tb))
	}

	// Later →: the next week's first free day, the focus on its heading.
	k.tabTo(`"Later →"`, `el.matches('#picker a[rel="next"]')`, false, 15)
	week := weekShown(tb)
	k.press(kb.Enter, false)
	waitFor(tb, "the next week is swapped in", fmt.Sprintf(`((document.querySelector('#picker .week-links span') || {}).textContent || '').trim() !== %q`, week))
	settled(tb)
	notLost(`"Later →"`)
	if !k.is(`el.id === 'day-title'`) {
		t.Errorf(`after "Later →" the focus is on %s; it should move to the day's heading`, k.focused())
	}
	if got := pickerAnnounced(tb); got != pickerStatus(tb) || !strings.HasPrefix(got, dayTitle(tb)+", ") {
		t.Errorf(`after "Later →" the live region says %q, want the new day's status %q`, got, pickerStatus(tb))
	}
	if !eval[bool](tb, `window.__announcer === document.getElementById('picker-announce')`) {
		t.Error(`the live region #picker-announce was not kept in the page across the swap: screen readers may not announce a region swapped in whole`)
	}

	// A later day of the strip: the fourth day with free times (a Thursday
	// when Monday to Thursday have some), else the last one.
	days := strip(tb)
	var free []stripDay
	for _, d := range days {
		if d.State == "free" {
			free = append(free, d)
		}
	}
	if len(free) < 2 || !free[0].Selected {
		t.Fatalf("the strip of the week after the first has %d days with free times (%+v); the first of them should be chosen and another should follow", len(free), days)
	}
	target := free[min(3, len(free)-1)]
	atWeek := k.presses
	k.tabTo("the day "+target.Name, fmt.Sprintf(`el.matches('#picker a.day[href=%q]')`, target.Href), true, 12)
	k.press(kb.Enter, false)
	waitFor(tb, "the day is swapped in", fmt.Sprintf(`!!document.querySelector('#picker a.day[href=%q][aria-current="date"]')`, target.Href))
	settled(tb)
	notLost("choosing a day")
	if !k.is(`el.id === 'day-title'`) {
		t.Errorf("after choosing %s the focus is on %s; it should move to the day's heading", target.Name, k.focused())
	}
	if got, name := pickerAnnounced(tb), strings.TrimSuffix(target.Name, "."); !strings.HasPrefix(got, name) {
		t.Errorf("after choosing %s the live region says %q, want the day and its free times", target.Name, got)
	}
	if got := eval[string](tb, `location.search`); !strings.Contains(got, "date="+target.Date) || !strings.Contains(got, "service="+service) {
		t.Errorf("after choosing %s the address is …%s; it should be the day's own (date=%s)", target.Name, got, target.Date)
	}
	slots := checkSlots(t, tb, "#picker")

	// Into the times: one stop; the arrows move to the first afternoon time.
	k.tabTo("the day's times", `el.name === 'start'`, false, 3)
	if !k.is(fmt.Sprintf(`el.value === %q`, slots[0].Value)) {
		t.Errorf("Tab into the times focuses %s, want the first free time (%s)", k.focused(), slots[0].name())
	}
	if f := eval[focused](tb, activeElementJS); f.OutlineStyle == "none" || f.OutlineWidth == "0px" || !f.FocusVisible {
		t.Errorf("the focused time %q shows no focus indicator (outline %s %s, :focus-visible %v)", f.Text, f.OutlineStyle, f.OutlineWidth, f.FocusVisible)
	}
	if r := focusRingContrast(tb); r < 3 {
		t.Errorf("the focus ring of the focused time has contrast %.2f:1 with what surrounds it, want at least 3:1", r)
	}
	chosen := slots[0]
	for i, s := range slots {
		if s.Part == "Afternoon" {
			chosen = s
			for range i {
				k.press(kb.ArrowRight, false)
			}
			break
		}
	}
	if !k.is(fmt.Sprintf(`el.value === %q`, chosen.Value)) {
		t.Fatalf("the arrow keys in the times lead to %s, want %s", k.focused(), chosen.name())
	}
	// The group is one stop: Tab leaves it, Shift+Tab comes back to the
	// same time (two presses of the test's own, not counted).
	k.press(kb.Tab, false)
	if k.is(`el.name === 'start'`) {
		t.Errorf("Tab from a time goes to another time (%s): the day's times should be one stop for Tab, with the arrow keys inside", k.focused())
	}
	k.press(kb.Tab, true)
	if !k.is(fmt.Sprintf(`el.value === %q`, chosen.Value)) {
		t.Errorf("Shift+Tab back into the times focuses %s, want the time the arrows had reached (%s)", k.focused(), chosen.name())
	}
	k.presses -= 2
	k.press(kb.Enter, false)
	waitFor(tb, "the details form replaces the picker", detailsShown)
	settled(tb)
	notLost("choosing a time")
	toHold, dayAndTime := k.presses, k.presses-atWeek
	t.Logf("keystrokes to hold %s (60 minutes, the week after the first): %d from /book, %d from the week's first day", chosen.name(), toHold, dayAndTime)
	if toHold > maxKeysToHold || dayAndTime > maxKeysDayAndTime {
		t.Errorf("it took %d keystrokes from /book (budget %d), %d from the week's heading (budget %d), to hold a time; the focus went:\n  %s",
			toHold, maxKeysToHold, dayAndTime, maxKeysDayAndTime, strings.Join(k.order, "\n  "))
	}
	if !k.is(`el.id === 'details-title'`) {
		t.Errorf("after choosing a time the focus is on %s; it should move to the details form's heading", k.focused())
	}
	if got := eval[string](tb, `location.pathname + location.search`); !strings.HasPrefix(got, "/book/details?") || !strings.Contains(got, url.QueryEscape(chosen.Value)) {
		t.Errorf("the details step's address is %s, want /book/details?…start=%s", got, chosen.Value)
	}
	if got := eval[string](tb, `document.querySelector('#details .chosen').textContent.trim().replace(/\s+/g, ' ')`); !strings.Contains(got, chosen.booked(t)) || !strings.Contains(got, "60 minutes") {
		t.Errorf("the details form says %q, want the 60-minute service at %s", got, chosen.booked(t))
	}
	if hold := eval[string](tb, `[...document.querySelectorAll('#details .hint')].map(p => p.textContent).join(' ')`); !strings.Contains(hold, "holding this time for you until") {
		t.Errorf("the details form does not say how long the time is held: %q", hold)
	}
	tb.assertClean("the details form swapped in")

	// The details, typed; "None of these apply to me", both consents.
	const name, email = "Kim Keyboard", "kim.keyboard@example.com"
	for i := 0; ; i++ {
		if i == 40 {
			t.Fatalf("40 presses of Tab never reach Book; the focus went:\n  %s", strings.Join(k.order, "\n  "))
		}
		k.press(kb.Tab, false)
		k.order = append(k.order, "Tab → "+k.focused())
		switch {
		case k.is(`el.id === 'f-name'`):
			k.typeText(name)
		case k.is(`el.id === 'f-email'`):
			k.typeText(email)
		case k.is(`el.id === 'f-phone'`):
			k.typeText("07700 900456")
		case k.is(`el.name === 'health_none' || el.name === 'consent_policy' || el.name === 'consent_health'`):
			k.press(" ", false)
		case k.is(`el.type === 'radio' && el.name.startsWith('health_')`):
			// "None of these" answered them: Tab goes on through each.
		}
		if k.is(`el.tagName === 'BUTTON' && el.textContent.trim() === 'Book'`) {
			break
		}
	}
	type form struct {
		Name, Email, Phone string
		No                 []string
		Consents           int
	}
	got := eval[form](tb, `({Name: document.querySelector('#f-name').value, Email: document.querySelector('#f-email').value,
		Phone: document.querySelector('#f-phone').value,
		No: [...document.querySelectorAll('input[name^="health_"][value="no"]:checked')].map(i => i.name),
		Consents: document.querySelectorAll('input[type="checkbox"][name^="consent_"]:checked').length})`)
	questions := eval[int](tb, `new Set([...document.querySelectorAll('input[type="radio"][name^="health_"]')].map(i => i.name)).size`)
	if got.Name != name || got.Email != email || got.Phone != "07700 900456" || len(got.No) != questions || questions < 5 || got.Consents != 2 {
		t.Fatalf("after filling the form by keyboard it holds %+v (of %d questions); want the typed name, email and phone, No to every question (by \"None of these apply to me\") and both consents", got, questions)
	}
	loadBy(tb, `pressing Enter on "Book"`, chromedp.KeyEvent(kb.Enter))
	k.presses++
	toBook := k.presses - toHold
	t.Logf("keystrokes from the details form to booked (typing aside): %d; in all: %d", toBook, k.presses)
	if toBook > maxKeysToBook {
		t.Errorf("it took %d keystrokes from the details form to booked (budget %d)", toBook, maxKeysToBook)
	}
	bookedPath(tb)
	checkBooked(t, tb, chosen, name)
	tb.assertClean("the booking's own page")
}

// bookedLink is where POST /book sends a client once booked.
var bookedLink = regexp.MustCompile(`^/bookings/[A-Za-z0-9_-]{20,64}(\?booked=1)?$`)

// TestBookingWithoutJavaScript: with scripting off, on a phone, the whole
// booking works with plain links and forms: "Show free times" for the
// service, "Later →" and a day of the strip as links (each the booking
// page at its own address), a time's button (POST /book/hold → 303 → the
// details page at its own address), a mistake in the email comes back as a
// 422 page with the message by the field and everything else kept ("None of
// these apply to me" answered every health question No on the server), and
// the corrected form books (POST → 303 → the booking's page). No page
// scrolls sideways at 375px, and axe-core finds no serious or critical
// problem on any of them.
func TestBookingWithoutJavaScript(t *testing.T) {
	tb := clickTab(t)
	releaseAtEnd(tb)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	tb.do("setting a phone viewport", chromedp.EmulateViewport(phoneWidth, 800))
	docs := recordDocuments(tb)

	tb.open("/book")
	if eval[bool](tb, `typeof window.htmx !== 'undefined'`) {
		t.Fatal("htmx ran although JavaScript is off: the test would not show the plain forms")
	}
	tb.assertClean("the booking page without JavaScript")
	checkAxeWithoutJS(tb, "the booking page without JavaScript")
	pageFits(t, tb, "the booking page")

	// The service, with the <noscript> button.
	service := serviceValue(tb, "90 minutes")
	tb.do("choosing the 90-minute service", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="service"][value=%q]`, service))))
	loadBy(tb, `clicking "Show free times"`, chromedp.Click(byText(`form.book-choice button`, "Show free times")))
	if q := eval[string](tb, `location.search`); !strings.Contains(q, "service="+service) || !strings.Contains(q, "location=studio") {
		t.Errorf(`"Show free times" went to %s, want /book?service=%s&location=studio`, eval[string](tb, `location.href`), service)
	}
	// The day being looked at is kept when it has a 90-minute time, else
	// the next day that has one is shown: times either way.
	if !eval[bool](tb, fmt.Sprintf(`!!document.querySelector('#picker form.slots input[name="service"][value=%q]')`, service)) {
		t.Fatalf(`after "Show free times" the picker's times are not those of the 90-minute service:\n%s`,
			eval[string](tb, `document.querySelector('#picker').innerText`))
	}
	if !eval[bool](tb, `document.querySelector('input[name="service"][value="`+service+`"]').checked`) {
		t.Error("the page after \"Show free times\" no longer shows the 90-minute service as chosen")
	}

	// Two weeks on, by the plain links.
	for i := range 2 {
		week := weekShown(tb)
		loadBy(tb, `clicking "Later →"`, chromedp.Click(chromedp.CSS(`#picker a[rel="next"]`)))
		if got := weekShown(tb); got == week {
			t.Fatalf("\"Later →\" (%d) still shows %q", i+1, got)
		}
		if q := eval[string](tb, `location.pathname + location.search`); !strings.HasPrefix(q, "/book?") || !strings.Contains(q, "week=") {
			t.Errorf(`"Later →" went to %s, want /book?…&week=YYYY-MM-DD`, q)
		}
	}
	// A later day of the strip, by its link.
	days := strip(tb)
	chosenDay := slices.IndexFunc(days, func(d stripDay) bool { return d.Selected })
	later := slices.IndexFunc(days, func(d stripDay) bool { return d.State == "free" && chosenDay >= 0 && d.Date > days[chosenDay].Date })
	if later < 0 {
		t.Fatalf("the strip offers no later day with free times after the one chosen: %+v", days)
	}
	next := days[later]
	loadBy(tb, "clicking the day "+next.Name, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#picker a.day[href=%q]`, next.Href))))
	if q := eval[string](tb, `location.pathname + location.search`); q != next.Href {
		t.Errorf("the day's link went to %s, want %s", q, next.Href)
	}
	if d := strip(tb); !slices.ContainsFunc(d, func(d stripDay) bool { return d.Href == next.Href && d.Selected }) {
		t.Errorf("after following %s the strip marks another day as chosen: %+v", next.Name, d)
	}
	tb.assertClean("a later day without JavaScript")
	checkAxeWithoutJS(tb, "a later day without JavaScript")
	pageFits(t, tb, "the picker")
	slots := checkSlots(t, tb, "#picker")

	// A time: POST /book/hold → 303 → /book/details?….
	chosen := slots[0]
	docs.take()
	loadBy(tb, "clicking the time "+chosen.name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`#picker button[name="start"][value=%q]`, chosen.Value))))
	checkRedirect(t, docs.take(), "/book/hold", regexp.MustCompile(`^/book/details\?.*start=`+regexp.QuoteMeta(url.QueryEscape(chosen.Value))))
	if got := eval[string](tb, `document.querySelector('.chosen').textContent.trim().replace(/\s+/g, ' ')`); !strings.Contains(got, chosen.booked(t)) {
		t.Errorf("the details page says %q, want %s", got, chosen.booked(t))
	}
	tb.assertClean("the details page without JavaScript")
	checkAxeWithoutJS(tb, "the details page without JavaScript")
	pageFits(t, tb, "the details page")

	// A mistake: 422, the message by the email field, the rest kept.
	const name, phone, notes = "Nina No-Script", "07700 900123", "Left calf, after a half marathon."
	tb.do("filling in the details with a mistake in the email",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "nina@example"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), phone),
		chromedp.SendKeys(chromedp.CSS(`#f-notes`), notes),
		chromedp.Click(chromedp.CSS(`input[name="health_none"]`)),
		chromedp.Click(chromedp.CSS(`input[name="consent_policy"]`)),
		chromedp.Click(chromedp.CSS(`input[name="consent_health"]`)),
	)
	if n := eval[int](tb, `document.querySelectorAll('input[name^="health_"][value="no"]:checked').length`); n != 0 {
		t.Fatalf("without JavaScript, ticking \"None of these apply to me\" checked %d answers in the page: the test must leave that to the server", n)
	}
	tb.expectStatus("/book", 422)
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(byText(`form button`, "Book")))
	if err != nil {
		t.Fatalf(`clicking "Book" with a bad email: %v`, err)
	}
	if resp.Status != 422 {
		t.Errorf("a bad email was answered %d, want 422 with the form again", resp.Status)
	}
	type fieldState struct {
		Name, Email, Phone, Notes, Start string
		Error, Described, Invalid        string
		No, Consents                     int
		None                             bool
		OtherErrors                      []string
	}
	state := eval[fieldState](tb, `(() => {
		const v = s => (document.querySelector(s) || {}).value || '';
		const email = document.querySelector('#f-email');
		const err = document.querySelector('#f-email-error');
		return {Name: v('#f-name'), Email: v('#f-email'), Phone: v('#f-phone'), Notes: v('#f-notes'), Start: v('input[name="start"]'),
			Error: err ? err.textContent.trim() : '', Described: email.getAttribute('aria-describedby') || '',
			Invalid: email.getAttribute('aria-invalid') || '',
			No: document.querySelectorAll('input[name^="health_"][value="no"]:checked').length,
			None: !!document.querySelector('input[name="health_none"]:checked'),
			Consents: document.querySelectorAll('input[name^="consent_"]:checked').length,
			OtherErrors: [...document.querySelectorAll('.field-error')].filter(p => p !== err).map(p => p.textContent.trim())};
	})()`)
	if !strings.Contains(state.Error, "email address") {
		t.Errorf("the message by the email field is %q, want one about the email address", state.Error)
	}
	if state.Described != "f-email-error" || state.Invalid != "true" {
		t.Errorf("the email field is not tied to its message (aria-describedby %q, aria-invalid %q)", state.Described, state.Invalid)
	}
	if len(state.OtherErrors) > 0 {
		t.Errorf("other fields show errors too: %q", state.OtherErrors)
	}
	if state.Name != name || state.Email != "nina@example" || state.Phone != phone || state.Notes != notes ||
		state.Start != chosen.Value || state.No < 5 || !state.None || state.Consents != 2 {
		t.Errorf("after the error the form holds %+v; everything typed must be kept (and the time %s), and \"None of these apply to me\" answers every question No", state, chosen.Value)
	}
	tb.assertClean("the details page with a mistake, without JavaScript")
	checkAxeWithoutJS(tb, "the details page with a mistake, without JavaScript")
	pageFits(t, tb, "the details page with a mistake")

	// Corrected: POST /book → 303 → /bookings/<token>.
	tb.do("correcting the email", chromedp.Clear(chromedp.CSS(`#f-email`)), chromedp.SendKeys(chromedp.CSS(`#f-email`), "nina@example.com"))
	docs.take()
	loadBy(tb, `clicking "Book"`, chromedp.Click(byText(`form button`, "Book")))
	checkRedirect(t, docs.take(), "/book", bookedLink)
	bookedPath(tb)
	checkBooked(t, tb, chosen, name)
	if !strings.Contains(eval[string](tb, `document.querySelector('.booking-facts').textContent`), "90 minutes") {
		t.Error("the booking's page does not say it is the 90-minute service")
	}
	tb.assertClean("the booking's page without JavaScript")
	checkAxeWithoutJS(tb, "the booking's page without JavaScript")
	pageFits(t, tb, "the booking's page")
}

// pickerOf is the booking page's address for a service at the studio on
// the day of s.
func pickerOf(t *testing.T, service string, s slot) string {
	t.Helper()
	return "/book?service=" + service + "&location=studio&date=" + s.ukDate(t)
}

// TestHoldBlocksSecondVisitor: while visitor A holds a time (A is on the
// details form), visitor B, in another browser, is not offered it; when A
// goes back ("Change the time, service or place": the picker on that day,
// A's time marked as held) and chooses another time, the first is released
// at once and B, reloading, is offered it again, and not A's new one.
func TestHoldBlocksSecondVisitor(t *testing.T) {
	a := clickTab(t)
	b := clickTab(t)
	releaseAtEnd(a)

	openWeek(a, "60 minutes", 3)
	service := serviceValue(a, "60 minutes")
	held := holdFirstFreeTime(a)
	a.assertClean("A's details form")
	day := pickerOf(t, service, held)

	b.open(day)
	if offered(b, held.Value) {
		t.Errorf("B is offered %s while A holds it", held.name())
	}
	if len(slotsIn(b, "#picker")) == 0 {
		t.Errorf("B is offered nothing on %s; only A's time should be missing", dayTitle(b))
	}
	b.assertClean("B's picker while A holds a time")

	// A changes their mind: back to the day, the held time marked.
	loadBy(a, `A clicking "Change the time, service or place"`, chromedp.Click(byText(`#details .chosen button`, "Change the time, service or place")))
	if got := eval[string](a, `location.pathname + location.search`); !strings.HasPrefix(got, "/book?") || !strings.Contains(got, "date="+held.ukDate(t)) {
		t.Errorf(`"Change the time, service or place" took A to %s, want the picker on %s`, got, held.ukDate(t))
	}
	slots := slotsIn(a, "#picker")
	if len(slots) < 8 || slots[0].Value != held.Value || !slots[0].Held {
		t.Fatalf("back on the picker, A's times are %+v; want %s first, marked as held (button.held), and more of the day", slots, held.name())
	}
	a.assertClean("A back on the picker")
	other := slots[len(slots)-1] // the day's last: far from the first, which it must not overlap
	holdTime(a, other)

	b.open(day)
	if !offered(b, held.Value) {
		t.Errorf("after A chose another time, B is still not offered %s: the hold was not released", held.name())
	}
	if offered(b, other.Value) {
		t.Errorf("B is offered %s, which A now holds", other.name())
	}
	b.assertClean("B's picker after A chose another time")
}

// TestCancelAndMoveFromManagePage: a booking more than 24 hours ahead can
// be moved from its own page: the move page opens on the booking's day with
// the same day-first picker (radio buttons, "Move to this time"), without
// the booking's own time; after a later day of its strip and a time there,
// the page shows the new time, the old one is free again and the new one
// taken; its calendar file is a text/calendar VCALENDAR with the new time;
// and it can be cancelled (the page says so, and the time is free again).
func TestCancelAndMoveFromManagePage(t *testing.T) {
	tb := clickTab(t)
	tb.origin = startSecondInstance(t) // its own allowance of bookings: see the list at the top
	openWeek(tb, "60 minutes", 4)
	service := serviceValue(tb, "60 minutes")
	first := holdFirstFreeTime(tb)
	fillDetails(tb, "Morgan Mover", "morgan@example.com")
	manage := book(tb)
	checkBooked(t, tb, first, "Morgan Mover")
	tb.assertClean("the booking's page")
	// The rest on a phone.
	tb.do("setting a phone viewport", chromedp.EmulateViewport(phoneWidth, 800))
	tb.open(manage)
	pageFits(t, tb, "the booking's page")

	// Move: the move page opens on the booking's day.
	loadBy(tb, `clicking "Move to another time"`, chromedp.Click(byText(`main a`, "Move to another time")))
	if path := eval[string](tb, `location.pathname`); path != manage+"/move" {
		t.Fatalf(`"Move to another time" went to %s, want %s/move`, path, manage)
	}
	tb.assertClean("the move page")
	if got := dayTitle(tb); got != first.Day {
		t.Errorf("the move page opens on %q, want the booking's day %q", got, first.Day)
	}
	if offered(tb, first.Value) {
		t.Errorf("the move page offers the booking's own time %s", first.name())
	}
	var later *stripDay
	for _, d := range strip(tb) {
		if d.State == "free" && d.Date > first.ukDate(t) && later == nil {
			d := d
			later = &d
		}
	}
	if later == nil {
		t.Fatalf("the move page's strip offers no later day with free times: %+v", strip(tb))
	}
	dayInPlace(tb, *later)
	if got := eval[string](tb, `location.pathname`); got != manage+"/move" {
		t.Errorf("after choosing a day the move page's address is %s, want %s/move?…", got, manage)
	}
	slots := checkSlots(t, tb, "main")
	to := slots[0]
	pageFits(t, tb, "the move page")
	tb.do("choosing "+to.name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for=%q]`, "t"+to.Value))))
	loadBy(tb, `clicking "Move to this time"`, chromedp.Click(byText(`main form.slots button`, "Move to this time")))
	if path := eval[string](tb, `location.pathname`); path != manage {
		t.Fatalf("moving landed on %s, want %s; the page says: %s", path, manage, eval[string](tb, `document.querySelector('main').innerText.slice(0, 400)`))
	}
	checkBooked(t, tb, to, "Morgan Mover")
	tb.assertClean("the booking's page after moving")
	// It says what moved, from when to when.
	layout := "Monday 2 January, 15:04"
	if first.start(t).Year() != to.start(t).Year() {
		layout = "Monday 2 January 2006, 15:04"
	}
	want := "Moved from " + first.start(t).In(views.London).Format(layout) + " to " + to.start(t).In(views.London).Format(layout) + "."
	if got := eval[string](tb, `((document.querySelector('main .status-note') || {}).textContent || '').trim()`); got != want {
		t.Errorf("after moving the page says %q, want %q", got, want)
	}

	// Add to calendar: the file, with the new time.
	href := eval[string](tb, `(() => { const a = document.querySelector('main a[href$="/calendar.ics"]'); return a ? a.getAttribute('href') : ''; })()`)
	if href == "" {
		t.Fatal(`the booking's page has no calendar file to add`)
	}
	checkCalendar(t, href, to.Value)

	// The old time is free again, the new one taken.
	tb.open(pickerOf(t, service, first))
	if !offered(tb, first.Value) {
		t.Errorf("after moving, the old time %s is not offered again", first.name())
	}
	tb.open(pickerOf(t, service, to))
	if offered(tb, to.Value) {
		t.Errorf("after moving, the new time %s is still offered to others", to.name())
	}
	tb.assertClean("the picker after moving")

	// Cancel.
	tb.open(manage)
	loadBy(tb, `clicking "Cancel this booking"`, chromedp.Click(byText(`main a`, "Cancel this booking")))
	loadBy(tb, `clicking "Cancel booking" on the page that asks`, chromedp.Click(byText(`main form button`, "Cancel booking")))
	if path := eval[string](tb, `location.pathname`); path != manage {
		t.Fatalf("cancelling landed on %s, want %s", path, manage)
	}
	b := readBooking(tb)
	if !b.Cancelled {
		t.Errorf("after cancelling, the booking's page does not say it is cancelled: %+v", b)
	}
	if n := eval[int](tb, `[...document.querySelectorAll('main button, main a')].filter(e => ['Cancel this booking', 'Move to another time'].includes(e.textContent.trim())).length`); n != 0 {
		t.Errorf("the cancelled booking still offers to cancel or move it (%d controls)", n)
	}
	tb.assertClean("the cancelled booking's page")
	tb.open(pickerOf(t, service, to))
	if !offered(tb, to.Value) {
		t.Errorf("after cancelling, %s is not offered again", to.name())
	}
	tb.assertClean("the picker after cancelling")
}

// checkCalendar fetches a booking's calendar file (the token in the address
// is all it needs) and checks it is an iCalendar event starting at start.
func checkCalendar(t *testing.T, href, start string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(baseURL + href)
	if err != nil {
		t.Fatalf("GET %s: %v", href, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s answered %d", href, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("the calendar file is %q, want text/calendar", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".ics") {
		t.Errorf("the calendar file's Content-Disposition is %q, want an attachment named *.ics", cd)
	}
	s := string(body)
	st, _ := time.Parse(time.RFC3339, start)
	// The start in London time with its zone (the file carries the VTIMEZONE).
	london, _ := time.LoadLocation("Europe/London")
	dtstart := "DTSTART;TZID=Europe/London:" + st.In(london).Format("20060102T150405") + "\r\n"
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "BEGIN:VEVENT\r\n", dtstart, "END:VCALENDAR\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("the calendar file lacks %q:\n%s", strings.TrimSpace(want), s)
		}
	}
	if !strings.HasPrefix(s, "BEGIN:VCALENDAR") {
		t.Errorf("the calendar file does not start with BEGIN:VCALENDAR:\n%s", s)
	}
}

// TestHoldRefusedKeepsThePicker: when a visitor's connection has chosen too
// many times in a short while, choosing a time is refused (429); the
// visitor is told to wait, above the times, and the picker stays as it was
// (the day, its times) so that they can try again. It runs on a second
// instance, whose allowance (in its memory) this test may use up without
// refusing the other tests.
func TestHoldRefusedKeepsThePicker(t *testing.T) {
	second := startSecondInstance(t)

	// Use up the second instance's allowance from this address: each
	// choice counts, even an empty one.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	resp, err := client.Get(second + "/book")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	refused := false
	for i := 0; i < 100 && !refused; i++ {
		resp, err := client.PostForm(second+"/book/hold", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		refused = resp.StatusCode == http.StatusTooManyRequests
	}
	if !refused {
		t.Fatal("100 choices in a row from one address were never refused (429): holds have no rate limit")
	}

	tb := clickTab(t)
	tb.mu.Lock()
	tb.expected[second+"/book/hold"] = http.StatusTooManyRequests
	tb.mu.Unlock()
	tb.openAt(second, "/book")
	settled(tb)
	day := dayTitle(tb)
	slots := slotsIn(tb, "#picker")
	if len(slots) == 0 {
		t.Fatalf("%s offers no free time", day)
	}
	eval[bool](tb, markPage)
	tb.do("choosing "+slots[0].name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`#picker button[name="start"][value=%q]`, slots[0].Value))))
	waitFor(tb, "the refusal is shown", `document.querySelector('main').textContent.includes('Please wait') || document.querySelector('#flash').textContent.includes('Please wait')`)
	settled(tb)

	type after struct {
		H1s     int    `json:"h1s"`
		Day     string `json:"day"`
		Times   int    `json:"times"`
		Message string `json:"message"`
		Near    bool   `json:"near"`
	}
	got := eval[after](tb, `(() => {
		const note = [...document.querySelectorAll('#picker .form-notice')].find(p => p.textContent.includes('Please wait'));
		return {
			h1s: document.querySelectorAll('h1').length,
			day: ((document.querySelector('#day-title') || {}).textContent || '').trim(),
			times: document.querySelectorAll('#picker .times button[name="start"]').length,
			message: note ? note.textContent.trim() : '',
			near: !!note && note.getAttribute('role') === 'alert' && document.querySelector('#picker').contains(note),
		};
	})()`)
	if got.Day != day || got.Times != len(slots) || eval[bool](tb, detailsShown) {
		t.Errorf("after the refusal the picker is gone or changed (%+v); it should stay on %s with its %d times, to try again", got, day, len(slots))
	}
	if got.H1s != 1 {
		t.Errorf("after the refusal the page has %d <h1> elements, want one (an error page was swapped into it)", got.H1s)
	}
	if !got.Near {
		t.Errorf(`the refusal is not shown in the picker as an alert (role="alert" .form-notice) saying to wait; the flash says %q`,
			eval[string](tb, `document.querySelector('#flash').textContent.trim()`))
	}
	if !eval[bool](tb, pageMarked) {
		t.Error("the refusal reloaded the page")
	}
	tb.assertClean("the picker after a refused hold")
}

// focusRingContrast is the WCAG contrast of the focused element's outline
// colour with the background around it (its parent's, composited over
// white: the outline is drawn outside the element, with an offset).
func focusRingContrast(tb *tab) float64 {
	tb.t.Helper()
	return eval[float64](tb, `(() => {
		const parse = s => { const m = /rgba?\(([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?/.exec(s); return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : [0, 0, 0, 0]; };
		const over = (t, b) => [0, 1, 2].map(i => t[i] * t[3] + b[i] * (1 - t[3])).concat(1);
		const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
		const el = document.activeElement;
		const chain = [];
		for (let n = el.parentElement; n; n = n.parentElement) chain.unshift(n);
		let bg = [255, 255, 255, 1];
		for (const n of chain) { const c = parse(getComputedStyle(n).backgroundColor); if (c[3] > 0) bg = over(c, bg); }
		const ring = over(parse(getComputedStyle(el).outlineColor), bg);
		const [l1, l2] = [lum(ring), lum(bg)].sort((p, q) => q - p);
		return (l1 + 0.05) / (l2 + 0.05);
	})()`)
}
