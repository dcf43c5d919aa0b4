// Package devpg runs a private PostgreSQL server for local development, for
// use when DATABASE_URL is unset.
//
// The server keeps its cluster under a directory chosen by the caller (data in
// dir/pgdata, log in dir/postgres.log) and listens only on a Unix socket (in
// dir/run, or in a directory under os.TempDir() when that path would be too
// long for a socket or has a comma), never on TCP, so it cannot clash with a system server.
// Authentication is "trust": anyone who can reach the socket can connect as
// the superuser postgres, which is why the socket directory is private.
//
// The server binaries (initdb, pg_ctl, postgres) are taken from PATH or else
// from the newest /usr/lib/postgresql/VERSION/bin. PostgreSQL refuses to run as
// root, so when the process runs as root the server runs as the "postgres"
// system user, which then owns dir. When that user cannot reach dir (a clone
// in /root, which is mode 0700), the cluster (pgdata, run/, postgres.log) is
// kept instead in /var/lib/dynamicmotion-dev/HASH, or os.TempDir()/dynamicmotion-dev-HASH
// when /var/lib is not writable, where HASH is derived from dir's absolute
// path, so the same dir always finds its data again; dir then holds only
// WHERE-IS-THE-DATABASE.txt, naming that place for a person.
//
// The server is started through pg_ctl and so outlives the process if that
// dies without calling Stop. The process that starts it writes its PID into
// owner.pid beside pgdata. The next Start finds the server running and uses
// it; if the PID in owner.pid is gone (the starter crashed) or the file is
// missing, that Start adopts the server and its Stop stops it, while a server
// whose starter still runs (another `go run .`) is left to that process.
package devpg

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoServer is returned (wrapped) when no PostgreSQL server binaries are installed.
var ErrNoServer = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: " +
	"install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) " +
	"or set DATABASE_URL")

// libRoot is where versioned server installations are looked for
// (libRoot/VERSION/bin) when the binaries are not on PATH. Tests change it.
var libRoot = "/usr/lib/postgresql"

// altRoot holds the clusters of directories the postgres user cannot reach
// (altRoot/HASH); os.TempDir() is the fallback when it cannot be created.
// Tests change it.
var altRoot = "/var/lib/dynamicmotion-dev"

const (
	port = 5432
	// socketName is the name PostgreSQL gives its socket file for port.
	socketName = ".s.PGSQL.5432"
	// maxSocketPath leaves a margin below the ~107-byte sun_path limit.
	maxSocketPath = 100
	// stopTimeout is how long Stop waits when its context has no deadline.
	stopTimeout = 60 * time.Second
	// whereFile is written into the caller's directory when the cluster is
	// kept elsewhere, so that a person finds it.
	whereFile = "WHERE-IS-THE-DATABASE.txt"
	// ownerFile, beside pgdata, holds the PID of the process that started
	// (or adopted) the running server.
	ownerFile = "owner.pid"
)

// Server is a running private PostgreSQL.
type Server struct {
	home    string // the cluster's directory: dir, or its alternative place
	dataDir string // home/pgdata
	sockDir string // directory holding the socket file
	dsn     string
	pgCtl   string
	runAs   *runAs // nil when the current user runs the server
	owned   bool   // this process started the server
	logger  *slog.Logger

	mu      sync.Mutex
	stopped bool
}

// runAs is the system user the server programs run as when we are root.
type runAs struct {
	uid, gid uint32
	groups   []uint32
	home     string
}

// binaries are the programs devpg runs.
type binaries struct {
	initdb, pgCtl, postgres string
	createdb                string
}

