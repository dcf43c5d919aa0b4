package handlers

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	mediaUploadLimit = "16M"    // as middleware.BodyLimit reads it
	mediaUploadBytes = 16 << 20 // the same, for the Content-Length
)

// mediaName is what a picture's name looks like: from its content's hash.
var mediaName = regexp.MustCompile(`^[0-9a-f]{16}\.(jpg|png)$`)

type mediaPage struct {
	Items       []db.Media
	Added       string // the name of the picture just uploaded
	Notice      string
	Description string
	Errors      map[string]string
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
	p, err := h.adminPage(c, "Pictures", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-media", "", p)
}

// uploadMedia is POST /admin/media: a picture (field picture) and what it
// shows (description, the text for readers who cannot see it).
//
// The form is read as it arrives (readPictureForm), after requireAdmin and
// the cross-origin check (both from headers alone). A picture too large to prepare is refused from
// its header (photos.Check) before it waits for its turn: one picture is
// prepared at a time, since decoding one may take up to a hundred
// megabytes of the machine's memory.
func (h *Handler) uploadMedia(c echo.Context) error {
	d := mediaPage{Errors: map[string]string{}}
	data, problem := readPictureForm(c)
	d.Description = formText(c, d.Errors, "description", 300)
	if problem == "" {
		problem = pictureProblem(photos.Check(data))
	}
	if problem != "" {
		d.Errors["picture"] = problem
	}
	if len(d.Errors) > 0 {
		return h.answerUpload(c, http.StatusUnprocessableEntity, d)
	}
	wait := time.NewTimer(20 * time.Second)
	defer wait.Stop()
	select {
	case h.preparing <- struct{}{}:
	case <-wait.C:
		c.Response().Header().Set("Retry-After", "30")
		d.Notice = "Another picture is still being prepared. Please send this one again in a moment."
		return h.answerUpload(c, http.StatusTooManyRequests, d)
	case <-c.Request().Context().Done(): // she has gone: nobody to answer
		return nil
	}
	p, err := photos.Prepare(data)
	<-h.preparing
	if problem := pictureProblem(err); problem != "" {
		d.Errors["picture"] = problem
		return h.answerUpload(c, http.StatusUnprocessableEntity, d)
	} else if err != nil {
		return err
	}
	sum := sha256.Sum256(p.Data)
	m := db.Media{Name: hex.EncodeToString(sum[:8]) + "." + p.Ext, ContentType: p.ContentType,
		Width: p.Width, Height: p.Height, Data: p.Data, Description: d.Description}
	if err := db.AddMedia(c.Request().Context(), h.db, &m); err != nil {
		return err
	}
	return answerUploaded(c, m)
}

// pictureProblem is what the form says about a picture package photos
// refused ("" for none, or for an error that is not about the picture).
func pictureProblem(err error) string {
	var tooLarge *photos.TooLargeError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, photos.ErrNotAPicture):
		return "That file is not a picture the site can use. Please choose a JPEG, PNG, GIF or WebP picture (a phone's photos are JPEG)."
	case errors.As(err, &tooLarge):
		what := fmt.Sprintf("%d × %d pixels", tooLarge.Width, tooLarge.Height)
		most := fmt.Sprintf("at most about %d million pixels", max(1, tooLarge.MaxPixels/1_000_000))
		switch {
		case tooLarge.Deep:
			return "That picture is too large for the site to prepare (" + what + ", 16 bits per colour). " +
				"Please save it as a JPEG or an 8-bit PNG, or choose a smaller one (" + most + ")."
		case tooLarge.Progressive:
			return "That picture is too large for the site to prepare (" + what + ", a progressive JPEG). " +
				"Please save it as an ordinary (baseline) JPEG, or choose a smaller one (" + most + ")."
		}
		return "That picture is too large for the site to prepare (" + what + "). Please choose a smaller one (" + most + ")."
	case errors.Is(err, photos.ErrTooManyPixels):
		return "That picture is too large for the site to prepare. Please choose a smaller one."
	}
	return ""
}

// readPictureForm reads the pictures form (multipart) part by part as it
// arrives: the picture into memory, up to 15 MB, and the text fields into
// the request's form, where formText finds them. A picture past 15 MB is
// refused as soon as its 15 MB have arrived; the rest is not read.
func readPictureForm(c echo.Context) (picture []byte, problem string) {
	const choose = "Please choose a picture to upload."
	r := c.Request()
	form := url.Values{}
	// Set even when the body is not multipart, so that nothing after reads
	// the body as an ordinary form.
	defer func() { r.Form = form }()
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, choose
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readProblem(err)
		}
		switch name := part.FormName(); {
		case name == "picture" && part.FileName() != "" && picture == nil:
			data, err := readAtMost(part, maxUploadBytes+1, r.ContentLength)
			if err != nil {
				return nil, readProblem(err)
			}
			if len(data) > maxUploadBytes {
				return nil, tooBig
			}
			picture = data
		case name == "description" && part.FileName() == "":
			v, err := io.ReadAll(io.LimitReader(part, 4<<10)) // 300 characters of up to 4 bytes, and to spare
			if err != nil {
				return nil, readProblem(err)
			}
			form.Set(name, string(v))
		}
	}
	if picture == nil {
		return nil, choose
	}
	return picture, ""
}

// readAtMost reads r to its end, or to max bytes. The Content-Length
// (size; -1 when unknown) is the file's size and a little: room for it is
// made at once, not grown (and copied, doubling the memory) as it arrives.
func readAtMost(r io.Reader, max int, size int64) ([]byte, error) {
	data := make([]byte, 0, min(int(size)+1, max)) // +1: room to see the end
	if size < 0 {
		data = make([]byte, 0, 512)
	}
	for len(data) < max {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow, only when the size was not known
		}
		n, err := r.Read(data[len(data):min(cap(data), max)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

const tooBig = "That file is larger than 15 MB. Please choose a smaller picture."

// pictureTooLarge answers an upload whose Content-Length is over the
// limit with the pictures form and tooBig, from the header alone (her
// description, in the unread body, cannot be kept).
func (h *Handler) pictureTooLarge(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().ContentLength > mediaUploadBytes {
			d := mediaPage{Errors: map[string]string{"picture": tooBig}}
			return h.answerUpload(c, http.StatusRequestEntityTooLarge, d)
		}
		return next(c)
	}
}

// readProblem is what the form says when the upload could not be read to
// its end: larger than the body limit (which a chunked body only shows as
// it arrives), or cut off.
func readProblem(err error) string {
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return tooBig
	}
	return "The picture could not be read. Please choose it again."
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
