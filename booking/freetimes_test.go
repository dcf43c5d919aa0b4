package booking_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"dynamicmotion/booking"
	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/schedule"
)

// The free times each instance keeps (Desk.FreeTimes) against the database
// they come from. Two desks over one database are two instances, each with
// its own copy; every read is compared with the computation made afresh at
// the same instant, so a stale copy shows as a difference.

// other is a second instance: a desk of its own over the same database and
// clock (it only reads here, so it needs no mailer).
func (e *env) other() *booking.Desk { return booking.New(e.bdb, nil, e.clk.Now) }

// direct is the free times of svc at place over the horizon at now,
// computed afresh: what FreeTimes must answer.
func (e *env) direct(t *testing.T, r booking.Rules, svc db.Service, owner []byte, now time.Time) []time.Time {
	t.Helper()
	req, err := db.SlotRequest(context.Background(), e.bdb, r, time.Duration(svc.DurationMin)*time.Minute,
		db.PlaceStudio, now, now.Add(r.Settings.Horizon), owner, now)
	if err != nil {
		t.Fatal(err)
	}
	return schedule.Slots(req)
}

// check reads desk's free times over the horizon at the clock's now and
// compares them with the computation afresh; it returns them.
func (e *env) check(t *testing.T, desk *booking.Desk, r booking.Rules, owner []byte, what string) []time.Time {
	t.Helper()
	now := e.clk.Now()
	got, err := desk.FreeTimes(context.Background(), r, e.svc, db.PlaceStudio, now, now.Add(r.Settings.Horizon), owner, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := e.direct(t, r, e.svc, owner, now); !slices.Equal(got, want) {
		t.Fatalf("%s: FreeTimes gives %d times, afresh %d (first %v vs %v)", what, len(got), len(want), first(got), first(want))
	}
	return got
}

func first(ts []time.Time) string {
	if len(ts) == 0 {
		return "none"
	}
	return ts[0].In(clock.Zone).Format("Mon 2 Jan 15:04")
}

// reload reads the rules from the database, as saved.
func (e *env) reload(t *testing.T) booking.Rules {
	t.Helper()
	r, err := db.LoadRules(context.Background(), e.bdb)
	if err != nil {
		t.Fatal(err)
	}
	r.Settings.Location = clock.Zone
	return r
}

// A change made through one instance is seen by the other on its very next
// read, with nothing waited for: a booking, a cancellation, time off added
// and removed, the hours, the rules.
func TestFreeTimesAcrossInstances(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	ctx := context.Background()
	keepRules(t, e)
	a, b := e.desk, e.other()
	before := e.check(t, b, e.rules, nil, "first read")
	e.check(t, a, e.rules, nil, "first read on a")
	e.check(t, b, e.rules, nil, "second read (from the copy)")
	if len(before) == 0 {
		t.Fatal("nothing free")
	}
	start := before[3]

	r := e.request("eve", start, 0)
	if err := a.Book(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, e.rules, nil, "after a booking"); slices.Contains(got, start) {
		t.Fatal("the booked time is still offered by the other instance")
	}
	if err := a.CancelByPractice(ctx, r.Booking.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, e.rules, nil, "after a cancellation"); !slices.Contains(got, start) {
		t.Fatal("the cancelled time is not offered again")
	}

	day := time.Date(start.In(clock.Zone).Year(), start.In(clock.Zone).Month(), start.In(clock.Zone).Day(), 0, 0, 0, 0, clock.Zone)
	off := &db.TimeOff{StartsAt: day, EndsAt: day.AddDate(0, 0, 1), Note: "away"}
	if err := a.AddTimeOff(ctx, off); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, e.rules, nil, "after time off"); slices.Contains(got, start) {
		t.Fatal("a time in the time off is still offered")
	}
	if err := a.DeleteTimeOff(ctx, off.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, e.rules, nil, "after the time off is removed"); !slices.Contains(got, start) {
		t.Fatal("the time is not offered again after the time off is removed")
	}

	// Hours: the day of start is no longer worked. The other instance's
	// rules (read before, and kept) are read again at once; the free times
	// computed under the old hours are not served under the new.
	rulesOf := func(d *booking.Desk) booking.Rules {
		t.Helper()
		r, err := d.Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.reload(t); r.Settings != want.Settings || !slices.Equal(r.Hours, want.Hours) || r.Schedule.StepMin != want.Schedule.StepMin {
			t.Fatalf("the other instance's rules are not the ones saved")
		}
		return r
	}
	rulesOf(b)
	hours, err := db.ListWorkingHours(ctx, e.bdb)
	if err != nil {
		t.Fatal(err)
	}
	fewer := slices.DeleteFunc(slices.Clone(hours), func(h db.WorkingHours) bool { return h.Weekday == int(day.Weekday()) })
	if err := a.SaveHours(ctx, fewer); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, rulesOf(b), nil, "after the hours"); slices.Contains(got, start) {
		t.Fatal("a time on a day no longer worked is still offered")
	}
	if err := a.SaveHours(ctx, hours); err != nil {
		t.Fatal(err)
	}
	e.check(t, b, rulesOf(b), nil, "after the hours are put back")

	// The rules: on the hour only.
	s := e.rules.Schedule
	s.StepMin = 60
	if err := a.SaveSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, ts := range e.check(t, b, rulesOf(b), nil, "after the step changed") {
		if ts.In(clock.Zone).Minute() != 0 {
			t.Fatalf("%v offered with a step of an hour", ts)
		}
	}
	// Old rules handed in still get their own answer, not the copy's.
	e.check(t, b, e.rules, nil, "old rules")
}

