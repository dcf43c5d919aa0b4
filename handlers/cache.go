package handlers

import (
	"context"
	"sync"
	"time"
)

// cacheTTL is how long facts that change rarely (the practice's details, its
// services) are reused before they are read again. An edit on this instance
// drops its copy at once; other instances see it within cacheTTL.
const cacheTTL = 5 * time.Second

// cached holds one value loaded from the database and reused for ttl. Loads
// are serialised: when the copy is stale, one request reads it and the
// others wait for that read instead of reading it too.
type cached[T any] struct {
	load func(context.Context) (T, error)
	ttl  time.Duration

	mu     sync.Mutex
	val    T
	loaded time.Time
}

func newCached[T any](ttl time.Duration, load func(context.Context) (T, error)) *cached[T] {
	return &cached[T]{load: load, ttl: ttl}
}

// get returns the cached value, loading it if it is missing or stale. A
// failed load is not cached, so the next request tries again.
func (c *cached[T]) get(ctx context.Context) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded.IsZero() && time.Since(c.loaded) < c.ttl {
		return c.val, nil
	}
	v, err := c.load(ctx)
	if err != nil {
		return v, err
	}
	c.val, c.loaded = v, time.Now()
	return v, nil
}

// invalidate drops the copy; the next get reads the database.
func (c *cached[T]) invalidate() {
	c.mu.Lock()
	c.loaded = time.Time{}
	c.mu.Unlock()
}
