package handlers

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// publicPages are the pages anyone can open, with the text of their one h1.
var publicPages = []struct {
	path     string
	h1       string
	services bool // shows the service cards
	navItem  string
}{
	{"/", "Sports massage in St Ives, Cambridgeshire", true, ""},
	{"/services", "Services and prices", true, "Services"},
	{"/about", "About " + practiceName, false, "About"},
	{"/contact", "Contact", false, "Contact"},
	{"/privacy", "Privacy", false, ""},
	{"/book", "Book a session", false, ""},
}

// Every public page is a complete, accessible HTML page about the practice.
func TestPublicPages(t *testing.T) {
	s := newTestServer(t, nil)
	for _, p := range publicPages {
		t.Run(p.path, func(t *testing.T) {
			res := s.get(t, p.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", res.StatusCode, res.body)
			}
			if got, want := res.Header.Get("Content-Type"), "text/html; charset=UTF-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if strings.Contains(res.body, "ZgotmplZ") {
				t.Errorf("html/template rejected a value as unsafe (ZgotmplZ) in:\n%s", zgotmplzContext(res.body))
			}
			// The shared copy (shared.go), kept and revalidated by the
			// browser; /book is rendered for each visitor.
			if want := map[bool]string{true: "no-cache", false: "private, no-cache"}[p.path != "/book"]; res.Header.Get("Cache-Control") != want {
				t.Errorf("Cache-Control = %q, want %s", res.Header.Get("Cache-Control"), want)
			}
			if got := res.Header.Values("Vary"); !containsToken(got, "HX-Request") {
				t.Errorf("Vary = %q, want it to include HX-Request", got)
			}
			checkHTML(t, res.body,
				in("html", hasAttr("lang", "en-GB")),
				in("title", hasText(practiceName)),
				in("link[rel=canonical]", hasAttr("href", httpBase+p.path)),
				in("header a.brand", hasText(practiceName)),
				count("h1", 1),
				in("h1", hasExactText(p.h1)),
				count("main", 1),
				in("main#main"),
				in("a.skip-link", hasAttr("href", "#main"), hasText("Skip to main content")),
				in("a[href=/book]"),
				in("footer", hasText(practiceName)),
				// The seeded contact details are example data, and say so.
				in("footer .example", hasExactText("example")),
				// No inline script under the CSP: every script is a file of ours.
				notIn("script[onclick]"),
				allScriptsExternal,
			)
			if p.navItem != "" {
				checkHTML(t, res.body, in("nav a[aria-current=page]", hasExactText(p.navItem)))
			} else {
				checkHTML(t, res.body, notIn("nav a[aria-current=page]"))
			}
		})
	}
}

// allScriptsExternal checks that no <script> has inline code. Structured
// data (application/ld+json) is not code, and must be valid JSON.
func allScriptsExternal(n *html.Node) error {
	for _, s := range selectAll(n, "script") {
		if typ, _ := attr(s, "type"); typ == "application/ld+json" {
			if _, ok := attr(s, "src"); ok || !json.Valid([]byte(text(s))) {
				return fmt.Errorf("JSON-LD is not inline JSON: %s", render(s))
			}
			continue
		}
		if _, ok := attr(s, "src"); !ok || strings.TrimSpace(text(s)) != "" {
			return fmt.Errorf("inline script: %s", render(s))
		}
	}
	return nil
}

// serviceCard is what a visitor reads on a service card.
type serviceCard struct {
	ID       string
	Name     string
	Price    string
	Duration string
	Example  bool // labelled "example"
}

func serviceCards(t *testing.T, body string) []serviceCard {
	t.Helper()
	var cards []serviceCard
	for _, li := range selectAll(parseHTML(t, body), "li.card[id^=service-]") {
		id, _ := attr(li, "id")
		c := serviceCard{ID: id}
		if h := selectAll(li, "h3"); len(h) > 0 {
			c.Name = text(h[0])
		}
		if p := selectAll(li, ".meta .price"); len(p) > 0 {
			c.Price = text(p[0])
		}
		if m := selectAll(li, ".meta"); len(m) > 0 {
			// "£50 · 1 h example"
			_, after, _ := strings.Cut(text(m[0]), "·")
			c.Duration = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(after), "example"))
		}
		for _, e := range selectAll(li, ".example") {
			c.Example = c.Example || text(e) == "example"
		}
		cards = append(cards, c)
	}
	return cards
}

