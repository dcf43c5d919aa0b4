// Package dbtest gives each test package its own fresh, migrated database on
// a real PostgreSQL server, and drops it when the package's tests end.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
//
// The server is TEST_DATABASE_URL (a URL of any database on it, usually
// .../postgres), or postgres://postgres@127.0.0.1:5432/postgres by default;
// `make test` starts one when the machine has none.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// DefaultServer is used when TEST_DATABASE_URL is unset.
const DefaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	pkgDB  *bun.DB
	pkgDSN string
)

// Run creates the package's database, migrates it, runs the tests and drops
// the database. It returns the exit code for os.Exit.
func Run(m *testing.M) int {
	ctx := context.Background()
	dsn, drop, err := Create(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer drop()
	pkgDSN = dsn
	pkgDB, err = db.Open(ctx, dsn, db.Options{MaxOpenConns: 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	if _, err := db.Migrate(ctx, pkgDB); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: migrating:", err)
		return 1
	}
	code := m.Run()
	pkgDB.Close()
	return code
}

// DB is the package's migrated database.
func DB(tb testing.TB) *bun.DB {
	tb.Helper()
	if pkgDB == nil {
		tb.Fatal("dbtest: call dbtest.Run from TestMain")
	}
	return pkgDB
}

// DSN is the URL of the package's database, for starting the real binary.
func DSN(tb testing.TB) string {
	tb.Helper()
	if pkgDSN == "" {
		tb.Fatal("dbtest: call dbtest.Run from TestMain")
	}
	return pkgDSN
}

// Create makes an empty database with a random name on the test server and
// returns its URL and a function that drops it.
func Create(ctx context.Context) (dsn string, drop func(), err error) {
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = DefaultServer
	}
	admin, err := db.Open(ctx, server, db.Options{MaxOpenConns: 2})
	if err != nil {
		return "", nil, fmt.Errorf("no PostgreSQL for tests (%w): run `make test`, which starts one, or set TEST_DATABASE_URL", err)
	}
	dropAbandoned(ctx, admin)
	var b [6]byte
	rand.Read(b[:])
	name := fmt.Sprintf("%s%d_%s", namePrefix, time.Now().Unix(), hex.EncodeToString(b[:]))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("creating test database: %w", err)
	}
	u, _ := url.Parse(server)
	u.Path = "/" + name
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck // best effort at exit
		admin.Close()
	}
	return u.String(), drop, nil
}

// namePrefix starts every test database's name, followed by its creation
// time in Unix seconds.
const namePrefix = "dm_test_"

// dropAbandoned drops test databases more than an hour old: a run killed by
// its timeout never reaches its deferred drop.
func dropAbandoned(ctx context.Context, admin *bun.DB) {
	var names []string
	if err := admin.NewRaw("SELECT datname FROM pg_database WHERE datname LIKE ?", namePrefix+"%").
		Scan(ctx, &names); err != nil {
		return
	}
	cutoff := time.Now().Add(-time.Hour).Unix()
	for _, name := range names {
		created, _, _ := strings.Cut(strings.TrimPrefix(name, namePrefix), "_")
		if t, err := strconv.ParseInt(created, 10, 64); err != nil || t < cutoff {
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgQuoteIdent(name)+" WITH (FORCE)") //nolint:errcheck // best effort
		}
	}
}

func pgQuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Truncate empties the named tables (and what references them) so a test
// starts from a known state without losing SQL-only constraints.
func Truncate(tb testing.TB, tables ...string) {
	tb.Helper()
	for _, t := range tables {
		if _, err := DB(tb).ExecContext(context.Background(), "TRUNCATE "+t+" RESTART IDENTITY CASCADE"); err != nil {
			tb.Fatalf("truncate %s: %v", t, err)
		}
	}
}

// Empty creates a new, empty (unmigrated) database for one test, dropped
// when the test ends, and returns its URL and a pool on it.
func Empty(tb testing.TB, o db.Options) (string, *bun.DB) {
	tb.Helper()
	ctx := context.Background()
	dsn, drop, err := Create(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(drop)
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 4
	}
	bdb, err := db.Open(ctx, dsn, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bdb.Close() })
	return dsn, bdb
}

// LockWaiters counts the sessions waiting for a lock that tx's own session
// holds: what a test of two transactions waits for before letting the first
// go. It drops tx's snapshot of pg_stat_activity first, which a transaction
// otherwise keeps from its first look. PostgreSQL announces no waiter, so
// callers poll it.
func LockWaiters(ctx context.Context, tx bun.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
		return 0, err
	}
	var n int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))").Scan(&n)
	return n, err
}
