package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// TestBookingNeedsOneConnectionAtATime: booking works with a pool of one
// database connection. Whatever runs inside the booking's transaction (the
// confirmation e-mail reads the practice's details) must read through that
// transaction: a read through the pool would wait for a second connection,
// and with as many bookings at once as the pool has connections every one of
// them waited until its request timed out (found by the load run: 32
// concurrent bookings against the pool of 10 all answered 503 after 20 s).
func TestBookingNeedsOneConnectionAtATime(t *testing.T) {
	runAt(t, epoch)
	seededDB(t)
	one, err := db.Open(context.Background(), dbtest.DSN(t), db.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { one.Close() })
	s := newTestServerDB(t, one, nil)
	svc := bookingServices(t)[0]
	cl := s.client(t)
	start := cl.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(6))

	done := make(chan response, 1)
	go func() { done <- cl.post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, start)) }()
	select {
	case res := <-done:
		wantStatus(t, res, http.StatusSeeOther)
	case <-time.After(10 * time.Second):
		t.Fatal("POST /book with a pool of one connection did not answer within 10 s: " +
			"something inside its transaction waits for a second connection")
	}
}
