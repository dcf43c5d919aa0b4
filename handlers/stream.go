package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/live"
)

// Live comments over Server-Sent Events.
//
// What one stream may cost is bounded: a reconnecting reader is sent each
// comment that changed since its last event once, as it is now, rendered
// and written one at a time (never the whole catch-up in memory), at most
// replayBudget bytes of it, else it is asked to reload; every write must be
// taken by the reader within writeTimeout, else the stream is dropped and
// its memory freed; and streams are counted per client address and per
// instance (docs/operations.md, "Live streams: sizing", has the arithmetic
// with fly.toml's concurrency).
const (
	heartbeatEvery = 20 * time.Second // proxies (Fly's included) close idle streams: Handler.heartbeat's default
	replayLimit    = 500              // changed comments a reconnecting reader may catch up on
	retryMillis    = 2000             // how soon a browser reconnects
	// replayBudget is the most a catch-up writes before it gives up and
	// asks the reader to reload: about ten of the longest comments, or a
	// couple of hundred ordinary ones. A page reload costs less than that.
	replayBudget = 256 << 10
	// replayPage is how many comments a catch-up reads from the database
	// at a time.
	replayPage = 16
	// writeTimeout is how long a reader has to take each write (an event,
	// a page of the catch-up, a keep-alive): one that does not read is
	// dropped after it.
	writeTimeout = 10 * time.Second
	// maxStreamsPerIP bounds the live streams one client address (an IPv6
	// /64) may hold open on an instance: a household or an office with
	// several tabs open behind one address, not a script.
	maxStreamsPerIP = 8
	// maxStreams bounds the live streams of an instance, so that together
	// they never take the slots fly.toml leaves for pages (hard_limit 250
	// requests: 150 streams and 100 for everything else).
	maxStreams = 150
	// streamRetryAfter is the Retry-After of a stream refused for a cap.
	streamRetryAfter = 60
)

// SSE event names: a new comment to add, or a change to one on the page.
const (
	sseComment = "comment"
	sseUpdate  = "update"
)

// commentEvent is what one event shows: rendered once per event per
// instance, whoever is listening.
type commentEvent struct {
	Kind    string
	Comment commentView
	Count   int
	Replies int // the comment's visible replies
	Visible bool
}

// commentEvents renders comment events for the live stream: the hub calls
// it once per batch for the whole instance. It also drops this instance's
// cached articles and pages, so that the next page view shows the change.
func (h *Handler) commentEvents(ctx context.Context, ids []int64) ([]live.Event, error) {
	evs, err := h.renderCommentEvents(ctx, ids)
	if err == nil && len(evs) > 0 {
		h.commentsChanged()
	}
	return evs, err
}

// renderCommentEvents renders comment events as the stream sends them.
// Events about one comment share its id as their Key, so that the hub
// sends a burst of edits as one update a second; a new comment is urgent.
func (h *Handler) renderCommentEvents(ctx context.Context, ids []int64) ([]live.Event, error) {
	evs, err := db.CommentEvents(ctx, h.db, ids)
	if err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	out := make([]live.Event, 0, len(evs))
	var buf bytes.Buffer
	for _, e := range evs {
		slug, ok := slugs[e.PostID]
		if !ok {
			if slug, err = db.PostSlug(ctx, h.db, e.PostID); err != nil {
				return nil, err
			}
			slugs[e.PostID] = slug
		}
		buf.Reset()
		name, show, err := h.renderCommentState(&buf, e.Kind, db.CommentState{Comment: e.Comment, Count: e.Count, Replies: e.Replies}, slug)
		if err != nil {
			return nil, err
		}
		if !show {
			continue
		}
		key := e.Comment.ID
		if e.Kind == db.EventCount {
			key = -key // its own Key: a held count must not replace an edit, nor an edit a count
		}
		out = append(out, live.Event{ID: e.ID, Topic: e.PostID, Name: name, Data: buf.String(),
			Key: key, Urgent: e.Kind == db.EventNew})
	}
	return out, nil
}

