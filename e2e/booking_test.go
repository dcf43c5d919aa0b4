package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
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

// Booking: the tests below book through one server and one database, one
// after the other. Each works in a week of its own, counted from the week
// the picker opens on (the week of the first free time), so that they do not
// take each other's times:
//
//	TestBookingByKeyboardOnly                      1 week later
//	TestBookingWithoutJavaScript                   2 weeks later
//	TestHoldBlocksSecondVisitor                    3 weeks later
//	TestCancelAndMoveFromManagePage                4 weeks later (more than 24 h ahead)
//	TestAxeBookingFlow (axe_test.go)               5 weeks later
//	TestTimeOffRemovesTimesFromThePicker (admin)   6 weeks later
//
// The weeks are reached by "Next week", as a visitor would: no test works
// out a day from the wall clock, so none depends on the day or the hour it
// runs. With the demo schedule the picker opens on this week or the next
// (when nothing is free this week any more: a Saturday evening, a Sunday),
// so six weeks later ends less than eight weeks ahead, and the demo schedule
// books 8 weeks ahead: every one of those weeks exists.
// They choose and book fewer than ten times in all from 127.0.0.1, well
// under the limit of 30 in 10 minutes per address. TestHoldRefusedKeepsThePicker
// uses that limit up, on a second instance of its own.

// slotNameFormat is how a free time's accessible name reads: the day and the
// time, in UK time.
const slotNameFormat = "Monday 2 January 2006, 15:04"

// slotNamePattern is that name's shape.
var slotNamePattern = regexp.MustCompile(`^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) [1-9][0-9]? ` +
	`(January|February|March|April|May|June|July|August|September|October|November|December) 20[0-9]{2}, [0-2][0-9]:[0-5][0-9]$`)

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
	Value  string `json:"value"`  // the radio's value: the start, RFC 3339
	ID     string `json:"id"`     // the radio's id
	Legend string `json:"legend"` // its day's legend, "Thursday 26 November 2026"
	Shown  string `json:"shown"`  // the time a sighted visitor sees, "09:00"
	Label  string `json:"label"`  // the label's whole text
}

// name is what the slot's control must be called: day and time in full.
func (s slot) name() string { return s.Legend + ", " + s.Shown }

// ukName is the name the slot's start instant has in UK time.
func (s slot) ukName(t *testing.T) string {
	t.Helper()
	start, err := time.Parse(time.RFC3339, s.Value)
	if err != nil {
		t.Fatalf("a time's value %q is not RFC 3339: %v", s.Value, err)
	}
	return start.In(views.London).Format(slotNameFormat)
}

// ukDate is the day the slot starts on in UK time, as the picker's week
// parameter takes it (its value is in UTC, which can be the day before).
func (s slot) ukDate(t *testing.T) string {
	t.Helper()
	start, err := time.Parse(time.RFC3339, s.Value)
	if err != nil {
		t.Fatalf("a time's value %q is not RFC 3339: %v", s.Value, err)
	}
	return start.In(views.London).Format(time.DateOnly)
}

// slotsJS lists the free times offered in the element matching the
// selector it is called with, in document order.
const slotsJS = `((scope) => [...document.querySelectorAll(scope + ' input[name="start"]')].map(i => {
	const squash = s => (s || '').trim().replace(/\s+/g, ' ');
	const label = i.labels && i.labels[0];
	const day = i.closest('fieldset');
	const shown = label && label.querySelector('[aria-hidden="true"]');
	return {
		value: i.value, id: i.id,
		legend: day ? squash(day.querySelector('legend').textContent) : '',
		shown: shown ? squash(shown.textContent) : '',
		label: label ? squash(label.textContent) : '',
	};
}))`

func slotsIn(tb *tab, scope string) []slot {
	tb.t.Helper()
	return eval[[]slot](tb, slotsJS+fmt.Sprintf(`(%q)`, scope))
}

// offered reports whether the page offers the time starting at value.
func offered(tb *tab, value string) bool {
	tb.t.Helper()
	return eval[bool](tb, fmt.Sprintf(`!!document.querySelector('input[name="start"][value=%q]')`, value))
}

