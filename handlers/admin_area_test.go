package handlers

// Around the admin area (issue 17, part C): the navigation, cover pictures,
// the byline and what the dashboard says needs her.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The admin navigation is two lists: on a phone the four daily places and
// "More" (a disclosure with the rest), on a wide screen all of them (the
// CSS shows one); the current page is marked in both, also when it is
// under "More".
func TestAdminNavigation(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	res := cl.get(t, articlesPath)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		// Four links of their own, and ten more under "More".
		count("nav.admin-nav ul.admin-nav-bar a", 14),
		count("nav.admin-nav ul.admin-nav-bar details a", 10),
		in("nav.admin-nav ul.admin-nav-bar a[href=/admin/clients]", hasExactText("Clients")),
		in("nav.admin-nav ul.admin-nav-bar a[aria-current=page]", hasAttr("href", "/admin/articles")),
		in("nav.admin-nav ul.admin-nav-full a[aria-current=page]", hasAttr("href", "/admin/articles")),
		in("nav.admin-nav .admin-nav-more details summary", hasExactText("More")),
		in("nav.admin-nav .admin-nav-more details a[href=/admin/media]"),
		in("nav.admin-nav .admin-nav-more details form[action=/admin/logout]"),
		count("nav.admin-nav ul.admin-nav-full a[href=/admin/clients]", 1),
	)
	media := cl.get(t, mediaPath)
	checkHTML(t, media.body,
		in("nav.admin-nav .admin-nav-more details a[aria-current=page]", hasAttr("href", "/admin/media")),
		count("nav.admin-nav ul.admin-nav-bar a[aria-current]", 1))
	dash := cl.get(t, adminPath)
	checkHTML(t, dash.body, in("nav.admin-nav ul.admin-nav-bar a[aria-current=page]", hasAttr("href", "/admin"), hasExactText("Today")))
	noServerErrors(t, s)
}

// uploadedMedia uploads a w×h picture and returns it as stored.
func uploadedMedia(t *testing.T, cl *client, w, h int, description string) db.Media {
	t.Helper()
	res := cl.upload(t, pngOf(t, w, h), description, "Sec-Fetch-Site: same-origin")
	wantStatus(t, res, http.StatusSeeOther)
	loc, _ := url.Parse(res.Header.Get("Location"))
	m, err := db.MediaByName(context.Background(), seededDB(t), loc.Query().Get("added"))
	if err != nil {
		t.Fatalf("the uploaded picture (%s): %v", res.Header.Get("Location"), err)
	}
	return m
}

// The editor's script uploads with Accept: application/json and gets the
// picture's address and size, or why not, in words for her.
func TestUploadFromTheEditorAnswersJSON(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	res := cl.upload(t, pngOf(t, 64, 48), "", "Accept: application/json", "Sec-Fetch-Site: same-origin")
	wantStatus(t, res, http.StatusCreated)
	if !strings.Contains(res.body, `"url":"/media/`) || !strings.Contains(res.body, `"width":64`) || !strings.Contains(res.body, `"height":48`) {
		t.Errorf("the answer to the editor: %s", res.body)
	}
	bad := cl.upload(t, []byte("not a picture at all"), "", "Accept: application/json", "Sec-Fetch-Site: same-origin")
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, `"error":"That file is not a picture`) {
		t.Errorf("the answer to a file that is no picture: %s", bad.body)
	}
	noServerErrors(t, s)
}

