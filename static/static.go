// Package static embeds the site's CSS, JavaScript and images and serves them
// under content-hashed URLs (/static/css/site.3f2a9c1b.css) that can be
// cached for a year: a changed file gets a new URL.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
)

//go:embed css img js vendor/htmx.min.js vendor/htmx-ext-sse.min.js
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

type asset struct {
	body  []byte
	gz    []byte // gzip-compressed body, when that is smaller
	ctype string
	etag  string
}

// Assets is the set of embedded files, hashed and compressed once at start-up.
type Assets struct {
	byURL  map[string]*asset // hashed URL path → asset
	hashed map[string]string // logical name → hashed URL path
}

// Load reads, hashes and compresses every embedded file.
func Load() (*Assets, error) {
	a := &Assets{byURL: map[string]*asset{}, hashed: map[string]string{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		if body, err = minified(name, body); err != nil {
			return fmt.Errorf("minifying %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		url := Prefix + strings.TrimSuffix(name, ext) + "." + hash + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		as := &asset{body: body, ctype: ct, etag: `"` + hash + `"`}
		if compressible(ct) {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			if buf.Len() < len(body) {
				as.gz = buf.Bytes()
			}
		}
		a.byURL[url] = as
		a.hashed[name] = url
		return nil
	})
	return a, err
}

// minifier shrinks our own CSS and JavaScript once at start-up. Their
// sources keep the comments that say why (most of site.js); the bytes a
// phone downloads do not, which is what keeps the article page within its
// 40 KB budget. Vendored files come minified already.
var minifier = func() *minify.M {
	m := minify.New()
	m.AddFunc("text/css", css.Minify)
	m.AddFunc("application/javascript", js.Minify)
	return m
}()

// minified is body minified when name is one of our own CSS or JavaScript
// files, else body as it is.
func minified(name string, body []byte) ([]byte, error) {
	switch {
	case strings.HasSuffix(name, ".min.js"):
		return body, nil
	case strings.HasSuffix(name, ".js"):
		return minifier.Bytes("application/javascript", body)
	case strings.HasSuffix(name, ".css"):
		return minifier.Bytes("text/css", body)
	}
	return body, nil
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") ||
		strings.Contains(ct, "svg") || strings.Contains(ct, "json")
}

// URL returns the hashed URL of a file named by its path inside static/,
// such as "css/site.css". It panics on an unknown name so that a typo in a
// template fails the start-up check, not a visitor's page.
func (a *Assets) URL(name string) string {
	u, ok := a.hashed[name]
	if !ok {
		panic(fmt.Sprintf("static: no asset %q", name))
	}
	return u
}

// Has reports whether urlPath is the hashed URL of an asset.
func (a *Assets) Has(urlPath string) bool {
	_, ok := a.byURL[urlPath]
	return ok
}

// ServeHTTP serves a hashed asset with immutable caching, gzip when the
// client accepts it, and ETag revalidation; anything else is 404.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	as, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", as.etag)
	h.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == as.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := as.body
	if as.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
