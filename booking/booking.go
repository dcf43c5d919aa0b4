// Package booking owns the practice's booking rules and the transactions
// that apply them: holding a time, booking it, moving and cancelling it,
// joining and leaving the waitlist, taking a time offered from it, and the
// therapist's own bookings and hours.
//
// Each operation opens its own transaction, takes the booking lock first
// (db.LockDiaryAndClearExpiredHolds or db.LockBookings: one order for
// every writer, so that they queue rather than deadlock), queues the e-mail
// the change causes in that same transaction through Mailer, and answers
// with a typed outcome (ErrTaken, ErrTwinBooked, ErrNotMoved…) that the
// handlers turn into pages. It knows no HTTP; "now" is the Clock it was
// built with.
//
// The slot arithmetic itself (hours, buffers, travel, notice, horizon) is
// the pure package schedule; this package decides what is allowed and
// makes it so.
package booking

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/cache"
	"dynamicmotion/clock"
	"dynamicmotion/db"
)

// Mailer queues, inside the transaction of the change that causes them,
// the messages and follow-up work a change brings: package jobs implements
// it, and main wires the two, so that neither package imports the other.
type Mailer interface {
	BookingConfirmed(ctx context.Context, tx bun.Tx, b db.Booking, manageURL string) error
	BookingMoved(ctx context.Context, tx bun.Tx, b db.Booking, oldStart time.Time, manageURL string) error
	BookingCancelled(ctx context.Context, tx bun.Tx, b db.Booking, reason string) error
	WaitlistJoined(ctx context.Context, tx bun.Tx, e db.WaitlistEntry, leaveToken string) error
	// OfferFreedTimes has the days of the instants at offered to the
	// people waiting for them (Desk.OfferDay, run later).
	OfferFreedTimes(ctx context.Context, tx bun.Tx, at ...time.Time) error
	// WaitlistOffered queues the e-mail that offers o's time to e, with
	// the link (token) that books it, and the end of its hold
	// (Desk.ExpireOffer at o.ExpiresAt).
	WaitlistOffered(ctx context.Context, tx bun.Tx, e db.WaitlistEntry, o db.WaitlistOffer, token string) error
}

// Outcomes the operations answer with, besides errors of the database.
var (
	// ErrTaken: someone else holds or booked the time (the exclusion
	// constraint said no), or a deadlock persisted.
	ErrTaken = db.ErrSlotTaken
	// ErrHoldGone: the visitor's hold ended and someone else took the time.
	ErrHoldGone = db.ErrHoldGone
	// ErrTooManyHolds: the address already holds db.MaxHoldsPerAddress times.
	ErrTooManyHolds = db.ErrTooManyHolds
	// ErrTwinBooked: the same form, sent twice at once (a double click),
	// booked the time in the other request; its booking is the one.
	ErrTwinBooked = errors.New("a twin request booked it")
	// ErrNotMoved: a move to the time the booking already has (the same
	// move sent twice).
	ErrNotMoved = db.ErrNotMoved
	// ErrNotConfirmed: the booking is not confirmed (cancelled already, a
	// second click), so there is nothing to cancel or move.
	ErrNotConfirmed = errors.New("the booking is not confirmed")
	// ErrWrongStatus: attendance asked of a booking whose time has not
	// come, or that was cancelled.
	ErrWrongStatus = db.ErrWrongStatus
	// ErrOfferGone: a waitlist offer that ended, was booked or lost its hold.
	ErrOfferGone = db.ErrOfferGone
)

// Desk applies the booking rules. Create it with New; it is safe for
// concurrent use.
type Desk struct {
	db   *bun.DB
	mail Mailer
	now  clock.Clock
	// rules is this instance's copy of the scheduling rules and hours:
	// read on most requests, changed a few times a year.
	rules *cache.Value[Rules]
	// rulesAt is the newest diary version Rules has seen: a newer one
	// drops the copy of the rules (they may have changed on another
	// instance).
	rulesAt atomic.Int64
	// free is this instance's copy of the free times (FreeTimes).
	free freeCache
}

// New returns a Desk over bdb that queues mail through mail and reads the
// time from now (nil: the wall clock).
func New(bdb *bun.DB, mail Mailer, now clock.Clock) *Desk {
	d := &Desk{db: bdb, mail: mail, now: clock.Or(now)}
	d.rules = cache.New(cache.TTL, d.loadRules)
	return d
}

// Rules returns the scheduling rules and weekly hours, as the slot engine
// takes them, in the practice's time zone. A change made on any instance is
// seen at once: the diary's version (db.DiaryState, one single-row read),
// which saving the rules or the hours moves on, tells when to read them
// again. When that read fails the copy is served, for up to cache.TTL and
// then for as long as reading the rules fails, as before.
func (d *Desk) Rules(ctx context.Context) (Rules, error) {
	if v, _, err := d.diaryState(ctx, nil, d.now()); err == nil {
		for {
			seen := d.rulesAt.Load()
			if v <= seen {
				break
			}
			if d.rulesAt.CompareAndSwap(seen, v) {
				d.rules.Drop()
				break
			}
		}
	}
	return d.rules.Get(ctx)
}

func (d *Desk) loadRules(ctx context.Context) (Rules, error) {
	r, err := db.LoadRules(ctx, d.db)
	r.Settings.Location = clock.Zone
	return r, err
}

// RulesChanged forgets this instance's copy of the rules, for a change
// made to them other than through the desk: the next request reads them.
func (d *Desk) RulesChanged() { d.rules.Drop() }

// SaveSettings saves the therapist's scheduling rules (step, buffer,
// travel, notice, horizon, holds, the cancellation policy, the area).
func (d *Desk) SaveSettings(ctx context.Context, s db.Schedule) error {
	defer d.rules.Drop()
	return db.SaveSchedule(ctx, d.db, s)
}

// Now is the desk's clock.
func (d *Desk) Now() time.Time { return d.now() }

// inTx runs fn in a transaction, again (up to three times in all) when
// PostgreSQL cancels it to break a deadlock: two transactions inserting
// overlapping ranges can still meet in the exclusion constraint's index.
// After the third, the time counts as taken.
func (d *Desk) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	for range 3 {
		if err := d.db.RunInTx(ctx, nil, fn); !db.IsDeadlock(err) {
			return err
		}
	}
	return ErrTaken
}

// notConfirmed maps "no confirmed booking with that id" to ErrNotConfirmed.
func notConfirmed(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotConfirmed
	}
	return err
}
