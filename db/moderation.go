package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// HeldComment is a comment waiting for the therapist, with its article.
type HeldComment struct {
	ID        int64     `bun:"id"`
	Name      string    `bun:"name"`
	BodyMD    string    `bun:"body_md"`
	CreatedAt time.Time `bun:"created_at"`
	PostSlug  string    `bun:"post_slug"`
	PostTitle string    `bun:"post_title"`
}

// CommentsAwaiting returns how many comments wait for moderation and the
// oldest limit of them.
func CommentsAwaiting(ctx context.Context, idb bun.IDB, limit int) (int, []HeldComment, error) {
	var n int
	if err := idb.NewRaw("SELECT count(*) FROM comments WHERE status = ?", CommentHeld).Scan(ctx, &n); err != nil {
		return 0, nil, err
	}
	var cs []HeldComment
	err := idb.NewRaw(`SELECT c.id, c.name, c.body_md, c.created_at, p.slug AS post_slug, p.title AS post_title
		FROM comments c JOIN posts p ON p.id = c.post_id
		WHERE c.status = ? ORDER BY c.created_at LIMIT ?`, CommentHeld, limit).Scan(ctx, &cs)
	return n, cs, err
}

// ModeratedComment is a comment as the therapist's moderation page lists
// it: with its article, what it replies to, and whether its writer is
// blocked.
type ModeratedComment struct {
	CommentInPost
	ParentName string `bun:"parent_name"` // "" for a top-level comment
	ParentBody string `bun:"parent_body"` // the Markdown of the comment replied to
	Blocked    bool   `bun:"blocked"`     // its address is blocked (see BlockCommenter)
}

// moderatedSQL selects comments with what the moderation page shows.
const moderatedSQL = `SELECT c.*, p.slug AS post_slug, p.title AS post_title, p.status AS post_status,
		coalesce(pc.name, '') AS parent_name, coalesce(pc.body_md, '') AS parent_body,
		EXISTS (SELECT 1 FROM comment_blocks b WHERE b.ip_hash = c.ip_hash) AS blocked
	FROM comments AS c JOIN posts AS p ON p.id = c.post_id
	LEFT JOIN comments AS pc ON pc.id = c.parent_id `

// ModerationQueue returns the comments awaiting approval, oldest first, at
// most limit.
func ModerationQueue(ctx context.Context, idb bun.IDB, limit int) ([]ModeratedComment, error) {
	var cs []ModeratedComment
	err := idb.NewRaw(moderatedSQL+"WHERE c.status = ? ORDER BY c.id LIMIT ?", CommentHeld, limit).Scan(ctx, &cs)
	return cs, err
}

// RecentComments returns the newest comments with status (CommentVisible or
// CommentHidden), at most limit. Hidden ones whose text the therapist
// deleted (RemoveComment) are left out: there is nothing left to read.
func RecentComments(ctx context.Context, idb bun.IDB, status string, limit int) ([]ModeratedComment, error) {
	var cs []ModeratedComment
	err := idb.NewRaw(moderatedSQL+"WHERE c.status = ? AND c.deleted_at IS NULL ORDER BY c.id DESC LIMIT ?",
		status, limit).Scan(ctx, &cs)
	return cs, err
}

// ErrNotVisible is returned by HideComment for a comment that is neither
// visible nor awaiting approval (hidden or deleted already).
var ErrNotVisible = errors.New("the comment is not shown or awaiting approval")

// HideComment hides a visible or held comment from everyone (its author
// included). A visible one gets an update event in the same transaction, so
// that every open page drops it, as EditComment and DeleteComment do; a
// top-level comment's visible replies are hidden with it, each with its
// event, so that no reply is left hanging under nothing. c is read by ID and
// set to the comment as it is now.
func HideComment(ctx context.Context, idb bun.IDB, c *Comment) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return hideTx(ctx, tx, c)
	})
}

