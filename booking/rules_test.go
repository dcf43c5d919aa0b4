package booking_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"dynamicmotion/booking"
	"dynamicmotion/db"
)

// The pure rules: no database.

var normalPostcode = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$`)

// A postcode is either refused, or normalised to "AREA INWARD" with the
// district as its first half.
func FuzzPostcodeDistrict(f *testing.F) {
	for _, s := range []string{"pe27 5ab", "PE275AB", " cb24  6aa ", "SW1A 1AA", "", "PE27", "ZZ99 9ZZ9", "pe27\x005ab", "ＰＥ27 5AB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		district, normal := booking.PostcodeDistrict(s)
		if district == "" {
			if normal != "" {
				t.Fatalf("PostcodeDistrict(%q) = %q, %q: a normal form without a district", s, district, normal)
			}
			return
		}
		if !normalPostcode.MatchString(normal) || !strings.HasPrefix(normal, district+" ") {
			t.Fatalf("PostcodeDistrict(%q) = %q, %q", s, district, normal)
		}
		// Normalising is idempotent.
		if d2, n2 := booking.PostcodeDistrict(normal); d2 != district || n2 != normal {
			t.Fatalf("normalising %q again gives %q, %q", normal, d2, n2)
		}
	})
}

// A weekday gains time when a new range covers a minute no old range of
// that place covered; moving or shortening ranges inside the old ones does not.
func TestHoursGainedWeekdays(t *testing.T) {
	h := func(wd int, place string, from, to int) db.WorkingHours {
		return db.WorkingHours{Weekday: wd, Place: place, FromMin: from, UntilMin: to}
	}
	was := []db.WorkingHours{h(1, db.PlaceStudio, 540, 1080), h(2, db.PlaceMobile, 600, 960)}
	tests := []struct {
		name string
		now  []db.WorkingHours
		want []time.Weekday
	}{
		{"the same", was, nil},
		{"shorter and split", []db.WorkingHours{h(1, db.PlaceStudio, 540, 720), h(1, db.PlaceStudio, 780, 1080)}, nil},
		{"a minute earlier", []db.WorkingHours{h(1, db.PlaceStudio, 539, 1080)}, []time.Weekday{time.Monday}},
		{"a new day", append(slices.Clone(was), h(0, db.PlaceStudio, 600, 700)), []time.Weekday{time.Sunday}},
		{"the other place", []db.WorkingHours{h(1, db.PlaceMobile, 600, 700), h(2, db.PlaceStudio, 600, 960)},
			[]time.Weekday{time.Monday, time.Tuesday}},
	}
	for _, tc := range tests {
		got := booking.GainedWeekdays(was, tc.now)
		var days []time.Weekday
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if got[wd] {
				days = append(days, wd)
			}
		}
		if !slices.Equal(days, tc.want) {
			t.Errorf("%s: gained %v, want %v", tc.name, days, tc.want)
		}
	}
}
