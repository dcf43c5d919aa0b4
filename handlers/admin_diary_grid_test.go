package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// london is a London wall-clock instant, for clocks the tests set.
func london(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, views.London)
}

// mobileService is a service offered both at the studio and on visits.
func mobileService(t *testing.T) db.Service {
	t.Helper()
	for _, s := range bookingServices(t) {
		if s.Mobile && s.AtStudio {
			return s
		}
	}
	t.Fatal("no service is offered on mobile visits")
	return db.Service{}
}

// The diary opens on the current week while today has something left, and
// otherwise on the next working day (the seed's hours: studio Monday to
// Saturday, Saturday until 13:00; nothing on Sundays).
func TestDiaryOpensOnTheNextWorkingDay(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	var admin *client
	// Each instant gets a session of its own: one from another day may
	// have run out.
	logInAt := func(now time.Time) {
		clk.Set(now)
		admin = s.client(t)
		admin.logIn(t)
	}
	for _, tc := range []struct {
		name      string
		now       time.Time
		week, day string // the week shown (its title) and the day a phone sees
	}{
		{"Sunday evening", london(2026, 12, 6, 19, 10), "7 December – 13 December 2026", "Monday 7 December"},
		{"Saturday morning, in her hours", london(2026, 12, 12, 10, 0), "7 December – 13 December 2026", "Saturday 12 December"},
		{"Saturday afternoon, after her hours", london(2026, 12, 12, 14, 0), "14 December – 20 December 2026", "Monday 14 December"},
		{"a weekday morning", london(2026, 12, 8, 8, 0), "7 December – 13 December 2026", "Tuesday 8 December"},
		{"a weekday evening", london(2026, 12, 8, 19, 0), "7 December – 13 December 2026", "Wednesday 9 December"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logInAt(tc.now)
			res := admin.get(t, adminPath+"/diary")
			wantStatus(t, res, http.StatusOK)
			checkHTML(t, res.body,
				in("nav[aria-label=Weeks] h2", hasText(tc.week)),
				in("nav.day-nav h3", hasText(tc.day)))
		})
	}
	// A day off is not a working day: on Sunday evening, with Monday off,
	// it opens on Tuesday.
	logInAt(london(2026, 12, 6, 19, 10))
	off := &db.TimeOff{StartsAt: london(2026, 12, 7, 0, 0), EndsAt: london(2026, 12, 8, 0, 0), Note: "Holiday"}
	if err := db.AddTimeOff(context.Background(), seededDB(t), off); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, admin.get(t, adminPath+"/diary").body, in("nav.day-nav h3", hasText("Tuesday 8 December")))
	// A week asked for is that week, whatever the day.
	checkHTML(t, admin.get(t, adminPath+"/diary?week=2026-12-23").body, in("nav[aria-label=Weeks] h2", hasText("21 December – 27 December 2026")))
	noServerErrors(t, s)
}

