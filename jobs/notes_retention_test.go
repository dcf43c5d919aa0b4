package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The same daily job deletes the treatment notes whose client's last visit
// is older than the notes' own retention (8 years by default), and keeps
// the others.
func TestNotesRetentionJob(t *testing.T) {
	e := start(t, true)
	ctx := context.Background()
	dbtest.Truncate(t, "privacy_settings")
	t.Cleanup(func() { dbtest.Truncate(t, "privacy_settings") })
	var svc db.Service
	if err := e.bdb.NewSelect().Model(&svc).Where("active").OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	seen := func(start time.Time, email string) int64 {
		b := &db.Booking{ServiceID: svc.ID, Place: db.PlaceStudio, StartsAt: start, EndsAt: start.Add(time.Hour),
			BlockedFrom: start, BlockedTo: start.Add(time.Hour), Status: db.BookingCompleted, ServiceName: svc.Name,
			DurationMin: 60, ClientName: "Nat Client", ClientEmail: email, ManageTokenHash: db.HashToken(email)}
		if _, err := e.bdb.NewInsert().Model(b).ExcludeColumn("id").Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveNote(ctx, e.bdb, b.ID, db.NoteFields{Plan: "Rest"}, start.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	old := seen(clk.Now().AddDate(-9, 0, 0).Truncate(time.Hour), "nine.years@example.com")
	recent := seen(clk.Now().AddDate(-7, 0, 0).Truncate(time.Hour), "seven.years@example.com")

	if err := e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return e.q.ApplyRetention(ctx, tx)
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old note to be deleted", func() bool {
		_, err := db.NoteByBooking(ctx, e.bdb, old)
		return err != nil
	})
	if _, err := db.NoteByBooking(ctx, e.bdb, recent); err != nil {
		t.Errorf("the note of a visit 7 years ago: %v", err)
	}
}
