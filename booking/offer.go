package booking

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/links"
	"dynamicmotion/schedule"
)

// The waitlist's side of freed time: whom a freed time is offered to, and
// for how long it is held for them. Package jobs runs these when it is
// told a day may have gained time (Mailer.OfferFreedTimes), on a sweep, and
// when an offer's hold runs out.

// DefaultOfferHold is how long a freed time is held for the person it is
// offered to, unless the schedule settings say otherwise (offer_hold_min).
const DefaultOfferHold = 2 * time.Hour

// waitlistKeep is how long after its day a waitlist entry is kept.
const waitlistKeep = 30 * 24 * time.Hour

// OfferDay offers free times of day (a London date held as midnight UTC,
// as the waitlist keeps days) to the people waiting for it, first come
// first served, in one transaction under the booking lock: each in turn
// gets the first free start in their window that overlaps nothing they
// were offered before, held for them (so that it is offered to no one
// else and the picker no longer shows it), and an e-mail with the link
// that books it. A time is only offered if it can still be booked when
// the hold ends: the notice counts from then.
func (d *Desk) OfferDay(ctx context.Context, day time.Time) error {
	return d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return d.offerDay(ctx, tx, day)
	})
}

// OfferWaitingDays ends the waits for days long past and offers the free
// times of every day someone is waiting for, a transaction a day: the
// sweep that catches time freed without a cancellation (a lapsed hold).
func (d *Desk) OfferWaitingDays(ctx context.Context) error {
	today := dateOf(d.now())
	if err := db.EndPastWaits(ctx, d.db, today, waitlistKeep); err != nil {
		return err
	}
	days, err := db.WaitingDays(ctx, d.db, today)
	if err != nil {
		return err
	}
	for _, day := range days {
		if err := d.OfferDay(ctx, day); err != nil {
			return err
		}
	}
	return nil
}

// ExpireOffer ends offer id if it is still open (nobody booked it),
// releasing its hold, and offers the day's free times again, in one
// transaction: to the next person, since the one who let it go is not
// offered the same time twice. ended reports whether it was still open.
func (d *Desk) ExpireOffer(ctx context.Context, id int64) (ended bool, err error) {
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, d.now()); err != nil {
			return err
		}
		var e db.WaitlistEntry
		if e, ended, err = db.ExpireOffer(ctx, tx, id); err != nil || !ended {
			return err
		}
		return d.offerDay(ctx, tx, e.Day)
	})
	return ended, err
}

func (d *Desk) offerDay(ctx context.Context, tx bun.Tx, day time.Time) error {
	now := d.now()
	if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, now); err != nil {
		return err
	}
	entries, err := db.WaitingOn(ctx, tx, day)
	if err != nil || len(entries) == 0 {
		return err
	}
	r, err := db.LoadRules(ctx, tx)
	if err != nil {
		return err
	}
	r.Settings.Location = clock.Zone
	hold := time.Duration(r.Schedule.OfferHoldMin) * time.Minute
	if hold <= 0 {
		hold = DefaultOfferHold
	}
	for _, e := range entries {
		start, ok, err := firstFree(ctx, tx, r, e, now, hold)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := d.offer(ctx, tx, r, e, start, now, now.Add(hold)); err != nil {
			return err
		}
	}
	return nil
}

// firstFree is the first free start in e's window, bookable when a hold
// made at now ends, that overlaps no time e was offered before.
func firstFree(ctx context.Context, tx bun.Tx, r Rules, e db.WaitlistEntry, now time.Time, hold time.Duration) (time.Time, bool, error) {
	y, m, dd := e.Day.Date()
	from := time.Date(y, m, dd, e.EarliestMin/60, e.EarliestMin%60, 0, 0, clock.Zone)
	to := time.Date(y, m, dd, e.LatestMin/60, e.LatestMin%60, 0, 0, clock.Zone).Add(time.Minute) // the latest start counts
	if lo := now.Add(hold + r.Settings.Notice); from.Before(lo) {
		from = lo
	}
	if !from.Before(to) {
		return time.Time{}, false, nil
	}
	req, err := db.SlotRequest(ctx, tx, r, time.Duration(e.DurationMin)*time.Minute, e.Place, from, to, nil, now)
	if err != nil {
		return time.Time{}, false, err
	}
	before, err := db.OfferedStarts(ctx, tx, e.ID)
	if err != nil {
		return time.Time{}, false, err
	}
	// Nothing that overlaps a time they let go already: the same gap again a
	// quarter of an hour later is the same offer, and the next person waits.
	dur := time.Duration(e.DurationMin) * time.Minute
	for _, s := range schedule.Slots(req) {
		if !slices.ContainsFunc(before, func(b time.Time) bool { return s.Before(b.Add(dur)) && b.Before(s.Add(dur)) }) {
			return s, true, nil
		}
	}
	return time.Time{}, false, nil
}

// offer holds start for e until expires, records the offer, and queues its
// e-mail and the end of its hold, all in tx.
func (d *Desk) offer(ctx context.Context, tx bun.Tx, r Rules, e db.WaitlistEntry, start, now, expires time.Time) error {
	token := links.NewToken()
	svc := db.Service{ID: e.ServiceID, Name: e.ServiceName, DurationMin: e.DurationMin, PricePence: e.PricePence}
	hold := NewBooking(svc, e.Place, start, r)
	hold.HoldOwner, hold.HoldExpiresAt, hold.Postcode = db.HashToken(token), &expires, e.Postcode
	o := &db.WaitlistOffer{EntryID: e.ID, TokenHash: db.HashToken(token), ExpiresAt: expires}
	if err := db.CreateOffer(ctx, tx, hold, o, now); err != nil {
		return err
	}
	return d.mail.WaitlistOffered(ctx, tx, e, *o, token)
}

// dateOf is t's London date as midnight UTC, as the waitlist's days are
// kept.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(clock.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
