package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// BookingAlerts are the changes to the diary the dashboard points her to.
type BookingAlerts struct {
	New       int `bun:"new"`       // confirmed bookings made since `since` for a time still to come
	Cancelled int `bun:"cancelled"` // bookings cancelled since `cancelledSince` whose time is still to come
	Waiting   int `bun:"waiting"`   // people on the waitlist for today or a later day
	// FirstWaitDay is the first of those days (a London date, as text).
	FirstWaitDay string `bun:"first_wait_day"`
}

// DashboardBookingAlerts counts the diary's news at now: bookings made since
// since, cancellations since cancelledSince (both of times still to come),
// and the waitlist from today (a London date) on.
func DashboardBookingAlerts(ctx context.Context, idb bun.IDB, now, since, cancelledSince, today time.Time) (BookingAlerts, error) {
	var a BookingAlerts
	err := idb.NewRaw(`SELECT
		(SELECT count(*) FROM bookings WHERE status = 'confirmed' AND created_at >= ? AND created_at <= ? AND starts_at >= ?) AS new,
		(SELECT count(*) FROM bookings WHERE status = 'cancelled' AND cancelled_at >= ? AND cancelled_at <= ? AND starts_at >= ?) AS cancelled,
		(SELECT count(*) FROM waitlist WHERE status IN ('waiting', 'offered') AND day >= ?::date) AS waiting,
		(SELECT coalesce(min(day)::text, '') FROM waitlist WHERE status IN ('waiting', 'offered') AND day >= ?::date) AS first_wait_day`,
		since, now, now, cancelledSince, now, now, today.Format(time.DateOnly), today.Format(time.DateOnly)).Scan(ctx, &a)
	return a, err
}
