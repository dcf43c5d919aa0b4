package db_test

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/db/migrations"
)

// allMigrations lists the names bun gives the embedded migrations ("0001",
// "0002", …), in order, straight from the files.
// bunOnly drops the job queue's migrations (named river_NNN_…) from names;
// riverOnly keeps only those.
func bunOnly(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return strings.HasPrefix(n, "river_") })
}

func riverOnly(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !strings.HasPrefix(n, "river_") })
}

func allMigrations(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\d{1,14})_[0-9a-z_-]+\.(tx\.)?up\.sql$`)
	var names []string
	for _, f := range files {
		m := re.FindStringSubmatch(f)
		if m == nil {
			t.Fatalf("migration file %q does not follow NNNN_name[.tx].up.sql", f)
		}
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatal("no migrations embedded")
	}
	slices.Sort(names)
	return names
}

// appliedCounts maps each recorded migration name to how often it is recorded.
func appliedCounts(t *testing.T, bdb *bun.DB) map[string]int {
	t.Helper()
	rows, err := bdb.QueryContext(context.Background(), "SELECT name, count(*) FROM bun_migrations GROUP BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		got[name] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func once(names []string) map[string]int {
	m := map[string]int{}
	for _, n := range names {
		m[n] = 1
	}
	return m
}

func tableExists(t *testing.T, bdb *bun.DB, table string) bool {
	t.Helper()
	var exists bool
	if err := bdb.QueryRowContext(context.Background(), "SELECT to_regclass(?) IS NOT NULL", table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

var schemaTables = []string{"sessions", "business_settings", "services", "admins"}

func TestMigrateOnAnEmptyDatabaseAppliesEverythingOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb, _ := freshDB(t, db.Options{MaxOpenConns: 3})
	all := allMigrations(t)

	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if diff := cmp.Diff(all, bunOnly(applied)); diff != "" {
		t.Errorf("first Migrate applied (-want +got):\n%s", diff)
	}
	if river := riverOnly(applied); len(river) == 0 || !tableExists(t, bdb, "river_job") {
		t.Errorf("the job queue's tables were not created (applied %v)", river)
	}
	pending, err := db.PendingMigrations(ctx, bdb)
	if err != nil {
		t.Fatalf("PendingMigrations: %v", err)
	}
	if len(pending) != 0 {
		t.Errorf("pending after Migrate: %v", pending)
	}
	for _, table := range schemaTables {
		if !tableExists(t, bdb, table) {
			t.Errorf("table %s missing after Migrate", table)
		}
	}

	again, err := db.Migrate(ctx, bdb)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", again)
	}
	if diff := cmp.Diff(once(all), appliedCounts(t, bdb)); diff != "" {
		t.Errorf("bun_migrations rows per name (-want +got):\n%s", diff)
	}
}

// Several machines start at once and each runs the release migration: the
// advisory lock makes them take turns, so all succeed and each migration
// runs exactly once.
func TestConcurrentMigrateRunsEachMigrationOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first, dsn := freshDB(t, db.Options{MaxOpenConns: 3})
	all := allMigrations(t)

	const instances = 4
	pools := []*bun.DB{first}
	for range instances - 1 {
		pools = append(pools, openDB(t, dsn, db.Options{MaxOpenConns: 3}))
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []string
		errs    []error
	)
	for _, p := range pools {
		wg.Go(func() {
			names, err := db.Migrate(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			applied = append(applied, names...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent Migrate: %v", err)
	}
	slices.Sort(applied)
	river := riverOnly(applied)
	if len(river) == 0 || len(slices.Compact(slices.Clone(river))) != len(river) {
		t.Errorf("job queue migrations across all instances: %v, want each once", river)
	}
	if diff := cmp.Diff(all, bunOnly(applied)); diff != "" {
		t.Errorf("migrations applied across all instances (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(once(all), appliedCounts(t, first)); diff != "" {
		t.Errorf("bun_migrations rows per name (-want +got):\n%s", diff)
	}
}

// The readiness check treats "no pending migrations" as ready: a database
// that was never migrated must not look ready.
func TestPendingMigrationsOnAnUninitialisedDatabaseIsNotReady(t *testing.T) {
	t.Parallel()
	bdb, _ := freshDB(t, db.Options{})
	pending, err := db.PendingMigrations(context.Background(), bdb)
	if err == nil && len(pending) == 0 {
		t.Fatal("PendingMigrations on an empty database reports nothing pending and no error")
	}
	if err == nil && !cmp.Equal(pending, allMigrations(t)) {
		t.Errorf("PendingMigrations = %v, want every migration", pending)
	}
	t.Logf("PendingMigrations on an empty database: %v, %v", pending, err)
}

func TestPendingMigrationsOnTheMigratedDatabaseIsEmpty(t *testing.T) {
	pending, err := db.PendingMigrations(context.Background(), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("pending: %v", pending)
	}
}

// db.Migrate uses migrate.WithMarkAppliedOnSuccess(true): a migration that
// fails is not recorded, so the next run retries it instead of skipping it.
// The failure is provoked for real: a table that the last migration creates
// already exists.
func TestFailedMigrationIsNotMarkedApplied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb, _ := freshDB(t, db.Options{MaxOpenConns: 3})
	all := allMigrations(t)
	failing := slices.Index(all, "0003") // 0003_admins creates the admins table
	if failing < 0 {
		t.Fatal("migration 0003 (admins) not found")
	}
	if _, err := bdb.ExecContext(ctx, "CREATE TABLE admins (x int)"); err != nil {
		t.Fatal(err)
	}

	applied, err := db.Migrate(ctx, bdb)
	if err == nil {
		t.Fatal("Migrate succeeded although admins already existed")
	}
	wantApplied := all[:failing]
	if diff := cmp.Diff(once(wantApplied), appliedCounts(t, bdb), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("recorded migrations after the failure (-want +got):\n%s", diff)
	}
	pending, perr := db.PendingMigrations(ctx, bdb)
	if perr != nil {
		t.Fatal(perr)
	}
	if diff := cmp.Diff(all[failing:], bunOnly(pending)); diff != "" {
		t.Errorf("pending after the failure (-want +got):\n%s", diff)
	}
	// Migrate documents that it returns the names it applied; main logs
	// them as "migrations applied".
	if diff := cmp.Diff(wantApplied, applied, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("names returned by the failed Migrate (-want +got):\n%s", diff)
	}

	// Once the obstacle is gone, the next run applies the rest.
	if _, err := bdb.ExecContext(ctx, "DROP TABLE admins"); err != nil {
		t.Fatal(err)
	}
	applied, err = db.Migrate(ctx, bdb)
	if err != nil {
		t.Fatalf("Migrate after the fix: %v", err)
	}
	if diff := cmp.Diff(all[failing:], bunOnly(applied)); diff != "" {
		t.Errorf("applied after the fix (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(once(all), appliedCounts(t, bdb)); diff != "" {
		t.Errorf("bun_migrations rows per name (-want +got):\n%s", diff)
	}
}

// Every .down.sql undoes its .up.sql: roll the whole schema back and apply
// it again.
func TestMigrationsRollBackCleanly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb, _ := freshDB(t, db.Options{MaxOpenConns: 3})
	if _, err := db.Migrate(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrations.FS); err != nil {
		t.Fatal(err)
	}
	m := migrate.NewMigrator(bdb, ms, migrate.WithMarkAppliedOnSuccess(true))
	for {
		group, err := m.Rollback(ctx)
		if err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if group.IsZero() {
			break
		}
	}
	for _, table := range schemaTables {
		if tableExists(t, bdb, table) {
			t.Errorf("table %s still exists after rolling everything back", table)
		}
	}
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		t.Fatalf("Migrate after rollback: %v", err)
	}
	if diff := cmp.Diff(allMigrations(t), bunOnly(applied)); diff != "" {
		t.Errorf("re-applied (-want +got):\n%s", diff)
	}
}

// While another instance holds the migration lock, Migrate waits and
// changes nothing; once the lock is free it runs.
func TestMigrateWaitsForTheMigrationLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb, dsn := freshDB(t, db.Options{MaxOpenConns: 3})
	other := openDB(t, dsn, db.Options{MaxOpenConns: 1})
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(db.MigrationLockKey)); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { _, err := db.Migrate(ctx, bdb); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Migrate returned (%v) while another instance held the lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	var tables int
	if err := bdb.NewRaw("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d tables were created while the lock was held, want none", tables)
	}

	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?)", int64(db.MigrationLockKey)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Migrate after the lock was released: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Migrate did not run after the lock was released")
	}
}