// A cover picture is chosen in the editor (alt text required), shown at the
// top of the article with its size, small in the blog list and on the home
// page, and is the link preview's picture (absolute); a picture that is a
// cover cannot be deleted.
func TestCoverPicture(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	m := uploadedMedia(t, cl, 320, 180, "A runner's calf "+unique())

	editor := cl.get(t, articlesPath+"/new")
	checkHTML(t, editor.body,
		in("select#f-cover option[value='"+itoa(m.ID)+"']", hasText(m.Description)),
		in("input#f-picture[type=file][form=picture-form]"),
		in("form#picture-form[action=/admin/media][enctype='multipart/form-data'][target=_blank]"))

	// Alt text is required.
	noAlt := cl.post(t, articlesPath, articleFields("cover", itoa(m.ID), "cover_alt", ""))
	wantStatus(t, noAlt, http.StatusUnprocessableEntity)
	checkHTML(t, noAlt.body, in("#f-cover-alt-error", hasText("what the cover picture shows")),
		in("select#f-cover option[selected]", hasAttr("value", itoa(m.ID))))
	gone := cl.post(t, articlesPath, articleFields("cover", "99999999", "cover_alt", "x"))
	wantStatus(t, gone, http.StatusUnprocessableEntity)
	checkHTML(t, gone.body, in("#f-cover-error", hasText("no longer in your pictures")))

	// The preview shows it.
	pv := cl.post(t, articlesPath+"/preview", articleFields("cover", itoa(m.ID), "cover_alt", "Calf massage"), "HX-Request: true")
	checkHTML(t, pv.body, in("#article-preview img.cover", hasAttr("src", "/media/"+m.Name), hasAttr("alt", "Calf massage")))

	id := savedID(t, cl.post(t, articlesPath, articleFields("cover", itoa(m.ID), "cover_alt", "Calf massage on the couch")))
	p := storedPost(t, id)
	if p.CoverID == nil || *p.CoverID != m.ID || p.CoverAlt != "Calf massage on the couch" || p.CoverName != m.Name {
		t.Fatalf("stored cover: %v %q %q", p.CoverID, p.CoverAlt, p.CoverName)
	}
	checkHTML(t, cl.get(t, articlesPath+"/"+itoa(id)).body,
		in("select#f-cover option[selected]", hasAttr("value", itoa(m.ID))),
		in("input#f-cover-alt", hasAttr("value", "Calf massage on the couch")))

	reader := s.client(t)
	page := reader.get(t, "/blog/"+p.Slug)
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		in("article img.cover", hasAttr("src", "/media/"+m.Name), hasAttr("width", "320"), hasAttr("height", "180"), hasAttr("alt", "Calf massage on the couch")),
		in("meta[property='og:image']", hasAttr("content", httpBase+"/media/"+m.Name)),
		in("meta[property='og:image:width']", hasAttr("content", "320")),
		in("meta[property='og:image:alt']", hasAttr("content", "Calf massage on the couch")),
		in("meta[name='twitter:card']", hasAttr("content", "summary_large_image")))
	if got := jsonLD(t, page.body)["image"]; got != httpBase+"/media/"+m.Name {
		t.Errorf("the article's structured data names the image %v, want the cover", got)
	}
	var entry string
	for _, e := range getFeed(t, s).Entries {
		if e.link("alternate") == httpBase+"/blog/"+p.Slug {
			entry = e.Content.Body
		}
	}
	if want := `<p><img src="` + httpBase + "/media/" + m.Name + `" alt="Calf massage on the couch" width="320" height="180"></p>`; !strings.HasPrefix(entry, want) {
		t.Errorf("the feed's entry starts %.200q, want the cover first: %q", entry, want)
	}
	checkHTML(t, reader.get(t, "/blog").body, in("li.post-card.has-cover img.cover-thumb", hasAttr("src", "/media/"+m.Name), hasAttr("alt", "")))
	checkHTML(t, reader.get(t, "/").body, in("li.card.has-cover img.cover-thumb", hasAttr("src", "/media/"+m.Name)))

	// An article without a cover has no picture and the small card.
	plain := savePost(t, db.Post{})
	checkHTML(t, reader.get(t, "/blog/"+plain.Slug).body, notIn("img.cover"), notIn("meta[property='og:image']"),
		in("meta[name='twitter:card']", hasAttr("content", "summary")))

	// The cover cannot be deleted; taken off the article, it can.
	wantStatus(t, cl.post(t, mediaPath+"/"+itoa(m.ID)+"/delete", url.Values{}), http.StatusConflict)
	f := articleFields("title", p.Title, "slug", p.Slug, "cover", "", "cover_alt", "", "revision", revisionOf(p))
	wantStatus(t, cl.post(t, articlesPath+"/"+itoa(id), f), http.StatusSeeOther)
	if p := storedPost(t, id); p.CoverID != nil || p.HasCover() {
		t.Errorf("the cover was taken off, but it is still %v", p.CoverID)
	}
	checkHTML(t, reader.get(t, "/blog/"+p.Slug).body, notIn("img.cover"))
	wantStatus(t, cl.post(t, mediaPath+"/"+itoa(m.ID)+"/delete", url.Values{}), http.StatusSeeOther)
	noServerErrors(t, s)
}

// setTherapistName saves her name on the Business page's row for the rest
// of t (the practice's details as they were come back after).
func setTherapistName(t *testing.T, s *testServer, name string) {
	t.Helper()
	ctx, bdb := context.Background(), seededDB(t)
	was, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	b := was
	b.TherapistName = name
	if _, err := bdb.NewUpdate().Model(&b).Column("therapist_name").Where("id = 1").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	s.h.contentChanged()
	t.Cleanup(func() {
		if _, err := bdb.NewUpdate().Model(&was).Column("therapist_name").Where("id = 1").Exec(ctx); err != nil {
			t.Error(err)
		}
	})
}

