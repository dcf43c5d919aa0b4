package schedule

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// London wall clock, for writing tests: lon("2026-03-29 00:30") is 00:30 GMT on 29 March 2026.
func lon(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, london)
	if err != nil {
		panic(err)
	}
	return t
}

// clock parses "09:30" as a Clock; "24:00" is the end of the day.
func clock(s string) Clock {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil {
		panic(err)
	}
	return Clock(h*60 + m)
}

func hours(wd time.Weekday, place Place, from, to string) Hours {
	return Hours{Weekday: wd, Place: place, From: clock(from), To: clock(to)}
}

// show writes slots the way a person reads a diary: local start (the UTC instant) – local end.
func show(slots []time.Time, dur time.Duration) []string {
	var out []string
	for _, t := range slots {
		l := t.In(london)
		out = append(out, fmt.Sprintf("%s (%sZ)–%s",
			l.Format("Mon 2 Jan 15:04 MST"), t.UTC().Format("15:04"), t.Add(dur).In(london).Format("15:04 MST")))
	}
	return out
}

// base is a quiet diary: studio and mobile hours are added per case; nothing booked; no notice; a year ahead.
func base() Request {
	return Request{
		Settings: Settings{
			Location: london,
			Step:     15 * time.Minute,
			Buffer:   15 * time.Minute,
			Travel:   30 * time.Minute,
			Horizon:  365 * 24 * time.Hour,
		},
		Duration: time.Hour,
		Place:    Studio,
		Now:      lon("2026-01-01 00:00"),
	}
}

// window sets the window to the whole local days from..to (exclusive), e.g. window(r, "2026-06-08", "2026-06-09").
func window(r *Request, from, to string) {
	r.From, r.To = lon(from+" 00:00"), lon(to+" 00:00")
}

type slotCase struct {
	name string
	req  func(r *Request)
	want []string
}

