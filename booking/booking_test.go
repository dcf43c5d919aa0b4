package booking_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/emails"
	"dynamicmotion/jobs"
	"dynamicmotion/schedule"
)

// These tests run the booking rules on a real PostgreSQL (a database of
// this package's own), with the real job queue as the Mailer (not started:
// what a change queued is read from the outbox and River's table), at
// instants the tests choose.

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// env is a desk over the package's database at the instant a test chose.
type env struct {
	desk  *booking.Desk
	q     *jobs.Queue
	clk   *clock.Offset
	bdb   *bun.DB
	rules booking.Rules
	svc   db.Service
}

var seeded sync.Once

// newEnv starts a desk whose clock reads at now. Bookings, holds, outbox
// and queued jobs are emptied first: each test sees only its own.
func newEnv(t testing.TB, at time.Time) *env {
	t.Helper()
	ctx := context.Background()
	bdb := dbtest.DB(t)
	var seedErr error
	seeded.Do(func() { seedErr = db.Seed(ctx, bdb) })
	if seedErr != nil {
		t.Fatal(seedErr)
	}
	dbtest.Truncate(t, "bookings", "outbox", "river_job", "waitlist", "waitlist_offers", "time_off", "booking_mail_settings")
	clk := clock.StartingAt(at)
	q, err := jobs.New(ctx, jobs.Config{
		DB: bdb, DSN: dbtest.DSN(t), Now: clk.Now,
		Practice: func(context.Context, bun.IDB) (emails.Practice, error) {
			return emails.Practice{Name: "Dynamic Motion Sports Therapy", Email: "clare@dm.example", SiteURL: "https://dm.example", Host: "dm.example"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	rules, err := db.LoadRules(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	rules.Settings.Location = clock.Zone
	svcs, err := db.ListActiveServices(ctx, bdb)
	if err != nil || len(svcs) == 0 {
		t.Fatalf("services: %v (%d)", err, len(svcs))
	}
	i := slices.IndexFunc(svcs, func(s db.Service) bool { return s.DurationMin == 60 })
	if i < 0 {
		t.Fatal("no 60-minute service seeded")
	}
	return &env{desk: booking.New(bdb, q, clk.Now), q: q, clk: clk, bdb: bdb, rules: rules, svc: svcs[i]}
}

func owner(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return h[:]
}

// free is every free start of the service at place from now to the
// horizon, as the picker offers them.
func (e *env) free(t *testing.T, place string) []time.Time {
	t.Helper()
	now := e.clk.Now()
	req, err := db.SlotRequest(context.Background(), e.bdb, e.rules, time.Hour, place, now, now.Add(e.rules.Settings.Horizon), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return schedule.Slots(req)
}

// freeFrom is the first free start at least gap after from.
func (e *env) freeFrom(t *testing.T, place string, from time.Time, gap time.Duration) time.Time {
	t.Helper()
	for _, s := range e.free(t, place) {
		if !s.Before(from.Add(gap)) {
			return s
		}
	}
	t.Fatalf("nothing free %v after %v", gap, from)
	return time.Time{}
}

// hold holds start for who, as the picker does.
func (e *env) hold(t *testing.T, who string, start time.Time) (*db.Booking, error) {
	t.Helper()
	b := booking.NewBooking(e.svc, db.PlaceStudio, start, e.rules)
	b.HoldOwner = owner(who)
	return b, e.desk.Hold(context.Background(), b, time.Duration(e.rules.Schedule.HoldMin)*time.Minute)
}

// request is a complete booking of start by who.
func (e *env) request(who string, start time.Time, holdID int64) booking.Request {
	now := e.clk.Now()
	b := &db.Booking{StartsAt: start, ClientName: who, ClientEmail: who + "@example.com", ClientPhone: "07700 900123",
		ConsentAt: &now, ManageTokenHash: owner("token-" + who + start.String())}
	booking.Snapshot(b, e.rules.Schedule)
	r := booking.Request{Owner: owner(who), HoldID: holdID, Booking: b, ManageURL: "https://dm.example/bookings/x"}
	if holdID == 0 {
		r.Hold = booking.NewBooking(e.svc, db.PlaceStudio, start, e.rules)
	}
	return r
}

func (e *env) outbox(t *testing.T, id int64) []string {
	t.Helper()
	ms, err := db.OutboxForBooking(context.Background(), e.bdb, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, m.Kind)
	}
	return kinds
}

func (e *env) reminders(t *testing.T) int {
	t.Helper()
	n, err := e.bdb.NewSelect().Table("river_job").Where("kind = 'booking_reminder'").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) booking(t *testing.T, id int64) db.Booking {
	t.Helper()
	b, err := db.BookingByID(context.Background(), e.bdb, id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hardInstants are the instants at which date arithmetic goes wrong when
// it is written carelessly: an ordinary working morning, the weekend's
// evenings (next week is tomorrow), both clock changes of two years in
// London (a day of 23 and of 25 hours; 01:10 on 31 October 2027 happens
// twice), the year's end and a month's last minute.
var hardInstants = []struct {
	name string
	at   time.Time
}{
	{"a Tuesday 10:00", london(2026, 12, 8, 10, 0)},
	{"a Sunday 19:10", london(2026, 12, 6, 19, 10)},
	{"a Saturday 23:30", london(2026, 12, 12, 23, 30)},
	{"29 March 2026 00:30, before the clocks go forward", london(2026, 3, 29, 0, 30)},
	{"25 October 2026 01:30 BST, the first of two", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
	{"28 March 2027 00:30", london(2027, 3, 28, 0, 30)},
	{"31 October 2027 01:10 GMT, the second of two", time.Date(2027, 10, 31, 1, 10, 0, 0, time.UTC)},
	{"31 December 2026 23:50", london(2026, 12, 31, 23, 50)},
	{"30 June 2027 23:59 BST", london(2027, 6, 30, 23, 59)},
	{"28 February 2027 23:59", london(2027, 2, 28, 23, 59)},
}

func london(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, clock.Zone)
}

// One booking walked through its life at each hard instant: the first time
// offered respects the notice and the opening hours in London's time of
// that day; it is held, booked (mail queued, a reminder only when it is
// more than a day off), moved and cancelled as the policy says, and its
// time is free again after.
func TestBookingAtHardInstants(t *testing.T) {
	for _, tc := range hardInstants {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.at)
			ctx := context.Background()
			now := e.clk.Now()
			free := e.free(t, db.PlaceStudio)
			if len(free) == 0 {
				t.Fatal("nothing free within the horizon")
			}
			first := free[0]
			local := first.In(clock.Zone)
			if first.Before(now.Add(e.rules.Settings.Notice)) {
				t.Errorf("the first time offered, %v, is inside the %v notice from %v", local, e.rules.Settings.Notice, now.In(clock.Zone))
			}
			if mins := local.Hour()*60 + local.Minute(); mins%15 != 0 || mins < 9*60 || mins+60 > 18*60 || local.Weekday() == time.Sunday {
				t.Errorf("the first time offered, %v, is not a quarter hour inside the studio's hours", local)
			}
			for _, s := range free {
				if s.Equal(first) {
					continue
				}
				if !s.After(first) {
					t.Fatalf("times out of order or repeated: %v after %v", s, first)
				}
				break
			}

			// Held by Ann; Bob cannot have it.
			hold, err := e.hold(t, "ann", first)
			if err != nil {
				t.Fatalf("holding %v: %v", local, err)
			}
			if _, err := e.hold(t, "bob", first); !errors.Is(err, booking.ErrTaken) {
				t.Errorf("a second hold of the same time: %v, want ErrTaken", err)
			}
			if want := now.Add(time.Duration(e.rules.Schedule.HoldMin) * time.Minute); hold.HoldExpiresAt.Sub(want).Abs() > time.Second {
				t.Errorf("the hold ends at %v, want %v", hold.HoldExpiresAt, want)
			}

			// Booked.
			req := e.request("ann", first, hold.ID)
			if err := e.desk.Book(ctx, req); err != nil {
				t.Fatalf("booking %v: %v", local, err)
			}
			b := e.booking(t, req.Booking.ID)
			if b.Status != db.BookingConfirmed || !b.StartsAt.Equal(first) || b.PolicyCutoffHours == nil {
				t.Fatalf("booked: %s at %v, cut-off %v", b.Status, b.StartsAt, b.PolicyCutoffHours)
			}
			if got := e.outbox(t, b.ID); !slices.Equal(got, []string{"booking_confirmed", "practice_new_booking"}) {
				t.Errorf("mail queued with the booking: %v", got)
			}
			wantReminder := first.Add(-24 * time.Hour).After(now)
			if got := e.reminders(t); got != map[bool]int{true: 1, false: 0}[wantReminder] {
				t.Errorf("%d reminders queued for a booking %v away, want one only if more than a day off", got, first.Sub(now))
			}
			cancellable := now.Before(first.Add(-24 * time.Hour))
			if got := booking.CanCancel(b, now); got != cancellable {
				t.Errorf("CanCancel %v %v before it starts, want %v", got, first.Sub(now), cancellable)
			}

			// Moved two hours or more later (a late move, inside the cut-off,
			// is allowed by the seeded policy and marks the booking).
			to := e.freeFrom(t, db.PlaceStudio, first, 2*time.Hour)
			if err := e.desk.Move(ctx, b, to, e.rules, "https://dm.example/bookings/x"); err != nil {
				t.Fatalf("moving to %v: %v", to.In(clock.Zone), err)
			}
			moved := e.booking(t, b.ID)
			if !moved.StartsAt.Equal(to) || moved.Sequence != 1 || moved.LateMoved != !cancellable {
				t.Errorf("moved: at %v, sequence %d, late %v; want %v, 1, %v", moved.StartsAt, moved.Sequence, moved.LateMoved, to, !cancellable)
			}
			if err := e.desk.Move(ctx, moved, to, e.rules, ""); !errors.Is(err, booking.ErrNotMoved) {
				t.Errorf("the same move again: %v, want ErrNotMoved", err)
			}

			// Cancelled: the policy is the caller's to check, the desk does it.
			if err := e.desk.CancelByClient(ctx, b.ID, "A cold, sorry."); err != nil {
				t.Fatalf("cancelling: %v", err)
			}
			if err := e.desk.CancelByClient(ctx, b.ID, "again"); !errors.Is(err, booking.ErrNotConfirmed) {
				t.Errorf("cancelling twice: %v, want ErrNotConfirmed", err)
			}
			if c := e.booking(t, b.ID); c.CancelReason != booking.ClientCancelReason || c.ClientCancelReason != "A cold, sorry." {
				t.Errorf("cancelled by the client: reason %q, the client's %q", c.CancelReason, c.ClientCancelReason)
			}
			if got := e.outbox(t, b.ID); !slices.Contains(got, "booking_cancelled") || !slices.Contains(got, "booking_moved") {
				t.Errorf("mail after moving and cancelling: %v", got)
			}
			if !slices.Contains(e.free(t, db.PlaceStudio), first) || !slices.Contains(e.free(t, db.PlaceStudio), to) {
				t.Error("the times are not free again after the cancellation")
			}
		})
	}
}

// A hold lasts its minutes on the desk's clock: once they pass, someone
// else may hold and book the time, and the first visitor's late form is
// told it was taken (ErrHoldGone) — or books it, if nobody took it.
func TestHoldRunsOutOnTheClock(t *testing.T) {
	e := newEnv(t, london(2026, 12, 6, 19, 10))
	ctx := context.Background()
	first := e.free(t, db.PlaceStudio)[0]
	hold, err := e.hold(t, "ann", first)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Duration(e.rules.Schedule.HoldMin)*time.Minute + time.Second)
	if !slices.Contains(e.free(t, db.PlaceStudio), first) {
		t.Fatal("a lapsed hold still blocks the time")
	}
	bobs, err := e.hold(t, "bob", first)
	if err != nil {
		t.Fatalf("holding a lapsed hold's time: %v", err)
	}
	if err := e.desk.Book(ctx, e.request("bob", first, bobs.ID)); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.Book(ctx, e.request("ann", first, hold.ID)); !errors.Is(err, booking.ErrHoldGone) && !errors.Is(err, booking.ErrTaken) {
		t.Errorf("Ann's late form: %v, want ErrHoldGone or ErrTaken", err)
	}

	// A lapsed hold whose time nobody took is booked all the same.
	second := e.freeFrom(t, db.PlaceStudio, first, 2*time.Hour)
	hold, err = e.hold(t, "cat", second)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	if err := e.desk.Book(ctx, e.request("cat", second, hold.ID)); err != nil {
		t.Errorf("a lapsed hold whose time is still free: %v, want booked", err)
	}
}

// The same form sent twice at once (a double click) books once: the second
// request sees the first's booking under the lock (ErrTwinBooked).
func TestTwinRequestBooksOnce(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	first := e.free(t, db.PlaceStudio)[0]
	r := e.request("dan", first, 0)
	r.Twin = r.Booking.ManageTokenHash
	if err := e.desk.Book(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	again := e.request("dan", first, 0)
	again.Twin = r.Booking.ManageTokenHash
	again.Booking.ManageTokenHash = owner("another token")
	if err := e.desk.Book(context.Background(), again); !errors.Is(err, booking.ErrTwinBooked) {
		t.Errorf("the twin: %v, want ErrTwinBooked", err)
	}
}

// Fifty clients book the same time at once, none holding it first: one
// booking, forty-nine told it was taken, never an error, and one set of
// mail.
func TestFiftyBookOneTime(t *testing.T) {
	e := newEnv(t, london(2026, 12, 12, 23, 30))
	first := e.free(t, db.PlaceStudio)[0]
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = e.desk.Book(context.Background(), e.request(fmt.Sprintf("client%d", i), first, 0)) })
	}
	wg.Wait()
	booked := 0
	for i, err := range errs {
		switch {
		case err == nil:
			booked++
		case !errors.Is(err, booking.ErrTaken):
			t.Errorf("client %d: %v, want booked or ErrTaken", i, err)
		}
	}
	if booked != 1 {
		t.Errorf("%d bookings of one time, want 1", booked)
	}
	var rows int
	if err := e.bdb.NewRaw("SELECT count(*) FROM bookings WHERE starts_at = ? AND status IN ('held', 'confirmed')", first).Scan(context.Background(), &rows); err != nil || rows != 1 {
		t.Errorf("%d rows take the time (%v), want 1", rows, err)
	}
	if n, _ := e.bdb.NewSelect().Table("outbox").Where("kind = 'booking_confirmed'").Count(context.Background()); n != 1 {
		t.Errorf("%d confirmations queued, want 1", n)
	}
}

// Cancelling by the practice tells the client the reason; marking
// attendance waits until the appointment's time has come on the clock.
func TestPracticeCancelsAndMarksAttendance(t *testing.T) {
	e := newEnv(t, london(2027, 3, 28, 0, 30))
	ctx := context.Background()
	first := e.free(t, db.PlaceStudio)[0]
	r := e.request("eve", first, 0)
	if err := e.desk.Book(ctx, r); err != nil {
		t.Fatal(err)
	}
	id := r.Booking.ID
	if err := e.desk.MarkAttendance(ctx, id, db.BookingCompleted); !errors.Is(err, booking.ErrWrongStatus) {
		t.Errorf("attendance before the appointment: %v, want ErrWrongStatus", err)
	}
	e.clk.Set(first.Add(30 * time.Minute))
	if err := e.desk.MarkAttendance(ctx, id, db.BookingNoShow); err != nil {
		t.Errorf("attendance once it began: %v", err)
	}
	if err := e.desk.MarkAttendance(ctx, id, db.BookingConfirmed); err != nil {
		t.Errorf("undoing it: %v", err)
	}
	if err := e.desk.CancelByPractice(ctx, id, "The studio is flooded"); err != nil {
		t.Fatal(err)
	}
	if b := e.booking(t, id); b.Status != db.BookingCancelled || b.CancelReason != "The studio is flooded" || b.CancelledAt == nil || !b.CancelledAt.Equal(e.clk.Now().Truncate(time.Microsecond)) && b.CancelledAt.Sub(e.clk.Now()).Abs() > time.Second {
		t.Errorf("cancelled by the practice: %s %q at %v", b.Status, b.CancelReason, b.CancelledAt)
	}
}

// The waitlist: joining queues the confirmation once (a second join with
// the same address changes nothing); leaving with an open offer releases
// its hold.
func TestWaitlistJoinAndLeave(t *testing.T) {
	e := newEnv(t, london(2026, 10, 25, 1, 30))
	ctx := context.Background()
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	entry := func() *db.WaitlistEntry {
		return &db.WaitlistEntry{ServiceID: e.svc.ID, Place: db.PlaceStudio, Day: day, EarliestMin: 540, LatestMin: 1020,
			Name: "Fay", Email: "fay@example.com", LeaveTokenHash: owner("leave-fay"),
			ServiceName: e.svc.Name, DurationMin: e.svc.DurationMin, PricePence: e.svc.PricePence}
	}
	en := entry()
	if added, err := e.desk.JoinWaitlist(ctx, en, "leave-fay", london(2026, 11, 3, 12, 0)); err != nil || !added {
		t.Fatalf("joining: %v, %v", added, err)
	}
	if added, err := e.desk.JoinWaitlist(ctx, entry(), "leave-fay-2", london(2026, 11, 3, 12, 0)); err != nil || added {
		t.Errorf("joining twice: %v, %v; want not added", added, err)
	}
	var joined, offers int
	if err := e.bdb.NewRaw("SELECT count(*) FROM outbox WHERE kind = 'waitlist_joined'").Scan(ctx, &joined); err != nil || joined != 1 {
		t.Errorf("%d confirmations of joining (%v), want 1", joined, err)
	}
	if err := e.bdb.NewRaw("SELECT count(*) FROM river_job WHERE kind = 'waitlist_offer'").Scan(ctx, &offers); err != nil || offers == 0 {
		t.Errorf("no offer of the day's free times queued with the join (%v)", err)
	}
	if err := e.desk.LeaveWaitlist(ctx, *en); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.LeaveWaitlist(ctx, *en); err != nil {
		t.Errorf("leaving twice: %v", err)
	}
}

// Saving hours that add working time to a day someone waits for offers it
// to them in the same transaction; hours that take time away do not.
func TestSaveHoursOffersGainedDays(t *testing.T) {
	e := newEnv(t, london(2026, 12, 31, 23, 50))
	ctx := context.Background()
	old, err := db.ListWorkingHours(ctx, e.bdb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.ReplaceWorkingHours(ctx, e.bdb, old) })
	sunday := time.Date(2027, 1, 3, 0, 0, 0, 0, time.UTC)
	w := &db.WaitlistEntry{ServiceID: e.svc.ID, Place: db.PlaceStudio, Day: sunday, EarliestMin: 600, LatestMin: 720,
		Name: "Gus", Email: "gus@example.com", LeaveTokenHash: owner("leave-gus"),
		ServiceName: e.svc.Name, DurationMin: e.svc.DurationMin, PricePence: e.svc.PricePence}
	if _, err := db.AddToWaitlist(ctx, e.bdb, w); err != nil {
		t.Fatal(err)
	}
	offersQueued := func() int {
		n, err := e.bdb.NewSelect().Table("river_job").Where("kind = 'waitlist_offer'").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := e.desk.SaveHours(ctx, old); err != nil {
		t.Fatal(err)
	}
	if n := offersQueued(); n != 0 {
		t.Errorf("the same hours saved again queued %d offers, want none", n)
	}
	sundays := append(slices.Clone(old), db.WorkingHours{Weekday: int(time.Sunday), Place: db.PlaceStudio, FromMin: 600, UntilMin: 780})
	if err := e.desk.SaveHours(ctx, sundays); err != nil {
		t.Fatal(err)
	}
	if n := offersQueued(); n != 1 {
		t.Errorf("opening on Sundays queued %d offers, want 1 for the Sunday waited for", n)
	}
}

// A freed time goes to the first person waiting for that day: the first
// start in their window that is bookable when the hold ends (notice counted
// from then), held for them for the therapist's offer hold. When the hold
// runs out (the job that ends it runs then) the offer ends, its hold is
// released, and the day is offered again: never the same time to the
// person who let it go.
func TestFreedTimeGoesToTheWaitlistInTurn(t *testing.T) {
	e := newEnv(t, london(2026, 12, 6, 19, 10)) // a Sunday evening
	ctx := context.Background()
	tuesday := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	wait := func(name string) *db.WaitlistEntry {
		w := &db.WaitlistEntry{ServiceID: e.svc.ID, Place: db.PlaceStudio, Day: tuesday, EarliestMin: 9 * 60, LatestMin: 17 * 60,
			Name: name, Email: name + "@example.com", LeaveTokenHash: owner("leave-" + name),
			ServiceName: e.svc.Name, DurationMin: e.svc.DurationMin, PricePence: e.svc.PricePence}
		if _, err := db.AddToWaitlist(ctx, e.bdb, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	hal, ivy := wait("hal"), wait("ivy")
	if err := e.desk.OfferDay(ctx, tuesday); err != nil {
		t.Fatal(err)
	}
	offers := func() []db.WaitlistOffer {
		var os []db.WaitlistOffer
		if err := e.bdb.NewSelect().Model(&os).OrderExpr("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		return os
	}
	got := offers()
	if len(got) != 2 || got[0].EntryID != hal.ID || got[1].EntryID != ivy.ID {
		t.Fatalf("offers %+v, want Hal's then Ivy's", got)
	}
	hold := time.Duration(e.rules.Schedule.OfferHoldMin) * time.Minute
	if want := london(2026, 12, 8, 9, 0); !got[0].StartsAt.Equal(want) {
		t.Errorf("Hal is offered %v, want the day's first time, %v", got[0].StartsAt.In(clock.Zone), want)
	}
	if !got[1].StartsAt.After(got[0].StartsAt) {
		t.Errorf("Ivy is offered %v, not after Hal's %v", got[1].StartsAt, got[0].StartsAt)
	}
	if d := got[0].ExpiresAt.Sub(e.clk.Now()); (d - hold).Abs() > time.Second {
		t.Errorf("the offer is held for %v, want the setting's %v", d, hold)
	}
	if slices.Contains(e.free(t, db.PlaceStudio), got[0].StartsAt) {
		t.Error("the picker still offers a time held for the waitlist")
	}
	e.clk.Advance(hold + time.Minute)
	if ended, err := e.desk.ExpireOffer(ctx, got[0].ID); err != nil || !ended {
		t.Fatalf("ending the offer once its hold ran out: %v, %v", ended, err)
	}
	if ended, err := e.desk.ExpireOffer(ctx, got[0].ID); err != nil || ended {
		t.Errorf("ending it twice: %v, %v; want nothing to end", ended, err)
	}
	after := offers()
	if after[0].Outcome == db.OfferOpen {
		t.Errorf("Hal's offer is still open after it ran out")
	}
	for _, o := range after[2:] {
		if o.EntryID == hal.ID && o.StartsAt.Equal(got[0].StartsAt) {
			t.Errorf("Hal was offered the time he let go again")
		}
	}
}
