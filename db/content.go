package db

import (
	"context"

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
