// Package handlers holds the site's HTTP layer: every route (routes.go), the
// middleware, the one error handler, and a handler per page or action.
//
// Handlers parse and check input, call db/ and the pure packages, and render
// a view. They hold no SQL.
package handlers

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/cache"
	"dynamicmotion/clock"
	"dynamicmotion/config"
	"dynamicmotion/db"
	"dynamicmotion/jobs"
	"dynamicmotion/live"
	"dynamicmotion/pagecache"
	"dynamicmotion/static"
	"dynamicmotion/views"
)

// Handler holds what the handlers need. Create it with New; it is safe for
// concurrent use.
type Handler struct {
	cfg      config.Config
	db       *bun.DB
	views    *views.Renderer
	assets   *static.Assets
	sessions *scs.SessionManager
	log      *slog.Logger
	// now is the one clock (package clock): every decision by the time of
	// day reads it, so that tests choose the instant they run at.
	now clock.Clock
	// jobs enqueues e-mail in the transactions that cause them.
	jobs *jobs.Queue
	// desk applies the booking rules (holds, bookings, moves, cancelling,
	// the waitlist, hours): the booking handlers parse, call it, render.
	desk *booking.Desk
	// facts are what pages show that changes rarely (pages.go).
	facts facts
	// Articles by slug, reused for cache.TTL, and their views, written in
	// batches.
	articles  *articleCache
	viewCount *viewCounter
	// pages are the public pages as every visitor without a session gets
	// them (shared.go), kept until contentVersion or a comment moves on.
	pages          *pagecache.Store
	contentVersion atomic.Int64
	liveMu         sync.Mutex
	liveSince      time.Time // the last check for scheduled articles that went live

	// Live comments: events from every instance, through PostgreSQL.
	hub *live.Hub
	// limits are the rate limits on what visitors send (limits.go).
	limits      limits
	streams     streamCounts         // open live streams by client address
	heartbeat   time.Duration        // how often an idle stream gets a keep-alive (heartbeatEvery; tests shorten it)
	replayLimit int                  // events a reconnecting reader may catch up on (replayLimit; tests lower it)
	adminStamp  *cache.Value[string] // the credentialStamp of the therapist's password
	// secretPrefixes are the beginnings of the addresses that hold a
	// secret, which a trailing slash does not redirect (set by Echo).
	secretPrefixes []string
	// The site's own secret keys (see siteKey), read once.
	keysMu sync.Mutex
	keys   map[string][]byte
	// done is closed when the server starts shutting down, so that
	// long-lived responses (event streams) end and the drain can finish.
	done <-chan struct{}
	// Work that takes much memory for a moment, a few at a time: argon2id
	// password checks (19 MiB each) and decoding an uploaded picture (a
	// few hundred MB for a large photo).
	passwordChecks chan struct{}
	preparing      chan struct{}
	dummyHash      func() string // see newDummyHash
}

// Deps are the parts a Handler is built from.
type Deps struct {
	Config   config.Config
	DB       *bun.DB
	Views    *views.Renderer
	Assets   *static.Assets
	Sessions *scs.SessionManager
	Log      *slog.Logger
	Done     <-chan struct{}
	// Jobs is the job queue (package jobs); the caller starts and stops it.
	Jobs *jobs.Queue
	// DirectDB reaches PostgreSQL without a transaction pooler, for
	// LISTEN; DB when not set.
	DirectDB *bun.DB
	// Now is the clock; nil is the wall clock.
	Now clock.Clock
	// Booking applies the booking rules; nil builds one over DB, Jobs and
	// Now, and gives it to Jobs as its waitlist.
	Booking *booking.Desk
}

// New returns a Handler over d. It sets d.Sessions.ErrorFunc so that
// session store failures get the site's error page.
func New(d Deps) *Handler {
	h := &Handler{
		cfg: d.Config, db: d.DB, views: d.Views, assets: d.Assets,
		sessions: d.Sessions, log: d.Log, done: d.Done, jobs: d.Jobs, now: clock.Or(d.Now),
		heartbeat: heartbeatEvery, replayLimit: replayLimit,
	}
	h.desk = d.Booking
	if h.desk == nil {
		h.desk = booking.New(d.DB, d.Jobs, h.now)
		if d.Jobs != nil {
			d.Jobs.SetWaitlist(h.desk)
		}
	}
	h.sessions.ErrorFunc = h.sessionError
	h.facts = newFacts(d.DB)
	h.articles = newArticleCache(h.loadArticle)
	h.pages = pagecache.New(sharedTTL, sharedBytes, h.now)
	h.keys = map[string][]byte{}
	h.adminStamp = cache.New(cache.TTL, h.loadAdminStamp)
	h.limits = newLimits()
	h.passwordChecks, h.preparing, h.dummyHash = make(chan struct{}, 2), make(chan struct{}, 1), newDummyHash()
	if h.cfg.BenchNoLimits {
		// A load run (BENCH_CEILING=1 BENCH_NO_LIMITS=1, loopback only:
		// see config) posts thousands of comments and bookings from one
		// address and one session.
		h.log.Warn("BENCH_NO_LIMITS: comment and booking rate limits are lifted for a load run")
		h.limits.liftForLoadRun()
	}
	direct := d.DirectDB
	if direct == nil {
		direct = d.DB
	}
	h.hub = live.New(live.Config{
		DB: direct, Channel: db.CommentsChannel, Log: h.log,
		Load: h.commentEvents,
		Since: func(ctx context.Context, after int64, limit int) ([]int64, error) {
			return db.CommentEventsSince(ctx, h.db, 0, after, limit)
		},
		Signals: map[string]func(string){db.ContentChannel: h.contentSignal},
		Check:   h.checkContent,
	})
	h.viewCount = newViewCounter(func(ctx context.Context, counts map[int64]int) error {
		return db.AddViews(ctx, h.db, counts)
	}, h.log)
	return h
}

// Run runs what the handlers need in the background until ctx ends: the
// hub that hears of new comments from every instance.
func (h *Handler) Run(ctx context.Context) error {
	return h.hub.Run(ctx)
}

// Ready is closed once live comments from other instances are heard.
func (h *Handler) Ready() <-chan struct{} { return h.hub.Ready() }

// Close writes what the handlers keep in memory for the database (article
// views not yet saved). Call it after the server has drained, before the
// database pool closes.
func (h *Handler) Close(ctx context.Context) error {
	return h.viewCount.Flush(ctx)
}
