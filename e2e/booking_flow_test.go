package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The booking flow of issue 14, as a client meets it: by touch on a phone
// and a desktop, through Back, Forward and reload, with a change of
// service on the details step, a mobile visit's postcode, and "Book again".

// Budgets of the flow (issue 14): from /book to booked in at most 5 taps on
// a phone for the first free time of the default service, with the first
// free times on screen at 390×844 without scrolling; /book at most 25 KB of
// HTML and one day's picker fragment at most 6 KB.
const (
	maxTaps          = 5
	maxBookBytes     = 25 << 10
	maxFragmentBytes = 6 << 10
)

// tapper counts the taps of a person using a touch screen: a tap is a touch
// on a control; focusing a text field to type in it is not counted, nor is
// the typing.
type tapper struct {
	tb   *tab
	taps []string
}

// tap touches the first element matching sel (chromedp scrolls it into view first).
func (p *tapper) tap(what string, sel chromedp.Action[chromedp.Void]) {
	p.tb.t.Helper()
	p.taps = append(p.taps, what)
	p.tb.do("tapping "+what, sel)
}

// box is an element's place in the viewport, in CSS pixels.
type box struct {
	Top     float64 `json:"top"`
	Bottom  float64 `json:"bottom"`
	Left    float64 `json:"left"`
	Right   float64 `json:"right"`
	ScrollY float64 `json:"scrollY"`
	Height  float64 `json:"height"` // the viewport's
	Width   float64 `json:"width"`
}