// The week's grid shows the appointments (a mobile visit with its travel
// time around it), the times held now, time off with its label, today,
// and her hours; empty working time to come is a link to book it.
func TestDiaryGrid(t *testing.T) {
	runAt(t, epoch)
	clk.Set(london(2026, 12, 15, 8, 0)) // a Tuesday morning
	s := adminServer(t)
	svc := mobileService(t)
	admin := s.client(t)
	admin.logIn(t)
	ctx := context.Background()

	visit := url.Values{"service": {itoa(svc.ID)}, "location": {db.PlaceMobile}, "date": {"2026-12-15"}, "time": {"11:00"},
		"name": {"Ann Smith"}, "phone": {"07700 900123"}, "address": {"1 Example Road"}, "postcode": {"PE27 5AB"}}
	wantStatus(t, admin.post(t, adminPath+"/bookings", visit), http.StatusSeeOther)
	b := takingTime(t, london(2026, 12, 15, 11, 0).Format(time.RFC3339))[0]

	holder := s.client(t)
	holder.hold(t, svc.ID, db.PlaceStudio, london(2026, 12, 16, 14, 0).Format(time.RFC3339))
	held := holder.holds(t)[0]

	if err := db.AddTimeOff(ctx, seededDB(t), &db.TimeOff{StartsAt: london(2026, 12, 17, 14, 0), EndsAt: london(2026, 12, 17, 17, 0), Note: "Dentist"}); err != nil {
		t.Fatal(err)
	}
	res := admin.get(t, adminPath+"/diary")
	wantStatus(t, res, http.StatusOK)
	body := res.body
	wide := body[strings.Index(body, `class="diary-wide"`):strings.Index(body, `class="diary-narrow"`)]
	checkHTML(t, wide,
		in(".dg-day.is-today .dg-head[aria-current=date]", hasText("Today")),
		in(".dg-day.is-today", hasAttr("aria-label", "Tuesday 15 December, today")),
		count(".dg-day", 7),
		in("a.dg-booking.is-mobile[href=/admin/bookings/"+itoa(b.ID)+"]", hasText("11:00–"), hasText(svc.Name), hasText("Ann Smith"), hasText("mobile visit")),
		count(".dg-travel", 2),
		in(".dg-travel", hasText("Travel 30 min")),
		in(".dg-hold", hasText("held until "+held.HoldExpiresAt.In(views.London).Format("15:04")), hasText("14:00")),
		in(".dg-off", hasText("Time off: Dentist"), hasText("14:00–17:00")),
		in(".dg-closed"), // Sunday, and the evenings
		in("a.dg-free[href=/admin/bookings/new?date=2026-12-16&time=09:00&place=studio]", hasText("Book Wednesday 16 December, 09:00")),
		notIn("a.dg-free[href=/admin/bookings/new?date=2026-12-14&time=09:00&place=studio]"), // Monday is past
		notIn("a.dg-free[href=/admin/bookings/new?date=2026-12-17&time=14:00&place=studio]"), // time off
		notIn("a.dg-free[href=/admin/bookings/new?date=2026-12-20&time=09:00&place=studio]"), // Sunday
	)
	// The travel bands lie right before and after the visit.
	col := wide[strings.Index(wide, `aria-label="Tuesday 15 December`):]
	col = col[:strings.Index(col, "</section>")]
	iTravel, iVisit := strings.Index(col, "dg-travel"), strings.Index(col, "dg-booking")
	if iTravel < 0 || iVisit < iTravel || strings.LastIndex(col, "dg-travel") < iVisit {
		t.Error("the travel time is not drawn before and after the visit")
	}
	// The hours run from the earliest start of the week (09:00) to the
	// latest end (18:00), a quarter hour a row.
	checkHTML(t, wide, count(".dg-hours .dg-hour", 9), in(".dg-hours .dg-hour", hasText("09:00")))

	// On a phone: today's column with the days around it, and the week as
	// a list with the hold and the time off.
	narrow := body[strings.Index(body, `class="diary-narrow"`):]
	checkHTML(t, narrow,
		in("nav.day-nav a[href=/admin/diary?day=2026-12-14]", hasText("Previous day")),
		in("nav.day-nav a[href=/admin/diary?day=2026-12-16]", hasText("Next day")),
		count(".diary-grid .dg-day", 1),
		in(".diary-item.is-held", hasText("held until")),
		in(".diary-item.is-off", hasText("Dentist")))

	// The day view: the same grid, one column.
	day := admin.get(t, adminPath+"/diary?day=2026-12-17")
	checkHTML(t, day.body, count(".dg-day", 1), in(".dg-off", hasText("Dentist")), in(".diary-item.is-off", hasText("14:00–17:00")))

	// The dashboard's Today and the days after show time off too.
	checkHTML(t, admin.get(t, adminPath).body, in("p.diary-off", hasText("Time off 14:00–17:00: Dentist")))
	if got := offWhen(db.TimeOff{StartsAt: london(2026, 12, 17, 0, 0), EndsAt: london(2026, 12, 19, 0, 0)}, london(2026, 12, 18, 0, 0), london(2026, 12, 19, 0, 0)); got != "all day" {
		t.Errorf("a day inside a longer time off is %q, want all day", got)
	}
	if got := offWhen(db.TimeOff{StartsAt: london(2026, 12, 17, 15, 0), EndsAt: london(2026, 12, 19, 0, 0)}, london(2026, 12, 17, 0, 0), london(2026, 12, 18, 0, 0)); got != "from 15:00" {
		t.Errorf("the first afternoon of a longer time off is %q, want from 15:00", got)
	}
	noServerErrors(t, s)
}

