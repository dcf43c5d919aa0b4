package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The details step has an address of its own: reloaded, shared or reached
// by Back and Forward it shows the same time, held or not, and what the
// flow brought to it.
func TestDetailsStepAddress(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	ann, bob := s.client(t), s.client(t)
	week := weekAfter(3)
	t1 := ann.firstFree(t, svc.ID, db.PlaceStudio, week)
	start := mustTime(t, t1)
	ann.hold(t, svc.ID, db.PlaceStudio, t1)
	addr := detailsURL(svc.ID, db.PlaceStudio, start, "", "")

	// Ann's own hold: the form says until when; the way back names the day.
	res := ann.get(t, addr)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("section#details form[action=/book] input[name=start]", hasAttr("value", t1)),
		in("section#details p.hint", hasText("holding this time for you until")),
		in("section#details .chosen button[name=change]", hasAttr("value", changeURL(svc.ID, db.PlaceStudio, start, "", ""))),
		in("section#details form[data-draft=booking]"))
	// The picker on that day marks the time she holds.
	pick := ann.get(t, changeURL(svc.ID, db.PlaceStudio, start, "", ""))
	checkHTML(t, pick.body, in(fmt.Sprintf("button.held[name=start][value=%q]", t1)), in("#held-note"))

	// Bob, given the same address: the time is Ann's, so other times of
	// that day are offered, and nothing is held for him.
	res = bob.get(t, addr)
	if res.StatusCode != http.StatusConflict {
		t.Errorf("someone else's held time: %d, want 409", res.StatusCode)
	}
	checkHTML(t, res.body, in(".form-notice", hasText("was just taken")), in("fieldset.alt-times input[name=start]"))
	if strings.Contains(res.body, "holding this time for you") {
		t.Error("Bob is told a time is held for him")
	}

	// Once Ann lets it go, the same address says it is free and will be
	// booked if still free when the form is sent.
	ann.post(t, "/book/release", holdForm(svc.ID, db.PlaceStudio, t1))
	res = bob.get(t, addr)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in(".form-notice", hasText("no longer held for you")), in("input[name=start]", hasAttr("value", t1)))

	// Nonsense gets the picker or a clear message, never a 500.
	for _, q := range []string{"?start=yesterday", "?service=x&location=y&start=" + url.QueryEscape(t1), "?service=1&location=studio&start=0001-01-01T00:00:00Z", "?start=" + strings.Repeat("9", 3000)} {
		res := bob.get(t, "/book/details"+q)
		if res.StatusCode >= 500 {
			t.Errorf("/book/details%s: %d", q, res.StatusCode)
		}
	}
	noServerErrors(t, s)
}

// "Change the time, service or place" is a button of the details form: what
// was typed is kept in the session, the client goes to the picker on that
// day, and the next details form has it all again, also without
// JavaScript; once booked it is forgotten.
func TestChangeKeepsWhatWasTyped(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	week := weekAfter(6)
	t1 := cl.firstFree(t, svc.ID, db.PlaceStudio, week)
	cl.hold(t, svc.ID, db.PlaceStudio, t1)
	f := detailsForm(svc.ID, db.PlaceStudio, t1)
	f.Set("health_injury", "yes")
	f.Set("health_injury_details", "Hamstring, last month")
	f.Del("consent_health")
	f.Set("change", "1")
	res := cl.post(t, "/book", f)
	if want := changeURL(svc.ID, db.PlaceStudio, mustTime(t, t1), "", ""); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("Change: %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	if n := len(takingTime(t, t1)); n != 1 {
		t.Errorf("Change made %d rows at %s, want the hold alone", n, t1)
	}
	t2 := cl.freeAfter(t, svc.ID, db.PlaceStudio, week, t1, 3*time.Hour)
	cl.hold(t, svc.ID, db.PlaceStudio, t2)
	page := cl.get(t, detailsURL(svc.ID, db.PlaceStudio, mustTime(t, t2), "", ""))
	checkHTML(t, page.body,
		in("input#f-name", hasAttr("value", "Ann Example")),
		in("input#f-email", hasAttr("value", "ann@example.com")),
		in("input#f-phone", hasAttr("value", "07700 900123")),
		in("textarea#f-notes", hasText("Tight left calf")),
		in("input[name=health_injury][value=yes]", hasAttr("checked", "")),
		in("textarea#f-health-injury", hasText("Hamstring, last month")),
		in("input[name=health_clots][value=no]", hasAttr("checked", "")),
		in("input[name=consent_policy]", hasAttr("checked", "")),
		notIn("input[name=consent_health][checked]"))
	// An hour later (a shared computer) it is no longer offered.
	clk.Advance(draftLife + time.Minute)
	cl.hold(t, svc.ID, db.PlaceStudio, t2)
	checkHTML(t, cl.get(t, detailsURL(svc.ID, db.PlaceStudio, mustTime(t, t2), "", "")).body, in("input#f-name", hasAttr("value", "")))
	clk.Advance(-draftLife - time.Minute)
	cl.hold(t, svc.ID, db.PlaceStudio, t2)
	bookedToken(t, cl.post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, t2)))
	// Booked: the next form starts empty.
	t3 := cl.freeAfter(t, svc.ID, db.PlaceStudio, week, t2, 3*time.Hour)
	cl.hold(t, svc.ID, db.PlaceStudio, t3)
	checkHTML(t, cl.get(t, detailsURL(svc.ID, db.PlaceStudio, mustTime(t, t3), "", "")).body, in("input#f-name", hasAttr("value", "")))
	noServerErrors(t, s)
}

