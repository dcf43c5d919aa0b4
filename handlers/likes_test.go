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

// likeFrom sends the like form from a new browser (no cookies) at client
// address ip, as a script that drops its cookies does.
func likeFrom(t *testing.T, s *testServer, ip, slug string, headers ...string) response {
	t.Helper()
	cl := &client{visitor: s.visitor(), ip: ip}
	cl.get(t, "/blog/"+slug)
	return cl.post(t, "/blog/"+slug+"/like", url.Values{}, headers...)
}

// A like is remembered by the browser, not the session store: liking (and
// reading) writes no session row, a second like from the same browser does
// not count, and the page shows it as liked from the cookie alone.
func TestLikeOncePerVisitorWithoutSession(t *testing.T) {
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	before := s.store.commits.Load()
	rowsBefore := sessionCount(t)

	v := &client{visitor: s.visitor(), ip: "203.0.113.40"}
	v.get(t, "/blog/"+p.Slug)
	for i := range 3 {
		res := v.post(t, "/blog/"+p.Slug+"/like", url.Values{})
		wantStatus(t, res, http.StatusSeeOther)
		if got := postNow(t, p.Slug).Likes; got != 1 {
			t.Fatalf("after like #%d from one visitor: %d likes, want 1", i+1, got)
		}
	}
	ck := v.cookies[s.h.likedCookieName()]
	if ck == nil || ck.Path != "/blog" || !ck.HttpOnly || ck.MaxAge < 300*24*3600 {
		t.Fatalf("liked cookie %+v: want a lasting HttpOnly cookie for /blog", ck)
	}
	checkHTML(t, v.get(t, "/blog/"+p.Slug).body,
		in("form#like button[disabled]", hasExactText("Liked"), hasAttr("aria-pressed", "true")),
		in("form#like .like-count", hasExactText("1 like")))
	// htmx: the same.
	res := v.post(t, "/blog/"+p.Slug+"/like", url.Values{}, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("form#like button[disabled]", hasExactText("Liked")), in("form#like .like-count", hasExactText("1 like")))

	// Another browser at the same address counts; so do likes by
	// browsers that never had a session, and none of it writes one.
	for range 3 {
		wantStatus(t, likeFrom(t, s, "203.0.113.40", p.Slug), http.StatusSeeOther)
	}
	if got := postNow(t, p.Slug).Likes; got != 4 {
		t.Errorf("%d likes, want 4", got)
	}
	if n := s.store.commits.Load() - before; n != 0 {
		t.Errorf("reading and liking wrote the session store %d times, want 0", n)
	}
	if n := sessionCount(t) - rowsBefore; n != 0 {
		t.Errorf("%d new session rows, want none", n)
	}
	// A cookie that is not a list of ids is no like.
	odd := &client{visitor: s.visitor(), ip: "203.0.113.41"}
	odd.get(t, "/blog/"+p.Slug)
	odd.cookies[s.h.likedCookieName()] = &http.Cookie{Name: s.h.likedCookieName(), Value: "zz.-1.%%"}
	checkHTML(t, odd.get(t, "/blog/"+p.Slug).body, in("form#like button", hasExactText("Like this article")))
	wantStatus(t, odd.post(t, "/blog/"+p.Slug+"/like", url.Values{}), http.StatusSeeOther)
	if got := postNow(t, p.Slug).Likes; got != 5 {
		t.Errorf("%d likes, want 5", got)
	}
}

func sessionCount(t *testing.T) int {
	t.Helper()
	n, err := seededDB(t).NewSelect().Table("sessions").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A script that drops its cookies gets five likes of an article per
// address per day, then 429 with Retry-After: the button with a note for
// htmx, the error page otherwise. Other addresses still like; an IPv6
// address counts by its /64; the next day the address may like again.
func TestLikeLimitPerAddress(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	p := savePost(t, db.Post{})
	for i := range 5 {
		wantStatus(t, likeFrom(t, s, "203.0.113.50", p.Slug), http.StatusSeeOther)
		wantStatus(t, likeFrom(t, s, "2001:db8:1:2::"+strconv.Itoa(i+1), p.Slug), http.StatusSeeOther)
	}
	res := likeFrom(t, s, "203.0.113.50", p.Slug)
	wantStatus(t, res, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 3600 || ra > 24*3600+1 {
		t.Errorf("Retry-After %q, want the seconds until tomorrow's share", res.Header.Get("Retry-After"))
	}
	checkHTML(t, res.body, in("h1", hasText("Please slow down")), in("main", hasText("Many likes have come from your connection")))

	res = likeFrom(t, s, "2001:db8:1:2:ffff::9", p.Slug, "HX-Request: true")
	wantStatus(t, res, http.StatusTooManyRequests)
	isFragmentBody(t, res)
	if res.Header.Get("Retry-After") == "" {
		t.Error("the htmx 429 has no Retry-After")
	}
	checkHTML(t, res.body,
		in("form#like button", hasExactText("Like this article"), hasAttr("aria-pressed", "false")),
		notIn("form#like button[disabled]"),
		in("form#like .like-count", hasExactText("10 likes")),
		in("form#like .like-notice[role=status]", hasText("Many likes have come from your connection"), hasText("try again in")))
	if got := postNow(t, p.Slug).Likes; got != 10 {
		t.Errorf("%d likes, want 10 (5 per address)", got)
	}
	wantStatus(t, likeFrom(t, s, "203.0.113.51", p.Slug), http.StatusSeeOther)
	wantStatus(t, likeFrom(t, s, "2001:db8:1:3::1", p.Slug), http.StatusSeeOther)

	clk.Advance(24*time.Hour + time.Second)
	wantStatus(t, likeFrom(t, s, "203.0.113.50", p.Slug), http.StatusSeeOther)
	if got := postNow(t, p.Slug).Likes; got != 13 {
		t.Errorf("%d likes, want 13", got)
	}
	noServerErrors(t, s)
}

// Over all articles an address has thirty likes an hour.
func TestLikeLimitPerAddressOverArticles(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	var slugs []string
	for range 31 {
		slugs = append(slugs, savePost(t, db.Post{}).Slug)
	}
	v := &client{visitor: s.visitor(), ip: "198.18.0.7"}
	v.get(t, "/blog")
	for _, slug := range slugs[:30] {
		wantStatus(t, v.post(t, "/blog/"+slug+"/like", url.Values{}), http.StatusSeeOther)
	}
	res := v.post(t, "/blog/"+slugs[30]+"/like", url.Values{})
	wantStatus(t, res, http.StatusTooManyRequests)
	if !strings.Contains(res.body, "try again in") {
		t.Errorf("the 429 page does not say when:\n%.1500s", res.body)
	}
	// What it liked already still shows as liked, and liking it again is
	// no new like, so not refused.
	wantStatus(t, v.post(t, "/blog/"+slugs[0]+"/like", url.Values{}), http.StatusSeeOther)
	clk.Advance(time.Hour)
	wantStatus(t, v.post(t, "/blog/"+slugs[30]+"/like", url.Values{}), http.StatusSeeOther)
}
