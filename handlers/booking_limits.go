package handlers

import (
	"fmt"
	"time"

	"dynamicmotion/db"
)

// newBookingsPerHour is how many bookings one client address may make
// online in an hour (issue 15: each booking mails the address typed into
// it). A household booking for each of its members stays well inside it.
const newBookingsPerHour = 5

// giveBack returns one action counted for key at now (within its window)
// to it: a booking that was not made (the time was taken meanwhile, the
// address has enough upcoming bookings) does not use up the address's
// share.
func (r *rateLimit) giveBack(key string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.seen[key]; w != nil && now.Sub(w.start) < r.window && w.n > 0 {
		w.n--
	}
}

// reachPractice is how the details form tells a client to reach the
// practice instead: "phone the practice on 01480 …", or by e-mail when no
// phone number is set.
func reachPractice(b db.Business) string {
	switch {
	case b.Phone != "":
		return "please phone the practice on " + b.Phone
	case b.Email != "":
		return "please e-mail the practice at " + b.Email
	}
	return "please get in touch with the practice (see the contact page)"
}

// holdNews says what became of the visitor's hold when nothing was booked:
// never a lost hold without saying so.
func holdNews(heldUntil string) string {
	if heldUntil == "" {
		return "Nothing was booked."
	}
	return fmt.Sprintf("Nothing was booked; the time stays held for you until %s.", heldUntil)
}

// tooManyBookingsNotice is the details form's news for an address that has
// made newBookingsPerHour bookings in the last hour. The hold is not
// offered as a way on: it ends long before the wait does.
func tooManyBookingsNotice(b db.Business, wait time.Duration) string {
	return fmt.Sprintf("Several bookings have been made from your connection in the last hour. To book this time, %s; booking online from your connection opens again in %s. Nothing was booked, and everything you typed is kept.",
		reachPractice(b), roundWait(wait))
}

// tooManyUpcomingNotice is the details form's news for an e-mail address
// that already has booking.MaxUpcomingPerEmail appointments to come. The
// hold is kept: a booking for someone else can go on with their address.
func tooManyUpcomingNotice(b db.Business, email string, max int, heldUntil string) string {
	return fmt.Sprintf("%s already has %d appointments to come, which is as many as can be booked online. To book more, %s. If this appointment is for someone else, give their e-mail address instead. %s Everything you typed is kept.",
		email, max, reachPractice(b), holdNews(heldUntil))
}
