package handlers

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// outboxOf returns the kinds of the messages about booking id, oldest first, and the messages.
func outboxOf(t *testing.T, id int64) ([]string, []db.OutboxMessage) {
	t.Helper()
	var ms []db.OutboxMessage
	if err := seededDB(t).NewSelect().Model(&ms).Where("booking_id = ?", id).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, m.Kind)
	}
	return kinds, ms
}

// jobsOf returns the queued jobs of kind whose args name booking id (reminders) or one of its messages.
func jobsOf(t *testing.T, kind string, id int64) []struct {
	Args        string
	ScheduledAt time.Time
} {
	t.Helper()
	var rows []struct {
		Args        string    `bun:"args"`
		ScheduledAt time.Time `bun:"scheduled_at"`
	}
	q := `SELECT args::text AS args, scheduled_at FROM river_job WHERE kind = ? AND (
		(args->>'booking_id')::bigint = ? OR (args->>'outbox_id')::bigint IN (SELECT id FROM outbox WHERE booking_id = ?))
		ORDER BY id`
	if err := seededDB(t).NewRaw(q, kind, id, id).Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := make([]struct {
		Args        string
		ScheduledAt time.Time
	}, len(rows))
	for i, r := range rows {
		out[i].Args, out[i].ScheduledAt = r.Args, r.ScheduledAt
	}
	return out
}

// Booking, moving and cancelling each enqueue their e-mail in the same transaction: the client's message with
// the manage link, the practice's notice, and the reminder a day before the (current) time. Sending a form twice
// sends nothing twice.
func TestBookingMail(t *testing.T) {
	runAt(t, epoch)
	s := newTestServer(t, nil)
	svc := bookingServices(t)[1]
	cl := s.client(t)
	week := weekAfter(5)
	start := cl.firstFree(t, svc.ID, db.PlaceStudio, week)
	f := detailsForm(svc.ID, db.PlaceStudio, start)
	cl.hold(t, svc.ID, db.PlaceStudio, start)
	token := bookedToken(t, cl.post(t, "/book", f))
	cl.post(t, "/book", f) // a second click
	b := bookingOf(t, token)

	kinds, ms := outboxOf(t, b.ID)
	if want := []string{"booking_confirmed", "practice_new_booking"}; !slices.Equal(kinds, want) {
		t.Fatalf("outbox after booking: %v, want %v", kinds, want)
	}
	conf := ms[0]
	if conf.Recipient != "ann@example.com" || conf.Status != db.OutboxQueued {
		t.Errorf("confirmation to %q, %s", conf.Recipient, conf.Status)
	}
	link := httpBase + bookingsPath + token
	if !strings.Contains(conf.Message.Text, link) || !strings.Contains(conf.Message.HTML, link) {
		t.Errorf("the confirmation lacks the manage link %s", link)
	}
	if len(conf.Message.Attachments) != 1 || !strings.Contains(conf.Message.Attachments[0].ContentType, "method=REQUEST") {
		t.Errorf("confirmation attachments: %+v", conf.Message.Attachments)
	}
	if n := len(jobsOf(t, "send_mail", b.ID)); n != 2 {
		t.Errorf("%d send_mail jobs, want 2", n)
	}
	rem := jobsOf(t, "booking_reminder", b.ID)
	if len(rem) != 1 || !onClock(rem[0].ScheduledAt).Equal(b.StartsAt.Add(-24*time.Hour)) || !strings.Contains(rem[0].Args, `"sequence": 0`) {
		t.Errorf("reminders %+v, want one for sequence 0 at %v", rem, b.StartsAt.Add(-24*time.Hour))
	}

	// Moved: the client and the practice are told, and a reminder for the new time is scheduled.
	t2 := cl.freeAfter(t, svc.ID, db.PlaceStudio, week, start, 3*time.Hour)
	res := cl.post(t, bookingsPath+token+"/move", url.Values{"start": {t2}})
	wantStatus(t, res, 303)
	kinds, ms = outboxOf(t, b.ID)
	if want := []string{"booking_confirmed", "practice_new_booking", "booking_moved", "practice_booking_moved"}; !slices.Equal(kinds, want) {
		t.Fatalf("outbox after moving: %v, want %v", kinds, want)
	}
	if a := ms[2].Message.Attachments; len(a) != 1 || !strings.Contains(string(a[0].Data), "SEQUENCE:1") {
		t.Errorf("the move's invitation is not SEQUENCE:1")
	}
	moved := bookingOf(t, token)
	rem = jobsOf(t, "booking_reminder", b.ID)
	if len(rem) != 2 || !onClock(rem[1].ScheduledAt).Equal(moved.StartsAt.Add(-24*time.Hour)) || !strings.Contains(rem[1].Args, `"sequence": 1`) {
		t.Errorf("reminders after the move %+v", rem)
	}

	// Cancelled, twice: told once.
	wantStatus(t, cl.post(t, bookingsPath+token+"/cancel", nil), 303)
	wantStatus(t, cl.post(t, bookingsPath+token+"/cancel", nil), 303)
	kinds, ms = outboxOf(t, b.ID)
	if want := []string{"booking_confirmed", "practice_new_booking", "booking_moved", "practice_booking_moved",
		"booking_cancelled", "practice_booking_cancelled"}; !slices.Equal(kinds, want) {
		t.Fatalf("outbox after cancelling: %v, want %v", kinds, want)
	}
	if a := ms[4].Message.Attachments; len(a) != 1 || !strings.Contains(a[0].ContentType, "method=CANCEL") {
		t.Errorf("the cancellation does not carry METHOD:CANCEL")
	}
	noServerErrors(t, s)
}