// Start makes sure a cluster exists under dir (runs initdb the first time), starts it if it is not
// already running, and makes sure the database `database` exists. logger gets one line per step.
func Start(ctx context.Context, dir, database string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if database == "" || strings.ContainsRune(database, 0) {
		return nil, fmt.Errorf("devpg: invalid database name %q", database)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("devpg: %w", err)
	}
	// pg_ctl hands -D, -l and -o to /bin/sh inside double quotes, so
	// characters special there would break its command line.
	if strings.ContainsAny(abs, "\"$`\\\n\x00") {
		return nil, fmt.Errorf("devpg: directory %q: path contains a character PostgreSQL's pg_ctl cannot handle (one of \" $ ` \\ or newline)", abs)
	}

	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}

	var ra *runAs
	if os.Geteuid() == 0 {
		if ra, err = lookupPostgresUser(); err != nil {
			return nil, err
		}
	}

	if err := makeDir(abs, ra); err != nil {
		return nil, err
	}
	home := abs
	if ra != nil {
		if home, err = clusterHome(abs, ra, logger); err != nil {
			return nil, err
		}
	}

	s := &Server{
		home:    home,
		dataDir: filepath.Join(home, "pgdata"),
		pgCtl:   bins.pgCtl,
		runAs:   ra,
		logger:  logger,
	}
	if s.sockDir, err = socketDir(home, ra); err != nil {
		return nil, err
	}
	sockPath := filepath.Join(s.sockDir, socketName)
	s.dsn = dsn(database, sockPath)

	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		// initdb works in a folder of its own, which becomes the cluster
		// only once it is complete: stopped half-way (Ctrl-C on the very
		// first start), it leaves nothing that would pass for a cluster
		// later, and the next start begins again.
		logger.Info("dev postgres: initialising cluster", "dir", s.dataDir)
		partial := s.dataDir + ".initdb"
		if err := os.RemoveAll(partial); err != nil {
			return nil, fmt.Errorf("devpg: removing an unfinished cluster: %w", err)
		}
		out, err := s.run(ctx, ra, bins.initdb, "-D", partial, "-U", "postgres",
			"--auth=trust", "-E", "UTF8", "--locale=C")
		if err != nil {
			os.RemoveAll(partial)
			return nil, fmt.Errorf("devpg: initdb %s: %w\n%s", s.dataDir, err, out)
		}
		if err := os.RemoveAll(s.dataDir); err != nil { // an empty or broken folder of an older start
			return nil, fmt.Errorf("devpg: %w", err)
		}
		if err := os.Rename(partial, s.dataDir); err != nil {
			return nil, fmt.Errorf("devpg: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("devpg: %w", err)
	}

	running, err := s.running(ctx)
	if err != nil {
		return nil, err
	}
	if running {
		if pid, alive := s.owner(); alive {
			logger.Info("dev postgres: using running server", "dir", s.dataDir, "socket", sockPath, "owner_pid", pid)
		} else {
			// Its starter crashed (or predates owner.pid): nobody else
			// will stop it, so this process takes it over.
			s.owned = true
			s.writeOwner()
			logger.Info("dev postgres: adopted running server (the process that started it is gone); it stops with this process",
				"dir", s.dataDir, "socket", sockPath, "previous_owner_pid", pid)
		}
	} else {
		logFile := filepath.Join(home, "postgres.log")
		// -k takes a list (unix_socket_directories); the double quotes keep
		// a path with commas or spaces one entry. The single quotes are for
		// the shell pg_ctl runs postgres through.
		opts := "-c listen_addresses= -p " + strconv.Itoa(port) + " -k " + shellQuote(`"`+s.sockDir+`"`)
		out, err := s.run(ctx, ra, bins.pgCtl, "start", "-D", s.dataDir, "-l", logFile,
			"-p", bins.postgres, "-w", "-t", "30", "-o", opts)
		if err != nil {
			return nil, fmt.Errorf("devpg: pg_ctl start: %w\n%s%s", err, out, logTail(logFile))
		}
		s.owned = true
		s.writeOwner()
		logger.Info("dev postgres: started", "dir", s.dataDir, "socket", sockPath, "log", logFile)
	}

	if err := s.createDatabase(ctx, bins.createdb, database); err != nil {
		if s.owned {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
			defer cancel()
			_ = s.Stop(stopCtx)
		}
		return nil, err
	}
	return s, nil
}

