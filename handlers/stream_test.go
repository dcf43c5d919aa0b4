package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// longestComment is the longest comment that renders longest: 5,000 ampersands,
// 25 KB of HTML.
var longestComment = strings.Repeat("&", maxBodyLen)

// storeComments stores n visible comments on the post as db.AddComment does
// (each with its event), with body as their text, and returns them.
func storeComments(t *testing.T, postID int64, n int, body string) []*db.Comment {
	t.Helper()
	html, problem := renderCommentBody(body, "")
	if problem != "" {
		t.Fatalf("the body does not render: %s", problem)
	}
	out := make([]*db.Comment, n)
	for i := range n {
		c := &db.Comment{PostID: postID, Name: "Reader " + strconv.Itoa(i), BodyMD: body, BodyHTML: html,
			Status: db.CommentVisible, AuthorHash: []byte("author-" + strconv.Itoa(i)), IPHash: []byte("ip")}
		if err := db.AddComment(context.Background(), seededDB(t), c); err != nil {
			t.Fatal(err)
		}
		out[i] = c
	}
	return out
}

// storeEdit changes a comment's text as its author's edit does.
func storeEdit(t *testing.T, c *db.Comment, body string) {
	t.Helper()
	html, _ := renderCommentBody(body, "")
	if err := db.EditComment(context.Background(), seededDB(t), c, body, html, false); err != nil {
		t.Fatal(err)
	}
}

// newestEvent is the newest comment event.
func newestEvent(t *testing.T) int64 {
	t.Helper()
	id, err := db.LastCommentEvent(context.Background(), seededDB(t))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// caughtUpEvents opens a stream after the given event and returns the
// events of its catch-up: those that come before its first keep-alive
// (the test shortens the heartbeat, and the stream writes in order).
func caughtUpEvents(t *testing.T, s *testServer, srv string, slug string, after int64) []sseEvent {
	t.Helper()
	s.h.heartbeat = 20 * time.Millisecond
	st := openStream(t, srv, fmt.Sprintf("/blog/%s/comments/stream?after=%d", slug, after))
	defer st.cancel()
	select {
	case <-st.comments:
	case <-time.After(5 * time.Second):
		t.Fatal("no keep-alive after the catch-up within 5 s")
	}
	var evs []sseEvent
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

// pollUntil waits for cond, checked every few milliseconds, for at most d:
// for a state with no event to wait on (a stream ended on the server).
func pollUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond) // polled: the state waited for announces itself with no event (see above)
	}
}

// A reconnecting reader gets each comment that changed once, as it is now:
// ten edits of a comment are one event, the new comment with its latest
// text; edits of a comment the page has are one update. Its id is the
// newest event, so the next reconnect asks for nothing of it again.
func TestCommentStreamReplayIsCoalesced(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	before := newestEvent(t)
	c := storeComments(t, p.ID, 1, "First words")[0]
	onPage := newestEvent(t)
	for i := range 10 {
		storeEdit(t, c, fmt.Sprintf("Edit number %d", i+1))
	}

	evs := caughtUpEvents(t, s, srv.URL, p.Slug, before)
	if len(evs) != 1 {
		t.Fatalf("the catch-up sent %d events, want 1: %+v", len(evs), evs)
	}
	if evs[0].name != sseComment || !strings.Contains(evs[0].data, "Edit number 10") || eventID(evs[0].id) != newestEvent(t) {
		t.Errorf("the catch-up sent %s (id %s) %q, want the new comment as last edited, id %d", evs[0].name, evs[0].id, evs[0].data, newestEvent(t))
	}
	evs = caughtUpEvents(t, s, srv.URL, p.Slug, onPage)
	if len(evs) != 1 || evs[0].name != sseUpdate || !strings.Contains(evs[0].data, "Edit number 10") {
		t.Fatalf("a page that has the comment got %+v, want one update with the last edit", evs)
	}
	checkHTML(t, "<div>"+evs[0].data+"</div>", in(fmt.Sprintf("article#comment-%d[hx-swap-oob=true]", c.ID)))
	if evs := caughtUpEvents(t, s, srv.URL, p.Slug, newestEvent(t)); len(evs) != 0 {
		t.Errorf("a reader with every event got %d events", len(evs))
	}
	noServerErrors(t, s)
}

