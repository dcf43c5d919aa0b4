package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Media is a picture for articles, as stored.
type Media struct {
	bun.BaseModel `bun:"table:media,alias:m"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Name        string    `bun:"name"` // its address is /media/<Name>
	ContentType string    `bun:"content_type"`
	Width       int       `bun:"width"`
	Height      int       `bun:"height"`
	Data        []byte    `bun:"data"`
	Description string    `bun:"description"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`
	Size        int       `bun:"size,scanonly"`          // bytes, in lists (which leave Data out)
	UsedIn      []string  `bun:"used_in,array,scanonly"` // titles of the articles that show it
}

// AddMedia stores m. The same picture uploaded again (the same name) is
// stored once: m is then the one stored, with its description updated if
// a new one was given.
func AddMedia(ctx context.Context, idb bun.IDB, m *Media) error {
	_, err := idb.NewInsert().Model(m).ExcludeColumn("id", "created_at").
		On("CONFLICT (name) DO UPDATE").
		Set("description = CASE WHEN EXCLUDED.description <> '' THEN EXCLUDED.description ELSE m.description END").
		Returning("id, created_at, description").Exec(ctx)
	return err
}

// MediaByName returns one picture with its data, or sql.ErrNoRows.
func MediaByName(ctx context.Context, idb bun.IDB, name string) (Media, error) {
	var m Media
	err := idb.NewSelect().Model(&m).Where("m.name = ?", name).Scan(ctx)
	return m, err
}

// MediaSize returns the pixel size of the picture called name.
func MediaSize(ctx context.Context, idb bun.IDB, name string) (width, height int, err error) {
	err = idb.NewRaw("SELECT width, height FROM media WHERE name = ?", name).Scan(ctx, &width, &height)
	return width, height, err
}

// ListMedia returns every picture, newest first, without its data, each
// with the titles of the articles whose text uses it.
func ListMedia(ctx context.Context, idb bun.IDB) ([]Media, error) {
	var ms []Media
	err := idb.NewSelect().Model(&ms).ExcludeColumn("data").
		ColumnExpr("octet_length(m.data) AS size").
		ColumnExpr("ARRAY(SELECT p.title FROM posts AS p WHERE strpos(p.body_md, '/media/' || m.name) > 0 OR p.cover_media_id = m.id ORDER BY p.id) AS used_in").
		OrderExpr("m.id DESC").Scan(ctx)
	return ms, err
}

// ErrMediaInUse is returned by DeleteMedia for a picture an article shows
// (in its text, or as its cover).
var ErrMediaInUse = errors.New("an article shows this picture")

// DeleteMedia deletes picture id unless an article's text uses it.
// sql.ErrNoRows: no such picture.
func DeleteMedia(ctx context.Context, idb bun.IDB, id int64) error {
	res, err := idb.NewRaw(`DELETE FROM media AS m WHERE m.id = ?
		AND NOT EXISTS (SELECT 1 FROM posts AS p WHERE strpos(p.body_md, '/media/' || m.name) > 0 OR p.cover_media_id = m.id)`, id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var exists bool
	if err := idb.NewRaw("SELECT EXISTS (SELECT 1 FROM media WHERE id = ?)", id).Scan(ctx, &exists); err != nil {
		return err
	}
	if exists {
		return ErrMediaInUse
	}
	return sql.ErrNoRows
}