// DSN is a pgdriver-compatible URL for the database over the Unix socket, e.g.
// postgres://postgres@/dynamicmotion?host=/abs/dir/run/.s.PGSQL.5432&sslmode=disable
// NOTE: github.com/uptrace/bun/driver/pgdriver treats ?host= starting with '/' as the *socket file path* (not the directory), so include the socket file name.
//
// libpq (psql) reads host= as the socket directory instead, so this URL does
// not work with libpq as it is.
func (s *Server) DSN() string { return s.dsn }

// Stop stops the server if this process started or adopted it (fast
// shutdown), waiting at most until ctx ends, and removes owner.pid. A server
// found running under a live owner is left alone.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	if !s.owned {
		s.stopped = true
		s.logger.Info("dev postgres: left running (not started by this process)", "dir", s.dataDir)
		return nil
	}
	wait := stopTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	secs := max(1, int((wait+time.Second-1)/time.Second))
	out, err := s.run(ctx, s.runAs, s.pgCtl, "stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", strconv.Itoa(secs))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("devpg: pg_ctl stop: %w", ctx.Err())
		}
		// Someone else may have stopped it already.
		if running, rerr := s.running(ctx); rerr != nil || running {
			return fmt.Errorf("devpg: pg_ctl stop: %w\n%s", err, out)
		}
	}
	s.stopped = true
	s.removeOwner()
	s.logger.Info("dev postgres: stopped", "dir", s.dataDir)
	return nil
}

// owner reads the PID in owner.pid and reports whether that process still
// exists. A missing or unreadable file counts as a gone owner (pid 0).
func (s *Server) owner() (pid int, alive bool) {
	b, err := os.ReadFile(filepath.Join(s.home, ownerFile))
	if err != nil {
		return 0, false
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	// EPERM means it exists under another user: alive.
	return pid, !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// writeOwner records this process as the one that stops the server. A
// failure only costs a later crash recovery, so it is logged, not returned.
func (s *Server) writeOwner() {
	path := filepath.Join(s.home, ownerFile)
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		s.logger.Warn("dev postgres: cannot record the owner of the server", "file", path, "err", err)
	}
}

// removeOwner removes owner.pid if it names this process.
func (s *Server) removeOwner() {
	path := filepath.Join(s.home, ownerFile)
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}

// running reports whether pg_ctl status finds a server running on the cluster.
func (s *Server) running(ctx context.Context) (bool, error) {
	out, err := s.run(ctx, s.runAs, s.pgCtl, "status", "-D", s.dataDir)
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 { // 3: no server running
		return false, nil
	}
	return false, fmt.Errorf("devpg: pg_ctl status: %w\n%s", err, out)
}

// createDatabase creates database unless it already exists. It runs as the
// current user: trust authentication on the socket lets it connect as postgres.
func (s *Server) createDatabase(ctx context.Context, createdb, database string) error {
	out, err := s.run(ctx, nil, createdb, "-h", s.sockDir, "-p", strconv.Itoa(port), "-U", "postgres", "--", database)
	switch {
	case err == nil:
		s.logger.Info("dev postgres: created database", "database", database)
	case strings.Contains(string(out), "already exists"):
		s.logger.Info("dev postgres: database exists", "database", database)
	default:
		return fmt.Errorf("devpg: createdb %s: %w\n%s", database, err, out)
	}
	return nil
}

// run runs a program, as ra when it is not nil, and returns its combined output.
func (s *Server) run(ctx context.Context, ra *runAs, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = childEnv(ra)
	if ra != nil {
		cmd.Dir = ra.home
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: ra.uid, Gid: ra.gid, Groups: ra.groups}}
	}
	out, err := cmd.CombinedOutput()
	return bytes.TrimSpace(out), err
}

// childEnv is the environment for the programs devpg runs: ours without the
// PG* variables that would redirect them, in the C locale so that messages
// are English, and with HOME and USER fitting ra.
func childEnv(ra *runAs) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" ||
			(ra != nil && (k == "HOME" || k == "USER" || k == "LOGNAME"))
	})
	env = append(env, "LC_ALL=C")
	if ra != nil {
		env = append(env, "HOME="+ra.home, "USER=postgres", "LOGNAME=postgres")
	}
	return env
}