func boxOf(tb *tab, css string) box {
	tb.t.Helper()
	return eval[box](tb, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return {top: -1, bottom: -1, scrollY: window.scrollY, height: window.innerHeight, width: window.innerWidth};
		const r = el.getBoundingClientRect();
		return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, scrollY: window.scrollY, height: window.innerHeight, width: window.innerWidth};
	})()`, css))
}

// htmlBytes is the size of the HTML a GET of path answers (uncompressed).
func htmlBytes(t *testing.T, path string, header map[string]string) int {
	t.Helper()
	return len(fetchHTML(t, path, header))
}

func htmlOf(t *testing.T, path string) []byte {
	t.Helper()
	return fetchHTML(t, path, nil)
}

// fetchHTML is the body a GET of path answers.
func fetchHTML(t *testing.T, path string, header map[string]string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %d", path, err, resp.StatusCode)
	}
	return b
}

// TestBookingByTouch: on a phone (390×844, touch) and on a desktop
// (1280×800, touch), a new client books the first free time of the default
// service from /book: the first free times are on the first screen without
// scrolling, and it takes at most 5 taps — the time, "None of these apply to
// me", the two consents and Book — with the name, e-mail and phone typed.
// The booking's own page shows the booking. Both book in the week the
// picker opens on (see the list at the top of booking_test.go).
func TestBookingByTouch(t *testing.T) {
	for _, vp := range []struct {
		name          string
		width, height int64
		opts          []chromedp.EmulateViewportOption
	}{
		{"phone 390x844", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateScale(3), chromedp.EmulateMobile}},
		{"desktop 1280x800", 1280, 800, []chromedp.EmulateViewportOption{chromedp.EmulateTouch}},
	} {
		t.Run(vp.name, func(t *testing.T) {
			tb := clickTab(t)
			releaseAtEnd(tb)
			tb.do("emulating a "+vp.name+" touch screen", chromedp.EmulateViewport(vp.width, vp.height, vp.opts...))
			p := &tapper{tb: tb}
			tb.open("/book")
			tb.assertClean("the booking page")
			if n := eval[int](tb, `document.querySelectorAll('#picker .times button[name="start"]').length`); n == 0 {
				t.Fatalf("/book shows no free time on %s", dayTitle(tb))
			}
			first := slotsIn(tb, "#picker")[0]
			b := boxOf(tb, `#picker .times button[name="start"]`)
			t.Logf("%s: the first free time (%s) is at y %.0f–%.0f of %.0f, scrolled %.0f", vp.name, first.name(), b.Top, b.Bottom, b.Height, b.ScrollY)
			if b.ScrollY != 0 || b.Top < 0 || b.Bottom > float64(vp.height) || b.Right > b.Width {
				t.Errorf("on a %s screen the first free time %s is at y %.0f–%.0f (scrolled %.0f), want it within the first %dpx without scrolling",
					vp.name, first.name(), b.Top, b.Bottom, b.ScrollY, vp.height)
			}
			pageFits(t, tb, "the booking page")
			if strip := boxOf(tb, `#picker .day-strip`); strip.Top < 0 || strip.Bottom > float64(vp.height) {
				t.Errorf("on a %s screen the strip of days is at y %.0f–%.0f, want it on the first screen", vp.name, strip.Top, strip.Bottom)
			}

			// 1: the time. It is held and the details step is swapped in.
			p.tap("the time "+first.name(), chromedp.Tap(chromedp.CSS(fmt.Sprintf(`#picker button[name="start"][value=%q]`, first.Value))))
			waitFor(tb, "the details form replaces the picker", detailsShown)
			settled(tb)
			if got := eval[string](tb, `location.pathname`); got != "/book/details" {
				t.Errorf("after tapping a time the address is %s, want the details step's own (/book/details?…)", got)
			}
			pageFits(t, tb, "the details form")

			// Typed, not tapped: name, e-mail, phone.
			name := "Tia Touch " + strings.Fields(vp.name)[0]
			tb.do("typing the name, e-mail and phone",
				chromedp.SendKeys(chromedp.CSS(`#f-name`), name),
				chromedp.SendKeys(chromedp.CSS(`#f-email`), "tia.touch@example.com"),
				chromedp.SendKeys(chromedp.CSS(`#f-phone`), "07700 900789"))
			// 2–5.
			p.tap(`"None of these apply to me"`, chromedp.Tap(chromedp.CSS(`#details input[name="health_none"]`)))
			if n, of := eval[int](tb, `document.querySelectorAll('#details input[name^="health_"][value="no"]:checked').length`),
				eval[int](tb, `new Set([...document.querySelectorAll('#details input[type="radio"][name^="health_"]')].map(i => i.name)).size`); n != of || of < 5 {
				t.Errorf(`"None of these apply to me" answered %d of %d health questions No, want all`, n, of)
			}
			p.tap("the cancellation policy", chromedp.Tap(chromedp.CSS(`#details input[name="consent_policy"]`)))
			p.tap("keeping the health answers", chromedp.Tap(chromedp.CSS(`#details input[name="consent_health"]`)))
			p.taps = append(p.taps, "Book")
			loadBy(tb, "tapping Book", chromedp.Tap(byText(`#details form button`, "Book")))
			t.Logf("%s: %d taps from /book to booked: %s", vp.name, len(p.taps), strings.Join(p.taps, ", "))
			if len(p.taps) > maxTaps {
				t.Errorf("it took %d taps to book (%s), want at most %d", len(p.taps), strings.Join(p.taps, ", "), maxTaps)
			}
			bookedPath(tb)
			checkBooked(t, tb, first, name)
			pageFits(t, tb, "the booking's page")
			tb.assertClean("the booking's page")
		})
	}

	// The weight of what the picker sends (issue 14's budgets).
	book := htmlBytes(t, "/book", nil)
	service := serviceField.FindStringSubmatch(string(htmlOf(t, "/book")))
	if service == nil {
		t.Fatal("/book names no service")
	}
	fragment := htmlBytes(t, "/book/slots?service="+service[1]+"&location=studio", map[string]string{"HX-Request": "true"})
	t.Logf("/book is %d bytes of HTML, one day's picker fragment %d", book, fragment)
	if book > maxBookBytes || fragment > maxFragmentBytes {
		t.Errorf("/book is %d bytes (budget %d), one day's picker fragment %d (budget %d)", book, maxBookBytes, fragment, maxFragmentBytes)
	}
}

