// Package schedule is the practice's slot engine: from working hours, time off, existing bookings and the
// scheduling rules it computes the start times a client may book. It is pure: no I/O, no clock of its own
// (the caller passes Now), standard library only.
//
// The engine thinks in the practice's wall-clock time (Settings.Location, Europe/London by default) and
// answers in UTC instants. A start time is offered — by Slots, and accepted by Fits — exactly when all of
// these hold:
//
//  1. Grid. On its local calendar day, the start is on the step grid of one of that weekday's Hours ranges for
//     the requested place: From, From+Step, From+2·Step, … (wall clock), and before To. Each grid point is
//     built with time.Date on that local day (days are stepped with AddDate, never by adding 24 hours). A wall
//     time that does not exist (the spring-forward hour, 01:00–01:59 on 29 March 2026 in London) is skipped;
//     a wall time that exists twice (01:00–01:59 on 25 October 2026) gives one start only, the instant
//     time.Date picks for it (in London the second, GMT, one). The result has no duplicate instants, even
//     when ranges overlap.
//  2. Hours. The appointment [start, start+Duration) lies within that one range: the local start is in
//     [From, To) and the local wall clock of the end instant start+Duration is at most To on the same local
//     day (To = 1440 is the end of the day, so the end may be exactly 00:00 of the next day). Durations are real
//     durations: across a clock change a 60-minute appointment from 00:30 ends at 02:30 in spring, and a
//     120-minute one from 00:30 ends at 01:30 (the second 01:30, GMT) in autumn.
//  3. Notice and horizon. Now+Notice <= start <= Now+Horizon (both bounds inclusive), and start is in the
//     window [From, To) of the request (a zero To means no upper bound other than the horizon).
//  4. Bookings. Blocked(start, Duration, Place) overlaps no Busy range. Busy ranges are themselves Blocked
//     ranges, so a studio appointment right after a studio appointment needs only the buffer, and one next to
//     a mobile visit needs that visit's travel time too (and its own, when it is mobile).
//  5. Time off. The appointment with its travel time — [start-pre, start+Duration+travel-after), where pre
//     and travel-after are Settings.Travel for a mobile visit and 0 at the studio — overlaps no TimeOff range.
//     The buffer does not count against time off.
//
// Ranges are half-open; an empty or inverted range overlaps nothing (as in PostgreSQL, where the empty
// range overlaps nothing). Settings are taken as given except: a nil Location means Europe/London, a Step
// of 0 (or less) means 15 minutes and a Step below one minute means one minute, and a negative Buffer or
// Travel counts as 0. Notice and Horizon mean what they say: a Horizon of 0 allows only starts at or before
// Now+0, so callers pass the practice's defaults. Hours ranges outside 0 <= From < To <= 1440 or with a
// weekday outside Sunday..Saturday are ignored. A Duration of 0 or less has no slots, nor has one longer than
// 48 hours (no working day could hold it).
//
// Slots sorts the busy ranges and the time off once and sweeps them alongside the ascending start times;
// Fits checks one start directly against the same rules, and the two always agree.
package schedule

import (
	"slices"
	"time"
	_ "time/tzdata" // the zone must exist in a minimal container

	practice "dynamicmotion/clock"
)

// Place is where an appointment happens.
type Place string

const (
	Studio Place = "studio"
	Mobile Place = "mobile"
)

// Clock is a wall-clock time of day in minutes after midnight (0..1440; 1440 is the end of the day).
type Clock int

// Hours is one range of working hours: on Weekday, at Place, appointments may happen from From to To (local
// wall clock). A day may have several ranges per place.
type Hours struct {
	Weekday  time.Weekday
	Place    Place
	From, To Clock
}

// Range is a half-open range of instants [Start, End).
type Range struct{ Start, End time.Time }

// Overlaps reports whether r and o share an instant. Both are half-open, so ranges that only touch
// ([a, b) and [b, c)) do not overlap, and an empty or inverted range overlaps nothing.
func (r Range) Overlaps(o Range) bool {
	return r.Start.Before(r.End) && o.Start.Before(o.End) &&
		r.Start.Before(o.End) && o.Start.Before(r.End)
}

