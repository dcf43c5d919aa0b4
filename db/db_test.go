package db_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The package's tests share one migrated database (dbtest.DB); tests that
// need an empty one make their own with dbtest.Create.
func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// freshDB returns a pool on a new, empty database that is dropped when the
// test ends.
func freshDB(t *testing.T, o db.Options) (*bun.DB, string) {
	t.Helper()
	dsn, bdb := dbtest.Empty(t, o)
	return bdb, dsn
}

func openDB(t *testing.T, dsn string, o db.Options) *bun.DB {
	t.Helper()
	bdb, err := db.Open(context.Background(), dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return bdb
}

// sqlState returns the SQLSTATE of a PostgreSQL error, or "" for any other error.
func sqlState(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C')
	}
	return ""
}

func TestOpenSetsUpTheSession(t *testing.T) {
	ctx := context.Background()
	bdb := openDB(t, dbtest.DSN(t), db.Options{})
	var tz, app string
	if err := bdb.QueryRowContext(ctx, "SELECT current_setting('TimeZone'), current_setting('application_name')").Scan(&tz, &app); err != nil {
		t.Fatal(err)
	}
	if tz != "UTC" {
		t.Errorf("session TimeZone = %q, want UTC", tz)
	}
	if app != "dynamicmotion" {
		t.Errorf("application_name = %q, want the default dynamicmotion", app)
	}
	if got := bdb.DB.Stats().MaxOpenConnections; got != 10 {
		t.Errorf("MaxOpenConnections = %d, want the default 10", got)
	}
}

func TestOpenFailsFastWhenNothingListens(t *testing.T) {
	start := time.Now()
	bdb, err := db.Open(context.Background(), "postgres://postgres@127.0.0.1:1/dm?sslmode=disable", db.Options{})
	if err == nil {
		bdb.Close()
		t.Fatal("Open succeeded on a port where nothing listens")
	}
	if bdb != nil {
		t.Error("Open returned a *bun.DB along with its error")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v to report a refused connection", d)
	}
}

func TestOpenHonoursItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bdb, err := db.Open(ctx, dbtest.DSN(t), db.Options{})
	if err == nil {
		bdb.Close()
		t.Fatal("Open succeeded with a cancelled context")
	}
}

// pgdriver.WithDSN panics on these; Open must return an error instead, and
// the error must not carry the password into a log.
func TestOpenTurnsMalformedDSNsIntoErrors(t *testing.T) {
	for _, dsn := range []string{
		"::::",
		"mysql://u:s3cret@h:5432/dm",
		"postgres://u:s3cret@127.0.0.1:5432/dm?sslmode=bogus",
		"postgres://u:s3cret@127.0.0.1:5432/dm?connect_timeout=soon",
		"postgres://u:s3cret@127.0.0.1:port/dm",
		"postgres://u:s3cret@127.0.0.1:5432/dm\x7f",
	} {
		t.Run(dsn, func(t *testing.T) {
			var (
				bdb *bun.DB
				err error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("Open panicked: %v", r)
					}
				}()
				bdb, err = db.Open(context.Background(), dsn, db.Options{})
			}()
			if err == nil {
				bdb.Close()
				t.Fatal("Open accepted a malformed DSN")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}
