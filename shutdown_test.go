package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"dynamicmotion/config"
	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// runningSite is serve running in the test process on a loopback port.
type runningSite struct {
	url    string
	dsn    string
	signal func()       // plays the part of SIGINT
	result <-chan error // what serve returned
}

// startServe runs serve over a fresh, seeded database and waits until it is
// ready.
func startServe(t *testing.T) runningSite {
	t.Helper()
	dsn, _ := freshDatabase(t)
	if code, out := invoke(t, []string{"seed"}, map[string]string{"DATABASE_URL": dsn}, ""); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	base, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", port))
	cfg := config.Config{DatabaseURL: dsn, DirectDatabaseURL: dsn, Port: port, BaseURL: base}
	ctx, signal := context.WithCancel(context.Background())
	t.Cleanup(signal)
	result := make(chan error, 1)
	go func() { result <- serve(ctx, func() {}, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	// serve announces nothing when it is ready: /readyz is polled.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(base.String() + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not become ready within 10 s")
		}
	}
	return runningSite{url: base.String(), dsn: dsn, signal: signal, result: result}
}

// holdLock makes every query on table wait, as a slow or stuck database
// would, until release is called. waiting returns once another session
// waits for the lock.
func holdLock(t *testing.T, dsn, table string) (release, waiting func()) {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, dsn, db.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := bdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback(); bdb.Close() }) }
	t.Cleanup(release)
	waiting = func() {
		t.Helper()
		// PostgreSQL announces no waiter: pg_stat_activity is polled, on
		// the connection that holds the lock.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			n, err := dbtest.LockWaiters(ctx, tx)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no query came to wait on %s within 10 s", table)
			}
		}
	}
	return release, waiting
}

// refusedWithin waits until the site refuses new connections, and reports
// whether it did within d. Nothing announces the moment serve closes its
// listener, so a new connection is tried every few milliseconds.
func refusedWithin(site runningSite, d time.Duration) bool {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	// Polled: a refused connection is only known by trying one.
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		res, err := client.Get(site.url + "/healthz")
		if err != nil {
			return true
		}
		res.Body.Close()
	}
	return false
}

// getAsync requests path and sends its status (or -1 on a transport error).
func getAsync(url string) <-chan int {
	status := make(chan int, 1)
	go func() {
		res, err := http.Get(url)
		if err != nil {
			status <- -1
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		status <- res.StatusCode
	}()
	return status
}

// TestShutdownLetsInFlightRequestsFinish: a visitor whose page is being made
// when the process is told to stop still gets the page; new connections are
// refused meanwhile; the process then stops cleanly.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	site := startServe(t)
	release, waiting := holdLock(t, site.dsn, "business_settings")
	page := getAsync(site.url + "/about")
	waiting() // the request now waits on the database

	site.signal()
	// The request stays in flight until release: new connections must be
	// refused meanwhile.
	if !refusedWithin(site, 2*time.Second) {
		t.Error("new requests were still accepted 2 s into the drain")
	}
	select {
	case code := <-page:
		t.Fatalf("the in-flight request ended (%d) before the database let it go", code)
	default:
	}
	release()

	if code := <-page; code != http.StatusOK {
		t.Errorf("the in-flight request got %d, want 200: the drain must let it finish", code)
	}
	select {
	case err := <-site.result:
		if err != nil {
			t.Errorf("serve returned %v after a clean drain, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the drain")
	}
}

// TestShutdownIsBoundedWhenARequestHangs: a request stuck on the database
// past the grace period is cancelled, and the stop takes less than Fly's
// 5-second kill_timeout.
func TestShutdownIsBoundedWhenARequestHangs(t *testing.T) {
	site := startServe(t)
	_, waiting := holdLock(t, site.dsn, "business_settings")
	page := getAsync(site.url + "/about")
	waiting()

	start := time.Now()
	site.signal()
	select {
	case <-site.result:
		if took := time.Since(start); took >= 5*time.Second {
			t.Errorf("shutdown took %v, want under 5 s", took)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("serve still running 8 s after the signal: a hanging request holds the shutdown")
	}
	if code := <-page; code == http.StatusOK {
		t.Error("the hanging request claims success although its query was cancelled")
	}
}

// Readers of the live comment stream do not hold the drain: their streams
// end when the server stops, well within Fly's 5 seconds, and serve returns.
func TestShutdownEndsCommentStreams(t *testing.T) {
	site := startServe(t)
	var streams []*http.Response
	for range 3 {
		res, err := http.Get(site.url + "/blog/sports-massage-for-lower-back-pain/comments/stream")
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream: %d", res.StatusCode)
		}
		streams = append(streams, res)
	}
	ended := make(chan struct{}, len(streams))
	for _, res := range streams {
		go func() { io.Copy(io.Discard, res.Body); res.Body.Close(); ended <- struct{}{} }()
	}
	start := time.Now()
	site.signal()
	select {
	case err := <-site.result:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop within 5 s with live streams open")
	}
	for range streams {
		select {
		case <-ended:
		case <-time.After(time.Second):
			t.Fatal("a stream was still open after the server stopped")
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stopping took %v with streams open; they should end at once", d)
	}
}
