package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"dynamicmotion/db"
)

// Live comment events (db.CommentEventsSince) are kept for the replay
// window only: a reader who reconnects within it is sent what changed; one
// away longer is asked to reload the page (handlers/stream.go). They are
// pruned by a periodic job rather than on every insert, so that saving a
// comment stays one insert and a NOTIFY; between two runs the table grows
// by what the comment and edit limits allow, and the job queue always runs
// on one machine (fly.toml).
const (
	eventsKeep       = time.Hour
	eventsPruneEvery = 10 * time.Minute
)

// PruneEventsArgs is the job that deletes the live comment events older
// than the replay window, every eventsPruneEvery.
type PruneEventsArgs struct{}

// Kind names the job in River's table.
func (PruneEventsArgs) Kind() string { return "prune_comment_events" }

type pruneEventsWorker struct {
	river.WorkerDefaults[PruneEventsArgs]
	q *Queue
}

func (w *pruneEventsWorker) Work(ctx context.Context, _ *river.Job[PruneEventsArgs]) error {
	n, err := db.PruneCommentEvents(ctx, w.q.db, eventsKeep)
	if n > 0 {
		w.q.log.Debug("old live comment events pruned", slog.Int64("events", n))
	}
	return err
}
