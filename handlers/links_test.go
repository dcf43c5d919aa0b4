package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dynamicmotion/links"
)

// Every address e-mails and calendar files carry (package links) reaches a
// registered route, with the method the link is followed by: a renamed
// route cannot leave a dead link in a message already sent.
func TestLinksReachRegisteredRoutes(t *testing.T) {
	s := newTestServer(t, nil)
	const base, token = httpBase, "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
	tests := []struct {
		link, method, route string
	}{
		{links.ManageURL(base, token), http.MethodGet, "/bookings/:token"},
		{links.ManageURL(base+"/", token), http.MethodGet, "/bookings/:token"},
		{links.OfferURL(base, token), http.MethodGet, "/book/offer/:token"},
		{links.LeaveURL(base, token), http.MethodGet, "/book/waitlist/leave/:token"},
		{links.LeaveURL(base, token), http.MethodPost, "/book/waitlist/leave/:token"},
		{links.ConfirmRepliesURL(base, token), http.MethodGet, "/comments/subscriptions/confirm/:token"},
		{links.UnsubscribeURL(base, token), http.MethodGet, "/comments/subscriptions/unsubscribe/:token"},
		{links.OneClickURL(base, token), http.MethodPost, "/comments/subscriptions/unsubscribe/:token/one-click"},
		{links.CalendarURL(base, token), http.MethodGet, "/calendar/:file"},
		{links.CommentURL(base, "a-slug", 42), http.MethodGet, "/blog/:slug"},
		{links.ModerationURL(base), http.MethodGet, "/admin/comments"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.link)
		if err != nil || !strings.HasPrefix(tc.link, base+"/") || strings.Contains(u.Path, "//") {
			t.Errorf("%s is not an address on %s (%v)", tc.link, base, err)
			continue
		}
		c := s.e.NewContext(nil, nil)
		s.e.Router().Find(tc.method, u.Path, c)
		if c.Path() != tc.route {
			t.Errorf("%s %s reaches route %q, want %q", tc.method, tc.link, c.Path(), tc.route)
		}
	}
	// The booking link carries the very token it was made for.
	if got := links.ManageURL(base, token); got != base+"/bookings/"+token {
		t.Errorf("ManageURL = %q", got)
	}
}
