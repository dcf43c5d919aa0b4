package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// fetchStamp asks /form-stamp for a stamp, as a page's form does when it
// loads (htmx, no cookie), and returns it.
func fetchStamp(t *testing.T, s *testServer) string {
	t.Helper()
	res := s.get(t, "/form-stamp", htmx...)
	wantStatus(t, res, http.StatusOK)
	n := selectAll(parseHTML(t, res.body), "input[name=started]")
	if len(n) != 1 {
		t.Fatalf("/form-stamp answered %q, want one started input", res.body)
	}
	v, _ := attr(n[0], "value")
	if v == "" {
		t.Fatalf("/form-stamp answered an empty stamp: %q", res.body)
	}
	return v
}

// fieldsOf reads the fields of the form sel in body as a browser would
// send them (inputs with a name, ticked boxes, textareas).
func fieldsOf(t *testing.T, body, sel string) url.Values {
	t.Helper()
	forms := selectAll(parseHTML(t, body), sel)
	if len(forms) == 0 {
		t.Fatalf("no form %q in:\n%.2000s", sel, body)
	}
	f := url.Values{}
	for _, n := range descendants(forms[0]) {
		name, ok := attr(n, "name")
		if !ok || name == "" {
			continue
		}
		switch n.Data {
		case "input":
			typ, _ := attr(n, "type")
			if _, checked := attr(n, "checked"); (typ == "checkbox" || typ == "radio") && !checked {
				continue
			}
			v, _ := attr(n, "value")
			f.Add(name, v)
		case "textarea":
			var b strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				b.WriteString(c.Data) // the raw text: line breaks kept
			}
			f.Add(name, b.String())
		}
	}
	return f
}

// later moves the clock on by d: the reader took that long.
func later(t *testing.T, d time.Duration) {
	t.Helper()
	runAt(t, clk.Now().Add(d))
}

// The article and contact pages are the same bytes for every visitor: their
// forms carry no stamp, only the means to fetch one when the page loads.
func TestSharedPagesCarryNoStamp(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	for _, path := range []string{"/blog/" + p.Slug, "/contact"} {
		res := s.get(t, path)
		wantStatus(t, res, http.StatusOK)
		stamps := selectAll(parseHTML(t, res.body), "input[name=started]")
		if len(stamps) == 0 {
			t.Fatalf("%s: no started input", path)
		}
		for _, n := range stamps {
			if v, _ := attr(n, "value"); v != "" {
				t.Errorf("%s: the shared page carries the stamp %q", path, v)
			}
			if got, _ := attr(n, "data-stamp"); got != "/form-stamp" {
				t.Errorf("%s: started input data-stamp=%q, want /form-stamp (site.js fetches it there)", path, got)
			}
		}
	}
}

// /form-stamp is a fresh stamp for one visitor: never stored by a cache, no
// session made for it, and it does not ask for itself again.
func TestFormStamp(t *testing.T) {
	s := newTestServer(t, nil)
	res := s.get(t, "/form-stamp", htmx...)
	wantStatus(t, res, http.StatusOK)
	if cc := res.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("Cache-Control %q, want private, no-store", cc)
	}
	if len(res.Cookies()) != 0 {
		t.Errorf("/form-stamp set cookies: %v", res.Header["Set-Cookie"])
	}
	if strings.Contains(res.body, "hx-") || strings.Contains(res.body, "data-stamp") {
		t.Errorf("the stamp fetches itself again: %s", res.body)
	}
	st := fetchStamp(t, s)
	if age, ok := s.h.stampAge(context.Background(), st); !ok || age < 0 || age > time.Minute {
		t.Errorf("stamp %q: age %s, genuine %v; want a fresh genuine stamp", st, age, ok)
	}
}

// A script that fetches a stamp and posts at once is still too quick.
func TestFetchedStampPostedAtOnceIsTooQuick(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	f := cm.form(t, "name=Bot", "body=Cheap pills")
	f.Set(startedField, fetchStamp(t, s))
	res := cm.post(t, f, htmx...)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("form#comment-form p.form-notice", hasText("wait a moment")))

	cl := s.client(t)
	g := cl.contactForm(t, "email=bot@example.com")
	g.Set(startedField, fetchStamp(t, s))
	res = cl.post(t, "/contact", g, htmx...)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("form#contact-form p.form-notice", hasText("wait a moment")))
	if n := len(commentsOf(t, p.ID)) + len(contactMessagesFrom(t, "bot@example.com")); n != 0 {
		t.Errorf("%d stored, want 0", n)
	}
}

