package db_test

import (
	"context"
	"testing"

	"dynamicmotion/db/dbtest"
)

// The SQL constraints are the last line of defence; they live only in the
// migrations, so test them against the migrated schema.
func TestSchemaConstraints(t *testing.T) {
	const (
		uniqueViolation = "23505"
		checkViolation  = "23514"
	)
	service := func(slug string, atStudio, mobile bool) string {
		s := "INSERT INTO services (slug, name, duration_min, price_pence, at_studio, mobile) VALUES ('" + slug + "', 'A service', 30, 3000, "
		if atStudio {
			s += "true, "
		} else {
			s += "false, "
		}
		if mobile {
			return s + "true)"
		}
		return s + "false)"
	}
	tests := []struct {
		name      string
		setup     []string
		violation string
		want      string // SQLSTATE, "" for success
	}{
		{"a service at the studio only", nil, service("studio-only", true, false), ""},
		{"a mobile-only service", nil, service("mobile-only", false, true), ""},
		{"a service neither at the studio nor mobile", nil, service("nowhere", false, false), checkViolation},
		{"two services with one slug", []string{service("massage-60", true, true)}, service("massage-60", true, false), uniqueViolation},
		{"a slug with spaces and capitals", nil, service("Sports Massage", true, true), checkViolation},
		{"a slug with a trailing dash", nil, service("massage-", true, true), checkViolation},
		{"a service of no minutes",
			nil, "INSERT INTO services (slug, name, duration_min, price_pence) VALUES ('zero', 'Zero', 0, 0)", checkViolation},
		{"a negative price",
			nil, "INSERT INTO services (slug, name, duration_min, price_pence) VALUES ('neg', 'Neg', 30, -1)", checkViolation},
		{"a service without a name",
			nil, "INSERT INTO services (slug, name, duration_min, price_pence) VALUES ('noname', '', 30, 100)", checkViolation},
		{"the business row",
			nil, "INSERT INTO business_settings (name) VALUES ('Dynamic Motion')", ""},
		{"a second business row with id 2",
			[]string{"INSERT INTO business_settings (name) VALUES ('Dynamic Motion')"},
			"INSERT INTO business_settings (id, name) VALUES (2, 'Another')", checkViolation},
		{"a second business row with the default id",
			[]string{"INSERT INTO business_settings (name) VALUES ('Dynamic Motion')"},
			"INSERT INTO business_settings (name) VALUES ('Another')", uniqueViolation},
		{"two admins whose emails differ only in case",
			[]string{"INSERT INTO admins (email, password_hash) VALUES ('Ther@Example.com', 'x')"},
			"INSERT INTO admins (email, password_hash) VALUES ('ther@example.COM', 'y')", uniqueViolation},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Truncate(t, "services", "business_settings", "admins")
			for _, q := range tt.setup {
				if _, err := dbtest.DB(t).ExecContext(ctx, q); err != nil {
					t.Fatalf("setup %q: %v", q, err)
				}
			}
			_, err := dbtest.DB(t).ExecContext(ctx, tt.violation)
			if got := sqlState(err); got != tt.want || (tt.want != "" && err == nil) || (tt.want == "" && err != nil) {
				t.Errorf("%s\n  error %v (SQLSTATE %q), want SQLSTATE %q", tt.violation, err, got, tt.want)
			}
		})
	}
}
