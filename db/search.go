package db

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun/driver/pgdriver"
)

// What one search may ask of PostgreSQL. A visitor's query is text of any
// kind (the search box sends whatever is typed, or pasted): it is cut to
// these before it becomes a tsquery, so that neither its size nor its
// operators can make the query costly or make PostgreSQL refuse it.
const (
	maxSearchRunes = 200 // characters, as the handler also caps them
	maxSearchWords = 32  // words (and operators); more narrows nothing a reader means
)

// searchQuery is query made safe for websearch_to_tsquery: valid UTF-8
// without control or format characters (bidi controls, zero-width spaces)
// or the snippet markers; each run of "-" (the NOT operator) cut to one,
// and a "-" that negates nothing (not followed by a word or a phrase)
// dropped, so that no run of operators can outgrow PostgreSQL's tsquery
// stack (32 pending operators: "tsquery stack too small"); then at most
// maxSearchWords words and maxSearchRunes characters.
func searchQuery(query string) string {
	var b strings.Builder
	words := 0 // words written so far, counted when a space follows one
	space := true
	put := func(r rune) {
		if r == ' ' {
			if !space {
				words++
			}
			if space || words >= maxSearchWords {
				space = true
				return
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	prev := ' '
	for i := 0; i < len(query) && words < maxSearchWords && b.Len() < 8*maxSearchRunes; {
		r, size := utf8.DecodeRuneInString(query[i:])
		i += size
		switch {
		case r == '-':
			for i < len(query) && query[i] == '-' {
				i++
			}
			next, _ := utf8.DecodeRuneInString(query[i:])
			// A dash inside a word ("re-injury") joins it; a dash before a
			// word or a phrase negates it; any other run is dropped.
			if wordRune(next) || (next == '"' && !wordRune(prev)) {
				put('-')
			} else {
				put(' ')
			}
		case r == '\ue000' || r == '\ue001' || r == utf8.RuneError || unicode.IsSpace(r) ||
			unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			put(' ')
		default:
			put(r)
		}
		prev = r
	}
	q := strings.TrimSpace(b.String())
	if utf8.RuneCountInString(q) > maxSearchRunes {
		q = strings.TrimSpace(string([]rune(q)[:maxSearchRunes]))
	}
	return q
}

// wordRune reports whether r can be part of a word to search for.
func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// tooComplex reports an error with which PostgreSQL refuses a query as
// beyond its limits: for a search, a query that finds nothing, not a
// failure of the site. That is SQLSTATE class 54 ("program limit
// exceeded"), and "tsquery stack too small", which PostgreSQL 15 raises as
// an internal error (XX000; later versions say 54001).
func tooComplex(err error) bool {
	var pgErr pgdriver.Error
	if !errors.As(err, &pgErr) {
		return false
	}
	code := pgErr.Field('C')
	return strings.HasPrefix(code, "54") || (code == "XX000" && strings.Contains(pgErr.Field('M'), "tsquery"))
}
