package booking

import (
	"context"
	"sync"
	"time"

	"dynamicmotion/db"
)

// A page that only reads the diary (the picker) asks for the rules and for
// free times a few times over; each would read the diary's version again.
// ReadOnce lets them share one read: what they answer is then exactly what
// they would have answered at the instant of that read. Only for requests
// that change nothing: after a change in the same request, the version read
// before it would be out of date.

type versionKey struct{}

type versionRead struct {
	once    sync.Once
	version int64
	err     error
}

// ReadOnce returns a context in which the diary's version is read at most
// once, for a request that only reads.
func ReadOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, versionKey{}, &versionRead{})
}

// diaryState is db.DiaryState, sharing one read of the version within a
// ReadOnce context when no visitor's hold is asked about.
func (d *Desk) diaryState(ctx context.Context, owner []byte, now time.Time) (int64, bool, error) {
	r, ok := ctx.Value(versionKey{}).(*versionRead)
	if owner != nil || !ok {
		return db.DiaryState(ctx, d.db, owner, now)
	}
	r.once.Do(func() { r.version, _, r.err = db.DiaryState(ctx, d.db, nil, now) })
	return r.version, false, r.err
}
