// Package live fans events announced through PostgreSQL LISTEN/NOTIFY out to
// in-process subscribers grouped by topic. The site uses it for live comments:
// every instance of the site runs one Hub on the same database, and every
// Server-Sent Events connection subscribes to the topic of its article.
//
// # Flow
//
// The writer inserts a row into an events table (id bigint identity) and, in
// the same transaction, NOTIFYs Config.Channel with the row's id as decimal
// text. PostgreSQL delivers the notification only if the transaction commits,
// and to every listening instance.
//
// Each Hub owns one pgdriver.Listener (a dedicated connection built from the
// pool's settings, so the pool must be a direct connection, not a
// transaction-mode PgBouncer) and one goroutine, Run, which does everything
// else: it reads the listener's channel, batches the ids that are immediately
// available (up to 100), drops the ones it has already handled, calls
// Config.Load once for the batch (never once per subscriber), and hands each
// event to the subscribers of its topic with a non-blocking send. A subscriber
// whose buffer is full is dropped: its channel is closed and Dropped reports
// true, so the SSE handler ends the stream and the browser reconnects with
// Last-Event-ID (the handler replays from the table). There is no goroutine
// per subscriber.
//
// # Coalescing
//
// Events about one thing (the same non-zero Event.Key: a comment) reach
// subscribers at most once per Config.Coalesce (1 s): the first at once, and
// those that come sooner after it are held back, each replacing the one held
// before it, until the interval is up; then the latest is sent. A burst of
// edits to a comment is one update a second for every reader, not one per
// edit. Urgent events (a new comment) are never held back, and do not
// count as the key's last: the first edit of a new comment goes at once. An
// urgent event replaces what its key had held. Holding is per instance, in Run's goroutine, with one
// timer for the earliest due.
//
// Because an event can be held while later ones go out, the id a reader may
// resume after is not simply the id of the last event it got: the hub sets
// Event.Resume, the highest id of the topic up to which nothing is still held
// back. A reader that reconnects after Resume is sent every comment changed
// since, as it is now, which includes whatever was held.
//
// # Catch-up: why and which ids
//
// Notifications alone are not enough: ids are taken at INSERT but
// transactions commit in any order, so an id lower than ones already seen can
// still appear; and notifications sent while the listener's connection is
// down are lost. pgdriver's Listener.Channel reconnects and re-LISTENs on its
// own without reporting the error, so the hub cannot react to the moment of
// a reconnect; it relies on a regular catch-up instead, which bounds the
// delay of a lost event to one interval. pgdriver does report a full buffer
// (notifications dropped), and then the hub catches up at once. So every
// Config.CatchUp (default 5 s), and on overflow, Run asks Config.Since for
// the ids above a floor and handles those it has not handled yet. Load
// errors leave their ids unhandled, so the next catch-up retries them.
//
// The floor is tracked by time, not by a guessed window of ids:
//
//   - The hub remembers every id it handled above the floor (the seen set), so
//     nothing is delivered twice and ids at or below the floor are ignored.
//   - After each successful catch-up (Since and every Load succeeded), it
//     records a checkpoint (now, highest id handled). Every id up to that
//     highest id had been assigned by then, because that id was committed.
//   - A checkpoint older than the settle time (one minute, or three CatchUp
//     intervals if longer) raises the floor to its id, at the end of a
//     successful catch-up: any id below it whose transaction had committed
//     has been seen by that catch-up, and one still uncommitted has been open
//     for longer than the settle time and is given up.
//   - The seen set is capped (4096 ids): if more events than that arrive
//     within the settle time, the floor is raised past the lowest ones.
//
// Each catch-up therefore reads the ids of roughly the last minute's events
// (one indexed range scan, paged by 500) and calls Load only for the ones it
// missed.
//
// # Start
//
// Run first LISTENs, to Config.Channel and to a private channel of its own on
// which it NOTIFYs itself until the notification comes back (pgdriver does
// not wait for the server's answer to LISTEN, so without this a NOTIFY just
// after Ready could be missed). It then finds the newest existing id B by
// probing Since(after, 1) (a galloping then binary search, about 2·log2(B)
// indexed queries). Events that existed before then are not broadcast: the
// ids committed in (B-1024, B] are marked handled and the floor starts at
// B-1024, so an event with an id in that range whose transaction commits
// after the start is still delivered. Ready is closed after that.
//
// # Stop
//
// When Run's context ends it closes the listener, closes every subscription's
// channel (so SSE handlers return) and returns nil. Subscribe after that
// returns a subscription whose channel is already closed.
package live

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Event is one thing to send to the subscribers of Topic.
type Event struct {
	ID    int64  // the event's id (ascending, from the database); the SSE id
	Topic int64  // who gets it: the subscribers of this topic (a post id)
	Name  string // the SSE event name
	Data  string // the payload, rendered once per event by Load (HTML)
	// Key says what the event is about (a comment id): of the events with
	// one non-zero Key, subscribers get at most one per Config.Coalesce, the
	// latest. Zero is never held back.
	Key int64
	// Urgent events are sent at once even within their Key's interval (a
	// new comment), and replace what their Key had held back; they do not
	// start an interval.
	Urgent bool
	// Resume is set by the hub when it delivers the event: every event of
	// the topic up to Resume that the hub has handled was delivered, or
	// replaced by a later one that was. A reader who had this event resumes
	// after Resume (its SSE id). It is below ID while an earlier event is
	// held back.
	Resume int64
}

