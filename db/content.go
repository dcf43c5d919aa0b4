package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// ContentChannel is the NOTIFY channel on which every committed change to
// what the public pages show (articles, services, the practice's details)
// is announced, with the new content version as payload (migration 0031;
// comments have their own, CommentsChannel).
const ContentChannel = "content"

// ContentState is what the regular check of the public pages reads, in one
// round trip: the content version (for a notification lost while the
// listener reconnected), whether a scheduled article became public after
// since (nothing announces it: its row does not change when its time
// comes; a zero since counts every one already public), and the
// database's now, to pass as since next time.
func ContentState(ctx context.Context, idb bun.IDB, since time.Time) (version int64, wentLive bool, now time.Time, err error) {
	var r struct {
		Version int64
		Live    bool
		Now     time.Time
	}
	err = idb.NewRaw(`SELECT (SELECT version FROM content_version WHERE id = 1) AS version,
		EXISTS (SELECT 1 FROM posts WHERE status = 'scheduled' AND published_at > ? AND published_at <= now()) AS live,
		now() AS now`, since).Scan(ctx, &r)
	return r.Version, r.Live, r.Now, err
}
