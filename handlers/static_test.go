package handlers

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Assets live under content-hashed URLs, cached for a year, compressed for
// clients that accept gzip and revalidated by ETag.
func TestStaticAssets(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		name        string // inside static/
		contentType string
		minified    bool // served minified (static.Load), not as on disk
	}{
		{"css/site.css", "text/css; charset=utf-8", true},
		{"vendor/htmx.min.js", "text/javascript; charset=utf-8", false},
		{"img/logo.svg", "image/svg+xml", false},
	}
	hashedURL := regexp.MustCompile(`^/static/[a-z/]+/[a-z.]+\.[0-9a-f]{12}\.[a-z]+$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			onDisk, err := os.ReadFile("../static/" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			u := s.assets.URL(tc.name)
			if !hashedURL.MatchString(u) {
				t.Errorf("URL(%q) = %q, want /static/<dir>/<name>.<12 hex digits>.<ext>", tc.name, u)
			}

			res := s.get(t, u)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status = %d, want 200", u, res.StatusCode)
			}
			etag := res.Header.Get("ETag")
			got := map[string]string{
				"Content-Type":     res.Header.Get("Content-Type"),
				"Cache-Control":    res.Header.Get("Cache-Control"),
				"Content-Encoding": res.Header.Get("Content-Encoding"),
				"Vary":             res.Header.Get("Vary"),
			}
			want := map[string]string{
				"Content-Type":     tc.contentType,
				"Cache-Control":    "public, max-age=31536000, immutable",
				"Content-Encoding": "",
				"Vary":             "Accept-Encoding",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if !regexp.MustCompile(`^"[0-9a-f]{12}"$`).MatchString(etag) {
				t.Errorf("ETag = %q, want a quoted hash", etag)
			}
			if tc.minified {
				if len(res.body) == 0 || len(res.body) >= len(onDisk) {
					t.Errorf("body is %d bytes, want the %d of static/%s minified", len(res.body), len(onDisk), tc.name)
				}
				onDisk = []byte(res.body) // what gzip must carry
			} else if !bytes.Equal([]byte(res.body), onDisk) {
				t.Errorf("body (%d bytes) differs from static/%s (%d bytes)", len(res.body), tc.name, len(onDisk))
			}

			t.Run("gzip", func(t *testing.T) {
				res := s.get(t, u, "Accept-Encoding: gzip, deflate, br")
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status = %d, want 200", res.StatusCode)
				}
				if got := res.Header.Get("Content-Encoding"); got != "gzip" {
					t.Fatalf("Content-Encoding = %q, want gzip", got)
				}
				zr, err := gzip.NewReader(strings.NewReader(res.body))
				if err != nil {
					t.Fatal(err)
				}
				plain, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(plain, onDisk) {
					t.Error("gunzipped body differs from the file")
				}
				if res.Header.Get("ETag") != etag {
					t.Errorf("ETag = %q with gzip, want %q", res.Header.Get("ETag"), etag)
				}
			})
			t.Run("gzip refused with q=0", func(t *testing.T) {
				res := s.get(t, u, "Accept-Encoding: gzip;q=0")
				if got := res.Header.Get("Content-Encoding"); got != "" {
					t.Errorf("Content-Encoding = %q, want none", got)
				}
			})
			t.Run("If-None-Match", func(t *testing.T) {
				res := s.get(t, u, "If-None-Match: "+etag)
				if res.StatusCode != http.StatusNotModified {
					t.Errorf("status = %d, want 304", res.StatusCode)
				}
				if res.body != "" {
					t.Errorf("304 has a body of %d bytes", len(res.body))
				}
				if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
					t.Errorf("Cache-Control on 304 = %q", got)
				}
			})
			t.Run("If-None-Match, another version", func(t *testing.T) {
				if res := s.get(t, u, `If-None-Match: "000000000000"`); res.StatusCode != http.StatusOK {
					t.Errorf("status = %d, want 200", res.StatusCode)
				}
			})
			t.Run("HEAD", func(t *testing.T) {
				res := s.serve(t, httptest.NewRequest(http.MethodHead, u, nil))
				if res.StatusCode != http.StatusOK || res.body != "" {
					t.Errorf("HEAD = %d with %d bytes, want 200 without a body", res.StatusCode, len(res.body))
				}
			})
		})
	}
}

// Only the hashed URLs exist: a stale or guessed URL is 404, so a cached
// page can never pair with the wrong version of a file.
func TestStaticAssetsNotFound(t *testing.T) {
	s := newTestServer(t, nil)
	hashed := s.assets.URL("css/site.css")
	for _, target := range []string{
		"/static/css/site.css",                     // unhashed
		"/static/css/site.000000000000.css",        // wrong hash
		strings.Replace(hashed, ".css", ".CSS", 1), // wrong case
		"/static/",                                   // directory
		"/static/css/",                               // directory
		"/static/../go.mod",                          // outside
		"/static/static.go",                          // the package's source
		"/static/vendor/SHA256SUMS",                  // not embedded
		strings.TrimSuffix(hashed, ".css") + ".js",   // other extension
		strings.Replace(hashed, "/css/", "/img/", 1), // other directory
	} {
		t.Run(target, func(t *testing.T) {
			res := s.get(t, target)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status = %d, want 404", target, res.StatusCode)
			}
			if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
				t.Errorf("404 is cacheable: Cache-Control = %q", cc)
			}
		})
	}
}

// Every asset a page links to is served.
func TestPageAssetsResolve(t *testing.T) {
	s := newTestServer(t, nil)
	doc := parseHTML(t, s.get(t, "/").body)
	var urls []string
	for _, sel := range []string{"link[rel=stylesheet]", "link[rel=icon]", "script[src]", "img[src]"} {
		for _, n := range selectAll(doc, sel) {
			for _, a := range []string{"href", "src"} {
				if v, ok := attr(n, a); ok {
					urls = append(urls, v)
				}
			}
		}
	}
	if len(urls) < 4 {
		t.Fatalf("found %d asset URLs in the home page (%q), want stylesheet, icon, script and logo", len(urls), urls)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "/static/") {
			t.Errorf("asset %q is not served by this site", u)
			continue
		}
		if res := s.get(t, u); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status = %d, want 200", u, res.StatusCode)
		}
	}
}
