package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/schedule"
)

// Rules are the practice's scheduling rules and weekly hours as the slot
// engine (package schedule) takes them, with the saved settings they came
// from.
type Rules struct {
	Settings schedule.Settings
	Hours    []schedule.Hours
	Schedule Schedule
}

// LoadRules reads the scheduling rules and the weekly hours. Settings.Location
// is left nil, which the slot engine reads as Europe/London. Settings.Step
// is 0 when the step is the service's own length (StepServiceLength): use
// For, or SlotRequest, which resolve it for an appointment's length.
func LoadRules(ctx context.Context, idb bun.IDB) (Rules, error) {
	s, err := GetSchedule(ctx, idb)
	if err != nil {
		return Rules{}, err
	}
	hours, err := ListWorkingHours(ctx, idb)
	if err != nil {
		return Rules{}, err
	}
	r := Rules{Schedule: s, Settings: schedule.Settings{
		Step:    time.Duration(s.StepMin) * time.Minute,
		Buffer:  time.Duration(s.BufferMin) * time.Minute,
		Travel:  time.Duration(s.TravelMin) * time.Minute,
		Notice:  time.Duration(s.NoticeHours) * time.Hour,
		Horizon: time.Duration(s.HorizonWeeks) * 7 * 24 * time.Hour,
	}}
	for _, wh := range hours {
		r.Hours = append(r.Hours, schedule.Hours{
			Weekday: time.Weekday(wh.Weekday), Place: schedule.Place(wh.Place),
			From: schedule.Clock(wh.FromMin), To: schedule.Clock(wh.UntilMin),
		})
	}
	return r, nil
}

// For returns the settings for an appointment of dur: Settings with the
// step resolved (the service's own length when the therapist chose so).
func (r Rules) For(dur time.Duration) schedule.Settings {
	s := r.Settings
	s.Step = r.Step(dur)
	return s
}

// Step is the distance between the offered starts of an appointment of dur:
// the chosen step, or dur itself when the step is the service's length.
func (r Rules) Step(dur time.Duration) time.Duration {
	if r.Settings.Step <= 0 && dur > 0 {
		return dur
	}
	return r.Settings.Step
}

// SlotRequest gathers what the slot engine needs to find the free starts of
// an appointment of dur at place in [from, to): the rules, and the busy
// times and time off in the database now. The holds of owner do not count
// as busy (a visitor sees the time they hold as theirs to choose), nor do
// the spans in except (a booking being moved).
func SlotRequest(ctx context.Context, idb bun.IDB, r Rules, dur time.Duration, place string, from, to time.Time, owner []byte, now time.Time, except ...*Span) (schedule.Request, error) {
	// Busy and time off reach a little beyond the window: an appointment
	// near its edge is blocked by what lies just outside it.
	margin := 24 * time.Hour
	busy, err := BusySpans(ctx, idb, from.Add(-margin), to.Add(margin), owner, now)
	if err != nil {
		return schedule.Request{}, err
	}
	off, err := ListTimeOff(ctx, idb, from.Add(-margin), to.Add(margin))
	if err != nil {
		return schedule.Request{}, err
	}
	req := schedule.Request{
		Settings: r.For(dur), Hours: r.Hours, Duration: dur,
		Place: schedule.Place(place), Now: now, From: from, To: to,
	}
busy:
	for _, b := range busy {
		for _, e := range except {
			if e != nil && b.From.Equal(e.From) && b.To.Equal(e.To) {
				continue busy
			}
		}
		req.Busy = append(req.Busy, schedule.Range{Start: b.From, End: b.To})
	}
	for _, t := range off {
		req.TimeOff = append(req.TimeOff, schedule.Range{Start: t.StartsAt, End: t.EndsAt})
	}
	return req, nil
}
