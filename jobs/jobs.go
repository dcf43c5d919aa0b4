// Package jobs is the site's background work: sending e-mail, reminding clients of their appointments, offering
// freed times to the waitlist. It runs on River (github.com/riverqueue/river), a job queue whose jobs are rows in
// the site's own PostgreSQL.
//
// Work is enqueued inside the transaction of the change that causes it (a booking, a move, a cancellation), so a
// change that rolls back leaves no job behind, and a change that commits always has its job. Every e-mail is
// first written to the outbox table (db.OutboxMessage) in that same transaction, then sent by a job with retries
// and backoff; the outbox records the outcome for the therapist, and keeps the messages to read in development,
// where no mail server is configured.
//
// River gets its own small pool of connections (pgx through database/sql, on the direct database URL): its leader
// election, which schedules retries and future jobs, does not work through bun's pgdriver. Jobs are inserted
// through bun's own transaction (*sql.Tx), which River's database/sql driver accepts.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"path"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for River's own pool
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/emails"
	"dynamicmotion/mail"
)

// Config is what a Queue is built from.
type Config struct {
	// DB is the site's pool, for the site's own tables.
	DB *bun.DB
	// DSN is where River's own connections go: the direct database URL.
	DSN string
	// Sender sends mail; nil keeps every message in the outbox (development).
	Sender mail.Sender
	// Practice says what messages say about the practice (name, contact details, site address), read when a
	// message is written, through idb: the transaction the message is written in. Reading it through the pool
	// instead would take a second connection while the transaction holds one (and perhaps locks that other
	// requests wait on): with every connection so held, the site stalls until the read timeout.
	Practice func(ctx context.Context, idb bun.IDB) (emails.Practice, error)
	Log      *slog.Logger

	// Tests shorten these; zero values are the production defaults.
	PollInterval time.Duration           // how often idle workers look for new jobs (1 s)
	RetryPolicy  river.ClientRetryPolicy // cappedRetry: attempt⁴ seconds, at most 10 minutes apart
	MaxAttempts  int                     // 450: about three days of retries before a message counts as failed
	OrderWait    time.Duration           // how long a message waits for an earlier one to the same person (15 s)

	// Now is the clock that decides what is due (reminders, offers, what a message still says); nil is the wall
	// clock. River itself runs on the wall clock: see Queue.when.
	Now clock.Clock
}

// retryCeiling is the longest wait between two tries of a job: a message
// held up by a mail server that was away goes out within minutes of its
// return, not hours (River's own policy waits attempt⁴ seconds, which
// after a few hours of outage is hours).
const retryCeiling = 10 * time.Minute

// cappedRetry waits attempt⁴ seconds before the next try, at most
// retryCeiling, with up to 10% jitter so that many jobs do not retry at the
// same instant.
type cappedRetry struct{}

// NextRetry implements river.ClientRetryPolicy. River schedules on the wall
// clock (see Queue.when), so the retry is counted from it.
func (cappedRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(retryWait(len(job.Errors)+1, rand.Float64()))
}

// retryWait is the wait before the next try after attempt tries, jitter in [0, 1).
func retryWait(attempt int, jitter float64) time.Duration {
	wait := retryCeiling
	if attempt < 30 { // past that, attempt⁴ seconds is long past the ceiling
		if w := time.Duration(attempt*attempt*attempt*attempt) * time.Second; w < wait {
			wait = w
		}
	}
	return wait - time.Duration(float64(wait)*0.1*jitter)
}

// Queue enqueues and works the site's jobs. Create it with New; it is safe for concurrent use.
type Queue struct {
	cfg    Config
	db     *bun.DB
	pool   *sql.DB
	client *river.Client[*sql.Tx]
	log    *slog.Logger
	now    clock.Clock
	// waitlist is run by the waitlist workers (SetWaitlist).
	waitlist Waitlist
}