// keepRules puts the schedule and hours back as they were when the test
// ends.
func keepRules(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	s, err := db.GetSchedule(ctx, e.bdb)
	if err != nil {
		t.Fatal(err)
	}
	hours, err := db.ListWorkingHours(ctx, e.bdb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.SaveSchedule(ctx, e.bdb, s); err != nil {
			t.Error(err)
		}
		if err := db.ReplaceWorkingHours(ctx, e.bdb, hours); err != nil {
			t.Error(err)
		}
	})
}

// A hold hides its time from everyone else, on every instance, and shows
// it to its owner; when it lapses (nothing is written then) the time is
// offered again at once; a waitlist offer's hold likewise.
func TestFreeTimesAndHolds(t *testing.T) {
	e := newEnv(t, london(2026, 12, 6, 19, 10))
	b := e.other()
	free := e.check(t, b, e.rules, nil, "first read")
	start := free[0]
	if _, err := e.hold(t, "fay", start); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, e.rules, nil, "after a hold"); slices.Contains(got, start) {
		t.Fatal("a held time is offered to others")
	}
	if got := e.check(t, b, e.rules, owner("fay"), "the holder's own read"); !slices.Contains(got, start) {
		t.Fatal("the holder is not offered the time they hold")
	}
	e.check(t, b, e.rules, owner("gil"), "a visitor with a session and no hold")
	e.check(t, b, e.rules, nil, "anonymous, from the copy")

	// Just before the hold lapses it still counts; just after, not.
	e.clk.Advance(time.Duration(e.rules.Schedule.HoldMin)*time.Minute - 2*time.Second)
	if got := e.check(t, b, e.rules, nil, "the hold's last seconds"); slices.Contains(got, start) {
		t.Fatal("the time is offered before its hold lapsed")
	}
	e.clk.Advance(3 * time.Second)
	if got := e.check(t, b, e.rules, nil, "after the hold lapsed"); !slices.Contains(got, start) {
		t.Fatal("a lapsed hold still hides its time")
	}
}

// The notice is applied at each read: a time that has come too close is
// not served from a copy made when it was far enough.
func TestFreeTimesNoticeAtRead(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	b := e.other()
	free := e.check(t, b, e.rules, nil, "first read")
	// Move on until the first time is inside the notice by a minute.
	e.clk.Set(free[0].Add(-e.rules.Settings.Notice + time.Minute))
	if got := e.check(t, b, e.rules, nil, "later"); slices.Contains(got, free[0]) {
		t.Fatal("a time inside the notice is offered")
	}
	// And a day later the horizon reaches a day further.
	e.clk.Advance(24 * time.Hour)
	e.check(t, b, e.rules, nil, "a day later")
}

