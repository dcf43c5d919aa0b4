package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The package's tests share one fresh database; each test makes its own
// events table and NOTIFY channel, so tests cannot see each other's events.
func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// wait bounds every wait for something that should happen.
const wait = 3 * time.Second

// fixture is one test's events table and channel, and a recording Load.
type fixture struct {
	t       *testing.T
	db      *bun.DB
	table   string
	channel string

	mu        sync.Mutex
	loadCalls int
	loaded    []int64 // every id passed to Load
	failLoads int     // how many Load calls fail before they succeed
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	f := &fixture{t: t, db: dbtest.DB(t), table: "test_events_" + suffix, channel: "live_test_" + suffix}
	ctx := context.Background()
	if _, err := f.db.ExecContext(ctx, "CREATE TABLE "+f.table+
		" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, topic bigint NOT NULL, body text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.ExecContext(context.Background(), "DROP TABLE "+f.table) }) //nolint:errcheck // best effort
	return f
}

func (f *fixture) config() Config {
	return Config{
		DB:      f.db,
		Channel: f.channel,
		Load:    f.load,
		Since:   f.since,
		Log:     slog.New(slog.NewTextHandler(testWriter{f.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (f *fixture) load(ctx context.Context, ids []int64) ([]Event, error) {
	f.mu.Lock()
	f.loadCalls++
	f.loaded = append(f.loaded, ids...)
	fail := f.failLoads > 0
	if fail {
		f.failLoads--
	}
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("load failed on purpose")
	}
	var rows []struct {
		ID    int64
		Topic int64
		Body  string
	}
	if err := f.db.NewRaw("SELECT id, topic, body FROM ? WHERE id IN (?) ORDER BY id",
		bun.Ident(f.table), bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	events := make([]Event, len(rows))
	for i, r := range rows {
		events[i] = Event{ID: r.ID, Topic: r.Topic, Name: "comment", Data: "<p>" + r.Body + "</p>"}
	}
	return events, nil
}

func (f *fixture) since(ctx context.Context, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := f.db.NewRaw("SELECT id FROM ? WHERE id > ? ORDER BY id LIMIT ?", bun.Ident(f.table), after, limit).Scan(ctx, &ids)
	return ids, err
}

func (f *fixture) stats() (calls int, loaded []int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loadCalls, slices.Clone(f.loaded)
}

// insert adds an event in tx and, if notify, NOTIFYs its id in the same
// transaction, as the site does.
func (f *fixture) insertTx(tx bun.Tx, topic int64, body string, notify bool) int64 {
	f.t.Helper()
	ctx := context.Background()
	var id int64
	if err := tx.NewRaw("INSERT INTO ? (topic, body) VALUES (?, ?) RETURNING id", bun.Ident(f.table), topic, body).
		Scan(ctx, &id); err != nil {
		f.t.Fatal(err)
	}
	if notify {
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?::text)", f.channel, id); err != nil {
			f.t.Fatal(err)
		}
	}
	return id
}

// insert commits one event, notified or not, and returns its id.
func (f *fixture) insert(topic int64, body string, notify bool) int64 {
	f.t.Helper()
	tx := f.begin()
	id := f.insertTx(tx, topic, body, notify)
	if err := tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) begin() bun.Tx {
	f.t.Helper()
	tx, err := f.db.BeginTx(context.Background(), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { tx.Rollback() }) //nolint:errcheck // no-op after commit
	return tx
}

// runner is a hub running until the test ends.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's result, once done is closed
}

// start runs a hub for cfg until the test ends, waits for Ready, and checks
// that Run returned nil when the test ends.
func start(t *testing.T, cfg Config) (*Hub, *runner) {
	t.Helper()
	h := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = h.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
			if r.err != nil {
				t.Errorf("Run = %v, want nil", r.err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancel")
		}
	})
	select {
	case <-h.Ready():
	case <-r.done:
		t.Fatalf("Run returned before Ready: %v", r.err)
	case <-time.After(wait):
		t.Fatal("Ready was not closed")
	}
	return h, r
}

func recv(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-s.C():
		if !ok {
			t.Fatalf("subscription closed (dropped=%v)", s.Dropped())
		}
		return ev
	case <-time.After(wait):
		t.Fatal("no event within", wait)
	}
	return Event{}
}

// expectNext fails unless s's next event is the one with id want. The hub
// handles events in order, so an event it should not have delivered to s
// (a stray, a duplicate) before want would be received first: a marker
// event proves that nothing came, with no wait for a quiet spell.
func expectNext(t *testing.T, s *Subscription, want int64) {
	t.Helper()
	if got := recv(t, s); got.ID != want {
		t.Fatalf("got %+v, want nothing before the marker %d", got, want)
	}
}

// expectCaughtUp commits an event on topic without a notification, so that
// only a catch-up delivers it, and expects it as s's next event. A catch-up
// loads the ids it has not handled in ascending order, so an event it would
// deliver twice would come before this one. Each call waits for one more
// catch-up.
func (f *fixture) expectCaughtUp(s *Subscription, topic int64) int64 {
	f.t.Helper()
	id := f.insert(topic, "marker", false)
	expectNext(f.t, s, id)
	return id
}

func expectClosed(t *testing.T, s *Subscription) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-s.C():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("subscription not closed within", wait)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// TestReadyMeansListening: once Ready is closed, a notification is heard
// (the catch-up is too slow to help here).
func TestReadyMeansListening(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.CatchUp = time.Minute
	h, _ := start(t, cfg)
	if n := h.Subscribers(); n != 0 {
		t.Errorf("Subscribers = %d, want 0", n)
	}
	s := h.Subscribe(1)
	defer s.Close()
	id := f.insert(1, "right away", true)
	if got := recv(t, s); got.ID != id {
		t.Fatalf("got %+v, want %d", got, id)
	}
}

func TestDeliversToTheTopicOnly(t *testing.T) {
	f := newFixture(t)
	h, _ := start(t, f.config())
	a1, a2, b := h.Subscribe(1), h.Subscribe(1), h.Subscribe(2)
	defer a1.Close()
	defer a2.Close()
	defer b.Close()
	if n := h.Subscribers(); n != 3 {
		t.Errorf("Subscribers = %d, want 3", n)
	}

	id := f.insert(1, "hello", true)
	want := Event{ID: id, Topic: 1, Name: "comment", Data: "<p>hello</p>", Resume: id}
	for _, s := range []*Subscription{a1, a2} {
		if got := recv(t, s); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}

	// b's first event is topic 2's: it got nothing of topic 1's.
	id2 := f.insert(2, "other", true)
	if got := recv(t, b); got.ID != id2 || got.Topic != 2 {
		t.Errorf("topic 2 got %+v, want id %d", got, id2)
	}
	// And topic 1's next event is the next that a1 and a2 get.
	marker := f.insert(1, "marker", true)
	expectNext(t, a1, marker)
	expectNext(t, a2, marker)
}

func TestLoadOncePerBatchNotPerSubscriber(t *testing.T) {
	f := newFixture(t)
	h, _ := start(t, f.config())
	subs := make([]*Subscription, 50)
	for i := range subs {
		subs[i] = h.Subscribe(7)
		defer subs[i].Close()
	}

	id := f.insert(7, "one", true)
	for _, s := range subs {
		if got := recv(t, s); got.ID != id {
			t.Fatalf("got %+v, want id %d", got, id)
		}
	}
	if calls, loaded := f.stats(); calls != 1 || !slices.Equal(loaded, []int64{id}) {
		t.Errorf("Load called %d times with %v, want once with [%d]", calls, loaded, id)
	}

	// Three events notified by one commit arrive together: each id is loaded
	// exactly once, in at most one call per notification, for all 50.
	tx := f.begin()
	var ids []int64
	for i := range 3 {
		ids = append(ids, f.insertTx(tx, 7, strconv.Itoa(i), true))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		for _, want := range ids {
			if got := recv(t, s); got.ID != want {
				t.Fatalf("got id %d, want %d (in order)", got.ID, want)
			}
		}
	}
	calls, loaded := f.stats()
	if calls > 1+len(ids) {
		t.Errorf("Load called %d times for 4 events", calls)
	}
	if want := append([]int64{id}, ids...); !slices.Equal(loaded, want) {
		t.Errorf("ids loaded = %v, want each once: %v", loaded, want)
	}
}

func TestTwoInstancesBothDeliver(t *testing.T) {
	f := newFixture(t)
	other, err := db.Open(context.Background(), dbtest.DSN(t), db.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })

	h1, _ := start(t, f.config())
	cfg2 := f.config()
	cfg2.DB = other
	h2, _ := start(t, cfg2)
	s1, s2 := h1.Subscribe(3), h2.Subscribe(3)
	defer s1.Close()
	defer s2.Close()

	tx := f.begin()
	id := f.insertTx(tx, 3, "both", true)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*Subscription{s1, s2} {
		if got := recv(t, s); got.ID != id {
			t.Errorf("instance %d got %+v, want id %d", i+1, got, id)
		}
	}
}

