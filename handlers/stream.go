package handlers

import (
	"bytes"
	"context"
	"fmt"
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
const (
	heartbeatEvery = 20 * time.Second // proxies (Fly's included) close idle streams: Handler.heartbeat's default
	replayLimit    = 500              // events a reconnecting reader may catch up on
	retryMillis    = 2000             // how soon a browser reconnects
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
// cached articles, so that the next page view shows the change.
func (h *Handler) commentEvents(ctx context.Context, ids []int64) ([]live.Event, error) {
	evs, err := h.renderCommentEvents(ctx, ids)
	if err == nil && len(evs) > 0 {
		h.articles.invalidate()
	}
	return evs, err
}

// renderCommentEvents renders comment events as the stream sends them.
func (h *Handler) renderCommentEvents(ctx context.Context, ids []int64) ([]live.Event, error) {
	evs, err := db.CommentEvents(ctx, h.db, ids)
	if err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	out := make([]live.Event, 0, len(evs))
	for _, e := range evs {
		slug, ok := slugs[e.PostID]
		if !ok {
			if slug, err = db.PostSlug(ctx, h.db, e.PostID); err != nil {
				return nil, err
			}
			slugs[e.PostID] = slug
		}
		v := viewOf(e.Comment, slug)
		v.OOB = e.Kind == db.EventUpdate
		ce := commentEvent{Kind: e.Kind, Comment: v, Count: e.Count, Replies: e.Replies, Visible: e.Comment.Status == db.CommentVisible}
		name := sseUpdate
		if e.Kind == db.EventNew {
			if !ce.Visible {
				continue // hidden again before anyone heard of it
			}
			name = sseComment
		}
		var buf bytes.Buffer
		if err := h.views.Render(&buf, "article#comment-event", ce); err != nil {
			return nil, err
		}
		out = append(out, live.Event{ID: e.ID, Topic: e.PostID, Name: name, Data: buf.String()})
	}
	return out, nil
}

// commentStream is GET /blog/:slug/comments/stream: the article's new and
// changed comments as they happen, as the HTML fragments the page uses. It
// first replays what the reader missed: the events after Last-Event-ID (a
// reconnect) or after ?after= (the last event the page was rendered with).
func (h *Handler) commentStream(c echo.Context) error {
	a, err := h.findArticle(c)
	if err != nil {
		return err
	}
	if a.moved {
		return c.Redirect(http.StatusMovedPermanently, "/blog/"+a.post.Slug+"/comments/stream?"+c.QueryString())
	}
	ip := limitKey(c.RealIP())
	if !h.streams.open(ip) {
		return echo.NewHTTPError(http.StatusTooManyRequests, "Too many live pages are open from your connection. Close some and reload this one.")
	}
	defer h.streams.close(ip)
	after := eventID(c.Request().Header.Get("Last-Event-ID"))
	if after < 0 {
		after = eventID(c.QueryParam("after"))
	}
	if after < 0 {
		after = a.lastEvent
	}

	// Subscribe before replaying, so that nothing falls between the two;
	// what arrives twice is sent once.
	sub := h.hub.Subscribe(a.post.ID)
	defer sub.Close()
	ctx := c.Request().Context()
	ids, err := db.CommentEventsSince(ctx, h.db, a.post.ID, after, h.replayLimit+1)
	if err != nil {
		return err
	}
	var missed []live.Event
	switch {
	case len(ids) > h.replayLimit:
		// Too far behind to catch up event by event (a laptop woken after
		// days): the reader is asked to reload, and the stream goes on
		// from now.
		last, err := db.LastCommentEvent(ctx, h.db)
		if err != nil {
			return err
		}
		var b strings.Builder
		if err := h.views.Render(&b, "article#comments-stale", a.post.Slug); err != nil {
			return err
		}
		missed = []live.Event{{ID: last, Name: sseUpdate, Data: b.String()}}
	case len(ids) > 0:
		if missed, err = h.renderCommentEvents(ctx, ids); err != nil {
			return err
		}
	}

	w := c.Response()
	hd := w.Header()
	hd.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", retryMillis)
	sent := map[int64]bool{}
	for _, e := range missed {
		writeEvent(w, e)
		sent[e.ID] = true
	}
	w.Flush()

	heartbeat := time.NewTicker(h.heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				return nil // shutting down, or too slow: the browser reconnects and catches up
			}
			if sent[e.ID] {
				continue
			}
			writeEvent(w, e)
			w.Flush()
		case <-heartbeat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			w.Flush()
		case <-h.done:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// writeEvent writes one SSE event; every line of the data gets its own
// "data:" field.
func writeEvent(w *echo.Response, e live.Event) {
	fmt.Fprintf(w, "id: %d\nevent: %s\n", e.ID, e.Name)
	// Lines are kept as they are: a comment's code block keeps its spaces.
	for line := range strings.SplitSeq(strings.TrimSpace(e.Data), "\n") {
		fmt.Fprintf(w, "data: %s\n", strings.TrimSuffix(line, "\r"))
	}
	fmt.Fprint(w, "\n")
}

// maxStreamsPerIP bounds the live streams one client address may hold open
// on an instance (a household with several tabs, not a script).
const maxStreamsPerIP = 8

// streamCounts counts open streams by client address.
type streamCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *streamCounts) open(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	if s.n[key] >= maxStreamsPerIP {
		return false
	}
	s.n[key]++
	return true
}

func (s *streamCounts) close(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key]--; s.n[key] <= 0 {
		delete(s.n, key)
	}
}

// eventID reads an event id; -1 when there is none or it is not one.
func eventID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return -1
	}
	return id
}
