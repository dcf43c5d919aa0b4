package handlers

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// availabilityPath is the therapist's page for when she works: weekly hours,
// time off and the scheduling rules.
const availabilityPath = adminPath + "/availability"

// availabilityData is the availability page: its three forms (each with
// its own errors, so a mistake in one keeps what was typed there) and the
// bookings the hours and time off no longer allow.
type availabilityData struct {
	Days           []hoursDay
	HoursErrors    map[string]string // by input name, such as "studio-1"
	TimeOff        []timeOffRow
	Off            timeOffForm
	OffErrors      map[string]string
	Settings       settingsForm
	SettingsErrors map[string]string
	Affected       []affectedBooking
	StepOptions    []stepOption
	Saved          string // what was just saved, for the notice
}

// hoursDay is one weekday's row of the hours form: its ranges as text,
// such as "09:00-13:00, 14:00-18:00".
type hoursDay struct {
	Weekday        int // 0 = Sunday
	Name           string
	Studio, Mobile string
}

// timeOffRow is one upcoming time off, as listed.
type timeOffRow struct {
	ID         int64
	When, Note string
}

// timeOffForm is what the therapist typed to add time off: dates
// (2006-01-02) and optional times (15:04), UK time.
type timeOffForm struct {
	FromDate, FromTime, ToDate, ToTime, Note string
}

// settingsForm is the scheduling rules as typed.
type settingsForm struct {
	Step, Buffer, Travel, Notice, Horizon, Hold, Cutoff string
	OfferHold                                           string
	LateMove                                            bool
	Policy, Districts                                   string
}

// stepOption is one choice of the step between offered start times.
type stepOption struct{ Value, Label string }

// stepOptions are the choices of the step between offered start times, as
// the form sends them: minutes, or "service" for the service's own length.
var stepOptions = []stepOption{
	{"15", "Every 15 minutes (09:00, 09:15, 09:30…)"},
	{"30", "Every half hour, on the hour and half hour (09:00, 09:30, 10:00…)"},
	{"60", "Every hour, on the hour (09:00, 10:00, 11:00…)"},
	{stepService, "The length of each service, one after another (a 45-minute session at 09:00, 09:45, 10:30…)"},
}

// stepService is the form's value for "the service's own length".
const stepService = "service"

// stepValue is the form's value of a saved step.
func stepValue(min int) string {
	if min == db.StepServiceLength {
		return stepService
	}
	return strconv.Itoa(min)
}

// readStep reads the form's step: one of stepOptions.
func readStep(v string) (int, bool) {
	if v == stepService {
		return db.StepServiceLength, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n != db.StepServiceLength && slices.Contains(db.StepChoices, n)
}

// affectedBooking is an upcoming confirmed booking that the hours or the
// time off no longer allow: it stays booked until the therapist acts.
type affectedBooking struct {
	Booking   db.Booking
	When, Why string
}

// weekOrder is the hours form's rows: Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// savedNotices are the messages shown after a save, by ?saved=.
var savedNotices = map[string]string{
	"hours":    "The weekly hours are saved.",
	"settings": "The booking rules are saved.",
	"off":      "The time off is added.",
	"deleted":  "The time off is removed.",
}

// showAvailability is GET /admin/availability.
func (h *Handler) showAvailability(c echo.Context) error {
	d := availabilityData{Saved: savedNotices[c.QueryParam("saved")]}
	return h.renderAvailability(c, http.StatusOK, d)
}

// renderAvailability fills in from the database whatever d does not carry
// (a form that failed keeps what was typed) and renders the page.
func (h *Handler) renderAvailability(c echo.Context, status int, d availabilityData) error {
	ctx := c.Request().Context()
	rules, err := db.LoadRules(ctx, h.db)
	if err != nil {
		return err
	}
	rules.Settings.Location = views.London
	if d.Days == nil {
		hours, err := db.ListWorkingHours(ctx, h.db)
		if err != nil {
			return err
		}
		d.Days = hoursDays(hours)
	}
	if d.Settings == (settingsForm{}) {
		d.Settings = settingsFormOf(rules.Schedule)
	}
	now := h.now()
	off, err := db.UpcomingTimeOff(ctx, h.db, now)
	if err != nil {
		return err
	}
	d.TimeOff = nil
	for _, o := range off {
		d.TimeOff = append(d.TimeOff, timeOffRow{ID: o.ID, When: offLabel(o.StartsAt, o.EndsAt), Note: o.Note})
	}
	upcoming, err := db.Diary(ctx, h.db, now, now.AddDate(3, 0, 0))
	if err != nil {
		return err
	}
	d.Affected = offSchedule(rules, off, upcoming)
	d.StepOptions = stepOptions
	p, err := h.adminPage(c, "Availability", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-availability", "", p)
}

// saveHours is POST /admin/availability/hours: the whole week at once. Days
// that gain time are offered to the waitlist in the same transaction.
func (h *Handler) saveHours(c echo.Context) error {
	ctx := c.Request().Context()
	days, hours, errs := readHours(c)
	if len(errs) > 0 {
		return h.renderAvailability(c, http.StatusUnprocessableEntity, availabilityData{Days: days, HoursErrors: errs})
	}
	if err := h.desk.SaveHours(ctx, hours); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, availabilityPath+"?saved=hours")
}

// saveScheduleSettings is POST /admin/availability/settings.
func (h *Handler) saveScheduleSettings(c echo.Context) error {
	f, s, errs := readSettings(c)
	if len(errs) > 0 {
		return h.renderAvailability(c, http.StatusUnprocessableEntity, availabilityData{Settings: f, SettingsErrors: errs})
	}
	if err := h.desk.SaveSettings(c.Request().Context(), s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, availabilityPath+"?saved=settings")
}

// addTimeOff is POST /admin/availability/time-off. Bookings it covers are
// not cancelled: the page lists them for the therapist to deal with.
func (h *Handler) addTimeOff(c echo.Context) error {
	f, off, errs := readTimeOff(c, h.now())
	if len(errs) > 0 {
		return h.renderAvailability(c, http.StatusUnprocessableEntity, availabilityData{Off: f, OffErrors: errs})
	}
	if err := h.desk.AddTimeOff(c.Request().Context(), &off); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, availabilityPath+"?saved=off")
}

