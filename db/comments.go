package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Comment statuses. Only visible comments are public; a held one is seen by
// its author and the therapist; hidden (by the therapist) and deleted (by
// its author) ones by nobody, though a deleted comment with replies leaves
// a placeholder so the replies still make sense.
const (
	CommentVisible = "visible"
	CommentHeld    = "held"
	CommentHidden  = "hidden"
	CommentDeleted = "deleted"
)

// CommentsChannel is the NOTIFY channel of comment events; the payload is
// the event id.
const CommentsChannel = "comment_events"

// Comment event kinds.
const (
	EventNew    = "new"    // a comment became visible
	EventUpdate = "update" // a visible comment was edited, deleted or hidden
)

// ErrNoParent is returned by AddComment when the comment replies to one
// that is not a visible comment of the same post.
var ErrNoParent = errors.New("the comment replied to is not there")

// Comment is a reader's (or the practice's) comment on a post.
type Comment struct {
	bun.BaseModel `bun:"table:comments,alias:c"`

	ID         int64      `bun:"id,pk,autoincrement"`
	PostID     int64      `bun:"post_id"`
	ParentID   *int64     `bun:"parent_id"`
	Name       string     `bun:"name"`
	BodyMD     string     `bun:"body_md"`
	BodyHTML   string     `bun:"body_html"`
	Status     string     `bun:"status"`
	ByPractice bool       `bun:"by_practice"`
	AuthorHash []byte     `bun:"author_hash"`
	IPHash     []byte     `bun:"ip_hash"`
	CreatedAt  time.Time  `bun:"created_at,nullzero,default:now()"`
	EditedAt   *time.Time `bun:"edited_at"`
	DeletedAt  *time.Time `bun:"deleted_at"`
	// Helpful is how many visitors found it helpful (comment_votes), kept
	// by the database.
	Helpful int `bun:"helpful"`
}

// PostComments returns what a post's page shows, oldest first: the visible
// comments, and deleted ones (as placeholders; their text is gone).
func PostComments(ctx context.Context, idb bun.IDB, postID int64) ([]Comment, error) {
	var cs []Comment
	err := idb.NewSelect().Model(&cs).
		Where("c.post_id = ?", postID).
		Where("c.status IN (?, ?)", CommentVisible, CommentDeleted).
		OrderExpr("c.id").Scan(ctx)
	return cs, err
}

// CommentThreads returns a page of a post's comments, oldest first: the
// newest top-level comments before the one with id before (0: the newest of
// all), each with its visible replies, as many threads as make at least
// size comments (whole threads: a thread is never split between pages).
// A deleted top-level comment is there only as the placeholder of its
// replies. earlier is the before of the next older page, 0 when there is
// none. It reads only the page: what it costs does not grow with the post.
func CommentThreads(ctx context.Context, idb bun.IDB, postID, before int64, size int) (cs []Comment, earlier int64, err error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	err = idb.NewRaw(`
		WITH tops AS (
			SELECT t.id, t.status,
				(SELECT count(*) FROM comments r WHERE r.parent_id = t.id AND r.status = ?) AS replies
			FROM comments t
			WHERE t.post_id = ? AND t.parent_id IS NULL AND t.id < ? AND t.status IN (?, ?)
			ORDER BY t.id DESC
			LIMIT ?
		), shown AS (
			SELECT id, (status = ?)::int + replies AS size FROM tops WHERE status = ? OR replies > 0
		), page AS (
			SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id DESC) - size AS ahead FROM shown) s WHERE ahead < ?
		)
		SELECT c.* FROM comments c JOIN page ON c.id = page.id
		UNION ALL
		SELECT c.* FROM comments c JOIN page ON c.parent_id = page.id WHERE c.status = ?
		ORDER BY id`,
		CommentVisible, postID, before, CommentVisible, CommentDeleted, size,
		CommentVisible, CommentVisible, size, CommentVisible).Scan(ctx, &cs)
	if err != nil || len(cs) == 0 {
		return nil, 0, err
	}
	first := cs[0].ID // the oldest top-level comment of the page (a reply is newer than its parent)
	more, err := idb.NewSelect().Model((*Comment)(nil)).
		Where("c.post_id = ? AND c.parent_id IS NULL AND c.id < ?", postID, first).
		Where("c.status = ? OR (c.status = ? AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id AND r.status = ?))",
			CommentVisible, CommentDeleted, CommentVisible).
		Exists(ctx)
	if err != nil || !more {
		return cs, 0, err
	}
	return cs, first, nil
}

