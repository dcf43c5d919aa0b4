package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/links"
)

// The moderation digest: at most one per digestPeriod, the first digestDelay after a comment is held, so that
// a burst of comments makes one message.
const (
	digestPeriod = time.Hour
	digestDelay  = 5 * time.Minute
)

// CommentAdded enqueues, in tx, the mail that comment c causes, just saved by db.AddComment in tx. If email is
// not "", the commenter asked for replies there: the subscription is recorded (pending) and, when c is visible,
// its confirmation is sent; a held comment's confirmation waits for its approval. A visible reply notifies the
// thread's confirmed subscribers; a held comment schedules the therapist's moderation digest.
func (q *Queue) CommentAdded(ctx context.Context, tx bun.Tx, c db.Comment, email string) error {
	if email != "" {
		if _, err := db.SubscribeToReplies(ctx, tx, c, email); err != nil {
			return err
		}
	}
	switch c.Status {
	case db.CommentVisible:
		return q.commentVisible(ctx, tx, c)
	case db.CommentHeld:
		return q.scheduleDigest(ctx, tx)
	}
	return nil
}

// CommentApproved enqueues, in tx, the mail that approving comment c causes (call it in the transaction of
// db.ApproveComment): the confirmation of its author's subscription, and, for a reply, the notifications.
func (q *Queue) CommentApproved(ctx context.Context, tx bun.Tx, c db.Comment) error {
	return q.commentVisible(ctx, tx, c)
}