// typed is what a test types into the details form, and reads back.
type typed struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Notes   string `json:"notes"`
	Clots   string `json:"clots"`   // the answer checked for the blood clot question
	Injury  string `json:"injury"`  // and for the injury question
	Details string `json:"details"` // the injury's details
	Policy  bool   `json:"policy"`
}

const typedJS = `(() => {
	const v = s => (document.querySelector(s) || {}).value || '';
	const r = n => (document.querySelector('#details input[name="' + n + '"]:checked') || {}).value || '';
	return {name: v('#f-name'), email: v('#f-email'), phone: v('#f-phone'), notes: v('#f-notes'),
		clots: r('health_clots'), injury: r('health_injury'), details: v('#f-health-injury'),
		policy: !!document.querySelector('#details input[name="consent_policy"]:checked')};
})()`

func readTyped(tb *tab) typed {
	tb.t.Helper()
	return eval[typed](tb, typedJS)
}

// typeDetails types w into the details form as a client would.
func typeDetails(tb *tab, w typed) {
	tb.t.Helper()
	tb.do("typing the details",
		chromedp.SendKeys(chromedp.CSS(`#f-name`), w.Name),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), w.Email),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), w.Phone),
		chromedp.SendKeys(chromedp.CSS(`#f-notes`), w.Notes),
		chromedp.Click(chromedp.CSS(`#details input[name="health_clots"][value=`+w.Clots+`]`)),
		chromedp.Click(chromedp.CSS(`#details input[name="health_injury"][value=`+w.Injury+`]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-health-injury`), w.Details),
		chromedp.Click(chromedp.CSS(`#details input[name="consent_policy"]`)),
	)
}

// TestBookingBackForwardReload: what a client typed on the details step
// survives the browser's own buttons. After holding a time (htmx; the
// details step has its own address) and typing a name, an e-mail, notes
// and health answers, Back returns to the picker on that day with the held
// time marked; Forward returns to the details step with everything typed
// back; a reload of the details step keeps it too.
func TestBookingBackForwardReload(t *testing.T) {
	tb := clickTab(t)
	releaseAtEnd(tb)
	openWeek(tb, "30 minutes", 3)
	picker := eval[string](tb, `location.pathname + location.search`)
	held := holdFirstFreeTime(tb)
	details := eval[string](tb, `location.pathname + location.search`)
	if !strings.HasPrefix(details, "/book/details?") {
		t.Fatalf("the details step's address is %s, want /book/details?…", details)
	}
	w := typed{Name: "Bea Back", Email: "bea.back@example.com", Phone: "07700 900321", Notes: "Tight hamstrings after the Cambridge half.",
		Clots: "no", Injury: "yes", Details: "Sprained left ankle in October.", Policy: true}
	typeDetails(tb, w)
	if got := readTyped(tb); got != w {
		t.Fatalf("the form holds %+v after typing, want %+v", got, w)
	}

	// Back: the picker on that day, the time still held and marked.
	tb.do("going Back", chromedp.NavigateBack())
	waitFor(tb, "Back shows the picker", `location.pathname === '/book' && !!document.querySelector('#picker .times')`)
	settled(tb)
	if got := eval[string](tb, `location.pathname + location.search`); got != picker {
		t.Errorf("Back went to %s, want the picker's address %s", got, picker)
	}
	if dayTitle(tb) != held.Day {
		t.Errorf("Back shows %q, want the day of the held time, %s", dayTitle(tb), held.Day)
	}
	marked := eval[[]string](tb, `[...document.querySelectorAll('#picker button.held')].map(b => b.value)`)
	if len(marked) != 1 || marked[0] != held.Value {
		t.Errorf("after Back the times marked held are %q, want %s (%s)", marked, held.Value, held.name())
	}
	tb.assertClean("the picker after Back")

	// Forward: the details step, with everything typed.
	tb.do("going Forward", chromedp.NavigateForward())
	waitFor(tb, "Forward shows the details step", `location.pathname === '/book/details' && !!document.querySelector('#details form')`)
	settled(tb)
	if got := eval[string](tb, `location.pathname + location.search`); got != details {
		t.Errorf("Forward went to %s, want the details step %s", got, details)
	}
	if got := readTyped(tb); got != w {
		t.Errorf("after Forward the form holds %+v, want everything typed: %+v", got, w)
	}
	if !strings.Contains(eval[string](tb, `document.querySelector('#details').textContent`), "holding this time for you until") {
		t.Error("after Forward the details step no longer says the time is held")
	}
	tb.assertClean("the details step after Forward")

	// Reload: the same.
	tb.do("reloading", chromedp.Reload())
	waitFor(tb, "the reload shows the details step", `!!document.querySelector('#details form')`)
	if got := eval[string](tb, `location.pathname + location.search`); got != details {
		t.Errorf("the reload shows %s, want %s", got, details)
	}
	if got := readTyped(tb); got != w {
		t.Errorf("after a reload the form holds %+v, want everything typed: %+v", got, w)
	}
	tb.assertClean("the details step after a reload")
}

