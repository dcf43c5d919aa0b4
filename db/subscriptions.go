package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// confirmResendAfter is how long a pending subscription waits before another
// confirmation may go to the same address: ticking the box on every comment
// must not make the site a way to flood someone's inbox.
const confirmResendAfter = time.Hour

// CommentSubscription is a commenter's wish to hear of replies in a thread
// by e-mail. It is pending until ConfirmedAt is set (double opt-in), and
// ends with UnsubscribedAt (which also forgets the address).
type CommentSubscription struct {
	bun.BaseModel `bun:"table:comment_subscriptions,alias:s"`

	ID             int64      `bun:"id,pk,autoincrement"`
	PostID         int64      `bun:"post_id"`
	ThreadID       int64      `bun:"thread_id"`
	CommentID      int64      `bun:"comment_id"`
	Email          string     `bun:"email"`
	ConfirmHash    []byte     `bun:"confirm_hash"`
	ConfirmSentAt  *time.Time `bun:"confirm_sent_at"`
	ConfirmedAt    *time.Time `bun:"confirmed_at"`
	UnsubscribedAt *time.Time `bun:"unsubscribed_at"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
}

// Active reports whether the subscription may be mailed about replies.
func (s CommentSubscription) Active() bool { return s.ConfirmedAt != nil && s.UnsubscribedAt == nil }

// SubscribeToReplies records that the author of c (just saved) wants replies
// in c's thread mailed to email. An address already subscribed to the thread
// (pending or confirmed) keeps its one subscription; a pending one is now
// tied to c, a confirmed one stays with its comment (so that anyone typing
// the address on a comment that is then held or hidden cannot silence it).
func SubscribeToReplies(ctx context.Context, idb bun.IDB, c Comment, email string) (CommentSubscription, error) {
	thread := c.ID
	if c.ParentID != nil {
		thread = *c.ParentID
	}
	var s CommentSubscription
	err := idb.NewRaw(`
		INSERT INTO comment_subscriptions AS s (post_id, thread_id, comment_id, email) VALUES (?, ?, ?, ?)
		ON CONFLICT (thread_id, lower(email)) WHERE unsubscribed_at IS NULL
		DO UPDATE SET comment_id = CASE WHEN s.confirmed_at IS NULL THEN EXCLUDED.comment_id ELSE s.comment_id END
		RETURNING s.*`, c.PostID, thread, c.ID, email).Scan(ctx, &s)
	return s, err
}

// PendingSubscriptions returns the unconfirmed subscriptions made with
// comment id, to send their confirmation once the comment is visible.
func PendingSubscriptions(ctx context.Context, idb bun.IDB, commentID int64) ([]CommentSubscription, error) {
	var ss []CommentSubscription
	err := idb.NewSelect().Model(&ss).
		Where("s.comment_id = ? AND s.confirmed_at IS NULL AND s.unsubscribed_at IS NULL", commentID).
		OrderExpr("s.id").Scan(ctx)
	return ss, err
}

// SetConfirmToken makes hash the pending subscription's confirmation link
// (the one before stops working) and reports whether a confirmation should go
// out now: false when the subscription is confirmed or unsubscribed, or when
// a confirmation went out less than an hour ago.
func SetConfirmToken(ctx context.Context, idb bun.IDB, id int64, hash []byte) (bool, error) {
	res, err := idb.NewUpdate().Model((*CommentSubscription)(nil)).
		Set("confirm_hash = ?, confirm_sent_at = now()", hash).
		Where("s.id = ? AND s.confirmed_at IS NULL AND s.unsubscribed_at IS NULL", id).
		Where("s.confirm_sent_at IS NULL OR s.confirm_sent_at < now() - ?::interval",
			confirmResendAfter.String()).
		Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SubscriptionByConfirmToken returns the subscription whose latest
// confirmation link has hash (sql.ErrNoRows: no such link, or unsubscribed).
func SubscriptionByConfirmToken(ctx context.Context, idb bun.IDB, hash []byte) (CommentSubscription, error) {
	var s CommentSubscription
	err := idb.NewSelect().Model(&s).Where("s.confirm_hash = ? AND s.unsubscribed_at IS NULL", hash).Scan(ctx)
	return s, err
}

// ConfirmSubscription confirms the subscription whose confirmation link has
// hash; confirming twice is not an error (sql.ErrNoRows: no such link, or
// unsubscribed).
func ConfirmSubscription(ctx context.Context, idb bun.IDB, hash []byte) (CommentSubscription, error) {
	var s CommentSubscription
	err := idb.NewUpdate().Model(&s).
		Set("confirmed_at = coalesce(s.confirmed_at, now())").
		Where("s.confirm_hash = ? AND s.unsubscribed_at IS NULL", hash).
		Returning("*").Scan(ctx)
	return s, err
}

// AddUnsubscribeLink stores the hash of a new unsubscribe link of
// subscription id (each message carries one of its own).
func AddUnsubscribeLink(ctx context.Context, idb bun.IDB, id int64, hash []byte) error {
	_, err := idb.NewRaw("INSERT INTO comment_subscription_links (token_hash, subscription_id) VALUES (?, ?)",
		hash, id).Exec(ctx)
	return err
}

// SubscriptionByUnsubscribeToken returns the subscription an unsubscribe
// link with hash belongs to, unsubscribed or not (sql.ErrNoRows: no such
// link).
func SubscriptionByUnsubscribeToken(ctx context.Context, idb bun.IDB, hash []byte) (CommentSubscription, error) {
	var s CommentSubscription
	err := idb.NewSelect().Model(&s).
		Where("s.id = (SELECT subscription_id FROM comment_subscription_links WHERE token_hash = ?)", hash).
		Scan(ctx)
	return s, err
}

// Unsubscribe ends the subscription an unsubscribe link with hash belongs
// to and forgets its address; doing it twice is not an error
// (sql.ErrNoRows: no such link).
func Unsubscribe(ctx context.Context, idb bun.IDB, hash []byte) (CommentSubscription, error) {
	var s CommentSubscription
	err := idb.NewUpdate().Model(&s).
		Set("unsubscribed_at = coalesce(s.unsubscribed_at, now()), email = '', confirm_hash = NULL").
		Where("s.id = (SELECT subscription_id FROM comment_subscription_links WHERE token_hash = ?)", hash).
		Returning("*").Scan(ctx)
	return s, err
}

// ReplySubscribers returns the active subscriptions to hear of reply (a
// visible reply): those of its thread, except the replier's own (by session,
// or by an address the replier subscribed from that session), and except
// those whose comment the therapist hid.
func ReplySubscribers(ctx context.Context, idb bun.IDB, reply Comment) ([]CommentSubscription, error) {
	if reply.ParentID == nil {
		return nil, nil
	}
	var ss []CommentSubscription
	err := idb.NewSelect().Model(&ss).
		Join("JOIN comments AS sc ON sc.id = s.comment_id").
		Where("s.thread_id = ? AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL", *reply.ParentID).
		Where("sc.status IN (?, ?)", CommentVisible, CommentDeleted).
		Where("s.comment_id <> ? AND sc.author_hash <> ?", reply.ID, reply.AuthorHash).
		Where(`lower(s.email) NOT IN (SELECT lower(o.email) FROM comment_subscriptions o
			JOIN comments oc ON oc.id = o.comment_id
			WHERE o.thread_id = s.thread_id AND oc.author_hash = ? AND o.unsubscribed_at IS NULL)`, reply.AuthorHash).
		OrderExpr("s.id").Scan(ctx)
	return ss, err
}

// CommentInPost is a comment with what a message about it names: its article.
type CommentInPost struct {
	Comment
	PostSlug   string `bun:"post_slug"`
	PostTitle  string `bun:"post_title"`
	PostStatus string `bun:"post_status"`
}

// commentInPostSQL selects comments with their articles.
const commentInPostSQL = `SELECT c.*, p.slug AS post_slug, p.title AS post_title, p.status AS post_status
	FROM comments AS c JOIN posts AS p ON p.id = c.post_id `

// CommentWithPost returns comment id with its article, whatever its status.
func CommentWithPost(ctx context.Context, idb bun.IDB, id int64) (CommentInPost, error) {
	var c CommentInPost
	err := idb.NewRaw(commentInPostSQL+"WHERE c.id = ?", id).Scan(ctx, &c)
	return c, err
}

// HeldForModeration returns the oldest comments awaiting approval, at most
// limit, with their articles, and how many there are in all.
func HeldForModeration(ctx context.Context, idb bun.IDB, limit int) ([]CommentInPost, int, error) {
	var cs []CommentInPost
	if err := idb.NewRaw(commentInPostSQL+"WHERE c.status = ? ORDER BY c.id LIMIT ?", CommentHeld, limit).
		Scan(ctx, &cs); err != nil {
		return nil, 0, err
	}
	n, err := idb.NewSelect().Model((*Comment)(nil)).Where("c.status = ?", CommentHeld).Count(ctx)
	return cs, n, err
}

// ErrNotHeld is returned by ApproveComment for a comment that is not
// awaiting approval (approved meanwhile, or deleted).
var ErrNotHeld = errors.New("the comment is not awaiting approval")

// ApproveComment makes a held comment visible, with its event and
// notification for live readers in the same transaction, as AddComment does
// for a comment visible at once. Call jobs.Queue.CommentApproved in the same
// transaction for the mail it causes.
func ApproveComment(ctx context.Context, idb bun.IDB, c *Comment) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewUpdate().Model(c).
			Set("status = ?", CommentVisible).
			Where("c.id = ? AND c.status = ?", c.ID, CommentHeld).
			Returning("*").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotHeld
		}
		if err != nil {
			return err
		}
		return addEvent(ctx, tx, c, EventNew)
	})
}
