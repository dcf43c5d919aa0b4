package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// bytes hands out small numbers from the fuzzer's input (0 once it runs out), so that the fuzzer's mutations
// map onto hours, bookings and windows.
type bytes struct{ b []byte }

// n returns a number in [0, k).
func (r *bytes) n(k int) int {
	v := 0
	for i := 0; i < 2 && len(r.b) > 0; i++ {
		v = v<<8 | int(r.b[0])
		r.b = r.b[1:]
	}
	return v % k
}

func (r *bytes) minutes(k int) time.Duration { return time.Duration(r.n(k)) * time.Minute }

// Zones with the kinds of clock change there are: London (the practice), New York (time.Date picks the first
// of a repeated time), Lord Howe (30-minute change), Santiago (changes at midnight), and none at all.
var fuzzZones = []*time.Location{
	london, london, london,
	mustLoad("America/New_York"), mustLoad("Australia/Lord_Howe"), mustLoad("America/Santiago"),
	mustLoad("Asia/Kolkata"), time.UTC,
}

// Around these days the clocks change somewhere.
var fuzzDays = []time.Time{
	time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC),
	time.Date(2027, 3, 28, 0, 0, 0, 0, time.UTC), time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC),
}

// fuzzRequest builds a request around a clock change, with windows of up to three days.
func fuzzRequest(data []byte) Request {
	in := &bytes{data}
	r := Request{Place: Studio}
	if in.n(2) == 1 {
		r.Place = Mobile
	}
	s := &r.Settings
	s.Location = fuzzZones[in.n(len(fuzzZones))]
	if in.n(8) == 0 {
		s.Location = nil
	}
	s.Step = in.minutes(121) // 0 is the default
	s.Buffer = in.minutes(61)
	s.Travel = in.minutes(61)
	s.Notice = in.minutes(1440) - 6*time.Hour
	s.Horizon = in.minutes(6*1440) - time.Hour
	r.Duration = in.minutes(300) + time.Duration(in.n(4))*20*time.Second // 0 has no slots
	r.Now = fuzzDays[in.n(len(fuzzDays))].Add(in.minutes(4*1440) - 2*24*time.Hour + time.Duration(in.n(60))*time.Second)

	for range 1 + in.n(8) {
		h := Hours{Weekday: time.Weekday(in.n(8)), Place: r.Place, From: Clock(in.n(1440))}
		if in.n(4) == 0 { // the other place
			h.Place = map[Place]Place{Studio: Mobile, Mobile: Studio}[r.Place]
		}
		if in.n(8) == 0 {
			h.From = 0
		}
		h.To = h.From + 1 + Clock(in.n(int(1440-h.From)))
		if in.n(4) == 0 {
			h.To = 1440
		}
		if in.n(16) == 0 { // sometimes nonsense
			h.From, h.To = Clock(in.n(1600)-80), Clock(in.n(1600)-80)
		}
		r.Hours = append(r.Hours, h)
	}
	around := func(k int) time.Time { return r.Now.Add(in.minutes(k*1440) - 24*time.Hour) }
	for range in.n(12) {
		start := around(5)
		r.Busy = append(r.Busy, Range{start, start.Add(in.minutes(300) - 10*time.Minute)})
	}
	for range in.n(4) {
		start := around(5)
		r.TimeOff = append(r.TimeOff, Range{start, start.Add(in.minutes(2*1440) - 10*time.Minute)})
	}
	r.From = r.Now.Add(in.minutes(2*1440) - 12*time.Hour)
	if in.n(8) != 0 { // else no upper bound but the horizon
		r.To = r.From.Add(in.minutes(3 * 1440))
	}
	return r
}

