package booking

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/schedule"
)

// Rules are the scheduling rules and weekly hours, as db.LoadRules reads
// them (the handlers keep a cached copy).
type Rules = db.Rules

// NewBooking is a booking of svc at place from start, with the time it
// blocks in the diary: the buffer after it and, for a mobile visit, the
// travel time around it (schedule.Blocked).
func NewBooking(svc db.Service, place string, start time.Time, r Rules) *db.Booking {
	dur := time.Duration(svc.DurationMin) * time.Minute
	blocked := schedule.Blocked(start, dur, schedule.Place(place), r.Settings)
	return &db.Booking{
		ServiceID: svc.ID, Place: place, StartsAt: start, EndsAt: start.Add(dur),
		BlockedFrom: blocked.Start, BlockedTo: blocked.End,
		ServiceName: svc.Name, DurationMin: svc.DurationMin, PricePence: svc.PricePence,
	}
}

// Snapshot copies the cancellation policy in force into b: a booking keeps
// the terms it was made under, whatever the therapist changes later.
func Snapshot(b *db.Booking, s db.Schedule) {
	cutoff := s.CancelCutoffHours
	b.PolicyCutoffHours, b.PolicyText, b.LateMoveAllowed = &cutoff, s.CancellationPolicy, s.LateMoveAllowed
}

// defaultCutoff is the cut-off of bookings made before the policy was kept
// with each booking.
const defaultCutoff = 24 * time.Hour

// Cutoff is the instant after which b can no longer be cancelled online:
// its own policy's hours before it starts.
func Cutoff(b db.Booking) time.Time {
	d := defaultCutoff
	if b.PolicyCutoffHours != nil {
		d = time.Duration(*b.PolicyCutoffHours) * time.Hour
	}
	return b.StartsAt.Add(-d)
}

// CutoffFor is the cut-off of a booking at start made now under s.
func CutoffFor(start time.Time, s db.Schedule) time.Time {
	return start.Add(-time.Duration(s.CancelCutoffHours) * time.Hour)
}

// Upcoming reports whether b is confirmed and has not begun at now.
func Upcoming(b db.Booking, now time.Time) bool {
	return b.Status == db.BookingConfirmed && now.Before(b.StartsAt)
}

// CanCancel reports whether the client may cancel b online at now: it is
// upcoming, the cut-off has not passed, and it was not moved inside it.
func CanCancel(b db.Booking, now time.Time) bool {
	return Upcoming(b, now) && now.Before(Cutoff(b)) && !b.LateMoved
}

// CanMove reports whether the client may move b online at now: whenever
// they may cancel it, and inside the cut-off too if its policy allows.
func CanMove(b db.Booking, now time.Time) bool {
	return Upcoming(b, now) && (CanCancel(b, now) || b.LateMoveAllowed)
}

// Bookable reports whether start lies between the notice and the horizon
// at now: outside that, no time can be booked online.
func Bookable(start, now time.Time, r Rules) bool {
	return !start.Before(now.Add(r.Settings.Notice)) && !start.After(now.Add(r.Settings.Horizon))
}

var postcodePattern = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$`)

// PostcodeDistrict returns the outward code ("PE27") of a UK postcode and
// the postcode written the usual way ("PE27 5AB"), or "", "" if s is not
// one.
func PostcodeDistrict(s string) (district, normal string) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	m := postcodePattern.FindStringSubmatch(s)
	if m == nil {
		return "", ""
	}
	return m[1], m[1] + " " + m[2]
}

// AreaError says why a postcode is not one mobile visits reach.
type AreaError struct {
	District  string   // the postcode's district, "" if it is no postcode
	Districts []string // the districts mobile visits cover
}

func (e *AreaError) Error() string {
	if e.District == "" {
		return "Please enter the full postcode, such as PE27 5AB."
	}
	return fmt.Sprintf("Sorry, mobile visits cover %s; %s is outside that area. You are welcome at the studio instead.",
		strings.Join(e.Districts, ", "), e.District)
}

// CheckPostcode checks that a mobile visit can be made to postcode under s,
// and returns it written the usual way; otherwise an *AreaError, whose
// message is for the client.
func CheckPostcode(s db.Schedule, postcode string) (string, error) {
	district, normal := PostcodeDistrict(postcode)
	if district == "" {
		return "", &AreaError{Districts: s.MobileDistricts}
	}
	for _, d := range s.MobileDistricts {
		if strings.EqualFold(d, district) {
			return normal, nil
		}
	}
	return "", &AreaError{District: district, Districts: s.MobileDistricts}
}
