package devpg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was logged since the last take.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// take returns what was logged since the last call.
func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// baseDir makes a directory the postgres user can reach even when the test
// runs as root (t.TempDir() is 0700), removed after the test.
func baseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "devpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// psql runs sql on the database the pgdriver URL dsn names, using libpq's
// notion of host (the socket directory) and port (from the socket file name).
func psql(t *testing.T, dsn, sql string) (string, error) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	sock := u.Query().Get("host")
	if !strings.HasPrefix(sock, "/") || !strings.HasPrefix(filepath.Base(sock), ".s.PGSQL.") {
		t.Fatalf("DSN %s: host %q is not a socket file path", dsn, sock)
	}
	port := strings.TrimPrefix(filepath.Base(sock), ".s.PGSQL.")
	cmd := exec.Command("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", filepath.Dir(sock), "-p", port, "-U", u.User.Username(), "-d", u.Path[1:], "-c", sql)
	cmd.Env = childEnv(nil)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func mustPsql(t *testing.T, dsn, sql string) string {
	t.Helper()
	out, err := psql(t, dsn, sql)
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return out
}

func start(t *testing.T, ctx context.Context, dir string, logger *slog.Logger) *Server {
	t.Helper()
	s, err := Start(ctx, dir, "dynamicmotion", logger)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return s
}

func TestLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dir := filepath.Join(baseDir(t), "dev data") // a space needs quoting

	// First start: initdb, start, create the database.
	s1 := start(t, ctx, dir, logger)
	got := logs.take()
	for _, want := range []string{"dev postgres: initialising cluster", "dev postgres: started", "dev postgres: created database"} {
		if !strings.Contains(got, want) {
			t.Errorf("first start logged no %q:\n%s", want, got)
		}
	}
	u, err := url.Parse(s1.DSN())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "run", ".s.PGSQL.5432"); u.Scheme != "postgres" || u.User.Username() != "postgres" ||
		u.Host != "" || u.Path != "/dynamicmotion" || u.Query().Get("host") != want || u.Query().Get("sslmode") != "disable" {
		t.Errorf("DSN() = %s, want postgres://postgres@/dynamicmotion?host=%s&sslmode=disable", s1.DSN(), want)
	}
	if got := mustPsql(t, s1.DSN(), "select current_database()"); got != "dynamicmotion" {
		t.Errorf("current_database() = %q", got)
	}
	mustPsql(t, s1.DSN(), "create table kept (x int); insert into kept values (42)")
	if got := mustPsql(t, s1.DSN(), "show listen_addresses"); got != "" {
		t.Errorf("listen_addresses = %q, want empty (socket only)", got)
	}

	// A second Start while it runs reuses it, and its Stop leaves it running.
	s2 := start(t, ctx, dir, logger)
	if got := logs.take(); !strings.Contains(got, "dev postgres: using running server") || !strings.Contains(got, "dev postgres: database exists") {
		t.Errorf("second start logged:\n%s", got)
	}
	if s2.DSN() != s1.DSN() {
		t.Errorf("second DSN %s != first %s", s2.DSN(), s1.DSN())
	}
	if err := s2.Stop(ctx); err != nil {
		t.Fatalf("Stop of reused server: %v", err)
	}
	if got := mustPsql(t, s1.DSN(), "select count(*) from kept"); got != "1" {
		t.Errorf("after reused Stop: count = %q", got)
	}

	// Keep the pid file to fake a crash later.
	pidFile := filepath.Join(dir, "pgdata", "postmaster.pid")
	pidData, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}

	if err := s1.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got := logs.take(); !strings.Contains(got, "dev postgres: stopped") {
		t.Errorf("Stop logged:\n%s", got)
	}
	if err := s1.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if out, err := psql(t, s1.DSN(), "select 1"); err == nil {
		t.Fatalf("server still answers after Stop: %s", out)
	}

	// A crash leaves postmaster.pid behind, naming a process that is gone.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(pidData), "\n")
	writeOwned(t, pidFile, strconv.Itoa(dead.Process.Pid)+"\n"+rest)

	// Start again: starts despite the stale pid file, and the data is kept.
	s3 := start(t, ctx, dir, logger)
	if got := logs.take(); strings.Contains(got, "initialising") || !strings.Contains(got, "dev postgres: started") {
		t.Errorf("restart logged:\n%s", got)
	}
	if got := mustPsql(t, s3.DSN(), "select x from kept"); got != "42" {
		t.Errorf("after restart: x = %q, want 42", got)
	}
	if err := s3.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestCommaInPath: libpq reads a host with a comma as a list, so such a
