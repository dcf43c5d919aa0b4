package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

func serviceNames(t *testing.T) []string {
	t.Helper()
	ss, err := db.ListServices(context.Background(), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range ss {
		names = append(names, s.Name)
	}
	return names
}

func addService(t *testing.T, name string) db.Service {
	t.Helper()
	s := db.Service{Name: name, DurationMin: 60, PricePence: 5000, AtStudio: true, Active: true}
	if err := db.CreateService(context.Background(), dbtest.DB(t), &s); err != nil {
		t.Fatalf("CreateService(%q): %v", name, err)
	}
	return s
}

// New services go to the end of the list with a slug of their own; the
// list holds inactive ones too, and moving swaps neighbours.
func TestServicesListAndOrder(t *testing.T) {
	ctx, bdb := context.Background(), dbtest.DB(t)
	dbtest.Truncate(t, "services")
	a := addService(t, "Sports massage — 60 min")
	b := addService(t, "Sports massage — 60 min")
	c := addService(t, "Café & stretch!")
	if a.Slug != "sports-massage-60-min" || b.Slug != "sports-massage-60-min-2" || c.Slug != "caf-stretch" {
		t.Errorf("slugs %q %q %q", a.Slug, b.Slug, c.Slug)
	}
	if err := db.SetServiceActive(ctx, bdb, b.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := serviceNames(t); len(got) != 3 {
		t.Fatalf("ListServices = %q, want all three, the inactive one too", got)
	}
	active, err := db.ListActiveServices(ctx, bdb)
	if err != nil || len(active) != 2 {
		t.Errorf("ListActiveServices = %d services, %v; want 2", len(active), err)
	}

	for _, step := range []struct {
		id   int64
		up   bool
		want []int64
	}{
		{c.ID, true, []int64{a.ID, c.ID, b.ID}},
		{c.ID, true, []int64{c.ID, a.ID, b.ID}},
		{c.ID, true, []int64{c.ID, a.ID, b.ID}},  // already first
		{b.ID, false, []int64{c.ID, a.ID, b.ID}}, // already last
		{c.ID, false, []int64{a.ID, c.ID, b.ID}},
	} {
		if err := db.MoveService(ctx, bdb, step.id, step.up); err != nil {
			t.Fatal(err)
		}
		ss, _ := db.ListServices(ctx, bdb)
		var ids []int64
		for _, s := range ss {
			ids = append(ids, s.ID)
		}
		if len(ids) != 3 || ids[0] != step.want[0] || ids[1] != step.want[1] || ids[2] != step.want[2] {
			t.Errorf("after moving %d (up %v): %v, want %v", step.id, step.up, ids, step.want)
		}
	}
	if err := db.MoveService(ctx, bdb, 999999, true); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("moving a missing service: %v", err)
	}
}

// Editing a service changes what clients are offered, but bookings made
// before keep the name, duration and price they were made with; a
// deactivated service keeps its bookings.
func TestUpdateServiceKeepsBookings(t *testing.T) {
	ctx, bdb := context.Background(), dbtest.DB(t)
	emptyBookings(t)
	svc := serviceID(t)
	b := hold(svc, bookingTime(9, 0), "ann", soon())
	if err := db.HoldSlot(ctx, bdb, b, testNow); err != nil {
		t.Fatal(err)
	}
	s, err := db.ServiceByID(ctx, bdb, svc)
	if err != nil {
		t.Fatal(err)
	}
	s.Name, s.DurationMin, s.PricePence, s.Active = "Renamed", 45, 4200, false
	if err := db.UpdateService(ctx, bdb, s); err != nil {
		t.Fatal(err)
	}
	got, _ := db.ServiceByID(ctx, bdb, svc)
	if got.Name != "Renamed" || got.DurationMin != 45 || got.PricePence != 4200 || got.Active || got.IsExample || got.Slug != s.Slug {
		t.Errorf("after the edit: %+v", got)
	}
	kept, err := db.BookingByID(ctx, bdb, b.ID)
	if err != nil || kept.ServiceName != "Sports massage" || kept.DurationMin != 60 || kept.PricePence != 5000 || kept.ServiceID != svc {
		t.Errorf("the booking after the edit: %+v, %v", kept, err)
	}
	if err := db.UpdateService(ctx, bdb, db.Service{ID: 999999, Name: "x", DurationMin: 60, AtStudio: true}); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("updating a missing service: %v", err)
	}
	if err := db.SetServiceActive(ctx, bdb, 999999, true); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("activating a missing service: %v", err)
	}
}