// Config sets up a Hub.
type Config struct {
	// DB is a direct connection pool (not PgBouncer): the listener's
	// connection is made with its settings.
	DB *bun.DB
	// Channel is the NOTIFY channel, used verbatim (case-sensitive).
	Channel string
	// Load turns event ids into events, in id order, skipping ids that no
	// longer exist or that nobody should see. It is called once per batch of
	// ids for the whole instance, never once per subscriber. Ids it skips
	// count as handled; if it fails, none of the batch does.
	Load func(ctx context.Context, ids []int64) ([]Event, error)
	// Since returns the ids of events with id > after (ascending, at most
	// limit), for catching up; the hub calls it every CatchUp interval and
	// when the listener reports lost notifications.
	Since func(ctx context.Context, after int64, limit int) ([]int64, error)
	// CatchUp is the interval between catch-ups (default 5 s).
	CatchUp time.Duration
	// Buffer is each subscriber's channel size (default 64).
	Buffer int
	// Coalesce is the least time between two events with one Key (default
	// 1 s; negative: nothing is held back).
	Coalesce time.Duration
	// Log receives the hub's logs (default: discarded).
	Log *slog.Logger

	// Signals are further channels heard on the same connection, for
	// notifications that carry no event to fan out, only news that
	// something changed (the public pages' content version): each one
	// calls its function with the payload, in Run's goroutine, so it must
	// be quick. Signals are heard from Ready on.
	Signals map[string]func(payload string)
	// Check, if set, is called at each catch-up, also after the listener
	// reported lost notifications: the place to read again what Signals
	// announce, since a notification can be lost while the connection is
	// down.
	Check func(ctx context.Context)
}

const (
	defaultCatchUp = 5 * time.Second
	defaultBuffer  = 64
	// defaultCoalesce: at most one update of a comment a second per reader.
	defaultCoalesce = time.Second
	// maxKeys bounds the keys remembered as recently sent before the ones
	// whose interval is over are forgotten.
	maxKeys = 1024
	// batchMax is the most notification ids handled with one Load.
	batchMax = 100
	// pageSize is the limit passed to Since.
	pageSize = 500
	// maxSeen caps the set of handled ids kept above the floor.
	maxSeen = 4096
	// startWindow is how many ids below the newest one at start are checked
	// for being already committed (those are not broadcast).
	startWindow = 1024
	// minSettle is the least time an id gets to commit after a higher one
	// has been handled.
	minSettle = time.Minute
	// confirmWait bounds one wait for the LISTEN check's notification.
	confirmWait = 2 * time.Second
	// maxBackoff caps the wait between retries of the start-up steps.
	maxBackoff = 5 * time.Second
)

// Hub fans events out to subscribers. Create it with New, start Run once, and
// Subscribe from any goroutine.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	ready   chan struct{}
	running atomic.Bool

	mu      sync.Mutex // guards topics, count, stopped and every Subscription's closed
	topics  map[int64]map[*Subscription]struct{}
	count   int
	stopped bool

	tr tracker   // owned by Run's goroutine
	co coalescer // owned by Run's goroutine
}