// The catch-up stops at its byte budget and tells the reader to reload,
// with the newest event's id; what it wrote before is within the budget.
func TestCommentStreamReplayWithinBudget(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	before := newestEvent(t)
	storeComments(t, p.ID, 10, "A comment of a kilobyte or so. "+strings.Repeat("Words and more words. ", 40))
	s.h.streams.replayBytes = 5000

	evs := caughtUpEvents(t, s, srv.URL, p.Slug, before)
	if len(evs) < 2 || len(evs) > 5 {
		t.Fatalf("the catch-up sent %d events, want a few comments and the notice", len(evs))
	}
	spent := 0
	for _, ev := range evs[:len(evs)-1] {
		if ev.name != sseComment {
			t.Errorf("event %s before the notice, want comments", ev.name)
		}
		spent += len(ev.data)
	}
	if spent > s.h.streams.replayBytes {
		t.Errorf("the catch-up wrote %d bytes of comments, budget %d", spent, s.h.streams.replayBytes)
	}
	stale := evs[len(evs)-1]
	checkHTML(t, "<div>"+stale.data+"</div>", in("div#comments-stale[hx-swap-oob=true]", hasText("reload it")))
	if eventID(stale.id) != newestEvent(t) {
		t.Errorf("the notice's id is %s, want the newest event %d", stale.id, newestEvent(t))
	}
}

// A reader that does not read is dropped once a write waits longer than
// the write timeout (shortened here), and its stream is closed: the
// catch-up of 200 long comments (5 MB) is more than the connection holds.
func TestCommentStreamDropsANonReader(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	before := newestEvent(t)
	storeComments(t, p.ID, 200, longestComment)
	s.h.streams.replayBytes = 64 << 20
	s.h.streams.writeTimeout = 300 * time.Millisecond

	// A client with a small receive buffer that reads nothing.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	conn, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /blog/%s/comments/stream?after=%d HTTP/1.1\r\nHost: example.test\r\n\r\n", p.Slug, before)
	pollUntil(t, "the stream opens", 5*time.Second, func() bool { return s.h.hub.Subscribers() == 1 })
	start := time.Now()
	pollUntil(t, "the non-reader is dropped", 10*time.Second, func() bool {
		s.h.streams.mu.Lock()
		defer s.h.streams.mu.Unlock()
		return s.h.hub.Subscribers() == 0 && s.h.streams.total == 0
	})
	t.Logf("dropped %v after the stream opened", time.Since(start).Round(time.Millisecond))

	// The connection is closed: what the kernel held reads out, then EOF,
	// well short of the whole catch-up.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reading the dropped stream: %v after %d bytes, want its end", err, n)
	}
	if n >= 200*25000 {
		t.Errorf("the dropped stream had %d bytes: the whole catch-up", n)
	}
}

// The instance holds a bounded number of streams, and an address a
// bounded share of them: past either, a stream is refused with 429, a
// friendly message and Retry-After, while pages still load.
func TestCommentStreamCaps(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	s.h.streams.max, s.h.streams.perIP = 3, 2
	path := "/blog/" + p.Slug + "/comments/stream"
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 5 * time.Second}
	}
	open := func(ip string) *http.Response {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		res, err := from(ip).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	refused := func(res *http.Response, says string) {
		t.Helper()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), says) {
			t.Errorf("a stream past the cap: %d, Retry-After %q, want 429 with Retry-After saying %q:\n%.500s",
				res.StatusCode, res.Header.Get("Retry-After"), says, body)
		}
	}
	for _, ip := range []string{"127.0.0.1", "127.0.0.1"} {
		if res := open(ip); res.StatusCode != http.StatusOK {
			t.Fatalf("stream from %s: %d", ip, res.StatusCode)
		}
	}
	refused(open("127.0.0.1"), "from your connection")
	if res := open("127.0.0.2"); res.StatusCode != http.StatusOK {
		t.Fatalf("a stream from another address: %d", res.StatusCode)
	}
	refused(open("127.0.0.3"), "Live comments are busy")

	res, err := from("127.0.0.3").Get(srv.URL + "/blog/" + p.Slug)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the article with every stream taken: %d, want 200", res.StatusCode)
	}
	noServerErrors(t, s)
}