// Settings are the practice's scheduling rules.
type Settings struct {
	Location *time.Location // the practice's zone (Europe/London); nil means Europe/London
	Step     time.Duration  // distance between offered start times (15 min when 0; at least 1 min)
	Buffer   time.Duration  // gap after every appointment (0 means 0; callers pass the defaults)
	Travel   time.Duration  // extra time before and after a mobile visit
	Notice   time.Duration  // minimum time from now to a slot's start
	Horizon  time.Duration  // how far ahead one may book (a slot's start must be <= now + Horizon)
}

// defaultStep is the step used when Settings.Step is 0.
const defaultStep = 15 * time.Minute

var london = practice.Zone // when Settings.Location is nil

// normalized applies the documented defaults.
func (s Settings) normalized() Settings {
	if s.Location == nil {
		s.Location = london
	}
	switch {
	case s.Step <= 0:
		s.Step = defaultStep
	case s.Step < time.Minute:
		s.Step = time.Minute
	case s.Step > 24*time.Hour: // the same grid (only From), without overflowing From+Step
		s.Step = 24 * time.Hour
	}
	s.Buffer = max(s.Buffer, 0)
	s.Travel = max(s.Travel, 0)
	return s
}

// travel returns the travel time before and after an appointment at place.
func travel(place Place, s Settings) time.Duration {
	if place == Mobile {
		return max(s.Travel, 0)
	}
	return 0
}

// Blocked is the range an appointment at start for dur at place keeps busy for others:
// [start - pre, start + dur + post) where pre = Travel for a mobile visit (0 at the studio), and
// post = Buffer + (Travel for a mobile visit). Stored with every booking; the database's exclusion
// constraint works on it. So a studio booking right after a studio booking needs only the buffer, and one
// next to a mobile visit needs the travel time too.
func Blocked(start time.Time, dur time.Duration, place Place, s Settings) Range {
	t := travel(place, s)
	return Range{Start: start.Add(-t), End: start.Add(dur + max(s.Buffer, 0) + t)}
}

// away is the range that must not touch time off: the appointment with its travel time, without the buffer.
func away(start time.Time, dur time.Duration, place Place, s Settings) Range {
	t := travel(place, s)
	return Range{Start: start.Add(-t), End: start.Add(dur + t)}
}

// Request is everything Slots needs.
type Request struct {
	Settings Settings
	Hours    []Hours
	TimeOff  []Range // the therapist is away (whole or part days), as instants
	Busy     []Range // Blocked ranges of existing held and confirmed bookings (any place)
	Duration time.Duration
	Place    Place
	Now      time.Time
	From, To time.Time // the window asked about (e.g. one week); clipped to [Now+Notice, Now+Horizon]
}

// maxDuration is longer than any working day can hold (the longest local day has 25 or 26 hours); longer
// appointments have no slots, and wall-clock arithmetic with them cannot overflow.
const maxDuration = 48 * time.Hour

// plan is a Request with its settings normalised, its hours indexed by weekday and its window resolved.
type plan struct {
	s      Settings
	dur    time.Duration
	place  Place
	byDay  [7][]Hours
	lo     time.Time // earliest start (inclusive)
	hi     time.Time // latest start (inclusive): Now+Horizon
	to     time.Time // starts must be before this, unless zero
	pre    time.Duration
	post   time.Duration // after the appointment, for Blocked
	travel time.Duration // after the appointment, for time off
}

func newPlan(r Request) (plan, bool) {
	p := plan{s: r.Settings.normalized(), dur: r.Duration, place: r.Place}
	if p.dur <= 0 || p.dur > maxDuration {
		return p, false
	}
	now := r.Now.Round(0)
	p.lo = now.Add(p.s.Notice)
	if from := r.From.Round(0); from.After(p.lo) {
		p.lo = from
	}
	p.hi = now.Add(p.s.Horizon)
	p.to = r.To.Round(0)
	if p.lo.After(p.hi) || (!p.to.IsZero() && !p.lo.Before(p.to)) {
		return p, false
	}
	open := false
	for _, h := range r.Hours {
		if h.Place != r.Place || h.Weekday < time.Sunday || h.Weekday > time.Saturday ||
			h.From < 0 || h.From >= h.To || h.To > 1440 {
			continue
		}
		p.byDay[h.Weekday] = append(p.byDay[h.Weekday], h)
		open = true
	}
	p.travel = travel(p.place, p.s)
	p.pre = p.travel
	p.post = p.s.Buffer + p.travel
	return p, open
}

