package handlers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The clients (/admin/clients): the people in the bookings, one per e-mail
// address unless she has said two are the same person. A client's page
// gathers their bookings, health answers, consents and treatment notes,
// and reuses the privacy tools (export, erasure) for all their addresses.
// A client is named in the URL by the id of their first booking, never by
// their address.

const clientsPath = adminPath + "/clients"

// maxClientPages bounds ?page= (a hostile number must not overflow the
// offset); a practice has far fewer clients.
const maxClientPages = 10000

// clientsData is the clients list.
type clientsData struct {
	Query     string
	Clients   []db.ClientSummary
	Page      int
	Prev      string // links to the pages around, "" at the ends
	Next      string
	Searching bool
}

// showClients is GET /admin/clients?q=&page=: the clients seen most
// recently first, or those whose name, address or phone has q.
func (h *Handler) showClients(c echo.Context) error {
	q := formValue(c, "q")
	if len([]rune(q)) > 200 {
		q = string([]rune(q)[:200])
	}
	page, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || page < 0 || page > maxClientPages {
		page = 0 // a page that cannot exist: the first
	}
	cs, more, err := db.ListClients(c.Request().Context(), h.db, q, page, h.now())
	if err != nil {
		return err
	}
	d := clientsData{Query: q, Clients: cs, Page: page, Searching: q != ""}
	link := func(p int) string {
		v := url.Values{}
		if q != "" {
			v.Set("q", q)
		}
		if p > 0 {
			v.Set("page", strconv.Itoa(p))
		}
		if len(v) == 0 {
			return clientsPath
		}
		return clientsPath + "?" + v.Encode()
	}
	if page > 0 {
		d.Prev = link(page - 1)
	}
	if more {
		d.Next = link(page + 1)
	}
	if isFragment(c) { // as she types: the list alone
		return h.renderFragment(c, http.StatusOK, "admin-clients#client-list", d)
	}
	p, err := h.adminPage(c, "Clients", d)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-clients", "", p)
}

// clientHealth is one booking's health answers, as the client gave them.
type clientHealth struct {
	Booking db.Booking
	Answers []healthAnswer
}

// clientNote is one appointment's treatment note.
type clientNote struct {
	Booking db.Booking
	Note    db.NoteWithHistory
}

// clientData is a client's page.
type clientData struct {
	Client    db.Client
	Health    []clientHealth     // latest first
	Consents  []db.Booking       // the bookings with a health consent, latest first
	Notes     []clientNote       // latest first
	NoteOf    map[int64]*db.Note // nil: none written
	Same      []db.SamePerson
	Upcoming  []db.Booking
	Now       time.Time
	KeepYears int
	Erased    *db.Erasure
	Confirm   string
	Errors    map[string]string
	Notice    string
}