// pickerHeading is the text of the picker's heading ("Free times, Week of …").
func pickerHeading(tb *tab) string {
	tb.t.Helper()
	return eval[string](tb, `((document.querySelector('#picker h2') || {}).textContent || '').trim().replace(/\s+/g, ' ')`)
}

// pickerStatus is the text of the picker's status: the week and how many
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

// focusIn is a JavaScript expression: the focus is on an element inside
// (or on) the element with the id, not on the page's body.
func focusIn(id string) string {
	return fmt.Sprintf(`!!document.activeElement && document.activeElement !== document.body && !!document.activeElement.closest('#%s')`, id)
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

// nextWeekInPlace clicks "Next week" in the picker (htmx) and waits for the
// new week to be swapped in.
func nextWeekInPlace(tb *tab) {
	tb.t.Helper()
	before := pickerHeading(tb)
	tb.do(`clicking "Next week"`, chromedp.Click(byText(`#picker .week-nav a`, "Next week")))
	waitFor(tb, "the next week is swapped in", fmt.Sprintf(`((document.querySelector('#picker h2') || {}).textContent || '').trim().replace(/\s+/g, ' ') !== %q`, before))
	settled(tb)
}

// openWeek opens the booking page for a service at the studio and moves
// weeks weeks on from the week it opens on, in place.
func openWeek(tb *tab, service string, weeks int) {
	tb.t.Helper()
	tb.open("/book")
	v := serviceValue(tb, service)
	tb.open("/book?service=" + v + "&location=studio")
	tb.assertClean("the booking page")
	for range weeks {
		nextWeekInPlace(tb)
	}
}

// holdFirstFreeTime chooses the first free time of the week shown and
// continues to the details form (htmx), and returns that time.
func holdFirstFreeTime(tb *tab) slot {
	tb.t.Helper()
	slots := slotsIn(tb, "#picker")
	if len(slots) == 0 {
		tb.t.Fatalf("%s offers no free time", pickerHeading(tb))
	}
	s := slots[0]
	tb.do("choosing "+s.name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for=%q]`, s.ID))))
	tb.do(`clicking "Continue with this time"`, chromedp.Click(byText(`#picker form.slots button`, "Continue with this time")))
	waitFor(tb, "the details form replaces the picker", `!!document.querySelector('#picker #details-title')`)
	settled(tb)
	return s
}

// fillDetails fills the details form as a client would with a mouse.
func fillDetails(tb *tab, name, email string) {
	tb.t.Helper()
	tb.do("filling in the details",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "07700 900123"),
	)
	for _, q := range eval[[]string](tb, `[...new Set([...document.querySelectorAll('input[type="radio"][name^="health_"]')].map(i => i.name))]`) {
		tb.do("answering "+q+" No", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%q][value="no"]`, q))))
	}
	tb.do("agreeing to the policy and to keeping the health answers",
		chromedp.Click(chromedp.CSS(`input[name="consent_policy"]`)),
		chromedp.Click(chromedp.CSS(`input[name="consent_health"]`)),
	)
}

// book submits the filled details form and returns the path of the
// booking's own page it lands on.
func book(tb *tab) string {
	tb.t.Helper()
	loadBy(tb, `clicking "Book"`, chromedp.Click(byText(`#picker form button`, "Book")))
	path := eval[string](tb, `location.pathname`)
	if !manageLink.MatchString(path) {
		tb.t.Fatalf("booking landed on %s, want /bookings/<token>; the page's messages: %s", path,
			eval[string](tb, `[...document.querySelectorAll('main .field-error, main .form-notice, #flash')].map(e => (e.previousElementSibling ? e.previousElementSibling.name || '' : '') + ': ' + e.textContent.trim()).join(' | ')`))
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
		cancelled: squash(document.querySelector('main').textContent).includes('This booking is cancelled.'),
		notice: [...document.querySelectorAll('main .form-notice')].map(p => squash(p.textContent)).join(' | '),
	};
})()`

func readBooking(tb *tab) bookingFacts {
	tb.t.Helper()
	return eval[bookingFacts](tb, bookingFactsJS)
}

// axNames returns the accessible names Chromium computes for the controls
// of a role ("radio"), in the order of its accessibility tree.
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

// checkSlotNames checks that every free time in scope is a control named
// with its day and time in full ("Thursday 26 November 2026, 09:00") in the
// accessibility tree, that the name is the one of its start in UK time, and
// that a sighted visitor sees the time.
func checkSlotNames(t *testing.T, tb *tab, scope string) []slot {
	t.Helper()
	slots := slotsIn(tb, scope)
	if len(slots) == 0 {
		t.Fatalf("%s offers no free times to check", scope)
	}
	ax := map[string]int{}
	for _, n := range axNames(tb, "radio") {
		ax[n]++
	}
	bad := 0
	for _, s := range slots {
		want := s.ukName(t)
		switch {
		case !slotNamePattern.MatchString(s.name()) || s.name() != want:
			t.Errorf("the time %s is shown as %q under %q (%q), want %q: the day and the time in UK time", s.Value, s.Shown, s.Legend, s.name(), want)
		case ax[want] != 1:
			t.Errorf("the accessibility tree has %d radio buttons named %q (the time %s), want one: a screen reader must hear the whole day and time, not %q",
				ax[want], want, s.Value, s.Shown)
		default:
			continue
		}
		if bad++; bad == 3 {
			t.FailNow()
		}
	}
	for name, n := range ax {
		if regexp.MustCompile(`^\d\d:\d\d$`).MatchString(name) {
			t.Errorf("%d radio buttons are named only %q in the accessibility tree", n, name)
		}
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
	t     *testing.T
	tb    *tab
	order []string // where the focus went, for failure messages
}

// press presses one key (kb.Tab, kb.ArrowDown, " ", kb.Enter …).
func (k *keyboard) press(key string, shift bool) {
	k.t.Helper()
	var opts []chromedp.KeyOption
	if shift {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	k.tb.do("pressing "+keyName(key, shift), chromedp.KeyEvent(key, opts...))
}

func keyName(key string, shift bool) string {
	name := map[string]string{kb.Tab: "Tab", kb.Enter: "Enter", " ": "Space", kb.ArrowDown: "ArrowDown", kb.ArrowUp: "ArrowUp"}[key]
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

// TestBookingByKeyboardOnly: someone who uses only the keyboard books from
// the start: Tab to the services, arrow keys to choose the 60-minute one and
// the studio (each choice swaps the picker, and the focus stays on the
// choice), "Next week" (the new week is swapped in place, the focus moves to
// its heading and the live status tells the new week), a time chosen with
// Space, Continue (the details form is swapped in with the focus on its
// heading), the form filled in by typing, Space on every "No" and on both
// consents, and Enter on Book: the booking's own page shows it. No picker
// swap reloads the page, and every time's control is named with its day and
// time in full.
func TestBookingByKeyboardOnly(t *testing.T) {
	tb := openTab(t)
	k := &keyboard{t: t, tb: tb}
	tb.open("/book")
	tb.assertClean("the booking page")
	eval[bool](tb, markPage)

	// The page starts at the top: a keyboard or screen reader user meets the
	// heading and the choice of service before the times.
	if k.is(`el.closest('#picker')`) {
		t.Errorf("when /book loads, the focus jumps into the picker (%s), past the heading and the choice of service and place; "+
			"it should start at the top of the page", k.focused())
	}

	// The service, with the arrow keys: each change swaps the picker in place.
	k.tabTo("the services", `el.name === 'service'`, false, 30)
	if !k.is(`el.checked && el.closest('label').textContent.includes('30 minutes')`) {
		t.Errorf("Tab into the services focuses %s, want the chosen one (30 minutes)", k.focused())
	}
	status := pickerStatus(tb)
	k.press(kb.ArrowDown, false)
	if !k.is(`el.name === 'service' && el.checked && el.closest('label').textContent.includes('60 minutes')`) {
		t.Fatalf("ArrowDown in the services leaves the focus on %s, want the 60-minute service, chosen", k.focused())
	}
	waitFor(tb, "the picker shows the 60-minute service's times", `(document.querySelector('#picker .hint') || {}).textContent?.includes('60 minutes')`)
	settled(tb)
	if !k.is(`el.name === 'service' && el.checked && el.closest('label').textContent.includes('60 minutes')`) {
		t.Errorf("after the picker was swapped for the 60-minute service the focus is on %s; it should stay on the service "+
			"so that the visitor can go on choosing (arrow keys, Tab to the place)", k.focused())
	}
	if s := pickerAnnounced(tb); s != pickerStatus(tb) || !strings.Contains(s, "Week of") || !strings.Contains(s, "free") {
		t.Errorf("after choosing a service the live region #picker-announce says %q (the picker's status: %q, before: %q); "+
			"it should announce the week and how many times are free", s, pickerStatus(tb), status)
	}

	// The place: the studio is chosen already; away and back with the arrows.
	k.tabTo("the places", `el.name === 'location'`, false, 1)
	if !k.is(`el.value === 'studio' && el.checked`) {
		t.Errorf("Tab into the places focuses %s, want the studio, chosen", k.focused())
	}
	k.press(kb.ArrowDown, false)
	waitFor(tb, "the picker shows mobile visits", `(document.querySelector('#picker .hint') || {}).textContent?.includes('mobile visit')`)
	settled(tb)
	k.press(kb.ArrowUp, false)
	waitFor(tb, "the picker shows the studio again", `(document.querySelector('#picker .hint') || {}).textContent?.includes('at the studio')`)
	settled(tb)
	if !k.is(`el.name === 'location' && el.value === 'studio' && el.checked`) {
		t.Errorf("after choosing the studio again with the arrow keys the focus is on %s, want the studio", k.focused())
	}
	if hint := eval[string](tb, `document.querySelector('#picker .hint').textContent`); !strings.Contains(hint, "60 minutes") || !strings.Contains(hint, "at the studio") {
		t.Fatalf("the picker shows %q, want the 60-minute service at the studio", hint)
	}

	// Next week: swapped in place, focus on the new week, status updated.
	k.tabTo(`"Next week"`, `el.tagName === 'A' && el.textContent.trim() === 'Next week'`, false, 5)
	heading, status := pickerHeading(tb), pickerStatus(tb)
	eval[bool](tb, `window.__announcer = document.getElementById('picker-announce'); !!window.__announcer`)
	k.press(kb.Enter, false)
	waitFor(tb, "the next week is swapped in", fmt.Sprintf(`((document.querySelector('#picker h2') || {}).textContent || '').trim().replace(/\s+/g, ' ') !== %q`, heading))
	settled(tb)
	if !eval[bool](tb, pageMarked) {
		t.Fatal(`"Next week" reloaded the page; it should swap the picker in place`)
	}
	if !eval[bool](tb, focusIn("picker")) {
		t.Errorf(`after "Next week" the focus is on %s; it should move into the new week (its heading), not be lost to the page`, k.focused())
	}
	newHeading, newStatus := pickerHeading(tb), pickerStatus(tb)
	week := strings.TrimPrefix(newHeading, "Free times, ")
	if newStatus == status || !strings.Contains(newStatus, week) || !strings.Contains(newStatus, "free") {
		t.Errorf("after \"Next week\" (now %q) the picker's live status says %q (before: %q); it should tell the new week and its free times",
			newHeading, newStatus, status)
	}
	if n := eval[int](tb, `document.querySelectorAll('#picker-status').length`); n != 1 {
		t.Errorf("there are %d #picker-status elements after the swap, want one", n)
	}
	// Screen readers announce a change in a live region that was there
	// before; one swapped in whole, they may not.
	if !eval[bool](tb, `!!window.__announcer && window.__announcer === document.getElementById('picker-announce') && window.__announcer.getAttribute('role') === 'status'`) {
		t.Error(`the live region #picker-announce (role="status") was not kept in the page across the swap`)
	}
	if got := pickerAnnounced(tb); got != newStatus {
		t.Errorf("after \"Next week\" the live region #picker-announce says %q, want the new week's status %q", got, newStatus)
	}
	slots := checkSlotNames(t, tb, "#picker")
	tb.assertClean("the picker after Next week")

	// A time: Tab into the times, Space to choose, the arrows move the choice.
	k.tabTo("the free times", `el.name === 'start'`, false, 5)
	if !k.is(fmt.Sprintf(`el.value === %q`, slots[0].Value)) {
		t.Errorf("Tab into the times focuses %s, want the first free time (%s)", k.focused(), slots[0].name())
	}
	if f := eval[focused](tb, `(() => { const l = document.activeElement.labels[0]; const cs = getComputedStyle(l);
		return {tag: 'label', text: l.textContent.trim(), outlineStyle: cs.outlineStyle, outlineWidth: cs.outlineWidth, focusVisible: document.activeElement.matches(':focus-visible')}; })()`); f.OutlineStyle == "none" || f.OutlineWidth == "0px" || !f.FocusVisible {
		t.Errorf("the focused time %q shows no focus indicator (outline %s %s, :focus-visible %v)", f.Text, f.OutlineStyle, f.OutlineWidth, f.FocusVisible)
	}
	k.press(" ", false)
	if !k.is(`el.checked`) {
		t.Fatalf("Space on %s does not choose it", k.focused())
	}
	k.press(kb.ArrowDown, false)
	k.press(kb.ArrowUp, false)
	chosen := slots[0]
	if !k.is(fmt.Sprintf(`el.checked && el.value === %q`, chosen.Value)) {
		t.Fatalf("after ArrowDown and ArrowUp the focus is on %s, want %s chosen", k.focused(), chosen.name())
	}
	k.tabTo(`"Continue with this time"`, `el.tagName === 'BUTTON' && el.textContent.trim() === 'Continue with this time'`, false, 1)
	k.press(kb.Enter, false)
	waitFor(tb, "the details form replaces the picker", `!!document.querySelector('#picker #details-title')`)
	settled(tb)
	if !eval[bool](tb, pageMarked) {
		t.Fatal(`"Continue with this time" reloaded the page; it should swap in the details form`)
	}
	if !eval[bool](tb, focusIn("picker")) {
		t.Errorf(`after "Continue with this time" the focus is on %s; it should move to the details form's heading`, k.focused())
	}
	if got := eval[string](tb, `document.querySelector('#picker .chosen').textContent.trim().replace(/\s+/g, ' ')`); !strings.Contains(got, chosen.name()) || !strings.Contains(got, "60 minutes") {
		t.Errorf("the details form says %q, want the 60-minute service at %s", got, chosen.name())
	}
	if hold := eval[string](tb, `[...document.querySelectorAll('#picker .hint')].map(p => p.textContent).join(' ')`); !strings.Contains(hold, "holding this time for you until") {
		t.Errorf("the details form does not say how long the time is held: %q", hold)
	}
	tb.assertClean("the details form swapped in")

	// The details, typed; every health question No, both consents.
	const name, email = "Kim Keyboard", "kim.keyboard@example.com"
	answered := map[string]bool{}
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
		case k.is(`el.type === 'radio' && el.name.startsWith('health_')`):
			if !k.is(`el.value === 'no'`) {
				t.Errorf("Tab into a health question focuses %s; want No first", k.focused())
			}
			k.press(" ", false)
			answered[eval[string](tb, `document.activeElement.name`)] = true
		case k.is(`el.type === 'checkbox'`):
			k.press(" ", false)
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
		t.Fatalf("after filling the form by keyboard it holds %+v (of %d questions); want the typed name, email and phone, No to every question and both consents", got, questions)
	}
	loadBy(tb, `pressing Enter on "Book"`, chromedp.KeyEvent(kb.Enter))
	path := eval[string](tb, `location.pathname`)
	if !manageLink.MatchString(path) {
		t.Fatalf("Enter on Book landed on %s, want /bookings/<token>; the page says: %s", path,
			eval[string](tb, `document.querySelector('main').innerText.slice(0, 400)`))
	}
	b := readBooking(tb)
	if b.H1 != "Your booking" && b.H1 != "You’re booked" || !strings.HasPrefix(b.When, chosen.name()+" to ") || b.Name != name || b.Cancelled {
		t.Errorf("the booking's page shows %+v; want \"Your booking\" for %s at %s", b, name, chosen.name())
	}
	tb.assertClean("the booking's own page")
}