// findBinaries finds the server programs: all on PATH, or else all in the
// newest libRoot/VERSION/bin. createdb is looked for beside them first.
func findBinaries() (binaries, error) {
	var b binaries
	if p, ok := pathBinaries(); ok {
		b = p
	} else if dir := libBinDir(); dir != "" {
		b = binaries{initdb: filepath.Join(dir, "initdb"), pgCtl: filepath.Join(dir, "pg_ctl"), postgres: filepath.Join(dir, "postgres")}
	} else {
		return b, fmt.Errorf("devpg: %w (looked on PATH and in %s/*/bin)", ErrNoServer, libRoot)
	}
	// Beside the real initdb (PATH entries are often symlinks into the
	// versioned directory), then PATH.
	if real, err := filepath.EvalSymlinks(b.initdb); err == nil {
		if p := filepath.Join(filepath.Dir(real), "createdb"); isExecutable(p) {
			b.createdb = p
		}
	}
	if b.createdb == "" {
		if p := filepath.Join(filepath.Dir(b.initdb), "createdb"); isExecutable(p) {
			b.createdb = p
		} else if p, err := exec.LookPath("createdb"); err == nil {
			b.createdb = p
		} else {
			return b, errors.New("devpg: createdb not found beside initdb or on PATH: install the PostgreSQL client " +
				"(Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install postgresql) or set DATABASE_URL")
		}
	}
	return b, nil
}

// pathBinaries finds initdb, pg_ctl and postgres on PATH; ok only if all are there.
func pathBinaries() (b binaries, ok bool) {
	var err1, err2, err3 error
	b.initdb, err1 = exec.LookPath("initdb")
	b.pgCtl, err2 = exec.LookPath("pg_ctl")
	b.postgres, err3 = exec.LookPath("postgres")
	return b, errors.Join(err1, err2, err3) == nil
}

// libBinDir returns the bin directory of the newest version under libRoot
// that has all three server programs, or "".
func libBinDir() string {
	entries, err := os.ReadDir(libRoot)
	if err != nil {
		return ""
	}
	var versions [][]int
	names := map[string]string{}
	for _, e := range entries {
		v, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		versions = append(versions, v)
		names[fmt.Sprint(v)] = e.Name()
	}
	slices.SortFunc(versions, func(a, b []int) int { return slices.Compare(b, a) }) // newest first
	for _, v := range versions {
		bin := filepath.Join(libRoot, names[fmt.Sprint(v)], "bin")
		if isExecutable(filepath.Join(bin, "initdb")) && isExecutable(filepath.Join(bin, "pg_ctl")) &&
			isExecutable(filepath.Join(bin, "postgres")) {
			return bin
		}
	}
	return ""
}

// parseVersion parses a version directory name such as "9.6" or "17".
func parseVersion(s string) ([]int, bool) {
	var v []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// lookupPostgresUser finds the system user the server runs as under root.
func lookupPostgresUser() (*runAs, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("devpg: running as root: create a 'postgres' system user or run as a normal user (PostgreSQL refuses to run as root): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("devpg: user postgres: %w", err)
	}
	ra := &runAs{uid: uint32(uid), gid: uint32(gid), home: u.HomeDir}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				ra.groups = append(ra.groups, uint32(g))
			}
		}
	}
	if fi, err := os.Stat(ra.home); err != nil || !fi.IsDir() {
		ra.home = "/"
	}
	return ra, nil
}

