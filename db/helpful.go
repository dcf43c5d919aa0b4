package db

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/uptrace/bun"
)

// EventCount is the comment event of a change to a comment's Helpful
// count: live readers are sent the new count only.
const EventCount = "count"

// ErrNotVotable is returned by Vote for a comment that is not a visible
// comment of the post (held, hidden, deleted, or not there).
var ErrNotVotable = errors.New("the comment is not shown")

// Vote records (up) or withdraws (!up) voter's "Helpful" on a visible
// comment of the post, and returns its count now. Voting twice or
// withdrawing a vote that is not there changes nothing and writes no
// event; a change writes a count event and its notification in the same
// transaction, as the other comment events are. The count itself is kept
// by the database (comment_votes_count).
func Vote(ctx context.Context, idb bun.IDB, postID, commentID int64, voter, ipHash []byte, up bool) (helpful int, err error) {
	err = idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The comment's row is locked first, as the count's update would:
		// votes on one comment queue here rather than deadlock.
		var c Comment
		err := tx.NewSelect().Model(&c).Column("id", "post_id", "status").
			Where("c.id = ? AND c.post_id = ?", commentID, postID).For("NO KEY UPDATE").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && c.Status != CommentVisible) {
			return ErrNotVotable
		}
		if err != nil {
			return err
		}
		q := tx.NewRaw(`DELETE FROM comment_votes WHERE comment_id = ? AND voter = ?`, commentID, voter)
		if up {
			q = tx.NewRaw(`INSERT INTO comment_votes (comment_id, voter, ip_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				commentID, voter, ipHash)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			if err == nil {
				err = addEvent(ctx, tx, &c, EventCount)
			}
			if err != nil {
				return err
			}
		}
		return tx.NewRaw("SELECT helpful FROM comments WHERE id = ?", commentID).Scan(ctx, &helpful)
	})
	return helpful, err
}

// VotedComments returns which of the post's comments voter has found
// helpful, in id order.
func VotedComments(ctx context.Context, idb bun.IDB, postID int64, voter []byte) ([]int64, error) {
	var ids []int64
	err := idb.NewRaw(`SELECT v.comment_id FROM comment_votes v JOIN comments c ON c.id = v.comment_id
		WHERE v.voter = ? AND c.post_id = ? ORDER BY v.comment_id`, voter, postID).Scan(ctx, &ids)
	return ids, err
}

// HelpfulThreads is CommentThreads in the other order: the post's
// top-level comments by their Helpful count (ties: oldest first), each
// with its visible replies in time order, after skipping skip threads, as
// many whole threads as make at least size comments. next is the skip of
// the page after, 0 when this one has the last thread. The comments come
// thread by thread: a top-level comment, then its replies.
func HelpfulThreads(ctx context.Context, idb bun.IDB, postID int64, skip, size int) (cs []Comment, next int, err error) {
	if skip < 0 || skip > math.MaxInt32 {
		skip = 0
	}
	var rows []struct {
		Comment
		Rank int `bun:"rank"`
	}
	err = idb.NewRaw(`
		WITH tops AS (
			SELECT t.id, t.status, t.helpful,
				(SELECT count(*) FROM comments r WHERE r.parent_id = t.id AND r.status = ?) AS replies
			FROM comments t
			WHERE t.post_id = ? AND t.parent_id IS NULL
				AND (t.status = ? OR (t.status = ? AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = t.id AND r.status = ?)))
			ORDER BY t.helpful DESC, t.id
			OFFSET ? LIMIT ?
		), ranked AS (
			SELECT id, row_number() OVER (ORDER BY helpful DESC, id) AS rank,
				(status = ?)::int + replies AS size FROM tops
		), page AS (
			SELECT id, rank FROM (SELECT id, rank, sum(size) OVER (ORDER BY rank) - size AS ahead FROM ranked) s WHERE ahead < ?
		)
		SELECT c.*, page.rank FROM comments c JOIN page ON c.id = page.id
		UNION ALL
		SELECT c.*, page.rank FROM comments c JOIN page ON c.parent_id = page.id WHERE c.status = ?
		ORDER BY rank, parent_id NULLS FIRST, id`,
		CommentVisible, postID, CommentVisible, CommentDeleted, CommentVisible, skip, size+1,
		CommentVisible, size, CommentVisible).Scan(ctx, &rows)
	if err != nil || len(rows) == 0 {
		return nil, 0, err
	}
	cs = make([]Comment, len(rows))
	for i, r := range rows {
		cs[i] = r.Comment
	}
	shown := rows[len(rows)-1].Rank
	var exists bool
	if err := idb.NewRaw(`SELECT EXISTS (
		SELECT 1 FROM comments t WHERE t.post_id = ? AND t.parent_id IS NULL
			AND (t.status = ? OR (t.status = ? AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = t.id AND r.status = ?)))
		OFFSET ?)`, postID, CommentVisible, CommentDeleted, CommentVisible, skip+shown).Scan(ctx, &exists); err != nil {
		return nil, 0, err
	}
	if !exists {
		return cs, 0, nil
	}
	return cs, skip + shown, nil
}

// MostHelpfulComments returns the visible comments for the therapist's
// moderation page, the most helpful first (ties: the newest first), at
// most limit.
func MostHelpfulComments(ctx context.Context, idb bun.IDB, limit int) ([]ModeratedComment, error) {
	var cs []ModeratedComment
	err := idb.NewRaw(moderatedSQL+"WHERE c.status = ? AND c.deleted_at IS NULL ORDER BY c.helpful DESC, c.id DESC LIMIT ?",
		CommentVisible, limit).Scan(ctx, &cs)
	return cs, err
}

// HelpfulRank is how many of the post's threads come before the thread of
// top-level comment top in the order of HelpfulThreads: the skip of a page
// of "Most helpful" that starts with it.
func HelpfulRank(ctx context.Context, idb bun.IDB, postID, top int64) (int, error) {
	var n int
	err := idb.NewRaw(`
		SELECT count(*) FROM comments t, (SELECT helpful FROM comments WHERE id = ?) me
		WHERE t.post_id = ? AND t.parent_id IS NULL
			AND (t.status = ? OR (t.status = ? AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = t.id AND r.status = ?)))
			AND (t.helpful > me.helpful OR (t.helpful = me.helpful AND t.id < ?))`,
		top, postID, CommentVisible, CommentDeleted, CommentVisible, top).Scan(ctx, &n)
	return n, err
}