// TestBookingWithoutJavaScript: with scripting off, on a phone, the whole
// booking works with plain links and forms: "Show free times" for the
// service, "Next week" as a link, a time and Continue (POST → 303 → the
// details page), a mistake in the email comes back as a 422 page with the
// message by the field and everything else kept, and the corrected form
// books (POST → 303 → the booking's page). No page scrolls sideways at
// 375px, and axe-core finds no serious or critical problem on any of them.
func TestBookingWithoutJavaScript(t *testing.T) {
	tb := clickTab(t)
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
	if hint := eval[string](tb, `document.querySelector('#picker .hint').textContent`); !strings.Contains(hint, "90 minutes") {
		t.Fatalf("after \"Show free times\" the picker shows %q, want the 90-minute service", hint)
	}
	if !eval[bool](tb, `document.querySelector('input[name="service"][value="`+service+`"]').checked`) {
		t.Error("the page after \"Show free times\" no longer shows the 90-minute service as chosen")
	}

	// Two weeks on, by the plain links.
	for i := range 2 {
		heading := pickerHeading(tb)
		loadBy(tb, `clicking "Next week"`, chromedp.Click(byText(`#picker .week-nav a`, "Next week")))
		if got := pickerHeading(tb); got == heading {
			t.Fatalf("\"Next week\" (%d) still shows %q", i+1, got)
		}
		if q := eval[string](tb, `location.pathname + location.search`); !strings.Contains(q, "/book?") || !strings.Contains(q, "week=") {
			t.Errorf(`"Next week" went to %s, want /book?…&week=YYYY-MM-DD`, q)
		}
	}
	tb.assertClean("a later week without JavaScript")
	checkAxeWithoutJS(tb, "a later week without JavaScript")
	pageFits(t, tb, "the picker")
	slots := checkSlotNames(t, tb, "#picker")

	// A time, and Continue: POST /book/hold → 303 → /book/details.
	chosen := slots[0]
	tb.do("choosing "+chosen.name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for=%q]`, chosen.ID))))
	if !eval[bool](tb, fmt.Sprintf(`document.getElementById(%q).checked`, chosen.ID)) {
		t.Fatalf("clicking the time %s does not choose it", chosen.name())
	}
	docs.take()
	loadBy(tb, `clicking "Continue with this time"`, chromedp.Click(byText(`#picker form.slots button`, "Continue with this time")))
	checkRedirect(t, docs.take(), "/book/hold", regexp.MustCompile(`^/book/details$`))
	if got := eval[string](tb, `document.querySelector('.chosen').textContent.trim().replace(/\s+/g, ' ')`); !strings.Contains(got, chosen.name()) {
		t.Errorf("the details page says %q, want %s", got, chosen.name())
	}
	tb.assertClean("the details page without JavaScript")
	checkAxeWithoutJS(tb, "the details page without JavaScript")
	pageFits(t, tb, "the details page")

	// A mistake: 422, the message by the email field, the rest kept.
	const name, phone, notes = "Nina No-Script", "07700 900123", "Left calf, after a half marathon."
	fillDetails(tb, name, "nina@example")
	tb.do("writing a note", chromedp.SendKeys(chromedp.CSS(`#f-notes`), notes))
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
		state.Start != chosen.Value || state.No < 5 || state.Consents != 2 {
		t.Errorf("after the error the form holds %+v; everything typed must be kept (and the time %s)", state, chosen.Value)
	}
	tb.assertClean("the details page with a mistake, without JavaScript")
	checkAxeWithoutJS(tb, "the details page with a mistake, without JavaScript")
	pageFits(t, tb, "the details page with a mistake")

	// Corrected: POST /book → 303 → /bookings/<token>.
	tb.do("correcting the email", chromedp.Clear(chromedp.CSS(`#f-email`)), chromedp.SendKeys(chromedp.CSS(`#f-email`), "nina@example.com"))
	docs.take()
	loadBy(tb, `clicking "Book"`, chromedp.Click(byText(`form button`, "Book")))
	checkRedirect(t, docs.take(), "/book", manageLink)
	if path := eval[string](tb, `location.pathname`); !manageLink.MatchString(path) {
		t.Fatalf("booking landed on %s, want /bookings/<token>; the page says: %s", path,
			eval[string](tb, `document.querySelector('main').innerText.slice(0, 400)`))
	}
	b := readBooking(tb)
	if !strings.HasPrefix(b.When, chosen.name()+" to ") || b.Name != name || b.Cancelled || !strings.Contains(eval[string](tb, `document.querySelector('.booking-facts').textContent`), "90 minutes") {
		t.Errorf("the booking's page shows %+v; want %s's 90-minute booking at %s", b, name, chosen.name())
	}
	tb.assertClean("the booking's page without JavaScript")
	checkAxeWithoutJS(tb, "the booking's page without JavaScript")
	pageFits(t, tb, "the booking's page")
}

