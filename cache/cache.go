// Package cache keeps one value read from the database for a few seconds:
// the practice's details, its services, the booking rules, an article.
// Every instance keeps its own copy; an edit drops this instance's at once,
// and the others read again within their TTL.
package cache

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// TTL is how long facts that change rarely (the practice's details, its
// services, the booking rules) are reused before they are read again.
const TTL = 5 * time.Second

// loadTimeout bounds one read, whoever's request started it.
const loadTimeout = 3 * time.Second

// Value holds one value read from the database and reused for ttl.
//
// One request at a time reads; while it does, the others get the previous
// value if there is one (it is at most a few seconds old) or wait for the
// read. When a read fails, the previous value keeps being served and the
// next request tries again, unless the read found the thing gone
// (sql.ErrNoRows: an article unpublished on another instance, say): then
// the value is forgotten and the error is the answer. A read is not tied to the request that started
// it: a visitor who leaves does not fail the others waiting.
type Value[T any] struct {
	load func(context.Context) (T, error)
	ttl  time.Duration

	mu      sync.Mutex
	val     T
	has     bool
	loaded  time.Time
	gen     uint64        // bumped by invalidate
	reading chan struct{} // closed when the current read ends; nil if none
	lastErr error         // the last read's error, for waiters with no value
}

// New returns a Value that load reads, reused for ttl.
func New[T any](ttl time.Duration, load func(context.Context) (T, error)) *Value[T] {
	return &Value[T]{load: load, ttl: ttl}
}

// Get returns the cached value, reading it when it is missing or stale.
func (c *Value[T]) Get(ctx context.Context) (T, error) {
	for {
		c.mu.Lock()
		if c.has && time.Since(c.loaded) < c.ttl {
			v := c.val
			c.mu.Unlock()
			return v, nil
		}
		if c.reading == nil {
			c.reading = make(chan struct{})
			go c.read(c.reading, c.gen)
		}
		if c.has { // stale: serve it while the read runs
			v := c.val
			c.mu.Unlock()
			return v, nil
		}
		reading := c.reading
		c.mu.Unlock()

		select {
		case <-reading:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		c.mu.Lock()
		v, has, err := c.val, c.has, c.lastErr
		c.mu.Unlock()
		if has || err != nil {
			return v, err
		}
		// The read began before a drop and was not kept: read again.
	}
}

func (c *Value[T]) read(done chan struct{}, gen uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	v, err := c.load(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = nil
	close(done)
	c.lastErr = err
	switch {
	case err == nil && gen == c.gen: // a read begun before an edit is not kept
		c.val, c.has, c.loaded = v, true, time.Now()
	case errors.Is(err, sql.ErrNoRows):
		var zero T
		c.val, c.has, c.loaded = zero, false, time.Time{}
	}
}

// HasValue reports whether a value has ever been read.
func (c *Value[T]) HasValue() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.has
}

// Invalidate makes the next get read the database; until that read is done
// the previous value may still be served.
func (c *Value[T]) Invalidate() {
	c.mu.Lock()
	c.loaded = time.Time{}
	c.gen++
	c.mu.Unlock()
}

// Drop forgets the value: the next get reads the database and waits for
// that read, so the request right after an edit on this instance sees it
// (Invalidate may still serve the previous value once).
func (c *Value[T]) Drop() {
	c.mu.Lock()
	var zero T
	c.val, c.has, c.loaded = zero, false, time.Time{}
	c.gen++
	c.mu.Unlock()
}
