package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func load(t *testing.T) *Assets {
	t.Helper()
	a, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return a
}

// embedded lists every file compiled into the binary.
func embedded(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, name)
		}
		return err
	})
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded files: %v", err)
	}
	return names
}

var hashedURL = regexp.MustCompile(`^/static/(.+)\.([0-9a-f]{12})(\.[a-z0-9]+)$`)

// The URL of a file carries the first 12 hex digits of its content's SHA-256,
// so a change in content is a change of URL.
func TestEveryFileHasAContentHashedURL(t *testing.T) {
	a := load(t)
	for _, name := range embedded(t) {
		body, err := files.ReadFile(name)
		if err == nil {
			body, err = minified(name, body)
		}
		if err != nil {
			t.Fatal(err)
		}
		u := a.URL(name)
		m := hashedURL.FindStringSubmatch(u)
		if m == nil {
			t.Errorf("URL(%q) = %q, not /static/<path>.<12 hex>.<ext>", name, u)
			continue
		}
		sum := sha256.Sum256(body)
		if want := hex.EncodeToString(sum[:])[:12]; m[2] != want {
			t.Errorf("URL(%q) hash %s, want %s from the content", name, m[2], want)
		}
		if m[1]+m[3] != name {
			t.Errorf("URL(%q) = %q does not keep the file's path and extension", name, u)
		}
	}
	for _, want := range []string{"css/site.css", "img/favicon.svg", "img/logo.svg", "vendor/htmx.min.js"} {
		if _, ok := a.hashed[want]; !ok {
			t.Errorf("%s is not embedded", want)
		}
	}
}

func TestURLPanicsOnAnUnknownName(t *testing.T) {
	a := load(t)
	for _, name := range []string{"css/nope.css", "site.css", "/css/site.css", "vendor/SHA256SUMS", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("URL(%q) did not panic", name)
				}
			}()
			a.URL(name)
		}()
	}
}

// The vendored htmx is the file whose checksum was recorded when it was
// fetched (static/vendor/fetch.sh writes SHA256SUMS).
func TestVendoredFilesMatchSHA256SUMS(t *testing.T) {
	sums, err := os.ReadFile("vendor/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		want, file, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("malformed SHA256SUMS line %q", line)
		}
		file = strings.TrimPrefix(file, "*")
		body, err := files.ReadFile("vendor/" + file)
		if err != nil {
			t.Errorf("%s is listed in SHA256SUMS but not embedded: %v", file, err)
			continue
		}
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s", file, got, want)
		}
		checked++
	}
	if !strings.Contains(string(sums), "htmx.min.js") || checked == 0 {
		t.Error("SHA256SUMS does not cover htmx.min.js")
	}
}

func TestServeHTTP(t *testing.T) {
	a := load(t)
	css := a.URL("css/site.css")
	cssBody, _ := files.ReadFile("css/site.css")
	cssBody, _ = minified("css/site.css", cssBody)
	etag := a.byURL[css].etag

	tests := []struct {
		name, method, path string
		header             map[string]string
		wantStatus         int
		wantHeader         map[string]string
		wantBody           []byte // after gunzipping
	}{
		{
			name: "a hashed asset is cached for a year", method: "GET", path: css,
			wantStatus: 200, wantBody: cssBody,
			wantHeader: map[string]string{
				"Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=31536000, immutable",
				"ETag": etag, "Vary": "Accept-Encoding", "Content-Encoding": "",
			},
		},
		{
			name: "gzip when the client takes it", method: "GET", path: css,
			header:     map[string]string{"Accept-Encoding": "br, gzip"},
			wantStatus: 200, wantBody: cssBody,
			wantHeader: map[string]string{"Content-Encoding": "gzip"},
		},
		{
			name: "no gzip when refused with q=0", method: "GET", path: css,
			header:     map[string]string{"Accept-Encoding": "gzip; q=0"},
			wantStatus: 200, wantBody: cssBody,
			wantHeader: map[string]string{"Content-Encoding": ""},
		},
		{
			name: "revalidation by ETag", method: "GET", path: css,
			header:     map[string]string{"If-None-Match": etag},
			wantStatus: 304, wantBody: []byte{},
		},
		{
			name: "HEAD sends headers only", method: "HEAD", path: css,
			wantStatus: 200, wantBody: []byte{},
			wantHeader: map[string]string{"Content-Length": strconv.Itoa(len(cssBody))},
		},
		{name: "the unhashed name is not served", method: "GET", path: "/static/css/site.css", wantStatus: 404},
		{name: "an outdated hash is not served", method: "GET", path: "/static/css/site.000000000000.css", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			for k, v := range tt.wantHeader {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if tt.wantBody == nil {
				return
			}
			body, _ := io.ReadAll(res.Body)
			if res.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, tt.wantBody) {
				t.Errorf("body: %d bytes, want %d", len(body), len(tt.wantBody))
			}
		})
	}
}

// Our own CSS and JavaScript are served minified (their comments stay in
// the sources), vendored files as they come.
func TestOwnFilesServedMinified(t *testing.T) {
	a := load(t)
	for _, name := range []string{"js/site.js", "css/site.css", "vendor/htmx.min.js"} {
		src, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		served := a.byURL[a.URL(name)].body
		own := !strings.HasPrefix(name, "vendor/")
		if own && (len(served) >= len(src)*9/10 || bytes.Contains(served, []byte("/*")) || bytes.Contains(served, []byte("\n  //"))) {
			t.Errorf("%s is served as %d bytes of its %d, with comments: not minified", name, len(served), len(src))
		}
		if !own && !bytes.Equal(served, src) {
			t.Errorf("%s is changed when served; vendored files are served as they come", name)
		}
	}
}