// The home and services pages list the seeded services in order, with
// prices formatted by views.Pounds and lengths by views.Minutes, each
// labelled as example data.
func TestServiceCards(t *testing.T) {
	s := newTestServer(t, nil)
	want := []serviceCard{
		{"service-sports-massage-30", "Sports massage — 30 minutes", "£30", "30 min", true},
		{"service-sports-massage-60", "Sports massage — 60 minutes", "£50", "1 h", true},
		{"service-sports-massage-90", "Sports massage — 90 minutes", "£70", "1 h 30 min", true},
	}
	for _, path := range []string{"/", "/services"} {
		t.Run(path, func(t *testing.T) {
			res := s.get(t, path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if diff := cmp.Diff(want, serviceCards(t, res.body)); diff != "" {
				t.Errorf("service cards (-want +got):\n%s", diff)
			}
		})
	}
}

// Until the therapist saves her own details, the seeded (is_example) data
// says it is an example wherever it shows.
func TestExampleDataLabelled(t *testing.T) {
	s := newTestServer(t, nil)
	checkHTML(t, s.get(t, "/services").body,
		in("main .example-note", hasText("example figures")),
		count("main li.card .example", 3))
	checkHTML(t, s.get(t, "/contact").body,
		in("main .example-note", hasText("example details")),
		in("main address .example", hasExactText("example")))
	checkHTML(t, s.get(t, "/").body,
		in("main address .example", hasExactText("example")),
		count("main li.card .example", 3))
}

// The phone and email on the contact page and in the footer are working
// links.
func TestContactLinks(t *testing.T) {
	s := newTestServer(t, nil)
	for _, tc := range []struct{ path, scope string }{{"/contact", "main dd"}, {"/book", "main"}, {"/about", "footer"}} {
		t.Run(tc.path, func(t *testing.T) {
			checkHTML(t, s.get(t, tc.path).body,
				in(tc.scope+" a[href^=tel:]", hasAttr("href", "tel:01480000000"), hasExactText("01480 000000")),
				in(tc.scope+" a[href^=mailto:]", hasAttr("href", "mailto:hello@example.com"), hasExactText("hello@example.com")),
			)
		})
	}
}

// Uptime checkers use HEAD: it answers like GET, without a body.
func TestPublicPagesHEAD(t *testing.T) {
	s := newTestServer(t, nil)
	for _, p := range publicPages {
		t.Run(p.path, func(t *testing.T) {
			res := s.serve(t, newRequest(http.MethodHead, p.path))
			if res.StatusCode != http.StatusOK {
				t.Errorf("HEAD status = %d, want 200", res.StatusCode)
			}
			if res.body != "" {
				t.Errorf("HEAD body = %q, want none", res.body)
			}
		})
	}
}

// An htmx-boosted navigation gets the whole page, not a fragment.
func TestBoostedNavigationGetsWholePage(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.get(t, "/about", "HX-Request: true", "HX-Boosted: true")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	checkHTML(t, res.body, in("html"), in("main#main"), in("h1", hasExactText("About "+practiceName)))
	if !strings.Contains(res.body, "<!doctype html>") {
		t.Errorf("boosted response is not a whole document:\n%s", res.body)
	}
}

// /favicon.ico sends browsers to the hashed icon.
func TestFavicon(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.get(t, "/favicon.ico")
	if res.StatusCode != http.StatusMovedPermanently {
		t.Fatalf("status = %d, want 301", res.StatusCode)
	}
	if got, want := res.Header.Get("Location"), s.assets.URL("img/favicon.svg"); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if res := s.get(t, res.Header.Get("Location")); res.StatusCode != http.StatusOK {
		t.Errorf("GET icon: status = %d, want 200", res.StatusCode)
	}
}

func newRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, target, nil)
}

// containsToken reports whether a comma-separated header (such as Vary)
// lists tok.
func containsToken(values []string, tok string) bool {
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), tok) {
				return true
			}
		}
	}
	return false
}

// zgotmplzContext returns the lines around each ZgotmplZ in body.
func zgotmplzContext(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, "ZgotmplZ") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}

// Pages are gzipped for clients that accept it.
func TestPagesGzip(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.get(t, "/services", "Accept-Encoding: gzip")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if got := res.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	if got := res.Header.Values("Vary"); !containsToken(got, "Accept-Encoding") {
		t.Errorf("Vary = %q, want it to include Accept-Encoding", got)
	}
	zr, err := gzip.NewReader(strings.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	checkHTML(t, string(plain), in("h1", hasExactText("Services and prices")))
}

// TestFirstDeployServesPagesBeforeAnyDetailsAreSaved is production's first
// start: `migrate` has run, the demo seed has not, and the therapist has not
// saved her details yet. Every page works and shows only what the practice's
// own article says, with no invented contact details or example labels.
func TestFirstDeployServesPagesBeforeAnyDetailsAreSaved(t *testing.T) {
	_, bdb := dbtest.Empty(t, db.Options{})
	if _, err := db.Migrate(context.Background(), bdb); err != nil {
		t.Fatal(err)
	}
	ts := newTestServerDB(t, bdb, nil)
	for _, path := range []string{"/", "/services", "/about", "/contact", "/privacy", "/book"} {
		res := ts.get(t, path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s on a migrated, unseeded database = %d, want 200", path, res.StatusCode)
			continue
		}
		checkHTML(t, res.body, hasText(practiceName), notIn("span.example"), count("h1", 1))
		if strings.Contains(res.body, "01480") || strings.Contains(res.body, "example.com") {
			t.Errorf("GET %s shows example contact details that nobody saved", path)
		}
	}
}
