package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPages measures whole requests through the real middleware chain,
// templates and PostgreSQL queries (no network): the server's own cost of a
// page. make bench runs it; BENCHMARKS.md records the figures.
func BenchmarkPages(b *testing.B) {
	ts := newTestServer(b, nil)
	paths := []string{"/", "/services", "/about", "/blog", "/blog?q=back+pain",
		"/blog/sports-massage-for-lower-back-pain", "/feed.xml", "/healthz", ts.assets.URL("css/site.css")}
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				rec := httptest.NewRecorder()
				ts.e.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", path, rec.Code)
				}
			}
		})
	}
}