func TestRolledBackDeliversNothing(t *testing.T) {
	f := newFixture(t)
	h, _ := start(t, f.config())
	s := h.Subscribe(4)
	defer s.Close()

	tx := f.begin()
	gone := f.insertTx(tx, 4, "rolled back", true)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	kept := f.insert(4, "kept", true)
	if got := recv(t, s); got.ID != kept {
		t.Fatalf("first event = %+v, want the committed %d", got, kept)
	}
	expectNext(t, s, f.insert(4, "marker", true))
	if _, loaded := f.stats(); slices.Contains(loaded, gone) {
		t.Errorf("Load was asked for the rolled-back id %d", gone)
	}
}

func TestOutOfOrderCommitsAllDelivered(t *testing.T) {
	f := newFixture(t)
	h, _ := start(t, f.config())
	s := h.Subscribe(5)
	defer s.Close()

	tx1, tx2 := f.begin(), f.begin()
	low := f.insertTx(tx1, 5, "low", true)
	high := f.insertTx(tx2, 5, "high", true)
	if low >= high {
		t.Fatalf("ids %d, %d not ascending", low, high)
	}
	if err := tx2.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, s); got.ID != high {
		t.Fatalf("got %+v, want %d first", got, high)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, s); got.ID != low {
		t.Fatalf("got %+v, want the lower id %d committed later", got, low)
	}
}

