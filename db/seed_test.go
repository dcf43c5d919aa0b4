package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

func count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := dbtest.DB(t).QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedIsRepeatableAndKeepsEdits(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "services", "business_settings")

	for i := range 2 {
		if err := db.Seed(ctx, bdb); err != nil {
			t.Fatalf("Seed #%d: %v", i+1, err)
		}
		if n := count(t, "business_settings"); n != 1 {
			t.Errorf("after Seed #%d: %d business rows, want 1", i+1, n)
		}
		if n := count(t, "services"); n != 3 {
			t.Errorf("after Seed #%d: %d services, want 3", i+1, n)
		}
	}

	// The therapist edits her phone number and a price; seeding again must
	// not put the example values back.
	if _, err := bdb.ExecContext(ctx, "UPDATE business_settings SET phone = '07700 900123', is_example = false"); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.ExecContext(ctx, "UPDATE services SET price_pence = 4200 WHERE slug = 'sports-massage-60'"); err != nil {
		t.Fatal(err)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	b, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if b.Phone != "07700 900123" || b.IsExample {
		t.Errorf("after re-seeding: phone %q, is_example %v; want the edited 07700 900123, false", b.Phone, b.IsExample)
	}
	var price int
	if err := bdb.QueryRowContext(ctx, "SELECT price_pence FROM services WHERE slug = 'sports-massage-60'").Scan(&price); err != nil {
		t.Fatal(err)
	}
	if price != 4200 {
		t.Errorf("after re-seeding: price %d, want the edited 4200", price)
	}
}

func TestGetBusinessReturnsTheSeededExample(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "services", "business_settings")

	before, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatalf("GetBusiness before anything is saved: %v", err)
	}
	if diff := cmp.Diff(db.KnownBusiness, before); diff != "" {
		t.Errorf("before anything is saved GetBusiness should be what the practice's article says (-want +got):\n%s", diff)
	}
	if before.Phone != "" || before.Email != "" || before.IsExample {
		t.Errorf("the known facts must not invent contact details: %+v", before)
	}
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	want := db.Business{
		ID:        1,
		Name:      "Dynamic Motion Sports Therapy",
		Phone:     "01480 000000",
		Email:     "hello@example.com",
		Locality:  "St Ives",
		Region:    "Cambridgeshire",
		Postcode:  "PE27 0XX",
		IsExample: true,
	}
	opts := cmpopts.IgnoreFields(db.Business{},
		"Tagline", "Intro", "About", "StreetAddress", "MobileArea", "HoursSummary", "UpdatedAt")
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("GetBusiness (-want +got):\n%s", diff)
	}
	for field, v := range map[string]string{
		"Tagline": got.Tagline, "Intro": got.Intro, "About": got.About,
		"StreetAddress": got.StreetAddress, "MobileArea": got.MobileArea, "HoursSummary": got.HoursSummary,
	} {
		if v == "" {
			t.Errorf("seeded business has an empty %s", field)
		}
	}
	// updated_at defaults to now(): the seed must not write a zero time.
	if age := time.Since(got.UpdatedAt); age < -time.Minute || age > time.Hour {
		t.Errorf("seeded business UpdatedAt = %v, want about now", got.UpdatedAt)
	}

	services, err := db.ListActiveServices(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		if !s.IsExample || !s.Active || !s.AtStudio || !s.Mobile {
			t.Errorf("seeded service %s: example %v active %v studio %v mobile %v, want all true",
				s.Slug, s.IsExample, s.Active, s.AtStudio, s.Mobile)
		}
	}
}

func TestListActiveServicesInDisplayOrder(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "services")
	if _, err := bdb.ExecContext(ctx, `
		INSERT INTO services (slug, name, duration_min, price_pence, sort_order, active) VALUES
		('ninety', 'Ninety', 90, 7000, 30, true),
		('thirty', 'Thirty', 30, 3000, 10, true),
		('retired', 'Retired', 45, 4000, 5, false),
		('sixty', 'Sixty', 60, 5000, 20, true),
		('also-ten', 'Also ten', 30, 3100, 10, true)`); err != nil {
		t.Fatal(err)
	}
	got, err := db.ListActiveServices(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, s := range got {
		slugs = append(slugs, s.Slug)
	}
	// sort_order first, then insertion (id) order; inactive left out.
	want := []string{"thirty", "also-ten", "sixty", "ninety"}
	if diff := cmp.Diff(want, slugs); diff != "" {
		t.Errorf("ListActiveServices order (-want +got):\n%s", diff)
	}
	if len(got) > 0 {
		first := got[0]
		if first.Name != "Thirty" || first.DurationMin != 30 || first.PricePence != 3000 || first.CreatedAt.IsZero() {
			t.Errorf("first service read back as %+v", first)
		}
	}

	dbtest.Truncate(t, "services")
	got, err = db.ListActiveServices(ctx, bdb)
	if err != nil || len(got) != 0 {
		t.Errorf("ListActiveServices with no services = %v, %v; want none, nil", got, err)
	}
}

func TestAdminPassword(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "admins")

	if _, err := db.AdminPasswordHash(ctx, bdb, "ther@example.com"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("AdminPasswordHash of an unknown email: err = %v, want sql.ErrNoRows", err)
	}
	if err := db.SetAdminPassword(ctx, bdb, "Ther@Example.com", "hash-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(ctx, bdb, "ther@example.com", "hash-2"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, "admins"); n != 1 {
		t.Errorf("%d admin rows, want 1 (emails compare case-insensitively)", n)
	}
	for _, email := range []string{"ther@example.com", "THER@EXAMPLE.COM", "Ther@Example.com"} {
		hash, err := db.AdminPasswordHash(ctx, bdb, email)
		if err != nil || hash != "hash-2" {
			t.Errorf("AdminPasswordHash(%q) = %q, %v; want hash-2", email, hash, err)
		}
	}
	if _, err := db.AdminPasswordHash(ctx, bdb, "someone@example.com"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("AdminPasswordHash of another email: err = %v, want sql.ErrNoRows", err)
	}

	// Functions take bun.IDB: inside a rolled-back transaction nothing sticks.
	tx, err := bdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword(ctx, tx, "ther@example.com", "hash-3"); err != nil {
		t.Fatal(err)
	}
	if hash, _ := db.AdminPasswordHash(ctx, tx, "ther@example.com"); hash != "hash-3" {
		t.Errorf("inside the transaction: hash %q, want hash-3", hash)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if hash, _ := db.AdminPasswordHash(ctx, bdb, "ther@example.com"); hash != "hash-2" {
		t.Errorf("after rollback: hash %q, want hash-2", hash)
	}
}
