package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"dynamicmotion/db"
)

// BenchmarkArticleWith50Comments is the article page of the load run: an
// article with 50 visible comments, asked for by a first-time visitor
// (gzip, no cookies), through the real middleware and templates.
func BenchmarkArticleWith50Comments(b *testing.B) {
	ts := newTestServer(b, nil)
	p := savePost(b, db.Post{})
	for i := range 50 {
		c := &db.Comment{PostID: p.ID, Name: "Reader " + strconv.Itoa(i), Status: db.CommentVisible,
			BodyMD:     "Comment " + strconv.Itoa(i) + " about *stretching* after a long run.",
			BodyHTML:   "<p>Comment " + strconv.Itoa(i) + " about <em>stretching</em> after a long run.</p>",
			AuthorHash: []byte("author-" + strconv.Itoa(i)), IPHash: []byte("ip")}
		if err := db.AddComment(context.Background(), ts.h.db, c); err != nil {
			b.Fatal(err)
		}
	}
	path := "/blog/" + p.Slug
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		ts.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
}
