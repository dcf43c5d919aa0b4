package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// errorText gives each status a heading and a message a person can act on.
var errorText = map[int][2]string{
	http.StatusBadRequest:            {"That request did not make sense", "Something in the address or form was not as expected. Please go back and try again."},
	http.StatusForbidden:             {"Not allowed", "You do not have access to this page."},
	http.StatusNotFound:              {"Page not found", "There is no page at this address. It may have moved, or the link may be mistyped."},
	http.StatusMethodNotAllowed:      {"Not allowed", "This page cannot be used that way."},
	http.StatusRequestEntityTooLarge: {"Too much to send", "What you sent was too large. Please shorten it and try again."},
	http.StatusTooManyRequests:       {"Please slow down", "Too many attempts in a short time. Please wait a minute and try again."},
	http.StatusServiceUnavailable:    {"Back in a moment", "The site is briefly unavailable. Nothing you sent was lost; please try again in a minute."},
	http.StatusInternalServerError:   {"Something went wrong", "Sorry, that did not work on our side. It has been logged; please try again."},
}

// errAnswered is returned by a helper that has already answered the
// request (a redirect), so that its caller stops: it is no error.
var errAnswered = errors.New("the request has been answered")

// handleError is the site's one error handler: every error a handler or
// middleware returns ends here. It answers with the friendly error page, or
// its fragment for htmx, never JSON. 5xx are logged with the request id;
// 4xx are the visitor's and are not.
func (h *Handler) handleError(err error, c echo.Context) {
	res := c.Response()
	id := res.Header().Get(echo.HeaderXRequestID)
	if res.Committed {
		if !errors.Is(err, errAnswered) {
			h.log.Warn("error after response started", slog.String("id", id), slog.Any("err", err))
		}
		return
	}

	status, message := http.StatusInternalServerError, ""
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 && m != http.StatusText(status) {
			message = m
		}
	case isUnavailable(err):
		status = http.StatusServiceUnavailable
		res.Header().Set("Retry-After", "10")
	case errors.Is(err, context.Canceled):
		return // the client went away; nobody is listening
	}
	if status >= 500 {
		h.log.Error("request failed", slog.String("id", id), slog.Int("status", status),
			slog.String("route", c.Path()), slog.Any("err", err))
	}

	text, ok := errorText[status]
	if !ok {
		text = [2]string{http.StatusText(status), "Please go back and try again."}
	}
	if message == "" {
		message = text[1]
	}
	data := views.Error{Status: status, Heading: text[0], Message: message}

	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if rerr := h.renderError(c, data); rerr != nil {
		h.log.Error("rendering error page", slog.String("id", id), slog.Any("err", rerr))
		c.String(status, fmt.Sprintf("%s\n\n%s\n", data.Heading, data.Message))
	}
}

func (h *Handler) renderError(c echo.Context, data views.Error) error {
	res := c.Response()
	res.Header().Set("Cache-Control", "no-store")
	res.Header().Add("Vary", "HX-Request")
	if isFragment(c) {
		return c.Render(data.Status, "error#error-message", data)
	}
	p := views.Page{Title: data.Heading, Path: c.Request().URL.Path, Data: data, Year: h.now().In(views.London).Year()}
	// The layout shows the practice's name; if the database is what failed,
	// the error page still renders, with the name it was born with.
	b, err := h.business(c)
	if err != nil {
		b = db.KnownBusiness
	}
	p.Business = b
	return c.Render(data.Status, "error", p)
}

// isUnavailable reports errors that mean the database cannot be reached
// right now (see db.IsUnavailable), which the visitor sees as 503.
func isUnavailable(err error) bool { return db.IsUnavailable(err) }
