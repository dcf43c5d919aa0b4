package booking

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/db"
)

// SaveHours replaces the weekly working hours; the days people wait for
// that gain working time are offered to them in the same transaction.
func (d *Desk) SaveHours(ctx context.Context, hours []db.WorkingHours) error {
	defer d.rules.Drop()
	return d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := db.ListWorkingHours(ctx, tx)
		if err != nil {
			return err
		}
		if err := db.ReplaceWorkingHours(ctx, tx, hours); err != nil {
			return err
		}
		gained := GainedWeekdays(old, hours)
		return d.offerWaitingDays(ctx, tx, func(day time.Time) bool { return gained[day.Weekday()] })
	})
}

// AddTimeOff records a time the therapist is away. Bookings it covers are
// not cancelled: she deals with them herself.
func (d *Desk) AddTimeOff(ctx context.Context, off *db.TimeOff) error {
	return db.AddTimeOff(ctx, d.db, off)
}

// DeleteTimeOff removes time off id; the days it frees are offered to the
// people waiting for them in the same transaction. sql.ErrNoRows when it
// is gone already (a second click).
func (d *Desk) DeleteTimeOff(ctx context.Context, id int64) error {
	return d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		off, err := db.DeleteTimeOff(ctx, tx, id)
		if err != nil {
			return err
		}
		from, to := startOfDay(off.StartsAt), off.EndsAt
		return d.offerWaitingDays(ctx, tx, func(day time.Time) bool { return !day.Before(from) && day.Before(to) })
	})
}

// offerWaitingDays offers, in tx, the free times of the days people are
// waiting for (London midnights) that freed says may have gained time.
func (d *Desk) offerWaitingDays(ctx context.Context, tx bun.Tx, freed func(day time.Time) bool) error {
	waiting, err := db.WaitingDays(ctx, tx, startOfDay(d.now()))
	if err != nil {
		return err
	}
	var at []time.Time
	for _, w := range waiting {
		y, m, dd := w.Date()
		if day := time.Date(y, m, dd, 0, 0, 0, 0, clock.Zone); freed(day) {
			at = append(at, day.Add(12*time.Hour)) // inside the day, whatever the clocks do
		}
	}
	if len(at) == 0 {
		return nil
	}
	return d.mail.OfferFreedTimes(ctx, tx, at...)
}

// startOfDay is midnight in London on t's London date.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.In(clock.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.Zone)
}

// GainedWeekdays reports the weekdays on which now has working time (at
// either place) that was has not.
func GainedWeekdays(was, now []db.WorkingHours) map[time.Weekday]bool {
	covered := func(hs []db.WorkingHours, day int, place string, minute int) bool {
		return slices.ContainsFunc(hs, func(h db.WorkingHours) bool {
			return h.Weekday == day && h.Place == place && h.FromMin <= minute && minute < h.UntilMin
		})
	}
	gained := map[time.Weekday]bool{}
	for _, h := range now {
		for minute := h.FromMin; minute < h.UntilMin; minute++ {
			if !covered(was, h.Weekday, h.Place, minute) {
				gained[time.Weekday(h.Weekday)] = true
				break
			}
		}
	}
	return gained
}
