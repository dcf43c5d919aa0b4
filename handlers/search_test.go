package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dynamicmotion/db"
)

// Whatever ?q= holds, /blog answers 200 with results or "nothing found",
// as a page and as either htmx fragment; never a 500 (PostgreSQL once said
// "tsquery stack too small" to 33 dashes). Control and bidi characters do
// not reach the page.
func TestBlogSearchTakesAnyQuery(t *testing.T) {
	s := newTestServer(t, nil)
	word := "word" + unique()
	p := savePost(t, db.Post{Title: "The " + word + " routine", BodyMD: "Foam roller, then the " + word + " stretch."})
	for _, q := range []string{
		strings.Repeat("-", 33),
		strings.Repeat("-", 5000),
		word + " " + strings.Repeat("-", 40) + " roller",
		strings.Repeat("- ", 1000) + word,
		strings.Repeat(`"`, 999) + word,
		strings.Repeat(`-"`, 500),
		"(((" + word + ")))",
		"[" + word + "] {x} <y>",
		`word & !x | y <-> z :* \`,
		"\u202e" + word + "\u202c \u2066x\u2069\u200b",
		word + "\x00\x01\x1b[31m\x7f",
		strings.Repeat(word+" ", 1000),
		strings.Repeat("foam-roller ", 900),
		strings.Repeat("or -", 2500),
		`-"` + word + `" or -"-roller" -`,
	} {
		name := q
		if len(name) > 30 {
			name = name[:30] + "…"
		}
		t.Run(name, func(t *testing.T) {
			target := "/blog?q=" + url.QueryEscape(q)
			for _, headers := range [][]string{{}, {"HX-Request: true", "HX-Target: post-list"}, {"HX-Request: true", "HX-Target: more"}} {
				res := s.get(t, target, headers...)
				wantStatus(t, res, http.StatusOK)
				if len(headers) == 2 && headers[1] == "HX-Target: more" {
					continue // "more": just the next cards, which may be none
				}
				if !strings.Contains(res.body, "No articles match") && len(cardSlugs(t, res.body)) == 0 {
					t.Errorf("%v: neither results nor nothing found:\n%.1500s", headers, res.body)
				}
				for _, bad := range []string{"\u202e", "\u2066", "\u200b", "\x00", "\x1b"} {
					if strings.Contains(res.body, bad) {
						t.Errorf("%v: the page holds %q from the query", headers, bad)
					}
				}
			}
		})
	}
	// The words around the operators still find the article.
	// (The page keeps a query's first 200 characters.)
	for _, q := range []string{word + " " + strings.Repeat("-", 40) + " roller", strings.Repeat("- ", 80) + word, "\u202e" + word + "\u202c"} {
		if got := cardSlugs(t, s.get(t, "/blog?q="+url.QueryEscape(q)).body); len(got) != 1 || got[0] != p.Slug {
			t.Errorf("q=%.40q found %v, want %s", q, got, p.Slug)
		}
	}
	noServerErrors(t, s)
}
