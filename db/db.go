// Package db holds the site's PostgreSQL schema, its migrations and every SQL
// query, grouped by area (settings.go, services.go, admin.go, …).
//
// Query functions take a bun.IDB so that they work on the pool and inside a
// transaction alike.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/extra/bundebug"
)

// Options tune a connection pool.
type Options struct {
	// MaxOpenConns caps the pool (default 10).
	MaxOpenConns int
	// ReadTimeout is pgdriver's per-read timeout (default 10 s). Migrations
	// use a longer one so that index builds do not time out.
	ReadTimeout time.Duration
	// Debug logs every query to stderr (bundebug).
	Debug bool
	// AppName is shown in pg_stat_activity.
	AppName string
}

// Open connects to PostgreSQL at dsn and checks the connection. dsn must
// already be validated (config.FromEnv does that): pgdriver panics on a
// malformed one, which Open turns into an error just in case.
func Open(ctx context.Context, dsn string, o Options) (_ *bun.DB, err error) {
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 10
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 10 * time.Second
	}
	if o.AppName == "" {
		o.AppName = "dynamicmotion"
	}
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("database URL is malformed") // the panic text may quote the password
		}
	}()
	connector := pgdriver.NewConnector(
		pgdriver.WithDSN(dsn),
		pgdriver.WithReadTimeout(o.ReadTimeout),
		pgdriver.WithApplicationName(o.AppName),
		pgdriver.WithConnParams(map[string]any{"TimeZone": "UTC"}),
	)
	sqldb := sql.OpenDB(connector)
	sqldb.SetMaxOpenConns(o.MaxOpenConns)
	sqldb.SetMaxIdleConns(o.MaxOpenConns)
	sqldb.SetConnMaxLifetime(10 * time.Minute)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)

	bdb := bun.NewDB(sqldb, pgdialect.New())
	if o.Debug {
		bdb.AddQueryHook(bundebug.NewQueryHook(bundebug.WithVerbose(true)))
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bdb.PingContext(pingCtx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return bdb, nil
}
