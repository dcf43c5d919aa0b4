package booking

import (
	"context"
	"slices"
	"sync"
	"time"

	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/schedule"
)

// The free times the picker offers, kept per instance and shared correctly
// across instances.
//
// How an instance knows its copy is current: the diary's version
// (db.DiaryState, migration 0026). Triggers on bookings, time_off,
// working_hours, schedule_settings and services move it on in the same
// transaction as any change (a hold made or released, a booking, a cancel,
// a move, time off, hours, the rules, a service; expired holds deleted; a
// waitlist offer's hold), so no writer can forget to. Each call reads it
// once (one single-row read, with the visitor's hold in the same round
// trip); an entry computed after reading version v is used only while the
// version is still v. A change committed on any instance is therefore seen
// by every instance on its next request: what was read after a commit
// already sees it. LISTEN/NOTIFY was the other way: it saves that one read,
// but a notification arrives some time after the commit (a second instance
// could offer a time just booked, in a window no test can close without
// waiting) and those sent while the listener reconnects are lost.
//
// What the database does not record: a hold that lapses. An entry counts
// the holds live when it was computed; it is used only before the earliest
// of their ends (db.EarliestHoldExpiry), and never at an earlier instant
// than it was computed at. Times inside the notice and beyond the horizon
// are cut at each read, by that read's now.
//
// An entry is one service length at one place over the whole horizon, from
// the start of the day it was computed: any change invalidates every entry
// (the version is one number), so smaller entries would only cost more
// reads. It is used until the horizon's end passes it (the next day).
//
// The database stays the final guard: a time shown here and taken since is
// refused by the exclusion constraint when held or booked.

// freeKey is what an entry's free times depend on besides the diary.
type freeKey struct {
	service int64
	dur     time.Duration
	place   string
}

// freeEntry is one computation of free times.
type freeEntry struct {
	version  int64
	settings schedule.Settings // as computed with (Notice and Horizon set aside)
	hours    []schedule.Hours
	at       time.Time // the now it was computed at
	until    time.Time // the earliest end of a hold it counted; zero: none
	from, to time.Time // the starts it holds: [from, to)
	slots    []time.Time
}

// freeFlight is a computation in progress, which others wait for rather
// than computing the same again.
type freeFlight struct {
	done  chan struct{}
	entry *freeEntry // nil when it failed
}

// freeCache is a Desk's entries, all of one version.
type freeCache struct {
	mu       sync.Mutex
	version  int64
	entries  map[freeKey]*freeEntry
	inflight map[freeKey]*freeFlight
}

// FreeTimes returns the free start times of svc at place in [from, to) at
// now, ascending, as UTC instants: schedule.Slots over the rules r and the
// busy times and time off in the database now (db.SlotRequest). The holds
// of owner do not count as busy (the visitor sees the time they hold as
// theirs to choose), nor do the spans in except (a booking being moved).
//
// It answers exactly what that computation would, but from this instance's
// copy when it is still current (see above): for a visitor who holds no
// time and nothing excepted, one single-row read of the database.
func (d *Desk) FreeTimes(ctx context.Context, r Rules, svc db.Service, place string, from, to time.Time, owner []byte, now time.Time, except ...*db.Span) ([]time.Time, error) {
	dur := time.Duration(svc.DurationMin) * time.Minute
	lo, hi := from, now.Add(r.Settings.Horizon) // starts in [lo, to), at most hi
	if n := now.Add(r.Settings.Notice); n.After(lo) {
		lo = n
	}
	if dur <= 0 || !lo.Before(to) || lo.After(hi) {
		return nil, nil
	}
	if slices.ContainsFunc(except, func(s *db.Span) bool { return s != nil }) {
		return d.computeFree(ctx, r, dur, place, from, to, owner, now, except...)
	}
	version, holds, err := d.diaryState(ctx, owner, now)
	if err != nil {
		return nil, err
	}
	if holds { // their own hold is free for them, busy for everyone else
		return d.computeFree(ctx, r, dur, place, from, to, owner, now)
	}
	key := freeKey{svc.ID, dur, place}
	e, err := d.freeEntry(ctx, key, version, r, now, hi)
	if err != nil {
		return nil, err
	}
	return e.between(lo, to, hi), nil
}