// TestHoldBlocksSecondVisitor: while visitor A holds a time (A is on the
// details form), visitor B, in another browser, is not offered it; when A
// chooses another time, the hold is released at once and B, reloading, is
// offered the time again.
func TestHoldBlocksSecondVisitor(t *testing.T) {
	a := clickTab(t)
	b := clickTab(t)

	openWeek(a, "60 minutes", 3)
	held := holdFirstFreeTime(a)
	a.assertClean("A's details form")
	service := serviceValue(b.openAndReturn(t, "/book"), "60 minutes")
	week := "/book?service=" + service + "&location=studio&week=" + held.ukDate(t)

	b.open(week)
	if offered(b, held.Value) {
		t.Errorf("B is offered %s while A holds it", held.name())
	}
	if len(slotsIn(b, "#picker")) == 0 {
		t.Errorf("B is offered nothing in %s; only A's time should be missing", pickerHeading(b))
	}
	b.assertClean("B's picker while A holds a time")

	// A changes their mind: the time is released at once.
	loadBy(a, `A clicking "Choose another time"`, chromedp.Click(byText(`#picker form button`, "Choose another time")))
	if path := eval[string](a, `location.pathname`); path != "/book" {
		t.Errorf(`"Choose another time" took A to %s, want /book`, path)
	}
	a.assertClean("A back on the booking page")

	b.open(week)
	if !offered(b, held.Value) {
		t.Errorf("after A chose another time, B is still not offered %s: the hold was not released", held.name())
	}
	b.assertClean("B's picker after A released the time")
}