// Finding a past client: by part of the name, the e-mail or the phone
// number (its digits), each person once, as htmx fragment and as the whole
// form; choosing one fills in their details.
func TestPhoneBookingFindsPastClients(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	client := s.client(t)
	for _, w := range []int{3, 4} { // Ann books twice: she is listed once
		bookedToken(t, client.post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(w)))))
	}
	admin := s.client(t)
	admin.logIn(t)
	for _, q := range []string{"ann ex", "ANN@EXAMPLE", "07700900", "0770 0900"} {
		res := admin.get(t, adminPath+"/bookings/new/clients?q="+url.QueryEscape(q), "HX-Request: true")
		wantStatus(t, res, http.StatusOK)
		isFragmentBody(t, res)
		checkHTML(t, res.body,
			count("ul.client-matches li", 1),
			in("button[name=client][value=0][formaction='/admin/bookings/new#client-matches'][formmethod=post]", hasText("Ann Example"), hasText("ann@example.com")))
	}
	res := admin.get(t, adminPath+"/bookings/new/clients?q=zzzz", "HX-Request: true")
	checkHTML(t, res.body, notIn("ul.client-matches"), in("p", hasText("No past client matches")))
	// "%" is no wildcard.
	checkHTML(t, admin.get(t, adminPath+"/bookings/new/clients?q=%25%25", "HX-Request: true").body, notIn("ul.client-matches"))

	// Without JavaScript: Find lists them in the whole form, and choosing
	// one fills the form, keeping what else was chosen.
	page := admin.get(t, adminPath+"/bookings/new?q=ann&date=2026-12-15&service="+itoa(svc.ID))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("form#new-booking ul.client-matches button[name=client]", hasText("Ann Example")),
		in("input[name=q][hx-get=/admin/bookings/new/clients][hx-trigger]"))
	page = admin.get(t, adminPath+"/bookings/new?q=ann&client=0&date=2026-12-15&service="+itoa(svc.ID))
	checkHTML(t, page.body,
		in("input[name=name]", hasAttr("value", "Ann Example")),
		in("input[name=email]", hasAttr("value", "ann@example.com")),
		in("input[name=phone]", hasAttr("value", "07700 900123")),
		in("input[name=date]", hasAttr("value", "2026-12-15")),
		notIn("ul.client-matches"))
	noServerErrors(t, s)
}

