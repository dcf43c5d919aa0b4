package handlers

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// viewFlushDelay is how long views are gathered in memory before they are
// written: a burst of readers costs one UPDATE, not one each.
const viewFlushDelay = time.Second

// viewCounter gathers article views in memory and adds them to the database
// in batches, a second after the first view of a batch. Counts that fail to
// be written are kept for the next batch; Flush writes what is left when the
// server stops. A hard crash loses at most a second of views, which for a
// view counter is an honest trade for not serialising every reader on the
// article's row.
type viewCounter struct {
	write func(context.Context, map[int64]int) error
	log   *slog.Logger

	mu        sync.Mutex
	pending   map[int64]int
	scheduled bool
	flushing  sync.Mutex // one write at a time, so batches do not overtake
}

func newViewCounter(write func(context.Context, map[int64]int) error, log *slog.Logger) *viewCounter {
	return &viewCounter{write: write, log: log, pending: map[int64]int{}}
}

// add counts one view of post id.
func (v *viewCounter) add(id int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pending[id]++
	if !v.scheduled {
		v.scheduled = true
		time.AfterFunc(viewFlushDelay, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := v.Flush(ctx); err != nil {
				v.log.Warn("view counts not saved yet; retrying with the next batch", slog.Any("err", err))
			}
		})
	}
}

// Flush writes the views gathered so far. On failure they stay pending.
func (v *viewCounter) Flush(ctx context.Context) error {
	v.flushing.Lock()
	defer v.flushing.Unlock()

	v.mu.Lock()
	batch := v.pending
	v.pending = map[int64]int{}
	v.scheduled = false
	v.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := v.write(ctx, batch)
	if err != nil {
		v.mu.Lock()
		for id, n := range v.pending {
			batch[id] += n
		}
		v.pending = batch
		v.mu.Unlock()
	}
	return err
}

// pendingViews returns a copy of the counts not yet written, for tests.
func (v *viewCounter) pendingViews() map[int64]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.pending)
}
