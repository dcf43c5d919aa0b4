package schedule

import (
	"testing"
	"time"
)

// busyDiary is eight weeks of a full diary: Monday to Saturday, 09:00-18:00 at the studio and on mobile visits,
// three or four bookings a day (about 150), a day and an afternoon off, the October clock change inside.
func busyDiary() Request {
	s := Settings{
		Location: london,
		Step:     15 * time.Minute,
		Buffer:   15 * time.Minute,
		Travel:   30 * time.Minute,
		Notice:   12 * time.Hour,
		Horizon:  8 * 7 * 24 * time.Hour,
	}
	var hs []Hours
	for wd := time.Monday; wd <= time.Saturday; wd++ {
		hs = append(hs, Hours{wd, Studio, 9 * 60, 18 * 60}, Hours{wd, Mobile, 9 * 60, 18 * 60})
	}
	now := time.Date(2026, 10, 4, 12, 0, 0, 0, london) // a Sunday
	var busy []Range
	for day := 1; day <= 56; day++ {
		d := now.AddDate(0, 0, day)
		if d.Weekday() == time.Sunday {
			continue
		}
		at := func(h, m int) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, london) }
		busy = append(busy,
			Blocked(at(9, 30), time.Hour, Studio, s),
			Blocked(at(11, 15), 90*time.Minute, Mobile, s),
			Blocked(at(15, 0), 30*time.Minute, Studio, s),
		)
		if day%2 == 0 {
			busy = append(busy, Blocked(at(16, 45), time.Hour, Mobile, s))
		}
	}
	// Unsorted, as a database might hand them over in any order.
	for i, j := 0, len(busy)-1; i < j; i, j = i+2, j-2 {
		busy[i], busy[j] = busy[j], busy[i]
	}
	return Request{
		Settings: s,
		Hours:    hs,
		TimeOff: []Range{
			{time.Date(2026, 10, 16, 0, 0, 0, 0, london), time.Date(2026, 10, 17, 0, 0, 0, 0, london)},
			{time.Date(2026, 11, 6, 13, 0, 0, 0, london), time.Date(2026, 11, 6, 18, 0, 0, 0, london)},
		},
		Busy:     busy,
		Duration: time.Hour,
		Place:    Studio,
		Now:      now,
		From:     now,
		To:       now.Add(8 * 7 * 24 * time.Hour),
	}
}

func BenchmarkSlots8WeeksBusy(b *testing.B) {
	r := busyDiary()
	if len(r.Busy) < 140 {
		b.Fatalf("only %d busy ranges", len(r.Busy))
	}
	n := len(Slots(r))
	if n < 100 {
		b.Fatalf("only %d slots", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		Slots(r)
	}
	b.ReportMetric(float64(n), "slots")
	b.ReportMetric(float64(len(r.Busy)), "busy")
}

// The same diary through Fits, one submitted time at a time.
func BenchmarkFits(b *testing.B) {
	r := busyDiary()
	slots := Slots(r)
	start := slots[len(slots)/2]
	b.ReportAllocs()
	for b.Loop() {
		if !Fits(r, start) {
			b.Fatal("does not fit")
		}
	}
}