// makeDir creates dir and any missing parents (0700 for dir, 0755 for the
// parents). Under root, dir and what it creates is given to ra.
func makeDir(dir string, ra *runAs) error {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("devpg: %w", err)
		}
		missing = append(missing, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		p := missing[i]
		mode := os.FileMode(0o755)
		if p == dir {
			mode = 0o700
		}
		if err := os.Mkdir(p, mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("devpg: %w", err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			return fmt.Errorf("devpg: %w", err)
		}
		if ra != nil && p != dir {
			if err := os.Chown(p, int(ra.uid), int(ra.gid)); err != nil {
				return fmt.Errorf("devpg: %w", err)
			}
		}
	}
	if ra != nil {
		if err := os.Chown(dir, int(ra.uid), int(ra.gid)); err != nil {
			return fmt.Errorf("devpg: %w", err)
		}
	}
	return nil
}

// clusterHome picks the directory for the cluster of dir when the server
// runs as ra: dir itself when ra can reach it, else a place under altRoot or
// os.TempDir() named from dir's path, announced in the log and in dir's
// WHERE-IS-THE-DATABASE.txt. A cluster an earlier run put there is used even
// once dir has become reachable, as long as dir has none of its own.
func clusterHome(dir string, ra *runAs, logger *slog.Logger) (string, error) {
	blocked, err := blockedParent(dir, ra)
	if err != nil {
		return "", err
	}
	var home, why string
	switch {
	case blocked != "":
		if home, err = altHome(dir, ra); err != nil {
			return "", fmt.Errorf("devpg: running as root, the dev server runs as system user postgres, "+
				"which cannot enter %s, and no other place for the cluster worked (%w): move the project "+
				"somewhere user postgres can reach, or run as a normal user", blocked, err)
		}
		why = "the system user postgres, which the server runs as, cannot enter " + blocked
		logger.Info(fmt.Sprintf("dev postgres: %s is not reachable by the postgres user; keeping the cluster in %s", dir, home),
			"blocked_by", blocked)
	case !hasCluster(dir):
		if home = earlierAltHome(dir, ra); home == "" {
			return dir, nil
		}
		why = "an earlier run put it there, when the system user postgres could not reach " + dir
		logger.Info(fmt.Sprintf("dev postgres: keeping the cluster in %s, where an earlier run put it because %s was not reachable by the postgres user", home, dir))
	default:
		return dir, nil
	}
	if err := writeWhere(dir, home, why); err != nil {
		logger.Warn("dev postgres: cannot write the note saying where the cluster is", "err", err)
	}
	return home, nil
}

// altHomes are the places for the cluster of a directory ra cannot reach, in
// order of preference.
func altHomes(dir string) []string {
	sum := sha256.Sum256([]byte(dir))
	h := hex.EncodeToString(sum[:6])
	return []string{filepath.Join(altRoot, h), filepath.Join(os.TempDir(), "dynamicmotion-dev-"+h)}
}

// earlierAltHome returns the first of dir's alternative places that already
// holds a cluster ra can use, or "".
func earlierAltHome(dir string, ra *runAs) string {
	for _, c := range altHomes(dir) {
		if checkAltHome(c, ra) == nil && hasCluster(c) {
			if b, err := blockedParent(c, ra); err == nil && b == "" {
				return c
			}
		}
	}
	return ""
}

// altHome returns the place for the cluster of dir, which ra cannot reach: a
// place that already holds one, else the first that can be made and reached.
func altHome(dir string, ra *runAs) (string, error) {
	if c := earlierAltHome(dir, ra); c != "" {
		return c, nil
	}
	var errs []error
	for _, c := range altHomes(dir) {
		if err := checkAltHome(c, ra); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := makeDir(c, ra); err != nil {
			errs = append(errs, err)
			continue
		}
		if b, err := blockedParent(c, ra); err != nil || b != "" {
			errs = append(errs, cmp.Or(err, fmt.Errorf("user postgres cannot enter %s", b)))
			continue
		}
		return c, nil
	}
	return "", errors.Join(errs...)
}

// checkAltHome refuses an existing alternative place that is not a real
// directory of ra or root: one in a shared temporary directory could have been
// planted by someone else (a symlink would make makeDir chown its target).
func checkAltHome(p string, ra *runAs) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || (ok && st.Uid != ra.uid && st.Uid != 0) {
		return fmt.Errorf("%s exists but is not a directory owned by postgres or root: remove it", p)
	}
	return nil
}

