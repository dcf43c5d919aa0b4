package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// clientBooking stores an appointment of a client at start with status,
// as the diary would hold it after the day.
func clientBooking(t *testing.T, start time.Time, status, name, email, phone string) db.Booking {
	t.Helper()
	svc := bookingServices(t)[0]
	b := db.Booking{ServiceID: svc.ID, Place: db.PlaceStudio, StartsAt: start, EndsAt: start.Add(time.Hour),
		BlockedFrom: start, BlockedTo: start.Add(time.Hour), Status: status, ClientName: name, ClientEmail: email,
		ClientPhone: phone, ManageTokenHash: tokenHash(randomToken()), ServiceName: svc.Name, DurationMin: 60, PricePence: 5000,
		ConsentAt: &start, Health: map[string]any{"injury": map[string]any{"question": "Any injury?", "answer": "yes", "details": "Sore knee"}}}
	if _, err := seededDB(t).NewInsert().Model(&b).ExcludeColumn("id").Returning("id").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b
}

// The therapist finds a client by part of their name, opens their page
// (bookings, visits and no-shows, health answers dated, consents), is
// asked "Same person?" about the same name under another address, merges
// them on her click and separates them again.
func TestClientsListAndPage(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	u := unique()
	name := "Ivy " + u
	first := clientBooking(t, epoch.AddDate(0, -2, 0), db.BookingCompleted, name, "ivy."+u+"@example.com", "07700 900444")
	clientBooking(t, epoch.AddDate(0, -1, 0), db.BookingNoShow, name, "IVY."+u+"@example.com", "")
	other := clientBooking(t, epoch.AddDate(0, 0, -3), db.BookingCompleted, strings.ToUpper(name), "ivy.work."+u+"@example.com", "")

	list := admin.get(t, clientsPath+"?q="+url.QueryEscape(strings.ToUpper(u)))
	wantStatus(t, list, http.StatusOK)
	checkHTML(t, list.body, in(".client-list a[href=/admin/clients/"+itoa(first.ID)+"]", hasText(name)),
		in(".client-list", hasText("1 visit, 1 not attended")),
		in(".client-list a[href=/admin/clients/"+itoa(other.ID)+"]"))
	if strings.Contains(list.body, "/admin/clients/"+itoa(first.ID)+"?") || strings.Contains(list.body, "%40") {
		t.Error("an address is in a link")
	}
	// As she types (htmx): the list alone.
	typed := admin.get(t, clientsPath+"?q="+url.QueryEscape(u), "HX-Request: true")
	wantStatus(t, typed, http.StatusOK)
	if strings.Contains(typed.body, "<html") || !strings.Contains(typed.body, `id="client-list"`) {
		t.Errorf("the htmx answer is not the list alone:\n%.300s", typed.body)
	}
	none := admin.get(t, clientsPath+"?q=nobody-"+u)
	checkHTML(t, none.body, notIn(".client-list"), in("#client-list", hasText("No client matches")))

	page := admin.get(t, clientsPath+"/"+itoa(first.ID))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("h1", hasText(name)), in(".client-bookings a[href=/admin/bookings/"+itoa(first.ID)+"]"),
		in(".health-answers", hasText("Sore knee")), in(".same-person", hasText("same name")),
		in("form[action=/admin/clients/"+itoa(first.ID)+"/export]"))
	wantStatus(t, admin.get(t, clientsPath+"/999999999"), http.StatusNotFound)

	res := admin.post(t, clientsPath+"/"+itoa(first.ID)+"/merge", url.Values{"other": {itoa(other.ID)}})
	wantStatus(t, res, http.StatusSeeOther)
	merged := admin.get(t, res.Header.Get("Location"))
	checkHTML(t, merged.body, in(".client-facts", hasText("ivy.work."+u+"@example.com")), in(".merged-emails"),
		in(".client-facts", hasText("Visits2, 1 not attended")))
	res = admin.post(t, clientsPath+"/"+itoa(other.ID)+"/unmerge", url.Values{"email": {"ivy.work." + u + "@example.com"}})
	wantStatus(t, res, http.StatusSeeOther)
	if res.Header.Get("Location") != clientURL(first.ID)+"?done=unmerged" {
		t.Errorf("after separating, to %q", res.Header.Get("Location"))
	}
	checkHTML(t, admin.get(t, clientsPath+"/"+itoa(first.ID)).body, notIn(".merged-emails"))
}