// openAndReturn opens path and returns the tab, for chaining.
func (tb *tab) openAndReturn(t *testing.T, path string) *tab {
	t.Helper()
	tb.open(path)
	return tb
}

// TestCancelAndMoveFromManagePage: a booking more than 24 hours ahead can
// be moved from its own page to another free time (the page then shows the
// new time, the old one is free again and the new one taken), its calendar
// file is a text/calendar VCALENDAR with the new time, and it can be
// cancelled (the page says so, and the time is free again).
func TestCancelAndMoveFromManagePage(t *testing.T) {
	tb := clickTab(t)
	openWeek(tb, "60 minutes", 4)
	first := holdFirstFreeTime(tb)
	fillDetails(tb, "Morgan Mover", "morgan@example.com")
	manage := book(tb)
	if b := readBooking(tb); !strings.HasPrefix(b.When, first.name()+" to ") {
		t.Fatalf("the booking's page shows %+v, want %s", b, first.name())
	}
	tb.assertClean("the booking's page")
	// The rest on a phone.
	tb.do("setting a phone viewport", chromedp.EmulateViewport(phoneWidth, 800), chromedp.Reload())
	pageFits(t, tb, "the booking's page")
	service := serviceValue(tb.openAndReturn(t, "/book"), "60 minutes")
	week := "/book?service=" + service + "&location=studio&week=" + first.ukDate(t)
	tb.open(manage)

	// Move: the move page opens on the first free week; on to the booked one.
	loadBy(tb, `clicking "Move to another time"`, chromedp.Click(byText(`main a`, "Move to another time")))
	if path := eval[string](tb, `location.pathname`); path != manage+"/move" {
		t.Fatalf(`"Move to another time" went to %s, want %s/move`, path, manage)
	}
	tb.assertClean("the move page")
	firstDay := strings.SplitN(first.name(), ",", 2)[0]
	showsDay := fmt.Sprintf(`[...document.querySelectorAll('main form fieldset.day legend')].some(l => l.textContent.trim() === %q)`, firstDay)
	for i := 0; i < 8 && !eval[bool](tb, showsDay); i++ {
		loadBy(tb, `clicking "Next week" on the move page`, chromedp.Click(byText(`main .week-nav a`, "Next week")))
	}
	slots := checkSlotNames(t, tb, "main form")
	var to *slot
	for i := range slots {
		if strings.SplitN(slots[i].name(), ",", 2)[0] != firstDay && slots[i].Value > first.Value {
			to = &slots[i]
			break
		}
	}
	if to == nil {
		t.Fatalf("the move page offers no time on another day after %s in that week (%d times)", first.name(), len(slots))
	}
	for _, s := range slots {
		if s.Value == first.Value {
			t.Errorf("the move page offers the booking's own time %s", first.name())
		}
	}
	pageFits(t, tb, "the move page")
	tb.do("choosing "+to.name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for=%q]`, to.ID))))
	loadBy(tb, `clicking "Move my booking"`, chromedp.Click(byText(`main form button`, "Move my booking")))
	if path := eval[string](tb, `location.pathname`); path != manage {
		t.Fatalf("moving landed on %s, want %s; the page says: %s", path, manage, eval[string](tb, `document.querySelector('main').innerText.slice(0, 400)`))
	}
	if b := readBooking(tb); !strings.HasPrefix(b.When, to.name()+" to ") || b.Cancelled {
		t.Errorf("after moving, the booking's page shows %+v, want %s", b, to.name())
	}
	tb.assertClean("the booking's page after moving")

	// Add to calendar: the file, with the new time.
	href := eval[string](tb, `(() => { const a = document.querySelector('main a[href$="/calendar.ics"]'); return a ? a.getAttribute('href') : ''; })()`)
	if href == "" {
		t.Fatal(`the booking's page has no calendar file to add`)
	}
	checkCalendar(t, href, to.Value)

	// The old time is free again, the new one taken.
	tb.open(week)
	if !offered(tb, first.Value) {
		t.Errorf("after moving, the old time %s is not offered again", first.name())
	}
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
	tb.open(week)
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

