package views

import "dynamicmotion/db"

// Page is what every full page gets: the layout's needs plus the page's own
// data in Data.
type Page struct {
	Title       string   // the page's own title; the layout adds the site name
	Description string   // meta description, also for OpenGraph and Twitter cards
	Canonical   string   // absolute canonical URL
	Path        string   // request path, for marking the current nav item
	OGType      string   // OpenGraph type: "website" unless set ("article")
	NoIndex     bool     // ask search engines not to index (search results)
	NoStore     bool     // personal data: browsers must not keep a copy
	JSONLD      any      // structured data, written as application/ld+json
	Scripts     []string // extra scripts the page needs (asset names), after htmx
	Image       *Image   // the link preview's picture (og:image), if the page has one
	Admin       *Admin   // set on the therapist's pages: her header instead of the site's
	Business    db.Business
	Year        int // this year in London, for the footer
	Data        any
}

// Error is the data of the error page and fragment.
type Error struct {
	Status  int
	Heading string
	Message string
}

// Admin is what the therapist's pages share: who is logged in.
type Admin struct {
	Email string
}

// Image is a page's picture for link previews: an absolute URL (previews
// are fetched by other sites), its size and its alt text.
type Image struct {
	URL           string
	Width, Height int
	Alt           string
}
