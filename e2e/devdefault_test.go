package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// devReadyTimeout allows for initdb, migrations and the seed on a first
	// `go run .` without DATABASE_URL.
	devReadyTimeout = 60 * time.Second
	// devStopTimeout allows for the drain and stopping the private server.
	devStopTimeout = 15 * time.Second
)

// TestDevelopmentDefault: what the README promises for `go run .` with
// DATABASE_URL unset. In an empty directory the binary starts its own
// PostgreSQL under ./data, migrates, seeds and serves the site; SIGINT stops
// the site and that server; a second run finds the data again. As root the
// directory is a 0700 t.TempDir(), which user postgres (the server's user)
// cannot enter: the cluster must then live elsewhere, and ./data say where.
func TestDevelopmentDefault(t *testing.T) {
	work := t.TempDir()
	dataDir := filepath.Join(work, "data")
	// Registered after t.TempDir, so it runs before the directory goes.
	t.Cleanup(func() { cleanUpCluster(t, dataDir) })

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://127.0.0.1:" + strconv.Itoa(port)
	env := siteEnv(map[string]string{ // siteEnv drops DATABASE_URL and DIRECT_DATABASE_URL
		"PORT":      strconv.Itoa(port),
		"BASE_URL":  origin,
		"LOG_LEVEL": "info",
	})

	// First run: a fresh cluster.
	start := time.Now()
	srv := startDev(t, work, env, origin)
	t.Logf("first run ready %s after start (initdb, migrate, seed)", time.Since(start).Round(time.Millisecond))
	log := srv.log.String()
	for _, want := range []string{"dev postgres: initialising cluster", "dev postgres: started", "migrations applied"} {
		if !strings.Contains(log, want) {
			t.Errorf("the first run's log has no %q:\n%s", want, log)
		}
	}
	home := clusterHome(t, dataDir, log)
	t.Logf("the cluster is in %s", home)
	checkHome(t, origin)
	stopDev(t, srv, home)

	// Second run in the same directory: the same cluster, data kept.
	start = time.Now()
	srv = startDev(t, work, env, origin)
	t.Logf("second run ready %s after start", time.Since(start).Round(time.Millisecond))
	log = srv.log.String()
	if strings.Contains(log, "initialising cluster") {
		t.Errorf("the second run initialised a new cluster: the data of the first is lost:\n%s", log)
	}
	if !strings.Contains(log, "dev postgres: started") {
		t.Errorf("the second run did not start the server itself (was the first one's left running?):\n%s", log)
	}
	if strings.Contains(log, "migrations applied") || strings.Contains(log, "created database") {
		t.Errorf("the second run migrated or created the database again: the data of the first is lost:\n%s", log)
	}
	if again := clusterHome(t, dataDir, log); again != home {
		t.Errorf("the second run keeps the cluster in %s, the first kept it in %s", again, home)
	}
	checkHome(t, origin)
	stopDev(t, srv, home)
}

// startDev starts `serve` in dir and stops it (if still running) when the
// test ends.
func startDev(t *testing.T, dir string, env []string, origin string) *server {
	t.Helper()
	srv, err := startServer(binPath, dir, env, origin, devReadyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-srv.exited:
		default:
			srv.cmd.Process.Kill() //nolint:errcheck // the test failed before stopping it
			<-srv.exited
		}
	})
	return srv
}

// stopDev sends SIGINT and requires exit status 0 within devStopTimeout, and
// no PostgreSQL server left running on the cluster in home.
func stopDev(t *testing.T, srv *server, home string) {
	t.Helper()
	start := time.Now()
	if err := srv.stop(devStopTimeout); err != nil {
		t.Fatalf("%v; its log:\n%s", err, srv.log.String())
	}
	t.Logf("stopped %s after SIGINT", time.Since(start).Round(time.Millisecond))
	if log := srv.log.String(); !strings.Contains(log, "dev postgres: stopped") {
		t.Errorf("the log does not say the private server was stopped:\n%s", lastLines(log, 15))
	}
	pgdata := filepath.Join(home, "pgdata")
	if _, err := os.Stat(filepath.Join(pgdata, "postmaster.pid")); err == nil {
		t.Errorf("%s/postmaster.pid is still there after the site stopped: the private server runs on", pgdata)
	}
	if _, err := os.Stat(filepath.Join(home, "run", ".s.PGSQL.5432")); err == nil {
		t.Errorf("the socket %s/run/.s.PGSQL.5432 is still there after the site stopped", home)
	}
	var left []int
	// PostgreSQL's processes are not this test's children (no Wait): their
	// end is polled for.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if left = processesMentioning(pgdata); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("processes %v still run on %s after the site stopped: the private server was left running", left, pgdata)
	}
}

