package handlers

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dynamicmotion/db"
)

// benchCommenter returns a function that posts one valid comment on the
// post, through the whole middleware chain and the database, as a person
// who took their time over the form. Rate limits are lifted for the run.
func benchCommenter(b *testing.B, s *testServer, slug string) func() {
	s.h.limits.comment = &formLimits{perIP: newRateLimit(1<<30, time.Hour), perSession: newRateLimit(1<<30, time.Hour)}
	ctx := context.Background()
	stamp := s.h.stampForm(ctx, time.Now().Add(-time.Minute))
	n := 0
	return func() {
		n++
		f := url.Values{startedField: {stamp}, "name": {"Reader"},
			"body": {"Comment number " + strconv.Itoa(n) + ": this helped my *lower back* a lot."}}
		req := postForm("/blog/"+slug+"/comments", f)
		req.Header.Set("HX-Request", "true")
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("posting a comment: %d\n%s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkPostComment: comments accepted per second by one instance
// (validation, Markdown and sanitising, the insert with its event and
// NOTIFY in one transaction, the htmx answer).
func BenchmarkPostComment(b *testing.B) {
	s := newTestServer(b, nil)
	p := savePost(b, db.Post{})
	post := benchCommenter(b, s, p.Slug)
	start := time.Now()
	for b.Loop() {
		post()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "comments/s")
}

// BenchmarkCommentFanOut100: how long a new comment takes to reach 100
// readers connected to the article's live stream over loopback HTTP, from
// the moment it is posted: the NOTIFY, one render for the instance, and
// the fan-out. Reports the median and 99th percentile over every reader of
// every comment. Each reader connects from an address of its own
// (127.0.1.x: all of 127/8 is loopback), as readers do, so that the cap on
// streams per address (maxStreamsPerIP) admits them all; 100 is within the
// instance's cap (maxStreams).
func BenchmarkCommentFanOut100(b *testing.B) {
	const readers = 100
	s := newTestServer(b, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.h.Run(ctx)
	<-s.h.Ready()
	srv := httptest.NewServer(s.e)
	// The readers hang up (cancel) before the server closes, which waits for them.
	defer srv.Close()
	defer cancel()
	p := savePost(b, db.Post{})
	post := benchCommenter(b, s, p.Slug)

	var (
		mu       sync.Mutex
		postedAt time.Time
		arrivals []time.Duration
		got      = make(chan struct{}, readers*4)
	)
	var connected sync.WaitGroup
	for i := range readers {
		connected.Add(1)
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i))}}
		client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/blog/"+p.Slug+"/comments/stream", nil)
			res, err := client.Do(req)
			connected.Done()
			if err != nil {
				return
			}
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "event: comment") {
					mu.Lock()
					arrivals = append(arrivals, time.Since(postedAt))
					mu.Unlock()
					got <- struct{}{}
				}
			}
		}()
	}
	connected.Wait()
	for deadline := time.Now().Add(10 * time.Second); s.h.hub.Subscribers() < readers; {
		if time.Now().After(deadline) { // a refused reader would otherwise keep make bench waiting for ever
			b.Fatalf("only %d of %d readers are connected after 10 s", s.h.hub.Subscribers(), readers)
		}
		time.Sleep(5 * time.Millisecond) // polling the hub's count: subscribing sends no event
	}

	for b.Loop() {
		mu.Lock()
		postedAt = time.Now()
		mu.Unlock()
		post()
		for range readers {
			select {
			case <-got:
			case <-time.After(5 * time.Second):
				b.Fatal("a reader did not get the comment within 5 s")
			}
		}
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(arrivals)
	pct := func(q float64) float64 {
		return float64(arrivals[int(q*float64(len(arrivals)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// threadPost makes a new article whose thread already has thread
// comments, the table's statistics brought up to date (as autovacuum
// would), so that a measurement does not pay for the last one's writes.
func threadPost(tb testing.TB, thread int) db.Post {
	tb.Helper()
	p := savePost(tb, db.Post{})
	bulkComments(tb, p.ID, thread)
	if _, err := seededDB(tb).NewRaw("VACUUM ANALYZE comments").Exec(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return p
}

// postingTime posts n comments on p, from clients at once, each post
// followed by the article drawn again for a reader without a session (each
// post drops the cached article, so the next reader's view loads and
// renders it anew), and returns how long that took. Rate limits are lifted.
func postingTime(tb testing.TB, s *testServer, p db.Post, n, clients int) time.Duration {
	tb.Helper()
	s.h.limits.comment = &formLimits{perIP: newRateLimit(1<<30, time.Hour), perSession: newRateLimit(1<<30, time.Hour)}
	stamp := s.h.stampForm(context.Background(), s.h.now().Add(-time.Minute))
	var (
		next   atomic.Int64
		failed atomic.Value
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				f := url.Values{startedField: {stamp}, "name": {"Reader"},
					"body": {"Comment number " + strconv.FormatInt(i, 10) + ": this helped my *lower back* a lot."}}
				req := postForm("/blog/"+p.Slug+"/comments", f)
				req.Header.Set("HX-Request", "true")
				rec := httptest.NewRecorder()
				s.e.ServeHTTP(rec, req)
				page := httptest.NewRecorder()
				s.e.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/blog/"+p.Slug, nil))
				if rec.Code != http.StatusOK || page.Code != http.StatusOK {
					failed.Store(fmt.Sprintf("posting: %d, the article after: %d", rec.Code, page.Code))
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		tb.Fatal(f)
	}
	return time.Since(start)
}

// BenchmarkPostCommentOnThread: comments per second (8 clients, each post
// followed by the article drawn again) on a thread of 50 comments and on one
// of 3,000. Paged, the two cost the same.
func BenchmarkPostCommentOnThread(b *testing.B) {
	s := newTestServer(b, nil)
	for _, thread := range []int{50, 3000} {
		b.Run(strconv.Itoa(thread), func(b *testing.B) {
			var took time.Duration
			posts := 0
			for b.Loop() {
				b.StopTimer()
				p := threadPost(b, thread)
				b.StartTimer()
				took += postingTime(b, s, p, 100, 8)
				posts += 100
			}
			b.ReportMetric(float64(posts)/took.Seconds(), "comments/s")
		})
	}
}

// TestPostingCostsTheSameOnAnyThread measures posting (as
// BenchmarkPostCommentOnThread) on threads of 50 comments and of 3,000,
// prints both rates, and fails if they differ by more than 20%. The two
// are measured in turn, in short stretches on new articles (so that each
// thread stays near its length, and both see the same load from whatever
// else the machine runs), after a warm-up. A measurement, not a test of
// behaviour: it runs only with BENCH_THREADS=1 (make bench).
func TestPostingCostsTheSameOnAnyThread(t *testing.T) {
	if os.Getenv("BENCH_THREADS") == "" {
		t.Skip("a measurement: BENCH_THREADS=1 runs it (make bench)")
	}
	const stretches, posts, clients = 12, 60, 8
	s := newTestServer(t, nil)
	postingTime(t, s, threadPost(t, 0), 2*posts, clients) // warm-up: connections, templates, caches
	took := map[int]time.Duration{}
	for i := range stretches {
		order := []int{50, 3000}
		if i%2 == 1 {
			order = []int{3000, 50}
		}
		for _, thread := range order {
			took[thread] += postingTime(t, s, threadPost(t, thread), posts, clients)
		}
	}
	n := float64(stretches * posts)
	short, long := n/took[50].Seconds(), n/took[3000].Seconds()
	diff := (short - long) / max(short, long)
	fmt.Printf("posting (%d clients, each post followed by the article drawn again; %d stretches of %d posts each):\n"+
		"  thread of 50 comments:    %6.0f comments/s\n  thread of 3,000 comments: %6.0f comments/s (%+.0f%%)\n",
		clients, stretches, posts, short, long, -100*diff)
	if math.Abs(diff) > 0.20 {
		t.Errorf("posting on a thread of 3,000 comments runs at %.0f/s, on one of 50 at %.0f/s: more than 20%% apart", long, short)
	}
}
