// Package e2e drives a real headless Chromium against the real dynamicmotion
// binary, started on a fresh PostgreSQL database, and checks what a visitor
// relies on: pages that load cleanly under the site's strict CSP, a keyboard
// path to the booking page, and layouts that fit a phone.
//
// TestMain builds the binary once, runs `migrate` and `seed` against an empty
// database, serves the site on a free loopback port and stops it with SIGINT
// at the end, so the subcommands and the graceful shutdown are under test too.
//
// Run it with `go test ./e2e/` (as root, Chromium runs with --no-sandbox). Set
// E2E_SCREENSHOTS=<dir> to keep screenshots of the home page for a person to
// look at.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dynamicmotion/db/dbtest"
)

const (
	readyTimeout    = 20 * time.Second // from `serve` to GET /readyz answering 200
	shutdownTimeout = 5 * time.Second  // Fly's kill_timeout: SIGINT, then SIGKILL
	chromiumMissing = "chromium not found ($CHROME_BIN, chromium or chromium-browser on PATH, /usr/bin/chromium): " +
		"run `make test`, which installs it, or apt-get install chromium"
)

var (
	// baseURL is the origin of the running site, such as http://127.0.0.1:41234.
	baseURL string
	// chromePath is the Chromium binary the tests drive.
	chromePath string
	// binPath is the dynamicmotion binary built for the run.
	binPath string
	// databaseURL is the database the site runs on, for tests that start
	// a second instance of it.
	databaseURL string
)

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

// runSuite sets up the binary, the database and the server around the tests
// and returns the process exit code. Any failure outside the tests themselves
// prints one explanation and makes the run fail; nothing is skipped.
func runSuite(m *testing.M) (code int) {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
		return 1
	}

	if chromePath = findChromium(); chromePath == "" {
		return fail("%s", chromiumMissing)
	}

	root, err := moduleRoot()
	if err != nil {
		return fail("finding the module root: %v", err)
	}
	tmp, err := os.MkdirTemp("", "dynamicmotion-e2e-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "dynamicmotion")
	binPath = bin
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fail("the site does not build (go build in %s): %v\n%s", root, err, out)
	}

	ctx := context.Background()
	dsn, drop, err := dbtest.Create(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer drop()
	databaseURL = dsn

	port, err := freePort()
	if err != nil {
		return fail("finding a free port: %v", err)
	}
	baseURL = "http://127.0.0.1:" + strconv.Itoa(port)
	env := siteEnv(map[string]string{
		"DATABASE_URL": dsn,
		"PORT":         strconv.Itoa(port),
		"BASE_URL":     baseURL,
		"LOG_LEVEL":    "info",
		"ADMIN_EMAIL":  adminEmail,
	})

	// An empty database must become a browsable site with the two
	// subcommands the deployment runs: first migrate, then seed.
	for _, sub := range []string{"migrate", "seed"} {
		cmd := exec.Command(bin, sub)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fail("`dynamicmotion %s` on an empty database must exit 0: %v\n%s", sub, err, out)
		}
	}
	// The therapist's login, set the way she sets it: admin-password reads
	// it from stdin.
	setPassword := exec.Command(bin, "admin-password")
	setPassword.Env, setPassword.Stdin = env, strings.NewReader(adminPassword+"\n")
	if out, err := setPassword.CombinedOutput(); err != nil {
		return fail("`dynamicmotion admin-password` must exit 0: %v\n%s", err, out)
	}

	if err := addFillerPosts(ctx, dsn); err != nil {
		return fail("adding the articles the blog tests page through: %v", err)
	}

	srv, err := startServer(bin, "", env, baseURL, readyTimeout)
	if err != nil {
		return fail("%v", err)
	}
	defer func() {
		if err := srv.stop(shutdownTimeout); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n--- server log ---\n%s", err, srv.log.String())
			code = 1
		}
	}()

	code = m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- server log (last lines) ---\n%s\n", lastLines(srv.log.String(), 40))
	}
	return code
}

// findChromium returns the browser to drive, looked for as .ci/ensure-deps
// does: $CHROME_BIN, then chromium or chromium-browser on PATH, then
// /usr/bin/chromium; "" when there is none.
func findChromium() string {
	for _, c := range []string{os.Getenv("CHROME_BIN"), "chromium", "chromium-browser", "/usr/bin/chromium"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

// moduleRoot is the directory of the go.mod this package belongs to.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// siteEnv is this process's environment without any of the site's own
// settings (so a developer's shell cannot change what is tested), plus set.
func siteEnv(set map[string]string) []string {
	own := []string{"DATABASE_URL", "DIRECT_DATABASE_URL", "PORT", "BASE_URL", "LOG_LEVEL",
		"SMTP_URL", "MAIL_FROM", "ADMIN_EMAIL", "BUNDEBUG", "FLY_APP_NAME"}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(own, name) {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// server is the running `dynamicmotion serve` process.
type server struct {
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{} // closed when the process has ended
}

// startServer runs `serve` in the working directory dir ("" for this
// process's) and waits until GET origin/readyz answers 200, at most timeout.
func startServer(bin, dir string, env []string, origin string, timeout time.Duration) (*server, error) {
	s := &server{log: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = env
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting `dynamicmotion serve`: %w", err)
	}
	go func() {
		s.cmd.Wait() //nolint:errcheck // the exit status is read from ProcessState
		close(s.exited)
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("`dynamicmotion serve` exited (%v) before it was ready; its log:\n%s",
				s.cmd.ProcessState, s.log.String())
		default:
		}
		resp, err := client.Get(origin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond) // serve announces nothing when it is ready: /readyz is polled
	}
	s.cmd.Process.Kill() //nolint:errcheck // best effort; we are failing anyway
	<-s.exited
	return nil, fmt.Errorf("GET /readyz did not answer 200 within %s (last: %s); the server's log:\n%s",
		timeout, last, s.log.String())
}

// stop sends SIGINT, as Fly does, and requires a clean exit within timeout
// (Fly's kill timeout for the deployed site): requests drained, exit status 0.
func (s *server) stop(timeout time.Duration) error {
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return fmt.Errorf("sending SIGINT to the server: %w", err)
	}
	start := time.Now()
	select {
	case <-s.exited:
	case <-time.After(timeout):
		s.cmd.Process.Kill() //nolint:errcheck // it overstayed; make sure it goes
		<-s.exited
		return fmt.Errorf("the server did not stop within %s of SIGINT: Fly would kill it mid-request", timeout)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("after SIGINT the server exited with status %d, want 0 (graceful shutdown)", code)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: the server stopped cleanly %s after SIGINT\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// waitUntil polls cond every 10 ms until it holds, failing the test if it
// does not within d. It is for conditions that announce themselves with no
// event the test could wait on (a lock waiter, a closed listener, a load
// under way).
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	// Polled (see above): nothing announces these conditions.
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, d)
		}
	}
}

// syncBuffer is a bytes.Buffer that a process and the tests can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
