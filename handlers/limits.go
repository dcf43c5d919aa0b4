package handlers

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// rateLimit allows each key a number of actions per window (a fixed window
// per key, counted in this instance's memory). Instances limit separately,
// so the real limit with n instances is at most n times this; for a small
// site on one or two machines that is the honest trade for no shared state.
type rateLimit struct {
	max    int
	window time.Duration

	mu   sync.Mutex
	seen map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// maxTrackedKeys bounds the memory a flood of distinct keys can take.
const maxTrackedKeys = 100_000

func newRateLimit(max int, per time.Duration) *rateLimit {
	return &rateLimit{max: max, window: per, seen: map[string]*window{}}
}

// take counts one action for key and returns 0 if it is allowed, or how
// long until the key may act again.
func (r *rateLimit) take(key string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.seen[key]
	if w == nil || now.Sub(w.start) >= r.window {
		if len(r.seen) >= maxTrackedKeys {
			r.prune(now)
		}
		w = &window{start: now}
		r.seen[key] = w
	}
	if w.n >= r.max {
		return w.start.Add(r.window).Sub(now)
	}
	w.n++
	return 0
}

// blocked returns how long key must wait before acting again (0: it may),
// without counting anything: for limits that count only failures.
func (r *rateLimit) blocked(key string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.seen[key]; w != nil && now.Sub(w.start) < r.window && w.n >= r.max {
		return w.start.Add(r.window).Sub(now)
	}
	return 0
}

// prune forgets windows that have ended (or, if none have, all of them).
func (r *rateLimit) prune(now time.Time) {
	for k, w := range r.seen {
		if now.Sub(w.start) >= r.window {
			delete(r.seen, k)
		}
	}
	if len(r.seen) >= maxTrackedKeys {
		r.seen = map[string]*window{}
	}
}

// formLimits are the limits on a public form (comments, contact
// messages): per client address (shared by a household or an office, so
// generous) and per session.
type formLimits struct {
	perIP, perSession *rateLimit
}

func newFormLimits(perIP, perSession int, per time.Duration) *formLimits {
	return &formLimits{perIP: newRateLimit(perIP, per), perSession: newRateLimit(perSession, per)}
}

// limits are the rate limits on what visitors send: each counts per client
// address, and per session where one is known.
type limits struct {
	booking *rateLimit   // holds, bookings and waitlist joins
	comment *formLimits  // comments
	edit    *formLimits  // edits of one's own comments (edit_limits.go)
	contact *formLimits  // contact messages
	login   *loginLimits // failed logins
	like    *likeLimits  // likes (likes.go)
	helpful *rateLimit   // Helpful votes and undos on comments (comment_helpful.go)

	// preview counts comment previews per address: each renders up to
	// 5,000 characters of Markdown and stores nothing, so the limit only
	// stops a script using it as free rendering.
	preview *rateLimit

	// newBooking counts the bookings made online (POST /book) per address:
	// each mails someone, so far fewer than the taps of choosing times.
	newBooking *rateLimit
}

func newLimits() limits {
	return limits{
		booking: newRateLimit(30, 10*time.Minute),
		comment: newCommentLimits(), contact: newContactLimits(), login: newLoginLimits(),
		newBooking: newRateLimit(newBookingsPerHour, time.Hour),
		edit:       newEditLimits(),
		like:       newLikeLimits(),
		preview:    newRateLimit(60, 10*time.Minute),
		helpful:    newHelpfulLimits(),
	}
}

// liftForLoadRun lifts the comment and booking limits, for a load run that
// sends thousands from one address and one session (see BENCH_NO_LIMITS).
func (l *limits) liftForLoadRun() {
	l.booking = newRateLimit(math.MaxInt, time.Second)
	l.newBooking = newRateLimit(math.MaxInt, time.Second)
	l.comment = newFormLimits(math.MaxInt, math.MaxInt, time.Second)
}

// newCommentLimits are the limits on new comments.
func newCommentLimits() *formLimits { return newFormLimits(20, 6, 10*time.Minute) }

// newContactLimits are the limits on contact messages: a person writes one,
// perhaps a second with what they forgot; more is a script.
func newContactLimits() *formLimits { return newFormLimits(10, 3, time.Hour) }

// allow counts a form sent from ip and session at now and returns 0, or
// how long to wait when either has had its share.
func (l *formLimits) allow(ip, session string, now time.Time) time.Duration {
	if wait := l.perSession.take(session, now); wait > 0 {
		return wait
	}
	return l.perIP.take(ip, now)
}

// limitKey is the key a client address is limited by: the address itself,
// or for IPv6 its /64, which one household or phone usually has whole (so
// that walking through its addresses does not escape the limits).
func limitKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
