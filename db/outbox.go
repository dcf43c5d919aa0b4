package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/mail"
)

// Outbox statuses.
const (
	OutboxQueued = "queued" // waiting for its job (or for the mail server to come back)
	OutboxSent   = "sent"   // the mail server accepted it
	OutboxKept   = "kept"   // no mail server is configured (development): kept here to read
	OutboxFailed = "failed" // given up: the address was refused or every retry failed
)

// OutboxMessage is one e-mail in the outbox.
type OutboxMessage struct {
	bun.BaseModel `bun:"table:outbox,alias:o"`

	ID        int64        `bun:"id,pk,autoincrement"`
	Kind      string       `bun:"kind"`
	Recipient string       `bun:"recipient"`
	Subject   string       `bun:"subject"`
	Message   mail.Message `bun:"message,type:jsonb"`
	BookingID *int64       `bun:"booking_id"`
	CommentID *int64       `bun:"comment_id"` // a reply notice or its confirmation: about this comment
	OfferID   *int64       `bun:"offer_id"`   // a waitlist offer: this one
	Status    string       `bun:"status"`
	Attempts  int          `bun:"attempts"`
	LastError string       `bun:"last_error"`
	CreatedAt time.Time    `bun:"created_at,nullzero,default:now()"`
	SentAt    *time.Time   `bun:"sent_at"`
}

// AddToOutbox stores m as queued; call it in the transaction of the change
// that causes the message. It sets m.ID.
func AddToOutbox(ctx context.Context, idb bun.IDB, m *OutboxMessage) error {
	m.Status = OutboxQueued
	m.Recipient, m.Subject = m.Message.To.Email, m.Message.Subject
	_, err := idb.NewInsert().Model(m).ExcludeColumn("id", "created_at").Returning("id, created_at").Exec(ctx)
	return err
}

// OutboxByID returns one message, or sql.ErrNoRows.
func OutboxByID(ctx context.Context, idb bun.IDB, id int64) (OutboxMessage, error) {
	var m OutboxMessage
	err := idb.NewSelect().Model(&m).Where("o.id = ?", id).Scan(ctx)
	return m, err
}

// ListOutbox returns the newest messages first, at most limit, before the
// message with id before (0: from the newest).
func ListOutbox(ctx context.Context, idb bun.IDB, before int64, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	q := idb.NewSelect().Model(&ms).ExcludeColumn("message").OrderExpr("o.id DESC").Limit(limit)
	if before > 0 {
		q.Where("o.id < ?", before)
	}
	err := q.Scan(ctx)
	return ms, err
}

// ListFailedMail returns the messages that could not be sent, newest first.
func ListFailedMail(ctx context.Context, idb bun.IDB, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	err := idb.NewSelect().Model(&ms).ExcludeColumn("message").
		Where("o.status = ?", OutboxFailed).OrderExpr("o.id DESC").Limit(limit).Scan(ctx)
	return ms, err
}

// ListDelayedMail returns the newest messages still queued after a failed
// attempt (the mail server is away, or refused them for now): they will be
// tried again, but the therapist should know that they have not gone yet.
func ListDelayedMail(ctx context.Context, idb bun.IDB, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	err := idb.NewSelect().Model(&ms).ExcludeColumn("message").
		Where("o.status = ? AND o.last_error <> ''", OutboxQueued).OrderExpr("o.id DESC").Limit(limit).Scan(ctx)
	return ms, err
}

// ErrNotQueued is returned by SettleOutbox for a message that is no longer
// queued (another worker settled it first).
var ErrNotQueued = errors.New("the message is no longer queued")

// SettleOutbox records the outcome of one attempt to send message id (a
// sent message keeps only its recipient and subject):
// status is OutboxSent, OutboxKept or OutboxFailed, or OutboxQueued with
// lastError for an attempt that will be retried.
func SettleOutbox(ctx context.Context, idb bun.IDB, id int64, status, lastError string) error {
	// Once sent, only the envelope is kept: the text held the recipient's
	// private links (manage, offer, unsubscribe), whose tokens are stored
	// nowhere else in the clear.
	res, err := idb.NewRaw(`UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,
		sent_at = CASE WHEN ? IN ('sent', 'kept') THEN now() END,
		message = CASE WHEN ? = 'sent' THEN jsonb_build_object('To', message->'To', 'Subject', message->'Subject')
			ELSE message END
		WHERE id = ? AND status = 'queued'`, status, lastError, status, status, id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotQueued
	}
	return nil
}

