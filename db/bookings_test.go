package db_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// bookingTime is a fixed Monday in the future: 1 March 2027 at hh:mm London
// time (GMT, so UTC).
func bookingTime(hh, mm int) time.Time {
	return time.Date(2027, 3, 1, hh, mm, 0, 0, time.UTC)
}

func emptyBookings(t *testing.T) { dbtest.Truncate(t, "bookings") }

// serviceID returns the id of a seeded service.
func serviceID(t *testing.T) int64 {
	t.Helper()
	bdb := dbtest.DB(t)
	if err := db.Seed(context.Background(), bdb); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := bdb.NewRaw("SELECT id FROM services ORDER BY id LIMIT 1").Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func owner(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return h[:]
}

// hold builds a hold of a 60-minute studio appointment at start with a
// 15-minute buffer after it.
func hold(svc int64, start time.Time, who string, expires time.Time) *db.Booking {
	return &db.Booking{
		ServiceID: svc, Place: db.PlaceStudio, StartsAt: start, EndsAt: start.Add(time.Hour),
		BlockedFrom: start, BlockedTo: start.Add(75 * time.Minute),
		HoldOwner: owner(who), HoldExpiresAt: &expires, ServiceName: "Sports massage", DurationMin: 60, PricePence: 5000,
	}
}

// testNow is the instant the database tests run at: a Tuesday morning a
// week before bookingTime's day. Every query that decides by the time is
// given it, so no test here depends on the day it runs.
var testNow = time.Date(2027, 2, 23, 10, 0, 0, 0, time.UTC)

func soon() time.Time { return testNow.Add(10 * time.Minute) }

// The exclusion constraint refuses overlapping held or confirmed times and
// allows back-to-back ones (the blocked ranges are half-open).
func TestBookingsNeverOverlap(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)

	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(9, 0), "ann", soon()), testNow); err != nil {
		t.Fatal(err)
	}
	// 10:00 is inside 9:00's buffer (until 10:15).
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(10, 0), "bob", soon()), testNow); !errors.Is(err, db.ErrSlotTaken) {
		t.Errorf("a hold inside the buffer: %v, want ErrSlotTaken", err)
	}
	// 10:15 starts where the blocked range ends: allowed.
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(10, 15), "bob", soon()), testNow); err != nil {
		t.Errorf("back to back: %v", err)
	}
	// Cancelled bookings do not block.
	cancelled := hold(svc, bookingTime(12, 0), "cat", soon())
	if err := db.HoldSlot(ctx, bdb, cancelled, testNow); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.NewRaw("UPDATE bookings SET status = 'cancelled', manage_token_hash = 'x' WHERE id = ?", cancelled.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(12, 0), "dan", soon()), testNow); err != nil {
		t.Errorf("over a cancelled booking: %v", err)
	}
}

// An expired hold blocks nobody: the next hold releases it in the same
// transaction. One visitor has one hold at a time.
func TestHolds(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)

	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(9, 0), "ann", testNow.Add(-time.Second)), testNow); err != nil {
		t.Fatal(err)
	}
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(9, 0), "bob", soon()), testNow); err != nil {
		t.Errorf("holding over an expired hold: %v", err)
	}
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(14, 0), "bob", soon()), testNow); err != nil {
		t.Fatal(err)
	}
	held, err := db.HeldBy(ctx, bdb, owner("bob"), testNow)
	if err != nil || !held.StartsAt.Equal(bookingTime(14, 0)) {
		t.Errorf("bob holds %v (%v), want only 14:00", held.StartsAt, err)
	}
	// Bob's earlier 9:00 hold was given up: Cat can have it.
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(9, 0), "cat", soon()), testNow); err != nil {
		t.Errorf("9:00 after bob moved on: %v", err)
	}
	spans, err := db.BusySpans(ctx, bdb, bookingTime(0, 0), bookingTime(23, 0), owner("cat"), testNow)
	if err != nil || len(spans) != 1 || !spans[0].From.Equal(bookingTime(14, 0)) {
		t.Errorf("busy for cat: %+v (%v), want only bob's 14:00", spans, err)
	}
	if err := db.ReleaseHold(ctx, bdb, owner("bob")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.HeldBy(ctx, bdb, owner("bob"), testNow); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("after release: %v", err)
	}
}

