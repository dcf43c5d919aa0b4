package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Diary returns the appointments (confirmed, completed, no-show) that start
// in [from, to), in time order: the therapist's diary.
func Diary(ctx context.Context, idb bun.IDB, from, to time.Time) ([]Booking, error) {
	var bs []Booking
	err := idb.NewSelect().Model(&bs).
		Where("b.status IN (?, ?, ?)", BookingConfirmed, BookingCompleted, BookingNoShow).
		Where("b.starts_at >= ? AND b.starts_at < ?", from, to).
		OrderExpr("b.starts_at").Scan(ctx)
	return bs, err
}
