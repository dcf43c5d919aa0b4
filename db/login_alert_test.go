package db_test

import (
	"context"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The notice of failed logins is claimed at most once a day per account,
// by one caller however many ask at once; an address without an account
// claims nothing.
func TestClaimLoginAlert(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	dbtest.Truncate(t, "admins")
	if err := db.SetAdminPassword(ctx, bdb, "Clare@Example.com", "$argon2id$hash"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 19, 10, 0, 0, time.UTC)
	claim := func(email string, at time.Time) bool {
		t.Helper()
		ok, err := db.ClaimLoginAlert(ctx, bdb, email, at, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if claim("nobody@example.com", now) {
		t.Error("claimed for an address without an account")
	}
	results := make(chan bool, 8)
	for range 8 {
		go func() {
			ok, err := db.ClaimLoginAlert(ctx, bdb, "clare@example.com", now, 24*time.Hour)
			if err != nil {
				t.Error(err)
			}
			results <- ok
		}()
	}
	claimed := 0
	for range 8 {
		if <-results {
			claimed++
		}
	}
	if claimed != 1 {
		t.Errorf("%d of 8 callers at once claimed the notice, want 1", claimed)
	}
	if claim("CLARE@example.com", now.Add(23*time.Hour)) {
		t.Error("claimed again within the day")
	}
	if !claim("clare@example.com", now.Add(24*time.Hour)) {
		t.Error("not claimed a day later")
	}
}
