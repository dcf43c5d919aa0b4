package handlers

// Forms that create something, sent twice: a double click, or a resend
// after a slow answer, makes one thing; and an article edited in two tabs
// does not silently lose one tab's work.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// formInput is the value of the input name in the first form of body
// whose action is action.
func formInput(t *testing.T, body, action, name string) string {
	t.Helper()
	for _, f := range selectAll(parseHTML(t, body), "form") {
		if a, _ := attr(f, "action"); a != action {
			continue
		}
		for _, in := range selectAll(f, "input[name="+name+"]") {
			v, _ := attr(in, "value")
			return v
		}
	}
	t.Fatalf("no input %q in a form to %s", name, action)
	return ""
}

// sendTogether posts f to target n times at once with the visitor's
// cookies, from ip ("" for httptest's), as a double (or triple) click
// does, and returns the answers.
func (v *visitor) sendTogether(t *testing.T, target string, f url.Values, ip string, n int) []response {
	t.Helper()
	var cookies []*http.Cookie
	for _, c := range v.cookies {
		cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			req := postForm(target, f)
			if ip != "" {
				req.RemoteAddr = ip + ":4321"
			}
			for _, c := range cookies {
				req.AddCookie(c)
			}
			answers[i] = v.s.serve(t, req)
		})
	}
	wg.Wait()
	return answers
}

// sameRedirect checks that every answer is a 303 to one place, and
// returns it.
func sameRedirect(t *testing.T, answers []response) string {
	t.Helper()
	loc := ""
	for i, res := range answers {
		got := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || (loc != "" && got != loc) {
			t.Errorf("sending %d: %d to %q, want 303 to %q like the others", i, res.StatusCode, got, loc)
		}
		if loc == "" {
			loc = got
		}
	}
	return loc
}

func TestAddServiceSentTwiceAddsOne(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	page := cl.get(t, servicesPath)
	f := validServiceForm("Test twice-sent service " + unique())
	f.Set(submissionField, formInput(t, page.body, servicesPath, submissionField))

	sameRedirect(t, cl.sendTogether(t, servicesPath, f, cl.ip, 3))
	var n int
	n, err := seededDB(t).NewSelect().Model((*db.Service)(nil)).Where("name = ?", f.Get("name")).Count(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("services named %q after three sendings of one form: %d (%v), want 1", f.Get("name"), n, err)
	}
	t.Cleanup(func() { deactivateNamed(t, f.Get("name")) })

	// The next form shown has a new token: adding the same service again on
	// purpose works.
	again := cl.get(t, servicesPath)
	f.Set(submissionField, formInput(t, again.body, servicesPath, submissionField))
	wantStatus(t, cl.post(t, servicesPath, f), http.StatusSeeOther)
	n, _ = seededDB(t).NewSelect().Model((*db.Service)(nil)).Where("name = ?", f.Get("name")).Count(context.Background())
	if n != 2 {
		t.Errorf("services named %q after adding it again from a new form: %d, want 2", f.Get("name"), n)
	}
}

// deactivateNamed takes the test's services off the booking page.
func deactivateNamed(t *testing.T, name string) {
	if _, err := seededDB(t).NewUpdate().Model((*db.Service)(nil)).Set("active = false").
		Where("name = ?", name).Exec(context.Background()); err != nil {
		t.Error(err)
	}
}

// A form that came back with mistakes keeps its token, and the corrected
// form then adds the service once.
func TestCorrectedServiceFormKeepsItsToken(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	page := cl.get(t, servicesPath)
	token := formInput(t, page.body, servicesPath, submissionField)
	f := validServiceForm("Test corrected service " + unique())
	f.Set(submissionField, token)
	f.Set("duration", "1h")
	res := cl.post(t, servicesPath, f)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	if got := formInput(t, res.body, servicesPath, submissionField); got != token {
		t.Errorf("the re-shown form's token is %q, want the one it was sent with", got)
	}
	f.Set("duration", "60")
	sameRedirect(t, cl.sendTogether(t, servicesPath, f, cl.ip, 2))
	t.Cleanup(func() { deactivateNamed(t, f.Get("name")) })
	n, _ := seededDB(t).NewSelect().Model((*db.Service)(nil)).Where("name = ?", f.Get("name")).Count(context.Background())
	if n != 1 {
		t.Errorf("services after the corrected form was sent twice: %d, want 1", n)
	}
}