// CommentCount returns the post's number of visible comments, as kept by
// the database (comment_counts): no counting.
func CommentCount(ctx context.Context, idb bun.IDB, postID int64) (int, error) {
	var n int
	err := idb.NewRaw("SELECT coalesce((SELECT visible FROM comment_counts WHERE post_id = ?), 0)", postID).Scan(ctx, &n)
	return n, err
}

// HeldComments returns the comments on a post that wait for approval and
// were written by the author with authorHash: they see them, nobody else.
func HeldComments(ctx context.Context, idb bun.IDB, postID int64, authorHash []byte) ([]Comment, error) {
	var cs []Comment
	err := idb.NewSelect().Model(&cs).
		Where("c.post_id = ? AND c.status = ? AND c.author_hash = ?", postID, CommentHeld, authorHash).
		OrderExpr("c.id").Scan(ctx)
	return cs, err
}

// CommentByID returns a comment of the post, whatever its status.
func CommentByID(ctx context.Context, idb bun.IDB, postID, id int64) (Comment, error) {
	var c Comment
	err := idb.NewSelect().Model(&c).Where("c.id = ? AND c.post_id = ?", id, postID).Scan(ctx)
	return c, err
}

// HasApprovedComment reports whether the author (by their commenter key)
// has a comment that was let through before: "first comment" moderation
// holds only people without one. The address is not enough: behind a
// mobile network's shared address are many strangers.
func HasApprovedComment(ctx context.Context, idb bun.IDB, authorHash []byte) (bool, error) {
	return idb.NewSelect().Model((*Comment)(nil)).
		Where("c.status IN (?, ?)", CommentVisible, CommentDeleted).
		Where("c.author_hash = ?", authorHash).Exists(ctx)
}

// AddComment saves c (its Status decided by the caller: visible or held).
// A reply to a reply becomes a reply to the same top-level comment (one
// level of replies); replying to anything but a visible comment of the same
// post is ErrNoParent. A visible comment gets its event and notification
// in the same transaction, so live readers hear of exactly the comments
// that were saved.
func AddComment(ctx context.Context, idb bun.IDB, c *Comment) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if c.ParentID != nil {
			var parent Comment
			err := tx.NewSelect().Model(&parent).Column("id", "parent_id").
				Where("c.id = ? AND c.post_id = ? AND c.status = ?", *c.ParentID, c.PostID, CommentVisible).
				Scan(ctx)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNoParent
			}
			if err != nil {
				return err
			}
			if parent.ParentID != nil {
				c.ParentID = parent.ParentID
			}
		}
		if _, err := tx.NewInsert().Model(c).
			ExcludeColumn("id", "edited_at", "deleted_at", "helpful").
			Returning("id, created_at").Exec(ctx); err != nil {
			return err
		}
		if c.Status == CommentVisible {
			return addEvent(ctx, tx, c, EventNew)
		}
		return nil
	})
}

// EditComment replaces the text of a visible or held comment and marks it
// edited. With hold, the comment goes (back) to the moderation queue: an
// approved comment may not be rewritten past moderation. Readers hear of
// the change only if they could see the comment.
func EditComment(ctx context.Context, idb bun.IDB, c *Comment, bodyMD, bodyHTML string, hold bool) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		was := c.Status
		q := tx.NewUpdate().Model(c).
			Set("body_md = ?, body_html = ?, edited_at = now()", bodyMD, bodyHTML).
			Where("c.id = ? AND c.status IN (?, ?)", c.ID, CommentVisible, CommentHeld)
		if hold {
			q = q.Set("status = ?", CommentHeld)
		}
		if err := q.Returning("*").Scan(ctx); err != nil {
			return err
		}
		if was != CommentVisible {
			return nil
		}
		return addEvent(ctx, tx, c, EventUpdate)
	})
}

