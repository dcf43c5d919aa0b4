package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"

	"dynamicmotion/markdown"
)

// demoBusiness is KnownBusiness plus example contact details. Everything
// the practice's article does not say (phone, email, street, postcode, hours,
// mobile area) is example data: the row is marked is_example and the site
// labels it as such until the therapist saves her real details.
var demoBusiness = func() Business {
	b := KnownBusiness
	b.Phone = "01480 000000"
	b.Email = "hello@example.com"
	b.StreetAddress = "Example Road"
	b.Postcode = "PE27 0XX"
	b.MobileArea = "St Ives and villages nearby (PE26, PE27, PE28, PE29, CB24)"
	b.HoursSummary = "Monday to Saturday, 9:00 to 18:00"
	b.IsExample = true
	return b
}()

// demoServices are example treatments; prices and lengths are not the
// practice's real ones until the therapist edits them.
var demoServices = []Service{
	{Slug: "sports-massage-30", Name: "Sports massage — 30 minutes", DurationMin: 30, PricePence: 3000, SortOrder: 10,
		Summary: "A focused session on one area, such as the lower back or calves."},
	{Slug: "sports-massage-60", Name: "Sports massage — 60 minutes", DurationMin: 60, PricePence: 5000, SortOrder: 20,
		Summary: "Deep tissue work and myofascial release for the areas that need it most."},
	{Slug: "sports-massage-90", Name: "Sports massage — 90 minutes", DurationMin: 90, PricePence: 7000, SortOrder: 30,
		Summary: "A full session for recovery after an event, or several problem areas at once."},
}

// seedPosts are the articles published with the site: Markdown files with
// front matter, starting with the practice's own first article.
//
//go:embed seed/posts/*.md
var seedPosts embed.FS

// Seed loads the demo content. Business details and services are only
// inserted when missing, so it never overwrites what the therapist edited.
// Articles from seed/posts are inserted when missing and brought up to
// date with their files while nobody has edited them (seedPost), so a
// re-run never duplicates an article or undoes the therapist's edit.
func Seed(ctx context.Context, idb bun.IDB) error {
	posts, err := SeedPosts()
	if err != nil {
		return err
	}
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for i := range posts {
			if err := seedPost(ctx, tx, &posts[i]); err != nil {
				return fmt.Errorf("seeding article %s: %w", posts[i].Slug, err)
			}
		}
		if err := seedSchedule(ctx, tx); err != nil {
			return fmt.Errorf("seeding the schedule: %w", err)
		}
		b := demoBusiness
		if _, err := tx.NewInsert().Model(&b).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		for _, s := range demoServices {
			s.AtStudio, s.Mobile, s.Active, s.IsExample = true, true, true, true
			if _, err := tx.NewInsert().Model(&s).
				ExcludeColumn("id", "created_at", "updated_at").
				On("CONFLICT (slug) DO NOTHING").Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedPosts reads and renders the seed articles.
func SeedPosts() ([]Post, error) {
	files, err := fs.Glob(seedPosts, "seed/posts/*.md")
	if err != nil {
		return nil, err
	}
	var posts []Post
	for _, name := range files {
		src, err := seedPosts.ReadFile(name)
		if err != nil {
			return nil, err
		}
		p, err := PostFromMarkdown(src, markdown.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		posts = append(posts, p)
	}
	return posts, nil
}

// PostFromMarkdown turns an article file (front matter and Markdown) into a
// post, rendered once here so that pages only copy the HTML.
func PostFromMarkdown(src []byte, o markdown.Options) (Post, error) {
	doc, err := markdown.ParseDocument(src)
	if err != nil {
		return Post{}, err
	}
	body, err := markdown.Article(doc.Body, o)
	if err != nil {
		return Post{}, err
	}
	p := Post{
		Slug: doc.Slug, Title: doc.Title, Summary: doc.Summary, Author: doc.Author,
		Tags: doc.Tags, Status: doc.Status,
		BodyMD: doc.Body, BodyHTML: body, BodyText: markdown.Plain(doc.Body),
		ReadingMinutes: markdown.ReadingMinutes(doc.Body),
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if !doc.Published.IsZero() {
		t := doc.Published
		p.PublishedAt = &t
	}
	p.UpdatedAt = doc.Updated
	if p.UpdatedAt.IsZero() { // not changed since it was published
		p.UpdatedAt = doc.Published
	}
	return p, nil
}

// seedSchedule saves the default scheduling rules and example opening hours
// (Monday to Saturday) when none are saved yet.
func seedSchedule(ctx context.Context, tx bun.Tx) error {
	s := DefaultSchedule
	if _, err := tx.NewInsert().Model(&s).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	n, err := tx.NewSelect().Table("working_hours").Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	// Studio Monday to Saturday 9:00 to 18:00 (Saturday until 13:00);
	// mobile visits Monday to Friday 10:00 to 16:00.
	_, err = tx.NewRaw(`INSERT INTO working_hours (weekday, place, starts, ends)
		SELECT d, 'studio', '09:00'::time, CASE WHEN d = 6 THEN '13:00'::time ELSE '18:00'::time END FROM generate_series(1, 6) d
		UNION ALL
		SELECT d, 'mobile', '10:00'::time, '16:00'::time FROM generate_series(1, 5) d`).Exec(ctx)
	return err
}

// seedPost brings the article of a seed file into the database: the post
// that came from this file (by the file's slug, whatever the post is called
// now) is updated from it if it is as the seed last left it (its update
// time is still the one the seed gave it), and left alone if the therapist
// has edited or renamed it since. Without one, the article is inserted,
// unless another post has or had its slug (the therapist's own, left alone).
func seedPost(ctx context.Context, tx bun.Tx, p *Post) error {
	var id int64
	var edited bool
	err := tx.NewRaw("SELECT id, updated_at IS DISTINCT FROM seeded_at FROM posts WHERE seed_slug = ?", p.Slug).
		Scan(ctx, &id, &edited)
	switch {
	case err == nil && edited:
		p.ID = id
		return nil
	case errors.Is(err, sql.ErrNoRows):
		var taken bool
		if err := tx.NewRaw("SELECT EXISTS (SELECT 1 FROM posts WHERE slug = ?) OR EXISTS (SELECT 1 FROM post_old_slugs WHERE slug = ?)",
			p.Slug, p.Slug).Scan(ctx, &taken); err != nil || taken {
			return err
		}
	case err != nil:
		return err
	}
	if err := SavePost(ctx, tx, p); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE posts SET seed_slug = ?, seeded_at = updated_at WHERE id = ?", p.Slug, p.ID)
	return err
}