var slotCases = []slotCase{
	{
		name: "normal summer day: 60-min studio, 09:00-12:00, step 15, answered in UTC",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Mon 8 Jun 09:15 BST (08:15Z)–10:15 BST",
			"Mon 8 Jun 09:30 BST (08:30Z)–10:30 BST",
			"Mon 8 Jun 09:45 BST (08:45Z)–10:45 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:15 BST (09:15Z)–11:15 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
			"Mon 8 Jun 10:45 BST (09:45Z)–11:45 BST",
			"Mon 8 Jun 11:00 BST (10:00Z)–12:00 BST",
		},
	},

	// 29 March 2026: at 01:00 GMT the clocks go forward to 02:00 BST. 01:00-01:59 does not exist; the day is 23 h.
	{
		name: "spring forward, 60 min: the missing hour never appears, an end across the change is real time",
		req: func(r *Request) {
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00"), hours(time.Sunday, Studio, "09:00", "12:00")}
			window(r, "2026-03-29", "2026-03-30")
		},
		want: []string{
			"Sun 29 Mar 00:00 GMT (00:00Z)–02:00 BST",
			"Sun 29 Mar 00:30 GMT (00:30Z)–02:30 BST",
			"Sun 29 Mar 02:00 BST (01:00Z)–03:00 BST",
			"Sun 29 Mar 02:30 BST (01:30Z)–03:30 BST",
			"Sun 29 Mar 03:00 BST (02:00Z)–04:00 BST",
			"Sun 29 Mar 09:00 BST (08:00Z)–10:00 BST",
			"Sun 29 Mar 09:30 BST (08:30Z)–10:30 BST",
			"Sun 29 Mar 10:00 BST (09:00Z)–11:00 BST",
			"Sun 29 Mar 10:30 BST (09:30Z)–11:30 BST",
			"Sun 29 Mar 11:00 BST (10:00Z)–12:00 BST",
		},
	},
	{
		name: "spring forward, 30 min",
		req: func(r *Request) {
			r.Duration = 30 * time.Minute
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00"), hours(time.Sunday, Studio, "09:00", "12:00")}
			window(r, "2026-03-29", "2026-03-30")
		},
		want: []string{
			"Sun 29 Mar 00:00 GMT (00:00Z)–00:30 GMT",
			"Sun 29 Mar 00:30 GMT (00:30Z)–02:00 BST",
			"Sun 29 Mar 02:00 BST (01:00Z)–02:30 BST",
			"Sun 29 Mar 02:30 BST (01:30Z)–03:00 BST",
			"Sun 29 Mar 03:00 BST (02:00Z)–03:30 BST",
			"Sun 29 Mar 03:30 BST (02:30Z)–04:00 BST",
			"Sun 29 Mar 09:00 BST (08:00Z)–09:30 BST",
			"Sun 29 Mar 09:30 BST (08:30Z)–10:00 BST",
			"Sun 29 Mar 10:00 BST (09:00Z)–10:30 BST",
			"Sun 29 Mar 10:30 BST (09:30Z)–11:00 BST",
			"Sun 29 Mar 11:00 BST (10:00Z)–11:30 BST",
			"Sun 29 Mar 11:30 BST (10:30Z)–12:00 BST",
		},
	},
	{
		name: "spring forward, 120 min: 00:30-03:30 on the wall is two real hours",
		req: func(r *Request) {
			r.Duration = 2 * time.Hour
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00")}
			window(r, "2026-03-29", "2026-03-30")
		},
		want: []string{
			"Sun 29 Mar 00:00 GMT (00:00Z)–03:00 BST",
			"Sun 29 Mar 00:30 GMT (00:30Z)–03:30 BST",
			"Sun 29 Mar 02:00 BST (01:00Z)–04:00 BST",
		},
	},

	{
		name: "spring forward, a 45-min grid: 01:30 does not exist and is not moved to 02:30",
		req: func(r *Request) {
			r.Duration = 30 * time.Minute
			r.Settings.Step = 45 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00")}
			window(r, "2026-03-29", "2026-03-30")
		},
		want: []string{
			"Sun 29 Mar 00:00 GMT (00:00Z)–00:30 GMT",
			"Sun 29 Mar 00:45 GMT (00:45Z)–02:15 BST",
			"Sun 29 Mar 02:15 BST (01:15Z)–02:45 BST",
			"Sun 29 Mar 03:00 BST (02:00Z)–03:30 BST",
		},
	},

	// 25 October 2026: at 02:00 BST the clocks go back to 01:00 GMT. 01:00-01:59 happens twice; the day is 25 h.
	// A repeated wall time is offered once, as the instant time.Date gives (in London the second, GMT, one).
	{
		name: "fall back, 60 min: the repeated hour gives one slot per wall time",
		req: func(r *Request) {
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00"), hours(time.Sunday, Studio, "09:00", "12:00")}
			window(r, "2026-10-25", "2026-10-26")
		},
		want: []string{
			"Sun 25 Oct 00:00 BST (23:00Z)–01:00 BST",
			"Sun 25 Oct 00:30 BST (23:30Z)–01:30 BST",
			"Sun 25 Oct 01:00 GMT (01:00Z)–02:00 GMT",
			"Sun 25 Oct 01:30 GMT (01:30Z)–02:30 GMT",
			"Sun 25 Oct 02:00 GMT (02:00Z)–03:00 GMT",
			"Sun 25 Oct 02:30 GMT (02:30Z)–03:30 GMT",
			"Sun 25 Oct 03:00 GMT (03:00Z)–04:00 GMT",
			"Sun 25 Oct 09:00 GMT (09:00Z)–10:00 GMT",
			"Sun 25 Oct 09:30 GMT (09:30Z)–10:30 GMT",
			"Sun 25 Oct 10:00 GMT (10:00Z)–11:00 GMT",
			"Sun 25 Oct 10:30 GMT (10:30Z)–11:30 GMT",
			"Sun 25 Oct 11:00 GMT (11:00Z)–12:00 GMT",
		},
	},
	{
		name: "fall back, 30 min",
		req: func(r *Request) {
			r.Duration = 30 * time.Minute
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00"), hours(time.Sunday, Studio, "09:00", "12:00")}
			window(r, "2026-10-25", "2026-10-26")
		},
		want: []string{
			"Sun 25 Oct 00:00 BST (23:00Z)–00:30 BST",
			"Sun 25 Oct 00:30 BST (23:30Z)–01:00 BST",
			"Sun 25 Oct 01:00 GMT (01:00Z)–01:30 GMT",
			"Sun 25 Oct 01:30 GMT (01:30Z)–02:00 GMT",
			"Sun 25 Oct 02:00 GMT (02:00Z)–02:30 GMT",
			"Sun 25 Oct 02:30 GMT (02:30Z)–03:00 GMT",
			"Sun 25 Oct 03:00 GMT (03:00Z)–03:30 GMT",
			"Sun 25 Oct 03:30 GMT (03:30Z)–04:00 GMT",
			"Sun 25 Oct 09:00 GMT (09:00Z)–09:30 GMT",
			"Sun 25 Oct 09:30 GMT (09:30Z)–10:00 GMT",
			"Sun 25 Oct 10:00 GMT (10:00Z)–10:30 GMT",
			"Sun 25 Oct 10:30 GMT (10:30Z)–11:00 GMT",
			"Sun 25 Oct 11:00 GMT (11:00Z)–11:30 GMT",
			"Sun 25 Oct 11:30 GMT (11:30Z)–12:00 GMT",
		},
	},
	{
		name: "fall back, 120 min: 00:30 BST-01:30 GMT on the wall is two real hours",
		req: func(r *Request) {
			r.Duration = 2 * time.Hour
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00")}
			window(r, "2026-10-25", "2026-10-26")
		},
		want: []string{
			"Sun 25 Oct 00:00 BST (23:00Z)–01:00 GMT",
			"Sun 25 Oct 00:30 BST (23:30Z)–01:30 GMT",
			"Sun 25 Oct 01:00 GMT (01:00Z)–03:00 GMT",
			"Sun 25 Oct 01:30 GMT (01:30Z)–03:30 GMT",
			"Sun 25 Oct 02:00 GMT (02:00Z)–04:00 GMT",
		},
	},

	{
		name: "notice cuts the first slots (Now 08:10 + 1 h notice: from 09:10)",
		req: func(r *Request) {
			r.Now, r.Settings.Notice = lon("2026-06-08 08:10"), time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:15 BST (08:15Z)–10:15 BST",
			"Mon 8 Jun 09:30 BST (08:30Z)–10:30 BST",
			"Mon 8 Jun 09:45 BST (08:45Z)–10:45 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:15 BST (09:15Z)–11:15 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
			"Mon 8 Jun 10:45 BST (09:45Z)–11:45 BST",
			"Mon 8 Jun 11:00 BST (10:00Z)–12:00 BST",
		},
	},
	{
		name: "a slot exactly at Now + notice is offered; notice is counted in real time, also from the day before",
		req: func(r *Request) {
			r.Now, r.Settings.Notice = lon("2026-06-07 20:45"), 12*time.Hour+30*time.Minute
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "11:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:15 BST (08:15Z)–10:15 BST",
			"Mon 8 Jun 09:30 BST (08:30Z)–10:30 BST",
			"Mon 8 Jun 09:45 BST (08:45Z)–10:45 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
		},
	},
	{
		name: "the horizon cuts the last slots, and a slot exactly at Now + horizon is offered",
		req: func(r *Request) {
			r.Now, r.Settings.Horizon = lon("2026-06-01 10:30"), 7*24*time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Mon 8 Jun 09:15 BST (08:15Z)–10:15 BST",
			"Mon 8 Jun 09:30 BST (08:30Z)–10:30 BST",
			"Mon 8 Jun 09:45 BST (08:45Z)–10:45 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:15 BST (09:15Z)–11:15 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
		},
	},
	{
		name: "the window is half-open: From is offered, To is not",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			r.From, r.To = lon("2026-06-08 09:30"), lon("2026-06-08 10:30")
		},
		want: []string{
			"Mon 8 Jun 09:30 BST (08:30Z)–10:30 BST",
			"Mon 8 Jun 09:45 BST (08:45Z)–10:45 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:15 BST (09:15Z)–11:15 BST",
		},
	},
	{
		name: "a whole day off",
		req: func(r *Request) {
			r.Settings.Step = time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00"), hours(time.Tuesday, Studio, "09:00", "12:00")}
			r.TimeOff = []Range{{lon("2026-06-08 00:00"), lon("2026-06-09 00:00")}}
			window(r, "2026-06-08", "2026-06-10")
		},
		want: []string{
			"Tue 9 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Tue 9 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Tue 9 Jun 11:00 BST (10:00Z)–12:00 BST",
		},
	},
	{
		name: "part of a day off (10:00-11:00): the buffer may run into time off, the appointment may not",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			r.TimeOff = []Range{{lon("2026-06-08 10:00"), lon("2026-06-08 11:00")}}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Mon 8 Jun 11:00 BST (10:00Z)–12:00 BST",
		},
	},
	{
		name: "part of a day off, mobile visit: 30 min travel each side must be clear of it, but may be outside hours",
		req: func(r *Request) {
			r.Place = Mobile
			r.Hours = []Hours{hours(time.Monday, Mobile, "08:00", "14:00")}
			r.TimeOff = []Range{{lon("2026-06-08 10:00"), lon("2026-06-08 11:00")}}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 08:00 BST (07:00Z)–09:00 BST",
			"Mon 8 Jun 08:15 BST (07:15Z)–09:15 BST",
			"Mon 8 Jun 08:30 BST (07:30Z)–09:30 BST",
			"Mon 8 Jun 11:30 BST (10:30Z)–12:30 BST",
			"Mon 8 Jun 11:45 BST (10:45Z)–12:45 BST",
			"Mon 8 Jun 12:00 BST (11:00Z)–13:00 BST",
			"Mon 8 Jun 12:15 BST (11:15Z)–13:15 BST",
			"Mon 8 Jun 12:30 BST (11:30Z)–13:30 BST",
			"Mon 8 Jun 12:45 BST (11:45Z)–13:45 BST",
			"Mon 8 Jun 13:00 BST (12:00Z)–14:00 BST",
		},
	},
	{
		name: "studio after a studio booking 10:00-11:00: only the 15-min buffer, before and after",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "08:00", "13:00")}
			r.Busy = []Range{Blocked(lon("2026-06-08 10:00"), time.Hour, Studio, r.Settings)}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 08:00 BST (07:00Z)–09:00 BST",
			"Mon 8 Jun 08:15 BST (07:15Z)–09:15 BST",
			"Mon 8 Jun 08:30 BST (07:30Z)–09:30 BST",
			"Mon 8 Jun 08:45 BST (07:45Z)–09:45 BST",
			"Mon 8 Jun 11:15 BST (10:15Z)–12:15 BST",
			"Mon 8 Jun 11:30 BST (10:30Z)–12:30 BST",
			"Mon 8 Jun 11:45 BST (10:45Z)–12:45 BST",
			"Mon 8 Jun 12:00 BST (11:00Z)–13:00 BST",
		},
	},
	{
		name: "studio next to a mobile visit 13:00-14:00: its travel (30 min) counts too",
		req: func(r *Request) {
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Monday, Studio, "10:00", "17:00")}
			r.Busy = []Range{Blocked(lon("2026-06-08 13:00"), time.Hour, Mobile, r.Settings)}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{ // blocked 12:30-14:45; ours blocks 75 min from its start
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
			"Mon 8 Jun 11:00 BST (10:00Z)–12:00 BST",
			"Mon 8 Jun 15:00 BST (14:00Z)–16:00 BST",
			"Mon 8 Jun 15:30 BST (14:30Z)–16:30 BST",
			"Mon 8 Jun 16:00 BST (15:00Z)–17:00 BST",
		},
	},
	{
		name: "mobile next to a mobile visit 13:00-14:00: both travel times",
		req: func(r *Request) {
			r.Place = Mobile
			r.Hours = []Hours{hours(time.Monday, Mobile, "10:00", "17:00")}
			r.Busy = []Range{Blocked(lon("2026-06-08 13:00"), time.Hour, Mobile, r.Settings)}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{ // blocked 12:30-14:45; a mobile visit blocks from 30 min before to 45 min after
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:15 BST (09:15Z)–11:15 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
			"Mon 8 Jun 10:45 BST (09:45Z)–11:45 BST",
			"Mon 8 Jun 15:15 BST (14:15Z)–16:15 BST",
			"Mon 8 Jun 15:30 BST (14:30Z)–16:30 BST",
			"Mon 8 Jun 15:45 BST (14:45Z)–16:45 BST",
			"Mon 8 Jun 16:00 BST (15:00Z)–17:00 BST",
		},
	},
	{
		name: "mobile next to a studio booking 13:00-14:00: its own travel time",
		req: func(r *Request) {
			r.Place = Mobile
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Monday, Mobile, "10:00", "17:00")}
			r.Busy = []Range{Blocked(lon("2026-06-08 13:00"), time.Hour, Studio, r.Settings)}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{ // blocked 13:00-14:15; the visit needs 30 min before and 45 min after
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
			"Mon 8 Jun 11:00 BST (10:00Z)–12:00 BST",
			"Mon 8 Jun 15:00 BST (14:00Z)–16:00 BST",
			"Mon 8 Jun 15:30 BST (14:30Z)–16:30 BST",
			"Mon 8 Jun 16:00 BST (15:00Z)–17:00 BST",
		},
	},
	{
		name: "several ranges a day; the other place's hours do not count",
		req: func(r *Request) {
			r.Settings.Step = time.Hour
			r.Hours = []Hours{
				hours(time.Monday, Studio, "14:00", "16:00"),
				hours(time.Monday, Mobile, "11:00", "14:00"),
				hours(time.Monday, Studio, "09:00", "11:00"),
			}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 14:00 BST (13:00Z)–15:00 BST",
			"Mon 8 Jun 15:00 BST (14:00Z)–16:00 BST",
		},
	},
	{
		name: "an appointment must fit in one range: 09:00-11:00 and 11:00-13:00 do not join",
		req: func(r *Request) {
			r.Duration = 90 * time.Minute
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "11:00"), hours(time.Monday, Studio, "11:00", "13:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:30 BST",
			"Mon 8 Jun 09:30 BST (08:30Z)–11:00 BST",
			"Mon 8 Jun 11:00 BST (10:00Z)–12:30 BST",
			"Mon 8 Jun 11:30 BST (10:30Z)–13:00 BST",
		},
	},
	{
		name: "overlapping ranges with different grids: each range's grid, no duplicates",
		req: func(r *Request) {
			r.Settings.Step = 30 * time.Minute
			r.Hours = []Hours{
				hours(time.Monday, Studio, "09:00", "11:00"),
				hours(time.Monday, Studio, "10:00", "11:30"),
				hours(time.Monday, Studio, "09:10", "11:10"),
			}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Mon 8 Jun 09:10 BST (08:10Z)–10:10 BST",
			"Mon 8 Jun 09:30 BST (08:30Z)–10:30 BST",
			"Mon 8 Jun 09:40 BST (08:40Z)–10:40 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
			"Mon 8 Jun 10:10 BST (09:10Z)–11:10 BST",
			"Mon 8 Jun 10:30 BST (09:30Z)–11:30 BST",
		},
	},
	{
		name: "a range ending at 24:00 allows an appointment ending at midnight",
		req: func(r *Request) {
			r.Settings.Step = time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "22:00", "24:00")}
			window(r, "2026-06-08", "2026-06-10")
		},
		want: []string{
			"Mon 8 Jun 22:00 BST (21:00Z)–23:00 BST",
			"Mon 8 Jun 23:00 BST (22:00Z)–00:00 BST",
		},
	},
	{
		name: "days without hours have no slots (Sat 6 - Mon 8 June, hours on Mondays only)",
		req: func(r *Request) {
			r.Settings.Step = time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "11:00")}
			window(r, "2026-06-06", "2026-06-09")
		},
		want: []string{
			"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
			"Mon 8 Jun 10:00 BST (09:00Z)–11:00 BST",
		},
	},
	{
		name: "a window of three weeks across the October change: the same wall time, a different instant",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "10:00")}
			window(r, "2026-10-18", "2026-11-08")
		},
		want: []string{
			"Mon 19 Oct 09:00 BST (08:00Z)–10:00 BST",
			"Mon 26 Oct 09:00 GMT (09:00Z)–10:00 GMT",
			"Mon 2 Nov 09:00 GMT (09:00Z)–10:00 GMT",
		},
	},
	{
		name: "no hours at the place asked for",
		req: func(r *Request) {
			r.Place = Mobile
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: nil,
	},
	{
		name: "a service longer than the range",
		req: func(r *Request) {
			r.Duration = 4 * time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2026-06-08", "2026-06-09")
		},
		want: nil,
	},
	{
		name: "a window in the past (before Now)",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2025-06-09", "2025-06-10")
		},
		want: nil,
	},
	{
		name: "a window beyond the horizon",
		req: func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			window(r, "2027-06-07", "2027-06-08")
		},
		want: nil,
	},
}

