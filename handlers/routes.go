package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"dynamicmotion/links"
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
		h.withoutTrailingSlash,
	)

	// Probes and assets: no session, no body.
	get(e, "/healthz", h.healthz)
	get(e, "/readyz", h.readyz)
	get(e, static.Prefix+"*", h.serveAsset)
	get(e, "/favicon.ico", h.favicon)

	// Pages. The chain is given per route, not through a Group: a group with
	// middleware catches every unknown path and method, which would turn a
	// wrong method into 403 or 404 instead of 405.
	site := h.siteMiddleware(h.crossOrigin())
	// Public pages: one copy for every visitor without a session (shared.go),
	// in front of the rest of the chain, which renders it.
	public := func(before ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
		return append(before, site...)
	}
	get(e, "/", h.showHome, public(h.sharePage())...)
	get(e, "/services", h.showServices, public(h.sharePage())...)
	get(e, "/about", h.showAbout, public(h.sharePage())...)
	get(e, "/contact", h.showContact, public(h.sharePage())...)
	get(e, "/form-stamp", h.formStamp, site...)
	e.POST("/contact", h.postContact, site...)
	get(e, "/privacy", h.showPrivacy, public(h.sharePage())...)
	get(e, "/book", h.showBook, site...)
	get(e, "/book/slots", h.showSlots, site...)
	e.POST("/book/hold", h.holdSlot, site...)
	e.POST("/book/release", h.releaseHold, site...)
	get(e, "/book/details", h.showDetails, site...)
	e.POST("/book", h.book, site...)
	get(e, "/book/waitlist", h.showWaitlist, site...)
	e.POST("/book/waitlist", h.joinWaitlist, site...)
	get(e, "/book/waitlist/joined", h.showJoined, site...)
	get(e, links.LeaveWaitlist+":token", h.showLeave, site...)
	e.POST(links.LeaveWaitlist+":token", h.leaveWaitlist, site...)
	get(e, links.Offer+":token", h.takeOffer, site...)
	get(e, links.Manage+":token", h.showBooking, site...)
	get(e, links.Manage+":token/calendar.ics", h.bookingCalendar, site...)
	get(e, links.Manage+":token/cancel", h.showCancel, site...)
	e.POST(links.Manage+":token/cancel", h.cancelBooking, site...)
	get(e, links.Manage+":token/move", h.showMove, site...)
	e.POST(links.Manage+":token/move", h.moveBooking, site...)
	get(e, "/blog", h.showBlog, public(h.sharePage("tag", "page"))...)
	get(e, "/blog/:slug", h.showArticle, public(h.articleVisit, h.sharePage())...)
	e.POST("/blog/:slug/like", h.likeArticle, site...)
	e.POST("/blog/:slug/comments", h.postComment, site...)
	e.POST("/blog/:slug/comments/preview", h.previewComment, site...)
	get(e, "/blog/:slug/comments/:id", h.showComment, site...)
	e.POST("/blog/:slug/comments/:id", h.saveComment, site...)
	get(e, "/blog/:slug/comments/:id/edit", h.showEditComment, site...)
	e.POST("/blog/:slug/comments/:id/delete", h.deleteComment, site...)
	get(e, "/blog/:slug/comments/:id/reply", h.showReplyForm, site...)
	e.POST("/blog/:slug/comments/:id/helpful", h.voteHelpful, site...)
	// Reply notifications by e-mail: the links in the messages. The
	// one-click address is POSTed by mail providers (RFC 8058), from their
	// servers and with no cookies: it gets no session and no cross-origin
	// check (a provider that sends it from a reader's browser would be
	// cross-site), and does nothing but unsubscribe the token's
	// subscription, the token in the address being the only proof.
	get(e, links.ConfirmReplies+":token", h.showConfirmReplies, site...)
	e.POST(links.ConfirmReplies+":token", h.confirmReplies, site...)
	get(e, links.Unsubscribe+":token", h.showUnsubscribe, site...)
	e.POST(links.Unsubscribe+":token", h.unsubscribe, site...)
	get(e, links.Unsubscribe+":token"+links.OneClick, h.showUnsubscribe, site...)
	e.POST(links.Unsubscribe+":token"+links.OneClick, h.unsubscribeOneClick, middleware.BodyLimit("1K"))
	// The therapist's area: every route behind requireAdmin (a test walks
	// this list to make sure none is left open), before the cross-origin
	// check and anything else that reads a body (see adminMiddleware).
	get(e, loginPath, h.showLogin, site...)
	e.POST(loginPath, h.login, site...)
	origin := h.crossOrigin()
	admin := h.adminMiddleware("64K", origin)
	e.POST(adminPath+"/logout", h.logout, admin...)
	get(e, adminPath, h.showDashboard, admin...)
	get(e, adminPath+"/diary", h.showDiary, admin...)
	get(e, adminPath+"/diary.csv", h.exportDiary, admin...)
	get(e, adminPath+"/bookings/new", h.showNewBooking, admin...)
	// The form's Find, client and "Show free times" buttons post it back
	// here, so that nothing typed (the notes) goes into an address.
	e.POST(adminPath+"/bookings/new", h.showNewBooking, admin...)
	get(e, adminPath+"/bookings/new/clients", h.showClientMatches, admin...)
	get(e, adminPath+"/bookings/new/times", h.showHandTimes, admin...)
	e.POST(adminPath+"/bookings/new/times", h.showHandTimes, admin...)
	e.POST(adminPath+"/bookings", h.addBooking, admin...)
	get(e, adminPath+"/bookings/:id", h.showAdminBooking, admin...)
	get(e, adminPath+"/bookings/:id/cancel", h.showCancelAdminBooking, admin...)
	e.POST(adminPath+"/bookings/:id/cancel", h.cancelAdminBooking, admin...)
	e.POST(adminPath+"/bookings/:id/attendance", h.markAttendance, admin...)
	get(e, availabilityPath, h.showAvailability, admin...)
	e.POST(availabilityPath+"/hours", h.saveHours, admin...)
	e.POST(availabilityPath+"/settings", h.saveScheduleSettings, admin...)
	e.POST(availabilityPath+"/time-off", h.addTimeOff, admin...)
	e.POST(availabilityPath+"/time-off/:id/delete", h.deleteTimeOff, admin...)
	get(e, servicesPath, h.showAdminServices, admin...)
	e.POST(servicesPath, h.addService, admin...)
	get(e, servicesPath+"/:id", h.showEditService, admin...)
	e.POST(servicesPath+"/:id", h.saveService, admin...)
	e.POST(servicesPath+"/:id/move", h.moveService, admin...)
	e.POST(servicesPath+"/:id/active", h.setServiceActive, admin...)
	get(e, adminPath+"/outbox", h.showOutbox, admin...)
	get(e, adminPath+"/outbox/:id", h.showOutboxMessage, admin...)
	get(e, adminPath+"/outbox/:id/html", h.outboxMessageHTML, admin...)
	get(e, adminPath+"/outbox/:id/message.eml", h.outboxMessageRaw, admin...)
	e.POST(adminPath+"/outbox/:id/retry", h.retryMail, admin...)
	e.POST(adminPath+"/mail/held/send", h.sendHeldMail, admin...)
	e.POST(adminPath+"/mail/held/delete", h.deleteHeldMail, admin...)
	e.POST(adminPath+"/mail/ceiling", h.saveMailCeiling, admin...)
	get(e, adminPath+"/privacy", h.showPrivacyTools, admin...)
	e.POST(adminPath+"/privacy", h.findClient, admin...)
	e.POST(adminPath+"/privacy/export", h.exportClient, admin...)
	e.POST(adminPath+"/privacy/erase", h.eraseClient, admin...)
	e.POST(adminPath+"/privacy/retention", h.saveRetention, admin...)
	// Clients and treatment notes (admin_clients.go, admin_notes.go).
	get(e, clientsPath, h.showClients, admin...)
	get(e, clientsPath+"/:id", h.showClient, admin...)
	e.POST(clientsPath+"/:id/merge", h.mergeClient, admin...)
	e.POST(clientsPath+"/:id/unmerge", h.unmergeClient, admin...)
	e.POST(clientsPath+"/:id/export", h.exportClientPage, admin...)
	e.POST(clientsPath+"/:id/erase", h.eraseClientPage, admin...)
	get(e, adminPath+"/bookings/:id/note", h.showNote, admin...)
	e.POST(adminPath+"/bookings/:id/note", h.saveNote, admin...)
	get(e, adminPath+"/bookings/:id/note/history", h.showNoteHistory, admin...)
	e.POST(adminPath+"/privacy/notes-retention", h.saveNotesRetention, admin...)
	// Articles: the editor's forms carry a whole article, more than the
	// site's usual body limit.
	editor := h.adminMiddleware(articleBodyLimit, origin)
	get(e, articlesPath, h.showArticles, admin...)
	get(e, articlesPath+"/new", h.showNewArticle, admin...)
	e.POST(articlesPath, h.createArticle, editor...)
	e.POST(articlesPath+"/preview", h.previewArticle, editor...)
	get(e, articlesPath+"/:id", h.showEditArticle, admin...)
	e.POST(articlesPath+"/:id", h.updateArticle, editor...)
	// Pictures for articles: an upload is larger still. A phone on a weak
	// connection takes minutes to send one: once the therapist is known and
	// the request passed the cross-origin check (both from headers), the
	// server's 30-second read limit is lifted for it (see slowBody).
	// Her upload's size is judged once she is known, so that a file too
	// large gets the pictures form with its message, not an error page.
	uploads := h.adminMiddleware("", origin, h.pictureTooLarge, middleware.BodyLimit(mediaUploadLimit), slowBody(uploadReadTime))
	get(e, mediaPath, h.showMedia, admin...)
	e.POST(mediaPath, h.uploadMedia, uploads...)
	e.POST(mediaPath+"/:id/delete", h.deleteMedia, admin...)
	get(e, adminPath+"/comments", h.showModeration, admin...)
	e.POST(adminPath+"/comments/mode", h.setModerationMode, admin...)
	e.POST(adminPath+"/comments/:id/approve", h.approveComment, admin...)
	e.POST(adminPath+"/comments/:id/hide", h.hideComment, admin...)
	e.POST(adminPath+"/comments/:id/show", h.unhideComment, admin...)
	e.POST(adminPath+"/comments/:id/delete", h.removeComment, admin...)
	e.POST(adminPath+"/comments/:id/block", h.blockCommenter, admin...)
	e.POST(adminPath+"/comments/blocks/:id/delete", h.unblockCommenter, admin...)
	get(e, adminPath+"/business", h.showBusiness, admin...)
	e.POST(adminPath+"/business", h.saveBusiness, admin...)
	get(e, adminPath+"/calendar", h.showCalendarLink, admin...)
	e.POST(adminPath+"/calendar/new", h.newCalendarLink, admin...)
	e.POST(adminPath+"/calendar/off", h.calendarLinkOff, admin...)
	get(e, adminPath+"/messages", h.showMessages, admin...)
	get(e, adminPath+"/messages/:id", h.showMessage, admin...)
	e.POST(adminPath+"/messages/:id/unread", h.markMessageUnread, admin...)
	e.POST(adminPath+"/messages/:id/delete", h.deleteMessage, admin...)
	// The live stream: no gzip (it would hold events back), no session.
	e.GET("/blog/:slug/comments/stream", h.commentStream)

	// Feeds for crawlers and readers: public and cacheable, so no session.
	gzip := middleware.GzipWithConfig(middleware.GzipConfig{Level: gzipLevel, MinLength: 1024})
	get(e, "/feed.xml", h.feed, h.sharePage(), gzip)
	get(e, "/sitemap.xml", h.sitemap, h.sharePage(), gzip)
	get(e, "/robots.txt", h.robots)
	// Pictures in articles: public, cached for a year, no session.
	get(e, mediaURL+":name", h.serveMedia)
	// The therapist's calendar feed, polled by her phone: the secret in the
	// address is the key, so no session, no cookie.
	get(e, calendarPath+":file", h.calendarFeed, gzip)
	if h.cfg.BenchCeiling {
		get(e, "/_bench/ceiling", h.ceiling(e), site...)
	}
	h.secretPrefixes = secretPrefixes(e.Routes())
	return e
}

