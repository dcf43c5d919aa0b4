package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
)

// healthz says the process is alive. It does not touch the database, so a
// database outage never makes Fly stop routing to a healthy machine.
func (h *Handler) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// readyz says the instance can serve pages: the database answers and every
// embedded migration is applied.
func (h *Handler) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.db.PingContext(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	pending, err := db.PendingMigrations(ctx, h.db)
	if err != nil {
		return c.String(http.StatusServiceUnavailable, "cannot read migrations\n")
	}
	if len(pending) > 0 {
		return c.String(http.StatusServiceUnavailable, "pending migrations: "+strings.Join(pending, ", ")+"\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