func (c slotCase) request() Request {
	r := base()
	c.req(&r)
	return r
}

func TestSlots(t *testing.T) {
	for _, c := range slotCases {
		t.Run(c.name, func(t *testing.T) {
			r := c.request()
			got := Slots(r)
			if diff := cmp.Diff(c.want, show(got, r.Duration)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
			for _, s := range got {
				if s.Location() != time.UTC {
					t.Errorf("slot %v is not in UTC", s)
				}
			}
		})
	}
}

// Every minute of every case's window: Fits says yes exactly for the slots Slots offers. And the fast path for
// days without a clock change gives what the general path gives.
func TestFitsAgreesWithSlots(t *testing.T) {
	for _, c := range slotCases {
		t.Run(c.name, func(t *testing.T) {
			agree(t, c.request())
		})
	}
}

func agree(t *testing.T, r Request) {
	t.Helper()
	slots := Slots(r)
	for m := r.From; m.Before(r.To); m = m.Add(time.Minute) {
		if got, want := Fits(r, m), slices.ContainsFunc(slots, m.Equal); got != want {
			t.Errorf("Fits(%s) = %v, but Slots offers it: %v", m.Format(time.RFC3339), got, want)
		}
	}
	forceSlowDays = true
	defer func() { forceSlowDays = false }()
	if diff := cmp.Diff(slots, Slots(r)); diff != "" {
		t.Errorf("general path differs from the fast path (-fast +general):\n%s", diff)
	}
}

// On both clock-change Sundays, with services as long as the step: no instant is offered twice, no two slots
// overlap, and the number of slots is what the real length of the hours allows. 00:00-04:00 is 3 real hours
// in spring; in autumn it is 5, of which the first 01:00-01:59 (BST) never starts a slot, since its wall times
// are offered once, as the second (GMT) instant. 09:00-12:00 is 3 hours on both days.
func TestClockChangesNoDuplicatesNoOverlaps(t *testing.T) {
	cases := []struct {
		day  string
		dur  time.Duration
		want int
	}{
		{"2026-03-29", 30 * time.Minute, 6 + 6},
		{"2026-03-29", time.Hour, 3 + 3},
		{"2026-10-25", 30 * time.Minute, 8 + 6},
		{"2026-10-25", time.Hour, 4 + 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.day, " ", c.dur), func(t *testing.T) {
			r := base()
			r.Duration, r.Settings.Step = c.dur, c.dur
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00"), hours(time.Sunday, Studio, "09:00", "12:00")}
			window(&r, c.day, c.day[:8]+"30")
			slots := Slots(r)
			if len(slots) != c.want {
				t.Errorf("%d slots, want %d: %q", len(slots), c.want, show(slots, c.dur))
			}
			for i := 1; i < len(slots); i++ {
				if slots[i].Before(slots[i-1].Add(c.dur)) {
					t.Errorf("slots %v and %v overlap or repeat", slots[i-1], slots[i])
				}
			}
		})
	}
}