func hideTx(ctx context.Context, tx bun.Tx, c *Comment) error {
	var was string
	err := tx.NewRaw("SELECT status FROM comments WHERE id = ? FOR UPDATE", c.ID).Scan(ctx, &was)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && was != CommentVisible && was != CommentHeld) {
		return ErrNotVisible
	}
	if err != nil {
		return err
	}
	if err := tx.NewUpdate().Model(c).Set("status = ?", CommentHidden).
		Where("c.id = ?", c.ID).Returning("*").Scan(ctx); err != nil {
		return err
	}
	if was != CommentVisible {
		return nil
	}
	if err := addEvent(ctx, tx, c, EventUpdate); err != nil {
		return err
	}
	var replies []Comment
	if err := tx.NewUpdate().Model(&replies).Set("status = ?", CommentHidden).
		Where("c.parent_id = ? AND c.status = ?", c.ID, CommentVisible).
		Returning("*").Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for i := range replies {
		if err := addEvent(ctx, tx, &replies[i], EventUpdate); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotHidden is returned by ShowComment for a comment that is not hidden
// (or whose text was deleted).
var ErrNotHidden = errors.New("the comment is not hidden")

// ShowComment makes a hidden comment visible again, with a new-comment
// event for live readers. c is read by ID and set to the comment as it is
// now. (Its replies hidden with it stay hidden: each can be shown again.)
func ShowComment(ctx context.Context, idb bun.IDB, c *Comment) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewUpdate().Model(c).Set("status = ?", CommentVisible).
			Where("c.id = ? AND c.status = ? AND c.deleted_at IS NULL", c.ID, CommentHidden).
			Where("c.parent_id IS NULL OR EXISTS (SELECT 1 FROM comments pc WHERE pc.id = c.parent_id AND pc.status = ?)", CommentVisible).
			Returning("*").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotHidden
		}
		if err != nil {
			return err
		}
		return addEvent(ctx, tx, c, EventNew)
	})
}

// RemoveComment deletes comment id for good. A comment that was never
// public (held, then refused) goes entirely. One that was public is hidden
// (with its events, as HideComment) and its text erased: the row stays, as
// an empty hidden comment, so that a live reader catching up by
// Last-Event-ID still hears that it went. A visible comment always takes
// that way, even once its events are pruned (PruneCommentEvents): pages
// open now show it. sql.ErrNoRows: no such comment.
func RemoveComment(ctx context.Context, idb bun.IDB, id int64) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`DELETE FROM comments c WHERE c.id = ? AND c.status <> 'visible'
			AND NOT EXISTS (SELECT 1 FROM comment_events e WHERE e.comment_id = c.id)
			AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id)`, id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		c := &Comment{ID: id}
		if err := hideTx(ctx, tx, c); err != nil && !errors.Is(err, ErrNotVisible) {
			return err
		}
		res, err = tx.NewRaw(`UPDATE comments SET status = ?, body_md = '', body_html = '',
			deleted_at = coalesce(deleted_at, now()) WHERE id = ?`, CommentHidden, id).Exec(ctx)
		return expectRow(res, err)
	})
}

// CommentBlock is a commenter the therapist blocked, by address hash.
type CommentBlock struct {
	bun.BaseModel `bun:"table:comment_blocks,alias:cb"`

	ID        int64     `bun:"id,pk,autoincrement"`
	IPHash    []byte    `bun:"ip_hash"`
	Name      string    `bun:"name"`       // the name on the comment she blocked them from
	CommentID *int64    `bun:"comment_id"` // that comment, while it exists
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
}

// BlockCommenter blocks the address that comment id came from (blocking it
// twice is not an error); sql.ErrNoRows: no such comment.
func BlockCommenter(ctx context.Context, idb bun.IDB, commentID int64) error {
	res, err := idb.NewRaw(`INSERT INTO comment_blocks (ip_hash, name, comment_id)
		SELECT ip_hash, name, id FROM comments WHERE id = ?
		ON CONFLICT (ip_hash) DO NOTHING`, commentID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	exists, err := idb.NewSelect().Model((*Comment)(nil)).Where("c.id = ?", commentID).Exists(ctx)
	if err == nil && !exists {
		return sql.ErrNoRows
	}
	return err
}

// CommentBlocks returns every block, newest first.
func CommentBlocks(ctx context.Context, idb bun.IDB) ([]CommentBlock, error) {
	var bs []CommentBlock
	err := idb.NewSelect().Model(&bs).OrderExpr("cb.id DESC").Scan(ctx)
	return bs, err
}

// Unblock lifts block id; sql.ErrNoRows: no such block.
func Unblock(ctx context.Context, idb bun.IDB, id int64) error {
	res, err := idb.NewDelete().Model((*CommentBlock)(nil)).Where("id = ?", id).Exec(ctx)
	return expectRow(res, err)
}

// IsBlocked reports whether comments from the address with ipHash are
// blocked.
func IsBlocked(ctx context.Context, idb bun.IDB, ipHash []byte) (bool, error) {
	return idb.NewSelect().Model((*CommentBlock)(nil)).Where("cb.ip_hash = ?", ipHash).Exists(ctx)
}
