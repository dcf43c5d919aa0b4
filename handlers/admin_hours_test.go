package handlers

// Tests of the availability page: weekly hours, time off and the booking
// rules. The package's tests share one database and its hours, so every
// test that changes them puts them back when it ends, and works in weeks
// no other test books in (weekAfter 9 to 12).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// keepHours puts the weekly hours back as they are now when the test ends.
func keepHours(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	was, err := db.ListWorkingHours(ctx, seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.ReplaceWorkingHours(ctx, seededDB(t), was); err != nil {
			t.Errorf("putting the hours back: %v", err)
		}
	})
}

// keepSchedule puts the booking rules back as they are now when the test ends.
func keepSchedule(t *testing.T) {
	t.Helper()
	was, err := db.GetSchedule(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.SaveSchedule(context.Background(), seededDB(t), was); err != nil {
			t.Errorf("putting the rules back: %v", err)
		}
	})
}

// widenHorizon lets clients book 20 weeks ahead until the test ends, so
// that the weeks these tests use (9 to 12 from now) are bookable. Call it
// before the server first reads the rules.
func widenHorizon(t *testing.T) {
	t.Helper()
	keepSchedule(t)
	if _, err := seededDB(t).NewRaw("UPDATE schedule_settings SET horizon_weeks = 20").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// hoursForm is the weekly hours form as the page fills it in now, with
// changes ("studio-1": "09:00-10:00").
func hoursForm(t *testing.T, changes map[string]string) url.Values {
	t.Helper()
	hs, err := db.ListWorkingHours(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	f := url.Values{}
	for _, d := range hoursDays(hs) {
		f.Set(fmt.Sprintf("studio-%d", d.Weekday), d.Studio)
		f.Set(fmt.Sprintf("mobile-%d", d.Weekday), d.Mobile)
	}
	for k, v := range changes {
		f.Set(k, v)
	}
	return f
}

// londonClock is a start's UK weekday and time, "Wednesday 14:00".
func londonClock(t *testing.T, start string) string {
	return mustTime(t, start).In(views.London).Format("Monday 15:04")
}

// The page shows the hours as saved, the time off, the rules, and the
// bookings that no longer fit.
func TestAvailabilityPage(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	res := cl.get(t, availabilityPath)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("input#f-studio-1", hasAttr("value", "09:00-18:00")),
		in("input#f-studio-6", hasAttr("value", "09:00-13:00")),
		in("input#f-mobile-6", hasAttr("value", "")),
		in("label[for=f-mobile-3]", hasText("Wednesday, mobile visits")),
		// On a phone the table's headings are hidden: each cell names its
		// place itself (site.css shows data-label above the box).
		in("td[data-label=Studio] input#f-studio-3"),
		in("td[data-label^=Mobile] input#f-mobile-3"),
		in("form[action='/admin/availability/time-off'] input#off-from-date[type=date]"),
		count("form[action='/admin/availability/settings'] input[type=radio][name=step]", 4),
		in("form[action='/admin/availability/settings'] input[name=step][checked]", hasAttr("value", "15")),
		in("form[action='/admin/availability/settings'] fieldset legend", hasText("Start times offered")),
		in("nav a[href='/admin/availability'][aria-current=page]"),
		in(".hint", hasText("within a few seconds")),
	)
	noServerErrors(t, s)
}

// Each mistake in the weekly hours comes back next to its box (422), with
// everything typed kept, and nothing is saved.
func TestHoursValidation(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	keepHours(t)
	cl := s.client(t)
	cl.logIn(t)
	tests := []struct {
		name, field, value, want string
	}{
		{"not a range", "studio-1", "9-5", "not a range of times"},
		{"ends before it starts", "studio-2", "13:00-09:00", "must end after it starts"},
		{"empty range", "mobile-2", "10:00-10:00", "must end after it starts"},
		{"past midnight", "studio-3", "20:00-24:30", "times run from 00:00 to 24:00"},
		{"not a minute", "studio-4", "09:75-12:00", "not a time of day"},
		{"overlapping ranges", "studio-5", "09:00-13:00, 12:00-14:00", "09:00-13:00 and 12:00-14:00 overlap"},
		{"overlapping out of order", "mobile-1", "14:00-16:00; 10:00-14:30", "overlap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := hoursForm(t, map[string]string{tc.field: tc.value, "studio-0": "10:00-12:00"})
			res := cl.post(t, availabilityPath+"/hours", f)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body,
				in("#f-"+tc.field+"-error", hasText(tc.want)),
				in("input#f-"+tc.field, hasAttr("aria-invalid", "true"), hasAttr("value", tc.value)),
				in("input#f-studio-0", hasAttr("value", "10:00-12:00")), // kept, though fine
				count(".field-error", 1))
		})
	}
	if hs, _ := db.ListWorkingHours(context.Background(), seededDB(t)); slices.ContainsFunc(hs, func(h db.WorkingHours) bool { return h.Weekday == 0 }) {
		t.Error("hours were saved from a form with mistakes")
	}
	noServerErrors(t, s)
}