func confirmed(token string) *db.Booking {
	h := sha256.Sum256([]byte(token))
	cut := 24
	return &db.Booking{ClientName: "Ann", ClientEmail: "ann@example.com", ManageTokenHash: h[:], PolicyCutoffHours: &cut}
}

// Confirming turns the visitor's own hold into a booking, once; an expired
// hold whose time is still free is booked all the same; one taken by
// someone else meanwhile is ErrSlotTaken and nothing changes.
func TestConfirm(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)

	h := hold(svc, bookingTime(9, 0), "ann", soon())
	if err := db.HoldSlot(ctx, bdb, h, testNow); err != nil {
		t.Fatal(err)
	}
	b := confirmed("ann-token")
	if err := db.Confirm(ctx, bdb, owner("ann"), h.ID, b, testNow); err != nil {
		t.Fatal(err)
	}
	if b.Status != db.BookingConfirmed || !b.StartsAt.Equal(bookingTime(9, 0)) || b.ServiceID != svc {
		t.Errorf("confirmed %+v", b)
	}
	if err := db.Confirm(ctx, bdb, owner("ann"), h.ID, confirmed("again"), testNow); !errors.Is(err, db.ErrHoldGone) {
		t.Errorf("confirming twice: %v, want ErrHoldGone", err)
	}
	if err := db.Confirm(ctx, bdb, owner("eve"), h.ID, confirmed("eve"), testNow); !errors.Is(err, db.ErrHoldGone) {
		t.Errorf("confirming someone else's hold: %v, want ErrHoldGone", err)
	}
	got, err := db.BookingByToken(ctx, bdb, b.ManageTokenHash)
	if err != nil || got.ID != b.ID {
		t.Errorf("by token: %+v %v", got.ID, err)
	}

	// Expired but free: booked.
	late := hold(svc, bookingTime(11, 0), "bob", testNow.Add(-time.Minute))
	if err := db.HoldSlot(ctx, bdb, late, testNow); err != nil {
		t.Fatal(err)
	}
	if err := db.Confirm(ctx, bdb, owner("bob"), late.ID, confirmed("bob"), testNow); err != nil {
		t.Errorf("an expired hold on a free time: %v", err)
	}

	// Expired and taken by Dan meanwhile: ErrSlotTaken for Cat.
	lost := hold(svc, bookingTime(14, 0), "cat", testNow.Add(-time.Minute))
	if err := db.HoldSlot(ctx, bdb, lost, testNow); err != nil {
		t.Fatal(err)
	}
	if err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(14, 30), "dan", soon()), testNow); err != nil {
		t.Fatal(err)
	}
	if err := db.Confirm(ctx, bdb, owner("cat"), lost.ID, confirmed("cat"), testNow); !errors.Is(err, db.ErrSlotTaken) && !errors.Is(err, db.ErrHoldGone) {
		t.Errorf("a hold lost to someone else: %v, want ErrSlotTaken or ErrHoldGone", err)
	}
	var n int
	bdb.NewRaw("SELECT count(*) FROM bookings WHERE status = 'confirmed'").Scan(ctx, &n)
	if n != 2 {
		t.Errorf("%d confirmed bookings, want 2", n)
	}
}

// Fifty clients hold the same time at once: exactly one gets it.
func TestConcurrentHoldsOneWins(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	var won, taken atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			err := db.HoldSlot(ctx, bdb, hold(svc, bookingTime(10, 0), "client-"+strconv.Itoa(i), soon()), testNow)
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, db.ErrSlotTaken):
				taken.Add(1)
			default:
				t.Errorf("client %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || taken.Load() != 49 {
		t.Errorf("%d won, %d were told it was taken; want 1 and 49", won.Load(), taken.Load())
	}
}