// The chosen day's free times are the online picker's (minus the notice),
// as buttons; a time outside her hours is booked once she confirms; an
// overlap is refused naming what is there; an unticked e-mail box sends
// nothing.
func TestPhoneBookingTimes(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	admin := s.client(t)
	admin.logIn(t)
	week := weekAfter(2)
	free := admin.freeTimes(t, svc.ID, db.PlaceStudio, week)
	first := mustTime(t, free[0]).In(views.London)
	date := first.Format(time.DateOnly)
	var want []string
	for _, f := range free {
		if at := mustTime(t, f).In(views.London); at.Format(time.DateOnly) == date {
			want = append(want, at.Format("15:04"))
		}
	}
	res := admin.get(t, adminPath+"/bookings/new/times?location=studio&date="+date+"&service="+itoa(svc.ID), "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	isFragmentBody(t, res)
	var got []string
	for _, n := range selectAll(parseHTML(t, res.body), ".time-buttons input[name=time]") {
		v, _ := attr(n, "value")
		got = append(got, v)
	}
	if !slices.Equal(got, want) {
		t.Errorf("free times %v, want the picker's %v", got, want)
	}
	form := func(clock string) url.Values {
		return url.Values{"service": {itoa(svc.ID)}, "location": {db.PlaceStudio}, "date": {date}, "time": {clock},
			"name": {"Bob Phone"}, "email": {"bob@example.com"}, "phone": {"07700 900456"}, "mail_choice": {"1"}, "send_mail": {"1"}}
	}
	// One of them, booked; its e-mail box left ticked.
	wantStatus(t, admin.post(t, adminPath+"/bookings", form(want[0])), http.StatusSeeOther)
	b := takingTime(t, free[0])[0]
	if kinds, _ := outboxOf(t, b.ID); !slices.Contains(kinds, "booking_confirmed") {
		t.Errorf("no confirmation: %v", kinds)
	}
	// The same time again: refused, naming who is there.
	f := form(want[0])
	f.Set("name", "Cat")
	res = admin.post(t, adminPath+"/bookings", f)
	wantStatus(t, res, http.StatusConflict)
	end := b.EndsAt.In(views.London).Format("15:04")
	checkHTML(t, res.body, in("p.form-notice[role=alert]", hasText("That time overlaps Bob Phone’s "+svc.Name+" "+want[0]+"–"+end)))
	// Even with "book outside my hours" confirmed.
	f.Set("outside", "1")
	wantStatus(t, admin.post(t, adminPath+"/bookings", f), http.StatusConflict)

	// 07:00 is outside her hours: asked first, booked once confirmed, with
	// no e-mail when the box is unticked.
	early := form("07:00")
	early.Set("name", "Dee Early")
	early.Del("send_mail")
	res = admin.post(t, adminPath+"/bookings", early)
	wantStatus(t, res, http.StatusConflict)
	checkHTML(t, res.body,
		in(".outside-hours", hasText("That is outside your hours ("+first.Format("Monday")+", studio 09:00–"), hasText("book anyway?")),
		in(".outside-hours button[name=outside][value=1]", hasText("Yes, book it anyway")),
		in("input[name=name]", hasAttr("value", "Dee Early")),
		notIn("input[name=send_mail][checked]"))
	if len(takingTime(t, london(first.Year(), first.Month(), first.Day(), 7, 0).Format(time.RFC3339))) != 0 {
		t.Fatal("booked outside the hours without asking")
	}
	early.Set("outside", "1")
	wantStatus(t, admin.post(t, adminPath+"/bookings", early), http.StatusSeeOther)
	got2 := takingTime(t, london(first.Year(), first.Month(), first.Day(), 7, 0).Format(time.RFC3339))
	if len(got2) != 1 || got2[0].ClientName != "Dee Early" {
		t.Fatalf("the confirmed booking outside hours: %+v", got2)
	}
	if kinds, _ := outboxOf(t, got2[0].ID); slices.Contains(kinds, "booking_confirmed") {
		t.Errorf("a confirmation was queued with the e-mail box unticked: %v", kinds)
	}

	// A mobile visit to a postcode outside the area: asked first too, then
	// booked (two days on, at 06:00, clear of the bookings above).
	far := form("06:00")
	far.Set("date", first.AddDate(0, 0, 2).Format(time.DateOnly))
	far.Set("location", db.PlaceMobile)
	far.Set("name", "Eve Far")
	far.Set("address", "1 Long Road")
	far.Set("postcode", "sw1a 1aa")
	res = admin.post(t, adminPath+"/bookings", far)
	wantStatus(t, res, http.StatusConflict)
	checkHTML(t, res.body, in(".outside-hours", hasText("outside the area of mobile visits (SW1A; you cover "), hasText("book anyway?")))
	far.Set("outside", "1")
	wantStatus(t, admin.post(t, adminPath+"/bookings", far), http.StatusSeeOther)
	noServerErrors(t, s)
}

// A label in the grid is clamped to the lines its cell has room for (one a
// quarter hour: class l2 for half an hour, l4 for an hour), and the whole
// of it is the cell's title (the tooltip; a screen reader reads the words,
// which are all in the page), in the week and in the day.
func TestDiaryGridLabelsFit(t *testing.T) {
	runAt(t, epoch)
	clk.Set(london(2026, 12, 15, 8, 0)) // a Tuesday morning
	s := adminServer(t)
	var short, hour db.Service
	for _, svc := range bookingServices(t) {
		switch {
		case svc.DurationMin == 30 && svc.AtStudio:
			short = svc
		case svc.DurationMin == 60 && svc.AtStudio:
			hour = svc
		}
	}
	if short.ID == 0 || hour.ID == 0 {
		t.Fatal("no 30 and 60 minute studio services")
	}
	admin := s.client(t)
	admin.logIn(t)
	const long = "Bartholomew Fitzwilliam-Montgomery"
	for _, b := range []struct {
		svc  db.Service
		time string
		name string
	}{{short, "10:00", long}, {hour, "11:30", "Ann Smith"}} {
		f := url.Values{"service": {itoa(b.svc.ID)}, "location": {db.PlaceStudio}, "date": {"2026-12-16"}, "time": {b.time},
			"name": {b.name}, "phone": {"07700 900123"}}
		wantStatus(t, admin.post(t, adminPath+"/bookings", f), http.StatusSeeOther)
	}
	b30 := takingTime(t, london(2026, 12, 16, 10, 0).Format(time.RFC3339))[0]
	b60 := takingTime(t, london(2026, 12, 16, 11, 30).Format(time.RFC3339))[0]
	if err := db.AddTimeOff(context.Background(), seededDB(t), &db.TimeOff{StartsAt: london(2026, 12, 17, 9, 0), EndsAt: london(2026, 12, 17, 9, 30),
		Note: "Physio appointment for my own shoulder, at the hospital"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{adminPath + "/diary?week=2026-12-14", adminPath + "/diary?day=2026-12-16", adminPath + "/diary?day=2026-12-17"} {
		res := admin.get(t, path)
		wantStatus(t, res, http.StatusOK)
		checks := []checker{
			in(".dg-off", hasAttr("title", "09:00–09:30 Time off: Physio appointment for my own shoulder, at the hospital")),
			in(".dg-off .dg-text.l2", hasText("Physio appointment for my own shoulder, at the hospital")),
		}
		if path != adminPath+"/diary?day=2026-12-17" {
			a30, a60 := "a.dg-booking[href=/admin/bookings/"+itoa(b30.ID)+"]", "a.dg-booking[href=/admin/bookings/"+itoa(b60.ID)+"]"
			checks = []checker{
				in(a30, hasAttr("title", "10:00–10:30 "+long+", "+short.Name+", studio")),
				in(a30+" .dg-text.l2", hasText(long), hasText(short.Name)),
				in(a60, hasAttr("title", "11:30–12:30 Ann Smith, "+hour.Name+", studio")),
				in(a60+" .dg-text.l4", hasText("Ann Smith")),
			}
		}
		checkHTML(t, res.body, checks...)
	}
	noServerErrors(t, s)
}