// renderCommentState renders one comment as an event of kind (new or
// update) into w, and returns the SSE event's name; show is false for a
// new comment that is no longer visible (hidden again before anyone heard
// of it), which is not sent.
func (h *Handler) renderCommentState(w io.Writer, kind string, st db.CommentState, slug string) (name string, show bool, err error) {
	v := viewOf(st.Comment, slug)
	if kind == db.EventCount { // only the new Helpful count (comment_helpful.go)
		if st.Comment.Status != db.CommentVisible {
			return "", false, nil
		}
		return sseUpdate, true, h.views.Render(w, "article#comment-helpful-event", v)
	}
	v.OOB = kind == db.EventUpdate
	ce := commentEvent{Kind: kind, Comment: v, Count: st.Count, Replies: st.Replies, Visible: st.Comment.Status == db.CommentVisible}
	name = sseUpdate
	if kind == db.EventNew {
		if !ce.Visible {
			return "", false, nil
		}
		name = sseComment
	}
	return name, true, h.views.Render(w, "article#comment-event", ce)
}

// commentStream is GET /blog/:slug/comments/stream: the article's new and
// changed comments as they happen, as the HTML fragments the page uses. It
// first sends what the reader missed: the comments changed after
// Last-Event-ID (a reconnect) or after ?after= (the last event the page was
// rendered with), each once, as it is now.
func (h *Handler) commentStream(c echo.Context) error {
	ip := limitKey(c.RealIP())
	if full := h.streams.admit(ip); full != "" {
		c.Response().Header().Set("Retry-After", strconv.Itoa(streamRetryAfter))
		return echo.NewHTTPError(http.StatusTooManyRequests, full)
	}
	defer h.streams.close(ip)
	a, err := h.findArticle(c)
	if err != nil {
		return err
	}
	if a.moved {
		return c.Redirect(http.StatusMovedPermanently, "/blog/"+a.post.Slug+"/comments/stream?"+c.QueryString())
	}
	after := eventID(c.Request().Header.Get("Last-Event-ID"))
	if after < 0 {
		after = eventID(c.QueryParam("after"))
	}
	if after < 0 {
		after = a.lastEvent
	}

	// Subscribe before reading what was missed, so that nothing falls
	// between the two; what the catch-up already covered is not sent again.
	sub := h.hub.Subscribe(a.post.ID)
	defer sub.Close()
	ctx := c.Request().Context()
	// What was missed is listed before answering: a database that is down
	// gets the error page (and the browser tries again later).
	r, err := h.missed(ctx, a.post.ID, a.post.Slug, after)
	if err != nil {
		return err
	}

	res := c.Response()
	hd := res.Header()
	hd.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	w := newEventWriter(res, h.streams.timeout())
	w.printf("retry: %d\n\n", retryMillis)
	if err := h.replay(ctx, w, r); err != nil {
		h.log.Debug("live stream: catch-up ended", "err", err)
		w.drop()
		return nil // the reader is gone, too slow, or the database failed: it reconnects
	}

	heartbeat := time.NewTicker(h.heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				select {
				case <-h.done: // shutting down: an orderly close
				default:
					w.drop() // too slow for the hub: the browser reconnects and catches up
				}
				return nil
			}
			if last, ok := r.sent[max(e.Key, -e.Key)]; (ok && e.ID <= last) || e.ID <= r.floor { // a count's Key is -id
				continue // the catch-up sent this comment as it was after this event, or said to reload
			}
			id := e.Resume
			if id == 0 {
				id = e.ID
			}
			w.event(id, e.Name, e.Data)
		case <-heartbeat.C:
			w.printf(": keep-alive\n\n")
		case <-h.done:
			return nil
		case <-ctx.Done():
			return nil
		}
		if err := w.flush(); err != nil {
			h.log.Debug("live stream: dropped", "err", err)
			w.drop()
			return nil // the reader did not take it in time, or went away
		}
	}
}

