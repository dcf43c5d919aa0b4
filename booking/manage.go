package booking

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// ClientCancelReason is what the diary says of a booking the client
// cancelled online.
const ClientCancelReason = "cancelled by the client"

// CancelByClient cancels confirmed booking id at the client's request and
// queues the client's and the practice's e-mail in the same transaction;
// the time is free at once. reason is the client's own (optional): it is
// kept for the therapist and the practice's e-mail carries it. Whether the
// policy allows it is the caller's check (CanCancel), made on the booking
// it showed. ErrNotConfirmed when it is cancelled already (a second click).
func (d *Desk) CancelByClient(ctx context.Context, id int64, reason string) error {
	return d.cancel(ctx, id, ClientCancelReason, "", reason)
}

// CancelByPractice cancels confirmed booking id for the therapist; the
// client is told reason.
func (d *Desk) CancelByPractice(ctx context.Context, id int64, reason string) error {
	return d.cancel(ctx, id, reason, reason, "")
}

func (d *Desk) cancel(ctx context.Context, id int64, recorded, told, clientReason string) error {
	return notConfirmed(d.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.CancelBooking(ctx, tx, id, recorded, d.now()); err != nil {
			return err
		}
		if clientReason != "" {
			if err := db.SetClientCancelReason(ctx, tx, id, clientReason); err != nil {
				return err
			}
		}
		cancelled, err := db.BookingByID(ctx, tx, id)
		if err != nil {
			return err
		}
		return d.mail.BookingCancelled(ctx, tx, cancelled, told)
	}))
}

// Move moves confirmed booking b to start (its length, buffer and travel
// as the rules r make them) and queues the e-mail about it in the same
// transaction: the client has the new time, or (ErrTaken) still the old
// one. A move once the cut-off has passed is marked late: the booking can
// then no longer be cancelled online. Whether start fits the schedule is
// the caller's check, made against the same rules. ErrNotMoved when the
// booking already has that time (the same move sent twice).
func (d *Desk) Move(ctx context.Context, b db.Booking, start time.Time, r Rules, manageURL string) error {
	moved := NewBooking(db.Service{ID: b.ServiceID, DurationMin: b.DurationMin}, b.Place, start, r)
	return notConfirmed(d.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := d.now()
		late := !CanCancel(b, now)
		from, err := db.MoveBooking(ctx, tx, b.ID, moved.StartsAt, moved.EndsAt, moved.BlockedFrom, moved.BlockedTo, late, now)
		if err != nil {
			return err
		}
		after, err := db.BookingByID(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		return d.mail.BookingMoved(ctx, tx, after, from, manageURL)
	}))
}

// MarkAttendance records how a confirmed appointment went once its time has
// come: completed, no-show, or back to confirmed to undo a slip.
func (d *Desk) MarkAttendance(ctx context.Context, id int64, status string) error {
	return db.MarkAttendance(ctx, d.db, id, status, d.now())
}
