package emails

import (
	"dynamicmotion/db"
	"dynamicmotion/ical"
)

// TherapistFeedEvent is the booking as the therapist's calendar feed shows it: the practice's copy of the event
// (the same UID, times and place as the invitations, the client's name in the summary and their contact details
// in the description, never the health answers or the client's note), without an alarm: a subscribed calendar
// reminds as its owner has set it up, not once per booking.
func TherapistFeedEvent(p Practice, b db.Booking) ical.Event {
	e := p.therapistEvent(clean(b))
	e.Alarm = 0
	return e
}
