package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Post statuses. A scheduled post is public from its published time on.
const (
	StatusDraft     = "draft"
	StatusScheduled = "scheduled"
	StatusPublished = "published"
)

// Post is an article.
type Post struct {
	bun.BaseModel `bun:"table:posts,alias:p"`

	ID             int64      `bun:"id,pk,autoincrement"`
	Slug           string     `bun:"slug"`
	Title          string     `bun:"title"`
	Summary        string     `bun:"summary"`
	BodyMD         string     `bun:"body_md"`
	BodyHTML       string     `bun:"body_html"`
	BodyText       string     `bun:"body_text"`
	Author         string     `bun:"author"`
	Tags           []string   `bun:"tags,array"`
	Status         string     `bun:"status"`
	PublishedAt    *time.Time `bun:"published_at"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	ReadingMinutes int        `bun:"reading_minutes"`
	Likes          int        `bun:"likes"`
	Views          int        `bun:"views"`
	// The cover picture (migration 0033): one of the therapist's pictures,
	// with the article's own alt text. CoverName, CoverWidth and
	// CoverHeight come from the picture (coverColumns), for the page.
	CoverID     *int64 `bun:"cover_media_id"`
	CoverAlt    string `bun:"cover_alt"`
	CoverName   string `bun:"cover_name,scanonly"`
	CoverWidth  int    `bun:"cover_width,scanonly"`
	CoverHeight int    `bun:"cover_height,scanonly"`
}

// HasCover reports whether the post has a cover picture to show.
func (p Post) HasCover() bool { return p.CoverName != "" }

// coverColumns are the cover picture's name and size, for a select from
// posts AS p.
const coverColumns = `(SELECT m.name FROM media AS m WHERE m.id = p.cover_media_id) AS cover_name,
	(SELECT m.width FROM media AS m WHERE m.id = p.cover_media_id) AS cover_width,
	(SELECT m.height FROM media AS m WHERE m.id = p.cover_media_id) AS cover_height`

// Published is the post's publication time (zero for a draft).
func (p Post) Published() time.Time {
	if p.PublishedAt == nil {
		return time.Time{}
	}
	return *p.PublishedAt
}

// Modified is when the post last changed, for feeds and sitemaps: its
// update time, but never before its publication.
func (p Post) Modified() time.Time {
	if p.UpdatedAt.Before(p.Published()) {
		return p.Published()
	}
	return p.UpdatedAt
}

// visible limits a query to posts the public may see: not drafts, and not
// scheduled ones before their time.
func visible(q *bun.SelectQuery) *bun.SelectQuery {
	return q.Where("p.status <> 'draft'").Where("p.published_at <= now()")
}

// listColumns are what a list of posts shows (no bodies).
var listColumns = []string{"id", "slug", "title", "summary", "author", "tags", "status",
	"published_at", "updated_at", "reading_minutes", "likes", "views", "cover_media_id", "cover_alt"}

// PostPage is one page of a list of posts.
type PostPage struct {
	Posts []Post
	More  bool // there is a next page
}

// ListPosts returns page (from 1) of the public posts, newest first,
// perPage at a time, only those tagged tag if tag is not empty.
func ListPosts(ctx context.Context, idb bun.IDB, tag string, page, perPage int) (PostPage, error) {
	var posts []Post
	q := idb.NewSelect().Model(&posts).Column(listColumns...).ColumnExpr(coverColumns).
		OrderExpr("p.published_at DESC, p.id DESC").
		Limit(perPage + 1).Offset((page - 1) * perPage)
	q = visible(q)
	if tag != "" {
		q = q.Where("? = ANY(p.tags)", tag)
	}
	if err := q.Scan(ctx); err != nil {
		return PostPage{}, err
	}
	return pageOf(posts, perPage), nil
}

func pageOf(posts []Post, perPage int) PostPage {
	if len(posts) > perPage {
		return PostPage{Posts: posts[:perPage], More: true}
	}
	return PostPage{Posts: posts}
}

// SearchHit is a post found by a search, with a snippet of plain text around
// the matches; the matched words are between SnippetStart and SnippetEnd.
type SearchHit struct {
	Post
	Snippet string  `bun:"snippet"`
	Rank    float64 `bun:"rank"`
}

// Snippet markers: private-use characters that cannot come from a form, so
// the view can escape the snippet and then turn them into <mark>.
const (
	SnippetStart = "\ue000"
	SnippetEnd   = "\ue001"
)

// SearchPage is one page of search results.
type SearchPage struct {
	Hits []SearchHit
	More bool
}

// SearchPosts finds public posts matching query (web search syntax: words,
// "quoted phrases", or, -not), best matches first: title counts most, then
// summary and tags, then body. Any query is answered: it is cleaned first
// (searchQuery), and one PostgreSQL still finds too complex is nothing found
// rather than an error (see tooComplex).
func SearchPosts(ctx context.Context, idb bun.IDB, query string, page, perPage int) (SearchPage, error) {
	query = searchQuery(query)
	if query == "" {
		return SearchPage{}, nil
	}
	rest, prefix := lastWordPrefix(query)
	var hits []SearchHit
	err := idb.NewRaw(`
		SELECT `+strings.Join(prefixed("p.", listColumns), ", ")+`, `+coverColumns+`,
			ts_rank_cd(p.search, q, 1) AS rank,
			ts_headline('english', p.summary || ' ' || p.body_text, q,
				'StartSel=`+SnippetStart+`, StopSel=`+SnippetEnd+`, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "') AS snippet
		FROM posts AS p, (SELECT CASE WHEN ? = '' THEN websearch_to_tsquery('english', ?)
			ELSE websearch_to_tsquery('english', ?) && to_tsquery('english', ?) END AS q) AS s
		WHERE p.search @@ q AND p.status <> 'draft' AND p.published_at <= now()
		ORDER BY rank DESC, p.published_at DESC, p.id DESC
		LIMIT ? OFFSET ?`, prefix, query, rest, prefix, perPage+1, (page-1)*perPage).Scan(ctx, &hits)
	if tooComplex(err) {
		return SearchPage{}, nil
	}
	if err != nil {
		return SearchPage{}, err
	}
	if len(hits) > perPage {
		return SearchPage{Hits: hits[:perPage], More: true}, nil
	}
	return SearchPage{Hits: hits}, nil
}

// lastWordPrefix splits a search into the words before the last and a
// to_tsquery prefix term for the last ("massa" → "massa:*"), so that
// searching as one types finds "massage" before the word is complete. The
// term is made of letters and digits only (safe in to_tsquery's syntax);
// with quotes (a phrase), a trailing operator or no plain last word, prefix
// is "" and the search is the query as written; so too with "or" in it.
func lastWordPrefix(query string) (rest, prefix string) {
	words := strings.Fields(query)
	if len(words) == 0 || strings.ContainsRune(query, '"') || slices.ContainsFunc(words, func(w string) bool {
		return strings.EqualFold(w, "or") // "a b or c" is a & (b | c): left to websearch_to_tsquery
	}) {
		return query, ""
	}
	last := words[len(words)-1]
	if strings.IndexFunc(last, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) >= 0 {
		return query, ""
	}
	return strings.Join(words[:len(words)-1], " "), last + ":*"
}

func prefixed(prefix string, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = prefix + c
	}
	return out
}

// ErrMoved is returned by PostBySlug when slug is a post's former slug; the
// returned post carries the current one.
var ErrMoved = errors.New("post has a new slug")

// PostBySlug returns the public post with slug. If slug is one the post had
// before, it returns the post and ErrMoved; unknown or not public:
// sql.ErrNoRows.
func PostBySlug(ctx context.Context, idb bun.IDB, slug string) (Post, error) {
	var p Post
	err := visible(idb.NewSelect().Model(&p).ColumnExpr("?TableColumns").ColumnExpr(coverColumns)).
		Where("p.slug = ?", slug).Scan(ctx)
	if !errors.Is(err, sql.ErrNoRows) {
		return p, err
	}
	err = visible(idb.NewSelect().Model(&p).Column(listColumns...)).
		Where("p.id = (SELECT post_id FROM post_old_slugs WHERE slug = ?)", slug).Scan(ctx)
	if err != nil {
		return p, err
	}
	return p, ErrMoved
}

// RelatedPosts returns up to n public posts other than p: those sharing
// most tags with it first, then the most recent.
func RelatedPosts(ctx context.Context, idb bun.IDB, p Post, n int) ([]Post, error) {
	var posts []Post
	q := idb.NewSelect().Model(&posts).Column(listColumns...).ColumnExpr(coverColumns).
		Where("p.id <> ?", p.ID).
		OrderExpr("cardinality(ARRAY(SELECT unnest(p.tags) INTERSECT SELECT unnest(?::text[]))) DESC", pgdialect.Array(p.Tags)).
		OrderExpr("p.published_at DESC, p.id DESC").
		Limit(n)
	err := visible(q).Scan(ctx)
	return posts, err
}

// LatestPosts returns the n newest public posts.
func LatestPosts(ctx context.Context, idb bun.IDB, n int) ([]Post, error) {
	page, err := ListPosts(ctx, idb, "", 1, n)
	return page.Posts, err
}

// AllPublicPosts returns every public post with its body, newest first, for
// the feed and the sitemap.
func AllPublicPosts(ctx context.Context, idb bun.IDB) ([]Post, error) {
	var posts []Post
	err := visible(idb.NewSelect().Model(&posts).ColumnExpr("?TableColumns").ColumnExpr(coverColumns)).
		OrderExpr("p.published_at DESC, p.id DESC").Scan(ctx)
	return posts, err
}

// TagCount is a tag and how many public posts carry it.
type TagCount struct {
	Tag   string `bun:"tag"`
	Count int    `bun:"count"`
}

// PublicTags lists the tags of public posts, most used first.
func PublicTags(ctx context.Context, idb bun.IDB) ([]TagCount, error) {
	var tags []TagCount
	err := idb.NewRaw(`
		SELECT t AS tag, count(*) AS count
		FROM posts AS p, unnest(p.tags) AS t
		WHERE p.status <> 'draft' AND p.published_at <= now()
		GROUP BY t ORDER BY count(*) DESC, t`).Scan(ctx, &tags)
	return tags, err
}

// AddLike counts one more like for the post and returns the new count.
func AddLike(ctx context.Context, idb bun.IDB, postID int64) (int, error) {
	var likes int
	err := idb.NewRaw("UPDATE posts SET likes = likes + 1 WHERE id = ? RETURNING likes", postID).Scan(ctx, &likes)
	return likes, err
}

// SavePost inserts p, or updates the post with p's slug, and returns its id.
// Seeding calls it again for every file, so a re-run updates and never
// duplicates; counts (likes, views) are kept. Nil Tags are saved as no tags
// (the column is NOT NULL, and bun writes a nil slice as NULL).
func SavePost(ctx context.Context, idb bun.IDB, p *Post) error {
	if p.Tags == nil {
		p.Tags = []string{}
	}
	_, err := idb.NewInsert().Model(p).
		ExcludeColumn("id", "created_at", "likes", "views").
		On("CONFLICT (slug) DO UPDATE").
		Set("title = EXCLUDED.title, summary = EXCLUDED.summary, body_md = EXCLUDED.body_md").
		Set("body_html = EXCLUDED.body_html, body_text = EXCLUDED.body_text, author = EXCLUDED.author").
		Set("tags = EXCLUDED.tags, status = EXCLUDED.status, published_at = EXCLUDED.published_at").
		Set("reading_minutes = EXCLUDED.reading_minutes").
		Set("updated_at = CASE WHEN (p.title, p.summary, p.body_md, p.author, p.tags, p.status, p.published_at) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.summary, EXCLUDED.body_md, EXCLUDED.author, EXCLUDED.tags, EXCLUDED.status, EXCLUDED.published_at) THEN now() ELSE p.updated_at END").
		Returning("id").
		Exec(ctx)
	return err
}

// RenamePost gives the post a new slug and keeps the old one as a redirect.
func RenamePost(ctx context.Context, idb bun.IDB, postID int64, newSlug string) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var old string
		if err := tx.NewRaw("SELECT slug FROM posts WHERE id = ? FOR UPDATE", postID).Scan(ctx, &old); err != nil {
			return err
		}
		if old == newSlug {
			return nil
		}
		if _, err := tx.NewRaw("DELETE FROM post_old_slugs WHERE slug = ?", newSlug).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw("UPDATE posts SET slug = ?, updated_at = now() WHERE id = ?", newSlug, postID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewRaw(`INSERT INTO post_old_slugs (slug, post_id) VALUES (?, ?)
			ON CONFLICT (slug) DO UPDATE SET post_id = EXCLUDED.post_id`, old, postID).Exec(ctx)
		return err
	})
}

// PostSlug returns the current slug of the post with id.
func PostSlug(ctx context.Context, idb bun.IDB, id int64) (string, error) {
	var slug string
	err := idb.NewRaw("SELECT slug FROM posts WHERE id = ?", id).Scan(ctx, &slug)
	return slug, err
}