// Moving is one statement: the new time, or the old one when the new one is
// taken.
func TestMoveBooking(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	h := hold(svc, bookingTime(9, 0), "ann", soon())
	db.HoldSlot(ctx, bdb, h, testNow)
	b := confirmed("ann")
	if err := db.Confirm(ctx, bdb, owner("ann"), h.ID, b, testNow); err != nil {
		t.Fatal(err)
	}
	db.HoldSlot(ctx, bdb, hold(svc, bookingTime(13, 0), "bob", soon()), testNow)

	// Moving by 30 minutes overlaps its own old range: fine, it is one row.
	if from, err := db.MoveBooking(ctx, bdb, b.ID, bookingTime(9, 30), bookingTime(10, 30), bookingTime(9, 30), bookingTime(10, 45), false, testNow); err != nil {
		t.Errorf("moving within its own time: %v", err)
	} else if !from.Equal(bookingTime(9, 0)) {
		t.Errorf("the move says it was from %v, want 9:00", from)
	}
	if _, err := db.MoveBooking(ctx, bdb, b.ID, bookingTime(9, 30), bookingTime(10, 30), bookingTime(9, 30), bookingTime(10, 45), false, testNow); !errors.Is(err, db.ErrNotMoved) {
		t.Errorf("the same move again: %v, want ErrNotMoved", err)
	}
	if _, err := db.MoveBooking(ctx, bdb, b.ID, bookingTime(13, 0), bookingTime(14, 0), bookingTime(13, 0), bookingTime(14, 15), false, testNow); !errors.Is(err, db.ErrSlotTaken) {
		t.Errorf("moving onto bob's hold: %v, want ErrSlotTaken", err)
	}
	got, _ := db.BookingByToken(ctx, bdb, b.ManageTokenHash)
	if !got.StartsAt.Equal(bookingTime(9, 30)) {
		t.Errorf("after a refused move the booking starts %v, want 9:30", got.StartsAt)
	}
	// It remembers where the last move took it from (for "Moved from … to …").
	if got.PreviousStartsAt == nil || !got.PreviousStartsAt.Equal(bookingTime(9, 0)) {
		t.Errorf("after moving from 9:00 the previous start is %v", got.PreviousStartsAt)
	}
	if err := db.CancelBooking(ctx, bdb, b.ID, "client", testNow); err != nil {
		t.Fatal(err)
	}
	// The client's reason, kept beside the one the diary gives.
	if err := db.SetClientCancelReason(ctx, bdb, b.ID, "Away that week."); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.BookingByID(ctx, bdb, b.ID); got.CancelReason != "client" || got.ClientCancelReason != "Away that week." {
		t.Errorf("cancelled: reason %q, the client's %q", got.CancelReason, got.ClientCancelReason)
	}
	if err := db.CancelBooking(ctx, bdb, b.ID, "client", testNow); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("cancelling twice: %v", err)
	}
	if _, err := db.MoveBooking(ctx, bdb, b.ID, bookingTime(15, 0), bookingTime(16, 0), bookingTime(15, 0), bookingTime(16, 15), false, testNow); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("moving a cancelled booking: %v, want sql.ErrNoRows", err)
	}
}

