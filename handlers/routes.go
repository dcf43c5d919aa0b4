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
		h.requestID,
		h.logRequests,
		h.securityHeaders,
		h.recover,
	)

	// Probes and assets: no session, no CSRF, no body.
	get(e, "/healthz", h.healthz)
	get(e, "/readyz", h.readyz)
	get(e, static.Prefix+"*", h.serveAsset)
	get(e, "/favicon.ico", h.favicon)

	// Pages. The chain is given per route, not through a Group: a group with
	// middleware catches every unknown path and method, which would turn a
	// wrong method into 403 or 404 instead of 405.
	site := h.siteMiddleware()
	get(e, "/", h.showHome, site...)
	get(e, "/services", h.showServices, site...)
	get(e, "/about", h.showAbout, site...)
	get(e, "/contact", h.showContact, site...)
	get(e, "/privacy", h.showPrivacy, site...)
	get(e, "/book", h.showBook, site...)
	get(e, "/book/slots", h.showSlots, site...)
	e.POST("/book/hold", h.holdSlot, site...)
	e.POST("/book/release", h.releaseHold, site...)
	get(e, "/book/details", h.showDetails, site...)
	e.POST("/book", h.book, site...)
	get(e, "/book/waitlist", h.showWaitlist, site...)
	e.POST("/book/waitlist", h.joinWaitlist, site...)
	get(e, "/book/waitlist/joined", h.showJoined, site...)
	get(e, "/book/waitlist/leave/:token", h.showLeave, site...)
	e.POST("/book/waitlist/leave/:token", h.leaveWaitlist, site...)
	get(e, "/book/offer/:token", h.takeOffer, site...)
	get(e, "/bookings/:token", h.showBooking, site...)
	get(e, "/bookings/:token/calendar.ics", h.bookingCalendar, site...)
	e.POST("/bookings/:token/cancel", h.cancelBooking, site...)
	get(e, "/bookings/:token/move", h.showMove, site...)
	e.POST("/bookings/:token/move", h.moveBooking, site...)
	get(e, "/blog", h.showBlog, site...)
	get(e, "/blog/:slug", h.showArticle, site...)
	e.POST("/blog/:slug/like", h.likeArticle, site...)
	e.POST("/blog/:slug/comments", h.postComment, site...)
	get(e, "/blog/:slug/comments/:id", h.showComment, site...)
	e.POST("/blog/:slug/comments/:id", h.saveComment, site...)
	get(e, "/blog/:slug/comments/:id/edit", h.showEditComment, site...)
	e.POST("/blog/:slug/comments/:id/delete", h.deleteComment, site...)
	get(e, "/blog/:slug/comments/:id/reply", h.showReplyForm, site...)
	// The live stream: no gzip (it would hold events back), no session.
	e.GET("/blog/:slug/comments/stream", h.commentStream)

	// Feeds for crawlers and readers: public and cacheable, so no session
	// or CSRF cookie.
	gzip := middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024})
	get(e, "/feed.xml", h.feed, gzip)
	get(e, "/sitemap.xml", h.sitemap, gzip)
	get(e, "/robots.txt", h.robots)
	if h.cfg.BenchCeiling {
		get(e, "/_bench/ceiling", h.ceiling(e), site...)
	}
	return e
}

// siteMiddleware is the chain every page and form runs through: a body
// limit, gzip, the session, errors rendered inside the session scope, panic
// recovery and CSRF.
func (h *Handler) siteMiddleware() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{
		middleware.BodyLimit("64K"),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}),
		h.withSession,
		h.errorsInside,
		h.recover,
		h.csrf,
	}
}

// get registers a page for GET and HEAD (uptime checkers use HEAD).
func get(e *echo.Echo, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	e.Add(http.MethodGet, path, h, mw...)
	e.Add(http.MethodHead, path, h, mw...)
}