// New hours are in the public picker straight after saving, although the
// picker had just read (and cached) the old ones; ranges that touch, and
// one that ends at midnight, are fine.
func TestHoursTakeEffectAtOnce(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	widenHorizon(t)
	keepHours(t)
	svc := bookingServices(t)[1] // 60 minutes
	visitor := s.client(t)
	before := visitor.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(9))
	if len(before) == 0 {
		t.Fatal("nothing free before the change")
	}

	admin := s.client(t)
	admin.logIn(t)
	f := hoursForm(t, nil)
	for wd := 0; wd < 7; wd++ {
		f.Set(fmt.Sprintf("studio-%d", wd), "")
	}
	f.Set("studio-3", "14:00-15:30, 15:30-16:00")
	f.Set("studio-0", "23:00-24:00")
	res := admin.post(t, availabilityPath+"/hours", f)
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != availabilityPath+"?saved=hours" {
		t.Errorf("Location %q", loc)
	}
	page := admin.get(t, res.Header.Get("Location"))
	checkHTML(t, page.body, in("[role=status]", hasText("weekly hours are saved")),
		in("input#f-studio-3", hasAttr("value", "14:00-15:30, 15:30-16:00")),
		in("input#f-studio-0", hasAttr("value", "23:00-24:00")),
		in("input#f-studio-1", hasAttr("value", "")))

	var got []string
	for _, v := range visitor.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(9)) {
		got = append(got, londonClock(t, v))
	}
	want := []string{"Wednesday 14:00", "Wednesday 14:15", "Wednesday 14:30", "Sunday 23:00"}
	if !slices.Equal(got, want) {
		t.Errorf("free after the change: %q, want %q", got, want)
	}
	noServerErrors(t, s)
}

// A confirmed booking that the new hours leave out is not dropped: it stays
// booked, and the page lists it with a link to it until it fits again.
func TestHoursListBookingsOutsideThem(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	widenHorizon(t)
	keepHours(t)
	svc := bookingServices(t)[1]
	client := s.client(t)
	start := client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(10))
	client.hold(t, svc.ID, db.PlaceStudio, start)
	b := bookingOf(t, client.book(t, svc.ID, db.PlaceStudio, start))
	wd := int(b.StartsAt.In(views.London).Weekday())

	admin := s.client(t)
	admin.logIn(t)
	link := "#affected a[href='/admin/bookings/" + itoa(b.ID) + "']"
	checkHTML(t, admin.get(t, availabilityPath).body, notIn(link))

	wantStatus(t, admin.post(t, availabilityPath+"/hours", hoursForm(t, map[string]string{fmt.Sprintf("studio-%d", wd): ""})), http.StatusSeeOther)
	page := admin.get(t, availabilityPath)
	checkHTML(t, page.body, in(link, hasText("Ann Example")), in("#affected-"+itoa(b.ID), hasText("outside the working hours")))
	if got, _ := db.BookingByID(context.Background(), seededDB(t), b.ID); got.Status != db.BookingConfirmed {
		t.Errorf("the booking is %s after the change, want it still confirmed", got.Status)
	}

	// Studio hours that day again bring it back, and the day's newly
	// open time is offered to whoever waits for it, in the same transaction.
	local := b.StartsAt.In(views.London)
	entry := &db.WaitlistEntry{ServiceID: svc.ID, Place: db.PlaceStudio, Day: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC),
		EarliestMin: 7 * 60, LatestMin: 19 * 60, Name: "Wanda", Email: "wanda.hours@example.com", LeaveTokenHash: tokenHash(randomToken())}
	if _, err := db.AddToWaitlist(context.Background(), seededDB(t), entry); err != nil {
		t.Fatal(err)
	}
	jobs := offerJobs(t, entry.Day)
	wantStatus(t, admin.post(t, availabilityPath+"/hours", hoursForm(t, map[string]string{fmt.Sprintf("studio-%d", wd): "07:00-20:00"})), http.StatusSeeOther)
	checkHTML(t, admin.get(t, availabilityPath).body, notIn(link))
	if got := offerJobs(t, entry.Day); got != jobs+1 {
		t.Errorf("waitlist offers queued for %s after adding hours: %d, want %d", entry.Day.Format(time.DateOnly), got, jobs+1)
	}
	// Taking hours away offers nothing.
	wantStatus(t, admin.post(t, availabilityPath+"/hours", hoursForm(t, map[string]string{fmt.Sprintf("studio-%d", wd): "08:00-20:00"})), http.StatusSeeOther)
	if got := offerJobs(t, entry.Day); got != jobs+1 {
		t.Errorf("waitlist offers queued after taking hours away: %d, want still %d", got, jobs+1)
	}
	noServerErrors(t, s)
}

