package booking

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/db"
)

// JoinWaitlist puts e on the waitlist and queues their confirmation, with
// the link (leaveToken) that takes them off it; a time freed at freed while
// they were filling in the form is offered to them too, in the same
// transaction. Someone already waiting with that address for that day,
// place and service is not added twice: added is false and nothing is sent.
func (d *Desk) JoinWaitlist(ctx context.Context, e *db.WaitlistEntry, leaveToken string, freed time.Time) (added bool, err error) {
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if added, err = db.AddToWaitlist(ctx, tx, e); err != nil || !added {
			return err
		}
		if err := d.mail.WaitlistJoined(ctx, tx, *e, leaveToken); err != nil {
			return err
		}
		return d.mail.OfferFreedTimes(ctx, tx, freed)
	})
	return added, err
}

// LeaveWaitlist takes e off the list. A time held for them (an open offer)
// is released and offered to the next person, in the same transaction.
// Leaving twice is the same as once.
func (d *Desk) LeaveWaitlist(ctx context.Context, e db.WaitlistEntry) error {
	return d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		freed, err := db.LeaveWaitlist(ctx, tx, e.ID, d.now())
		if err != nil || !freed {
			return err
		}
		return d.mail.OfferFreedTimes(ctx, tx, midday(e.Day))
	})
}

// TakeOffer gives the visitor owner the hold of open offer id, so that the
// booking form confirms it as theirs. ErrOfferGone when the offer ended,
// was booked, or its hold is gone.
func (d *Desk) TakeOffer(ctx context.Context, id int64, owner []byte) error {
	return db.TakeOffer(ctx, d.db, id, owner, d.now())
}

// midday is noon in London on day (a date held as midnight UTC, as the
// waitlist keeps days): an instant inside that day whatever the clocks do.
func midday(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, clock.Zone)
}
