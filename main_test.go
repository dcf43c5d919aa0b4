package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/password"
)

// invoke runs the command line as the binary would and returns its exit code
// and what it wrote to stderr.
func invoke(t *testing.T, args []string, env map[string]string, stdin string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := run(args, func(k string) string { return env[k] }, strings.NewReader(stdin), &stderr)
	return code, stderr.String()
}

// freshDatabase creates an empty database for one test and returns its URL
// and a pool on it for checking the outcome.
func freshDatabase(t *testing.T) (string, *bun.DB) {
	t.Helper()
	return dbtest.Empty(t, db.Options{MaxOpenConns: 2})
}

func countRows(t *testing.T, bdb *bun.DB, table string) int {
	t.Helper()
	var n int
	if err := bdb.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUnknownCommandPrintsUsage(t *testing.T) {
	code, stderr := invoke(t, []string{"bogus"}, nil, "")
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(stderr, `"bogus"`) || !strings.Contains(stderr, usage) {
		t.Errorf("stderr does not name the command and show the usage:\n%s", stderr)
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		code, stderr := invoke(t, []string{arg}, nil, "")
		if code != 0 || !strings.Contains(stderr, usage) {
			t.Errorf("%s: exit %d, stderr %q; want 0 and the usage", arg, code, stderr)
		}
	}
}

// A configuration error is one plain line naming the variable: no stack
// trace, no log noise, exit code 2 — before any command runs.
func TestBadConfigurationIsOneLine(t *testing.T) {
	tests := []struct {
		env     map[string]string
		args    []string
		wantVar string
	}{
		{map[string]string{"PORT": "abc"}, nil, "PORT"},
		{map[string]string{"PORT": "abc"}, []string{"migrate"}, "PORT"},
		{map[string]string{"DATABASE_URL": "mysql://x/y"}, []string{"migrate"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "postgres://u:s3cret@h:5432?sslmode=nope"}, []string{"seed"}, "DATABASE_URL"},
		{map[string]string{"ADMIN_EMAIL": "nope"}, []string{"admin-password"}, "ADMIN_EMAIL"},
	}
	for _, tt := range tests {
		code, stderr := invoke(t, tt.args, tt.env, "")
		if code != 2 {
			t.Errorf("%v %v: exit code %d, want 2", tt.env, tt.args, code)
		}
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], tt.wantVar) {
			t.Errorf("%v %v: stderr is not one line naming %s:\n%s", tt.env, tt.args, tt.wantVar, stderr)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "s3cret") {
			t.Errorf("%v %v: stderr has a stack trace or a password:\n%s", tt.env, tt.args, stderr)
		}
	}
}

func TestMigrateCreatesTheSchema(t *testing.T) {
	dsn, bdb := freshDatabase(t)
	env := map[string]string{"DATABASE_URL": dsn}
	for i := range 2 {
		if code, stderr := invoke(t, []string{"migrate"}, env, ""); code != 0 {
			t.Fatalf("migrate #%d: exit %d\n%s", i+1, code, stderr)
		}
	}
	pending, err := db.PendingMigrations(context.Background(), bdb)
	if err != nil || len(pending) != 0 {
		t.Errorf("after migrate: pending %v, err %v", pending, err)
	}
	for _, table := range []string{"sessions", "business_settings", "services", "admins"} {
		countRows(t, bdb, table) // fails the test if the table is missing
	}
}

// serve on a database nobody migrated says so in a line, naming the
// command that fixes it, instead of failing deep in the job queue.
func TestServeOnAnUnmigratedDatabaseSaysWhatToDo(t *testing.T) {
	dsn, _ := freshDatabase(t)
	code, stderr := invoke(t, []string{"serve"}, map[string]string{"DATABASE_URL": dsn, "PORT": "18931"}, "")
	if code == 0 || !strings.Contains(stderr, "not migrated") || !strings.Contains(stderr, "dynamicmotion migrate") {
		t.Errorf("serve on an empty database: exit %d\n%s", code, stderr)
	}
}

func TestSeedTwiceLeavesOneBusiness(t *testing.T) {
	dsn, bdb := freshDatabase(t)
	env := map[string]string{"DATABASE_URL": dsn}
	for i := range 2 {
		if code, stderr := invoke(t, []string{"seed"}, env, ""); code != 0 {
			t.Fatalf("seed #%d: exit %d\n%s", i+1, code, stderr)
		}
	}
	if n := countRows(t, bdb, "business_settings"); n != 1 {
		t.Errorf("%d business rows, want 1", n)
	}
	if n := countRows(t, bdb, "services"); n != 3 {
		t.Errorf("%d services, want 3", n)
	}
}

