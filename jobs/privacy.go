package jobs

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// HealthRetentionArgs is the daily job that erases health answers and notes the retention setting no longer
// allows (db.EraseOldHealthAnswers).
type HealthRetentionArgs struct{}

// Kind names the job in River's table.
func (HealthRetentionArgs) Kind() string { return "health_retention" }

// ApplyRetention enqueues, in tx, a run of the retention job now: a retention period just shortened applies
// at once rather than the next day.
func (q *Queue) ApplyRetention(ctx context.Context, tx bun.Tx) error {
	return q.insert(ctx, tx, HealthRetentionArgs{}, nil)
}

type healthRetentionWorker struct {
	river.WorkerDefaults[HealthRetentionArgs]
	q *Queue
}

func (w *healthRetentionWorker) Work(ctx context.Context, _ *river.Job[HealthRetentionArgs]) error {
	n, err := db.EraseOldHealthAnswers(ctx, w.q.db, w.q.now())
	if n > 0 {
		w.q.log.Info("old health answers erased", slog.Int64("bookings", n))
	}
	if err != nil {
		return err
	}
	// Treatment notes have their own, longer retention (years after the
	// client's last visit).
	notes, err := db.EraseOldNotes(ctx, w.q.db, w.q.now())
	if notes > 0 {
		w.q.log.Info("old treatment notes erased", slog.Int64("notes", notes))
	}
	return err
}