// deleteTimeOff is POST /admin/availability/time-off/:id/delete. The days it
// frees are offered to the waitlist in the same transaction.
func (h *Handler) deleteTimeOff(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	switch err := h.desk.DeleteTimeOff(c.Request().Context(), id); {
	case errors.Is(err, sql.ErrNoRows):
		// Already gone (a second click): the page shows it is.
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, availabilityPath+"?saved=deleted")
}

// hoursDays lays the weekly hours out as the form's rows, Monday first.
func hoursDays(hs []db.WorkingHours) []hoursDay {
	var days []hoursDay
	for _, wd := range weekOrder {
		d := hoursDay{Weekday: int(wd), Name: wd.String()}
		var studio, mobile []string
		for _, h := range hs {
			if h.Weekday != int(wd) {
				continue
			}
			r := clockOf(h.FromMin) + "-" + clockOf(h.UntilMin)
			if h.Place == db.PlaceMobile {
				mobile = append(mobile, r)
			} else {
				studio = append(studio, r)
			}
		}
		d.Studio, d.Mobile = strings.Join(studio, ", "), strings.Join(mobile, ", ")
		days = append(days, d)
	}
	return days
}

// clockOf writes minutes after midnight as 09:30 (1440 as 24:00).
func clockOf(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// readHours reads the week's fourteen fields (studio-0 … mobile-6). A
// field's mistakes are reported next to it, with what was typed kept.
func readHours(c echo.Context) ([]hoursDay, []db.WorkingHours, map[string]string) {
	errs := map[string]string{}
	var days []hoursDay
	var hours []db.WorkingHours
	for _, wd := range weekOrder {
		d := hoursDay{Weekday: int(wd), Name: wd.String()}
		for _, place := range []string{db.PlaceStudio, db.PlaceMobile} {
			name := fmt.Sprintf("%s-%d", place, wd)
			text := formValue(c, name)
			if place == db.PlaceStudio {
				d.Studio = text
			} else {
				d.Mobile = text
			}
			ranges, msg := parseRanges(text)
			if msg != "" {
				errs[name] = msg
				continue
			}
			for _, r := range ranges {
				hours = append(hours, db.WorkingHours{Weekday: int(wd), Place: place, FromMin: r[0], UntilMin: r[1]})
			}
		}
		days = append(days, d)
	}
	return days, hours, errs
}

var (
	rangeSplit   = regexp.MustCompile(`\s*[,;]\s*`)
	rangePattern = regexp.MustCompile(`^(\d{1,2})[:.](\d{2})\s*(?:-|–|—|to)\s*(\d{1,2})[:.](\d{2})$`)
)

// parseRanges reads "09:00-13:00, 14:00-18:00" (empty: not working) into
// minutes after midnight, in order. Each range lies within the day (24:00
// is its end), ends after it starts and overlaps none of the others; a
// mistake is described in the message.
func parseRanges(s string) ([][2]int, string) {
	if s == "" {
		return nil, ""
	}
	if len(s) > 200 {
		return nil, "That is too long for one day."
	}
	var out [][2]int
	for _, part := range rangeSplit.Split(s, -1) {
		if part == "" {
			continue
		}
		m := rangePattern.FindStringSubmatch(strings.ToLower(part))
		if m == nil {
			return nil, fmt.Sprintf("%q is not a range of times: write it like 09:00-13:00, and separate ranges with commas.", part)
		}
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		from, to := n(1)*60+n(2), n(3)*60+n(4)
		switch {
		case n(2) > 59 || n(4) > 59 || from >= 24*60 || to > 24*60:
			return nil, fmt.Sprintf("%q is not a time of day: times run from 00:00 to 24:00.", part)
		case to <= from:
			return nil, fmt.Sprintf("%s must end after it starts (a range cannot go past midnight: 24:00 is the latest end).", part)
		}
		out = append(out, [2]int{from, to})
	}
	slices.SortFunc(out, func(a, b [2]int) int { return a[0] - b[0] })
	for i := 1; i < len(out); i++ {
		if out[i][0] < out[i-1][1] {
			return nil, fmt.Sprintf("%s-%s and %s-%s overlap: join them into one range, or make one end before the other starts.",
				clockOf(out[i-1][0]), clockOf(out[i-1][1]), clockOf(out[i][0]), clockOf(out[i][1]))
		}
	}
	return out, ""
}

// settingsFormOf is the saved rules as the form shows them.
func settingsFormOf(s db.Schedule) settingsForm {
	i := strconv.Itoa
	return settingsForm{
		Step: stepValue(s.StepMin), Buffer: i(s.BufferMin), Travel: i(s.TravelMin), Notice: i(s.NoticeHours),
		Horizon: i(s.HorizonWeeks), Hold: i(s.HoldMin), Cutoff: i(s.CancelCutoffHours), OfferHold: i(s.OfferHoldMin),
		LateMove: s.LateMoveAllowed, Policy: s.CancellationPolicy, Districts: strings.Join(s.MobileDistricts, ", "),
	}
}

// districtPattern is an outward postcode such as PE27 or CB4.
var districtPattern = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]?$`)

// readSettings reads and checks the rules form: each number within the range
// that makes sense for it (the same as the table's own checks).
func readSettings(c echo.Context) (settingsForm, db.Schedule, map[string]string) {
	errs := map[string]string{}
	val := func(name string) string { return formValue(c, name) }
	f := settingsForm{
		Step: val("step"), Buffer: val("buffer"), Travel: val("travel"), Notice: val("notice"), Horizon: val("horizon"),
		Hold: val("hold"), Cutoff: val("cutoff"), OfferHold: val("offer_hold"), LateMove: c.FormValue("late_move") == "yes",
		Policy: val("policy"), Districts: val("districts"),
	}
	num := func(name, text string, lo, hi int, unit string) int {
		v, err := strconv.Atoi(text)
		if err != nil || v < lo || v > hi {
			errs[name] = fmt.Sprintf("Please enter a whole number of %s from %d to %d.", unit, lo, hi)
		}
		return v
	}
	s := db.Schedule{
		BufferMin: num("buffer", f.Buffer, 0, 240, "minutes"),
		TravelMin: num("travel", f.Travel, 0, 240, "minutes"), NoticeHours: num("notice", f.Notice, 0, 720, "hours"),
		HorizonWeeks: num("horizon", f.Horizon, 1, 52, "weeks"), HoldMin: num("hold", f.Hold, 2, 60, "minutes"),
		CancelCutoffHours: num("cutoff", f.Cutoff, 0, 336, "hours"), LateMoveAllowed: f.LateMove,
		OfferHoldMin:       num("offer_hold", f.OfferHold, 15, 1440, "minutes"),
		CancellationPolicy: strings.ReplaceAll(f.Policy, "\r\n", "\n"), MobileDistricts: []string{},
	}
	if step, ok := readStep(f.Step); ok {
		s.StepMin = step
	} else {
		errs["step"] = "Please choose how far apart start times are: every 15, 30 or 60 minutes, or the length of each service."
	}
	switch n := utf8.RuneCountInString(s.CancellationPolicy); {
	case n == 0:
		errs["policy"] = "Please write the cancellation policy: clients agree to it when they book."
	case n > 2000:
		errs["policy"] = "Please keep the policy to 2000 characters."
	}
	for _, d := range strings.FieldsFunc(strings.ToUpper(f.Districts), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		if !districtPattern.MatchString(d) {
			errs["districts"] = fmt.Sprintf("%q is not a postcode district: write the first half of a postcode, like PE27, separated by commas.", d)
			break
		}
		if !slices.Contains(s.MobileDistricts, d) {
			s.MobileDistricts = append(s.MobileDistricts, d)
		}
	}
	if len(s.MobileDistricts) > 100 {
		errs["districts"] = "Please list at most 100 districts."
	}
	return f, s, errs
}

// readTimeOff reads and checks the time off form. Without times it is whole
// days: from the start of the first to the end of the last (the last day is
// the first when not given).
func readTimeOff(c echo.Context, now time.Time) (timeOffForm, db.TimeOff, map[string]string) {
	errs := map[string]string{}
	val := func(name string) string { return formValue(c, name) }
	f := timeOffForm{FromDate: val("from_date"), FromTime: val("from_time"), ToDate: val("to_date"), ToTime: val("to_time"), Note: val("note")}
	off := db.TimeOff{Note: f.Note}
	if utf8.RuneCountInString(f.Note) > 200 {
		errs["note"] = "Please keep the note to 200 characters."
	}
	toDate := f.ToDate
	if toDate == "" {
		toDate = f.FromDate
	}
	start, msg := londonTime(f.FromDate, f.FromTime, false)
	if msg != "" {
		errs["from"] = msg
	}
	end, msg := londonTime(toDate, f.ToTime, true)
	if msg != "" {
		errs["to"] = msg
	}
	if len(errs) > 0 {
		return f, off, errs
	}
	switch {
	case !end.After(start):
		errs["to"] = "The time off must end after it starts."
	case !end.After(now):
		errs["to"] = "That time is already over."
	case end.Sub(start) > 366*24*time.Hour:
		errs["to"] = "Please add at most a year of time off at once."
	}
	off.StartsAt, off.EndsAt = start, end
	return f, off, errs
}

// londonTime is a date and an optional time of day in London. Without a
// time it is the day's start, or (end) the start of the next day.
func londonTime(date, clock string, end bool) (time.Time, string) {
	d, err := time.ParseInLocation(time.DateOnly, date, views.London)
	if err != nil {
		return d, "Please give the date, such as 2026-12-24."
	}
	if d.Year() < 2000 || d.Year() > 2999 {
		return d, "Please give a date between the years 2000 and 2999."
	}
	if clock == "" {
		if end {
			return d.AddDate(0, 0, 1), ""
		}
		return d, ""
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, views.London)
	if err != nil {
		return t, "Please give the time as 09:30, or leave it empty for the whole day."
	}
	if t.Format("15:04") != clock {
		return t, "That time does not exist on that day (the clocks go forward)."
	}
	return t, ""
}

// offLabel describes time off in UK time: "Thursday 24 December 2026, all
// day", "…, 09:00 to 13:00", or from one day and time to another.
func offLabel(start, end time.Time) string {
	s, e := start.In(views.London), end.In(views.London)
	const day = "Monday 2 January 2006"
	switch {
	case s.Equal(startOfDay(s)) && e.Equal(startOfDay(e)):
		last := e.AddDate(0, 0, -1)
		if last.Format(time.DateOnly) == s.Format(time.DateOnly) {
			return s.Format(day) + ", all day"
		}
		return s.Format(day) + " to " + last.Format(day) + ", all day"
	case s.Format(time.DateOnly) == e.Format(time.DateOnly):
		return s.Format(day) + ", " + s.Format("15:04") + " to " + e.Format("15:04")
	}
	return s.Format(day+", 15:04") + " to " + e.Format(day+", 15:04")
}

// offSchedule returns the confirmed bookings among bs that the weekly hours
// or the time off no longer allow, each with the reason. Each booking is
// checked alone with the slot engine: its own time does not count as busy,
// and the rules for clients (notice, how far ahead, the step) do not apply.
func offSchedule(r db.Rules, off []db.TimeOff, bs []db.Booking) []affectedBooking {
	s := r.Settings
	s.Step, s.Notice, s.Horizon = time.Minute, 0, 100*365*24*time.Hour
	var away []schedule.Range
	for _, o := range off {
		away = append(away, schedule.Range{Start: o.StartsAt, End: o.EndsAt})
	}
	var out []affectedBooking
	for _, b := range bs {
		if b.Status != db.BookingConfirmed {
			continue
		}
		req := schedule.Request{Settings: s, Hours: r.Hours, Duration: time.Duration(b.DurationMin) * time.Minute,
			Place: schedule.Place(b.Place), Now: b.StartsAt}
		why := ""
		if !schedule.Fits(req, b.StartsAt) {
			why = "outside the working hours"
		} else if req.TimeOff = away; !schedule.Fits(req, b.StartsAt) {
			why = "during time off"
		}
		if why != "" {
			out = append(out, affectedBooking{Booking: b, Why: why,
				When: b.StartsAt.In(views.London).Format("Monday 2 January 2006, 15:04") + " to " + b.EndsAt.In(views.London).Format("15:04")})
		}
	}
	return out
}
