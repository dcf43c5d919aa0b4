package booking

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/db"
)

// Hold holds b's time for b.HoldOwner (and b.HoldIP) for hold from now:
// expired holds are released and the owner's other hold is given up in the
// same transaction (one hold per visitor). ErrTaken if someone else holds
// or booked the time; ErrTooManyHolds if the address holds too many.
func (d *Desk) Hold(ctx context.Context, b *db.Booking, hold time.Duration) error {
	now := d.now()
	expires := now.Add(hold)
	b.HoldExpiresAt = &expires
	var err error
	for range 3 { // HoldSlot is one transaction of its own: again after a deadlock
		if err = db.HoldSlot(ctx, d.db, b, now); !db.IsDeadlock(err) {
			return err
		}
	}
	return ErrTaken
}

// HeldBy returns owner's hold that is live now, or sql.ErrNoRows.
func (d *Desk) HeldBy(ctx context.Context, owner []byte) (db.Booking, error) {
	if owner == nil { // a visitor with no hold key holds nothing: no need to ask
		return db.Booking{}, sql.ErrNoRows
	}
	return db.HeldBy(ctx, d.db, owner, d.now())
}

// Release gives up owner's hold, if any.
func (d *Desk) Release(ctx context.Context, owner []byte) error {
	return db.ReleaseHold(ctx, d.db, owner)
}

// Request is a booking to confirm: what the client sent, checked.
type Request struct {
	// Owner is the visitor whose hold becomes the booking.
	Owner []byte
	// HoldID is the visitor's live hold of the time, or 0 when they hold
	// none (a form posted directly, or their hold lapsed): then Hold, the
	// time with its blocked range, is held for a moment in the booking's
	// own transaction. Held apart, twin requests of one session would each
	// take the hold from the other (one hold per visitor) and both be told
	// the time was taken.
	HoldID int64
	Hold   *db.Booking
	// Booking is the client's part: details, health answers, consent and
	// the manage token's hash. Confirm fills in the rest.
	Booking *db.Booking
	// Twin is the token hash a twin request (the same form sent again
	// from the same session) would give its booking.
	Twin []byte
	// ManageURL is the link the confirmation carries.
	ManageURL string
}

// Book confirms a booking and queues its e-mail (the confirmation with its
// invitation, the practice's notice, the reminder) in one transaction: both
// happen, or neither. An address with MaxUpcomingPerEmail upcoming bookings
// books no more online (ErrTooManyUpcoming). A booking to an address the
// practice has not seen counts against the day's ceiling; past it the
// client's mail is held for the therapist (countNewAddress). A time offered from the waitlist, or another time
// that day booked by whoever took an offer, comes off the list and any
// time it held is offered on. ErrTaken (or ErrHoldGone) when someone else
// has the time; ErrTwinBooked when a twin request booked it first.
func (d *Desk) Book(ctx context.Context, r Request) error {
	return d.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := d.now()
		// Under the booking lock a twin request that booked first has
		// committed: its booking has the token this one would make.
		if err := db.LockBookings(ctx, tx); err != nil {
			return err
		}
		if r.Twin != nil {
			switch tw, err := db.BookingByToken(ctx, tx, r.Twin); {
			case err == nil && tw.Status != db.BookingCancelled && tw.StartsAt.Equal(r.Booking.StartsAt):
				return ErrTwinBooked
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		// The same lock makes the limit on upcoming bookings per address
		// and the day's count of new addresses hold across instances: no
		// two bookings are counted at once.
		if n, err := db.UpcomingBookings(ctx, tx, r.Booking.ClientEmail, now); err != nil {
			return err
		} else if n >= MaxUpcomingPerEmail {
			return ErrTooManyUpcoming
		}
		known, err := db.KnownAddress(ctx, tx, r.Booking.ClientEmail, BusinessDay(now))
		if err != nil {
			return err
		}
		holdID := r.HoldID
		if holdID == 0 {
			expires := now.Add(time.Minute)
			r.Hold.HoldOwner, r.Hold.HoldExpiresAt = r.Owner, &expires
			if err := db.HoldSlot(ctx, tx, r.Hold, now); err != nil {
				return err
			}
			holdID = r.Hold.ID
		}
		if err := db.Confirm(ctx, tx, r.Owner, holdID, r.Booking, now); err != nil {
			return err
		}
		freed, err := db.OfferTaken(ctx, tx, r.Owner, holdID, *r.Booking)
		if err != nil {
			return err
		}
		if len(freed) > 0 {
			if err := d.mail.OfferFreedTimes(ctx, tx, freed...); err != nil {
				return err
			}
		}
		if !known {
			if err := countNewAddress(ctx, tx, r.Booking.ID, now); err != nil {
				return err
			}
		}
		return d.mail.BookingConfirmed(ctx, tx, *r.Booking, r.ManageURL)
	})
}

// MaxUpcomingPerEmail is how many upcoming bookings (not cancelled,
// starting later) one e-mail address may have when it books online: a
// client books a course of a few sessions; more is the therapist's to
// arrange, by phone.
const MaxUpcomingPerEmail = 3

// ErrTooManyUpcoming: the booking's e-mail address already has
// MaxUpcomingPerEmail upcoming bookings. Nothing was booked; the visitor's
// hold stays.
var ErrTooManyUpcoming = errors.New("too many upcoming bookings for one address")

// BusinessDay is the start (midnight in the practice's zone) of the
// practice's day at now: the day the ceiling on new addresses counts.
func BusinessDay(now time.Time) time.Time {
	y, m, d := now.In(clock.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.Zone)
}

// countNewAddress counts booking id, made online at now to an address the
// practice has not seen (db.KnownAddress), against the day's ceiling, and
// records whether its client's mail is sent or, past the ceiling, held; the
// Mailer reads that in the same transaction, so the count, the decision and
// the outbox row commit together. Past the ceiling the booking is still
// made: only the mail waits for the therapist, whose dashboard says so.
func countNewAddress(ctx context.Context, tx bun.Tx, id int64, now time.Time) error {
	day := BusinessDay(now)
	ceiling, err := db.NewAddressesPerDay(ctx, tx)
	if err != nil {
		return err
	}
	n, err := db.NewAddressBookingsOn(ctx, tx, day)
	if err != nil {
		return err
	}
	mail := db.NewAddressSent
	if n >= ceiling {
		mail = db.NewAddressHeld
	}
	return db.AddNewAddressBooking(ctx, tx, id, day, mail)
}

// BookByHand books, in tx, a time the therapist took by phone or in
// person: under the booking lock like online bookings, an overlap refused
// (ErrTaken); the client is sent the usual confirmation when the booking
// has an e-mail address and confirm is set. tx is the caller's (the form's
// once-only submission record commits with it).
func (d *Desk) BookByHand(ctx context.Context, tx bun.Tx, b *db.Booking, confirm bool, manageURL string) error {
	if err := db.BookByHand(ctx, tx, b, d.now()); err != nil {
		return err
	}
	if !confirm || b.ClientEmail == "" {
		return nil
	}
	return d.mail.BookingConfirmed(ctx, tx, *b, manageURL)
}

// Retry runs fn again (up to three times in all) while PostgreSQL cancels
// it to break a deadlock, for operations whose transaction the caller
// opens (BookByHand inside a form's once-only record); after the third,
// ErrTaken.
func Retry(fn func() error) error {
	for range 3 {
		if err := fn(); !db.IsDeadlock(err) {
			return err
		}
	}
	return ErrTaken
}
