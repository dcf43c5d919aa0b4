package db_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// nastySearches are queries that once answered 500, or might: runs of the
// NOT operator ("tsquery stack too small" from 33 dashes on), quotes,
// brackets, control and bidi characters, invalid UTF-8, a thousand words,
// ten kilobytes. They seed FuzzSearchPosts too.
var nastySearches = []string{
	strings.Repeat("-", 33),
	strings.Repeat("-", 5000),
	strings.Repeat("- ", 1000),
	"foam " + strings.Repeat("-", 40) + "roller",
	strings.Repeat("-", 40) + "roller",
	strings.Repeat("-foam ", 500),
	strings.Repeat("or -", 500) + "roller",
	strings.Repeat(`"`, 1000),
	strings.Repeat(`-"`, 500) + "roller",
	strings.Repeat(`- " `, 500) + "roller",
	strings.Repeat("(", 500) + "roller" + strings.Repeat(")", 500),
	"[roller] {calf} <neck> (pain)",
	`roller & !calf | neck <-> pain :* \`,
	strings.Repeat("!", 100) + "roller",
	"\u202eroller\u202c \u2066calf\u2069 \u200bneck\u200f",
	"roller\x00calf\x01\x1b[31m\x7f",
	"\ufeffroller",
	"\xff\xferoller\xc3",
	"\ue000roller\ue001",
	strings.Repeat("roller ", 1000),
	strings.Repeat("foam-roller ", 900), // about 10 KB, a thousand compound words
	strings.Repeat("x-", 2000) + "x",
	strings.Repeat("or ", 3000),
	strings.Repeat("-or ", 2000) + "-",
	strings.Repeat(`"neck pain" -`, 800),
	`-"foam" or -"-roller" -`,
}

// Every nasty query is answered: results (only public ones) or nothing
// found, never an error.
func TestSearchPostsAnswersNastyQueries(t *testing.T) {
	searchCorpus(t)
	for _, q := range nastySearches {
		name := q
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		res, err := db.SearchPosts(context.Background(), dbtest.DB(t), q, 1, 10)
		if err != nil {
			t.Errorf("SearchPosts(%q): %v", name, err)
			continue
		}
		publicOnly(t, q, res)
	}
	// What the operators were around still counts.
	for q, want := range map[string][]string{
		"foam " + strings.Repeat("-", 40) + " roller": {"foam-rolling"},
		"roller " + strings.Repeat("-", 40) + "calf":  {"foam-rolling"}, // a run of NOTs is one NOT
		strings.Repeat("- ", 100) + "calf":            {"calf-strain"},
		"roller --calf":                               {"foam-rolling"},
		"\u202eroller\u202c -calf":                    {"foam-rolling"},
		strings.Repeat("-", 5000) + " roller -calf -": {"foam-rolling"},
	} {
		if got := hitSlugs(search(t, q, 1, 10).Hits); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("SearchPosts(%.50q) = %v, want %v", q, got, want)
		}
	}
}

// publicOnly fails t if res holds a draft or a post not yet published.
func publicOnly(t *testing.T, q string, res db.SearchPage) {
	t.Helper()
	for _, h := range res.Hits {
		if h.Status == db.StatusDraft || h.Slug == "future-foam" {
			t.Errorf("SearchPosts(%.40q) found %s, which is not public", q, h.Slug)
		}
	}
}

// FuzzSearchPosts runs the real search on PostgreSQL with any text: it
// answers without an error, and only with public posts. `make fuzz` runs
// it for a while; `go test` runs the seeds.
func FuzzSearchPosts(f *testing.F) {
	for _, q := range nastySearches {
		f.Add(q)
	}
	for _, q := range []string{"roller", "foam rol", `"neck pain"`, "calf or neck", "roller -calf", "neck -desk", ""} {
		f.Add(q)
	}
	searchCorpus(f)
	bdb := dbtest.DB(f)
	f.Fuzz(func(t *testing.T, q string) {
		res, err := db.SearchPosts(context.Background(), bdb, q, 1, 10)
		if err != nil {
			t.Fatalf("SearchPosts(%q): %v", q, err)
		}
		publicOnly(t, q, res)
	})
}

func TestSearchQuery(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"foam roller", "foam roller"},
		{"  foam \t roller\n", "foam roller"},
		{"roller -calf", "roller -calf"},
		{"roller --calf", "roller -calf"},
		{"roller " + strings.Repeat("-", 5000) + "calf", "roller -calf"},
		{strings.Repeat("-", 33), ""},
		{strings.Repeat("- ", 100) + "calf", "calf"},
		{"re-injury", "re-injury"},
		{"re--injury -", "re-injury"},
		{`-"neck pain"`, `-"neck pain"`},
		{`neck-"pain"`, `neck "pain"`},
		{"\u202eroller\u202c", "roller"},
		{"roller\x00calf", "roller calf"},
		{"\xffroller", "roller"},
		{"\ue000roller\ue001", "roller"},
		{"calf or neck", "calf or neck"},
	} {
		if got := db.SearchQuery(tt.in); got != tt.want {
			t.Errorf("searchQuery(%.40q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := db.SearchQuery(strings.Repeat("word ", 1000)); len(strings.Fields(got)) != db.MaxSearchWords {
		t.Errorf("a thousand words: %d kept, want %d", len(strings.Fields(got)), db.MaxSearchWords)
	}
	if got := db.SearchQuery(strings.Repeat("é", 10_000)); utf8.RuneCountInString(got) != db.MaxSearchRunes {
		t.Errorf("ten thousand letters: %d kept, want %d", utf8.RuneCountInString(got), db.MaxSearchRunes)
	}
}

// PostgreSQL's own refusal of a query too complex for it (SQLSTATE 54001,
// what 33 dashes once caused) is recognised as such: SearchPosts turns it
// into nothing found should any query still reach it.
func TestTooComplex(t *testing.T) {
	var q string
	err := dbtest.DB(t).NewRaw("SELECT websearch_to_tsquery('english', ?)::text", strings.Repeat("-", 40)).Scan(context.Background(), &q)
	// PostgreSQL 15 says XX000 (an internal error); later versions 54001.
	if err == nil || !strings.Contains(err.Error(), "tsquery stack too small") {
		t.Fatalf("40 dashes: err %v, want PostgreSQL's tsquery stack too small", err)
	}
	if !db.TooComplex(err) {
		t.Errorf("tooComplex(%v) = false", err)
	}
	err = dbtest.DB(t).NewRaw("SELECT 1/0").Scan(context.Background(), &q)
	if db.TooComplex(nil) || db.TooComplex(context.Canceled) || db.TooComplex(err) {
		t.Error("tooComplex is true of an error that is not PostgreSQL's limit")
	}
}