// DeleteComment deletes a visible or held comment's text; the comment stays
// as a placeholder so that its replies keep their place (a placeholder
// without replies is not shown). Readers hear of it only if they could see
// the comment.
func DeleteComment(ctx context.Context, idb bun.IDB, c *Comment) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		was := c.Status
		err := tx.NewUpdate().Model(c).
			Set("status = ?, body_md = '', body_html = '', deleted_at = now()", CommentDeleted).
			Where("c.id = ? AND c.status IN (?, ?)", c.ID, CommentVisible, CommentHeld).
			Returning("*").Scan(ctx)
		if err != nil || was != CommentVisible {
			return err
		}
		return addEvent(ctx, tx, c, EventUpdate)
	})
}

func addEvent(ctx context.Context, tx bun.Tx, c *Comment, kind string) error {
	var id int64
	err := tx.NewRaw(`INSERT INTO comment_events (comment_id, post_id, kind) VALUES (?, ?, ?) RETURNING id`,
		c.ID, c.PostID, kind).Scan(ctx, &id)
	if err != nil {
		return err
	}
	_, err = tx.NewRaw("SELECT pg_notify(?, ?::text)", CommentsChannel, id).Exec(ctx)
	return err
}

// CommentEvent is a comment event with the comment as it is now.
type CommentEvent struct {
	ID      int64   `bun:"id"`
	Kind    string  `bun:"kind"`
	PostID  int64   `bun:"post_id"`
	Comment Comment `bun:"comment,embed:comment_"`
	// Count is the post's number of visible comments now; Replies, the
	// comment's own visible replies.
	Count   int `bun:"count"`
	Replies int `bun:"replies"`
}

// CommentEvents returns the events with the given ids, in id order, each
// with its comment as it is now and its post's visible comment count.
func CommentEvents(ctx context.Context, idb bun.IDB, ids []int64) ([]CommentEvent, error) {
	var evs []CommentEvent
	err := idb.NewRaw(`
		SELECT e.id, e.kind, e.post_id,
			c.id AS comment_id, c.post_id AS comment_post_id, c.parent_id AS comment_parent_id,
			c.name AS comment_name, c.body_html AS comment_body_html, c.status AS comment_status,
			c.by_practice AS comment_by_practice, c.created_at AS comment_created_at,
			c.edited_at AS comment_edited_at, c.deleted_at AS comment_deleted_at, c.helpful AS comment_helpful,
			coalesce((SELECT n.visible FROM comment_counts n WHERE n.post_id = e.post_id), 0) AS count,
			(SELECT count(*) FROM comments r WHERE r.parent_id = c.id AND r.status = 'visible') AS replies
		FROM comment_events e JOIN comments c ON c.id = e.comment_id
		WHERE e.id = ANY(?::bigint[])
		ORDER BY e.id`, pgdialect.Array(ids)).Scan(ctx, &evs)
	return evs, err
}

// CommentEventsSince returns the ids of events after the given id, oldest
// first, at most limit; postID 0 means every post.
func CommentEventsSince(ctx context.Context, idb bun.IDB, postID, after int64, limit int) ([]int64, error) {
	var ids []int64
	q := idb.NewSelect().Table("comment_events").Column("id").
		Where("id > ?", after).OrderExpr("id").Limit(limit)
	if postID != 0 {
		q = q.Where("post_id = ?", postID)
	}
	err := q.Scan(ctx, &ids)
	return ids, err
}

// CommentChange is what a reader missed of one comment: its events after
// a given one, coalesced into one. The reader is sent the comment as it is
// now, once, however often it changed.
type CommentChange struct {
	CommentID int64 `bun:"comment_id"`
	// First and Last are its first and latest event after the given one:
	// once sent, the reader has every event of this comment up to Last.
	First int64 `bun:"first"`
	Last  int64 `bun:"last"`
	// New: its first event made it visible, so the reader's page does not
	// have it (a comment on the page that changed is replaced in place).
	New bool `bun:"new"`
}

