package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// DiaryState reads the diary's version (migration 0026: every committed
// change to bookings, holds, time off, working hours, the scheduling rules
// or the services moves it on, in the same transaction, by triggers) and
// whether owner holds a time that is live at now (false when owner is
// nil), in one round trip.
//
// What is read after a version was read is at least as new as that
// version; so free times computed after reading version v may be reused
// for as long as the version is still v.
func DiaryState(ctx context.Context, idb bun.IDB, owner []byte, now time.Time) (version int64, holds bool, err error) {
	if owner == nil {
		err = idb.NewRaw("SELECT version FROM diary_version WHERE id = 1").Scan(ctx, &version)
		return version, false, err
	}
	err = idb.NewRaw(`SELECT version, EXISTS (
			SELECT 1 FROM bookings WHERE status = 'held' AND hold_owner = ? AND hold_expires_at > ?)
		FROM diary_version WHERE id = 1`, owner, now).Scan(ctx, &version, &holds)
	return version, holds, err
}

// EarliestHoldExpiry returns the earliest end of a hold live at now, and
// false when there is none: until then, the holds counted as busy at now
// still are (a hold that lapses changes nothing in the database).
func EarliestHoldExpiry(ctx context.Context, idb bun.IDB, now time.Time) (time.Time, bool, error) {
	var at *time.Time
	err := idb.NewRaw("SELECT min(hold_expires_at) FROM bookings WHERE status = 'held' AND hold_expires_at > ?", now).
		Scan(ctx, &at)
	if err != nil || at == nil {
		return time.Time{}, false, err
	}
	return *at, true, nil
}
