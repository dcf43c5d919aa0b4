package live

import (
	"testing"
	"time"
)

// got returns what s has received so far, without waiting.
func got(s *Subscription) []Event {
	var out []Event
	for {
		select {
		case ev, ok := <-s.C():
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

// A burst of events about one key reaches subscribers as the first at once
// and then the latest once a second is up; an urgent event and events of
// other keys are never held back; Resume never passes an event held back.
// The instants are the test's own (the coalescer is given "now").
func TestCoalescePerKey(t *testing.T) {
	h := New(Config{Coalesce: time.Second})
	s := h.Subscribe(7)
	defer s.Close()
	other := h.Subscribe(8)
	defer other.Close()
	t0 := time.Date(2026, 12, 6, 19, 10, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(id, key int64, urgent bool) Event {
		return Event{ID: id, Topic: 7, Key: key, Urgent: urgent, Name: "update"}
	}
	check := func(when string, want ...[2]int64) { // {ID, Resume}
		t.Helper()
		evs := got(s)
		if len(evs) != len(want) {
			t.Fatalf("%s: got %d events %+v, want %v", when, len(evs), evs, want)
		}
		for i, e := range evs {
			if e.ID != want[i][0] || e.Resume != want[i][1] {
				t.Errorf("%s: event %d is id %d resume %d, want id %d resume %d", when, i, e.ID, e.Resume, want[i][0], want[i][1])
			}
		}
	}

	h.offer(ev(1, 100, true), at(0)) // a new comment: at once
	check("a new comment", [2]int64{1, 1})
	if h.co.wake() != nil {
		t.Error("the timer is set with nothing held")
	}
	h.offer(ev(2, 100, false), at(0)) // its first edit, at once too
	check("the first edit", [2]int64{2, 2})
	for i, id := range []int64{3, 4} { // two more quick edits: held, each replacing the last
		h.offer(ev(id, 100, false), at(100*(i+1)))
	}
	check("edits within the second")
	if h.co.wake() == nil {
		t.Fatal("edits are held but no timer is set")
	}
	h.offer(ev(5, 200, false), at(400)) // another comment's edit: its key was not sent lately
	check("another comment's edit", [2]int64{5, 2})
	h.offer(ev(6, 300, true), at(500)) // a new comment is never held
	check("a new comment while edits are held", [2]int64{6, 2})
	h.offer(Event{ID: 9, Topic: 8, Key: 900}, at(550)) // another topic: its own resume
	if evs := got(other); len(evs) != 1 || evs[0].Resume != 9 {
		t.Errorf("another topic's event: %+v, want it with resume 9", evs)
	}

	h.flush(at(999))
	check("just before the second is up")
	h.flush(at(1000))
	check("the second is up: the latest edit", [2]int64{4, 6})
	if h.co.wake() != nil {
		t.Error("the timer is still set with nothing held")
	}

	h.offer(ev(7, 100, false), at(1500)) // sent at 1000: held until 2000
	h.offer(ev(8, 100, true), at(1600))  // replaced by an urgent event (shown again, say), sent at once
	check("an urgent event replaces what was held", [2]int64{8, 8})
	h.offer(ev(11, 100, false), at(1700)) // still within the second of the edit sent at 1000
	check("an edit after the urgent event, within the second")
	h.flush(at(1999))
	check("before its second is up")
	h.flush(at(2000))
	check("its second is up", [2]int64{11, 11})

	h.offer(ev(10, 200, false), at(2700))                  // its key was sent at 400, long ago
	check("an edit after a quiet spell", [2]int64{10, 11}) // everything up to 11 is out
}

// With a negative interval nothing is held back.
func TestCoalesceOff(t *testing.T) {
	h := New(Config{Coalesce: -1})
	s := h.Subscribe(7)
	defer s.Close()
	now := time.Date(2026, 12, 6, 19, 10, 0, 0, time.UTC)
	for id := int64(1); id <= 3; id++ {
		h.offer(Event{ID: id, Topic: 7, Key: 1}, now)
	}
	if evs := got(s); len(evs) != 3 {
		t.Errorf("got %d events, want all 3", len(evs))
	}
}
