package handlers

// Around the admin area (issue 17, part C): the byline of articles, their
// cover pictures, pictures uploaded from inside the editor, and what the
// dashboard says needs her.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// oldBlogHandle is how the articles brought over from the old blog are
// signed: a handle, not a name a reader knows.
const oldBlogHandle = "dynamicmotionsport"

// byline is the author an article shows: as stored, except the old blog's
// handle, which shows as the therapist's name from the Business page (the
// practice's name until she has given hers). The stored author is left
// alone, so the seed and her own bylines stay as written.
func byline(author string, b db.Business) string {
	if !strings.EqualFold(strings.TrimSpace(author), oldBlogHandle) {
		return author
	}
	if b.TherapistName != "" {
		return b.TherapistName
	}
	return b.Name
}

// defaultAuthor is the byline a new article starts with: her name from the
// Business page; before she has given it, the byline of her latest
// article, unless that is the old blog's handle (then none: the practice's
// name as a byline would read as a person's to search engines).
func (h *Handler) defaultAuthor(c echo.Context) (string, error) {
	b, err := db.GetBusiness(c.Request().Context(), h.db)
	if err != nil || b.TherapistName != "" {
		return b.TherapistName, err
	}
	posts, err := db.AllPosts(c.Request().Context(), h.db)
	if err != nil || len(posts) == 0 {
		return "", err
	}
	if strings.EqualFold(strings.TrimSpace(posts[0].Author), oldBlogHandle) {
		return "", nil
	}
	return posts[0].Author, nil
}

// coverImage is the link preview's picture of an article: its cover, at an
// absolute address (other sites fetch it); nil without one.
func (h *Handler) coverImage(p db.Post) *views.Image {
	if !p.HasCover() {
		return nil
	}
	return &views.Image{URL: h.cfg.BaseURL.String() + mediaURL + p.CoverName,
		Width: p.CoverWidth, Height: p.CoverHeight, Alt: p.CoverAlt}
}

// readCover reads the editor's cover fields into f: a picture from her
// library (cover, its id; empty for none) and what it shows (cover_alt,
// required with a picture: pictures need alt text).
func readCover(c echo.Context, f *articleForm) {
	f.CoverID = strings.TrimSpace(c.FormValue("cover"))
	f.CoverAlt = strings.TrimSpace(strings.ToValidUTF8(c.FormValue("cover_alt"), ""))
	if len([]rune(f.CoverAlt)) > maxCoverAltChars {
		f.Errors["cover_alt"] = "Please keep this under " + strconv.Itoa(maxCoverAltChars) + " characters."
	}
}

const maxCoverAltChars = 300

// checkCover looks up the cover picture the form names, for the preview and
// the save; a picture that is gone, or one without alt text, is a mistake
// next to the field.
func (h *Handler) checkCover(ctx context.Context, f *articleForm) error {
	f.cover = db.Media{}
	if f.CoverID == "" || f.CoverID == "0" {
		f.CoverID = ""
		return nil
	}
	const gone = "That picture is no longer in your pictures. Please choose another."
	id, err := strconv.ParseInt(f.CoverID, 10, 64)
	if err != nil {
		f.Errors["cover"] = gone
		return nil
	}
	f.cover, err = db.MediaInfo(ctx, h.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		f.Errors["cover"] = gone
		return nil
	} else if err != nil {
		return err
	}
	if f.CoverAlt == "" && f.Errors["cover_alt"] == "" {
		f.Errors["cover_alt"] = "Please say what the cover picture shows, for readers who cannot see it."
	}
	return nil
}

// coverOf puts the form's checked cover on the post to save.
func coverOf(f articleForm, p *db.Post) {
	if f.cover.ID == 0 {
		return
	}
	id := f.cover.ID
	p.CoverID, p.CoverAlt = &id, f.CoverAlt
	p.CoverName, p.CoverWidth, p.CoverHeight = f.cover.Name, f.cover.Width, f.cover.Height
}

