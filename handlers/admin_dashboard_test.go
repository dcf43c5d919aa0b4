package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The dashboard's seven days list the times clients are holding right now
// among the appointments, in time order, marked as holds (as the diary's
// list marks them) and unlike an appointment: no client, no link. A time
// offered to someone on the waiting list says so, not "being booked now".
// A hold after the seven days, or one that has lapsed, is not there.
func TestDashboardListsHolds(t *testing.T) {
	runAt(t, epoch)
	clk.Set(london(2026, 12, 15, 8, 0)) // a Tuesday morning
	s := adminServer(t)
	svc := bookingServices(t)[0]
	admin := s.client(t)
	admin.logIn(t)

	// An appointment on Wednesday at 11:00, and a client holding 14:00
	// that day; another holding a time ten days on.
	visit := url.Values{"service": {itoa(svc.ID)}, "location": {db.PlaceStudio}, "date": {"2026-12-16"}, "time": {"11:00"},
		"name": {"Ann Smith"}, "phone": {"07700 900123"}}
	wantStatus(t, admin.post(t, adminPath+"/bookings", visit), http.StatusSeeOther)
	b := takingTime(t, london(2026, 12, 16, 11, 0).Format(time.RFC3339))[0]
	holder := s.client(t)
	holder.hold(t, svc.ID, db.PlaceStudio, london(2026, 12, 16, 14, 0).Format(time.RFC3339))
	held := holder.holds(t)[0]
	later := s.client(t)
	later.hold(t, svc.ID, db.PlaceStudio, london(2026, 12, 28, 10, 0).Format(time.RFC3339))
	// Thursday 10:00 offered by e-mail to someone waiting, for half an hour.
	offerEnds := clk.Now().Add(30 * time.Minute)
	wally := waiting(t, svc, london(2026, 12, 17, 0, 0), "wally."+unique()+"@example.com")
	offerTo(t, s, wally, svc, london(2026, 12, 17, 10, 0).Format(time.RFC3339), "offer-"+unique(), offerEnds)
	offeredUntil := offerEnds.In(views.London).Format("15:04")

	res := admin.get(t, adminPath)
	wantStatus(t, res, http.StatusOK)
	until := held.HoldExpiresAt.In(views.London).Format("15:04")
	end := held.EndsAt.In(views.London).Format("15:04")
	checkHTML(t, res.body,
		in("#week-title .count", hasText("(1 appointment, 2 times held now)")),
		count("ul.diary-list li.diary-item.is-held", 2),
		in("ul.diary-list li.diary-item.is-held", hasText("14:00–"+end), hasText(svc.Name+", studio, held until "+until+" (being booked now)")),
		in("ul.diary-list li.diary-item.is-held time", hasAttr("datetime", held.StartsAt.Format(time.RFC3339))),
		notIn("ul.diary-list li.diary-item.is-held a"),
		in("ul.diary-list li.diary-item a[href=/admin/bookings/"+itoa(b.ID)+"]", hasText("Ann Smith")))
	offer := svc.Name + ", studio, offered to someone on the waiting list until " + offeredUntil + "<"
	if !strings.Contains(res.body, offer) || strings.Count(res.body, "(being booked now)") != 1 {
		t.Errorf("the dashboard does not list the waiting list's offer as one (%q), or calls it being booked now", offer)
	}
	// Under Wednesday, after the 11:00 appointment.
	wed := res.body[strings.Index(res.body, "/admin/diary?day=2026-12-16"):]
	wed = wed[:strings.Index(wed, "</ul>")]
	if i, j := strings.Index(wed, "Ann Smith"), strings.Index(wed, "is-held"); i < 0 || j < i {
		t.Errorf("Wednesday's list does not have the appointment and then the hold:\n%s", wed)
	}
	// Booking the offered time by phone is refused, naming it as the offer.
	taken := url.Values{"service": {itoa(svc.ID)}, "location": {db.PlaceStudio}, "date": {"2026-12-17"}, "time": {"10:00"},
		"name": {"Cat Jones"}, "phone": {"07700 900124"}}
	refused := admin.post(t, adminPath+"/bookings", taken)
	wantStatus(t, refused, http.StatusConflict)
	checkHTML(t, refused.body, in("p.form-notice[role=alert]", hasText("which is offered to someone on the waiting list until "+offeredUntil)))

	// Once the client's hold has lapsed it is gone (the offer stays until
	// its own end); once the offer's has, the days read as before.
	clk.Set(held.HoldExpiresAt.Add(time.Minute))
	res = admin.get(t, adminPath)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, count("li.diary-item.is-held", 1), in("#week-title .count", hasExactText("(1 appointment, 1 time held now)")))
	clk.Set(offerEnds.Add(time.Minute))
	res = admin.get(t, adminPath)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		notIn("li.diary-item.is-held"),
		in("#week-title .count", hasExactText("(1 appointment)")))
	noServerErrors(t, s)
}