// RequeueOutbox puts a failed message back in the queue (the therapist's
// "try again"), keeping its attempts and last error.
func RequeueOutbox(ctx context.Context, idb bun.IDB, id int64) error {
	res, err := idb.NewRaw(`UPDATE outbox SET status = 'queued' WHERE id = ? AND status = 'failed'`, id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// PruneOutbox deletes messages that were sent or kept more than age ago:
// the outbox is a record of delivery, not an archive of clients' mail.
// Age is counted on the database's clock, which stamped sent_at.
func PruneOutbox(ctx context.Context, idb bun.IDB, age time.Duration) (int64, error) {
	res, err := idb.NewRaw(`DELETE FROM outbox WHERE status IN ('sent', 'kept') AND sent_at < now() - make_interval(secs => ?)`,
		age.Seconds()).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// OutboxForBooking returns the messages about booking id, oldest first.
func OutboxForBooking(ctx context.Context, idb bun.IDB, id int64) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	err := idb.NewSelect().Model(&ms).ExcludeColumn("message").Where("o.booking_id = ?", id).OrderExpr("o.id").Scan(ctx)
	return ms, err
}

// MailOutdated reports whether a queued message is no longer true when its
// turn to be sent comes (the mail server was away meanwhile), with why:
// a reminder of a booking cancelled or moved since, a client's
// confirmation or reminder once the appointment has begun, an offer of a
// time no longer held, a notice about a comment no longer visible. Such a message
// is dropped rather than sent.
func MailOutdated(ctx context.Context, idb bun.IDB, m OutboxMessage, now time.Time) (why string, err error) {
	var outdated bool
	switch {
	case m.Kind == "booking_reminder" && m.BookingID != nil:
		why = "the booking was cancelled or moved, or its time has come"
		err = idb.NewRaw(`SELECT NOT EXISTS (SELECT 1 FROM bookings WHERE id = ? AND status = 'confirmed' AND starts_at > ?)
			OR EXISTS (SELECT 1 FROM outbox WHERE booking_id = ? AND id > ? AND kind IN ('booking_cancelled', 'booking_moved'))`,
			*m.BookingID, now, *m.BookingID, m.ID).Scan(ctx, &outdated)
	case (m.Kind == "booking_confirmed" || m.Kind == "booking_moved") && m.BookingID != nil:
		// The client's calendar invitation, late: of no use once the
		// appointment has begun.
		why = "the appointment's time has come"
		err = idb.NewRaw(`SELECT EXISTS (SELECT 1 FROM bookings WHERE id = ? AND starts_at <= ?)`,
			*m.BookingID, now).Scan(ctx, &outdated)
	case m.OfferID != nil:
		why = "the time is no longer held"
		err = idb.NewRaw(`SELECT NOT EXISTS (SELECT 1 FROM waitlist_offers WHERE id = ? AND outcome = 'offered' AND expires_at > ?)`,
			*m.OfferID, now).Scan(ctx, &outdated)
	case m.CommentID != nil:
		why = "the comment is no longer visible"
		err = idb.NewRaw(`SELECT NOT EXISTS (SELECT 1 FROM comments AS c JOIN posts AS p ON p.id = c.post_id
			WHERE c.id = ? AND c.status = 'visible' AND p.status <> 'draft' AND p.published_at <= ?)`,
			*m.CommentID, now).Scan(ctx, &outdated)
	}
	if err != nil || !outdated {
		return "", err
	}
	return why, nil
}

// MailWaiting reports whether an earlier message about the same booking to
// the same person is still waiting to be sent (the mail server was away):
// m waits for it, so that a cancellation never arrives before the
// confirmation it cancels. A message that has waited for more than two
// days no longer holds the later ones back. (The age is the database's:
// created_at is its own stamp.)
func MailWaiting(ctx context.Context, idb bun.IDB, m OutboxMessage) (bool, error) {
	if m.BookingID == nil {
		return false, nil
	}
	var waiting bool
	err := idb.NewRaw(`SELECT EXISTS (SELECT 1 FROM outbox WHERE booking_id = ? AND recipient = ? AND id < ?
		AND status = 'queued' AND created_at > now() - interval '2 days')`,
		*m.BookingID, m.Recipient, m.ID).Scan(ctx, &waiting)
	return waiting, err
}

// DeleteOutbox deletes one message.
func DeleteOutbox(ctx context.Context, idb bun.IDB, id int64) error {
	_, err := idb.NewRaw("DELETE FROM outbox WHERE id = ?", id).Exec(ctx)
	return err
}
