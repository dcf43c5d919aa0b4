package db

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Diary returns the appointments (confirmed, completed, no-show) that start
// in [from, to), in time order: the therapist's diary.
func Diary(ctx context.Context, idb bun.IDB, from, to time.Time) ([]Booking, error) {
	var bs []Booking
	err := idb.NewSelect().Model(&bs).
		Where("b.status IN (?, ?, ?)", BookingConfirmed, BookingCompleted, BookingNoShow).
		Where("b.starts_at >= ? AND b.starts_at < ?", from, to).
		OrderExpr("b.starts_at").Scan(ctx)
	return bs, err
}

// DiaryAll returns every booking that starts in [from, to) whatever its
// status except live holds, in time order: the diary's week, cancelled
// ones included, and the CSV export.
func DiaryAll(ctx context.Context, idb bun.IDB, from, to time.Time) ([]Booking, error) {
	var bs []Booking
	err := idb.NewSelect().Model(&bs).
		Where("b.status <> ?", BookingHeld).
		Where("b.starts_at >= ? AND b.starts_at < ?", from, to).
		OrderExpr("b.starts_at, b.id").Scan(ctx)
	return bs, err
}

// BookByHand inserts a confirmed booking that the therapist took (by phone,
// in person). It takes the time the way online bookings do: under the
// booking lock, expired holds released first, and the exclusion constraint
// refusing any overlap (ErrSlotTaken).
func BookByHand(ctx context.Context, idb bun.IDB, b *Booking, now time.Time) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := releaseExpiredHolds(ctx, tx, now); err != nil {
			return err
		}
		b.Status, b.ConfirmedAt, b.HoldOwner, b.HoldExpiresAt, b.CreatedAt = BookingConfirmed, &now, nil, nil, now
		_, err := tx.NewInsert().Model(b).ExcludeColumn("id").Returning("id, created_at").Exec(ctx)
		return slotTaken(err)
	})
}

// ErrWrongStatus is returned when a booking is not in a state that allows
// the change asked for.
var ErrWrongStatus = errors.New("the booking's status does not allow that")

// MarkAttendance records how a confirmed appointment went, once its time has
// come by now: completed or no-show (or back to confirmed, to undo a slip).
func MarkAttendance(ctx context.Context, idb bun.IDB, id int64, status string, now time.Time) error {
	if status != BookingCompleted && status != BookingNoShow && status != BookingConfirmed {
		return ErrWrongStatus
	}
	res, err := idb.NewRaw(`UPDATE bookings SET status = ?
		WHERE id = ? AND status IN ('confirmed', 'completed', 'no_show') AND starts_at <= ?`, status, id, now).Exec(ctx)
	if err != nil {
		return slotTaken(err) // undoing a no-show whose time was booked again
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrWrongStatus
	}
	return nil
}

// offeredSQL is Booking.Offered: the hold is a waiting list offer's.
const offeredSQL = "EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.hold_id = b.id AND o.outcome = 'offered') AS offered"

// DiaryHolds returns the holds live at now (a client choosing a time
// online, a waitlist offer: Offered) that start in [from, to): the diary
// shows them as taken for now, with when they lapse.
func DiaryHolds(ctx context.Context, idb bun.IDB, from, to, now time.Time) ([]Booking, error) {
	var bs []Booking
	err := idb.NewSelect().Model(&bs).ColumnExpr("?TableColumns").
		ColumnExpr(offeredSQL).
		Where("b.status = ? AND b.hold_expires_at > ?", BookingHeld, now).
		Where("b.starts_at >= ? AND b.starts_at < ?", from, to).
		OrderExpr("b.starts_at, b.id").Scan(ctx)
	return bs, err
}

// Overlapping returns the confirmed booking or live hold whose blocked
// range overlaps [from, to), the earliest first; sql.ErrNoRows when the
// time is clear. The form names what is in the way instead of a bare "not
// free".
func Overlapping(ctx context.Context, idb bun.IDB, from, to, now time.Time) (Booking, error) {
	var b Booking
	err := idb.NewSelect().Model(&b).ColumnExpr("?TableColumns").ColumnExpr(offeredSQL).
		Where("b.blocked_from < ? AND b.blocked_to > ?", to, from).
		Where("(b.status = ? OR (b.status = ? AND b.hold_expires_at > ?))", BookingConfirmed, BookingHeld, now).
		OrderExpr("b.blocked_from").Limit(1).Scan(ctx)
	return b, err
}