// caughtUp is what a stream's catch-up sends: the changed comments, or
// that the reader is to reload.
type caughtUp struct {
	postID  int64
	slug    string
	changes []db.CommentChange
	stale   bool // too far behind: told to reload, and goes on from now
	// floor is the event the reader was told to reload at: the page it
	// reloads has every event up to it.
	floor int64
	// sent is, for each comment the catch-up covers, its latest event then:
	// live events of it up to that one are not sent again.
	sent map[int64]int64
}

// missed lists what a reader of the post who had every event up to after
// has missed. A reader too far behind is stale: events after its own were
// pruned (db.PruneCommentEvents), or more than replayLimit comments changed.
func (h *Handler) missed(ctx context.Context, postID int64, slug string, after int64) (*caughtUp, error) {
	r := &caughtUp{postID: postID, slug: slug, sent: map[int64]int64{}}
	oldest, err := db.OldestCommentEvent(ctx, h.db)
	if err != nil {
		return nil, err
	}
	if after < oldest-1 {
		r.stale = true
		return r, nil
	}
	if r.changes, err = db.CommentChangesSince(ctx, h.db, postID, after, h.replayLimit+1); err != nil {
		return nil, err
	}
	if len(r.changes) > h.replayLimit {
		r.stale, r.changes = true, nil
	}
	return r, nil
}

