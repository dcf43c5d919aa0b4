package db

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"dynamicmotion/db/migrations"
)

// MigrationLockKey is the pg_advisory_lock key that serialises migrations
// between instances starting at the same time ("dm-migr" in ASCII).
const MigrationLockKey = 0x646d2d6d69677200

func newMigrator(bdb *bun.DB) (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrations.FS); err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	return migrate.NewMigrator(bdb, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Migrate applies every pending migration and returns the names it applied.
// It holds a PostgreSQL advisory lock for the whole run, so instances that
// start together take turns instead of racing (bun's own lock is a table
// row that a crash leaves behind). The lock holds one connection of bdb's
// pool while bun uses another, so the pool needs at least two.
func Migrate(ctx context.Context, bdb *bun.DB) ([]string, error) {
	m, err := newMigrator(bdb)
	if err != nil {
		return nil, err
	}
	// Session-level advisory locks belong to one connection: hold one.
	conn, err := bdb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(MigrationLockKey)); err != nil {
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(MigrationLockKey)) //nolint:errcheck // the lock also ends with the connection

	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("creating migration tables: %w", err)
	}
	group, err := m.Migrate(ctx)
	var names []string
	for _, mg := range group.Migrations {
		names = append(names, mg.Name)
	}
	if err != nil {
		// bun lists the migration that failed in the group; it was not applied.
		if len(names) > 0 {
			names = names[:len(names)-1]
		}
		return names, fmt.Errorf("migrating: %w", err)
	}
	// The job queue's own tables (package jobs), at the version the River
	// library in go.mod expects, under the same lock.
	rm, err := rivermigrate.New(riverdatabasesql.New(bdb.DB), &rivermigrate.Config{Logger: quietLogger})
	if err != nil {
		return names, err
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return names, fmt.Errorf("migrating the job queue: %w", err)
	}
	for _, v := range res.Versions {
		names = append(names, fmt.Sprintf("river_%03d_%s", v.Version, v.Name))
	}
	return names, nil
}

// quietLogger drops River's migration chatter; Migrate reports what it applied.
var quietLogger = slog.New(slog.DiscardHandler)

// PendingMigrations returns the names of embedded migrations that the
// database has not applied yet; an empty result means the schema is current.
func PendingMigrations(ctx context.Context, bdb *bun.DB) ([]string, error) {
	m, err := newMigrator(bdb)
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := bdb.NewRaw("SELECT to_regclass('bun_migrations') IS NOT NULL").Scan(ctx, &exists); err != nil {
		return nil, err
	}
	if !exists { // never migrated: everything is pending
		all, err := migrations.All()
		if err != nil {
			return nil, err
		}
		return all, nil
	}
	all, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, mg := range all.Unapplied() {
		names = append(names, mg.Name)
	}
	// The job queue's tables.
	rm, err := rivermigrate.New(riverdatabasesql.New(bdb.DB), &rivermigrate.Config{Logger: quietLogger})
	if err != nil {
		return nil, err
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return nil, err
	}
	for _, v := range res.Versions {
		names = append(names, fmt.Sprintf("river_%03d_%s", v.Version, v.Name))
	}
	return names, nil
}