// A day's window gives that day's times only, and a window outside the
// notice and the horizon none.
func TestFreeTimesWindow(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	b := e.other()
	ctx := context.Background()
	now := e.clk.Now()
	all := e.check(t, b, e.rules, nil, "the horizon")
	d := all[0].In(clock.Zone)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, clock.Zone)
	got, err := b.FreeTimes(ctx, e.rules, e.svc, db.PlaceStudio, day, day.AddDate(0, 0, 1), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	var want []time.Time
	for _, ts := range all {
		if !ts.Before(day) && ts.Before(day.AddDate(0, 0, 1)) {
			want = append(want, ts)
		}
	}
	if !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("one day: %d times, want %d", len(got), len(want))
	}
	for _, w := range [][2]time.Time{
		{now.Add(-48 * time.Hour), now},                                         // past
		{now.Add(e.rules.Settings.Horizon + time.Minute), now.AddDate(1, 0, 0)}, // beyond the horizon
	} {
		if got, err := b.FreeTimes(ctx, e.rules, e.svc, db.PlaceStudio, w[0], w[1], nil, now); err != nil || got != nil {
			t.Errorf("window %v–%v: %v, %v; want none", w[0], w[1], got, err)
		}
	}
}

// Starts come at the step the therapist chose: every 15, 30 or 60 minutes,
// or the service's own length (a 45-minute service at 09:00, 09:45, …).
func TestFreeTimesAtEachStep(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	ctx := context.Background()
	keepRules(t, e)
	monday := london(2026, 12, 14, 0, 0) // studio 09:00–18:00, nothing booked
	svc45 := e.svc
	svc45.ID, svc45.DurationMin = -45, 45 // a 45-minute service (the id only keys the copy)
	clocks := func(ts []time.Time) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.In(clock.Zone).Format("15:04"))
		}
		return out
	}
	every := func(from string, step time.Duration, n int) []string {
		t0, _ := time.Parse("15:04", from)
		var out []string
		for i := range n {
			out = append(out, t0.Add(time.Duration(i)*step).Format("15:04"))
		}
		return out
	}
	for _, tc := range []struct {
		step int
		svc  db.Service
		want []string
	}{
		{15, e.svc, every("09:00", 15*time.Minute, 33)}, // the last at 17:00, ending at 18:00
		{30, e.svc, every("09:00", 30*time.Minute, 17)},
		{60, e.svc, every("09:00", time.Hour, 9)},
		{db.StepServiceLength, svc45, every("09:00", 45*time.Minute, 12)}, // 09:00, 09:45, … 17:15
		{db.StepServiceLength, e.svc, every("09:00", time.Hour, 9)},
	} {
		t.Run(fmt.Sprintf("step %d, %d minutes", tc.step, tc.svc.DurationMin), func(t *testing.T) {
			s := e.rules.Schedule
			s.StepMin = tc.step
			if err := e.desk.SaveSettings(ctx, s); err != nil {
				t.Fatal(err)
			}
			r := e.reload(t)
			got, err := e.other().FreeTimes(ctx, r, tc.svc, db.PlaceStudio, monday, monday.AddDate(0, 0, 1), nil, e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(clocks(got), tc.want) {
				t.Errorf("got %v\nwant %v", clocks(got), tc.want)
			}
		})
	}
}

