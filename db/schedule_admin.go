package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// SaveSchedule stores the practice's scheduling rules (the one row), replacing
// what was saved before.
func SaveSchedule(ctx context.Context, idb bun.IDB, s Schedule) error {
	s.ID, s.UpdatedAt = 1, time.Time{} // the database's now(): a record, not a decision
	if s.MobileDistricts == nil {
		s.MobileDistricts = []string{}
	}
	_, err := idb.NewInsert().Model(&s).
		On("CONFLICT (id) DO UPDATE").
		Set("step_min = EXCLUDED.step_min, buffer_min = EXCLUDED.buffer_min, travel_min = EXCLUDED.travel_min").
		Set("notice_hours = EXCLUDED.notice_hours, horizon_weeks = EXCLUDED.horizon_weeks, hold_min = EXCLUDED.hold_min").
		Set("offer_hold_min = EXCLUDED.offer_hold_min").
		Set("cancel_cutoff_hours = EXCLUDED.cancel_cutoff_hours, late_move_allowed = EXCLUDED.late_move_allowed").
		Set("cancellation_policy = EXCLUDED.cancellation_policy, mobile_districts = EXCLUDED.mobile_districts").
		Set("updated_at = now()").
		Exec(ctx)
	return err
}

// ReplaceWorkingHours makes hs the whole of the weekly working hours. FromMin
// and UntilMin are minutes after local midnight; UntilMin 1440 is midnight at
// the end of the day. Call it in a transaction with whatever else the change
// causes.
func ReplaceWorkingHours(ctx context.Context, idb bun.IDB, hs []WorkingHours) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Two saves at once take turns: without the lock each deletes only
		// the rows it can see and both sets of ranges survive.
		if _, err := tx.NewRaw("LOCK TABLE working_hours IN EXCLUSIVE MODE").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM working_hours").Exec(ctx); err != nil {
			return err
		}
		for _, h := range hs {
			_, err := tx.NewRaw("INSERT INTO working_hours (weekday, place, starts, ends) VALUES (?, ?, ?::time, ?::time)",
				h.Weekday, h.Place, clockText(h.FromMin), clockText(h.UntilMin)).Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// clockText is minutes after midnight as PostgreSQL's time reads it; 1440
// (the end of the day) is stored as 00:00.
func clockText(min int) string {
	return fmt.Sprintf("%02d:%02d", min/60%24, min%60)
}

// UpcomingTimeOff returns the times off that have not ended by now, soonest
// first.
func UpcomingTimeOff(ctx context.Context, idb bun.IDB, now time.Time) ([]TimeOff, error) {
	var ts []TimeOff
	err := idb.NewSelect().Model(&ts).Where("ends_at > ?", now).OrderExpr("starts_at, id").Scan(ctx)
	return ts, err
}

// AddTimeOff stores a time the therapist is away, setting t.ID.
func AddTimeOff(ctx context.Context, idb bun.IDB, t *TimeOff) error {
	_, err := idb.NewInsert().Model(t).ExcludeColumn("id").Returning("id").Exec(ctx)
	return err
}

// DeleteTimeOff removes time off id and returns what it was, or
// sql.ErrNoRows.
func DeleteTimeOff(ctx context.Context, idb bun.IDB, id int64) (TimeOff, error) {
	var t TimeOff
	err := idb.NewRaw("DELETE FROM time_off WHERE id = ? RETURNING id, starts_at, ends_at, note", id).Scan(ctx, &t)
	return t, err
}
