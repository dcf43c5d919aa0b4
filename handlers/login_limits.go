package handlers

import (
	"sync"
	"time"
)

// Failed logins slow down the source that makes them, never the account.
//
// A source is a client address (limitKey: IPv6 by its /64), or a device
// the therapist has logged in on (its device cookie, admin_device.go),
// which is then counted on its own and not with the others behind its
// address. Every source has loginFreeFailures tries; after that it waits
// loginFirstWait before the next, and the wait doubles with each further
// failure, up to loginMaxWait. A success clears its count; a day without a
// failure forgets it.
//
// What is typed in the email field plays no part: a known address and an
// unknown one meet the same limits, the same answers and the same work (an
// argon2id comparison against password.Absent for an address without an
// account), so the login tells nobody which addresses have one.
//
// There is no lockout of the account: a guesser spreading tries over many
// addresses cannot stop the right password from a new device. What bounds
// such a guesser is each address's backoff (about 100 tries a day from an
// address that keeps going) against an argon2id hash of a password of 12
// characters or more. The failures on the therapist's account are counted
// too, but only to tell her: at loginAlertAfter of them within
// loginAlertWindow, she gets an e-mail, at most once a day
// (db.ClaimLoginAlert decides across instances).
//
// Counts live in each instance's memory, like the other limits: with n
// instances a source gets up to n times the tries before it waits.
const (
	loginFreeFailures = 3
	loginFirstWait    = time.Second
	loginMaxWait      = 15 * time.Minute
	loginForgetAfter  = 24 * time.Hour // a source's failures are forgotten this long after its last
	loginAlertAfter   = 10
	loginAlertWindow  = 24 * time.Hour
	loginAlertEvery   = 24 * time.Hour // at most one notice this often
)

// loginLimits count failed logins per source, and on the therapist's
// account for the notice.
type loginLimits struct {
	mu      sync.Mutex
	sources map[string]*loginSource
	// Failures on the therapist's account since accountSince.
	accountFailures int
	accountSince    time.Time
}

// loginSource is one source's failures and when it last failed.
type loginSource struct {
	failures int
	last     time.Time
}

func newLoginLimits() *loginLimits {
	return &loginLimits{sources: map[string]*loginSource{}}
}

// loginBackoff is how long a source waits, after its last failure, once it
// has failed n times.
func loginBackoff(n int) time.Duration {
	if n < loginFreeFailures {
		return 0
	}
	wait := loginFirstWait
	for range n - loginFreeFailures {
		if wait *= 2; wait >= loginMaxWait {
			return loginMaxWait
		}
	}
	return min(wait, loginMaxWait)
}

// attempt returns how long source must still wait at now (0: it may try),
// and if it may, counts the try as a failure at once, before the password
// is checked, so that a burst of guesses sent together meets the backoff
// too. A success takes it back (succeeded).
func (l *loginLimits) attempt(source string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sources[source]
	if s != nil && now.Sub(s.last) >= loginForgetAfter {
		s = nil
	}
	if s != nil {
		if until := s.last.Add(loginBackoff(s.failures)); now.Before(until) {
			return until.Sub(now)
		}
	}
	if s == nil {
		if len(l.sources) >= maxTrackedKeys {
			l.prune(now)
		}
		s = &loginSource{}
		l.sources[source] = s
	}
	s.failures++
	s.last = now
	return 0
}

// unchecked takes back the failure attempt counted for source when its
// password was not checked after all (too many checks were waiting).
func (l *loginLimits) unchecked(source string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sources[source]; s != nil && s.failures > 0 {
		s.failures--
	}
}

// succeeded clears source's failures: the right password was given.
func (l *loginLimits) succeeded(source string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sources, source)
}

// failures is source's count of failures, for tests.
func (l *loginLimits) failures(source string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sources[source]; s != nil {
		return s.failures
	}
	return 0
}

// prune forgets sources whose last failure is old enough, then those not
// being slowed down; if that is not enough either (a flood of addresses),
// all of them.
func (l *loginLimits) prune(now time.Time) {
	for k, s := range l.sources {
		if now.Sub(s.last) >= loginForgetAfter {
			delete(l.sources, k)
		}
	}
	if len(l.sources) >= maxTrackedKeys {
		for k, s := range l.sources {
			if s.failures < loginFreeFailures {
				delete(l.sources, k)
			}
		}
	}
	if len(l.sources) >= maxTrackedKeys {
		l.sources = map[string]*loginSource{}
	}
}

// accountFailed counts one failed login to the therapist's account at now.
// It returns how many there have been since when, and whether to tell her:
// at every loginAlertAfter-th failure of a window (db.ClaimLoginAlert then
// lets at most one notice a day through; asking again later is what makes
// a notice that could not be queued go out after all).
func (l *loginLimits) accountFailed(now time.Time) (n int, since time.Time, alert bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.accountFailures == 0 || now.Sub(l.accountSince) >= loginAlertWindow {
		l.accountFailures, l.accountSince = 0, now
	}
	l.accountFailures++
	return l.accountFailures, l.accountSince, l.accountFailures%loginAlertAfter == 0
}
