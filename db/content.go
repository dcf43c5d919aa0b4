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

// ContentVersion returns the content version, for checking that no
// announcement was missed.
func ContentVersion(ctx context.Context, idb bun.IDB) (int64, error) {
	var v int64
	err := idb.NewRaw("SELECT version FROM content_version WHERE id = 1").Scan(ctx, &v)
	return v, err
}

// WentLive reports whether a scheduled article became public after since
// (nothing announces it: its row does not change when its time comes), and
// returns the database's now, to pass as since next time. A zero since
// counts every scheduled article already public.
func WentLive(ctx context.Context, idb bun.IDB, since time.Time) (bool, time.Time, error) {
	var r struct {
		Live bool
		Now  time.Time
	}
	err := idb.NewRaw(`SELECT EXISTS (SELECT 1 FROM posts WHERE status = 'scheduled'
		AND published_at > ? AND published_at <= now()) AS live, now() AS now`, since).Scan(ctx, &r)
	return r.Live, r.Now, err
}