// hasCluster reports whether dir/pgdata holds a cluster.
func hasCluster(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "pgdata", "PG_VERSION"))
	return err == nil
}

// writeWhere leaves a note in dir saying where its cluster is kept.
func writeWhere(dir, home, why string) error {
	text := "The development database of this directory is not kept here, but in\n\n" +
		"    " + home + "\n\n" +
		"(its data in pgdata/, the server's log in postgres.log), because " + why + ".\n" +
		"The same directory always finds it there again.\n\n" +
		"To start afresh, stop the site and delete both that directory and this one.\n"
	return os.WriteFile(filepath.Join(dir, whereFile), []byte(text), 0o644)
}

// blockedParent returns the first directory above dir (after resolving
// symlinks) that ra may not search, or "" when ra can reach dir.
func blockedParent(dir string, ra *runAs) (string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("devpg: %w", err)
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("devpg: %w", err)
		}
		if !searchable(fi, ra) {
			return fmt.Sprintf("%s (mode %v)", p, fi.Mode().Perm()), nil
		}
		if p == filepath.Dir(p) {
			return "", nil
		}
	}
}

// searchable reports whether ra may search (x) the directory fi by its mode bits.
func searchable(fi fs.FileInfo, ra *runAs) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == ra.uid:
		return perm&0o100 != 0
	case st.Gid == ra.gid || slices.Contains(ra.groups, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// socketDir picks and creates the socket directory: dir/run, or when the
// socket path there would be too long, os.TempDir()/devpg-HASH. A path with
// a comma also goes there: libpq (so createdb) reads a host with commas as
// a list of hosts.
func socketDir(dir string, ra *runAs) (string, error) {
	sock := filepath.Join(dir, "run")
	if usable(filepath.Join(sock, socketName)) {
		if err := os.Mkdir(sock, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("devpg: %w", err)
		}
		if ra != nil {
			if err := os.Chown(sock, int(ra.uid), int(ra.gid)); err != nil {
				return "", fmt.Errorf("devpg: %w", err)
			}
		}
		return sock, nil
	}
	sock = shortSocketDir(dir)
	if err := os.Mkdir(sock, 0o700); err == nil {
		if ra != nil {
			if err := os.Chown(sock, int(ra.uid), int(ra.gid)); err != nil {
				return "", fmt.Errorf("devpg: %w", err)
			}
		}
		return sock, nil
	} else if !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("devpg: %w", err)
	}
	// It exists in a shared directory: only use it if it is ours.
	fi, err := os.Lstat(sock)
	if err != nil {
		return "", fmt.Errorf("devpg: %w", err)
	}
	want := uint32(os.Geteuid())
	if ra != nil {
		want = ra.uid
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || (ok && st.Uid != want) {
		return "", fmt.Errorf("devpg: socket directory %s exists but is not a directory owned by uid %d: remove it", sock, want)
	}
	return sock, nil
}

// shortSocketDir is the socket directory used for a dir whose own socket path
// would be too long: named from a hash of dir, in os.TempDir() or /tmp.
func shortSocketDir(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	name := "devpg-" + hex.EncodeToString(sum[:6])
	p := filepath.Join(os.TempDir(), name)
	if !usable(filepath.Join(p, socketName)) {
		p = filepath.Join("/tmp", name)
	}
	return p
}

// usable reports whether sock can be the server's socket path.
func usable(sock string) bool {
	return len(sock) <= maxSocketPath && !strings.ContainsRune(sock, ',')
}

// dsn builds the pgdriver URL for database over the socket file sockPath.
func dsn(database, sockPath string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + database}
	host := strings.ReplaceAll(url.QueryEscape(sockPath), "%2F", "/")
	return u.String() + "?host=" + host + "&sslmode=disable"
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// logTail returns the end of the server log for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\n" + path + " ends:\n" + string(bytes.TrimSpace(b))
}
