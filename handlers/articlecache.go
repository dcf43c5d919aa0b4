package handlers

import (
	"context"
	"html/template"
	"sync"
	"sync/atomic"

	"dynamicmotion/cache"
	"dynamicmotion/db"
)

// maxCachedArticles bounds the article cache; past it the cache starts
// afresh (a practice's blog has far fewer articles than this).
const maxCachedArticles = 1000

// article is a public article as its page shows it, kept for cache.TTL: the
// post, or where a former slug points, and the related articles. Views and
// likes counted on this instance while it is kept are added to its copy, so
// a reader sees their own view and like at once.
type article struct {
	post    db.Post
	moved   bool // the slug asked for is a former one; post has the current slug
	related []db.Post
	share   []shareLink

	// comments is the newest page of comments (db.CommentThreads), oldest
	// first; earlier is the next older page's cursor (0: none), count the
	// visible comments in all. Never the whole thread: a post costs the
	// same on a long one.
	comments  []db.Comment
	earlier   int64
	count     int
	lastEvent int64 // the newest comment event when comments were read

	views atomic.Int64 // the post's views, as loaded plus counted since
	likes atomic.Int64 // the post's likes, as loaded or last written

	// The comment list as every visitor without comments of their own sees
	// it, rendered by the first such view of this copy.
	threadsOnce sync.Once
	threadsHTML template.HTML
	threadsErr  error
}

// sharedThreads returns the shared comment list, rendering it with render
// the first time. A new comment or edit replaces the whole article copy, and
// with it this list.
func (a *article) sharedThreads(render func() (template.HTML, error)) (template.HTML, error) {
	a.threadsOnce.Do(func() { a.threadsHTML, a.threadsErr = render() })
	return a.threadsHTML, a.threadsErr
}

// articleCache keeps articles by slug. Unknown slugs are not kept.
type articleCache struct {
	load func(ctx context.Context, slug string) (*article, error)

	mu     sync.Mutex
	bySlug map[string]*cache.Value[*article]
}

func newArticleCache(load func(ctx context.Context, slug string) (*article, error)) *articleCache {
	return &articleCache{load: load, bySlug: map[string]*cache.Value[*article]{}}
}

// get returns the article for slug, read from the database at most once
// per cache.TTL for every slug.
func (a *articleCache) get(ctx context.Context, slug string) (*article, error) {
	a.mu.Lock()
	c := a.bySlug[slug]
	if c == nil {
		if len(a.bySlug) >= maxCachedArticles {
			a.bySlug = map[string]*cache.Value[*article]{}
		}
		c = cache.New(cache.TTL, func(ctx context.Context) (*article, error) { return a.load(ctx, slug) })
		a.bySlug[slug] = c
	}
	a.mu.Unlock()

	art, err := c.Get(ctx)
	if err != nil && !c.HasValue() {
		// Not found (or the database is down): keep nothing for this slug,
		// so that made-up addresses cannot fill the cache.
		a.mu.Lock()
		if a.bySlug[slug] == c {
			delete(a.bySlug, slug)
		}
		a.mu.Unlock()
	}
	return art, err
}

// invalidate makes every article be read again: after a comment or an edit
// here, and when another instance announces a comment event.
func (a *articleCache) invalidate() {
	a.mu.Lock()
	a.bySlug = map[string]*cache.Value[*article]{}
	a.mu.Unlock()
}