func TestFits(t *testing.T) {
	oneMinute := func(r *Request) {
		r.Settings.Step = time.Minute
		r.Hours = []Hours{hours(time.Monday, Studio, "08:00", "13:00"), hours(time.Monday, Mobile, "08:00", "17:00")}
		r.Busy = []Range{Blocked(lon("2026-06-08 10:00"), time.Hour, Studio, r.Settings)} // 10:00-11:15
	}
	cases := []struct {
		name  string
		req   func(r *Request)
		start time.Time
		want  bool
	}{
		{"studio back to back after a studio booking: exactly at the end of its buffer", oneMinute, lon("2026-06-08 11:15"), true},
		{"studio after a studio booking: one minute inside its buffer", oneMinute, lon("2026-06-08 11:14"), false},
		{"studio before a studio booking: our buffer ends exactly at its start", oneMinute, lon("2026-06-08 08:45"), true},
		{"studio before a studio booking: our buffer one minute into it", oneMinute, lon("2026-06-08 08:46"), false},
		{"mobile after a studio booking: its buffer plus our travel", func(r *Request) { oneMinute(r); r.Place = Mobile }, lon("2026-06-08 11:45"), true},
		{"mobile after a studio booking: one minute short", func(r *Request) { oneMinute(r); r.Place = Mobile }, lon("2026-06-08 11:44"), false},
		{"off the step grid", func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
		}, lon("2026-06-08 09:05"), false},
		{"on the grid of the second range", func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00"), hours(time.Monday, Studio, "13:10", "15:00")}
		}, lon("2026-06-08 13:25"), true},
		{"fall back: 01:30 GMT, the instant time.Date gives for 01:30", func(r *Request) {
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00")}
		}, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},
		{"fall back: 01:30 BST, the first 01:30, is not offered", func(r *Request) {
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "04:00")}
		}, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), false},
		{"spring forward: 00:30 GMT ends at 02:30 BST, inside 00:00-03:00", func(r *Request) {
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "03:00")}
		}, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), true},
		{"spring forward: 01:30Z is 02:30 BST and ends 03:30, after 03:00", func(r *Request) {
			r.Hours = []Hours{hours(time.Sunday, Studio, "00:00", "03:00")}
		}, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), false},
		{"an end at midnight needs a range ending at 24:00", func(r *Request) {
			r.Duration = 2 * time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "22:00", "23:00")}
		}, lon("2026-06-08 22:00"), false},
		{"an end at midnight in a range ending at 24:00", func(r *Request) {
			r.Duration = 2 * time.Hour
			r.Hours = []Hours{hours(time.Monday, Studio, "22:00", "24:00")}
		}, lon("2026-06-08 22:00"), true},
		{"a start in another zone is the same instant", func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
		}, lon("2026-06-08 09:15").In(time.FixedZone("CEST", 2*3600)), true},
		{"re-checking with no window (From and To zero): only notice and horizon bound it", func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			r.From, r.To = time.Time{}, time.Time{}
		}, lon("2026-06-08 09:15"), true},
		{"re-checking with no window, beyond the horizon", func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			r.From, r.To = time.Time{}, time.Time{}
		}, lon("2027-06-07 09:15"), false},
		{"outside the window", func(r *Request) {
			r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
			r.To = lon("2026-06-08 09:15")
		}, lon("2026-06-08 09:15"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base()
			window(&r, "2026-01-01", "2027-01-01")
			c.req(&r)
			if got := Fits(r, c.start); got != c.want {
				t.Errorf("Fits(%s) = %v, want %v", c.start.In(london).Format("Mon 2 Jan 15:04 MST"), got, c.want)
			}
		})
	}
}