// csrfField finds the CSRF token of a page's forms.
var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestHoldRefusedKeepsThePicker: when a visitor's connection has chosen too
// many times in a short while, "Continue with this time" is refused (429);
// the visitor is told to wait, next to the button, and the picker stays as
// it was (the week, the time chosen, Continue) so that they can try again.
// It runs on a second instance, whose allowance (in its memory) this test
// may use up without refusing the other tests.
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
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatal("GET /book has no CSRF token in its forms")
	}
	refused := false
	for i := 0; i < 100 && !refused; i++ {
		resp, err := client.PostForm(second+"/book/hold", url.Values{"_csrf": {string(m[1])}})
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
	heading := pickerHeading(tb)
	slots := slotsIn(tb, "#picker")
	if len(slots) == 0 {
		t.Fatalf("%s offers no free time", heading)
	}
	eval[bool](tb, markPage)
	tb.do("choosing "+slots[0].name(), chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for=%q]`, slots[0].ID))))
	tb.do(`clicking "Continue with this time"`, chromedp.Click(byText(`#picker form.slots button`, "Continue with this time")))
	waitFor(tb, "the refusal is shown", `document.querySelector('main').textContent.includes('Please wait') || document.querySelector('#flash').textContent.includes('Please wait')`)
	settled(tb)

	type after struct {
		H1s      int    `json:"h1s"`
		Picker   bool   `json:"picker"`
		Heading  string `json:"heading"`
		Checked  string `json:"checked"`
		Continue bool   `json:"continue"`
		Message  string `json:"message"`
		Near     bool   `json:"near"`
	}
	got := eval[after](tb, `(() => {
		const form = document.querySelector('#picker form.slots');
		const checked = document.querySelector('#picker input[name="start"]:checked');
		const note = [...document.querySelectorAll('#picker .form-notice')].find(p => p.textContent.includes('Please wait'));
		return {
			h1s: document.querySelectorAll('h1').length,
			picker: !!form,
			heading: ((document.querySelector('#picker h2') || {}).textContent || '').trim().replace(/\s+/g, ' '),
			checked: checked ? checked.value : '',
			continue: !!form && !!form.querySelector('button[type="submit"]'),
			message: note ? note.textContent.trim() : '',
			near: !!note && note.getAttribute('role') === 'alert' && document.querySelector('#picker').contains(note),
		};
	})()`)
	if !got.Picker || got.Heading != heading || got.Checked != slots[0].Value || !got.Continue {
		t.Errorf("after the refusal the picker is gone or changed (%+v); it should stay as it was, %s chosen, to try again", got, slots[0].name())
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