// Many readers at once on a cold copy, while a booking is made: every one
// gets what was free at its read, and the one booking is taken exactly
// once; the copy is computed once per version, not by every reader.
func TestFreeTimesConcurrentReaders(t *testing.T) {
	e := newEnv(t, london(2026, 12, 12, 23, 30))
	ctx := context.Background()
	b := e.other()
	now := e.clk.Now()
	want := e.direct(t, e.rules, e.svc, nil, now)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			got, err := b.FreeTimes(ctx, e.rules, e.svc, db.PlaceStudio, now, now.Add(e.rules.Settings.Horizon), nil, now)
			if err == nil && !slices.Equal(got, want) {
				err = errors.New("a reader got other times")
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := e.desk.Book(ctx, e.request("hal", want[0], 0)); err != nil {
		t.Fatal(err)
	}
	if got := e.check(t, b, e.rules, nil, "after the booking"); slices.Contains(got, want[0]) {
		t.Error("the booked time is still offered")
	}
}

// BenchmarkFreeTimesCached is the picker's data path for one day when the
// copy is current: one single-row read and a copy of the day's times.
func BenchmarkFreeTimesCached(b *testing.B) {
	benchFreeTimes(b, func(d *booking.Desk) *booking.Desk { return d })
}

// BenchmarkFreeTimesAfresh is the same read computed afresh each time (the
// picker before the copy): the busy times and time off read, the slot
// engine run for the day.
func BenchmarkFreeTimesAfresh(b *testing.B) {
	benchFreeTimes(b, nil)
}

// BenchmarkFreeTimes32 is one day's read by 32 readers at once (as the
// load run's 32 connections), with its p99 latency: from the copy, and
// computed afresh each time (the picker before the copy).
func BenchmarkFreeTimes32(b *testing.B) {
	b.Run("cached", func(b *testing.B) { bench32(b, true) })
	b.Run("afresh", func(b *testing.B) { bench32(b, false) })
}

func bench32(b *testing.B, cached bool) {
	e := newEnv(b, london(2026, 12, 8, 10, 0))
	ctx := context.Background()
	desk := e.other()
	now := e.clk.Now()
	day := london(2026, 12, 10, 0, 0)
	read := func() ([]time.Time, error) {
		if !cached {
			req, err := db.SlotRequest(ctx, e.bdb, e.rules, time.Hour, db.PlaceStudio, day, day.AddDate(0, 0, 1), nil, now)
			return schedule.Slots(req), err
		}
		return desk.FreeTimes(ctx, e.rules, e.svc, db.PlaceStudio, day, day.AddDate(0, 0, 1), nil, now)
	}
	if got, err := read(); err != nil || len(got) == 0 {
		b.Fatalf("%d times, %v", len(got), err)
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := read(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

func benchFreeTimes(b *testing.B, cached func(*booking.Desk) *booking.Desk) {
	e := newEnv(b, london(2026, 12, 8, 10, 0))
	ctx := context.Background()
	desk := e.other()
	now := e.clk.Now()
	day := london(2026, 12, 10, 0, 0)
	read := func() ([]time.Time, error) {
		if cached == nil {
			req, err := db.SlotRequest(ctx, e.bdb, e.rules, time.Hour, db.PlaceStudio, day, day.AddDate(0, 0, 1), nil, now)
			return schedule.Slots(req), err
		}
		return desk.FreeTimes(ctx, e.rules, e.svc, db.PlaceStudio, day, day.AddDate(0, 0, 1), nil, now)
	}
	if got, err := read(); err != nil || len(got) == 0 {
		b.Fatalf("%d times, %v", len(got), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := read(); err != nil {
			b.Fatal(err)
		}
	}
}

// Within a ReadOnce context (a page that only reads) the diary's version
// is read once: every answer is the one of that instant, even when the
// diary changes meanwhile; a new request (a new context) sees the change.
func TestReadOnceIsOneInstant(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	keepRules(t, e)
	page := booking.ReadOnce(context.Background())
	now := e.clk.Now()
	read := func(ctx context.Context) []time.Time {
		t.Helper()
		got, err := e.desk.FreeTimes(ctx, e.rules, e.svc, db.PlaceStudio, now, now.Add(e.rules.Settings.Horizon), nil, now)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	before := read(page)
	if len(before) < 4 {
		t.Fatal("nothing free")
	}
	start := before[3]
	if err := e.desk.Book(context.Background(), e.request("rae", start, 0)); err != nil {
		t.Fatal(err)
	}
	if got := read(page); !slices.Equal(got, before) {
		t.Error("one page's reads disagree: the version was read again within it")
	}
	if got := read(booking.ReadOnce(context.Background())); slices.Contains(got, start) {
		t.Error("the next page still offers the time just booked")
	}
}