func TestNewArticleSentTwiceMakesOne(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	page := cl.get(t, articlesPath+"/new")
	slug := "twice-sent-" + unique()
	f := url.Values{"title": {"Twice sent"}, "slug": {slug}, "body": {"Hello."}, "status": {db.StatusDraft},
		submissionField: {formInput(t, page.body, articlesPath, submissionField)}}

	loc := sameRedirect(t, cl.sendTogether(t, articlesPath, f, cl.ip, 3))
	n, err := seededDB(t).NewSelect().Model((*db.Post)(nil)).Where("slug = ?", slug).Count(context.Background())
	if err != nil || n != 1 {
		t.Errorf("articles at %s after three sendings: %d (%v), want 1", slug, n, err)
	}
	if !strings.HasPrefix(loc, articlesPath+"/") {
		t.Errorf("the sendings went to %q, want the article's editor", loc)
	}
}

func TestBookingByHandSentTwiceBooksOnce(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	admin := s.client(t)
	admin.logIn(t)
	free := admin.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(6))
	if len(free) == 0 {
		t.Fatal("no free time")
	}
	at := mustTime(t, free[0]).In(views.London)
	page := admin.get(t, adminPath+"/bookings/new")
	f := url.Values{"service": {itoa(svc.ID)}, "location": {db.PlaceStudio},
		"date": {at.Format(time.DateOnly)}, "time": {at.Format("15:04")}, "name": {"Twice Phoned"}, "phone": {"07700 900457"},
		submissionField: {formInput(t, page.body, adminPath+"/bookings", submissionField)}}

	loc := sameRedirect(t, admin.sendTogether(t, adminPath+"/bookings", f, admin.ip, 3))
	got := takingTime(t, free[0])
	if len(got) != 1 || got[0].ClientName != "Twice Phoned" {
		t.Fatalf("rows at %s: %+v, want one booking", free[0], got)
	}
	if want := adminPath + "/bookings/" + itoa(got[0].ID); loc != want {
		t.Errorf("the sendings went to %q, want %q", loc, want)
	}
	// Sent again later (the back button and Send): still the one booking.
	res := admin.post(t, adminPath+"/bookings", f)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != loc {
		t.Errorf("sent again later: %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), loc)
	}
	noServerErrors(t, s)
}

// Two tabs open on one article: the second save does not silently undo the
// first. It is refused (409) with the text kept and a clear note, and
// saving again replaces the other version on purpose. The same save sent
// twice is not a conflict.
func TestArticleEditedInTwoTabs(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	p := savePost(t, db.Post{Slug: "two-tabs-" + unique(), Title: "Two tabs", BodyMD: "First.", Status: db.StatusDraft})
	editor := articlesPath + "/" + itoa(p.ID)
	page := cl.get(t, editor)
	revision := formInput(t, page.body, editor, "revision")
	form := func(body, revision string) url.Values {
		return url.Values{"title": {"Two tabs"}, "slug": {p.Slug}, "body": {body}, "status": {db.StatusDraft}, "revision": {revision}}
	}

	sameRedirect(t, cl.sendTogether(t, editor, form("Tab A's words.", revision), cl.ip, 2))

	res := cl.post(t, editor, form("Tab B's words.", revision))
	wantStatus(t, res, http.StatusConflict)
	checkHTML(t, res.body,
		in(".form-notice", hasText("saved somewhere else")),
		in("textarea[name=body]", hasText("Tab B's words.")))
	if got, _ := db.PostByID(context.Background(), seededDB(t), p.ID); got.BodyMD != "Tab A's words." {
		t.Errorf("after the refused save the article says %q, want tab A's words", got.BodyMD)
	}
	newer := formInput(t, res.body, editor, "revision")
	if newer == revision {
		t.Fatal("the conflict page kept the old revision: saving again would conflict again")
	}
	wantStatus(t, cl.post(t, editor, form("Tab B's words.", newer)), http.StatusSeeOther)
	if got, _ := db.PostByID(context.Background(), seededDB(t), p.ID); got.BodyMD != "Tab B's words." {
		t.Errorf("after saving again the article says %q, want tab B's words", got.BodyMD)
	}
	noServerErrors(t, s)
}

