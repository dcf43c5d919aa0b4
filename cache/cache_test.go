package cache

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// counter is a load function that returns how many times it ran.
func counter(n *atomic.Int64) func(context.Context) (int64, error) {
	return func(context.Context) (int64, error) { return n.Add(1), nil }
}

// The cache is pure Go: its tests run in a synctest bubble, where time is
// the bubble's own (a Sleep passes at once, exactly) and synctest.Wait
// returns once the background read is done.

// age lets d go by on the bubble's clock, at once and exactly: the cache's
// age against its TTL is what these tests are about, so time itself must
// pass; nothing else is waited for this way.
func age(d time.Duration) { time.Sleep(d) }

// settled waits for the background read get started, then expects want.
func settled[T comparable](t *testing.T, c *Value[T], want T) {
	t.Helper()
	c.Get(context.Background())
	synctest.Wait()
	if got, _ := c.Get(context.Background()); got != want {
		t.Fatalf("get = %v, want %v after the background read", got, want)
	}
}

func TestCachedReusesValueUntilStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		c := New(time.Hour, counter(&n))
		for range 3 {
			if v, err := c.Get(context.Background()); v != 1 || err != nil {
				t.Fatalf("get = %d, %v; want the first read's value 1 reused", v, err)
			}
		}
		short := New(time.Millisecond, counter(&n))
		first, _ := short.Get(context.Background())
		age(5 * time.Millisecond)
		if v, _ := short.Get(context.Background()); v != first {
			t.Errorf("right after going stale get = %d, want the previous value %d while it is read again", v, first)
		}
		synctest.Wait()
		if v, _ := short.Get(context.Background()); v != first+1 {
			t.Errorf("after the background read get = %d, want %d", v, first+1)
		}
	})
}

func TestCachedInvalidateShowsAnEditAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		c := New(time.Hour, counter(&n))
		c.Get(context.Background())
		c.Invalidate()
		settled(t, c, 2)
	})
}

func TestCachedKeepsServingTheLastValueWhenAReadFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		c := New(time.Millisecond, func(context.Context) (string, error) {
			if fail.Load() {
				return "", errors.New("database down")
			}
			return "details", nil
		})
		if v, err := c.Get(context.Background()); v != "details" || err != nil {
			t.Fatalf("first get = %q, %v", v, err)
		}
		fail.Store(true)
		age(5 * time.Millisecond)
		for range 5 {
			if v, err := c.Get(context.Background()); v != "details" || err != nil {
				t.Errorf("with the database down get = %q, %v; want the last good value", v, err)
			}
			age(2 * time.Millisecond)
		}
	})
}

// An article unpublished or deleted on another instance: the read finds no
// row. The copy is not served on as if the database were down.
func TestCachedForgetsAValueThatIsGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var gone atomic.Bool
		c := New(time.Millisecond, func(context.Context) (string, error) {
			if gone.Load() {
				return "", sql.ErrNoRows
			}
			return "article", nil
		})
		if v, err := c.Get(context.Background()); v != "article" || err != nil {
			t.Fatalf("first get = %q, %v", v, err)
		}
		gone.Store(true)
		age(5 * time.Millisecond)
		c.Get(context.Background()) // stale: starts the read that finds nothing
		synctest.Wait()
		if _, err := c.Get(context.Background()); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("after the row went, get still answers without sql.ErrNoRows (%v)", err)
		}
		if c.HasValue() {
			t.Error("the cache still holds the value of a row that is gone")
		}
	})
}

func TestCachedReportsAFailedFirstReadAndRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		fail.Store(true)
		c := New(time.Hour, func(context.Context) (string, error) {
			if fail.Load() {
				return "", errors.New("database down")
			}
			return "ok", nil
		})
		if _, err := c.Get(context.Background()); err == nil {
			t.Fatal("with nothing cached, a failed read must be reported")
		}
		fail.Store(false)
		if v, err := c.Get(context.Background()); v != "ok" || err != nil {
			t.Errorf("after the database came back get = %q, %v; want a fresh read", v, err)
		}
	})
}

func TestCachedReadsOnceForConcurrentRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		c := New(time.Hour, func(context.Context) (int64, error) {
			age(20 * time.Millisecond)
			return n.Add(1), nil
		})
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if v, err := c.Get(context.Background()); v != 1 || err != nil {
					t.Errorf("get = %d, %v; want 1", v, err)
				}
			})
		}
		wg.Wait()
		if n.Load() != 1 {
			t.Errorf("20 concurrent requests caused %d reads, want 1", n.Load())
		}
	})
}

func TestCachedReadSurvivesTheRequestThatStartedIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New(time.Hour, func(ctx context.Context) (string, error) {
			select {
			case <-time.After(30 * time.Millisecond):
				return "ok", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})
		gone, cancel := context.WithCancel(context.Background())
		go func() { age(5 * time.Millisecond); cancel() }()
		if _, err := c.Get(gone); !errors.Is(err, context.Canceled) {
			t.Errorf("the visitor who left got %v, want context.Canceled", err)
		}
		if v, err := c.Get(context.Background()); v != "ok" || err != nil {
			t.Errorf("another visitor got %q, %v; want the read to have carried on", v, err)
		}
	})
}

// After drop, the very next get waits for a new read: never the old value,
// even when a read begun before the drop is still running.
func TestCachedDropShowsAnEditOnTheNextRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		c := New(time.Hour, counter(&n))
		c.Get(context.Background())
		c.Drop()
		if v, err := c.Get(context.Background()); v != 2 || err != nil {
			t.Errorf("get after drop = %d, %v; want the new read's 2", v, err)
		}

		release := make(chan struct{})
		var reads atomic.Int64
		slow := New(time.Millisecond, func(context.Context) (int64, error) {
			if reads.Add(1) == 2 {
				<-release // the read begun before the drop
			}
			return reads.Load(), nil
		})
		slow.Get(context.Background())
		age(3 * time.Millisecond)
		slow.Get(context.Background()) // stale: starts read 2 and serves 1
		slow.Drop()
		got := make(chan int64)
		go func() { v, _ := slow.Get(context.Background()); got <- v }()
		synctest.Wait() // it waits for a read of its own
		close(release)
		if v := <-got; v != 3 {
			t.Errorf("get after drop during a read = %d, want 3 (a read begun after the drop)", v)
		}
	})
}