// wantsJSON reports whether an upload came from the article editor's script,
// which asks for the picture's address rather than the pictures page.
func wantsJSON(c echo.Context) bool {
	return strings.HasPrefix(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// uploaded is the editor script's answer to an upload: the picture, or why
// not (error, in words for her).
type uploaded struct {
	ID     int64  `json:"id,omitempty"`
	URL    string `json:"url,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Error  string `json:"error,omitempty"`
}

// answerUpload answers the pictures form: the pictures page, or for the
// editor's script the same outcome as JSON.
func (h *Handler) answerUpload(c echo.Context, status int, d mediaPage) error {
	if !wantsJSON(c) {
		return h.renderMedia(c, status, d)
	}
	msg := d.Errors["picture"]
	if msg == "" {
		msg = d.Notice
	}
	if msg == "" {
		msg = "The picture could not be added. Please try again."
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, uploaded{Error: msg})
}

// answerUploaded answers a picture stored: back to the pictures page, or
// for the editor's script its address and size.
func answerUploaded(c echo.Context, m db.Media) error {
	if !wantsJSON(c) {
		return c.Redirect(http.StatusSeeOther, mediaPath+"?added="+m.Name+"#media-"+strconv.FormatInt(m.ID, 10))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, uploaded{ID: m.ID, URL: mediaURL + m.Name, Width: m.Width, Height: m.Height})
}

// The dashboard's "Needs you": a short list at the top, each item a count
// and a link, shown only when there is something.
const (
	newBookingsWindow   = 24 * time.Hour
	unwrittenShown      = 5 // unwritten notes listed by name; the rest are counted
	cancellationsWindow = 7 * 24 * time.Hour
)

// needsYou is what the dashboard says needs her now.
type needsYou struct {
	Today       int                // appointments today still to come or under way
	NextToday   time.Time          // the first of them
	TodayDate   string             // 2026-11-27, for the diary's link
	Unwritten   int                // notes of finished sessions not written yet
	Notes       []db.UnwrittenNote // the latest few of them, each linked to its note form
	MoreNotes   int                // the rest, not listed
	Comments    int                // comments awaiting approval
	FailingMail int                // mail that failed or is being retried
	HeldMail    int                // bookings whose client mail is held past the day's ceiling
	Unread      int                // contact messages not read
	Bookings    db.BookingAlerts
	Anything    bool
}

// needsYou fills in d.Needs from what the dashboard read, and the diary's
// news (db.DashboardBookingAlerts).
func (h *Handler) needsYou(c echo.Context, d *dashboardData) error {
	now := h.now()
	n := needsYou{Comments: d.Held, FailingMail: len(d.FailedMail) + len(d.DelayedMail),
		HeldMail: len(d.HeldBookings), Unread: d.Unread}
	if len(d.Days) > 0 {
		n.TodayDate = d.Days[0].Date
		for _, b := range d.Days[0].Bookings {
			if b.Status == db.BookingCancelled || !b.EndsAt.After(now) {
				continue
			}
			if n.Today == 0 {
				n.NextToday = b.StartsAt
			}
			n.Today++
		}
	}
	// Notes of finished sessions not written yet (the last 14 days): the
	// latest first, as the freshest session is the one she remembers best.
	notes, err := db.UnwrittenNotes(c.Request().Context(), h.db, now)
	if err != nil {
		return err
	}
	n.Unwritten = len(notes)
	for i := len(notes) - 1; i >= 0 && len(n.Notes) < unwrittenShown; i-- {
		n.Notes = append(n.Notes, notes[i])
	}
	n.MoreNotes = n.Unwritten - len(n.Notes)
	n.Bookings, err = db.DashboardBookingAlerts(c.Request().Context(), h.db, now,
		now.Add(-newBookingsWindow), now.Add(-cancellationsWindow), startOfDay(now))
	if err != nil {
		return err
	}
	n.Anything = n.Today+n.Unwritten+n.Comments+n.FailingMail+n.HeldMail+n.Unread+
		n.Bookings.New+n.Bookings.Cancelled+n.Bookings.Waiting > 0
	d.Needs = n
	return nil
}