// CommentChangesSince returns the comments of the post that have events
// after the given id, one each, in the order of their first such event (a
// reply after the comment it replies to), at most limit.
func CommentChangesSince(ctx context.Context, idb bun.IDB, postID, after int64, limit int) ([]CommentChange, error) {
	var cs []CommentChange
	err := idb.NewRaw(`
		SELECT comment_id, min(id) AS first, max(id) AS last, (array_agg(kind ORDER BY id))[1] = ? AS new
		FROM comment_events WHERE post_id = ? AND id > ?
		GROUP BY comment_id ORDER BY first LIMIT ?`, EventNew, postID, after, limit).Scan(ctx, &cs)
	return cs, err
}

// CommentState is a comment as it is now, with what a live event shows
// beside it.
type CommentState struct {
	Comment Comment `bun:"comment,embed:comment_"`
	// Count is the post's number of visible comments; Replies, the
	// comment's own visible replies.
	Count   int `bun:"count"`
	Replies int `bun:"replies"`
}

// CommentStates returns the post's comments with the given ids as they are
// now, in id order (ids that are not the post's are left out).
func CommentStates(ctx context.Context, idb bun.IDB, postID int64, ids []int64) ([]CommentState, error) {
	var cs []CommentState
	err := idb.NewRaw(`
		SELECT c.id AS comment_id, c.post_id AS comment_post_id, c.parent_id AS comment_parent_id,
			c.name AS comment_name, c.body_html AS comment_body_html, c.status AS comment_status,
			c.by_practice AS comment_by_practice, c.created_at AS comment_created_at,
			c.edited_at AS comment_edited_at, c.deleted_at AS comment_deleted_at, c.helpful AS comment_helpful,
			coalesce((SELECT n.visible FROM comment_counts n WHERE n.post_id = c.post_id), 0) AS count,
			(SELECT count(*) FROM comments r WHERE r.parent_id = c.id AND r.status = 'visible') AS replies
		FROM comments c
		WHERE c.post_id = ? AND c.id = ANY(?::bigint[])
		ORDER BY c.id`, postID, pgdialect.Array(ids)).Scan(ctx, &cs)
	return cs, err
}

// PruneCommentEvents deletes the events older than keep, which live
// readers no longer replay: a reader whose last event is older than what
// is left is asked to reload (OldestCommentEvent). The newest of the old
// events stays, so that what is left always runs on from the pruned ids
// and the newest event is never deleted. It returns how many went.
func PruneCommentEvents(ctx context.Context, idb bun.IDB, keep time.Duration) (int64, error) {
	res, err := idb.NewRaw(`
		DELETE FROM comment_events WHERE id < (
			SELECT coalesce(max(id), 0) FROM comment_events WHERE created_at < now() - make_interval(secs => ?))`,
		keep.Seconds()).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// OldestCommentEvent returns the oldest event id kept (0 if none): the
// events before it were pruned, or never existed.
func OldestCommentEvent(ctx context.Context, idb bun.IDB) (int64, error) {
	var id int64
	err := idb.NewRaw("SELECT coalesce(min(id), 0) FROM comment_events").Scan(ctx, &id)
	return id, err
}

// LastCommentEvent returns the newest event id (0 if none).
func LastCommentEvent(ctx context.Context, idb bun.IDB) (int64, error) {
	var id int64
	err := idb.NewRaw("SELECT coalesce(max(id), 0) FROM comment_events").Scan(ctx, &id)
	return id, err
}

// SiteKey returns the site's secret key called name, making it (32 random
// bytes) the first time it is asked for. Every instance gets the same key.
func SiteKey(ctx context.Context, idb bun.IDB, name string) ([]byte, error) {
	key := make([]byte, 32)
	rand.Read(key)
	if _, err := idb.NewRaw("INSERT INTO site_keys (name, key) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
		name, key).Exec(ctx); err != nil {
		return nil, err
	}
	err := idb.NewRaw("SELECT key FROM site_keys WHERE name = ?", name).Scan(ctx, &key)
	return key, err
}