// New opens River's pool and builds the client; nothing runs until Start, but jobs can be enqueued at once.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 450
	}
	now := clock.Or(cfg.Now)
	if cfg.RetryPolicy == nil {
		cfg.RetryPolicy = cappedRetry{}
	}
	if cfg.OrderWait == 0 {
		cfg.OrderWait = 15 * time.Second
	}
	pool, err := sql.Open("pgx", pgxDSN(cfg.DSN))
	if err != nil {
		return nil, errors.New("job queue: database URL is malformed")
	}
	pool.SetMaxOpenConns(4)
	pool.SetMaxIdleConns(2)
	pool.SetConnMaxLifetime(10 * time.Minute)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("job queue: connecting to PostgreSQL: %w", err)
	}
	q := &Queue{cfg: cfg, db: cfg.DB, pool: pool, log: cfg.Log, now: now}

	workers := river.NewWorkers()
	river.AddWorker(workers, &mailWorker{q: q})
	river.AddWorker(workers, &reminderWorker{q: q})
	river.AddWorker(workers, &pruneWorker{q: q})
	river.AddWorker(workers, &healthRetentionWorker{q: q})
	river.AddWorker(workers, &replyWorker{q: q})
	river.AddWorker(workers, &digestWorker{q: q})
	river.AddWorker(workers, &waitlistOfferWorker{q: q})
	river.AddWorker(workers, &waitlistExpireWorker{q: q})
	river.AddWorker(workers, &pruneEventsWorker{q: q})
	q.client, err = river.NewClient(riverdatabasesql.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		PollOnly:          true, // database/sql has no LISTEN; idle workers poll instead
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:       cfg.RetryPolicy,
		MaxAttempts:       cfg.MaxAttempts,
		JobTimeout:        time.Minute,
		// A job cut short by a shutdown or a crash is run again after this
		// (River's default is an hour), longer than JobTimeout.
		RescueStuckJobsAfter: 3 * time.Minute,
		// River's own chatter at info level is noise in the site's log.
		Logger: slog.New(levelAtLeast{cfg.Log.Handler(), slog.LevelWarn}),
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return HealthRetentionArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			// Times freed without a cancellation (a lapsed hold, new hours) reach the waitlist too.
			river.NewPeriodicJob(river.PeriodicInterval(sweepEvery),
				func() (river.JobArgs, *river.InsertOpts) { return WaitlistOfferArgs{}, nil }, nil),
			// Live comment events past the replay window (comment_events.go).
			river.NewPeriodicJob(river.PeriodicInterval(eventsPruneEvery),
				func() (river.JobArgs, *river.InsertOpts) { return PruneEventsArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return q, nil
}

// pgxDSN adapts a database URL written for pgdriver to pgx: a Unix socket
// given as the socket file (host=/dir/.s.PGSQL.5432, as the development
// database's URL has it) becomes its directory and port, which is what pgx
// (like libpq) expects.
func pgxDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	host := q.Get("host")
	port, isSocket := strings.CutPrefix(path.Base(host), ".s.PGSQL.")
	if !strings.HasPrefix(host, "/") || !isSocket {
		return dsn
	}
	q.Set("host", path.Dir(host))
	q.Set("port", port)
	u.RawQuery = q.Encode()
	return u.String()
}

// Start starts working jobs in the background until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops taking new jobs and waits for running ones until ctx ends, then cancels them (they are retried
// later: a message whose sending was cut short is still queued), and closes River's pool.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		err = q.client.StopAndCancel(hard)
	}
	q.pool.Close()
	return err
}

// Close closes River's pool of a Queue that was never started.
func (q *Queue) Close() error { return q.pool.Close() }

// when is the wall-clock instant at which the queue's clock reads at: River
// schedules jobs on the wall clock (and PostgreSQL's), while the site
// decides by its own clock, which tests start at an instant of their
// choosing. In production the two are the same and when(at) is at.
func (q *Queue) when(at time.Time) time.Time {
	return time.Now().Add(at.Sub(q.now()))
}

// insert enqueues args in tx.
func (q *Queue) insert(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := q.client.InsertTx(ctx, tx.Tx, args, opts)
	return err
}

// completeIn marks job completed inside tx, so that what the job wrote (its
// messages) and its completion commit together: a job whose completion was
// lost (the process killed just after the commit) is not run again to send
// the same messages twice.
func completeIn[T river.JobArgs](ctx context.Context, tx bun.Tx, job *river.Job[T]) error {
	_, err := river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.Tx, job)
	return err
}

// levelAtLeast passes on records at min or above.
type levelAtLeast struct {
	slog.Handler
	min slog.Level
}

func (h levelAtLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelAtLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return levelAtLeast{h.Handler.WithAttrs(as), h.min}
}

func (h levelAtLeast) WithGroup(name string) slog.Handler {
	return levelAtLeast{h.Handler.WithGroup(name), h.min}
}