// TestBookingServiceChangeKeepsFields: on the details step a client
// follows "Change the time, service or place" (the picker on that day,
// the held time marked), chooses another service and a time of it, and the
// details step comes back with everything they had typed, for the new
// service.
func TestBookingServiceChangeKeepsFields(t *testing.T) {
	tb := clickTab(t)
	tb.origin = startSecondInstance(t) // its own allowance of holds: see the list at the top of booking_test.go
	releaseAtEnd(tb)
	openWeek(tb, "30 minutes", 3)
	held := holdFirstFreeTime(tb)
	w := typed{Name: "Sam Switch", Email: "sam.switch@example.com", Phone: "07700 900654", Notes: "First massage.",
		Clots: "no", Injury: "yes", Details: "Knee surgery in September.", Policy: true}
	typeDetails(tb, w)

	loadBy(tb, `clicking "Change the time, service or place"`, chromedp.Click(byText(`#details .chosen button`, "Change the time, service or place")))
	if got := eval[string](tb, `location.search`); !strings.Contains(got, "date="+held.ukDate(t)) {
		t.Errorf(`"Change the time, service or place" went to …%s, want the picker on %s`, got, held.ukDate(t))
	}
	if marked := eval[[]string](tb, `[...document.querySelectorAll('#picker button.held')].map(b => b.value)`); len(marked) != 1 || marked[0] != held.Value {
		t.Errorf("on the picker after Change the times marked held are %q, want %s", marked, held.Value)
	}
	service := serviceValue(tb, "90 minutes")
	swapBy(tb, "choosing the 90-minute service", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="service"][value=%q]`, service))),
		fmt.Sprintf(`!!document.querySelector('#picker form.slots input[name="service"][value=%q]')`, service))
	tb.assertClean("the picker for another service")
	// The day looked at stays the day shown, unless it has no time for 90
	// minutes (other tests book days full): then the next day that has,
	// saying so.
	if got := eval[string](tb, `location.search`); !strings.Contains(got, "date="+held.ukDate(t)) &&
		!eval[bool](tb, `!!document.querySelector('#picker .day-note')`) {
		t.Errorf("after choosing another service the address is …%s, want the same day %s (or the next free one with a note)", got, held.ukDate(t))
	}
	other := holdFirstFreeTime(tb)
	if got := eval[string](tb, `document.querySelector('#details .chosen').textContent.replace(/\s+/g, ' ')`); !strings.Contains(got, "90 minutes") || !strings.Contains(got, other.booked(t)) {
		t.Errorf("after the change the details step says %q, want the 90-minute service at %s", got, other.booked(t))
	}
	if got := readTyped(tb); got != w {
		t.Errorf("after changing the service the form holds %+v, want everything typed before: %+v", got, w)
	}
	tb.assertClean("the details step after changing the service")
}

// TestBookingMobilePostcode: a mobile visit asks for the postcode before
// any time: without one the page says where visits go and shows no times;
// a postcode outside the area (CB1 2AB) is told so at once, in words, with
// no times and the studio offered instead; one inside (PE27 5AB) shows the
// free times, and the details step has it filled in. The postcode field is
// shown only for a visit. axe-core finds no serious problem on either.
func TestBookingMobilePostcode(t *testing.T) {
	tb := clickTab(t)
	releaseAtEnd(tb)
	tb.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	tb.open("/book")
	visible := `((el) => !!el && el.checkVisibility({checkVisibilityCSS: true}))(document.querySelector('#f-where'))`
	if eval[bool](tb, visible) {
		t.Error("the postcode field is shown for the studio; it is for visits only")
	}
	service := serviceValue(tb, "60 minutes")
	tb.open("/book?service=" + service + "&location=mobile")
	tb.assertClean("the booking page for a visit")
	if !eval[bool](tb, visible) {
		t.Fatal("the postcode field is not shown for a visit")
	}
	if n := len(slotsIn(tb, "#picker")); n != 0 {
		t.Errorf("a visit without a postcode shows %d times; it should ask for the postcode first", n)
	}
	if note := eval[string](tb, `((document.querySelector('#area-note') || {}).textContent || '').trim()`); !strings.Contains(note, "PE27") || !strings.Contains(note, "postcode") {
		t.Errorf("a visit without a postcode says %q, want where visits go and to enter the postcode", note)
	}

	check := func(postcode string) {
		t.Helper()
		tb.do("typing "+postcode, chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-where").value = ""`), chromedp.SendKeys(chromedp.CSS(`#f-where`), postcode))
		before := eval[string](tb, `document.querySelector('#picker').innerHTML`)
		swapBy(tb, `clicking "Check"`, chromedp.Click(byText(`form.book-choice button`, "Check")),
			fmt.Sprintf(`document.querySelector('#picker').innerHTML !== %s`, strconvQuote(before)))
	}

	// Outside the area.
	check("CB1 2AB")
	type outside struct {
		Alert  string `json:"alert"`
		Studio string `json:"studio"`
		Times  int    `json:"times"`
	}
	got := eval[outside](tb, `(() => {
		const a = document.querySelector('#picker .form-notice[role="alert"]');
		const s = [...document.querySelectorAll('#picker a')].find(a => a.textContent.includes('studio'));
		return {alert: a ? a.textContent.trim() : '', studio: s ? s.getAttribute('href') : '', times: document.querySelectorAll('#picker .times [name="start"]').length};
	})()`)
	if !strings.Contains(got.Alert, "CB1") || !strings.Contains(got.Alert, "outside") || got.Times != 0 {
		t.Errorf("a postcode outside the area (CB1 2AB) gives %+v; want an alert saying CB1 is outside the area, and no times", got)
	}
	if !strings.Contains(got.Studio, "location=studio") {
		t.Errorf("outside the area the page offers no link to book at the studio instead (%+v)", got)
	}
	tb.assertClean("a postcode outside the area")
	checkAxe(tb, "a postcode outside the area")

	// Inside.
	check("PE27 5AB")
	slots := slotsIn(tb, "#picker")
	if len(slots) == 0 {
		t.Fatalf("a postcode inside the area (PE27 5AB) shows no times: %s (field %q, address %s)", eval[string](tb, `document.querySelector('#picker').innerText.slice(0, 300)`),
			eval[string](tb, `document.querySelector('#f-where').value`), eval[string](tb, `location.search`))
	}
	if q := eval[string](tb, `location.search`); !strings.Contains(q, "postcode=PE27") || !strings.Contains(q, "location=mobile") {
		t.Errorf("the address after checking the postcode is …%s, want it to carry the visit and the postcode", q)
	}
	checkSlots(t, tb, "#picker")
	tb.assertClean("a postcode inside the area")
	checkAxe(tb, "the times of a visit inside the area")
	holdTime(tb, slots[0])
	if got := eval[string](tb, `(document.querySelector('#f-postcode') || {}).value || ''`); got != "PE27 5AB" {
		t.Errorf("the details step's postcode is %q, want PE27 5AB as checked", got)
	}
	if !eval[bool](tb, `!!document.querySelector('#f-address')`) {
		t.Error("the details step of a visit asks for no address")
	}
	if got := eval[string](tb, `document.querySelector('#details .chosen').textContent.replace(/\s+/g, ' ')`); !strings.Contains(got, "mobile visit") {
		t.Errorf("the details step says %q, want a mobile visit", got)
	}
	tb.assertClean("the details step of a visit")
}