// Time off takes a day's times out of the public picker at once, lists a
// booking it covers, and removing it brings the times back and offers them
// to whoever waits for that day, in the same transaction.
func TestTimeOffRemovesSlots(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	widenHorizon(t)
	svc := bookingServices(t)[0]
	visitor := s.client(t)
	free := visitor.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(11))
	if len(free) == 0 {
		t.Fatal("nothing free")
	}
	day := mustTime(t, free[0]).In(views.London)
	date := day.Format(time.DateOnly)
	onDay := func(ts []string) (n int) {
		for _, v := range ts {
			if mustTime(t, v).In(views.London).Format(time.DateOnly) == date {
				n++
			}
		}
		return n
	}
	booker := s.client(t)
	booker.hold(t, svc.ID, db.PlaceStudio, free[0])
	b := bookingOf(t, booker.book(t, svc.ID, db.PlaceStudio, free[0]))
	entry := &db.WaitlistEntry{ServiceID: svc.ID, Place: db.PlaceStudio, Day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
		EarliestMin: 9 * 60, LatestMin: 17 * 60, Name: "Wanda", Email: "wanda.timeoff@example.com",
		LeaveTokenHash: tokenHash(randomToken())}
	if _, err := db.AddToWaitlist(context.Background(), seededDB(t), entry); err != nil {
		t.Fatal(err)
	}
	if onDay(visitor.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(11))) == 0 {
		t.Fatalf("nothing free on %s before the time off", date)
	}

	admin := s.client(t)
	admin.logIn(t)
	res := admin.post(t, availabilityPath+"/time-off", url.Values{"from_date": {date}, "note": {"Course <CPD>"}})
	wantStatus(t, res, http.StatusSeeOther)
	if n := onDay(visitor.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(11))); n != 0 {
		t.Errorf("%d times still offered on %s, a day off", n, date)
	}
	page := admin.get(t, availabilityPath)
	label := day.Format("Monday 2 January 2006") + ", all day"
	checkHTML(t, page.body,
		in(".time-off-list li", hasText(label), hasText("Course <CPD>")),
		in("#affected a[href='/admin/bookings/"+itoa(b.ID)+"']"),
		in("#affected-"+itoa(b.ID), hasText("during time off")))

	var off []db.TimeOff
	if err := seededDB(t).NewSelect().Model(&off).Where("note = 'Course <CPD>'").Scan(context.Background()); err != nil || len(off) != 1 {
		t.Fatalf("time off rows: %d, %v", len(off), err)
	}
	jobs := offerJobs(t, entry.Day)
	del := fmt.Sprintf("%s/time-off/%d/delete", availabilityPath, off[0].ID)
	checkHTML(t, page.body, in("form[action='"+del+"'] button", hasText("Remove")))
	res = admin.post(t, del, nil)
	wantStatus(t, res, http.StatusSeeOther)
	if onDay(visitor.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(11))) == 0 {
		t.Errorf("nothing free on %s after the time off was removed", date)
	}
	if got := offerJobs(t, entry.Day); got != jobs+1 {
		t.Errorf("waitlist offers queued for %s: %d, want %d", date, got, jobs+1)
	}
	checkHTML(t, admin.get(t, res.Header.Get("Location")).body, notIn("#affected a[href='/admin/bookings/"+itoa(b.ID)+"']"),
		in("[role=status]", hasText("removed")))
	// A second click finds it gone, and says so without an error page.
	wantStatus(t, admin.post(t, del, nil), http.StatusSeeOther)
	wantStatus(t, admin.post(t, availabilityPath+"/time-off/x/delete", nil), http.StatusNotFound)
	noServerErrors(t, s)
}

