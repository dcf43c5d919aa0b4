package main

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// page serves one page as a site or nginx would: gzipped when asked,
// with etag (if not "") and, when notModified, 304 for If-None-Match with
// it. delay slows every answer down.
func page(html, etag string, notModified bool, delay time.Duration) http.HandlerFunc {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(html))
	zw.Close()
	return func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay) // a slow server is what is being imitated: the delay is the answer's time, not a wait
		if etag != "" {
			w.Header().Set("ETag", etag)
			if notModified && r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
			return
		}
		w.Write([]byte(html))
	}
}

// TestBudgets runs the budgets against a made-up site and nginx on
// loopback: the site answers at once and the references (nginx, /healthz)
// take 2 ms, so every measured budget is met and the verdicts depend only
// on what the site sends.
func TestBudgets(t *testing.T) {
	*duration, *conns = 150*time.Millisecond, 2
	article := "<!doctype html><title>Back pain</title>" + strings.Repeat("<p>Stretch after a run.</p>", 200)
	nginx := httptest.NewServer(page(article, `"ngx"`, true, 2*time.Millisecond))
	defer nginx.Close()
	site := func(etag string, notModified bool, html string) string {
		mux := http.NewServeMux()
		mux.Handle("/blog/back-pain", page(html, etag, notModified, 0))
		mux.Handle("/healthz", page("ok", "", false, 2*time.Millisecond))
		s := httptest.NewServer(mux)
		t.Cleanup(s.Close)
		return s.URL
	}
	t.Setenv("BENCH_BUDGETS", "1")
	for _, c := range []struct {
		name, etag  string
		notModified bool
		html        string
		missed, err string // what they must contain ("": be empty)
	}{
		{name: "met", etag: `"v1"`, notModified: true, html: article},
		{name: "no ETag", html: article, missed: `failed: none; skipped: "revalidation`},
		{name: "ETag without 304", etag: `"v1"`, html: article, missed: `failed: "revalidation`},
		{name: "another page", html: strings.Replace(article, "Back pain", "Knees", 1), err: "not the same page"},
		{name: "a grown page", html: article + strings.Repeat("<p>More</p>", 100), err: "it changed since nginx got it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			missed, err := budgets(site(c.etag, c.notModified, c.html), "/blog/back-pain", nginx.URL)
			switch {
			case c.err != "":
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one saying %q", err, c.err)
				}
			case err != nil:
				t.Fatal(err)
			case c.missed == "" && missed != "":
				t.Errorf("missed %q, want every budget met", missed)
			case !strings.Contains(missed, c.missed):
				t.Errorf("missed %q, want it to say %q", missed, c.missed)
			}
		})
	}
}
