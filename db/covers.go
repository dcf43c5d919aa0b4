package db

import (
	"context"

	"github.com/uptrace/bun"
)

// MediaInfo returns picture id without its data (sql.ErrNoRows if there is
// none): what the article editor needs to offer it as a cover.
func MediaInfo(ctx context.Context, idb bun.IDB, id int64) (Media, error) {
	var m Media
	err := idb.NewSelect().Model(&m).ExcludeColumn("data").Where("m.id = ?", id).Scan(ctx)
	return m, err
}