// The practice is in London, but the engine works in any zone. In Santiago the clocks go forward at midnight:
// on 6 September 2026, 00:00-00:59 does not exist (time.Date even moves 00:00 back into Saturday).
func TestZoneChangingAtMidnight(t *testing.T) {
	santiago := mustLoad("America/Santiago")
	r := base()
	r.Settings.Location, r.Settings.Step = santiago, 30*time.Minute
	r.Hours = []Hours{hours(time.Saturday, Studio, "22:00", "24:00"), hours(time.Sunday, Studio, "00:00", "03:00")}
	r.From, r.To = time.Date(2026, 9, 5, 0, 0, 0, 0, santiago), time.Date(2026, 9, 7, 0, 0, 0, 0, santiago)
	var got []string
	for _, s := range Slots(r) {
		got = append(got, s.In(santiago).Format("Mon 2 Jan 15:04 -07")+"–"+s.Add(r.Duration).In(santiago).Format("Mon 15:04 -07"))
	}
	want := []string{
		"Sat 5 Sep 22:00 -04–Sat 23:00 -04",
		"Sat 5 Sep 22:30 -04–Sat 23:30 -04",
		"Sat 5 Sep 23:00 -04–Sun 01:00 -03", // ends at the first instant of Sunday: the end of Saturday
		"Sun 6 Sep 01:00 -03–Sun 02:00 -03",
		"Sun 6 Sep 01:30 -03–Sun 02:30 -03",
		"Sun 6 Sep 02:00 -03–Sun 03:00 -03",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Slots (-want +got):\n%s", diff)
	}
	agree(t, r)
}