// Two moves of one booking at once (the client has it open in two tabs):
// the second waits for the first, and knows the time it really moved the
// booking from, the first one's new time, for its e-mail.
func TestMoveBookingTwiceAtOnce(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	h := hold(serviceID(t), bookingTime(9, 0), "ann", soon())
	db.HoldSlot(ctx, bdb, h, testNow)
	b := confirmed("ann")
	if err := db.Confirm(ctx, bdb, owner("ann"), h.ID, b, testNow); err != nil {
		t.Fatal(err)
	}
	first, err := bdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	if from, err := db.MoveBooking(ctx, first, b.ID, bookingTime(11, 0), bookingTime(12, 0), bookingTime(11, 0), bookingTime(12, 15), false, testNow); err != nil || !from.Equal(bookingTime(9, 0)) {
		t.Fatalf("the first move: from %v, %v; want from 9:00", from, err)
	}
	type result struct {
		from time.Time
		err  error
	}
	second := make(chan result)
	go func() {
		from, err := db.MoveBooking(ctx, bdb, b.ID, bookingTime(14, 0), bookingTime(15, 0), bookingTime(14, 0), bookingTime(15, 15), false, testNow)
		second <- result{from, err}
	}()
	// The second waits on the row (polled: PostgreSQL announces no waiter).
	for n, deadline := 0, time.Now().Add(10*time.Second); n == 0; time.Sleep(5 * time.Millisecond) {
		if n, err = dbtest.LockWaiters(ctx, first); err != nil || time.Now().After(deadline) {
			t.Fatalf("the second move never waited on the row (%v)", err)
		}
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-second
	if r.err != nil || !r.from.Equal(bookingTime(11, 0)) {
		t.Errorf("the second move: from %v, %v; want from 11:00, the first move's time", r.from, r.err)
	}
	got, _ := db.BookingByToken(ctx, bdb, b.ManageTokenHash)
	if !got.StartsAt.Equal(bookingTime(14, 0)) || got.Sequence != 2 {
		t.Errorf("after both moves: starts %v, sequence %d; want 14:00, 2", got.StartsAt, got.Sequence)
	}
}

// The default rules and Monday-to-Saturday hours are seeded.
func TestScheduleSeeded(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	serviceID(t)
	s, err := db.GetSchedule(ctx, bdb)
	if err != nil || s.StepMin != 30 || s.BufferMin != 15 || s.TravelMin != 30 || s.HoldMin != 10 || len(s.MobileDistricts) != 5 {
		t.Errorf("schedule %+v (%v)", s, err)
	}
	hs, err := db.ListWorkingHours(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	days := map[int]bool{}
	for _, h := range hs {
		days[h.Weekday] = true
		if h.FromMin >= h.UntilMin {
			t.Errorf("range %+v ends before it starts", h)
		}
	}
	if len(days) != 6 || days[0] {
		t.Errorf("open on weekdays %v, want Monday to Saturday", days)
	}
}

// One address holds only a few times at once, whatever its sessions.
func TestHoldsPerAddress(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	ip := owner("203.0.113.9")
	for i := range db.MaxHoldsPerAddress {
		h := hold(svc, bookingTime(9+2*i, 0), "session-"+strconv.Itoa(i), soon())
		h.HoldIP = ip
		if err := db.HoldSlot(ctx, bdb, h, testNow); err != nil {
			t.Fatalf("hold %d: %v", i+1, err)
		}
	}
	extra := hold(svc, bookingTime(17, 0), "yet-another-session", soon())
	extra.HoldIP = ip
	if err := db.HoldSlot(ctx, bdb, extra, testNow); !errors.Is(err, db.ErrTooManyHolds) {
		t.Errorf("one hold too many: %v, want ErrTooManyHolds", err)
	}
	// A session that already holds may change its time.
	again := hold(svc, bookingTime(17, 0), "session-0", soon())
	again.HoldIP = ip
	if err := db.HoldSlot(ctx, bdb, again, testNow); err != nil {
		t.Errorf("moving one's own hold: %v", err)
	}
	other := hold(svc, bookingTime(19, 30), "elsewhere", soon())
	other.HoldIP = owner("198.51.100.1")
	if err := db.HoldSlot(ctx, bdb, other, testNow); err != nil {
		t.Errorf("another address: %v", err)
	}
}