// checkHome asks for the home page: served from the seeded database.
func checkHome(t *testing.T, origin string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(origin + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading GET /: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / answered %s, want 200", resp.Status)
	}
	if !bytes.Contains(body, []byte("Dynamic Motion Sports Therapy")) {
		t.Errorf("GET / does not name the practice, Dynamic Motion Sports Therapy")
	}
	if !bytes.Contains(body, []byte(">example<")) {
		t.Errorf("GET / shows no \"example\" label: the demo content was not seeded")
	}
}

// clusterHome is the directory holding the cluster of dataDir: dataDir
// itself, or the place named in its WHERE-IS-THE-DATABASE.txt. As root the
// test's directory is out of user postgres's reach, so it must be elsewhere.
func clusterHome(t *testing.T, dataDir, log string) string {
	t.Helper()
	note, err := os.ReadFile(filepath.Join(dataDir, "WHERE-IS-THE-DATABASE.txt"))
	if os.IsNotExist(err) {
		if os.Geteuid() == 0 {
			t.Fatalf("as root, with %s out of reach of user postgres, %s has no WHERE-IS-THE-DATABASE.txt", dataDir, dataDir)
		}
		return dataDir
	} else if err != nil {
		t.Fatal(err)
	}
	p := notedHome(dataDir)
	if p == "" {
		t.Fatalf("WHERE-IS-THE-DATABASE.txt names no directory:\n%s", note)
	}
	if !strings.Contains(log, "keeping the cluster in "+p) {
		t.Errorf("WHERE-IS-THE-DATABASE.txt names %s, but the log does not say it keeps the cluster there:\n%s", p, log)
	}
	if _, err := os.Stat(filepath.Join(p, "pgdata", "PG_VERSION")); err != nil {
		t.Errorf("WHERE-IS-THE-DATABASE.txt names %s, which holds no cluster: %v", p, err)
	}
	return p
}

// notedHome returns the directory dataDir's WHERE-IS-THE-DATABASE.txt names
// (the line that is an absolute path), or "".
func notedHome(dataDir string) string {
	note, err := os.ReadFile(filepath.Join(dataDir, "WHERE-IS-THE-DATABASE.txt"))
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(note), "\n") {
		if p := strings.TrimSpace(line); filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
	}
	return ""
}

// processesMentioning returns the PIDs of processes whose command line
// contains s (Linux /proc; none elsewhere).
func processesMentioning(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cleanUpCluster makes sure no server is left running on the cluster of
// dataDir and removes the cluster when it was kept outside dataDir (and its
// parent, /var/lib/dynamicmotion-dev, when that is then empty).
func cleanUpCluster(t *testing.T, dataDir string) {
	home := notedHome(dataDir)
	if home == "" {
		home = dataDir
	}
	pgdata := filepath.Join(home, "pgdata")
	if b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid")); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGQUIT) //nolint:errcheck // immediate shutdown; it may be gone already
		}
	}
	for deadline := time.Now().Add(10 * time.Second); len(processesMentioning(pgdata)) > 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond) // not our children: their end is polled for
	}
	if home != dataDir {
		if err := os.RemoveAll(home); err != nil {
			t.Errorf("removing the cluster in %s: %v", home, err)
		}
		if parent := filepath.Dir(home); filepath.Base(parent) == "dynamicmotion-dev" {
			os.Remove(parent) // only when empty: a real `go run .` may keep its data there too
		}
	}
}
