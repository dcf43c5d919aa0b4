package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/links"
)

// reminderBefore is when the client's reminder goes out.
const reminderBefore = 24 * time.Hour

// BookingConfirmed enqueues, in tx, the client's confirmation (with the calendar invitation and manageURL), the
// practice's notice of the new booking, and the client's reminder a day before. The client's messages about a
// booking made past the day's ceiling on new addresses are held (clientMail).
func (q *Queue) BookingConfirmed(ctx context.Context, tx bun.Tx, b db.Booking, manageURL string) error {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	if err := q.clientMail(ctx, tx, "booking_confirmed", About{Booking: b.ID}, emails.BookingConfirmed(p, b, manageURL)); err != nil {
		return err
	}
	if p.Email != "" {
		state, err := db.NewAddressMail(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		if err := q.Mail(ctx, tx, "practice_new_booking", About{Booking: b.ID}, emails.TherapistNewBooking(p, b, state == db.NewAddressHeld)); err != nil {
			return err
		}
	}
	return q.scheduleReminder(ctx, tx, b)
}

// BookingMoved enqueues, in tx, the client's and the practice's news of a move (b as it is after the move, its
// Sequence raised), a reminder for the new time, and the offer of the old time to the waitlist; the reminder for
// the old time will find the booking changed and send nothing.
func (q *Queue) BookingMoved(ctx context.Context, tx bun.Tx, b db.Booking, oldStart time.Time, manageURL string) error {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	if b.ClientEmail != "" {
		if err := q.clientMail(ctx, tx, "booking_moved", About{Booking: b.ID}, emails.BookingMoved(p, b, oldStart, manageURL)); err != nil {
			return err
		}
	}
	if p.Email != "" {
		if err := q.Mail(ctx, tx, "practice_booking_moved", About{Booking: b.ID}, emails.TherapistMoved(p, b, oldStart)); err != nil {
			return err
		}
	}
	if err := q.scheduleReminder(ctx, tx, b); err != nil {
		return err
	}
	return q.OfferFreedTimes(ctx, tx, oldStart) // the old time is free for the waitlist
}

// BookingCancelled enqueues, in tx, the client's cancellation (which removes the event from their calendar)
// and the practice's notice, and the offer of the freed time to the waitlist. The reminder, if one was
// scheduled, will find the booking cancelled.
func (q *Queue) BookingCancelled(ctx context.Context, tx bun.Tx, b db.Booking, reason string) error {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	if b.ClientEmail != "" { // a booking taken by phone may have no address: the therapist phones
		if err := q.clientMail(ctx, tx, "booking_cancelled", About{Booking: b.ID}, emails.BookingCancelled(p, b, reason)); err != nil {
			return err
		}
	}
	if p.Email != "" {
		if err := q.Mail(ctx, tx, "practice_booking_cancelled", About{Booking: b.ID}, emails.TherapistCancelled(p, b, reason)); err != nil {
			return err
		}
	}
	return q.OfferFreedTimes(ctx, tx, b.BlockedFrom, b.BlockedTo.Add(-time.Nanosecond))
}

// ReminderArgs is the client's reminder of booking BookingID as it stood when the reminder was scheduled
// (Sequence counts its moves).
type ReminderArgs struct {
	BookingID int64 `json:"booking_id"`
	Sequence  int   `json:"sequence"`
}

// Kind names the job in River's table.
func (ReminderArgs) Kind() string { return "booking_reminder" }

// scheduleReminder schedules b's reminder reminderBefore its start; a booking that starts sooner than that
// has just had its confirmation, which serves as the reminder.
func (q *Queue) scheduleReminder(ctx context.Context, tx bun.Tx, b db.Booking) error {
	at := b.StartsAt.Add(-reminderBefore)
	if !at.After(q.now()) || b.ClientEmail == "" {
		return nil
	}
	return q.insert(ctx, tx, ReminderArgs{BookingID: b.ID, Sequence: b.Sequence},
		&river.InsertOpts{ScheduledAt: q.when(at), UniqueOpts: river.UniqueOpts{ByArgs: true}})
}

type reminderWorker struct {
	river.WorkerDefaults[ReminderArgs]
	q *Queue
}

// Work writes the reminder, unless the booking was cancelled, moved (a later reminder has its new time) or
// erased meanwhile. The reminder carries a manage link of its own, made now, so that no raw link is ever kept.
func (w *reminderWorker) Work(ctx context.Context, job *river.Job[ReminderArgs]) error {
	q := w.q
	return q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		b, err := db.BookingByID(ctx, tx, job.Args.BookingID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if b.Status != db.BookingConfirmed || b.Sequence != job.Args.Sequence || !b.StartsAt.After(w.q.now()) {
			q.log.Debug("reminder not needed", slog.Int64("booking_id", b.ID), slog.String("status", b.Status))
			return nil
		}
		token := links.NewToken()
		if err := db.AddBookingLink(ctx, tx, b.ID, db.HashToken(token)); err != nil {
			return err
		}
		p, err := q.cfg.Practice(ctx, tx)
		if err != nil {
			return err
		}
		if err := q.clientMail(ctx, tx, "booking_reminder", About{Booking: b.ID}, emails.BookingReminder(p, b, links.ManageURL(p.SiteURL, token))); err != nil {
			return err
		}
		return completeIn(ctx, tx, job)
	})
}
