package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The feed's secret is made on demand, stored only as a hash, replaced
// by rotation (the old one stops working at once) and removed by revoking.
func TestCalendarSecret(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	if err := db.RevokeCalendarFeed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetCalendarFeed(ctx, bdb); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("before any secret: %v, want sql.ErrNoRows", err)
	}

	first, err := db.RotateCalendarSecret(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != db.CalendarSecretLen || len(first) < 43 || strings.ContainsAny(first, "+/=") {
		t.Errorf("secret %q: want 256 bits in URL-safe base64", first)
	}
	if err := db.CheckCalendarSecret(ctx, bdb, first); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	f, err := db.GetCalendarFeed(ctx, bdb)
	if err != nil || f.LastUsedAt == nil {
		t.Errorf("after a fetch: %+v %v, want it noted", f, err)
	}
	var stored []byte
	if err := bdb.NewRaw("SELECT secret_hash FROM calendar_feed").Scan(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte(first)) || !bytes.Equal(stored, db.HashToken(first)) {
		t.Error("the secret is stored, not only its hash")
	}

	second, err := db.RotateCalendarSecret(ctx, bdb)
	if err != nil || second == first {
		t.Fatalf("rotating: %q %v, want a new secret", second, err)
	}
	for name, secret := range map[string]string{
		"the old secret": first, "nothing": "", "a wrong secret": strings.Repeat("A", db.CalendarSecretLen),
		"the secret and more": second + "x", "the secret's hash": string(db.HashToken(second)),
	} {
		if err := db.CheckCalendarSecret(ctx, bdb, secret); !errors.Is(err, db.ErrNoCalendarFeed) {
			t.Errorf("%s: %v, want ErrNoCalendarFeed", name, err)
		}
	}
	if err := db.CheckCalendarSecret(ctx, bdb, second); err != nil {
		t.Errorf("the new secret: %v", err)
	}

	if err := db.RevokeCalendarFeed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckCalendarSecret(ctx, bdb, second); !errors.Is(err, db.ErrNoCalendarFeed) {
		t.Errorf("after revoking: %v, want ErrNoCalendarFeed", err)
	}
}

// The calendar lists bookings that happen or happened (not holds, not
// cancelled ones) ending since the given time, earliest first.
func TestCalendarBookings(t *testing.T) {
	emptyBookings(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	now := time.Now().Truncate(time.Minute)
	add := func(name, status string, start time.Time) {
		t.Helper()
		b := &db.Booking{
			ServiceID: svc, Place: db.PlaceStudio, Status: status, StartsAt: start, EndsAt: start.Add(time.Hour),
			BlockedFrom: start, BlockedTo: start.Add(time.Hour), ClientName: name, ServiceName: "Sports massage", DurationMin: 60,
		}
		if status == db.BookingHeld {
			exp := now.Add(time.Hour)
			b.HoldOwner, b.HoldExpiresAt = owner(name), &exp
		} else {
			b.ManageTokenHash = db.HashToken(name)
		}
		if _, err := bdb.NewInsert().Model(b).ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	add("tomorrow", db.BookingConfirmed, now.Add(24*time.Hour))
	add("next week", db.BookingConfirmed, now.Add(7*24*time.Hour))
	add("last week", db.BookingCompleted, now.Add(-7*24*time.Hour))
	add("missed", db.BookingNoShow, now.Add(-3*24*time.Hour))
	add("long ago", db.BookingCompleted, now.Add(-40*24*time.Hour))
	add("cancelled", db.BookingCancelled, now.Add(2*24*time.Hour))
	add("held", db.BookingHeld, now.Add(3*24*time.Hour))

	bs, err := db.CalendarBookings(ctx, bdb, now.Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bs {
		got = append(got, b.ClientName)
	}
	if want := "last week, missed, tomorrow, next week"; strings.Join(got, ", ") != want {
		t.Errorf("calendar: %s; want %s", strings.Join(got, ", "), want)
	}
}
