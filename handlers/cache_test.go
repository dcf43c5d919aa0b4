package handlers

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestCachedReusesValueUntilStaleOrInvalidated(t *testing.T) {
	loads := 0
	c := newCached(time.Hour, func(context.Context) (int, error) { loads++; return loads, nil })
	ctx := context.Background()
	for range 3 {
		if v, _ := c.get(ctx); v != 1 {
			t.Fatalf("get = %d, want the first load's value 1 reused", v)
		}
	}
	c.invalidate()
	if v, _ := c.get(ctx); v != 2 {
		t.Errorf("after invalidate get = %d, want a fresh load (2)", v)
	}

	short := newCached(time.Millisecond, func(context.Context) (int, error) { loads++; return loads, nil })
	first, _ := short.get(ctx)
	time.Sleep(5 * time.Millisecond)
	if v, _ := short.get(ctx); v == first {
		t.Errorf("a stale value (%d) was served after its TTL", v)
	}
}

func TestCachedDoesNotKeepFailures(t *testing.T) {
	fail := true
	c := newCached(time.Hour, func(context.Context) (string, error) {
		if fail {
			return "", errors.New("database down")
		}
		return "ok", nil
	})
	if _, err := c.get(context.Background()); err == nil {
		t.Fatal("get hid the load error")
	}
	fail = false
	if v, err := c.get(context.Background()); err != nil || v != "ok" {
		t.Errorf("after the database came back get = %q, %v; want a fresh load", v, err)
	}
}

func TestCachedLoadsOnceForConcurrentReaders(t *testing.T) {
	var mu sync.Mutex
	loads := 0
	c := newCached(time.Hour, func(context.Context) (int, error) {
		mu.Lock()
		loads++
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		return 7, nil
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { c.get(context.Background()) })
	}
	wg.Wait()
	if loads != 1 {
		t.Errorf("20 concurrent readers caused %d loads, want 1", loads)
	}
}