// reference decides whether t is a slot by the package documentation's rules, directly and slowly.
func reference(r Request, t time.Time) bool {
	loc, step := r.Settings.Location, r.Settings.Step
	if loc == nil {
		loc = london
	}
	if step == 0 {
		step = 15 * time.Minute
	}
	if r.Duration <= 0 {
		return false
	}
	// 3. Window, notice, horizon.
	if t.Before(r.From) || (!r.To.IsZero() && !t.Before(r.To)) ||
		t.Before(r.Now.Add(r.Settings.Notice)) || t.After(r.Now.Add(r.Settings.Horizon)) {
		return false
	}
	// 1 and 2. Grid and hours.
	l := t.In(loc)
	y, m, d := l.Date()
	w := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
	e := t.Add(r.Duration).In(loc)
	ey, em, ed := e.Date()
	ew := time.Duration(e.Hour())*time.Hour + time.Duration(e.Minute())*time.Minute + time.Duration(e.Second())*time.Second +
		time.Duration(e.Nanosecond())
	ny, nm, nd := time.Date(y, m, d+1, 12, 0, 0, 0, time.UTC).Date()
	if !time.Date(y, m, d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc).Equal(t) {
		return false // the other instant of a repeated wall time
	}
	inHours := false
	for _, h := range r.Hours {
		from, to := time.Duration(h.From)*time.Minute, time.Duration(h.To)*time.Minute
		if h.Place != r.Place || h.Weekday != l.Weekday() || h.From < 0 || h.To > 1440 || h.From >= h.To {
			continue
		}
		if w < from || w >= to || (w-from)%step != 0 || l.Nanosecond() != 0 {
			continue
		}
		sameDay := ey == y && em == m && ed == d && ew <= to
		// Ending at the first instant of the next day: the last nanosecond is still on this day.
		ly, lm, ld := t.Add(r.Duration - 1).In(loc).Date()
		midnight := h.To == 1440 && ey == ny && em == nm && ed == nd && ly == y && lm == m && ld == d
		if sameDay || midnight {
			inHours = true
		}
	}
	if !inHours {
		return false
	}
	// 4 and 5. Bookings and time off.
	travel := time.Duration(0)
	if r.Place == Mobile {
		travel = r.Settings.Travel
	}
	for _, b := range r.Busy {
		if overlapsRef(t.Add(-travel), t.Add(r.Duration+r.Settings.Buffer+travel), b) {
			return false
		}
	}
	for _, o := range r.TimeOff {
		if overlapsRef(t.Add(-travel), t.Add(r.Duration+travel), o) {
			return false
		}
	}
	return true
}

func overlapsRef(start, end time.Time, o Range) bool {
	return o.Start.Before(o.End) && start.Before(o.End) && o.Start.Before(end)
}

func FuzzSlots(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("a studio on a Sunday in October"))
	rng := rand.New(rand.NewPCG(5, 2026))
	for range 40 {
		b := make([]byte, 400)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzRequest(data)
		loc := r.Settings.Location
		if loc == nil {
			loc = london
		}
		slots := Slots(r)
		describe := func(s time.Time) string {
			return fmt.Sprintf("%s (%s, %v at %s)", s.In(loc).Format("Mon 2 Jan 15:04:05 MST"), loc, r.Duration, r.Place)
		}
		for i, s := range slots {
			if s.Location() != time.UTC {
				t.Errorf("slot %s is not UTC", describe(s))
			}
			if i > 0 && !slots[i-1].Before(s) {
				t.Errorf("slots not strictly ascending: %s then %s", describe(slots[i-1]), describe(s))
			}
			if s.Before(r.From) || (!r.To.IsZero() && !s.Before(r.To)) {
				t.Errorf("slot %s is outside the window [%v, %v)", describe(s), r.From, r.To)
			}
			if s.Before(r.Now.Add(r.Settings.Notice)) || s.After(r.Now.Add(r.Settings.Horizon)) {
				t.Errorf("slot %s breaks notice or horizon", describe(s))
			}
			if s.Truncate(time.Minute) != s {
				t.Errorf("slot %s is not on a minute", describe(s))
			}
			b := Blocked(s, r.Duration, r.Place, r.Settings)
			for _, x := range r.Busy {
				if b.Overlaps(x) {
					t.Errorf("slot %s: blocked %v overlaps busy %v", describe(s), b, x)
				}
			}
			a := away(s, r.Duration, r.Place, r.Settings)
			for _, x := range r.TimeOff {
				if a.Overlaps(x) {
					t.Errorf("slot %s with travel %v overlaps time off %v", describe(s), a, x)
				}
			}
			if !reference(r, s) {
				t.Errorf("slot %s breaks the rules (hours: %v)", describe(s), r.Hours)
			}
			if !Fits(r, s) {
				t.Errorf("slot %s: Fits says no", describe(s))
			}
		}
		// Completeness: every minute the rules allow is offered, and Fits says so for exactly those.
		lo := r.From
		if n := r.Now.Add(r.Settings.Notice); n.After(lo) {
			lo = n
		}
		hi := r.Now.Add(r.Settings.Horizon)
		if !r.To.IsZero() && r.To.Before(hi) {
			hi = r.To
		}
		i := 0
		for c := lo.Truncate(time.Minute); !c.After(hi); c = c.Add(time.Minute) {
			for i < len(slots) && slots[i].Before(c) {
				i++
			}
			offered := i < len(slots) && slots[i].Equal(c)
			if ref := reference(r, c); ref != offered {
				t.Errorf("%s: rules say %v, Slots offers it: %v (hours: %v)", describe(c), ref, offered, r.Hours)
			}
			if fits := Fits(r, c); fits != offered {
				t.Errorf("%s: Fits says %v, Slots offers it: %v", describe(c), fits, offered)
			}
		}
		forceSlowDays = true
		defer func() { forceSlowDays = false }()
		if slow := Slots(r); !slices.EqualFunc(slow, slots, time.Time.Equal) {
			t.Errorf("the general path gives %v, the fast path %v", slow, slots)
		}
	})
}

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
