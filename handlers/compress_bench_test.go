package handlers

import (
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dynamicmotion/config"
	"dynamicmotion/db"
)

// BenchmarkGzipLevel compresses real answers of the site, as Echo's gzip
// middleware does (one pooled gzip.Writer, Reset to each response, one Write
// of the rendered page), at each level from 1 to 9: the time per answer
// (ns/op, and MB/s of HTML) and the compressed size (gzip-bytes). The
// answers are of the kinds compressed on the fly: the article page with 50
// comments (compressed per request today; once anonymous pages are cached
// pre-compressed, still for every personal render), the blog list fragment
// that search as you type swaps in, and the therapist's dashboard.
// gzipLevel (compress.go) was chosen from these figures.
//
//	go test -run '^$' -bench GzipLevel -benchtime 2000x ./handlers/
func BenchmarkGzipLevel(b *testing.B) {
	for _, a := range gzipSamples(b) {
		for level := gzip.BestSpeed; level <= gzip.BestCompression; level++ {
			b.Run(fmt.Sprintf("%s/level=%d", a.name, level), func(b *testing.B) {
				zw, err := gzip.NewWriterLevel(nil, level)
				if err != nil {
					b.Fatal(err)
				}
				var out byteCounter
				b.SetBytes(int64(len(a.body)))
				b.ReportAllocs()
				for b.Loop() {
					out = 0
					zw.Reset(&out)
					if _, err := zw.Write(a.body); err != nil {
						b.Fatal(err)
					}
					if err := zw.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(out), "gzip-bytes")
				b.ReportMetric(float64(len(a.body)), "html-bytes")
			})
		}
	}
}

// byteCounter is a writer that only counts.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}

type gzipSample struct {
	name string
	body []byte
}

// gzipSamples renders, uncompressed, the answers BenchmarkGzipLevel
// compresses: the seeded article with 50 comments (as in the load run), the
// blog list fragment and the therapist's dashboard, signed in.
func gzipSamples(b *testing.B) []gzipSample {
	b.Helper()
	ts := newTestServer(b, func(c *config.Config) { c.AdminEmail = adminEmail })
	ctx := context.Background()
	hash, err := adminHashOnce()
	if err != nil {
		b.Fatal(err)
	}
	if err := db.SetAdminPassword(ctx, seededDB(b), adminEmail, hash); err != nil {
		b.Fatal(err)
	}
	// The load run's article: a copy of the seeded one with 50 comments.
	seeded, err := db.PostBySlug(ctx, seededDB(b), "sports-massage-for-lower-back-pain")
	if err != nil {
		b.Fatal(err)
	}
	p := savePost(b, db.Post{Title: seeded.Title, Summary: seeded.Summary, BodyMD: seeded.BodyMD,
		Author: seeded.Author, Tags: seeded.Tags})
	for i := range 50 {
		c := &db.Comment{PostID: p.ID, Name: "Load Test " + strconv.Itoa(i), Status: db.CommentVisible,
			BodyMD:     "Comment " + strconv.Itoa(i) + " from the load run: a few words about *stretching* after a long run.",
			BodyHTML:   "<p>Comment " + strconv.Itoa(i) + " from the load run: a few words about <em>stretching</em> after a long run.</p>",
			AuthorHash: []byte("author-" + strconv.Itoa(i)), IPHash: []byte("ip")}
		if err := db.AddComment(ctx, ts.h.db, c); err != nil {
			b.Fatal(err)
		}
	}
	article := "/blog/" + p.Slug

	serve := func(req *http.Request, want int) *httptest.ResponseRecorder {
		req.RemoteAddr = "198.51.100.77:4321"
		rec := httptest.NewRecorder()
		ts.e.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s = %d, want %d\n%.500s", req.Method, req.URL, rec.Code, want, rec.Body)
		}
		if enc := rec.Header().Get("Content-Encoding"); enc != "" {
			b.Fatalf("%s %s: Content-Encoding %q without Accept-Encoding", req.Method, req.URL, enc)
		}
		return rec
	}
	// Log in, as the therapist does, for her dashboard.
	login := httptest.NewRequest(http.MethodPost, loginPath,
		strings.NewReader(url.Values{"email": {adminEmail}, "password": {adminPassword}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var session *http.Cookie
	for _, c := range serve(login, http.StatusSeeOther).Result().Cookies() {
		if c.Name == "session" {
			session = c
		}
	}
	if session == nil {
		b.Fatal("log in: no session cookie")
	}

	get := func(path string, headers ...string) []byte {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return serve(req, http.StatusOK).Body.Bytes()
	}
	dashboard := func() []byte {
		req := httptest.NewRequest(http.MethodGet, adminPath, nil)
		req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
		return serve(req, http.StatusOK).Body.Bytes()
	}()
	return []gzipSample{
		{"article", get(article)},
		{"blog-fragment", get("/blog", "HX-Request", "true", "HX-Target", "post-list")},
		{"admin-dashboard", dashboard},
	}
}
