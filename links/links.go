// Package links owns the site's addresses that leave it: the links that
// e-mails and calendar files carry, which must keep working for as long as
// a message sits in someone's inbox. The handlers register their routes
// from the same paths, and a test there resolves every link built here
// against the registered routes, so that a renamed route cannot leave a
// dead link in an e-mail.
package links

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
)

// Paths, each followed by a secret token (or, for Calendar, a secret and
// ".ics").
const (
	Manage         = "/bookings/"                           // a booking: view, move, cancel
	Offer          = "/book/offer/"                         // takes a time offered from the waitlist
	LeaveWaitlist  = "/book/waitlist/leave/"                // takes someone off the waitlist
	ConfirmReplies = "/comments/subscriptions/confirm/"     // confirms e-mail about replies
	Unsubscribe    = "/comments/subscriptions/unsubscribe/" // stops it
	OneClick       = "/one-click"                           // after Unsubscribe and the token: where mail programs POST (RFC 8058)
	Calendar       = "/calendar/"                           // the therapist's calendar feed
	Moderation     = "/admin/comments"                      // the comments awaiting approval (no token)
	Blog           = "/blog/"                               // an article, followed by its slug
)

// NewToken is a new secret for a link: 192 random bits, URL-safe (32
// characters). Only its hash is stored.
func NewToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// join is base (the site's address, "https://example.com", with or without
// a final slash) followed by path.
func join(base, path string) string { return strings.TrimSuffix(base, "/") + path }

// ManageURL is the address of the booking whose token is token.
func ManageURL(base, token string) string { return join(base, Manage+token) }

// OfferURL is the address that takes the offered time of token.
func OfferURL(base, token string) string { return join(base, Offer+token) }

// LeaveURL is the address that takes the waitlist entry of token off the
// list.
func LeaveURL(base, token string) string { return join(base, LeaveWaitlist+token) }

// ConfirmRepliesURL confirms the subscription to replies of token.
func ConfirmRepliesURL(base, token string) string { return join(base, ConfirmReplies+token) }

// UnsubscribeURL is the page that stops e-mail about replies.
func UnsubscribeURL(base, token string) string { return join(base, Unsubscribe+token) }

// OneClickURL is the List-Unsubscribe-Post address of token (RFC 8058).
func OneClickURL(base, token string) string { return join(base, Unsubscribe+token+OneClick) }

// CalendarURL is the therapist's calendar feed for secret.
func CalendarURL(base, secret string) string { return join(base, Calendar+secret+".ics") }

// CommentURL is comment id on the page of the article slug.
func CommentURL(base, slug string, id int64) string {
	return join(base, Blog+slug+"#comment-"+strconv.FormatInt(id, 10))
}

// ModerationURL is the therapist's list of comments awaiting approval.
func ModerationURL(base string) string { return join(base, Moderation) }