// A comment sent twice — at once by a double click, or again after a slow
// answer — is saved once, and every sending leads to it.
func TestCommentSentTwiceIsSavedOnce(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	f := cm.form(t, "name=Ann", "body=Thank you, this helped.")

	loc := sameRedirect(t, cm.sendTogether(t, "/blog/"+p.Slug+"/comments", f, cm.ip, 3))
	again := cm.post(t, f)
	if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != loc {
		t.Errorf("sent again later: %d to %q, want 303 to %q", again.StatusCode, again.Header.Get("Location"), loc)
	}
	res := cm.post(t, f, htmx...)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("span#comment-count[hx-swap-oob=innerHTML]", hasExactText("(1)")))
	stored := commentsOf(t, p.ID)
	if len(stored) != 1 {
		t.Fatalf("%d comments stored after sending one four times, want 1", len(stored))
	}
	if want := "/blog/" + p.Slug + "?posted=" + itoa(stored[0].ID) + "#comment-" + itoa(stored[0].ID); loc != want {
		t.Errorf("the sendings went to %q, want %q", loc, want)
	}

	// The same words as a reply, or by someone else, are a new comment.
	reply := cm.form(t, "name=Ann", "body=Thank you, this helped.", "parent_id="+itoa(stored[0].ID))
	wantStatus(t, cm.post(t, reply), http.StatusSeeOther)
	other := s.commenter(t, p.Slug)
	wantStatus(t, other.post(t, other.form(t, "name=Bo", "body=Thank you, this helped.")), http.StatusSeeOther)
	if n := len(commentsOf(t, p.ID)); n != 3 {
		t.Errorf("%d comments after a reply and another reader's comment with the same words, want 3", n)
	}
}

// A contact message sent twice by a double click is one message, one
// e-mail to the practice, and both answers thank the sender.
func TestContactSentTwiceIsOneMessage(t *testing.T) {
	s := newTestServer(t, nil)
	cl := s.client(t)
	cl.get(t, "/contact")
	f := cl.contactForm(t)
	sameRedirect(t, cl.sendTogether(t, "/contact", f, cl.ip, 3))
	email := f.Get("email")
	if n := len(contactMessagesFrom(t, email)); n != 1 {
		t.Errorf("%d messages stored after one sent three times at once, want 1", n)
	}
	if n := len(contactMail(t, email)); n != 1 {
		t.Errorf("%d e-mails to the practice, want 1", n)
	}
	// A new message from the same person, in a form opened afresh, is sent.
	wantStatus(t, cl.post(t, "/contact", cl.contactForm(t, "message=And one more question: do you do mobile visits?")), http.StatusSeeOther)
	if n := len(contactMessagesFrom(t, email)); n != 2 {
		t.Errorf("%d messages after a second, different one, want 2", n)
	}
}

// "Move my booking" clicked twice: the booking moves once, every click
// leads to its page, and the client and the practice are told once.
func TestMoveSentTwiceMovesOnce(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[0]
	ann := s.client(t)
	week := weekAfter(7)
	free := ann.freeTimes(t, svc.ID, db.PlaceStudio, week)
	if len(free) < 2 {
		t.Fatal("not enough free times")
	}
	token := ann.book(t, svc.ID, db.PlaceStudio, free[0])
	to := free[len(free)-1]

	answers := ann.sendTogether(t, bookingsPath+token+"/move", url.Values{"start": {to}}, ann.ip, 2)
	if loc := sameRedirect(t, answers); loc != movedPath(token) {
		t.Errorf("the clicks went to %q, want the booking's page saying what moved", loc)
	}
	again := ann.post(t, bookingsPath+token+"/move", url.Values{"start": {to}})
	if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != movedPath(token) {
		t.Errorf("the move sent again later: %d to %q, want 303 to the booking", again.StatusCode, again.Header.Get("Location"))
	}
	b := bookingOf(t, token)
	if !b.StartsAt.Equal(mustTime(t, to)) || b.Sequence != 1 {
		t.Errorf("after a double click the booking starts %v with sequence %d, want %s and 1", b.StartsAt, b.Sequence, to)
	}
	kinds, _ := outboxOf(t, b.ID)
	moved := 0
	for _, k := range kinds {
		if k == "booking_moved" {
			moved++
		}
	}
	if moved != 1 {
		t.Errorf("%d move e-mails to the client, want 1 (outbox: %v)", moved, kinds)
	}
	noServerErrors(t, s)
}
