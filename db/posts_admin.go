package db

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// ErrSlugTaken is returned by CreatePost and UpdatePost when another post
// has the slug, or had it before (its old links lead there).
var ErrSlugTaken = errors.New("another post has or had this slug")

// ErrPostChanged is returned by UpdatePost when the post was saved with
// other content since the editor saw it.
var ErrPostChanged = errors.New("the post was saved elsewhere meanwhile")

// AdminPost is a post as the therapist's list of articles shows it: any
// status, no body, with its number of visible comments.
type AdminPost struct {
	Post
	Comments int `bun:"comments"`
}

// Public reports whether readers can see the post at now: it is not a
// draft and its publication time has come.
func (p Post) Public(now time.Time) bool {
	return p.Status != StatusDraft && p.PublishedAt != nil && !p.PublishedAt.After(now)
}

// AllPosts lists every post, drafts and scheduled ones included, newest
// first (by publication time, or creation time for drafts), each with its
// number of visible comments.
func AllPosts(ctx context.Context, idb bun.IDB) ([]AdminPost, error) {
	var posts []AdminPost
	err := idb.NewRaw(`
		SELECT `+strings.Join(prefixed("p.", listColumns), ", ")+`, p.created_at,
			(SELECT count(*) FROM comments AS c WHERE c.post_id = p.id AND c.status = 'visible') AS comments
		FROM posts AS p
		ORDER BY COALESCE(p.published_at, p.created_at) DESC, p.id DESC`).Scan(ctx, &posts)
	return posts, err
}

// PostByID returns the post with id whatever its status, or sql.ErrNoRows.
func PostByID(ctx context.Context, idb bun.IDB, id int64) (Post, error) {
	var p Post
	err := idb.NewSelect().Model(&p).ColumnExpr("?TableColumns").ColumnExpr(coverColumns).Where("p.id = ?", id).Scan(ctx)
	return p, err
}

// CreatePost inserts a new post and sets p.ID. A slug that another post has
// or had gives ErrSlugTaken.
func CreatePost(ctx context.Context, idb bun.IDB, p *Post) error {
	if p.Tags == nil {
		p.Tags = []string{}
	}
	return slugTaken(idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := checkOldSlug(ctx, tx, p.Slug, 0); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(p).
			ExcludeColumn("id", "created_at", "updated_at", "likes", "views").
			Returning("id, created_at, updated_at").Exec(ctx)
		return err
	}))
}

// UpdatePost saves the therapist's edit of the post p.ID: its slug, title,
// summary, body (Markdown, HTML and text), author, tags, status, publication
// time and reading time; likes and views are kept. If the slug changes while
// the post is public, the old slug keeps leading to it (see RenamePost);
// before that, the post simply moves. A slug that another post has or had
// gives ErrSlugTaken; an unknown id sql.ErrNoRows. The update time only
// moves when something changed.
//
// seen is the update time of the post the edit was made on (zero: not
// known). If the post was saved with other content since, nothing is saved
// and the answer is ErrPostChanged; if it was saved with this very content
// (the same save sent twice), that is success.
func UpdatePost(ctx context.Context, idb bun.IDB, p *Post, seen time.Time) error {
	if p.Tags == nil {
		p.Tags = []string{}
	}
	return slugTaken(idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var old string
		var public, same bool
		var updated time.Time
		if err := tx.NewRaw(`
			SELECT slug, status <> 'draft' AND published_at <= now(), updated_at,
				(slug, title, summary, body_md, author, tags, status, cover_media_id, cover_alt) IS NOT DISTINCT FROM (?, ?, ?, ?, ?, ?::text[], ?, ?::bigint, ?)
				AND (status <> 'scheduled' OR published_at IS NOT DISTINCT FROM ?::timestamptz)
			FROM posts WHERE id = ? FOR UPDATE`,
			p.Slug, p.Title, p.Summary, p.BodyMD, p.Author, pgdialect.Array(p.Tags), p.Status, p.CoverID, p.CoverAlt, p.PublishedAt,
			p.ID).Scan(ctx, &old, &public, &updated, &same); err != nil {
			return err
		}
		if !seen.IsZero() && !updated.Equal(seen) {
			if same {
				p.UpdatedAt = updated
				return nil
			}
			return ErrPostChanged
		}
		if err := checkOldSlug(ctx, tx, p.Slug, p.ID); err != nil {
			return err
		}
		if old != p.Slug && public {
			if err := RenamePost(ctx, tx, p.ID, p.Slug); err != nil {
				return err
			}
		}
		if _, err := tx.NewRaw("DELETE FROM post_old_slugs WHERE slug = ? AND post_id = ?", p.Slug, p.ID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Model(p).WherePK().
			Column("slug", "title", "summary", "body_md", "body_html", "body_text", "author", "tags",
				"status", "published_at", "reading_minutes", "cover_media_id", "cover_alt").
			Set("updated_at = CASE WHEN (p.slug, p.title, p.summary, p.body_md, p.author, p.tags, p.status, p.published_at, p.cover_media_id, p.cover_alt) IS DISTINCT FROM (?, ?, ?, ?, ?, ?::text[], ?, ?::timestamptz, ?::bigint, ?) THEN now() ELSE p.updated_at END",
				p.Slug, p.Title, p.Summary, p.BodyMD, p.Author, pgdialect.Array(p.Tags), p.Status, p.PublishedAt, p.CoverID, p.CoverAlt).
			Returning("updated_at").Exec(ctx)
		return err
	}))
}

// checkOldSlug returns ErrSlugTaken if slug is a former slug of a post
// other than postID (0: any post).
func checkOldSlug(ctx context.Context, tx bun.Tx, slug string, postID int64) error {
	var taken bool
	err := tx.NewRaw("SELECT EXISTS (SELECT 1 FROM post_old_slugs WHERE slug = ? AND post_id <> ?)", slug, postID).Scan(ctx, &taken)
	if err == nil && taken {
		err = ErrSlugTaken
	}
	return err
}

// slugTaken turns a unique violation of the posts' slug into ErrSlugTaken.
func slugTaken(err error) error {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) && pgErr.Field('C') == "23505" && pgErr.Field('n') == "posts_slug_key" {
		return ErrSlugTaken
	}
	return err
}