// New returns a Hub for cfg, filling in defaults. Nothing happens until Run.
func New(cfg Config) *Hub {
	if cfg.CatchUp <= 0 {
		cfg.CatchUp = defaultCatchUp
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = defaultBuffer
	}
	if cfg.Coalesce == 0 {
		cfg.Coalesce = defaultCoalesce
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		cfg:    cfg,
		log:    log.With("component", "live", "channel", cfg.Channel),
		ready:  make(chan struct{}),
		topics: make(map[int64]map[*Subscription]struct{}),
		tr:     newTracker(),
		co:     newCoalescer(cfg.Coalesce),
	}
}

// Ready is closed once the hub is listening and knows where to start. It is
// never closed if Run ends before that, so wait on it together with Run's
// end or a context.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Subscribers returns the current number of subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Subscription receives the events of one topic. Read C until it is closed.
type Subscription struct {
	hub     *Hub
	topic   int64
	ch      chan Event
	dropped atomic.Bool
	closed  bool // guarded by hub.mu
}

// Subscribe returns a subscription to topic. Its channel delivers events in
// the order the hub saw them. A subscriber that does not keep up (its buffer
// is full) is dropped: its channel is closed and Dropped reports true. After
// the hub has stopped, the channel is closed from the start.
func (h *Hub) Subscribe(topic int64) *Subscription {
	s := &Subscription{hub: h, topic: topic, ch: make(chan Event, h.cfg.Buffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		s.closed = true
		close(s.ch)
		return s
	}
	subs := h.topics[topic]
	if subs == nil {
		subs = make(map[*Subscription]struct{})
		h.topics[topic] = subs
	}
	subs[s] = struct{}{}
	h.count++
	return s
}

// C returns the channel of events. It is closed by Close, when the
// subscriber is dropped, and when the hub stops.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped reports whether the hub dropped the subscription because its
// buffer was full. It is set before the channel is closed.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Close unsubscribes and closes the channel. It is idempotent and safe after
// a drop or after the hub stopped.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s)
}

// removeLocked unsubscribes s and closes its channel, once. h.mu is held.
func (h *Hub) removeLocked(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	if subs := h.topics[s.topic]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(h.topics, s.topic)
		}
	}
	h.count--
	close(s.ch)
}

// deliver sends ev to the subscribers of its topic without blocking,
// dropping those whose buffer is full. It sets ev.Resume first.
func (h *Hub) deliver(ev Event) {
	h.co.resume(&ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.topics[ev.Topic] {
		select {
		case s.ch <- ev:
		default:
			s.dropped.Store(true)
			h.removeLocked(s)
			h.log.Debug("live: dropped a slow subscriber", "topic", ev.Topic)
		}
	}
}

// stop closes every subscription and makes later ones start closed.
func (h *Hub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for _, subs := range h.topics {
		for s := range subs {
			h.removeLocked(s)
		}
	}
}

// Run listens until ctx ends and returns nil then. It returns an error at
// once for an incomplete Config or a second call. Failures to connect or to
// query at start are logged and retried with backoff.
func (h *Hub) Run(ctx context.Context) error {
	switch {
	case h.cfg.DB == nil:
		return errors.New("live: Config.DB is nil")
	case h.cfg.Channel == "":
		return errors.New("live: Config.Channel is empty")
	case h.cfg.Load == nil || h.cfg.Since == nil:
		return errors.New("live: Config.Load and Config.Since are required")
	}
	if !h.running.CompareAndSwap(false, true) {
		return errors.New("live: Run called twice")
	}
	defer h.stop() // runs after ln.Close below
	defer h.co.timer.Stop()

	ln := pgdriver.NewListener(h.cfg.DB)
	defer ln.Close() //nolint:errcheck // closing at exit

	// private is this hub's own channel, for confirming that LISTEN is in effect.
	var b [8]byte
	rand.Read(b[:])
	private := "live_ready_" + hex.EncodeToString(b[:])
	channels := []string{h.cfg.Channel, private}
	for name := range h.cfg.Signals {
		channels = append(channels, name)
	}
	if !h.retry(ctx, "listening", func() error { return ln.Listen(ctx, channels...) }) {
		return nil
	}
	// lost is signalled when pgdriver's buffer overflows (called from its
	// receiving goroutine): catch up at once.
	lost := make(chan struct{}, 1)
	notes := ln.Channel(pgdriver.WithChannelOverflowHandler(func(pgdriver.Notification) {
		select {
		case lost <- struct{}{}:
		default:
		}
	}))
	if !h.retry(ctx, "confirming LISTEN", func() error { return h.confirm(ctx, notes, private) }) {
		return nil
	}
	if !h.retry(ctx, "finding the newest event", func() error { return h.start(ctx) }) {
		return nil
	}
	if h.cfg.Check != nil {
		// What Signals announce, as it is once they can be heard.
		h.cfg.Check(ctx)
	}
	close(h.ready)
	h.log.Debug("live: listening", "newest", h.tr.high)

	tick := time.NewTicker(h.cfg.CatchUp)
	defer tick.Stop()
	batch := make([]int64, 0, batchMax)
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-notes:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("live: the listener closed unexpectedly")
			}
			if signal := h.cfg.Signals[n.Channel]; signal != nil {
				signal(n.Payload)
				continue
			}
			batch = h.appendID(batch[:0], n)
		drain:
			for len(batch) < batchMax {
				select {
				case n, ok := <-notes:
					if !ok {
						break drain
					}
					if signal := h.cfg.Signals[n.Channel]; signal != nil {
						signal(n.Payload)
						continue
					}
					batch = h.appendID(batch, n)
				default:
					break drain
				}
			}
			h.handle(ctx, batch) //nolint:errcheck // logged; retried by catch-up
		case <-h.co.wake():
			// The wall clock, as the wake-up timer runs on: holding an
			// update back a second is a pace, not a date.
			h.flush(time.Now())
		case <-lost:
			h.log.Warn("live: the listener dropped notifications; catching up")
			h.catchUp(ctx)
		case <-tick.C:
			h.catchUp(ctx)
		}
	}
}

