package handlers

import (
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// ceiling serves the newest article's page from memory through the same
// middleware as real pages: the fastest this server could answer that page.
// The load script measures pages against it. It exists only when
// BENCH_CEILING=1.
func (h *Handler) ceiling(e *echo.Echo) echo.HandlerFunc {
	var (
		once sync.Once
		body []byte
	)
	return func(c echo.Context) error {
		once.Do(func() {
			latest, err := h.latestSlug(c)
			if err != nil {
				return
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/blog/"+latest, nil))
			body = rec.Body.Bytes()
		})
		if body == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "no article to copy")
		}
		c.Response().Header().Set("Cache-Control", "private, no-cache")
		return c.HTMLBlob(http.StatusOK, body)
	}
}

func (h *Handler) latestSlug(c echo.Context) (string, error) {
	posts, err := db.LatestPosts(c.Request().Context(), h.db, 1)
	if err != nil || len(posts) == 0 {
		return "", echo.ErrNotFound
	}
	return posts[0].Slug, nil
}
