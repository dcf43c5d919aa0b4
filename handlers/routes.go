package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"dynamicmotion/static"
)

// Echo builds the web server: middleware, error handler, renderer and every
// route the site has. This file is the one place that lists them.
func (h *Handler) Echo() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = renderer{h.views}
	e.HTTPErrorHandler = h.handleError
	e.IPExtractor = clientIP(h.cfg.OnFly)

	// Everything, including assets and probes.
	e.Use(
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestID}),
		h.logRequests,
		h.securityHeaders,
		middleware.Recover(),
	)

	// Probes and assets: no session, no CSRF, no body.
	get(e, "/healthz", h.healthz)
	get(e, "/readyz", h.readyz)
	get(e, static.Prefix+"*", echo.WrapHandler(h.assets))
	get(e, "/favicon.ico", h.favicon)

	// The site: sessions, CSRF and errors rendered inside the session scope.
	site := e.Group("",
		middleware.BodyLimit("64K"),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}),
		h.withSession,
		h.errorsInside,
		middleware.Recover(),
		h.csrf,
	)
	get(site, "/", h.showHome)
	get(site, "/services", h.showServices)
	get(site, "/about", h.showAbout)
	get(site, "/contact", h.showContact)
	get(site, "/privacy", h.showPrivacy)
	get(site, "/book", h.showBook)
	return e
}

// router is what *echo.Echo and *echo.Group share.
type router interface {
	Add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}

// get registers a page for GET and HEAD (uptime checkers use HEAD).
func get(r router, path string, h echo.HandlerFunc) {
	r.Add(http.MethodGet, path, h)
	r.Add(http.MethodHead, path, h)
}