// clientKey reads :id, a booking of the client.
func clientKey(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// loadClient reads the client booking :id belongs to, or the site's 404.
func (h *Handler) loadClient(c echo.Context) (clientData, error) {
	id, err := clientKey(c)
	if err != nil {
		return clientData{}, err
	}
	ctx := c.Request().Context()
	d := clientData{Now: h.now(), Errors: map[string]string{}}
	d.Client, err = db.ClientByBooking(ctx, h.db, id, h.now())
	if errors.Is(err, db.ErrNoClient) || errors.Is(err, sql.ErrNoRows) {
		return d, echo.ErrNotFound
	}
	if err != nil {
		return d, err
	}
	ids := make([]int64, 0, len(d.Client.Bookings))
	for _, b := range d.Client.Bookings {
		ids = append(ids, b.ID)
		if len(b.Health) > 0 {
			d.Health = append(d.Health, clientHealth{Booking: b, Answers: healthAnswers(b.Health)})
		}
		if b.ConsentAt != nil {
			d.Consents = append(d.Consents, b)
		}
		if b.Status == db.BookingConfirmed && b.EndsAt.After(h.now()) {
			d.Upcoming = append(d.Upcoming, b)
		}
	}
	notes, err := db.NotesOfBookings(ctx, h.db, ids)
	if err != nil {
		return d, err
	}
	d.NoteOf = map[int64]*db.Note{}
	for _, b := range d.Client.Bookings {
		if n, ok := notes[b.ID]; ok {
			d.Notes = append(d.Notes, clientNote{Booking: b, Note: n})
			d.NoteOf[b.ID] = &n.Note
		}
	}
	if d.Same, err = db.SuggestSamePerson(ctx, h.db, d.Client); err != nil {
		return d, err
	}
	d.KeepYears, err = db.NotesKeepYears(ctx, h.db)
	return d, err
}

func (h *Handler) renderClient(c echo.Context, status int, d clientData) error {
	p, err := h.adminPage(c, d.Client.Name, d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-client", "", p)
}

// showClient is GET /admin/clients/:id: one client, everything held.
// With ?erased=1 (where an erasure from this page leads) it says what the
// erasure removed and kept, from the session: the counts only. When
// nothing of the client is left, that is a page of its own.
func (h *Handler) showClient(c echo.Context) error {
	d, err := h.loadClient(c)
	var erased *db.Erasure
	if key, kerr := clientKey(c); kerr == nil && c.QueryParam("erased") != "" {
		erased = h.lastErasure(c, key)
	}
	if errors.Is(err, echo.ErrNotFound) && erased != nil {
		d, err = clientData{Client: db.Client{ClientSummary: db.ClientSummary{Name: db.ErasedName}}, Errors: map[string]string{}}, nil
	}
	if err != nil {
		return err
	}
	d.Erased = erased
	switch c.QueryParam("done") {
	case "merged":
		d.Notice = "Merged: these bookings are now one client."
	case "unmerged":
		d.Notice = "Separated: that address is a client of its own again."
	}
	return h.renderClient(c, http.StatusOK, d)
}

// clientURL is the page of the client with key.
func clientURL(key int64) string { return clientsPath + "/" + strconv.FormatInt(key, 10) }

// mergeClient is POST /admin/clients/:id/merge (other: a booking of the
// other client): she says they are the same person.
func (h *Handler) mergeClient(c echo.Context) error {
	id, err := clientKey(c)
	if err != nil {
		return err
	}
	other, err := strconv.ParseInt(c.FormValue("other"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose the client to merge.")
	}
	ctx := c.Request().Context()
	switch err := db.MergeClients(ctx, h.db, id, other, h.now()); {
	case errors.Is(err, db.ErrNoClient):
		return echo.ErrNotFound
	case err != nil:
		return err
	}
	cl, err := db.ClientByBooking(ctx, h.db, id, h.now())
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, clientURL(cl.Key)+"?done=merged")
}

// unmergeClient is POST /admin/clients/:id/unmerge (email: one of the
// client's other addresses, in the form, never the URL): undoes a merge.
func (h *Handler) unmergeClient(c echo.Context) error {
	d, err := h.loadClient(c)
	if err != nil {
		return err
	}
	email := db.NormalEmail(formValue(c, "email"))
	found := false
	for _, e := range d.Client.Emails[1:] {
		found = found || e == email
	}
	if !found {
		d.Notice = "That address is not merged into this client."
		return h.renderClient(c, http.StatusUnprocessableEntity, d)
	}
	if err := db.UnmergeClient(c.Request().Context(), h.db, email); err != nil {
		return err
	}
	key, err := db.KeyOfEmail(c.Request().Context(), h.db, d.Client.Person)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, clientURL(key)+"?done=unmerged")
}

// clientHeld gathers what the privacy tools find for each of the client's
// addresses into one.
func (h *Handler) clientHeld(ctx context.Context, emails []string) (db.ClientData, error) {
	var all db.ClientData
	for i, e := range emails {
		d, err := db.FindClient(ctx, h.db, e)
		if err != nil {
			return all, err
		}
		if i == 0 {
			all = d
			continue
		}
		all.Bookings = append(all.Bookings, d.Bookings...)
		all.Waitlist = append(all.Waitlist, d.Waitlist...)
		all.Messages = append(all.Messages, d.Messages...)
		all.Subscriptions = append(all.Subscriptions, d.Subscriptions...)
		all.Comments = append(all.Comments, d.Comments...)
		all.Mail = append(all.Mail, d.Mail...)
		for k, v := range d.Notes {
			all.Notes[k] = v
		}
	}
	sort.Slice(all.Bookings, func(i, j int) bool { return all.Bookings[i].StartsAt.Before(all.Bookings[j].StartsAt) })
	return all, nil
}

// exportClientPage is POST /admin/clients/:id/export: the privacy export
// (treatment notes and their versions included) of all the client's
// addresses.
func (h *Handler) exportClientPage(c echo.Context) error {
	d, err := h.loadClient(c)
	if err != nil {
		return err
	}
	held, err := h.clientHeld(c.Request().Context(), d.Client.Emails)
	if err != nil {
		return err
	}
	b, err := h.business(c)
	if err != nil {
		return err
	}
	x := newClientExport(held, b.Name, h.now())
	x.OtherAddresses = d.Client.Emails[1:]
	body, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="personal-data-%s.json"`, h.now().In(views.London).Format(time.DateOnly)))
	hd.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// eraseClientPage is POST /admin/clients/:id/erase: the privacy erasure of
// every address of the client, once the first is typed again and no
// appointment is still to come. Treatment notes inside their retention are
// kept (see db.EraseClient); the page says what was removed and what kept.
func (h *Handler) eraseClientPage(c echo.Context) error {
	d, err := h.loadClient(c)
	if err != nil {
		return err
	}
	d.Confirm = formValue(c, "confirm")
	switch {
	case len(d.Upcoming) > 0:
		d.Notice = "Nothing was erased: this client has an appointment still to come. Cancel it first (the client is told), then erase."
		return h.renderClient(c, http.StatusConflict, d)
	case db.NormalEmail(d.Confirm) != d.Client.Person:
		d.Errors["confirm"] = "Type the client's email address (" + d.Client.Person + ") to confirm the erasure."
		return h.renderClient(c, http.StatusUnprocessableEntity, d)
	}
	var total db.Erasure
	for _, email := range d.Client.Emails {
		e, err := db.EraseClient(c.Request().Context(), h.db, email, h.now())
		if errors.Is(err, db.ErrUpcomingBooking) {
			d.Notice = "Erasure stopped: an appointment still to come was booked meanwhile. Cancel it first, then erase."
			return h.renderClient(c, http.StatusConflict, d)
		}
		if err != nil {
			return err
		}
		total = addErasure(total, e)
	}
	h.log.Info("client data erased", slog.Int64("rows", total.Total()), slog.Int64("notes_kept", total.NotesKept)) // counts only
	// Post/Redirect/Get: the page says what was erased (the counts, kept
	// in her session), and reloading it erases nothing again. What is left
	// (the kept clinical records) is still a client; if nothing is, the
	// page says so on its own (showClient).
	key, _ := clientKey(c)
	if err := h.keepErasure(c, key, total); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, clientURL(key)+"?erased=1")
}

// erasedKey is the session key of the last erasure's summary.
const erasedKey = "erased"

// erasedNote is what an erasure leaves in the session for the page it
// leads to: where it was made (the client's key in the URL, or 0 for the
// privacy page) and how many rows of each kind. No name, no address.
type erasedNote struct {
	Key     int64
	Erasure db.Erasure
}

// keepErasure keeps e, made from the page of client key (0: the privacy
// page), in her session until the next erasure, so that the page the
// erasure leads to, and a reload of it, can say what was done.
func (h *Handler) keepErasure(c echo.Context, key int64, e db.Erasure) error {
	note, err := json.Marshal(erasedNote{Key: key, Erasure: e})
	if err != nil {
		return err
	}
	h.sessions.Put(c.Request().Context(), erasedKey, string(note))
	return nil
}

// lastErasure is the summary keepErasure kept for the page of key, or nil.
func (h *Handler) lastErasure(c echo.Context, key int64) *db.Erasure {
	var n erasedNote
	s := h.sessions.GetString(c.Request().Context(), erasedKey)
	if s == "" || json.Unmarshal([]byte(s), &n) != nil || n.Key != key {
		return nil
	}
	return &n.Erasure
}

func addErasure(a, b db.Erasure) db.Erasure {
	a.Bookings += b.Bookings
	a.BookingLinks += b.BookingLinks
	a.Waitlist += b.Waitlist
	a.Messages += b.Messages
	a.Subscriptions += b.Subscriptions
	a.Comments += b.Comments
	a.Mail += b.Mail
	a.Sessions += b.Sessions
	a.NotesKept += b.NotesKept
	a.KeptBookings += b.KeptBookings
	a.NotesRemoved += b.NotesRemoved
	return a
}