// confirm returns once the listener's LISTEN is in effect. pgdriver writes
// LISTEN without waiting for the server's answer, so a NOTIFY committed just
// after Listen returned could still be missed; confirm NOTIFYs the hub's
// private channel (LISTENed together with the main one) and waits for it to
// come back. Notifications on the main channel received meanwhile are for
// events committed before the start, which are not broadcast anyway.
func (h *Hub) confirm(ctx context.Context, notes <-chan pgdriver.Notification, private string) error {
	deadline := time.NewTimer(confirmWait)
	defer deadline.Stop()
	resend := time.NewTimer(0)
	defer resend.Stop()
	for every := 10 * time.Millisecond; ; {
		select {
		case n, ok := <-notes:
			if !ok {
				return errors.New("the listener closed")
			}
			if n.Channel == private {
				return nil
			}
		case <-resend.C:
			// The LISTEN may not have been processed yet: ask again, less often.
			if err := pgdriver.Notify(ctx, h.cfg.DB, private, ""); err != nil {
				return err
			}
			resend.Reset(every)
			every = min(2*every, 500*time.Millisecond)
		case <-deadline.C:
			return fmt.Errorf("no answer on the LISTEN check within %v", confirmWait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// retry calls fn until it succeeds (true) or ctx ends (false).
func (h *Hub) retry(ctx context.Context, what string, fn func() error) bool {
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		h.log.Warn("live: "+what+" failed; retrying", "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// appendID appends the id in n's payload, ignoring malformed payloads.
func (h *Hub) appendID(ids []int64, n pgdriver.Notification) []int64 {
	if n.Channel != h.cfg.Channel {
		return ids
	}
	id, err := strconv.ParseInt(strings.TrimSpace(n.Payload), 10, 64)
	if err != nil || id <= 0 {
		h.log.Debug("live: ignoring a malformed payload", "payload", truncate(n.Payload, 40))
		return ids
	}
	return append(ids, id)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// handle loads the ids not handled yet with one Load call, delivers the
// events and marks the ids handled. On a Load error it marks nothing.
func (h *Hub) handle(ctx context.Context, ids []int64) error {
	fresh := make([]int64, 0, len(ids))
	for _, id := range ids {
		if h.tr.fresh(id) {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	slices.Sort(fresh)
	fresh = slices.Compact(fresh)
	events, err := h.cfg.Load(ctx, fresh)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Error("live: loading events failed; retrying at the next catch-up", "err", err, "ids", len(fresh))
		}
		return err
	}
	for _, ev := range events {
		if _, ok := slices.BinarySearch(fresh, ev.ID); !ok || !h.tr.fresh(ev.ID) {
			h.log.Debug("live: Load returned an id not asked for, or twice", "id", ev.ID)
			continue
		}
		h.tr.mark(ev.ID)
		h.offer(ev, time.Now()) // the wall clock of the pace (see flush)
	}
	for _, id := range fresh {
		h.tr.mark(id) // skipped by Load: handled too
	}
	if floor, trimmed := h.tr.trim(); trimmed {
		h.log.Warn("live: too many recent events to track; ids at or below the floor are no longer caught up", "floor", floor)
	}
	return nil
}

// catchUp handles the ids above the floor that were not handled yet and, if
// everything succeeded, lets the floor advance.
func (h *Hub) catchUp(ctx context.Context) {
	if h.cfg.Check != nil {
		h.cfg.Check(ctx)
	}
	after := h.tr.floor
	for {
		ids, err := h.cfg.Since(ctx, after, pageSize)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live: catching up failed", "err", err)
			}
			return
		}
		if len(ids) == 0 {
			break
		}
		if err := h.handle(ctx, ids); err != nil {
			return
		}
		last := ids[len(ids)-1]
		if len(ids) < pageSize {
			break
		}
		if last <= after {
			h.log.Error("live: Since returned ids out of order; stopping this catch-up", "after", after, "last", last)
			return
		}
		after = last
	}
	h.tr.settle(time.Now(), max(minSettle, 3*h.cfg.CatchUp))
}

// start finds the newest existing event and marks the recent committed ones
// as handled, so that nothing that existed before Run is broadcast.
func (h *Hub) start(ctx context.Context) error {
	newest, err := h.newest(ctx)
	if err != nil {
		return err
	}
	tr := newTracker()
	tr.floor = max(newest-startWindow, 0)
	tr.high = newest
	after := tr.floor
	for after < newest {
		ids, err := h.cfg.Since(ctx, after, pageSize)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if id > after && id <= newest {
				tr.seen[id] = struct{}{}
			}
		}
		if len(ids) < pageSize || ids[len(ids)-1] <= after {
			break
		}
		after = ids[len(ids)-1]
	}
	tr.checkpoints = append(tr.checkpoints, checkpoint{at: time.Now(), high: newest})
	h.tr = tr
	return nil
}

// newest returns the highest existing id (0 if none) with Since(x, 1) probes:
// Since(x, 1) is non-empty iff an id > x exists, and returns the least one.
func (h *Hub) newest(ctx context.Context) (int64, error) {
	above := func(x int64) (int64, bool, error) {
		ids, err := h.cfg.Since(ctx, x, 1)
		if err != nil || len(ids) == 0 {
			return 0, false, err
		}
		if ids[0] <= x {
			return 0, false, errors.New("live: Since returned an id not above after")
		}
		return ids[0], true, nil
	}
	// lo exists (or is 0); nothing exists above hi.
	lo, ok, err := above(0)
	if err != nil || !ok {
		return 0, err
	}
	var hi int64
	for step := int64(1); ; step *= 2 {
		x := int64(math.MaxInt64)
		if lo <= math.MaxInt64-step {
			x = lo + step
		}
		id, ok, err := above(x)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = x
			break
		}
		lo = id
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		id, ok, err := above(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = id
			if lo > hi { // committed meanwhile
				hi = lo
			}
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// tracker remembers which ids were handled. Every handled id above floor is
// in seen; ids at or below floor are never handled again.
type tracker struct {
	floor       int64
	high        int64 // the highest id handled (or the newest at start)
	seen        map[int64]struct{}
	checkpoints []checkpoint // ascending in time and high
}

// checkpoint says: at time at, every id up to high had been assigned.
type checkpoint struct {
	at   time.Time
	high int64
}

func newTracker() tracker { return tracker{seen: make(map[int64]struct{})} }

// fresh reports whether id still needs handling.
func (t *tracker) fresh(id int64) bool {
	if id <= t.floor {
		return false
	}
	_, done := t.seen[id]
	return !done
}

// mark records id as handled.
func (t *tracker) mark(id int64) {
	if id <= t.floor {
		return
	}
	t.seen[id] = struct{}{}
	t.high = max(t.high, id)
}

// settle is called after a successful catch-up at now: it records a
// checkpoint and raises the floor to the newest checkpoint older than grace.
func (t *tracker) settle(now time.Time, grace time.Duration) {
	if n := len(t.checkpoints); n == 0 || t.checkpoints[n-1].high < t.high {
		t.checkpoints = append(t.checkpoints, checkpoint{at: now, high: t.high})
	}
	i := 0
	for i < len(t.checkpoints) && !t.checkpoints[i].at.After(now.Add(-grace)) {
		i++
	}
	if i == 0 {
		return
	}
	t.raise(t.checkpoints[i-1].high)
	t.checkpoints = slices.Delete(t.checkpoints, 0, i)
}

// raise moves the floor up to floor and forgets the ids at or below it.
func (t *tracker) raise(floor int64) {
	if floor <= t.floor {
		return
	}
	t.floor = floor
	for id := range t.seen {
		if id <= floor {
			delete(t.seen, id)
		}
	}
}

// trim keeps seen within maxSeen by raising the floor past the lowest half.
func (t *tracker) trim() (int64, bool) {
	if len(t.seen) <= maxSeen {
		return t.floor, false
	}
	ids := make([]int64, 0, len(t.seen))
	for id := range t.seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	t.raise(ids[len(ids)-maxSeen/2-1])
	return t.floor, true
}

// coalescer holds back events whose Key was sent less than every ago (see
// Coalescing in the package doc). It belongs to Run's goroutine.
type coalescer struct {
	every time.Duration
	sent  map[int64]time.Time // key → when its last event went out
	held  map[int64]heldEvent // key → its newest event not sent yet
	high  map[int64]int64     // topic → the highest id delivered
	timer *time.Timer         // fires at due
	due   time.Time           // zero: the timer is not set
}

// heldEvent is a key's newest event held back, and the id of the first
// one held since the key was last sent (which ev replaced).
type heldEvent struct {
	ev    Event
	first int64
}

func newCoalescer(every time.Duration) coalescer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return coalescer{every: every, sent: map[int64]time.Time{}, held: map[int64]heldEvent{}, high: map[int64]int64{}, timer: t}
}

// wake is the channel of the timer, nil while nothing is held.
func (c *coalescer) wake() <-chan time.Time {
	if c.due.IsZero() {
		return nil
	}
	return c.timer.C
}

// schedule makes the timer fire at at, unless it fires sooner already.
func (c *coalescer) schedule(at, now time.Time) {
	if !c.due.IsZero() && !at.Before(c.due) {
		return
	}
	c.due = at
	c.timer.Reset(max(at.Sub(now), 0))
}

// offer delivers ev now, or holds it back until its key's interval is up.
func (h *Hub) offer(ev Event, now time.Time) {
	c := &h.co
	if ev.Key == 0 || c.every < 0 {
		h.deliver(ev)
		return
	}
	held, isHeld := c.held[ev.Key]
	switch last, wasSent := c.sent[ev.Key]; {
	case ev.Urgent:
		if isHeld && held.ev.ID < ev.ID {
			delete(c.held, ev.Key)
		}
		h.deliver(ev)
		return
	case isHeld:
		if ev.ID > held.ev.ID {
			c.held[ev.Key] = heldEvent{ev: ev, first: min(held.first, ev.ID)}
		}
		return
	case wasSent && now.Sub(last) < c.every:
		c.held[ev.Key] = heldEvent{ev: ev, first: ev.ID}
		c.schedule(last.Add(c.every), now)
		return
	}
	c.sent[ev.Key] = now
	h.deliver(ev)
	if len(c.sent) > maxKeys {
		c.forget(now)
	}
}

// flush delivers the held events whose interval is up, in id order, and
// sets the timer for the next.
func (h *Hub) flush(now time.Time) {
	c := &h.co
	c.due = time.Time{}
	var due []Event
	var next time.Time
	for key, held := range c.held {
		at := c.sent[key].Add(c.every)
		if !at.After(now) {
			due = append(due, held.ev)
		} else if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	slices.SortFunc(due, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
	for _, ev := range due {
		delete(c.held, ev.Key)
		c.sent[ev.Key] = now
		h.deliver(ev)
	}
	if !next.IsZero() {
		c.schedule(next, now)
	}
	c.forget(now)
}

// forget drops the keys whose interval is over and that hold nothing.
func (c *coalescer) forget(now time.Time) {
	for key, at := range c.sent {
		if _, held := c.held[key]; !held && now.Sub(at) >= c.every {
			delete(c.sent, key)
		}
	}
	if len(c.high) > maxKeys {
		clear(c.high) // Resume is then the event's own id: safe, if less far along
	}
}

// resume sets ev.Resume (see Event.Resume).
func (c *coalescer) resume(ev *Event) {
	high := max(c.high[ev.Topic], ev.ID)
	c.high[ev.Topic] = high
	r := high
	for _, held := range c.held {
		if held.ev.Topic == ev.Topic && held.first <= r {
			r = held.first - 1
		}
	}
	ev.Resume = r
}
