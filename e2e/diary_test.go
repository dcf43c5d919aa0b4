package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// visible is a JavaScript expression: the first element matching css is
// on the page and laid out (not display: none, nor inside such).
func visible(css string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, css)
}

// TestTherapistDiary: the therapist reads a week of her diary with a
// booking, a time a client is holding right now and an afternoon off
// ("Dentist"), on a laptop as a grid and on a phone as the day with the
// week as a list; then taps an empty time, finds a past client by typing
// part of their name, picks one of the day's free times and books: the
// booking is in the diary. It works six weeks after the week the picker
// opens on, after TestTimeOffRemovesTimesFromThePicker (admin_test.go),
// the only other test there, has run; its time off is removed at the end.
func TestTherapistDiary(t *testing.T) {
	b := newBrowser(t)
	visitor, admin := b.newTab(t), b.newTab(t)

	// The day: the first with a free time, six weeks on (a Monday, or the
	// first day after it with times), found as a visitor finds it.
	openWeek(visitor, "60 minutes", 6)
	service := serviceValue(visitor, "60 minutes")
	slots := slotsIn(visitor, "#picker")
	if len(slots) < 8 {
		t.Fatalf("%s offers %d times, too few for this test", dayTitle(visitor), len(slots))
	}
	date := slots[0].ukDate(t)
	day, err := time.ParseInLocation(time.DateOnly, date, views.London)
	if err != nil {
		t.Fatal(err)
	}
	monday := day.AddDate(0, 0, -int(day.Weekday()+6)%7).Format(time.DateOnly)
	first := slots[0].start(t).In(views.London)
	at := func(h time.Duration) string { return first.Add(h).Format("15:04") }

	// A client holds the day's last time.
	releaseAtEnd(visitor)
	held := slots[len(slots)-1]
	holdTime(visitor, held)

	// A past client, booked by phone an hour after the first time.
	logIn(admin)
	admin.open("/admin/bookings/new?date=" + date + "&time=" + at(time.Hour) + "&place=studio")
	admin.assertClean("the new booking form")
	admin.do("filling in the booking",
		chromedp.SetValue(chromedp.CSS(`#f-service`), service),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Pat Pastclient"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "pat.pastclient@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "07700 900777"))
	loadBy(admin, "adding the booking", chromedp.Click(chromedp.CSS(`#add-booking`)))
	bookingPage := regexp.MustCompile(`^/admin/bookings/\d+$`)
	if path := eval[string](admin, `location.pathname`); !bookingPage.MatchString(path) {
		t.Fatalf("after adding the booking the page is %s: %s", path, eval[string](admin, formMessages))
	}

	// An afternoon off: four hours after the first time, for two hours.
	admin.open("/admin/availability")
	admin.do("filling in the time off",
		chromedp.SetValue(chromedp.CSS(`#off-from-date`), date),
		chromedp.SetValue(chromedp.CSS(`#off-from-time`), at(4*time.Hour)),
		chromedp.SetValue(chromedp.CSS(`#off-to-time`), at(6*time.Hour)),
		chromedp.SendKeys(chromedp.CSS(`#off-note`), "Dentist"))
	loadBy(admin, "adding the time off", chromedp.Click(byText(`button`, "Add the time off")))
	t.Cleanup(func() { removeTimeOff(t, "Dentist") })

	// The week on a laptop: a grid with the three of them and today's
	// week's days across.
	admin.do("setting a laptop viewport", chromedp.EmulateViewport(1280, 800))
	admin.open("/admin/diary?week=" + monday)
	admin.assertClean("the diary's week")
	if !eval[bool](admin, visible(`.diary-wide .diary-grid`)) || eval[bool](admin, visible(`.diary-narrow`)) {
		t.Error("on a laptop the week is not shown as the grid")
	}
	type grid struct {
		Days     int    `json:"days"`
		Booking  string `json:"booking"`
		Hold     string `json:"hold"`
		Off      string `json:"off"`
		Free     int    `json:"free"`
		BookingH int    `json:"bookingH"`
		FreeH    int    `json:"freeH"`
	}
	g := eval[grid](admin, `(() => {
		const w = document.querySelector('.diary-wide');
		const txt = css => [...w.querySelectorAll(css)].map(e => e.textContent.replace(/\s+/g, ' ').trim()).join(' | ');
		const b = w.querySelector('.dg-booking'), f = w.querySelector('.dg-free');
		return {days: w.querySelectorAll('.dg-day').length, booking: txt('.dg-booking'), hold: txt('.dg-hold'), off: txt('.dg-off'),
			free: w.querySelectorAll('a.dg-free').length,
			bookingH: b ? Math.round(b.getBoundingClientRect().height) : 0, freeH: f ? Math.round(f.getBoundingClientRect().height) : 0};
	})()`)
	if g.Days != 7 || !strings.Contains(g.Booking, "Pat Pastclient") || !strings.Contains(g.Hold, "held until") ||
		!strings.Contains(g.Off, "Dentist") || g.Free == 0 {
		t.Errorf("the week's grid reads %+v; want 7 days, Pat Pastclient's booking, the hold, the time off and free times", g)
	}
	// An hour's booking is drawn twice as tall as a free half hour.
	if g.FreeH == 0 || g.BookingH < 2*g.FreeH-1 || g.BookingH > 2*g.FreeH+1 {
		t.Errorf("an hour's booking is %d px tall and a free half hour %d px", g.BookingH, g.FreeH)
	}
	checkLabelsFit(t, admin, ".diary-wide", "the week on a laptop")
	checkAxe(admin, "the diary's week on a laptop")
	keepScreenshot(t, admin, "diary-week-1280")

	// On a phone: a day with the days around it, and the week as a list.
	admin.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	admin.open("/admin/diary?week=" + monday)
	if eval[bool](admin, visible(`.diary-wide`)) || !eval[bool](admin, visible(`.diary-narrow nav.day-nav`)) {
		t.Error("on a phone the week page does not show one day with the days around it")
	}
	if n := eval[int](admin, `document.querySelectorAll('.diary-narrow .diary-list').length`); n == 0 {
		t.Error("on a phone the week is not listed")
	}
	keepScreenshot(t, admin, "diary-week-390")
	admin.open("/admin/diary?day=" + date)
	admin.assertClean("the diary's day on a phone")
	if !eval[bool](admin, visible(`.diary-grid.days-1 .dg-booking`)) || !eval[bool](admin, visible(`.diary-grid .dg-off`)) ||
		!eval[bool](admin, visible(`.diary-grid .dg-hold`)) {
		t.Error("the day view on a phone does not show the booking, the hold and the time off")
	}
	if w := eval[int](admin, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the day view is %d px wide on a 390 px phone", w)
	}
	checkLabelsFit(t, admin, "main", "the day on a phone")
	checkAxe(admin, "the diary's day on a phone")
	keepScreenshot(t, admin, "diary-day-390")

	// Back on the laptop: she taps an empty time after the booking.
	admin.do("setting a laptop viewport", chromedp.EmulateViewport(1280, 800))
	admin.open("/admin/diary?week=" + monday)
	tapped := at(2*time.Hour + 30*time.Minute)
	loadBy(admin, "tapping the empty time "+tapped, chromedp.Click(chromedp.CSS(fmt.Sprintf(
		`.diary-wide a.dg-free[href="/admin/bookings/new?date=%s&time=%s&place=studio"]`, date, tapped))))
	if v := eval[string](admin, `document.querySelector('#f-date').value`); v != date {
		t.Errorf("the new booking is for %q, want %s", v, date)
	}
	// She finds the client by typing part of the name.
	swapBy(admin, "typing part of the name", chromedp.SendKeys(chromedp.CSS(`#f-q`), "pastcl"),
		`!!document.querySelector('#client-matches button[name=client]')`)
	if got := eval[string](admin, `document.querySelector('#client-matches').textContent`); !strings.Contains(got, "Pat Pastclient") {
		t.Fatalf("the search found %q", got)
	}
	checkAxe(admin, "the new booking form with clients found")
	// Notes typed before choosing the client stay in the form, and out of
	// the address (the form is posted back).
	const notes = "Bring the long towel"
	admin.do("typing the notes", chromedp.SendKeys(chromedp.CSS(`#f-notes`), notes))
	loadBy(admin, "choosing the client", chromedp.Click(chromedp.CSS(`#client-matches button[name=client]`)))
	if v := eval[string](admin, `document.querySelector('#f-email').value`); v != "pat.pastclient@example.com" {
		t.Errorf("choosing the client filled in the e-mail %q", v)
	}
	checkNotesKept(t, admin, notes, "choosing the client")
	// The service: the day's free times appear as buttons.
	admin.do("choosing the service", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector('#f-service'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, service)))
	waitFor(admin, "the day's free times", `document.querySelectorAll('#free-times .time-buttons input').length > 0`)
	settled(admin)
	times := eval[[]string](admin, `[...document.querySelectorAll('#free-times .time-buttons input')].map(i => i.value)`)
	pick := at(3 * time.Hour)
	if !contains(times, pick) || contains(times, at(time.Hour)) {
		t.Fatalf("the free times are %v: want %s and not %s (booked)", times, pick, at(time.Hour))
	}
	admin.do("picking "+pick, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#free-times label.time-button:has(input[value=%q])`, pick))))
	if !eval[bool](admin, fmt.Sprintf(`document.querySelector('#free-times input[value=%q]').checked`, pick)) {
		t.Fatal("the time picked is not chosen")
	}
	checkAxe(admin, "the new booking form with free times")
	keepScreenshot(t, admin, "diary-new-booking-1280")
	// Enter in a field books, as in any form (not the client search's Find,
	// which comes first in the form).
	loadBy(admin, "pressing Enter in the phone field", chromedp.SendKeys(chromedp.CSS(`#f-phone`), kb.Enter))
	if path := eval[string](admin, `location.pathname`); !bookingPage.MatchString(path) {
		t.Fatalf("after adding the second booking the page is %s: %s", path, eval[string](admin, formMessages))
	}
	admin.open("/admin/diary?week=" + monday)
	booked := eval[string](admin, `[...document.querySelectorAll('.diary-wide .dg-booking')].map(e => e.textContent.replace(/\s+/g, ' ')).join(' | ')`)
	if !strings.Contains(booked, pick+"–") || strings.Count(booked, "Pat Pastclient") != 2 {
		t.Errorf("the diary's bookings read %q; want Pat Pastclient twice, once at %s", booked, pick)
	}
	admin.assertClean("the diary after booking")

	// The same without JavaScript, on a phone: Find, the client, "Show
	// free times" and the time are plain form submissions.
	plain := b.newTab(t) // logged in: the browser's tabs share their cookies
	if _, err := chromedp.Call(plain.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	plain.do("setting a phone viewport", chromedp.EmulateViewport(390, 844))
	plain.open("/admin/bookings/new?date=" + date + "&place=studio")
	if eval[bool](plain, `typeof window.htmx !== 'undefined'`) {
		t.Fatal("htmx ran although JavaScript is off")
	}
	plain.do("typing the notes and part of the name", chromedp.SendKeys(chromedp.CSS(`#f-notes`), notes),
		chromedp.SendKeys(chromedp.CSS(`#f-q`), "pastcl"))
	loadBy(plain, "pressing Find", chromedp.Click(byText(`#new-booking button`, "Find")))
	checkNotesKept(t, plain, notes, "pressing Find without JavaScript")
	checkAxeWithoutJS(plain, "the new booking form with clients found, without JavaScript")
	loadBy(plain, "choosing the client", chromedp.Click(chromedp.CSS(`#client-matches button[name=client]`)))
	if v := eval[string](plain, `document.querySelector('#f-name').value`); v != "Pat Pastclient" {
		t.Errorf("without JavaScript choosing the client filled in the name %q", v)
	}
	plain.do("choosing the service", chromedp.SetValue(chromedp.CSS(`#f-service`), service))
	loadBy(plain, `pressing "Show free times"`, chromedp.Click(byText(`#new-booking button`, "Show free times")))
	checkNotesKept(t, plain, notes, `pressing "Show free times" without JavaScript`)
	late := at(6 * time.Hour)
	if !eval[bool](plain, fmt.Sprintf(`!!document.querySelector('#free-times input[value=%q]')`, late)) {
		t.Fatalf("without JavaScript the free times are %v, want %s among them",
			eval[[]string](plain, `[...document.querySelectorAll('#free-times .time-buttons input')].map(i => i.value)`), late)
	}
	plain.do("picking "+late, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#free-times label.time-button:has(input[value=%q])`, late))))
	checkAxeWithoutJS(plain, "the new booking form with free times, without JavaScript")
	loadBy(plain, "adding the booking", chromedp.Click(chromedp.CSS(`#add-booking`)))
	if path := eval[string](plain, `location.pathname`); !bookingPage.MatchString(path) {
		t.Fatalf("without JavaScript, after adding the booking the page is %s: %s", path, eval[string](plain, formMessages))
	}
	plain.assertClean("the booking made without JavaScript")
}

// checkLabelsFit: in the grids under root, no label of an appointment, a
// hold or time off runs past the bottom of its cell (a label too long ends
// with an ellipsis: line-clamp), and each such cell has its whole text as
// its title.
func checkLabelsFit(t *testing.T, tb *tab, root, where string) {
	t.Helper()
	problems := eval[[]string](tb, fmt.Sprintf(`(() => {
		const out = [];
		for (const cell of document.querySelector(%q).querySelectorAll('.dg-booking, .dg-hold, .dg-off')) {
			const text = cell.querySelector('.dg-text'), c = cell.getBoundingClientRect();
			if (!text || c.height === 0) { continue; }
			const r = text.getBoundingClientRect(), words = text.textContent.replace(/\s+/g, ' ').trim();
			if (r.bottom > c.bottom + 1 || r.right > c.right + 1) { out.push(words + ': runs past its cell'); }
			if (text.scrollHeight > text.clientHeight + 1 && getComputedStyle(text).webkitLineClamp === 'none') { out.push(words + ': cut without an ellipsis'); }
			if (!cell.title || !cell.title.includes(words.split(' ')[0])) { out.push(words + ': title ' + JSON.stringify(cell.title)); }
		}
		return out;
	})()`, root))
	for _, p := range problems {
		t.Errorf("%s: %s", where, p)
	}
}

// checkNotesKept: after the booking form came back (Find, a client,
// "Show free times"), the notes typed are still in it, and neither the
// address nor the browser's history has them.
func checkNotesKept(t *testing.T, tb *tab, notes, after string) {
	t.Helper()
	if v := eval[string](tb, `document.querySelector('#f-notes').value`); v != notes {
		t.Errorf("after %s the notes read %q, want %q", after, v, notes)
	}
	words := strings.Fields(notes)
	if href := eval[string](tb, `location.href`); strings.Contains(href, words[len(words)-1]) || strings.Contains(href, "notes=") {
		t.Errorf("after %s the address carries the notes: %s", after, href)
	}
}

// keepScreenshot saves a full-page PNG of the tab as it is in
// $E2E_SCREENSHOTS (see saveScreenshots), for a person to look at.
func keepScreenshot(t *testing.T, tb *tab, name string) {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// removeTimeOff deletes the time off noted note from the suite's database,
// so that the tests after find the availability page as it was.
func removeTimeOff(t *testing.T, note string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bdb, err := db.Open(ctx, databaseURL, db.Options{AppName: "e2e"})
	if err != nil {
		t.Errorf("removing the time off: %v", err)
		return
	}
	defer bdb.Close()
	if _, err := bdb.NewRaw(`DELETE FROM time_off WHERE note = ?`, note).Exec(ctx); err != nil {
		t.Errorf("removing the time off: %v", err)
	}
}