// Part days: only the times that meet the time off go; the travel time of a
// mobile visit counts against it.
func TestTimeOffPartDay(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	widenHorizon(t)
	svc := bookingServices(t)[1] // 60 minutes
	visitor := s.client(t)
	week := weekAfter(12)
	monday := mustTime(t, visitor.firstFree(t, svc.ID, db.PlaceStudio, week)).In(views.London).Format(time.DateOnly)
	admin := s.client(t)
	admin.logIn(t)
	wantStatus(t, admin.post(t, availabilityPath+"/time-off", url.Values{
		"from_date": {monday}, "from_time": {"12:00"}, "to_time": {"14:00"}, "note": {"part-day test"}}), http.StatusSeeOther)
	t.Cleanup(func() {
		if _, err := seededDB(t).NewRaw("DELETE FROM time_off WHERE note = 'part-day test'").Exec(context.Background()); err != nil {
			t.Error(err)
		}
	})
	var studio []string
	for _, v := range visitor.freeTimes(t, svc.ID, db.PlaceStudio, week) {
		if l := mustTime(t, v).In(views.London); l.Format(time.DateOnly) == monday {
			studio = append(studio, l.Format("15:04"))
		}
	}
	if !slices.Contains(studio, "11:00") || slices.Contains(studio, "11:15") || slices.Contains(studio, "13:45") || !slices.Contains(studio, "14:00") {
		t.Errorf("studio times on %s: %q, want 11:00 and 14:00 but nothing from 11:15 to 13:45", monday, studio)
	}
	var mobile []string
	for _, v := range visitor.freeTimes(t, svc.ID, db.PlaceMobile, week) {
		if l := mustTime(t, v).In(views.London); l.Format(time.DateOnly) == monday {
			mobile = append(mobile, l.Format("15:04"))
		}
	}
	if !slices.Contains(mobile, "10:30") || slices.Contains(mobile, "10:45") || slices.Contains(mobile, "14:15") || !slices.Contains(mobile, "14:30") {
		t.Errorf("mobile times on %s: %q, want 10:30 and 14:30 (30 minutes' travel each side) but not 10:45 or 14:15", monday, mobile)
	}
	checkHTML(t, admin.get(t, availabilityPath).body,
		in(".time-off-list li", hasText(mustTime(t, visitor.firstFree(t, svc.ID, db.PlaceStudio, week)).In(views.London).Format("Monday 2 January 2006")+", 12:00 to 14:00")))
	noServerErrors(t, s)
}

// Each mistake in the time off form comes back next to its field (422),
// with what was typed kept, and nothing is added.
func TestTimeOffValidation(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	future := clk.Now().In(views.London).AddDate(0, 1, 0).Format(time.DateOnly)
	tests := []struct {
		name        string
		form        url.Values
		field, want string
	}{
		{"no date", url.Values{"from_date": {""}}, "from", "give the date"},
		{"not a date", url.Values{"from_date": {"24/12/2026"}}, "from", "give the date"},
		{"not a time", url.Values{"from_date": {future}, "from_time": {"9am"}}, "from", "09:30"},
		{"ends before it starts", url.Values{"from_date": {future}, "from_time": {"14:00"}, "to_time": {"12:00"}}, "to", "end after it starts"},
		{"last day before the first", url.Values{"from_date": {future}, "to_date": {"2020-01-01"}}, "to", "end after it starts"},
		{"over already", url.Values{"from_date": {"2020-01-01"}}, "to", "already over"},
		{"a time the clocks skip", url.Values{"from_date": {"2030-03-31"}, "from_time": {"01:30"}, "to_time": {"03:00"}}, "from", "does not exist"},
		{"more than a year", url.Values{"from_date": {future}, "to_date": {"2099-01-01"}}, "to", "at most a year"},
		{"long note", url.Values{"from_date": {future}, "note": {strings.Repeat("x", 201)}}, "note", "200 characters"},
		// The last day of year 9999 would end in year 10000, which nothing
		// can read back: the page would fail from then on.
		{"the year 9999", url.Values{"from_date": {"9999-12-30"}, "to_date": {"9999-12-31"}}, "from", "between the years 2000 and 2999"},
		{"the year 1999", url.Values{"from_date": {"1999-12-31"}}, "from", "between the years 2000 and 2999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := cl.post(t, availabilityPath+"/time-off", tc.form)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body, in("#off-"+tc.field+"-error", hasText(tc.want)),
				in("input#off-from-date", hasAttr("value", tc.form.Get("from_date"))))
		})
	}
	var n int
	if err := seededDB(t).NewRaw("SELECT count(*) FROM time_off WHERE starts_at > '2029-01-01' OR note LIKE 'xxx%'").Scan(context.Background(), &n); err != nil || n != 0 {
		t.Errorf("%d rows of time off added by bad forms (%v)", n, err)
	}
	wantStatus(t, cl.get(t, availabilityPath), http.StatusOK)
	noServerErrors(t, s)
}