// Without a stamp (no JavaScript, or its fetch failed) the form comes back
// with what was typed, a stamp and a note; pressing Post again once a
// person could have typed it sends it.
func TestCommentWithoutStampPostsOnSecondPress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		sent    int
	}{{"without JavaScript", nil, http.StatusSeeOther}, {"htmx", htmx, http.StatusOK}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			p := savePost(t, db.Post{})
			cm := s.commenter(t, p.Slug)
			f := cm.form(t, "name=Ann", "body=No *scripts* here.", "notify=1", "email=ann@example.com")
			f.Del(startedField)
			res := cm.post(t, f, tc.headers...)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body,
				in("form#comment-form p.form-notice", hasText("press Post again")),
				in("form#comment-form textarea[name=body]", hasExactText("No *scripts* here.")),
				in("form#comment-form input[name=name]", hasAttr("value", "Ann")),
				in("form#comment-form input[name=email]", hasAttr("value", "ann@example.com")),
				in("form#comment-form input[name=notify]", hasAttr("checked", "")))
			if tc.headers == nil {
				isWholePage(t, res)
			}
			again := fieldsOf(t, res.body, "form#comment-form")
			if again.Get(startedField) == "" {
				t.Fatal("the form came back without a stamp")
			}
			if n := len(commentsOf(t, p.ID)); n != 0 {
				t.Fatalf("%d comments stored after the first press, want 0", n)
			}
			later(t, minFillTime)
			wantStatus(t, cm.post(t, again, tc.headers...), tc.sent)
			cs := commentsOf(t, p.ID)
			if len(cs) != 1 || cs[0].BodyMD != "No *scripts* here." || cs[0].Name != "Ann" {
				t.Fatalf("stored %+v, want Ann's one comment", cs)
			}
		})
	}
}

// The same for the contact form.
func TestContactWithoutStampSendsOnSecondPress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		sent    int
	}{{"without JavaScript", nil, http.StatusSeeOther}, {"htmx", htmx, http.StatusOK}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			cl := s.client(t)
			email := "nojs-" + unique() + "@example.com"
			f := cl.contactForm(t, "email="+email, "phone=07700 900123")
			f.Del(startedField)
			res := cl.post(t, "/contact", f, tc.headers...)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body,
				in("form#contact-form p.form-notice", hasText("press Send again")),
				in("form#contact-form textarea[name=message]", hasExactText("Do you treat hamstring strains? Thanks, Ann")),
				in("form#contact-form input[name=email]", hasAttr("value", email)),
				in("form#contact-form input[name=phone]", hasAttr("value", "07700 900123")))
			again := fieldsOf(t, res.body, "form#contact-form")
			if again.Get(startedField) == "" {
				t.Fatal("the form came back without a stamp")
			}
			if n := len(contactMessagesFrom(t, email)); n != 0 {
				t.Fatalf("%d messages stored after the first press, want 0", n)
			}
			later(t, minFillTime)
			wantStatus(t, cl.post(t, "/contact", again, tc.headers...), tc.sent)
			if ms := contactMessagesFrom(t, email); len(ms) != 1 || ms[0].Message != "Do you treat hamstring strains?\nThanks, Ann" {
				t.Fatalf("stored %+v, want the one message", ms)
			}
		})
	}
}

// A reader opens the article (its form fetches a stamp), reads the thread,
// presses Reply (which brings the page's stamp along) and sends "Thanks!"
// at once: not too quick.
func TestQuickReplyAfterReadingIsNotTooQuick(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	cm := s.commenter(t, p.Slug)
	wantStatus(t, cm.post(t, cm.form(t, "name=Ann", "body=First")), http.StatusSeeOther)
	id := strconv.FormatInt(commentsOf(t, p.ID)[0].ID, 10)

	reader := s.commenter(t, p.Slug)
	pageStamp := fetchStamp(t, s)
	later(t, 30*time.Second) // reading
	res := reader.get(t, "/blog/"+p.Slug+"/comments/"+id+"/reply?started="+url.QueryEscape(pageStamp), htmx...)
	wantStatus(t, res, http.StatusOK)
	f := fieldsOf(t, res.body, "form#reply-form-"+id)
	f.Set("name", "Bob")
	f.Set("body", "Thanks!")
	res = reader.post(t, f, htmx...)
	wantStatus(t, res, http.StatusOK)
	if cs := commentsOf(t, p.ID); len(cs) != 2 || cs[1].BodyMD != "Thanks!" {
		t.Fatalf("stored %d comments, want the reply", len(cs))
	}
}