// A note is written after the session, changed, and both versions are
// there; mistakes keep every word; a note is refused before the session;
// the words reach no e-mail and no log line.
func TestTreatmentNoteSaveAndHistory(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	u := unique()
	b := clientBooking(t, epoch.Add(-3*time.Hour), db.BookingConfirmed, "Jo "+u, "jo."+u+"@example.com", "")
	path := noteURL(b.ID)

	booking := admin.get(t, adminPath+"/bookings/"+itoa(b.ID))
	checkHTML(t, booking.body, in(".booking-note a[href="+path+"]", hasText("Write the treatment note")),
		in("a[href=/admin/clients/"+itoa(b.ID)+"]"))
	form := admin.get(t, path)
	wantStatus(t, form, http.StatusOK)
	checkHTML(t, form.body, in("form[action="+path+"] textarea[name=subjective]"), in("textarea[name=plan]"),
		in("input[name=version]", hasAttr("value", "0")))

	empty := admin.post(t, path, url.Values{"version": {"0"}})
	wantStatus(t, empty, http.StatusUnprocessableEntity)
	checkHTML(t, empty.body, in("#f-subjective-error"))
	long := admin.post(t, path, url.Values{"version": {"0"}, "plan": {"Keep this " + u}, "areas": {strings.Repeat("x", maxNoteField+1)}})
	wantStatus(t, long, http.StatusUnprocessableEntity)
	checkHTML(t, long.body, in("#f-areas-error"), in("textarea[name=plan]", hasText("Keep this "+u)))

	secret := "Hamstring " + u
	first := url.Values{"version": {"0"}, "subjective": {secret}, "treatment": {"Deep tissue"}, "plan": {"Stretch daily"}}
	res := admin.post(t, path, first)
	wantStatus(t, res, http.StatusSeeOther)
	saved := admin.get(t, res.Header.Get("Location"))
	checkHTML(t, saved.body, in("[role=status]", hasText("Saved")), in("textarea[name=subjective]", hasText(secret)),
		in("input[name=version]", hasAttr("value", "1")), notIn(".note-state strong"))

	clk.Set(epoch.Add(time.Hour))
	second := url.Values{"version": {"1"}, "subjective": {secret}, "treatment": {"Deep tissue"}, "plan": {"Stretch twice a day"}}
	wantStatus(t, admin.post(t, path, second), http.StatusSeeOther)
	edited := admin.get(t, path)
	checkHTML(t, edited.body, in(".note-state strong", hasText("edited")), in("a[href="+path+"/history]"))

	// A save from a form opened on version 1, after version 2: kept, shown
	// beside the other, saved only when she saves again.
	stale := admin.post(t, path, url.Values{"version": {"1"}, "plan": {"From the other tab"}})
	wantStatus(t, stale, http.StatusConflict)
	checkHTML(t, stale.body, in(".note-conflict", hasText("Stretch twice a day")), in("textarea[name=plan]", hasText("From the other tab")),
		in("input[name=version]", hasAttr("value", "2")))

	history := admin.get(t, path+"/history")
	wantStatus(t, history, http.StatusOK)
	checkHTML(t, history.body, count(".note-version", 2), in(".note-version.current", hasText("Stretch twice a day")),
		in(".note-version.earlier", hasText("Stretch daily")))

	// Not before the session.
	later := clientBooking(t, epoch.AddDate(0, 0, 30), db.BookingConfirmed, "Jo "+u, "jo."+u+"@example.com", "")
	wantStatus(t, admin.post(t, noteURL(later.ID), url.Values{"plan": {"Too soon"}}), http.StatusConflict)
	checkHTML(t, admin.get(t, noteURL(later.ID)).body, notIn("form.note-form"))

	// Never in the outbox or the log.
	var mailed int
	if err := seededDB(t).NewRaw(`SELECT count(*) FROM outbox WHERE message::text LIKE ?`, "%"+u+"%").Scan(context.Background(), &mailed); err != nil {
		t.Fatal(err)
	}
	if mailed > 0 {
		t.Errorf("%d outbox messages carry the note's words", mailed)
	}
	if strings.Contains(s.log.String(), u) {
		t.Error("the note's words are in the log")
	}
	un, err := db.UnwrittenNotes(context.Background(), seededDB(t), epoch)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range un {
		if n.BookingID == b.ID {
			t.Error("UnwrittenNotes lists a booking with a note")
		}
	}
}

