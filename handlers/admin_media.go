package handlers

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/photos"
)

// Pictures for articles: the therapist uploads a photo, the site keeps it
// upright, at most 1600 pixels wide and without its metadata (package
// photos), and gives her the Markdown that puts it in an article.

// mediaPath is the therapist's pictures page; mediaURL is where a picture
// is served.
const (
	mediaPath = adminPath + "/media"
	mediaURL  = "/media/"
)

// Uploads: a phone photo is a few megabytes.
const (
	maxUploadBytes   = 15 << 20
	mediaUploadLimit = "16M"
)

// mediaName is what a picture's name looks like: from its content's hash.
var mediaName = regexp.MustCompile(`^[0-9a-f]{16}\.(jpg|png)$`)

type mediaPage struct {
	Items       []db.Media
	Added       string // the name of the picture just uploaded
	Notice      string
	Description string
	Errors      map[string]string
	CSRF        string
}

// showMedia is GET /admin/media (?added= after an upload).
func (h *Handler) showMedia(c echo.Context) error {
	d := mediaPage{Errors: map[string]string{}}
	if a := c.QueryParam("added"); mediaName.MatchString(a) {
		d.Added = a
	}
	switch c.QueryParam("done") {
	case "deleted":
		d.Notice = "The picture is deleted."
	}
	return h.renderMedia(c, http.StatusOK, d)
}

func (h *Handler) renderMedia(c echo.Context, status int, d mediaPage) error {
	items, err := db.ListMedia(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	d.Items = items
	d.CSRF, _ = c.Get(csrfKey).(string)
	p, err := h.adminPage(c, "Pictures", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-media", "", p)
}

// uploadMedia is POST /admin/media: a picture (field picture) and what it
// shows (description, the text for readers who cannot see it).
func (h *Handler) uploadMedia(c echo.Context) error {
	d := mediaPage{Errors: map[string]string{}}
	d.Description = formText(c, d.Errors, "description", 300)
	data, problem := readUpload(c, "picture")
	if problem != "" {
		d.Errors["picture"] = problem
	}
	if len(d.Errors) > 0 {
		return h.renderMedia(c, http.StatusUnprocessableEntity, d)
	}
	select {
	case h.preparing <- struct{}{}:
	case <-time.After(20 * time.Second):
		d.Notice = "Another picture is still being prepared. Please send this one again in a moment."
		return h.renderMedia(c, http.StatusTooManyRequests, d)
	}
	p, err := photos.Prepare(data)
	<-h.preparing
	switch {
	case errors.Is(err, photos.ErrNotAPicture):
		d.Errors["picture"] = "That file is not a picture the site can use. Please choose a JPEG, PNG, GIF or WebP picture (a phone's photos are JPEG)."
	case errors.Is(err, photos.ErrTooManyPixels):
		d.Errors["picture"] = "That picture is too large (more than 50 million pixels). Please choose a smaller one."
	case err != nil:
		return err
	}
	if len(d.Errors) > 0 {
		return h.renderMedia(c, http.StatusUnprocessableEntity, d)
	}
	sum := sha256.Sum256(p.Data)
	m := db.Media{Name: hex.EncodeToString(sum[:8]) + "." + p.Ext, ContentType: p.ContentType,
		Width: p.Width, Height: p.Height, Data: p.Data, Description: d.Description}
	if err := db.AddMedia(c.Request().Context(), h.db, &m); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, mediaPath+"?added="+m.Name+"#media-"+strconv.FormatInt(m.ID, 10))
}

// readUpload reads the file of form field name, or says what is wrong.
func readUpload(c echo.Context, name string) ([]byte, string) {
	fh, err := c.FormFile(name)
	if err != nil {
		return nil, "Please choose a picture to upload."
	}
	if fh.Size > maxUploadBytes {
		return nil, "That file is larger than 15 MB. Please choose a smaller picture."
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "The picture could not be read. Please choose it again."
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	if err != nil || len(data) > maxUploadBytes {
		return nil, "The picture could not be read. Please choose it again."
	}
	return data, ""
}

// deleteMedia is POST /admin/media/:id/delete: a picture no article shows.
func (h *Handler) deleteMedia(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	switch err := db.DeleteMedia(c.Request().Context(), h.db, id); {
	case errors.Is(err, sql.ErrNoRows):
		return c.Redirect(http.StatusSeeOther, mediaPath+"?done=deleted") // deleted already
	case errors.Is(err, db.ErrMediaInUse):
		return h.renderMedia(c, http.StatusConflict, mediaPage{Errors: map[string]string{},
			Notice: "That picture is in an article, so it stays. Take it out of the article first, then delete it."})
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, mediaPath+"?done=deleted")
}

// serveMedia is GET /media/:name: a picture, cached for a year (its name
// changes with its content).
func (h *Handler) serveMedia(c echo.Context) error {
	name := c.Param("name")
	if !mediaName.MatchString(name) {
		return echo.ErrNotFound
	}
	m, err := db.MediaByName(c.Request().Context(), h.db, name)
	if errors.Is(err, sql.ErrNoRows) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+name+`"`)
	if match := c.Request().Header.Get("If-None-Match"); match != "" && match == hd.Get("ETag") {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, m.ContentType, m.Data)
}

// mediaSize is the pixel size of a picture from the therapist's media
// (src like /media/3f9a0c1b2d4e5f60.jpg), for the article renderer.
func (h *Handler) mediaSize(src string) (width, height int, ok bool) {
	name, found := strings.CutPrefix(src, mediaURL)
	if !found || !mediaName.MatchString(name) {
		return 0, 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	w, ht, err := db.MediaSize(ctx, h.db, name)
	return w, ht, err == nil
}
