package handlers

import (
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"dynamicmotion/views"
)

// renderer adapts views.Renderer to echo.Renderer.
type renderer struct{ v *views.Renderer }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.v.Render(w, name, data)
}

// isFragment reports whether the request wants a fragment: htmx asked for
// it, and it is not a boosted navigation (which wants the whole page).
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true" &&
		h.Get("HX-History-Restore-Request") != "true"
}

// renderFragment answers with one template block and its own data.
func (h *Handler) renderFragment(c echo.Context, status int, name string, data any) error {
	hd := c.Response().Header()
	hd.Add("Vary", "HX-Request")
	privateCache(hd, false)
	hd.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Status = status
	return h.views.Render(c.Response(), name, data)
}

// privateCache marks an answer for this visitor only: revalidated before
// reuse, or never stored at all with noStore. A "no-store" already set (by
// the therapist's area, for everything it answers) stays.
func privateCache(hd http.Header, noStore bool) {
	if noStore || strings.Contains(hd.Get("Cache-Control"), "no-store") {
		hd.Set("Cache-Control", "private, no-store")
		return
	}
	hd.Set("Cache-Control", "private, no-cache")
}

// page fills the data every full page needs.
func (h *Handler) page(c echo.Context, title, description string, data any) (views.Page, error) {
	b, err := h.business(c)
	if err != nil {
		return views.Page{}, err
	}
	return views.Page{
		Title:       title,
		Description: description,
		Canonical:   h.cfg.BaseURL.String() + c.Request().URL.Path,
		Path:        c.Request().URL.Path,
		Business:    b,
		Year:        h.now().In(views.London).Year(),
		Data:        data,
	}, nil
}

// render answers with the page name in the layout, or — for an htmx
// request — with only its block fragment (if fragment is not empty).
func (h *Handler) render(c echo.Context, status int, name, fragment string, p views.Page) error {
	hd := c.Response().Header()
	hd.Add("Vary", "HX-Request")
	privateCache(hd, p.NoStore)
	if fragment != "" && isFragment(c) {
		name += "#" + fragment
	}
	hd.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
	}
	// views renders into a pooled buffer and writes it in one go only once
	// the whole page rendered; the status goes out with that first write.
	c.Response().Status = status
	return h.views.Render(c.Response(), name, p)
}
