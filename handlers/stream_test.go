package handlers

import (
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// An idle live stream is kept open: every heartbeat interval (20 s, well
// inside the idle timeouts of proxies such as Fly's) it gets an SSE comment
// line, which browsers ignore, and no event.
func TestCommentStreamHeartbeat(t *testing.T) {
	s := newTestServer(t, nil)
	if s.h.heartbeat != 20*time.Second {
		t.Errorf("heartbeat every %v, want 20s", s.h.heartbeat)
	}
	s.h.heartbeat = 50 * time.Millisecond
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	stream := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream")

	for i := range 3 {
		select {
		case line := <-stream.comments:
			if !strings.HasPrefix(line, ":") || strings.TrimSpace(strings.TrimPrefix(line, ":")) == "" {
				t.Errorf("heartbeat %d is %q, want a comment line with text", i+1, line)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("heartbeat %d did not come within 2s of the last (interval 50ms)", i+1)
		}
	}
	select {
	case ev, ok := <-stream.events:
		if ok {
			t.Errorf("an idle stream sent event %q (id %q)", ev.name, ev.id)
		} else {
			t.Error("the idle stream ended")
		}
	default:
	}
}