// siteMiddleware is the chain every page and form runs through: a body
// limit, gzip, the session, errors rendered inside the session scope, panic
// recovery and the cross-origin check (origin, from crossOrigin).
func (h *Handler) siteMiddleware(origin echo.MiddlewareFunc) []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{
		middleware.BodyLimit("64K"),
		middleware.GzipWithConfig(middleware.GzipConfig{Level: gzipLevel, MinLength: 1024}),
		h.withSession,
		h.errorsInside,
		h.recover,
		origin,
	}
}

// adminMiddleware is the chain of the therapist's area. Nothing reads the
// body before requireAdmin and the cross-origin check have passed: a stranger's
// request, however large, is answered at once (the login page) without
// its body being read, and the connection is then closed rather than
// drained (dropUnreadBody). limit is the route's body limit: a larger
// Content-Length is refused first, from the header alone ("" for a route
// that limits its body after the checks); origin is the
// cross-origin check (crossOrigin, which reads headers only); after runs
// once both have passed (slowBody for an upload).
func (h *Handler) adminMiddleware(limit string, origin echo.MiddlewareFunc, after ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
	first := []echo.MiddlewareFunc{dropUnreadBody}
	if limit != "" { // "": the route limits its body itself, after the checks
		first = append(first, middleware.BodyLimit(limit))
	}
	return append(append(first,
		middleware.GzipWithConfig(middleware.GzipConfig{Level: gzipLevel, MinLength: 1024}),
		h.withSession,
		h.errorsInside,
		h.recover,
		h.requireAdmin,
		origin,
	), after...)
}

// get registers a page for GET and HEAD (uptime checkers use HEAD).
func get(e *echo.Echo, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	e.Add(http.MethodGet, path, h, mw...)
	e.Add(http.MethodHead, path, h, mw...)
}
