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
	for _, path := range []string{"/", "/services", "/about", "/healthz", ts.assets.URL("css/site.css")} {
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