func TestCatchUpDeliversLostNotifications(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.CatchUp = 200 * time.Millisecond
	h, _ := start(t, cfg)
	s := h.Subscribe(6)
	defer s.Close()

	began := time.Now()
	lost := f.insert(6, "not notified", false)
	if got := recv(t, s); got.ID != lost {
		t.Fatalf("got %+v, want %d", got, lost)
	}
	if d := time.Since(began); d > 2*cfg.CatchUp+500*time.Millisecond {
		t.Errorf("caught up after %v with CatchUp %v", d, cfg.CatchUp)
	}

	// A lower id committed without a notification after a higher one was
	// handled is caught up too.
	tx1, tx2 := f.begin(), f.begin()
	low := f.insertTx(tx1, 6, "low, lost", false)
	high := f.insertTx(tx2, 6, "high", true)
	if err := tx2.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, s); got.ID != high {
		t.Fatalf("got %+v, want %d", got, high)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, s); got.ID != low {
		t.Fatalf("got %+v, want the lower id %d", got, low)
	}
	// And nothing twice, through three more catch-ups.
	for range 3 {
		f.expectCaughtUp(s, 6)
	}
}

// listeners returns the backends of this database that LISTEN (the hubs').
func listeners(t *testing.T, f *fixture) []int64 {
	t.Helper()
	var pids []int64
	if err := f.db.NewRaw("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "+
		"AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'").Scan(context.Background(), &pids); err != nil {
		t.Fatal(err)
	}
	return pids
}

func TestListenerReconnectIsCaughtUp(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.CatchUp = 300 * time.Millisecond
	h, _ := start(t, cfg)
	s := h.Subscribe(17)
	defer s.Close()

	old := listeners(t, f)
	if len(old) != 1 {
		t.Fatalf("listening backends = %v, want one", old)
	}
	if _, err := f.db.ExecContext(context.Background(), "SELECT pg_terminate_backend(?)", old[0]); err != nil {
		t.Fatal(err)
	}
	// Notified while the listener is down or reconnecting: delivered anyway.
	during := f.insert(17, "during", true)
	if got := recv(t, s); got.ID != during {
		t.Fatalf("got %+v, want %d", got, during)
	}
	// pgdriver reconnects and LISTENs again on a new backend.
	deadline := time.Now().Add(wait)
	for {
		now := listeners(t, f)
		if len(now) == 1 && now[0] != old[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listening backends = %v, want one new one (old %d)", now, old[0])
		}
		time.Sleep(20 * time.Millisecond) // pgdriver does not tell when it reconnected: poll pg_stat_activity
	}
	after := f.insert(17, "after", true)
	if got := recv(t, s); got.ID != after {
		t.Fatalf("got %+v, want %d", got, after)
	}
}

