package db

import (
	"context"
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