// Edits of one's comments are limited like new comments: past the limit
// the edit form comes back with what was typed, a message saying how long
// to wait, 429 and Retry-After, with htmx or without.
func TestCommentEditsAreLimited(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	wantStatus(t, cm.post(t, cm.form(t, "name=Ann", "body=First")), http.StatusSeeOther)
	c := commentsOf(t, p.ID)[0]
	path := fmt.Sprintf("/blog/%s/comments/%d", p.Slug, c.ID)
	save := func(text string, headers ...string) response {
		return cm.do(t, postForm(path, url.Values{"body": {text}}), headers...)
	}
	allowed := 0
	for ; allowed < 50; allowed++ {
		if res := save(fmt.Sprintf("Edit %d", allowed+1), htmx...); res.StatusCode != http.StatusOK {
			wantStatus(t, res, http.StatusTooManyRequests)
			if wait, _ := strconv.Atoi(res.Header.Get("Retry-After")); wait <= 0 {
				t.Errorf("Retry-After %q, want seconds", res.Header.Get("Retry-After"))
			}
			checkHTML(t, res.body,
				in("form.comment-edit textarea[name=body]", hasText(fmt.Sprintf("Edit %d", allowed+1))),
				// Right after posting, the wait outlasts the comment's
				// edit window: no "please wait", but the text kept.
				in("form.comment-edit .field-error", hasText("can no longer be changed"), hasText("Your text is still here")))
			break
		}
	}
	if allowed != 10 {
		t.Errorf("%d edits were allowed in a row, want 10", allowed)
	}
	res := save("Once more, without htmx")
	wantStatus(t, res, http.StatusTooManyRequests)
	checkHTML(t, res.body, in("main form.comment-edit textarea[name=body]", hasText("Once more, without htmx")))
	if got := commentsOf(t, p.ID)[0].BodyMD; got != "Edit 10" {
		t.Errorf("the comment says %q, want the last edit allowed", got)
	}
	noServerErrors(t, s)
}

// A burst of edits reaches a live reader as at most one update of the
// comment a second: the first at once, then the latest once the second is
// up. 300 edits of the longest comment are a few updates, not 300 of 25 KB.
func TestCommentEditsReachReadersOnceASecond(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	st := openStream(t, srv.URL, "/blog/"+p.Slug+"/comments/stream")
	c := storeComments(t, p.ID, 1, longestComment)[0]
	if ev := st.next(t, 2*time.Second); ev.name != sseComment {
		t.Fatalf("first event %s, want the new comment", ev.name)
	}

	// The reader takes the updates as they come, while the edits are made.
	var (
		updates []time.Time
		bytes   int
		names   []string
	)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			select {
			case ev, ok := <-st.events:
				if !ok {
					return
				}
				updates, names = append(updates, time.Now()), append(names, ev.name)
				bytes += len(ev.data)
				if strings.Contains(ev.data, "edit 300<") {
					return
				}
			case <-time.After(5 * time.Second):
				return
			}
		}
	}()
	start := time.Now()
	for i := range 300 {
		storeEdit(t, c, fmt.Sprintf("%s edit %d", longestComment[:maxBodyLen-20], i+1))
	}
	edited := time.Since(start)
	<-read
	if len(updates) == 0 || slices.ContainsFunc(names, func(n string) bool { return n != sseUpdate }) {
		t.Fatalf("the reader got %v, want updates ending with the last edit", names)
	}
	t.Logf("300 edits in %v reached the reader as %d updates, %d KB", edited.Round(time.Millisecond), len(updates), bytes>>10)
	for i := 1; i < len(updates); i++ {
		if gap := updates[i].Sub(updates[i-1]); gap < 900*time.Millisecond {
			t.Errorf("updates %d and %d came %v apart, want a second", i, i+1, gap)
		}
	}
	if most := 2 + int(edited/time.Second); len(updates) > most {
		t.Errorf("%d updates for edits that took %v, want at most %d", len(updates), edited, most)
	}
}

// Events past the replay window are pruned: a reader whose last event is
// older than what is left is told to reload; one within it catches up.
func TestCommentStreamAfterPruning(t *testing.T) {
	s := newTestServer(t, nil)
	srv := s.runHub(t)
	p := savePost(t, db.Post{})
	ctx := context.Background()
	before := newestEvent(t)
	storeComments(t, p.ID, 3, "Said a while ago")
	if _, err := seededDB(t).NewRaw("UPDATE comment_events SET created_at = now() - interval '2 hours'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	kept := newestEvent(t) // the newest of the old events stays
	storeComments(t, p.ID, 1, "Said just now")
	if _, err := db.PruneCommentEvents(ctx, seededDB(t), time.Hour); err != nil {
		t.Fatal(err)
	}

	evs := caughtUpEvents(t, s, srv.URL, p.Slug, before)
	if len(evs) != 1 || !strings.Contains(evs[0].data, "comments-stale") || eventID(evs[0].id) != newestEvent(t) {
		t.Fatalf("a reader from before the window got %+v, want the reload notice with the newest id", evs)
	}
	evs = caughtUpEvents(t, s, srv.URL, p.Slug, kept)
	if len(evs) != 1 || evs[0].name != sseComment || !strings.Contains(evs[0].data, "Said just now") {
		t.Errorf("a reader within the window got %+v, want the one comment since", evs)
	}
}