func TestLoadErrorIsRetriedAtCatchUp(t *testing.T) {
	f := newFixture(t)
	f.failLoads = 1
	cfg := f.config()
	cfg.CatchUp = 200 * time.Millisecond
	h, _ := start(t, cfg)
	s := h.Subscribe(8)
	defer s.Close()

	id := f.insert(8, "retried", true)
	if got := recv(t, s); got.ID != id {
		t.Fatalf("got %+v, want %d", got, id)
	}
	if calls, _ := f.stats(); calls < 2 {
		t.Errorf("Load called %d times, want a failure then a retry", calls)
	}
	// Not delivered again by the catch-ups that follow.
	for range 3 {
		f.expectCaughtUp(s, 8)
	}
}

func TestExistingEventsAreNotBroadcast(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.insert(9, "old "+strconv.Itoa(i), i%2 == 0)
	}
	cfg := f.config()
	cfg.CatchUp = 100 * time.Millisecond
	h, _ := start(t, cfg)
	s := h.Subscribe(9)
	defer s.Close()
	// Three catch-ups pass without broadcasting the old events: each brings
	// only its new marker.
	var fresh []int64
	for range 3 {
		fresh = append(fresh, f.expectCaughtUp(s, 9))
	}

	id := f.insert(9, "new", true)
	if got := recv(t, s); got.ID != id {
		t.Fatalf("got %+v, want only the new %d", got, id)
	}
	fresh = append(fresh, id)
	if calls, loaded := f.stats(); calls != len(fresh) || !slices.Equal(loaded, fresh) {
		t.Errorf("Load called %d times with %v, want once for each new event %v", calls, loaded, fresh)
	}
}

func TestMalformedPayloadIgnored(t *testing.T) {
	f := newFixture(t)
	h, _ := start(t, f.config())
	s := h.Subscribe(10)
	defer s.Close()

	for _, p := range []string{"", "nope", "-3", "0", "1.5", "99999999999999999999"} {
		if _, err := f.db.ExecContext(context.Background(), "SELECT pg_notify(?, ?)", f.channel, p); err != nil {
			t.Fatal(err)
		}
	}
	id := f.insert(10, "fine", true)
	if got := recv(t, s); got.ID != id {
		t.Fatalf("got %+v, want %d", got, id)
	}
	if _, loaded := f.stats(); !slices.Equal(loaded, []int64{id}) {
		t.Errorf("ids loaded = %v, want [%d]", loaded, id)
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Buffer = 2
	h, _ := start(t, cfg)
	slow, fast := h.Subscribe(11), h.Subscribe(11)
	defer fast.Close()

	var ids []int64
	for i := range 5 {
		ids = append(ids, f.insert(11, strconv.Itoa(i), true))
		if got := recv(t, fast); got.ID != ids[i] {
			t.Fatalf("fast got %+v, want %d", got, ids[i])
		}
	}
	// The slow one kept what fitted, then its channel was closed.
	var got []int64
	for _, ev := range drain(t, slow) {
		got = append(got, ev.ID)
	}
	if !slices.Equal(got, ids[:2]) {
		t.Errorf("slow subscriber got %v, want the first two %v", got, ids[:2])
	}
	if !slow.Dropped() {
		t.Error("Dropped = false for the slow subscriber")
	}
	if fast.Dropped() {
		t.Error("Dropped = true for the fast subscriber")
	}
	if n := h.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d after the drop, want 1", n)
	}
	slow.Close() // safe after a drop
	slow.Close()
	if n := h.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d after closing a dropped one, want 1", n)
	}
}

// drain returns the events left in s's channel, failing if it is not closed
// within the wait.
func drain(t *testing.T, s *Subscription) []Event {
	t.Helper()
	var evs []Event
	deadline := time.After(wait)
	for {
		select {
		case ev, ok := <-s.C():
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		case <-deadline:
			t.Fatal("subscription not closed within", wait)
		}
	}
}

func TestCloseIsIdempotentAndUnsubscribes(t *testing.T) {
	f := newFixture(t)
	h, _ := start(t, f.config())
	gone, stays := h.Subscribe(12), h.Subscribe(12)
	defer stays.Close()
	if n := h.Subscribers(); n != 2 {
		t.Fatalf("Subscribers = %d, want 2", n)
	}
	gone.Close()
	gone.Close()
	if n := h.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d after Close, want 1", n)
	}
	if _, ok := <-gone.C(); ok {
		t.Error("channel open after Close")
	}
	if gone.Dropped() {
		t.Error("Dropped = true after Close")
	}
	id := f.insert(12, "after close", true)
	if got := recv(t, stays); got.ID != id {
		t.Errorf("got %+v, want %d", got, id)
	}
}

