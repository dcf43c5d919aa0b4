package jobs

import (
	"context"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/mail"
)

// clientMail puts a message to the client of booking about.Booking in the
// outbox the way that booking's mail goes (issue 15: the booking form must
// not be a way to mail strangers). A booking to a new address made past the
// day's ceiling (booking.Desk.Book decided, in its transaction) has its
// confirmation, reminder, move and cancellation held until the therapist
// sends them; once she deleted its held mail, none is written; otherwise
// the message is queued as usual.
func (q *Queue) clientMail(ctx context.Context, tx bun.Tx, kind string, about About, m mail.Message) error {
	state, err := db.NewAddressMail(ctx, tx, about.Booking)
	if err != nil {
		return err
	}
	switch state {
	case db.NewAddressHeld:
		return db.AddHeldToOutbox(ctx, tx, &db.OutboxMessage{Kind: kind, Message: m, BookingID: &about.Booking})
	case db.NewAddressDropped:
		return nil
	}
	return q.Mail(ctx, tx, kind, about, m)
}

// ReleaseHeld sends the held messages up to id upto (those the therapist
// was shown) about booking (0: about any): each is queued with its job, in
// one transaction. It returns how many.
func (q *Queue) ReleaseHeld(ctx context.Context, upto, booking int64) (int, error) {
	var n int
	err := q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ids, err := db.ReleaseHeldMail(ctx, tx, upto, booking)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := q.insert(ctx, tx, SendMailArgs{OutboxID: id}, nil); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// DropHeld deletes the held messages up to id upto about booking (0: about
// any); it returns how many.
func (q *Queue) DropHeld(ctx context.Context, upto, booking int64) (int, error) {
	var n int
	err := q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		n, err = db.DropHeldMail(ctx, tx, upto, booking)
		return err
	})
	return n, err
}