// The client's export (from their page, and from the privacy page) has
// their treatment notes with every earlier version; erasing them from
// their page says the notes were kept and why.
func TestClientExportAndErasureKeepNotes(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	u := unique()
	email := "kit." + u + "@example.com"
	b := clientBooking(t, epoch.AddDate(0, 0, -2), db.BookingCompleted, "Kit "+u, email, "07700 900555")
	ctx := context.Background()
	if _, err := db.SaveNote(ctx, seededDB(t), b.ID, db.NoteFields{Plan: "First plan " + u}, epoch.AddDate(0, 0, -2)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveNote(ctx, seededDB(t), b.ID, db.NoteFields{Plan: "Second plan " + u}, epoch.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}

	for _, res := range []response{
		admin.post(t, clientsPath+"/"+itoa(b.ID)+"/export", url.Values{}),
		admin.post(t, adminPath+"/privacy/export", url.Values{"email": {email}}),
	} {
		wantStatus(t, res, http.StatusOK)
		var x clientExport
		if err := json.Unmarshal([]byte(res.body), &x); err != nil {
			t.Fatalf("the export is not JSON: %v", err)
		}
		if len(x.TreatmentNotes) != 1 || x.TreatmentNotes[0].Plan != "Second plan "+u || len(x.TreatmentNotes[0].Earlier) != 1 ||
			x.TreatmentNotes[0].Earlier[0].Plan != "First plan "+u {
			t.Errorf("treatment notes in the export: %+v", x.TreatmentNotes)
		}
	}

	found := admin.post(t, adminPath+"/privacy", url.Values{"email": {email}})
	checkHTML(t, found.body, in(".client-bookings a[href="+noteURL(b.ID)+"]", hasText("treatment note")))

	wrong := admin.post(t, clientsPath+"/"+itoa(b.ID)+"/erase", url.Values{"confirm": {"someone@else.example"}})
	wantStatus(t, wrong, http.StatusUnprocessableEntity)
	checkHTML(t, wrong.body, in("#f-confirm-error"), in("input[name=confirm]", hasAttr("value", "someone@else.example")))

	// Post/Redirect/Get: the erasure answers 303 to the client's page, whose
	// address names no one; that page (and a reload of it) says what was
	// erased and kept.
	res := admin.post(t, clientsPath+"/"+itoa(b.ID)+"/erase", url.Values{"confirm": {strings.ToUpper(email)}})
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != clientsPath+"/"+itoa(b.ID)+"?erased=1" {
		t.Fatalf("the erasure leads to %q", loc)
	}
	loc := res.Header.Get("Location")
	for range 2 {
		res = admin.get(t, loc)
		wantStatus(t, res, http.StatusOK)
		checkHTML(t, res.body, in(".erased-summary .notes-kept", hasText("1 treatment note is kept"), hasText("legal duty")),
			in(".erased-summary", hasText("Emptied or deleted")), in("h1", hasText("Kit "+u)),
			in("#notes-title", hasText("(1)")), notIn("form[action$='/erase']"))
	}
	// The page without ?erased, or another session's, does not say it.
	checkHTML(t, admin.get(t, clientsPath+"/"+itoa(b.ID)).body, notIn(".erased-summary"))
	other := s.client(t)
	other.logIn(t)
	checkHTML(t, other.get(t, clientsPath+"/"+itoa(b.ID)+"?erased=1").body, notIn(".erased-summary"))
	got, err := db.BookingByID(ctx, seededDB(t), b.ID)
	if err != nil || got.ClientPhone != "" || got.Health != nil || got.ClientName != "Kit "+u {
		t.Errorf("after erasure the booking is %q %q %v, %v", got.ClientName, got.ClientPhone, got.Health, err)
	}
	if n, err := db.NoteByBooking(ctx, seededDB(t), b.ID); err != nil || n.Plan != "Second plan "+u {
		t.Errorf("the note after erasure: %+v, %v", n, err)
	}
}

// Erasing a client of whom nothing must be kept: the erasure answers 303,
// and the page it leads to (the client is gone) says what was erased, on
// reload too, without naming them. Another session, or the address without
// ?erased=1, gets the usual 404.
func TestClientErasureRedirects(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	u := unique()
	email := "max." + u + "@example.com"
	b := clientBooking(t, epoch.AddDate(0, 0, -3), db.BookingCompleted, "Max "+u, email, "07700 900556")
	page := clientsPath + "/" + itoa(b.ID)

	res := admin.post(t, page+"/erase", url.Values{"confirm": {email}})
	wantStatus(t, res, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if loc != page+"?erased=1" {
		t.Fatalf("the erasure leads to %q, want %s?erased=1", loc, page)
	}
	for i := range 2 { // the page, and a reload of it
		res = admin.get(t, loc)
		wantStatus(t, res, http.StatusOK)
		checkHTML(t, res.body,
			in("h1", hasText(db.ErasedName)),
			in(".erased-summary", hasText("1 booking kept in the diary as “Erased client”")),
			in(".erased-summary .notes-kept", hasText("No treatment notes had to be kept")),
			notIn("form[action="+page+"/erase]"), notIn("#bookings-title"), notIn("#notes-title"), notIn("#consents-title"))
		if strings.Contains(res.body, "Max "+u) || strings.Contains(res.body, email) {
			t.Errorf("visit %d of the page after the erasure names the client", i+1)
		}
	}
	got, err := db.BookingByID(context.Background(), seededDB(t), b.ID)
	if err != nil || got.ClientName != db.ErasedName || got.ClientEmail != "" {
		t.Errorf("after erasure the booking is %q %q, %v", got.ClientName, got.ClientEmail, err)
	}
	wantStatus(t, admin.get(t, page), http.StatusNotFound)
	other := s.client(t)
	other.logIn(t)
	wantStatus(t, other.get(t, loc), http.StatusNotFound)
	noServerErrors(t, s)
}

// The notes' retention is its own setting, in years, with its reason.
func TestNotesRetentionSetting(t *testing.T) {
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	page := admin.get(t, adminPath+"/privacy")
	checkHTML(t, page.body, in("input[name=notes_keep_years]", hasAttr("value", "8")), in("#notes-retention-title"))
	if !strings.Contains(page.body, "8 years") {
		t.Error("the page does not say why 8 years")
	}
	bad := admin.post(t, adminPath+"/privacy/notes-retention", url.Values{"notes_keep_years": {"eighty"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	checkHTML(t, bad.body, in("#f-notes_keep_years-error"), in("input[name=notes_keep_years]", hasAttr("value", "eighty")))
	res := admin.post(t, adminPath+"/privacy/notes-retention", url.Values{"notes_keep_years": {"10"}})
	wantStatus(t, res, http.StatusSeeOther)
	t.Cleanup(func() { _ = db.SaveNotesKeepYears(context.Background(), seededDB(t), db.DefaultNotesKeepYears) })
	if years, err := db.NotesKeepYears(context.Background(), seededDB(t)); err != nil || years != 10 {
		t.Errorf("saved %d, %v", years, err)
	}
	if p, _ := db.GetPrivacy(context.Background(), seededDB(t)); p.HealthKeepMonths != db.DefaultPrivacy.HealthKeepMonths {
		t.Errorf("the health answers' months changed to %d", p.HealthKeepMonths)
	}
}

// Logged in, every page of the clients and notes answers 200 (GET and
// HEAD, whole page and htmx) and is kept by no cache: the route walk
// (TestEveryAdminRouteNeedsTheLogin) checks them without a login.
func TestClientRoutesLoggedIn(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	u := unique()
	b := clientBooking(t, epoch.AddDate(0, 0, -1), db.BookingCompleted, "Lee "+u, "lee."+u+"@example.com", "")
	if _, err := db.SaveNote(context.Background(), seededDB(t), b.ID, db.NoteFields{Plan: "Rest"}, epoch); err != nil {
		t.Fatal(err)
	}
	id := itoa(b.ID)
	for _, path := range []string{clientsPath, clientsPath + "/" + id, noteURL(b.ID), noteURL(b.ID) + "/history"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			for _, headers := range [][]string{nil, {"HX-Request: true"}} {
				res := admin.do(t, newRequest(method, path), headers...)
				wantStatus(t, res, http.StatusOK)
				if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("%s %s %v: Cache-Control %q", method, path, headers, cc)
				}
			}
		}
	}
	for _, path := range []string{clientsPath + "/abc", clientsPath + "/0", adminPath + "/bookings/999999999/note"} {
		wantStatus(t, admin.get(t, path), http.StatusNotFound)
	}
}