// A new article is signed with her name from the Business page; an article
// signed with the old blog's handle shows her name (the practice's before
// she gives hers), while other bylines stay as written.
func TestBylineIsTheTherapistsName(t *testing.T) {
	s := adminServer(t)
	cl := therapist(t, s)
	seeded := "/blog/sports-massage-for-lower-back-pain"
	checkHTML(t, s.client(t).get(t, seeded).body, in("article header .meta", hasText("By "+practiceName+" ·")))

	checkHTML(t, cl.get(t, articlesPath+"/new").body, in("#f-author-name a[href=/admin/business]"))
	setTherapistName(t, s, "Clare Example")
	checkHTML(t, cl.get(t, articlesPath+"/new").body, in("input#f-author", hasAttr("value", "Clare Example")), notIn("#f-author-name"))
	checkHTML(t, s.client(t).get(t, seeded).body, in("article header .meta", hasText("By Clare Example ·")))
	if p, err := db.PostBySlug(context.Background(), seededDB(t), "sports-massage-for-lower-back-pain"); err != nil || p.Author != oldBlogHandle {
		t.Errorf("the stored byline changed: %q, %v", p.Author, err)
	}
	guest := savePost(t, db.Post{Author: "A Guest Writer"})
	checkHTML(t, s.client(t).get(t, "/blog/"+guest.Slug).body, in("article header .meta", hasText("By A Guest Writer ·")))
	// The editor of the seeded article says how the blog shows the handle.
	seededPost, _ := db.PostBySlug(context.Background(), seededDB(t), "sports-massage-for-lower-back-pain")
	checkHTML(t, cl.get(t, articlesPath+"/"+itoa(seededPost.ID)).body,
		in("input#f-author", hasAttr("value", oldBlogHandle)), in("#f-author-shown", hasText("Clare Example")))
	noServerErrors(t, s)
}

// The dashboard's "Needs you" lists what there is, each with a link, and
// nothing that is not: a new booking, today's session, a cancellation,
// mail that failed.
func TestDashboardNeedsYou(t *testing.T) {
	morning := startOfDay(epoch).Add(10 * time.Hour) // 10:00 in London on the epoch's day
	runAt(t, morning)
	s := adminServer(t)
	ctx, bdb := context.Background(), seededDB(t)
	admin := therapist(t, s)
	needs := func() string {
		t.Helper()
		res := admin.get(t, adminPath)
		wantStatus(t, res, http.StatusOK)
		return res.body
	}
	body := needs()
	checkHTML(t, body, in("section.needs-you h2", hasText("Needs you")),
		notIn("#needs-today"), notIn("#needs-new-bookings"), notIn("#needs-cancelled"))

	svc := bookingServices(t)[0]
	client := s.client(t)
	start := client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(2))
	b := bookingOf(t, bookedToken(t, client.post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, start))))
	checkHTML(t, needs(), in("#needs-new-bookings a[href=/admin/diary]", hasText("1 new booking in the last day")), notIn("#needs-today"))

	// Moved to this afternoon: today's session.
	now := clk.Now()
	at := startOfDay(now).Add(15 * time.Hour) // 15:00
	if _, err := bdb.NewRaw(`UPDATE bookings SET starts_at = ?, ends_at = ?, blocked_from = ?, blocked_to = ? WHERE id = ?`,
		at, at.Add(time.Hour), at, at.Add(time.Hour), b.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	today := now.In(views.London).Format(time.DateOnly)
	checkHTML(t, needs(), in("#needs-today a[href='/admin/diary?day="+today+"']", hasText("1 session today")),
		in("#needs-today", hasText("at "+at.In(views.London).Format("15:04"))))

	// Over at 16:00: at 16:30 its note is asked for, by name, linked to its
	// form; once written it is not.
	clk.Set(at.Add(90 * time.Minute))
	admin = therapist(t, s) // her login has run out meanwhile
	checkHTML(t, needs(), notIn("#needs-today"),
		in("#needs-notes", hasText("1 finished session has no notes yet")),
		in(fmt.Sprintf("#needs-notes a[href='/admin/bookings/%d/note']", b.ID), hasText(b.ClientName)))
	if _, err := db.SaveNote(ctx, bdb, b.ID, db.NoteFields{Treatment: "Back, 45 min"}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, needs(), notIn("#needs-notes"))
	clk.Set(now)
	admin = therapist(t, s)

	// Cancelled: no session today, no new booking, a cancellation.
	if err := db.CancelBooking(ctx, bdb, b.ID, "", clk.Now()); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, needs(), notIn("#needs-today"), notIn("#needs-new-bookings"),
		in("#needs-cancelled a[href=/admin/diary]", hasText("1 booking cancelled in the last week")))

	// Mail that failed.
	failed := db.OutboxMessage{Kind: "test", Recipient: "someone@example.com", Subject: "A message that failed", Status: db.OutboxFailed, LastError: "550 no such user"}
	if _, err := bdb.NewInsert().Model(&failed).ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, needs(), in("#needs-mail a[href=/admin/outbox]", hasText("not gone out")))

	// A week and a day later the cancellation is old news.
	clk.Set(morning.AddDate(0, 0, 8))
	admin = therapist(t, s) // her login has run out meanwhile
	checkHTML(t, needs(), notIn("#needs-cancelled"))
	noServerErrors(t, s)
}
