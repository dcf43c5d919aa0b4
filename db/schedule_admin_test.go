package db_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/db/migrations"
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
	s.StepMin, s.BufferMin, s.TravelMin, s.NoticeHours, s.HorizonWeeks = 60, 10, 20, 24, 12
	s.HoldMin, s.CancelCutoffHours, s.LateMoveAllowed = 5, 48, false
	s.CancellationPolicy, s.MobileDistricts = "Two days' notice, please.", []string{"PE27", "CB4"}
	if err := db.SaveSchedule(ctx, bdb, s); err != nil {
		t.Fatal(err)
	}
	s.MobileDistricts = nil // none: mobile visits are nowhere
	s.StepMin = db.StepServiceLength
	if err := db.SaveSchedule(ctx, bdb, s); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetSchedule(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if got.StepMin != db.StepServiceLength || got.BufferMin != 10 || got.TravelMin != 20 || got.NoticeHours != 24 || got.HorizonWeeks != 12 ||
		got.HoldMin != 5 || got.CancelCutoffHours != 48 || got.LateMoveAllowed || got.CancellationPolicy != s.CancellationPolicy ||
		len(got.MobileDistricts) != 0 {
		t.Errorf("saved %+v\nread  %+v", s, got)
	}
	// The table's own checks stay the last word.
	for _, step := range []int{1, 5, 20, 45, 120} { // the steps once allowed, and others, are not among the choices
		s.StepMin = step
		if err := db.SaveSchedule(ctx, bdb, s); err == nil {
			t.Errorf("a step of %d minutes was saved", step)
		}
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

// Migration 0025 moves a saved step to the choices the page offers: the
// old default, 15, to the new default, 30 (a row left at the default
// cannot be told from one chosen); any other to the nearest choice. It is
// run here again, in a transaction rolled back, over each old value.
func TestStepChoicesMigration(t *testing.T) {
	ctx, bdb := context.Background(), dbtest.DB(t)
	up, err := fs.ReadFile(migrations.FS, "0025_step_choices.tx.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	for was, want := range map[int]int{5: 15, 15: 30, 20: 15, 25: 30, 30: 30, 40: 30, 45: 60, 60: 60, 90: 60, 120: 60} {
		err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			// The diary's triggers (0026) are deferred; a table with
			// changes whose triggers are pending cannot be altered.
			if _, err := tx.ExecContext(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
				return err
			}
			if err := db.SaveSchedule(ctx, tx, db.DefaultSchedule); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `ALTER TABLE schedule_settings DROP CONSTRAINT schedule_settings_step_min_check;
				UPDATE schedule_settings SET step_min = ?`, was); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(up)); err != nil {
				return err
			}
			var got int
			if err := tx.NewRaw("SELECT step_min FROM schedule_settings").Scan(ctx, &got); err != nil {
				return err
			}
			if got != want {
				t.Errorf("a step of %d became %d, want %d", was, got, want)
			}
			return errRollBack
		})
		if !errors.Is(err, errRollBack) {
			t.Fatalf("step %d: %v", was, err)
		}
	}
}

var errRollBack = errors.New("roll back")
