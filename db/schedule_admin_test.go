package db_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The therapist's rules are saved over the defaults and read back as saved,
// and saving again replaces them.
func TestSaveSchedule(t *testing.T) {
	ctx, bdb := context.Background(), dbtest.DB(t)
	dbtest.Truncate(t, "schedule_settings")
	// Back to the defaults afterwards, for the tests after this one (and
	// this one again, with -count).
	t.Cleanup(func() { dbtest.Truncate(t, "schedule_settings") })
	s := db.DefaultSchedule
	s.StepMin, s.BufferMin, s.TravelMin, s.NoticeHours, s.HorizonWeeks = 30, 10, 20, 24, 12
	s.HoldMin, s.CancelCutoffHours, s.LateMoveAllowed = 5, 48, false
	s.CancellationPolicy, s.MobileDistricts = "Two days' notice, please.", []string{"PE27", "CB4"}
	if err := db.SaveSchedule(ctx, bdb, s); err != nil {
		t.Fatal(err)
	}
	s.MobileDistricts = nil // none: mobile visits are nowhere
	s.StepMin = 20
	if err := db.SaveSchedule(ctx, bdb, s); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetSchedule(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if got.StepMin != 20 || got.BufferMin != 10 || got.TravelMin != 20 || got.NoticeHours != 24 || got.HorizonWeeks != 12 ||
		got.HoldMin != 5 || got.CancelCutoffHours != 48 || got.LateMoveAllowed || got.CancellationPolicy != s.CancellationPolicy ||
		len(got.MobileDistricts) != 0 {
		t.Errorf("saved %+v\nread  %+v", s, got)
	}
	// The table's own checks stay the last word.
	s.StepMin = 1
	if err := db.SaveSchedule(ctx, bdb, s); err == nil {
		t.Error("a step of 1 minute was saved")
	}
}

// The weekly hours are replaced as a whole; a range that ends at midnight
// reads back as 1440.
func TestReplaceWorkingHours(t *testing.T) {
	ctx, bdb := context.Background(), dbtest.DB(t)
	was, err := db.ListWorkingHours(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // the hours as they were, for the tests after this one
		if err := db.ReplaceWorkingHours(ctx, bdb, was); err != nil {
			t.Error(err)
		}
	})
	dbtest.Truncate(t, "working_hours")
	want := []db.WorkingHours{
		{Weekday: 1, Place: db.PlaceMobile, FromMin: 600, UntilMin: 960},
		{Weekday: 1, Place: db.PlaceStudio, FromMin: 540, UntilMin: 780},
		{Weekday: 1, Place: db.PlaceStudio, FromMin: 840, UntilMin: 1080},
		{Weekday: 6, Place: db.PlaceStudio, FromMin: 1200, UntilMin: 1440},
	}
	if err := db.ReplaceWorkingHours(ctx, bdb, []db.WorkingHours{{Weekday: 3, Place: db.PlaceStudio, FromMin: 0, UntilMin: 60}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceWorkingHours(ctx, bdb, want); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListWorkingHours(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].ID = 0
	}
	if !slices.Equal(got, want) {
		t.Errorf("hours read back\n got %+v\nwant %+v", got, want)
	}
}

// Time off is added, listed while it has not ended, and deleted once.
func TestTimeOff(t *testing.T) {
	ctx, bdb := context.Background(), dbtest.DB(t)
	dbtest.Truncate(t, "time_off")
	now := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	past := &db.TimeOff{StartsAt: now.AddDate(0, 0, -3), EndsAt: now.AddDate(0, 0, -2), Note: "over"}
	later := &db.TimeOff{StartsAt: now.AddDate(0, 0, 5), EndsAt: now.AddDate(0, 0, 6), Note: "course"}
	today := &db.TimeOff{StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), Note: "dentist"}
	for _, o := range []*db.TimeOff{past, later, today} {
		if err := db.AddTimeOff(ctx, bdb, o); err != nil || o.ID == 0 {
			t.Fatalf("AddTimeOff: id %d, %v", o.ID, err)
		}
	}
	list, err := db.UpcomingTimeOff(ctx, bdb, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Note != "dentist" || list[1].Note != "course" {
		t.Errorf("upcoming = %+v, want dentist then course", list)
	}
	gone, err := db.DeleteTimeOff(ctx, bdb, later.ID)
	if err != nil || gone.Note != "course" || !gone.StartsAt.Equal(later.StartsAt) || !gone.EndsAt.Equal(later.EndsAt) {
		t.Errorf("DeleteTimeOff = %+v, %v", gone, err)
	}
	if _, err := db.DeleteTimeOff(ctx, bdb, later.ID); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("deleting twice: %v, want sql.ErrNoRows", err)
	}
}
