// Package clock is the program's one source of "now".
//
// Everything that decides by the time of day — which slots are free, whether
// a hold has run out, whether a booking may still be cancelled, when a
// reminder goes out — asks a Clock handed to it at construction, never
// time.Now. Production uses System; tests start a clock at the instant they
// mean (a Sunday evening, a clock-change day) so that no test passes or fails
// by the day it runs.
package clock

import (
	"sync"
	"time"
	_ "time/tzdata" // the zone exists on any base image
)

// Clock returns the current instant.
type Clock func() time.Time

// System is the wall clock.
func System() time.Time { return time.Now() }

// Or returns c, or System when c is nil, so that a zero value in a
// constructor's options means the wall clock.
func Or(c Clock) Clock {
	if c == nil {
		return System
	}
	return c
}

// Offset is a clock that runs at the wall clock's pace from an instant it
// was set to. Timeouts, holds and expiries still pass as they would, while
// the date and the hour are the ones a test (or a loopback test binary, see
// config.TestClock) chose. It is safe for concurrent use; its zero value is
// the wall clock.
type Offset struct {
	mu sync.Mutex
	d  time.Duration
}

// StartingAt returns an Offset clock that reads t now.
func StartingAt(t time.Time) *Offset {
	o := &Offset{}
	o.Set(t)
	return o
}

// Now returns the clock's current instant. Its monotonic reading is
// stripped, so that it compares and prints like a time from the database.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	d := o.d
	o.mu.Unlock()
	return time.Now().Add(d).Round(0)
}

// Set makes the clock read t now.
func (o *Offset) Set(t time.Time) {
	o.mu.Lock()
	o.d = time.Until(t)
	o.mu.Unlock()
}

// Advance moves the clock forward by d (backward if d < 0).
func (o *Offset) Advance(d time.Duration) {
	o.mu.Lock()
	o.d += d
	o.mu.Unlock()
}

// Reset makes the clock the wall clock again.
func (o *Offset) Reset() {
	o.mu.Lock()
	o.d = 0
	o.mu.Unlock()
}

// Zone is the practice's time zone, Europe/London: days, opening hours and
// every time shown or mailed are in it; the database stores UTC.
var Zone = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("clock: " + err.Error())
	}
	return loc
}