// directory gets its socket in the hashed directory.
func TestCommaInPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join(baseDir(t), "a,b")
	t.Cleanup(func() { os.RemoveAll(shortSocketDir(dir)) })
	s := start(t, ctx, dir, nil)
	if got := mustPsql(t, s.DSN(), "select current_database()"); got != "dynamicmotion" {
		t.Errorf("current_database() = %q", got)
	}
	if sock := filepath.Join(shortSocketDir(dir), ".s.PGSQL.5432"); !strings.Contains(s.DSN(), "host="+sock+"&") {
		t.Errorf("DSN %s does not use socket %s", s.DSN(), sock)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// writeOwned writes a file owned like its directory (the server's user).
func writeOwned(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if err := os.Chown(path, int(st.Uid), int(st.Gid)); err != nil {
		t.Fatal(err)
	}
}

func TestNoServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := libRoot
	libRoot = t.TempDir()
	t.Cleanup(func() { libRoot = old })

	dir := filepath.Join(t.TempDir(), "pg")
	_, err := Start(context.Background(), dir, "dynamicmotion", nil)
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("Start without binaries: %v, want ErrNoServer", err)
	}
	want := "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install them " +
		"(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("Start created %s although it failed", dir)
	}
}

func TestNewestLibVersion(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := libRoot
	libRoot = t.TempDir()
	t.Cleanup(func() { libRoot = old })

	fake := func(version string, names ...string) {
		bin := filepath.Join(libRoot, version, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(bin, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := []string{"initdb", "pg_ctl", "postgres", "createdb"}
	fake("9", all...)
	fake("9.6", all...)
	fake("15", all...)
	fake("17", "initdb", "pg_ctl") // incomplete: skipped
	fake("notaversion", all...)

	b, err := findBinaries()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(libRoot, "15", "bin"); filepath.Dir(b.initdb) != want || filepath.Dir(b.pgCtl) != want ||
		filepath.Dir(b.postgres) != want || filepath.Dir(b.createdb) != want {
		t.Errorf("found %+v, want all in %s", b, want)
	}

	fake("17", "postgres", "createdb")
	if b, err = findBinaries(); err != nil || filepath.Dir(b.initdb) != filepath.Join(libRoot, "17", "bin") {
		t.Errorf("with 17 complete found %+v, %v", b, err)
	}
}

func TestLongPathSocketDir(t *testing.T) {
	base := baseDir(t)
	short := filepath.Join(base, "short")
	if err := os.Mkdir(short, 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := socketDir(short, nil)
	if err != nil || got != filepath.Join(short, "run") {
		t.Errorf("socketDir(%s) = %s, %v; want its run dir", short, got, err)
	}

	long := filepath.Join(base, strings.Repeat("x", 100))
	got, err = socketDir(long, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(got) })
	if sock := filepath.Join(got, ".s.PGSQL.5432"); len(sock) > maxSocketPath {
		t.Errorf("socket %s is longer than %d bytes", sock, maxSocketPath)
	}
	if again, err := socketDir(long, nil); err != nil || again != got {
		t.Errorf("second socketDir = %s, %v; want %s", again, err, got)
	}
	if other, _ := socketDir(long+"y", nil); other == got {
		t.Errorf("different dirs share socket dir %s", got)
	} else if other != "" {
		os.Remove(other)
	}
}

// forgetAltHome removes the alternative cluster place p (and altRoot, if that
// is then empty) when the test ends, after the servers' own cleanups.
func forgetAltHome(t *testing.T, p string) {
	t.Helper()
	t.Cleanup(func() {
		if err := os.RemoveAll(p); err != nil {
			t.Errorf("removing %s: %v", p, err)
		}
		os.Remove(altRoot) // only when empty: a real `go run .` may keep its data there
	})
}

// TestRootUnreachableParent: as root, the server runs as user postgres, which
// cannot enter a 0700 directory of root. The cluster then lives in
// altRoot/HASH, the same place on every start, and the directory says where.
func TestRootUnreachableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only as root does the server run as another user")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	parent := t.TempDir() // 0700, owned by root
	dir := filepath.Join(parent, "pg")
	sum := sha256.Sum256([]byte(dir))
	alt := filepath.Join("/var/lib/dynamicmotion-dev", hex.EncodeToString(sum[:])[:12])
	forgetAltHome(t, alt)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	s1 := start(t, ctx, dir, logger)
	got := logs.take()
	moved := "dev postgres: " + dir + " is not reachable by the postgres user; keeping the cluster in " + alt
	for _, want := range []string{moved, "dev postgres: initialising cluster", "dev postgres: started"} {
		if !strings.Contains(got, want) {
			t.Errorf("first start logged no %q:\n%s", want, got)
		}
	}
	if got := mustPsql(t, s1.DSN(), "select 1"); got != "1" {
		t.Errorf("select 1 = %q", got)
	}
	if sock := filepath.Join(alt, "run", ".s.PGSQL.5432"); !strings.Contains(s1.DSN(), "host="+sock+"&") {
		t.Errorf("DSN %s does not use socket %s", s1.DSN(), sock)
	}
	for _, p := range []string{"pgdata/PG_VERSION", "postgres.log", "owner.pid"} {
		if _, err := os.Stat(filepath.Join(alt, p)); err != nil {
			t.Errorf("the cluster's %s is not in %s: %v", p, alt, err)
		}
	}
	for _, p := range []string{"pgdata", "run", "postgres.log"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s has a %s, want it only in %s", dir, p, alt)
		}
	}
	note, err := os.ReadFile(filepath.Join(dir, "WHERE-IS-THE-DATABASE.txt"))
	if err != nil || !strings.Contains(string(note), "\n    "+alt+"\n") || !strings.Contains(string(note), "cannot enter /") {
		t.Errorf("WHERE-IS-THE-DATABASE.txt does not name %s and why (%v):\n%s", alt, err, note)
	}
	mustPsql(t, s1.DSN(), "create table kept (x int); insert into kept values (42)")
	if err := s1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(alt, "owner.pid")); err == nil {
		t.Errorf("Stop left %s/owner.pid behind", alt)
	}

	// The same directory maps to the same place: the data is still there.
	s2 := start(t, ctx, dir, logger)
	if got := logs.take(); !strings.Contains(got, moved) || strings.Contains(got, "initialising") {
		t.Errorf("second start logged:\n%s", got)
	}
	if s2.DSN() != s1.DSN() {
		t.Errorf("second DSN %s != first %s", s2.DSN(), s1.DSN())
	}
	if got := mustPsql(t, s2.DSN(), "select x from kept"); got != "42" {
		t.Errorf("after restart: x = %q, want 42", got)
	}
	if err := s2.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// Once the directory becomes reachable, the data is not abandoned.
	for _, p := range []string{parent, filepath.Dir(parent)} { // t.TempDir() and its parent are 0700
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s3 := start(t, ctx, dir, logger)
	if got := logs.take(); !strings.Contains(got, "keeping the cluster in "+alt+", where an earlier run put it") ||
		strings.Contains(got, "initialising") {
		t.Errorf("start with %s reachable logged:\n%s", dir, got)
	}
	if got := mustPsql(t, s3.DSN(), "select x from kept"); got != "42" {
		t.Errorf("with %s reachable: x = %q, want 42", dir, got)
	}
	if err := s3.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRootUnreachableParentFallback: when altRoot cannot be created, the
// cluster goes to os.TempDir().
func TestRootUnreachableParentFallback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only as root does the server run as another user")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := altRoot
	altRoot = filepath.Join(file, "dynamicmotion-dev") // a path under a file cannot be made
	t.Cleanup(func() { altRoot = old })

	dir := filepath.Join(t.TempDir(), "pg")
	sum := sha256.Sum256([]byte(dir))
	alt := filepath.Join(os.TempDir(), "dynamicmotion-dev-"+hex.EncodeToString(sum[:])[:12])
	forgetAltHome(t, alt)
	var logs syncBuffer
	s := start(t, ctx, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if got := logs.take(); !strings.Contains(got, "keeping the cluster in "+alt) {
		t.Errorf("start logged:\n%s", got)
	}
	if got := mustPsql(t, s.DSN(), "select 1"); got != "1" {
		t.Errorf("select 1 = %q", got)
	}
	if _, err := os.Stat(filepath.Join(alt, "pgdata", "PG_VERSION")); err != nil {
		t.Errorf("no cluster in %s: %v", alt, err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// crash makes s behave as if its process had been SIGKILLed: its Stop does
// nothing, so the server keeps running.
func crash(s *Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
}

func readOwner(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestAdoptAfterCrash: a server whose starter died (owner.pid names a process
// that is gone, or there is no owner.pid) is adopted by the next Start, whose
// Stop then stops it.
func TestAdoptAfterCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dir := filepath.Join(baseDir(t), "pg")
	me := strconv.Itoa(os.Getpid())

	for _, tc := range []struct {
		name  string
		owner func() // leaves owner.pid as a crash would
	}{
		{"owner gone", func() {
			dead := exec.Command("true")
			if err := dead.Run(); err != nil {
				t.Fatal(err)
			}
			writeOwned(t, filepath.Join(dir, "owner.pid"), strconv.Itoa(dead.Process.Pid)+"\n")
		}},
		{"no owner.pid", func() {
			if err := os.Remove(filepath.Join(dir, "owner.pid")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		s1 := start(t, ctx, dir, logger)
		if got := logs.take(); !strings.Contains(got, "dev postgres: started") {
			t.Fatalf("%s: first start logged:\n%s", tc.name, got)
		}
		if got := readOwner(t, dir); got != me {
			t.Errorf("%s: after start owner.pid = %q, want our PID %s", tc.name, got, me)
		}
		crash(s1)
		tc.owner()

		s2 := start(t, ctx, dir, logger)
		if got := logs.take(); !strings.Contains(got, "dev postgres: adopted running server") {
			t.Errorf("%s: start after the crash logged:\n%s", tc.name, got)
		}
		if got := readOwner(t, dir); got != me {
			t.Errorf("%s: after adoption owner.pid = %q, want our PID %s", tc.name, got, me)
		}
		if err := s2.Stop(ctx); err != nil {
			t.Fatalf("%s: Stop: %v", tc.name, err)
		}
		if got := logs.take(); !strings.Contains(got, "dev postgres: stopped") {
			t.Errorf("%s: Stop of the adopted server logged:\n%s", tc.name, got)
		}
		if out, err := psql(t, s2.DSN(), "select 1"); err == nil {
			t.Errorf("%s: the adopted server still answers after Stop: %s", tc.name, out)
		}
		if got := readOwner(t, dir); got != "" {
			t.Errorf("%s: Stop left owner.pid = %q", tc.name, got)
		}
	}
}

// TestLiveOwnerKeepsServer: a server whose starter still runs (another
// `go run .`) is used but not stopped.
func TestLiveOwnerKeepsServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dir := filepath.Join(baseDir(t), "pg")

	s1 := start(t, ctx, dir, logger) // stops the server when the test ends
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		other.Process.Kill()
		other.Wait()
	})
	pid := strconv.Itoa(other.Process.Pid)
	writeOwned(t, filepath.Join(dir, "owner.pid"), pid+"\n")
	logs.take()

	s2 := start(t, ctx, dir, logger)
	if got := logs.take(); !strings.Contains(got, "dev postgres: using running server") || !strings.Contains(got, "owner_pid="+pid) {
		t.Errorf("start beside a live owner logged:\n%s", got)
	}
	if err := s2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := logs.take(); !strings.Contains(got, "left running") {
		t.Errorf("Stop beside a live owner logged:\n%s", got)
	}
	if got := mustPsql(t, s1.DSN(), "select 1"); got != "1" {
		t.Errorf("after Stop beside a live owner: select 1 = %q", got)
	}
	if got := readOwner(t, dir); got != pid {
		t.Errorf("owner.pid = %q, want the live owner %s", got, pid)
	}
}

// The very first start stopped half-way through initdb (Ctrl-C a second
// after `go run .`) leaves nothing that passes for a cluster: the next start
// makes a whole one, in which PL/pgSQL (which the job queue's migrations
// need) exists.
func TestInterruptedInitdb(t *testing.T) {
	dir := filepath.Join(baseDir(t), "interrupted")
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelled once initdb is under way: its bootstrap step has written
	// the control file into the unfinished cluster, and the longer
	// post-bootstrap step is still to come. initdb announces no steps to
	// wait on, so the file is polled for (until Start returns).
	midway := filepath.Join(dir, "pgdata.initdb", "global", "pg_control")
	returned := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := os.Stat(midway); err == nil {
				cancel()
				return
			}
			select {
			case <-returned:
				return
			case <-tick.C:
			}
		}
	}()
	first, err := Start(ctx, dir, "dynamicmotion", logger)
	close(returned)
	<-watched
	cancel()
	if err == nil {
		// initdb was quicker than the signal: nothing to test here but
		// that the cluster is whole, as below.
		t.Log("initdb finished before it could be interrupted")
		stopCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
		defer stop()
		first.Stop(stopCtx)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel2()
	s := start(t, ctx2, dir, logger)
	mustPsql(t, s.DSN(), "create function f() returns int language plpgsql as $$ begin return 1; end $$")
	if got := mustPsql(t, s.DSN(), "select f()"); got != "1" {
		t.Errorf("select f() = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgdata.initdb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the unfinished cluster's folder is still there (%v)", err)
	}
}