func TestSlotsZeroToMeansUpToTheHorizon(t *testing.T) {
	r := base()
	r.Now, r.Settings.Horizon, r.Settings.Step = lon("2026-06-01 12:00"), 14*24*time.Hour, time.Hour
	r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "10:00")}
	want := []string{
		"Mon 8 Jun 09:00 BST (08:00Z)–10:00 BST",
		"Mon 15 Jun 09:00 BST (08:00Z)–10:00 BST",
	}
	if diff := cmp.Diff(want, show(Slots(r), r.Duration)); diff != "" {
		t.Errorf("Slots (-want +got):\n%s", diff)
	}
}

func TestBlocked(t *testing.T) {
	s := Settings{Buffer: 15 * time.Minute, Travel: 30 * time.Minute}
	start := lon("2026-06-08 10:00")
	cases := []struct {
		name  string
		place Place
		s     Settings
		want  Range
	}{
		{"studio: the appointment and the buffer", Studio, s, Range{lon("2026-06-08 10:00"), lon("2026-06-08 11:15")}},
		{"mobile: travel before, then buffer and travel after", Mobile, s, Range{lon("2026-06-08 09:30"), lon("2026-06-08 11:45")}},
		{"no buffer: just the appointment", Studio, Settings{Travel: time.Hour}, Range{lon("2026-06-08 10:00"), lon("2026-06-08 11:00")}},
		{"negative buffer and travel count as zero", Mobile, Settings{Buffer: -time.Hour, Travel: -time.Hour}, Range{lon("2026-06-08 10:00"), lon("2026-06-08 11:00")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, Blocked(start, time.Hour, c.place, c.s)); diff != "" {
				t.Errorf("Blocked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRangeOverlaps(t *testing.T) {
	r := func(from, to string) Range { return Range{lon("2026-06-08 " + from), lon("2026-06-08 " + to)} }
	cases := []struct {
		name string
		a, b Range
		want bool
	}{
		{"the same range", r("10:00", "11:00"), r("10:00", "11:00"), true},
		{"one minute in common", r("10:00", "11:00"), r("10:59", "12:00"), true},
		{"touching: end == start", r("10:00", "11:00"), r("11:00", "12:00"), false},
		{"touching the other way", r("11:00", "12:00"), r("10:00", "11:00"), false},
		{"inside", r("10:00", "12:00"), r("10:30", "11:00"), true},
		{"apart", r("10:00", "11:00"), r("13:00", "14:00"), false},
		{"an empty range inside another overlaps nothing", r("10:00", "12:00"), r("11:00", "11:00"), false},
		{"an inverted range overlaps nothing", r("10:00", "12:00"), r("11:30", "10:30"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.Overlaps(c.b); got != c.want {
				t.Errorf("%v.Overlaps(%v) = %v, want %v", c.a, c.b, got, c.want)
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	r := Request{ // no Location, no Step
		Hours:    []Hours{hours(time.Monday, Studio, "09:00", "10:00")},
		Duration: 30 * time.Minute,
		Place:    Studio,
		Now:      lon("2026-06-01 00:00"),
		From:     lon("2026-06-08 00:00"),
		To:       lon("2026-06-09 00:00"),
	}
	r.Settings.Horizon = 30 * 24 * time.Hour
	want := []string{
		"Mon 8 Jun 09:00 BST (08:00Z)–09:30 BST",
		"Mon 8 Jun 09:15 BST (08:15Z)–09:45 BST",
		"Mon 8 Jun 09:30 BST (08:30Z)–10:00 BST",
	}
	if diff := cmp.Diff(want, show(Slots(r), r.Duration)); diff != "" {
		t.Errorf("nil Location is Europe/London, 0 Step is 15 min (-want +got):\n%s", diff)
	}
	r.Settings.Step = 1<<63 - 1 // a step longer than the day: only From is on the grid
	if diff := cmp.Diff(want[:1], show(Slots(r), r.Duration)); diff != "" {
		t.Errorf("endless Step (-want +got):\n%s", diff)
	}
	r.Settings.Step = time.Nanosecond // below one minute: every minute
	if got := len(Slots(r)); got != 31 {
		t.Errorf("1ns Step: %d slots, want 31 (09:00-09:30 every minute)", got)
	}
}

func TestSlotsDoesNotReorderItsInput(t *testing.T) {
	r := base()
	r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "17:00")}
	window(&r, "2026-06-08", "2026-06-09")
	r.Busy = []Range{
		{lon("2026-06-08 15:00"), lon("2026-06-08 16:00")},
		{lon("2026-06-08 10:00"), lon("2026-06-08 11:00")},
	}
	before := slices.Clone(r.Busy)
	Slots(r)
	if diff := cmp.Diff(before, r.Busy); diff != "" {
		t.Errorf("Busy changed (-before +after):\n%s", diff)
	}
}

func TestInvalidInputsHaveNoSlots(t *testing.T) {
	good := func() Request {
		r := base()
		r.Hours = []Hours{hours(time.Monday, Studio, "09:00", "12:00")}
		window(&r, "2026-06-08", "2026-06-09")
		return r
	}
	if len(Slots(good())) == 0 {
		t.Fatal("the good request has no slots")
	}
	cases := map[string]func(r *Request){
		"zero duration":     func(r *Request) { r.Duration = 0 },
		"negative duration": func(r *Request) { r.Duration = -time.Hour },
		"To before From":    func(r *Request) { r.From, r.To = r.To, r.From },
		"From > To hours":   func(r *Request) { r.Hours = []Hours{{time.Monday, Studio, 720, 540}} },
		"hours past 24:00":  func(r *Request) { r.Hours = []Hours{{time.Monday, Studio, 540, 1500}} },
		"weekday 7":         func(r *Request) { r.Hours = []Hours{{7, Studio, 540, 720}} },
		"negative horizon":  func(r *Request) { r.Settings.Horizon = -time.Hour },
		"endless duration":  func(r *Request) { r.Duration = 1<<63 - 1 },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			r := good()
			mod(&r)
			if got := Slots(r); got != nil {
				t.Errorf("Slots = %v, want none", show(got, r.Duration))
			}
		})
	}
}