// commentVisible sends the pending confirmations made with c and enqueues the notification of a reply, once
// (a reply approved twice notifies once).
func (q *Queue) commentVisible(ctx context.Context, tx bun.Tx, c db.Comment) error {
	subs, err := db.PendingSubscriptions(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if err := q.confirmSubscription(ctx, tx, s); err != nil {
			return err
		}
	}
	if c.ParentID == nil {
		return nil
	}
	return q.insert(ctx, tx, ReplyArgs{CommentID: c.ID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
}

// confirmSubscription mails s's confirmation link (a new one; an earlier link stops working), unless one went
// out within the hour.
func (q *Queue) confirmSubscription(ctx context.Context, tx bun.Tx, s db.CommentSubscription) error {
	token := links.NewToken()
	send, err := db.SetConfirmToken(ctx, tx, s.ID, db.HashToken(token))
	if err != nil || !send {
		return err
	}
	c, err := db.CommentWithPost(ctx, tx, s.CommentID)
	if err != nil {
		return err
	}
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	u, err := q.unsubscribeLink(ctx, tx, p, s.ID)
	if err != nil {
		return err
	}
	sub := emails.Subscription{Email: s.Email, Name: c.Name, PostTitle: c.PostTitle, URL: commentURL(p, c)}
	return q.Mail(ctx, tx, "comment_subscription_confirm", About{Comment: s.CommentID},
		emails.ConfirmReplies(p, sub, links.ConfirmRepliesURL(p.SiteURL, token), u))
}

// unsubscribeLink makes a new unsubscribe link of subscription id.
func (q *Queue) unsubscribeLink(ctx context.Context, tx bun.Tx, p emails.Practice, id int64) (emails.Unsubscribe, error) {
	token := links.NewToken()
	if err := db.AddUnsubscribeLink(ctx, tx, id, db.HashToken(token)); err != nil {
		return emails.Unsubscribe{}, err
	}
	return emails.Unsubscribe{Page: links.UnsubscribeURL(p.SiteURL, token), OneClick: links.OneClickURL(p.SiteURL, token)}, nil
}

func commentURL(p emails.Practice, c db.CommentInPost) string {
	return links.CommentURL(p.SiteURL, c.PostSlug, c.ID)
}

// ReplyArgs is the job that tells a thread's subscribers of reply CommentID.
type ReplyArgs struct {
	CommentID int64 `json:"comment_id" river:"unique"`
}

// Kind names the job in River's table.
func (ReplyArgs) Kind() string { return "comment_reply" }

type replyWorker struct {
	river.WorkerDefaults[ReplyArgs]
	q *Queue
}

// Work mails the reply to each confirmed subscriber of its thread (not the replier), if the reply is still
// visible on a published article; each message has an unsubscribe link of its own.
func (w *replyWorker) Work(ctx context.Context, job *river.Job[ReplyArgs]) error {
	q := w.q
	return q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.CommentWithPost(ctx, tx, job.Args.CommentID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.Status != db.CommentVisible || r.PostStatus != db.StatusPublished {
			q.log.Debug("reply no longer visible: nobody told", slog.Int64("comment_id", r.ID))
			return nil
		}
		subs, err := db.ReplySubscribers(ctx, tx, r.Comment)
		if err != nil || len(subs) == 0 {
			return err
		}
		p, err := q.cfg.Practice(ctx, tx)
		if err != nil {
			return err
		}
		reply := emails.Reply{Name: r.Name, ByPractice: r.ByPractice, Text: r.BodyMD, PostTitle: r.PostTitle,
			URL: commentURL(p, r), At: r.CreatedAt}
		for _, s := range subs {
			u, err := q.unsubscribeLink(ctx, tx, p, s.ID)
			if err != nil {
				return err
			}
			if err := q.Mail(ctx, tx, "comment_reply", About{Comment: r.ID}, emails.ReplyNotification(p, s.Email, reply, u)); err != nil {
				return err
			}
		}
		return completeIn(ctx, tx, job)
	})
}

// ModerationDigestArgs is the job that tells the therapist which comments await approval.
type ModerationDigestArgs struct{}

// Kind names the job in River's table.
func (ModerationDigestArgs) Kind() string { return "comment_moderation_digest" }

// scheduleDigest schedules the moderation digest digestDelay from now, unless one is already waiting in this
// period. If this period's digest has already gone (or is going) out, the comment waits for the next period's.
func (q *Queue) scheduleDigest(ctx context.Context, tx bun.Tx) error {
	at := time.Now().Add(digestDelay) // a delay on River's own (wall) clock, not a date: see Queue.when
	opts := &river.InsertOpts{ScheduledAt: at, UniqueOpts: river.UniqueOpts{ByPeriod: digestPeriod}}
	res, err := q.client.InsertTx(ctx, tx.Tx, ModerationDigestArgs{}, opts)
	if err != nil {
		return err
	}
	if !res.UniqueSkippedAsDuplicate {
		return nil
	}
	switch res.Job.State {
	case rivertype.JobStateCompleted, rivertype.JobStateRunning:
		opts.ScheduledAt = at.Truncate(digestPeriod).Add(digestPeriod)
		_, err = q.client.InsertTx(ctx, tx.Tx, ModerationDigestArgs{}, opts)
	}
	return err
}

type digestWorker struct {
	river.WorkerDefaults[ModerationDigestArgs]
	q *Queue
}

// Work mails the therapist the comments awaiting approval now (nothing if every one was dealt with meanwhile,
// or the practice has no address).
func (w *digestWorker) Work(ctx context.Context, job *river.Job[ModerationDigestArgs]) error {
	q := w.q
	p, err := q.cfg.Practice(ctx, q.db)
	if err != nil || p.Email == "" {
		return err
	}
	return q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		held, total, err := db.HeldForModeration(ctx, tx, 20)
		if err != nil || total == 0 {
			return err
		}
		items := make([]emails.HeldComment, len(held))
		for i, c := range held {
			items[i] = emails.HeldComment{Name: c.Name, PostTitle: c.PostTitle, Text: c.BodyMD,
				URL: p.SiteURL + "/blog/" + c.PostSlug, At: c.CreatedAt}
		}
		if err := q.Mail(ctx, tx, "practice_comments_held", About{},
			emails.CommentsAwaitingModeration(p, items, total, links.ModerationURL(p.SiteURL))); err != nil {
			return err
		}
		return completeIn(ctx, tx, job)
	})
}