// The booking rules: each number within its range, a policy, districts
// like PE27; saved, they are what the booking pages use at once.
func TestScheduleSettings(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	keepSchedule(t)
	cl := s.client(t)
	cl.logIn(t)
	valid := func() url.Values {
		return url.Values{"step": {"15"}, "buffer": {"15"}, "travel": {"30"}, "notice": {"12"}, "horizon": {"20"}, "hold": {"10"},
			"cutoff": {"24"}, "offer_hold": {"120"}, "late_move": {"yes"}, "policy": {"Please give a day's notice."}, "districts": {"PE27, PE28"}}
	}
	tests := []struct{ field, value, want string }{
		{"step", "0", "every 15, 30 or 60 minutes, or the length of each service"},
		{"step", "45", "every 15, 30 or 60 minutes"},
		{"step", "ten", "every 15, 30 or 60 minutes"},
		{"step", "", "every 15, 30 or 60 minutes"},
		{"buffer", "-5", "from 0 to 240"},
		{"travel", "999", "from 0 to 240"},
		{"notice", "1000", "from 0 to 720"},
		{"horizon", "0", "from 1 to 52"},
		{"hold", "1", "from 2 to 60"},
		{"cutoff", "400", "from 0 to 336"},
		{"offer_hold", "5", "from 15 to 1440"},
		{"policy", " ", "cancellation policy"},
		{"districts", "PE27, St Ives", `"ST" is not a postcode district`},
		{"districts", "PE27 5AB", `"5AB" is not a postcode district`},
	}
	for _, tc := range tests {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			f := valid()
			f.Set(tc.field, tc.value)
			res := cl.post(t, availabilityPath+"/settings", f)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body, in("#f-"+tc.field+"-error", hasText(tc.want)), count("form[action='/admin/availability/settings'] .field-error", 1),
				in("input#f-districts", hasAttr("value", f.Get("districts"))))
		})
	}

	// Each choice of step is saved as the rules understand it, and the page
	// shows it chosen.
	for value, want := range map[string]int{"15": 15, "30": 30, "60": 60, "service": db.StepServiceLength} {
		f := valid()
		f.Set("step", value)
		wantStatus(t, cl.post(t, availabilityPath+"/settings", f), http.StatusSeeOther)
		if got, err := db.GetSchedule(context.Background(), seededDB(t)); err != nil || got.StepMin != want {
			t.Errorf("step %q saved as %d (%v), want %d", value, got.StepMin, err, want)
		}
		res := cl.get(t, availabilityPath)
		checkHTML(t, res.body, count("input[name=step][checked]", 1), in("input[name=step][checked]", hasAttr("value", value)))
	}

	f := valid()
	f.Set("districts", "pe27 cb4, PE27")
	f.Set("notice", "0")
	f.Set("offer_hold", "45")
	f.Del("late_move")
	wantStatus(t, cl.post(t, availabilityPath+"/settings", f), http.StatusSeeOther)
	got, err := db.GetSchedule(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.MobileDistricts, []string{"PE27", "CB4"}) || got.NoticeHours != 0 || got.LateMoveAllowed ||
		got.CancellationPolicy != "Please give a day's notice." || got.OfferHoldMin != 45 {
		t.Errorf("saved %+v", got)
	}
	// The booking form knows the new districts at once.
	svc := bookingServices(t)[0]
	booker := s.client(t)
	start := booker.firstFree(t, svc.ID, db.PlaceMobile, weekAfter(12))
	booker.hold(t, svc.ID, db.PlaceMobile, start)
	form := detailsForm(svc.ID, db.PlaceMobile, start)
	form.Set("postcode", "PE28 1AA")
	res := booker.post(t, "/book", form)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#f-postcode-error", hasText("PE27, CB4")))
	booker.post(t, "/book/release", nil)
	noServerErrors(t, s)
}
