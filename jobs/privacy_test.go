package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The retention job, run by the queue, erases the health answers and notes
// of appointments older than the setting and leaves newer ones alone.
func TestHealthRetentionJob(t *testing.T) {
	e := start(t, true)
	ctx := context.Background()
	dbtest.Truncate(t, "privacy_settings")
	t.Cleanup(func() { dbtest.Truncate(t, "privacy_settings") })
	var svc db.Service
	if err := e.bdb.NewSelect().Model(&svc).Where("active").OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	book := func(start time.Time, email string) int64 {
		b := &db.Booking{ServiceID: svc.ID, Place: db.PlaceStudio, StartsAt: start, EndsAt: start.Add(time.Hour),
			BlockedFrom: start, BlockedTo: start.Add(75 * time.Minute), ServiceName: svc.Name, DurationMin: 60,
			ClientName: "Ann Client", ClientEmail: email, Notes: "Sore knee", ManageTokenHash: db.HashToken(email),
			Health: map[string]any{"q": map[string]any{"answer": "yes", "details": "secret"}}}
		if err := db.BookByHand(ctx, e.bdb, b, clk.Now()); err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	old := book(clk.Now().AddDate(0, -7, 0).Truncate(time.Hour), "old@example.com")
	recent := book(clk.Now().AddDate(0, -5, 0).Truncate(time.Hour), "recent@example.com")

	if err := db.SavePrivacy(ctx, e.bdb, db.Privacy{HealthKeepMonths: 6}); err != nil {
		t.Fatal(err)
	}
	if err := e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return e.q.ApplyRetention(ctx, tx)
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old answers to be erased", func() bool {
		b, err := db.BookingByID(ctx, e.bdb, old)
		return err == nil && b.Health == nil && b.Notes == ""
	})
	if b, _ := db.BookingByID(ctx, e.bdb, recent); b.Health == nil || b.Notes == "" {
		t.Errorf("the recent booking lost its answers: %+v", b)
	}
	if b, _ := db.BookingByID(ctx, e.bdb, old); b.ClientName != "Ann Client" || b.Status != db.BookingConfirmed {
		t.Errorf("the old booking itself changed: %+v", b)
	}
	if s := e.jobStates(t, "health_retention"); len(s) == 0 {
		t.Error("no health_retention job in River's table")
	}
}
