package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// Every committed change to what free times are computed from moves the
// diary's version on, once per transaction, whoever makes it; a change to
// nothing the times depend on (a client's name) and a rolled-back one do
// not; the visitor's live hold is read with it.
func TestDiaryVersion(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	version := func() int64 {
		t.Helper()
		v, holds, err := db.DiaryState(ctx, bdb, nil, testNow)
		if err != nil || holds {
			t.Fatalf("DiaryState: %d, %v, %v", v, holds, err)
		}
		return v
	}
	moves := func(what string, want int64, change func() error) {
		t.Helper()
		was := version()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := version() - was; got != want {
			t.Errorf("%s moved the version by %d, want %d", what, got, want)
		}
	}
	exec := func(query string, args ...any) func() error {
		return func() error { _, err := bdb.NewRaw(query, args...).Exec(ctx); return err }
	}
	h := hold(svc, bookingTime(9, 0), "ann", soon())
	moves("a hold", 1, func() error { return db.HoldSlot(ctx, bdb, h, testNow) })
	if _, holds, err := db.DiaryState(ctx, bdb, owner("ann"), testNow); err != nil || !holds {
		t.Errorf("Ann's live hold: %v, %v; want true", holds, err)
	}
	if _, holds, _ := db.DiaryState(ctx, bdb, owner("ann"), soon()); holds {
		t.Error("Ann's hold counted as live at its end")
	}
	if at, ok, err := db.EarliestHoldExpiry(ctx, bdb, testNow); err != nil || !ok || !at.Equal(soon()) {
		t.Errorf("EarliestHoldExpiry = %v, %v, %v; want %v", at, ok, err, soon())
	}
	if _, ok, err := db.EarliestHoldExpiry(ctx, bdb, soon()); err != nil || ok {
		t.Errorf("EarliestHoldExpiry after every hold: %v, %v", ok, err)
	}
	moves("a client's name", 0, exec("UPDATE bookings SET client_name = 'Ann' WHERE id = ?", h.ID))
	moves("a hold moved", 1, exec("UPDATE bookings SET hold_expires_at = hold_expires_at + interval '1 minute' WHERE id = ?", h.ID))
	moves("a hold released", 1, func() error { return db.ReleaseHold(ctx, bdb, owner("ann")) })
	moves("two holds in one transaction", 1, func() error {
		return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for i, who := range []string{"bob", "cat"} {
				if err := db.HoldSlot(ctx, tx, hold(svc, bookingTime(11+2*i, 0), who, soon()), testNow); err != nil {
					return err
				}
			}
			return nil
		})
	})
	moves("a rolled-back hold", 0, func() error {
		_ = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := db.HoldSlot(ctx, tx, hold(svc, bookingTime(16, 0), "dan", soon()), testNow); err != nil {
				return err
			}
			return context.Canceled
		})
		return nil
	})
	from := bookingTime(0, 0)
	moves("time off", 1, exec("INSERT INTO time_off (starts_at, ends_at) VALUES (?, ?)", from, from.Add(time.Hour)))
	moves("time off removed", 1, exec("DELETE FROM time_off WHERE starts_at = ?", from))
	moves("hours", 1, exec("UPDATE working_hours SET ends = ends WHERE weekday = 1"))
	moves("the rules", 1, exec("UPDATE schedule_settings SET buffer_min = buffer_min"))
	moves("a service", 1, exec("UPDATE services SET duration_min = duration_min WHERE id = ?", svc))
	moves("emptying the bookings", 1, exec("TRUNCATE bookings CASCADE"))
	moves("a read", 0, func() error { _, err := db.ListWorkingHours(ctx, bdb); return err })
}