// replay writes what r lists, a page of comments at a time, each rendered
// as it is now and written before the next is rendered. A catch-up that
// would pass the byte budget stops there and tells the reader to reload.
//
// Each event's id is one the reader may resume after: every event up to it
// has been sent. Comments go in the order of their first missed event (a
// reply after its comment), so that is the event before the next comment's
// first one; the last says the newest event of all.
func (h *Handler) replay(ctx context.Context, w *eventWriter, r *caughtUp) error {
	if r.stale {
		return h.sendStale(ctx, w, r)
	}
	var (
		buf     bytes.Buffer
		spent   int
		written int64 // the id the reader has last been given
		upto    int64
	)
	for _, ch := range r.changes {
		upto = max(upto, ch.Last)
	}
	budget := h.streams.budget()
	for i := 0; i < len(r.changes); i += replayPage {
		page := r.changes[i:min(i+replayPage, len(r.changes))]
		ids := make([]int64, len(page))
		for j, ch := range page {
			ids[j] = ch.CommentID
		}
		states, err := db.CommentStates(ctx, h.db, r.postID, ids)
		if err != nil {
			return err
		}
		byID := make(map[int64]db.CommentState, len(states))
		for _, st := range states {
			byID[st.Comment.ID] = st
		}
		for j, ch := range page {
			r.sent[ch.CommentID] = ch.Last
			st, ok := byID[ch.CommentID]
			if !ok {
				continue // deleted for good
			}
			kind := db.EventUpdate
			if ch.New {
				kind = db.EventNew
			}
			buf.Reset()
			name, show, err := h.renderCommentState(&buf, kind, st, r.slug)
			if err != nil {
				return err
			}
			if !show {
				continue
			}
			if spent += buf.Len(); spent > budget {
				return h.sendStale(ctx, w, r)
			}
			id := upto
			if k := i + j + 1; k < len(r.changes) {
				id = r.changes[k].First - 1
			}
			w.event(id, name, buf.String())
			written = id
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	if written < upto {
		w.printf("id: %d\n\n", upto) // the last comments were not shown: the reader has them all the same
	}
	return w.flush()
}

// sendStale tells the reader its page missed too much to catch up live and
// is to be reloaded; the stream goes on from the newest event, so that the
// next reconnect does not ask for the same again.
func (h *Handler) sendStale(ctx context.Context, w *eventWriter, r *caughtUp) error {
	last, err := db.LastCommentEvent(ctx, h.db)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := h.views.Render(&b, "article#comments-stale", r.slug); err != nil {
		return err
	}
	r.floor = last
	w.event(last, sseUpdate, b.String())
	return w.flush()
}

// eventWriter writes SSE to a response with a deadline on every write: a
// reader that does not take what is sent within the timeout is dropped.
// The first error sticks; flush reports it.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	armed   bool // a write deadline is set
	err     error
}

func newEventWriter(w http.ResponseWriter, timeout time.Duration) *eventWriter {
	return &eventWriter{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

// arm sets the write deadline before a write, when none is set yet. The
// clock here is the connection's, not the site's.
func (e *eventWriter) arm() {
	if e.armed || e.err != nil {
		return
	}
	if err := e.rc.SetWriteDeadline(time.Now().Add(e.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.err = err
	}
	e.armed = true
}

func (e *eventWriter) write(s string) {
	if e.arm(); e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

func (e *eventWriter) printf(format string, args ...any) { e.write(fmt.Sprintf(format, args...)) }

// event writes one SSE event. Every line of data gets its own "data:"
// field; a carriage return ends a line in SSE, so one is written as the
// line break it means in HTML.
func (e *eventWriter) event(id int64, name, data string) {
	e.printf("id: %d\nevent: %s\n", id, name)
	data = strings.ReplaceAll(strings.TrimSpace(data), "\r\n", "\n")
	for line := range strings.SplitSeq(strings.ReplaceAll(data, "\r", "\n"), "\n") {
		e.write("data: ")
		e.write(line) // kept as it is: a comment's code block keeps its spaces
		e.write("\n")
	}
	e.write("\n")
}

// flush sends what was written and clears the deadline, so that a stream
// waiting for the next event is not dropped for being idle.
func (e *eventWriter) flush() error {
	if e.arm(); e.err == nil {
		if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			e.err = err
		}
	}
	if e.err == nil {
		if err := e.rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
			e.err = err
		}
	}
	e.armed = false
	return e.err
}

// drop ends the connection of a reader that was too slow (or is gone), at
// once and with what the kernel still holds for it thrown away (a reset): a
// plain close would wait behind those bytes, up to megabytes of the
// machine's socket memory, for a reader that does not read. A reader that
// was only slow reconnects and catches up.
func (e *eventWriter) drop() {
	conn, _, err := e.rc.Hijack()
	if err != nil {
		return // not HTTP/1 (or already gone): the server closes it
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // at worst the close is an orderly one
	}
	conn.Close()
}

// streamCounts counts the open live streams, by client address and in
// all, and holds their limits. Its zero value has the production limits;
// tests set the fields to change them.
type streamCounts struct {
	mu    sync.Mutex
	n     map[string]int
	total int

	perIP, max   int           // maxStreamsPerIP, maxStreams
	writeTimeout time.Duration // writeTimeout
	replayBytes  int           // replayBudget
}

// admit counts a stream from key, or says why it may not open ("" when
// it may).
func (s *streamCounts) admit(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	switch {
	case s.total >= or(s.max, maxStreams):
		return "Live comments are busy at the moment. This page works as usual; reload it later to see new comments."
	case s.n[key] >= or(s.perIP, maxStreamsPerIP):
		return "Too many live pages are open from your connection. Close some and reload this one."
	}
	s.n[key]++
	s.total++
	return ""
}

// open counts a stream from key if it may open.
func (s *streamCounts) open(key string) bool { return s.admit(key) == "" }

func (s *streamCounts) close(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.n[key]--; s.n[key] <= 0 {
		delete(s.n, key)
	}
}

func (s *streamCounts) timeout() time.Duration { return or(s.writeTimeout, writeTimeout) }
func (s *streamCounts) budget() int            { return or(s.replayBytes, replayBudget) }

// or is v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// eventID reads an event id; -1 when there is none or it is not one.
func eventID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return -1
	}
	return id
}
