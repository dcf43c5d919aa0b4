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
	"dynamicmotion/mail"
)

// SendMailArgs is the job that sends one outbox message.
type SendMailArgs struct {
	OutboxID int64 `json:"outbox_id"`
}

// Kind names the job in River's table.
func (SendMailArgs) Kind() string { return "send_mail" }

// sendTimeout bounds one conversation with the mail server.
const sendTimeout = 30 * time.Second

// outboxKeep is how long sent messages stay in the outbox.
const outboxKeep = 90 * 24 * time.Hour

// About is what a message is about (0: nothing of that kind): the booking
// it belongs to, the comment it tells of, the waitlist offer it makes. When
// its turn to be sent comes, it is sent only if that is still so (see
// db.MailOutdated).
type About struct {
	Booking, Comment, Offer int64
}

// Mail puts m in the outbox as kind (e.g. "booking_confirmed"), about what
// it is about, and enqueues the job that sends it, both in tx: if tx rolls
// back, neither exists.
func (q *Queue) Mail(ctx context.Context, tx bun.Tx, kind string, about About, m mail.Message) error {
	om := &db.OutboxMessage{Kind: kind, Message: m}
	if about.Booking != 0 {
		om.BookingID = &about.Booking
	}
	if about.Comment != 0 {
		om.CommentID = &about.Comment
	}
	if about.Offer != 0 {
		om.OfferID = &about.Offer
	}
	if err := db.AddToOutbox(ctx, tx, om); err != nil {
		return err
	}
	return q.insert(ctx, tx, SendMailArgs{OutboxID: om.ID}, nil)
}

// Retry puts a failed message back in the queue (the therapist's "try again").
func (q *Queue) Retry(ctx context.Context, outboxID int64) error {
	return q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.RequeueOutbox(ctx, tx, outboxID); err != nil {
			return err
		}
		return q.insert(ctx, tx, SendMailArgs{OutboxID: outboxID}, nil)
	})
}

type mailWorker struct {
	river.WorkerDefaults[SendMailArgs]
	q *Queue
}

// Work sends the message once: a message already settled (sent by an earlier attempt, erased for privacy) is
// left alone. A temporary failure (the server is down, a 4xx reply) is retried with backoff; a permanent one
// (the address was refused), or the last attempt, marks the message failed for the therapist to see.
func (w *mailWorker) Work(ctx context.Context, job *river.Job[SendMailArgs]) error {
	q := w.q
	m, err := db.OutboxByID(ctx, q.db, job.Args.OutboxID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Status != db.OutboxQueued {
		return nil
	}
	log := q.log.With(slog.Int64("outbox_id", m.ID), slog.String("kind", m.Kind), slog.Int("attempt", job.Attempt))
	if why, err := db.MailOutdated(ctx, q.db, m, q.now()); err != nil {
		return err
	} else if why != "" { // changed while the mail server was away
		log.Info("mail dropped before sending: " + why)
		return db.DeleteOutbox(ctx, q.db, m.ID)
	}
	if waiting, err := db.MailWaiting(ctx, q.db, m); err != nil {
		return err
	} else if waiting { // in order: the earlier message about this booking first
		return river.JobSnooze(q.cfg.OrderWait)
	}
	if q.cfg.Sender == nil {
		log.Info("mail kept in the outbox (SMTP_URL is not set)")
		return settle(ctx, q.db, m.ID, db.OutboxKept, "")
	}
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	err = q.cfg.Sender.Send(sendCtx, m.Message)
	cancel()
	switch {
	case err == nil:
		log.Info("mail sent")
		return settle(ctx, q.db, m.ID, db.OutboxSent, "")
	case !mail.Temporary(err):
		log.Warn("mail refused, not retrying", slog.Any("err", err))
		if serr := settle(ctx, q.db, m.ID, db.OutboxFailed, err.Error()); serr != nil {
			return serr
		}
		return river.JobCancel(err)
	case job.Attempt >= job.MaxAttempts:
		log.Error("mail not sent after every retry", slog.Any("err", err))
		if serr := settle(ctx, q.db, m.ID, db.OutboxFailed, err.Error()); serr != nil {
			return serr
		}
		return err
	default:
		log.Warn("mail not sent yet, will retry", slog.Any("err", err))
		if serr := settle(ctx, q.db, m.ID, db.OutboxQueued, err.Error()); serr != nil {
			return serr
		}
		return err
	}
}

// settle records an outcome; a message another worker settled meanwhile is not an error.
func settle(ctx context.Context, idb bun.IDB, id int64, status, lastError string) error {
	// The outcome is written even if the job's context has just ended: the
	// mail server's answer must not be lost.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := db.SettleOutbox(ctx, idb, id, status, lastError); err != nil && !errors.Is(err, db.ErrNotQueued) {
		return err
	}
	return nil
}

// PruneArgs is the daily job that deletes old sent messages from the outbox,
// and the record of forms sent more than a day ago.
type PruneArgs struct{}

// Kind names the job in River's table.
func (PruneArgs) Kind() string { return "prune_outbox" }

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	q *Queue
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	n, err := db.PruneOutbox(ctx, w.q.db, outboxKeep)
	if n > 0 {
		w.q.log.Info("old mail pruned from the outbox", slog.Int64("messages", n))
	}
	if err != nil {
		return err
	}
	_, err = db.PruneSubmissions(ctx, w.q.db) // forms sent more than a day ago (see db.ClaimSubmission)
	return err
}