// inWindow is rule 3.
func (p *plan) inWindow(t time.Time) bool {
	return !t.Before(p.lo) && !t.After(p.hi) && (p.to.IsZero() || t.Before(p.to))
}

// wall is the wall-clock time of day of t in its own location, as a duration after midnight.
func wall(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second +
		time.Duration(t.Nanosecond())
}

// civil is a calendar date, held as midnight UTC so that AddDate and Weekday are plain calendar arithmetic.
type civil = time.Time

func dateOf(t time.Time) civil {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// at builds the instant of wall clock w on day in loc with time.Date, and reports whether that wall clock
// exists on that day (a time.Date result whose wall clock differs from the one asked for does not).
func at(day civil, w time.Duration, loc *time.Location) (time.Time, bool) {
	y, m, d := day.Date()
	h, rest := w/time.Hour, w%time.Hour
	mi, rest := rest/time.Minute, rest%time.Minute
	sec, ns := rest/time.Second, rest%time.Second
	t := time.Date(y, m, d, int(h), int(mi), int(sec), int(ns), loc)
	return t, wall(t) == w && dateOf(t).Equal(day)
}

// endFits is the end half of rule 2: the local end of an appointment that starts on day is at most to.
// To = 24:00 is the end of the day, so the end may also be the first instant of the next day (00:00, or
// whatever the wall clock reads then in a zone whose clocks change at midnight).
func endFits(end time.Time, day civil, to time.Duration) bool {
	if dateOf(end).Equal(day) {
		return wall(end) <= to
	}
	return to == 24*time.Hour && dateOf(end.Add(-time.Nanosecond)).Equal(day)
}

// onGrid is the start half of rules 1 and 2 for a wall clock w.
func (p *plan) onGrid(h Hours, w time.Duration) bool {
	from, to := time.Duration(h.From)*time.Minute, time.Duration(h.To)*time.Minute
	return w >= from && w < to && (w-from)%p.s.Step == 0
}

// forceSlowDays makes Slots treat every day like a clock-change day (tests compare both paths).
var forceSlowDays bool

// uniformDay reports whether the whole of day, from its midnight to the next one, has a single UTC offset
// in loc, returning its midnight. On such a day every wall clock w exists once, as midnight+w.
func uniformDay(day civil, loc *time.Location) (time.Time, bool) {
	if forceSlowDays {
		return time.Time{}, false
	}
	mid, ok := at(day, 0, loc)
	if !ok {
		return mid, false
	}
	_, end := mid.ZoneBounds()
	return mid, end.IsZero() || end.After(mid.Add(24*time.Hour))
}

// appendDay appends the starts on day that satisfy rules 1–3, in ascending wall-clock order per range.
func (p *plan) appendDay(out []time.Time, day civil, ranges []Hours) []time.Time {
	loc := p.s.Location
	mid, uniform := uniformDay(day, loc)
	for _, h := range ranges {
		from, to := time.Duration(h.From)*time.Minute, time.Duration(h.To)*time.Minute
		if uniform {
			// Fast path: instants are midnight+w, and the end's wall clock is w+Duration.
			w := from
			if first := p.lo.Sub(mid); first > w {
				// Jump to the first grid point not before lo.
				w += (first - w + p.s.Step - 1) / p.s.Step * p.s.Step
			}
			for ; w < to && w+p.dur <= to; w += p.s.Step {
				t := mid.Add(w)
				if t.After(p.hi) || (!p.to.IsZero() && !t.Before(p.to)) {
					break
				}
				out = append(out, t.UTC())
			}
			continue
		}
		for w := from; w < to; w += p.s.Step {
			t, ok := at(day, w, loc)
			if ok && endFits(t.Add(p.dur).In(loc), day, to) && p.inWindow(t) {
				out = append(out, t.UTC())
			}
		}
	}
	return out
}

// disjoint returns the union of rs as sorted, disjoint, non-empty ranges (monotonic clock readings dropped).
func disjoint(rs []Range) []Range {
	out := make([]Range, 0, len(rs))
	for _, r := range rs {
		if r.Start.Before(r.End) {
			out = append(out, Range{r.Start.Round(0), r.End.Round(0)})
		}
	}
	slices.SortFunc(out, func(a, b Range) int { return a.Start.Compare(b.Start) })
	n := 0
	for _, r := range out {
		if n > 0 && !r.Start.After(out[n-1].End) { // overlapping or touching: merge
			if r.End.After(out[n-1].End) {
				out[n-1].End = r.End
			}
			continue
		}
		out[n] = r
		n++
	}
	return out[:n]
}

// sweep answers "does q overlap any range of rs" for queries whose starts mostly ascend, in amortised
// constant time: rs is sorted and disjoint, and i only moves forward unless a query goes backwards.
type sweep struct {
	rs   []Range
	i    int
	last time.Time
}

func (s *sweep) hits(q Range) bool {
	if q.Start.Before(s.last) {
		s.i = 0
	}
	s.last = q.Start
	for s.i < len(s.rs) && !s.rs[s.i].End.After(q.Start) {
		s.i++
	}
	return s.i < len(s.rs) && s.rs[s.i].Start.Before(q.End)
}

func ascending(ts []time.Time) bool {
	for i := 1; i < len(ts); i++ {
		if !ts[i-1].Before(ts[i]) {
			return false
		}
	}
	return true
}

func sortUnique(ts []time.Time) []time.Time {
	slices.SortFunc(ts, time.Time.Compare)
	return slices.CompactFunc(ts, time.Time.Equal)
}

// Slots returns the free start times in [From, To), ascending, as UTC instants, without duplicates.
// See the package documentation for the rules.
func Slots(r Request) []time.Time {
	p, ok := newPlan(r)
	if !ok {
		return nil
	}
	loc := p.s.Location
	last := p.hi
	if !p.to.IsZero() && p.to.Before(last) {
		last = p.to
	}
	busy := sweep{rs: disjoint(r.Busy)}
	off := sweep{rs: disjoint(r.TimeOff)}
	var out []time.Time
	for day, end := dateOf(p.lo.In(loc)), dateOf(last.In(loc)); !day.After(end); day = day.AddDate(0, 0, 1) {
		ranges := p.byDay[day.Weekday()]
		if len(ranges) == 0 {
			continue
		}
		n := len(out)
		out = p.appendDay(out, day, ranges)
		if seg := out[n:]; !ascending(seg) {
			out = append(out[:n], sortUnique(seg)...)
		}
		k := n
		for _, t := range out[n:] {
			// Rule 4, Blocked(t), and rule 5, away(t): both start at t-pre.
			from := t.Add(-p.pre)
			if busy.hits(Range{from, t.Add(p.dur + p.post)}) || off.hits(Range{from, t.Add(p.dur + p.travel)}) {
				continue
			}
			out[k] = t
			k++
		}
		out = out[:k]
	}
	if !ascending(out) { // only in a zone whose local dates run backwards; not London
		out = sortUnique(out)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Fits reports whether start is a slot Slots would offer (same rules), for re-checking a submitted time on
// the server without computing a whole week. It agrees with Slots exactly, so the window counts too: leave
// From and To zero (or put them around start) when re-checking.
func Fits(r Request, start time.Time) bool {
	p, ok := newPlan(r)
	if !ok {
		return false
	}
	start = start.Round(0)
	if !p.inWindow(start) {
		return false
	}
	loc := p.s.Location
	local := start.In(loc)
	day, w := dateOf(local), wall(local)
	hours := false
	for _, h := range p.byDay[day.Weekday()] {
		if p.onGrid(h, w) && endFits(start.Add(p.dur).In(loc), day, time.Duration(h.To)*time.Minute) {
			hours = true
			break
		}
	}
	if !hours {
		return false
	}
	// A repeated wall clock is offered once, as the instant time.Date gives for it.
	if t, _ := at(day, w, loc); !t.Equal(start) {
		return false
	}
	b := Blocked(start, p.dur, p.place, p.s)
	for _, x := range r.Busy {
		if b.Overlaps(Range{x.Start.Round(0), x.End.Round(0)}) {
			return false
		}
	}
	a := away(start, p.dur, p.place, p.s)
	for _, x := range r.TimeOff {
		if a.Overlaps(Range{x.Start.Round(0), x.End.Round(0)}) {
			return false
		}
	}
	return true
}