// A visit's postcode, checked on the first step, comes along to the
// details form; outside the area nothing can be chosen.
func TestVisitPostcodeComesAlong(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	cl := s.client(t)
	t1 := cl.firstFree(t, svc.ID, db.PlaceMobile, weekAfter(4))
	f := holdForm(svc.ID, db.PlaceMobile, t1)
	f.Set("postcode", "PE27 5AB")
	res := cl.post(t, "/book/hold", f)
	want := detailsURL(svc.ID, db.PlaceMobile, mustTime(t, t1), "PE27 5AB", "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("hold: %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	page := cl.get(t, want)
	checkHTML(t, page.body, in("input#f-postcode", hasAttr("value", "PE27 5AB")),
		in(".chosen button[name=change]", hasAttr("value", changeURL(svc.ID, db.PlaceMobile, mustTime(t, t1), "PE27 5AB", ""))))
	if rp := page.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("the details step, with a postcode in its address, sends Referrer-Policy %q, want no-referrer", rp)
	}
	for _, pc := range []string{"CB1 2AB", "nonsense", strings.Repeat("P", 100)} {
		res := cl.get(t, fmt.Sprintf("/book?service=%d&location=mobile&postcode=%s", svc.ID, url.QueryEscape(pc)))
		wantStatus(t, res, http.StatusOK)
		checkHTML(t, res.body, notIn("[name=start]"), in("section#picker .form-notice[role=alert]"))
	}
	noServerErrors(t, s)
}

// "None of these apply to me" answers every question left unanswered no;
// an answer given stays as it is.
func TestHealthNoneOfThese(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	t1 := cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(4))
	cl.hold(t, svc.ID, db.PlaceStudio, t1)
	f := detailsForm(svc.ID, db.PlaceStudio, t1)
	for _, q := range healthQuestions {
		f.Del("health_" + q.Key)
	}
	f.Set("health_medication", "yes")
	f.Set("health_medication_details", "Ibuprofen now and then")
	f.Set("health_none", "yes")
	b := bookingOf(t, bookedToken(t, cl.post(t, "/book", f)))
	for _, q := range healthQuestions {
		a, _ := b.Health[q.Key].(map[string]any)
		want := "no"
		if q.Key == "medication" {
			want = "yes"
		}
		if a["answer"] != want {
			t.Errorf("%s: answer %v, want %s", q.Key, a["answer"], want)
		}
	}
}

// "Book again" from a manage page fills in who the client is, and last
// time's health answers only when asked on the form; never from anything
// but that link.
func TestBookAgain(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	week := weekAfter(5)
	t1 := cl.firstFree(t, svc.ID, db.PlaceStudio, week)
	f := detailsForm(svc.ID, db.PlaceStudio, t1)
	f.Set("health_injury", "yes")
	f.Set("health_injury_details", "Sprained ankle in October")
	cl.hold(t, svc.ID, db.PlaceStudio, t1)
	token := bookedToken(t, cl.post(t, "/book", f))

	// A new visitor (another device) with the link.
	again := s.client(t)
	page := again.get(t, fmt.Sprintf("/book?service=%d&location=studio&again=%s&week=%s", svc.ID, token, week))
	wantStatus(t, page, http.StatusOK)
	if rp := page.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("a page with a manage token in its address sends Referrer-Policy %q", rp)
	}
	checkHTML(t, page.body, in("form.slots input[name=again]", hasAttr("value", token)), in("form.book-choice input[name=again]", hasAttr("value", token)))
	t2 := again.freeAfter(t, svc.ID, db.PlaceStudio, week, t1, 3*time.Hour)
	hf := holdForm(svc.ID, db.PlaceStudio, t2)
	hf.Set("again", token)
	res := again.post(t, "/book/hold", hf)
	to := detailsURL(svc.ID, db.PlaceStudio, mustTime(t, t2), "", token)
	if res.Header.Get("Location") != to {
		t.Fatalf("hold with again: Location %q, want %q", res.Header.Get("Location"), to)
	}
	details := again.get(t, to)
	checkHTML(t, details.body,
		in("input#f-name", hasAttr("value", "Ann Example")),
		in("input#f-email", hasAttr("value", "ann@example.com")),
		in("input#f-phone", hasAttr("value", "07700 900123")),
		in("form input[name=again]", hasAttr("value", token)),
		in("button[name=fill][value=last]", hasText("Fill in my answers from last time")),
		notIn("input[name=health_injury][checked]"))

	// Asked for: last time's answers, with what was typed kept.
	rf := url.Values{"service": {fmt.Sprint(svc.ID)}, "location": {"studio"}, "start": {t2}, "again": {token},
		"name": {"Ann E."}, "email": {"ann@example.com"}, "phone": {"07700 900123"}, "notes": {"Same calf"}, "fill": {"last"}}
	res = again.post(t, "/book", rf)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("input#f-name", hasAttr("value", "Ann E.")),
		in("textarea#f-notes", hasText("Same calf")),
		in("input[name=health_injury][value=yes]", hasAttr("checked", "")),
		in("textarea#f-health-injury", hasText("Sprained ankle in October")),
		in("input[name=health_clots][value=no]", hasAttr("checked", "")),
		notIn(".error-summary"))
	if n := len(takingTime(t, t2)); n != 1 {
		t.Errorf("filling in answers made %d rows at %s, want the one hold", n, t2)
	}

	// Without the link (or with a made-up one) nothing is filled in.
	other := s.client(t)
	for _, a := range []string{"", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "../../etc", strings.Repeat("x", 500)} {
		d := other.get(t, detailsURL(svc.ID, db.PlaceStudio, mustTime(t, t2), "", "")+"&again="+url.QueryEscape(a))
		if d.StatusCode >= 500 {
			t.Fatalf("again=%q: %d", a, d.StatusCode)
		}
		checkHTML(t, d.body, in("input#f-name", hasAttr("value", "")), notIn("button[name=fill]"))
	}
	noServerErrors(t, s)
}

