package views_test

import (
	"io"
	"testing"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// BenchmarkRenderHome measures rendering the home page template alone (no
// database, no HTTP), the floor under the page's server time.
func BenchmarkRenderHome(b *testing.B) {
	r, err := views.New(map[string]any{"asset": func(name string) string { return "/static/" + name }})
	if err != nil {
		b.Fatal(err)
	}
	services := []db.Service{
		{Slug: "a", Name: "Sports massage — 30 minutes", DurationMin: 30, PricePence: 3000, AtStudio: true, Mobile: true},
		{Slug: "b", Name: "Sports massage — 60 minutes", DurationMin: 60, PricePence: 5000, AtStudio: true, Mobile: true},
		{Slug: "c", Name: "Sports massage — 90 minutes", DurationMin: 90, PricePence: 7000, AtStudio: true},
	}
	p := views.Page{
		Title: "Sports massage in St Ives", Path: "/",
		Business: db.Business{Name: "Dynamic Motion Sports Therapy", Locality: "St Ives", Region: "Cambridgeshire",
			Phone: "01480 000000", Email: "hello@example.com", IsExample: true},
		Data: struct {
			Services []db.Service
			Latest   []db.Post
		}{services, []db.Post{
			{Slug: "warm-up", Title: "How to warm up before a race", Summary: "Five minutes that save a season."},
			{Slug: "recovery", Title: "Recovery after a marathon", Summary: "What to do in the week after."},
		}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Render(io.Discard, "home", p); err != nil {
			b.Fatal(err)
		}
	}
}