// TestBookAgainPrefills: after a booking, its "Book again" address
// (/book?…&again=<its token>) carries the token to the details step, which
// fills in the name, e-mail and phone of that booking but not its health
// answers; "Fill in my answers from last time" shows the form again with
// those answers, and what was typed meanwhile kept. It books in the
// seventh week after the one the picker opens on, on an instance of its own
// (see the list at the top of booking_test.go).
func TestBookAgainPrefills(t *testing.T) {
	tb := clickTab(t)
	tb.origin = startSecondInstance(t)
	releaseAtEnd(tb)
	openWeek(tb, "60 minutes", 7)
	service := serviceValue(tb, "60 minutes")
	holdFirstFreeTime(tb)
	w := typed{Name: "Ada Again", Email: "ada.again@example.com", Phone: "07700 900987", Notes: "",
		Clots: "no", Injury: "yes", Details: "Torn calf in March.", Policy: true}
	typeDetails(tb, w)
	tb.do("answering the other questions No and agreeing to keep the answers",
		chromedp.Click(chromedp.CSS(`#details input[name="health_skin"][value="no"]`)),
		chromedp.Click(chromedp.CSS(`#details input[name="health_pregnancy"][value="no"]`)),
		chromedp.Click(chromedp.CSS(`#details input[name="health_medication"][value="no"]`)),
		chromedp.Click(chromedp.CSS(`#details input[name="consent_health"]`)))
	manage := book(tb)
	token := strings.TrimPrefix(manage, "/bookings/")

	// Book again: a new details step, filled from that booking.
	tb.open("/book?service=" + service + "&location=studio&again=" + url.QueryEscape(token))
	tb.assertClean("the booking page from Book again")
	holdFirstFreeTime(tb)
	if got := eval[string](tb, `location.search`); !strings.Contains(got, "again="+token) {
		t.Errorf("the details step's address …%s does not carry the Book again token", got)
	}
	got := readTyped(tb)
	if got.Name != w.Name || got.Email != w.Email || got.Phone != w.Phone {
		t.Errorf("Book again fills in %q, %q, %q; want the booking's name, e-mail and phone", got.Name, got.Email, got.Phone)
	}
	if got.Injury != "" || got.Clots != "" || got.Details != "" {
		t.Errorf("Book again filled in health answers before the client asked (%+v)", got)
	}
	const notes = "Calf fine now; left shoulder this time."
	tb.do("typing notes", chromedp.SendKeys(chromedp.CSS(`#f-notes`), notes))
	loadBy(tb, `clicking "Fill in my answers from last time"`, chromedp.Click(chromedp.CSS(`#details button[name="fill"][value="last"]`)))
	got = readTyped(tb)
	if got.Injury != "yes" || got.Details != w.Details || got.Clots != "no" {
		t.Errorf("after \"Fill in my answers from last time\" the health answers are %+v; want last time's (injury yes: %q, clots no)", got, w.Details)
	}
	if n := eval[int](tb, `document.querySelectorAll('#details input[name^="health_"][value="no"]:checked').length`); n != 4 {
		t.Errorf("after filling in last time's answers %d questions are answered No, want 4", n)
	}
	if got.Notes != notes || got.Name != w.Name {
		t.Errorf("filling in last time's answers lost what was typed: notes %q, name %q", got.Notes, got.Name)
	}
	if len(eval[[]string](tb, `[...document.querySelectorAll('#details .field-error')].map(e => e.textContent)`)) != 0 {
		t.Error("filling in last time's answers shows the form with mistakes marked")
	}
	tb.assertClean("the details step with last time's answers")
}