// The times of a day are grouped by part of the day, and the day's
// heading and status say which day and how many.
func TestPartsOfTheDay(t *testing.T) {
	day := time.Date(2027, 3, 28, 0, 0, 0, 0, views.London) // the clocks go forward
	var slots []time.Time
	for _, hm := range [][2]int{{9, 0}, {11, 30}, {12, 0}, {16, 30}, {17, 0}, {19, 30}} {
		slots = append(slots, time.Date(2027, 3, 28, hm[0], hm[1], 0, 0, views.London))
	}
	slots = append(slots, time.Date(2027, 3, 29, 9, 0, 0, 0, views.London)) // the next day: left out
	parts := partsOf(slots, day, slots[2].UTC().Format(time.RFC3339))
	got := []string{}
	for _, p := range parts {
		var times []string
		for _, s := range p.Slots {
			mark := ""
			if s.Held {
				mark = "*"
			}
			times = append(times, s.Time+mark)
		}
		got = append(got, p.Name+": "+strings.Join(times, " "))
	}
	want := "Morning: 09:00 11:30 | Afternoon: 12:00* 16:30 | Evening: 17:00 19:30"
	if strings.Join(got, " | ") != want {
		t.Errorf("parts %q, want %q", strings.Join(got, " | "), want)
	}
	if parts := partsOf(nil, day, ""); len(parts) != 0 {
		t.Errorf("no times gave parts %v", parts)
	}
	for _, c := range []struct {
		d    pickerDay
		want string
	}{
		{pickerDay{Label: "Thursday 10 December", Free: 6, Open: true}, "Thursday 10 December, 6 free times"},
		{pickerDay{Label: "Thursday 10 December", Free: 1, Open: true}, "Thursday 10 December, 1 free time"},
		{pickerDay{Label: "Thursday 10 December", Open: true}, "Thursday 10 December, fully booked"},
		{pickerDay{Label: "Sunday 13 December"}, "Sunday 13 December, closed"},
	} {
		if got := c.d.Name(); got != c.want {
			t.Errorf("Name() = %q, want %q", got, c.want)
		}
	}
}

// TestKeptDayMovesOnWhenFull: changing the service or place keeps the day
// being looked at (keep=) when it has a free time for the new choice, and
// otherwise shows the next day that has, saying why; a day asked for by its
// own link (date=) is shown as it is, full or closed.
func TestKeptDayMovesOnWhenFull(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	sunday := startOfDay(clk.Now()).AddDate(0, 0, 1)
	for sunday.Weekday() != time.Sunday {
		sunday = sunday.AddDate(0, 0, 1)
	}
	base := slotsURL(svc.ID, db.PlaceStudio, "")
	monday := sunday.AddDate(0, 0, 1).Format("Monday 2 January")

	kept := cl.get(t, base+"&keep="+sunday.Format(time.DateOnly), "HX-Request: true")
	wantStatus(t, kept, http.StatusOK)
	checkHTML(t, kept.body,
		in("#day-title", hasText(monday)),
		in(".day-note", hasText("Nothing is free on "+sunday.Format("Monday 2 January")+" for this choice")),
		in("#picker form.slots button[name=start]"),
	)

	asked := cl.get(t, base+"&date="+sunday.Format(time.DateOnly), "HX-Request: true")
	wantStatus(t, asked, http.StatusOK)
	checkHTML(t, asked.body, in("#day-title", hasText(sunday.Format("Monday 2 January"))), count(".day-note", 0))

	same := cl.get(t, base+"&keep="+sunday.AddDate(0, 0, 1).Format(time.DateOnly), "HX-Request: true")
	checkHTML(t, same.body, in("#day-title", hasText(monday)), count(".day-note", 0))
}