func TestAdminPassword(t *testing.T) {
	const email = "ther@example.com"
	dsn, bdb := freshDatabase(t)
	env := map[string]string{"DATABASE_URL": dsn, "ADMIN_EMAIL": email}
	if code, stderr := invoke(t, []string{"migrate"}, env, ""); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, stderr)
	}
	ctx := context.Background()

	t.Run("a short password is refused and nothing is stored", func(t *testing.T) {
		code, stderr := invoke(t, []string{"admin-password"}, env, "short\n")
		if code == 0 {
			t.Errorf("exit 0 for a %d-character password", len("short"))
		}
		if !strings.Contains(stderr, "12") {
			t.Errorf("stderr does not say how long a password must be:\n%s", stderr)
		}
		if n := countRows(t, bdb, "admins"); n != 0 {
			t.Errorf("%d admin rows, want none", n)
		}
	})

	t.Run("without ADMIN_EMAIL", func(t *testing.T) {
		noEmail := map[string]string{"DATABASE_URL": dsn}
		code, stderr := invoke(t, []string{"admin-password"}, noEmail, "a-long-enough-password\n")
		if code == 0 {
			t.Error("exit 0 without ADMIN_EMAIL")
		}
		if !strings.Contains(stderr, "ADMIN_EMAIL") {
			t.Errorf("stderr does not name ADMIN_EMAIL:\n%s", stderr)
		}
		if n := countRows(t, bdb, "admins"); n != 0 {
			t.Errorf("%d admin rows, want none", n)
		}
	})

	t.Run("refused before a development database is started", func(t *testing.T) {
		t.Chdir(t.TempDir())
		for _, c := range []struct {
			env        map[string]string
			stdin, say string
		}{
			{map[string]string{}, "a-long-enough-password\n", "ADMIN_EMAIL"},
			{map[string]string{"ADMIN_EMAIL": email}, "short\n", "12"},
		} {
			code, stderr := invoke(t, []string{"admin-password"}, c.env, c.stdin)
			if code == 0 || !strings.Contains(stderr, c.say) {
				t.Errorf("without DATABASE_URL, env %v: exit %d, want a refusal naming %q:\n%s", c.env, code, c.say, stderr)
			}
			if _, err := os.Stat("data"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a refused admin-password made ./data (%v): it started a development database", err)
			}
		}
	})

	t.Run("a long enough password is stored as argon2id", func(t *testing.T) {
		code, stderr := invoke(t, []string{"admin-password"}, env, "a-long-enough-password\n")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if strings.Contains(stderr, "a-long-enough-password") {
			t.Errorf("the password was echoed to stderr:\n%s", stderr)
		}
		hash, err := db.AdminPasswordHash(ctx, bdb, email)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$") {
			t.Errorf("stored hash %q is not argon2id", hash)
		}
		if ok, err := password.Verify(hash, "a-long-enough-password"); !ok || err != nil {
			t.Errorf("Verify(stored hash, password) = %v, %v; want true (the newline must not be part of the password)", ok, err)
		}
	})

	t.Run("running it again replaces the password; CRLF input works", func(t *testing.T) {
		code, stderr := invoke(t, []string{"admin-password"}, env, "another-long-password\r\n")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if n := countRows(t, bdb, "admins"); n != 1 {
			t.Errorf("%d admin rows, want 1", n)
		}
		hash, err := db.AdminPasswordHash(ctx, bdb, email)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := password.Verify(hash, "another-long-password"); !ok {
			t.Error("the new password does not verify")
		}
		if ok, _ := password.Verify(hash, "a-long-enough-password"); ok {
			t.Error("the old password still verifies")
		}
	})

	t.Run("a password without a trailing newline (EOF) is accepted", func(t *testing.T) {
		code, stderr := invoke(t, []string{"admin-password"}, env, "third-long-password")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		hash, _ := db.AdminPasswordHash(ctx, bdb, email)
		if ok, _ := password.Verify(hash, "third-long-password"); !ok {
			t.Error("the password read up to EOF does not verify")
		}
	})
}
