package db

// Exported for the db_test package's tests.
var WholeAddress = wholeAddress

// For the search tests.
var (
	SearchQuery = searchQuery
	TooComplex  = tooComplex
)

const (
	MaxSearchWords = maxSearchWords
	MaxSearchRunes = maxSearchRunes
)
