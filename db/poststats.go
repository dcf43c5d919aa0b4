package db

import (
	"context"
	"slices"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// AddViews adds counted views to posts in one statement: counts maps a
// post's id to the views to add. Posts that no longer exist are skipped.
// The site counts views in memory and calls this every second or so, so
// that a busy article is not one row every reader's request waits to lock.
func AddViews(ctx context.Context, idb bun.IDB, counts map[int64]int) error {
	if len(counts) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	adds := make([]int64, len(ids))
	for i, id := range ids {
		adds[i] = int64(counts[id])
	}
	// The rows are locked in id order first, so that two instances flushing
	// at once wait for each other instead of deadlocking.
	_, err := idb.NewRaw(`
		WITH v AS (SELECT * FROM unnest(?::bigint[], ?::bigint[]) AS v(id, n)),
		locked AS (SELECT id FROM posts WHERE id IN (SELECT id FROM v) ORDER BY id FOR UPDATE)
		UPDATE posts AS p SET views = p.views + v.n
		FROM v JOIN locked USING (id)
		WHERE p.id = v.id`, pgdialect.Array(ids), pgdialect.Array(adds)).Exec(ctx)
	return err
}