func TestCancelClosesSubscriptionsAndReturnsNil(t *testing.T) {
	f := newFixture(t)
	h, r := start(t, f.config())
	a, b := h.Subscribe(13), h.Subscribe(14)
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run = %v, want nil", r.err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return within a second of the cancellation")
	}
	expectClosed(t, a)
	expectClosed(t, b)
	if a.Dropped() {
		t.Error("Dropped = true after the hub stopped")
	}
	if n := h.Subscribers(); n != 0 {
		t.Errorf("Subscribers = %d after stop, want 0", n)
	}
	late := h.Subscribe(13)
	expectClosed(t, late)
	late.Close()
	a.Close()
	// And a second Run refuses.
	if err := h.Run(context.Background()); err == nil {
		t.Error("second Run returned nil")
	}
}

func TestConfigErrors(t *testing.T) {
	f := newFixture(t)
	for name, mutate := range map[string]func(*Config){
		"no DB":      func(c *Config) { c.DB = nil },
		"no channel": func(c *Config) { c.Channel = "" },
		"no Load":    func(c *Config) { c.Load = nil },
		"no Since":   func(c *Config) { c.Since = nil },
	} {
		cfg := f.config()
		mutate(&cfg)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		if err := New(cfg).Run(ctx); err == nil {
			t.Errorf("%s: Run = nil, want an error", name)
		}
		cancel()
	}
}

// TestConcurrentSubscribeAndClose runs many subscribers that come and go
// while events flow (meant for -race): every event reaches every steady
// subscriber, in order, and the count returns to the steady ones.
func TestConcurrentSubscribeAndClose(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Log = nil
	h, _ := start(t, cfg)
	steady := []*Subscription{h.Subscribe(15), h.Subscribe(16)}

	stop := make(chan struct{})
	var churned atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := h.Subscribe(int64(15 + g%2))
				select {
				case <-s.C():
				default:
				}
				s.Close()
				churned.Add(1)
			}
		})
	}
	var ids [2][]int64
	for i := range 10 {
		topic := 15 + i%2
		ids[topic-15] = append(ids[topic-15], f.insert(int64(topic), strconv.Itoa(i), true))
	}
	for k, s := range steady {
		for _, want := range ids[k] {
			if got := recv(t, s); got.ID != want {
				t.Fatalf("steady %d got %d, want %d", k, got.ID, want)
			}
		}
	}
	close(stop)
	wg.Wait()
	if churned.Load() == 0 {
		t.Error("no churn happened")
	}
	if n := h.Subscribers(); n != 2 {
		t.Errorf("Subscribers = %d, want the 2 steady ones", n)
	}
	for _, s := range steady {
		s.Close()
	}
	if n := h.Subscribers(); n != 0 {
		t.Errorf("Subscribers = %d, want 0", n)
	}
}

// TestTrackerFloor checks the id bookkeeping without a database.
func TestTrackerFloor(t *testing.T) {
	tr := newTracker()
	t0 := time.Now()
	grace := time.Minute
	tr.mark(5)
	tr.mark(7)
	if tr.fresh(5) || !tr.fresh(6) || !tr.fresh(8) {
		t.Fatal("fresh wrong after marking 5 and 7")
	}
	tr.settle(t0, grace) // checkpoint (t0, 7)
	if tr.floor != 0 {
		t.Fatalf("floor = %d before the grace passed", tr.floor)
	}
	tr.mark(9)
	tr.settle(t0.Add(30*time.Second), grace) // checkpoint (t0+30s, 9)
	tr.settle(t0.Add(61*time.Second), grace) // raises to 7
	if tr.floor != 7 || tr.fresh(6) || !tr.fresh(8) || tr.fresh(9) {
		t.Fatalf("floor = %d, fresh(6)=%v fresh(8)=%v", tr.floor, tr.fresh(6), tr.fresh(8))
	}
	if _, ok := tr.seen[5]; ok {
		t.Error("ids below the floor kept")
	}
	tr.settle(t0.Add(200*time.Second), grace)
	if tr.floor != 9 {
		t.Errorf("floor = %d, want 9", tr.floor)
	}

	// The cap raises the floor past the lowest half.
	for id := int64(100); id < 100+maxSeen+1; id++ {
		tr.mark(id)
	}
	floor, trimmed := tr.trim()
	if !trimmed || len(tr.seen) != maxSeen/2 || floor != 100+maxSeen-maxSeen/2 {
		t.Errorf("trim: floor %d, trimmed %v, %d kept", floor, trimmed, len(tr.seen))
	}
	if tr.fresh(floor) || !tr.fresh(100+maxSeen+1) || tr.fresh(100+maxSeen) {
		t.Error("fresh wrong after trim")
	}
}