// computeFree is the computation without the cache.
func (d *Desk) computeFree(ctx context.Context, r Rules, dur time.Duration, place string, from, to time.Time, owner []byte, now time.Time, except ...*db.Span) ([]time.Time, error) {
	req, err := db.SlotRequest(ctx, d.db, r, dur, place, from, to, owner, now, except...)
	if err != nil {
		return nil, err
	}
	return schedule.Slots(req), nil
}

// freeEntry returns a current entry for key that covers every start up to
// hi, computing it (once, whoever else asks meanwhile) when there is none.
func (d *Desk) freeEntry(ctx context.Context, key freeKey, version int64, r Rules, now, hi time.Time) (*freeEntry, error) {
	c := &d.free
	c.mu.Lock()
	switch {
	case version < c.version:
		// An older read than the last one: its entry is not kept.
		c.mu.Unlock()
		return d.computeEntry(ctx, key, version, r, now)
	case version > c.version: // the diary changed: drop everything
		c.version, c.entries, c.inflight = version, map[freeKey]*freeEntry{}, map[freeKey]*freeFlight{}
	}
	if e := c.entries[key]; e != nil && e.serves(r, now, hi) {
		c.mu.Unlock()
		return e, nil
	}
	if f := c.inflight[key]; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.entry != nil && f.entry.serves(r, now, hi) {
			return f.entry, nil
		}
		// It failed, or was computed under other rules or at a later
		// instant: compute this one's own.
		return d.computeEntry(ctx, key, version, r, now)
	}
	f := &freeFlight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	e, err := d.computeEntry(ctx, key, version, r, now)
	c.mu.Lock()
	if err == nil && c.version == version {
		c.entries[key] = e
	}
	if c.inflight[key] == f {
		delete(c.inflight, key)
	}
	f.entry = e
	close(f.done)
	c.mu.Unlock()
	// Computed at now under r, reaching past now + horizon: it serves.
	return e, err
}

// computeEntry computes the free times of key from the start of now's day
// to the end of the day of the horizon, with every start from now on (the
// notice and the horizon are applied at each read).
func (d *Desk) computeEntry(ctx context.Context, key freeKey, version int64, r Rules, now time.Time) (*freeEntry, error) {
	from := startOfDay(now)
	to := startOfDay(now.Add(r.Settings.Horizon)).AddDate(0, 0, 1)
	all := r
	all.Settings.Notice, all.Settings.Horizon = 0, to.Sub(now)
	req, err := db.SlotRequest(ctx, d.db, all, key.dur, key.place, from, to, nil, now)
	if err != nil {
		return nil, err
	}
	until, _, err := db.EarliestHoldExpiry(ctx, d.db, now)
	if err != nil {
		return nil, err
	}
	return &freeEntry{
		version: version, settings: shape(r.Settings), hours: r.Hours,
		at: now, until: until, from: from, to: to, slots: schedule.Slots(req),
	}, nil
}

// shape is s without what each read applies itself (the notice and
// the horizon), and with the zone's default made explicit.
func shape(s schedule.Settings) schedule.Settings {
	s.Notice, s.Horizon = 0, 0
	if s.Location == nil {
		s.Location = clock.Zone
	}
	return s
}

// serves reports whether e answers a read at now under rules r for starts
// up to hi: computed under the same rules, at or before now, before any
// hold it counted lapsed, and reaching past hi.
func (e *freeEntry) serves(r Rules, now, hi time.Time) bool {
	return e.settings == shape(r.Settings) && slices.Equal(e.hours, r.Hours) &&
		!now.Before(e.at) && (e.until.IsZero() || now.Before(e.until)) && hi.Before(e.to)
}

// between returns a copy of e's starts in [lo, to) that are at most hi.
func (e *freeEntry) between(lo, to, hi time.Time) []time.Time {
	i, _ := slices.BinarySearchFunc(e.slots, lo, time.Time.Compare)
	j := i
	for j < len(e.slots) && e.slots[j].Before(to) && !e.slots[j].After(hi) {
		j++
	}
	if i == j {
		return nil
	}
	return slices.Clone(e.slots[i:j])
}
