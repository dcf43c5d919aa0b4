package e2e

// The harness of the abuse tests (issue 15): each attack runs against an
// instance of the real binary that the test starts on its own database,
// while the process's resident memory is sampled from /proc and a bystander
// loads the home page. After the attack the test asserts the budgets: peak
// resident memory under 200 MB (the machine has 256 MB) and the home page's
// p99 under 500 ms. Every figure is logged, and appended to the file named
// by $ABUSE_FIGURES (make abuse collects them for BENCHMARKS.md).
//
// "Many clients" are many client addresses: the instances trust
// Fly-Client-IP, as behind Fly's proxy, and each visitor sends its own
// (newVisitor hands out TEST-NET-2 addresses; visitorAt takes one).
// Everything talks to 127.0.0.1 only.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dynamicmotion/db/dbtest"
)

// The budgets every attack is held to.
const (
	memoryBudgetMB = 200
	homeP99Budget  = 500 * time.Millisecond
)

// abuseTarget is an instance under attack, on a database of its own.
type abuseTarget struct {
	*instance
	dsn string
}

// startAbuseTarget starts an instance on a fresh database, migrated and
// seeded as a deployment is. extra adds or overrides settings.
func startAbuseTarget(t *testing.T, extra map[string]string) *abuseTarget {
	t.Helper()
	dsn, drop, err := dbtest.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runBinary(t, dsn, "migrate")
	runBinary(t, dsn, "seed")
	in := startOwnInstance(t, dsn, extra)
	// Cleanups run last-in first-out: the instance stops before its
	// database is dropped.
	t.Cleanup(func() {
		if in.running() {
			in.stop(shutdownTimeout) //nolint:errcheck // startOwnInstance's cleanup reports it
		}
		drop()
	})
	return &abuseTarget{instance: in, dsn: dsn}
}

// setAdminPassword gives the therapist's login (email) the password pw, as
// she does: `admin-password` reads it from stdin. The instance must have
// been started with ADMIN_EMAIL=email.
func (a *abuseTarget) setAdminPassword(t *testing.T, email, pw string) {
	t.Helper()
	cmd := exec.Command(binPath, "admin-password")
	cmd.Env = siteEnv(map[string]string{"DATABASE_URL": a.dsn, "ADMIN_EMAIL": email, "BASE_URL": a.origin, "LOG_LEVEL": "warn"})
	cmd.Stdin = strings.NewReader(pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("`dynamicmotion admin-password` must exit 0: %v\n%s", err, out)
	}
}

// visitorAt is a visitor of origin with the client address ip (IPv4 or
// IPv6), for tests about how addresses are grouped.
func visitorAt(t *testing.T, origin, ip string) *visitor {
	t.Helper()
	v := newVisitor(t, origin, false)
	v.ip = ip
	return v
}

// rssKB is the resident memory of process pid in kB (VmRSS), or -1 once it
// has gone.
func rssKB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	return -1
}

// abuseFigures are what was measured while an attack ran.
type abuseFigures struct {
	startMB, peakMB float64
	homeRequests    int
	homeFailed      int
	homeP50         time.Duration
	homeP99         time.Duration
}

func (f abuseFigures) String() string {
	return fmt.Sprintf("resident memory %.0f MB before, peak %.0f MB; home page %d requests (%d failed), p50 %s, p99 %s",
		f.startMB, f.peakMB, f.homeRequests, f.homeFailed, f.homeP50.Round(time.Millisecond), f.homeP99.Round(time.Millisecond))
}

// underAttack runs attack while it samples the instance's resident memory
// every 20 ms and a bystander (a visitor of its own, on a fresh connection
// each time) loads the home page in a loop. When attack returns, it checks
// the budgets, logs the figures and returns them.
func (a *abuseTarget) underAttack(t *testing.T, name string, attack func()) abuseFigures {
	t.Helper()
	pid := a.cmd.Process.Pid
	f := abuseFigures{startMB: float64(rssKB(pid)) / 1024}
	stop := make(chan struct{})
	var wg sync.WaitGroup

	var peakKB int
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond) // a sampling rate, not a wait for anything
		defer tick.Stop()
		for {
			if kb := rssKB(pid); kb > peakKB {
				peakKB = kb
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	var took []time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		by := newVisitor(t, a.origin, true)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ans, err := by.do("GET", "/", nil, nil)
			if err != nil || ans.status != http.StatusOK {
				f.homeFailed++
			}
			took = append(took, ans.took)
			time.Sleep(20 * time.Millisecond) // the bystander's pace
		}
	}()

	attack()
	close(stop)
	wg.Wait()

	f.peakMB = float64(peakKB) / 1024
	f.homeRequests = len(took)
	if len(took) > 0 {
		slices.Sort(took)
		f.homeP50 = took[len(took)/2]
		f.homeP99 = took[min(len(took)-1, len(took)*99/100)]
	}
	t.Logf("%s: %s", name, f)
	if path := os.Getenv("ABUSE_FIGURES"); path != "" {
		if out, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(out, "| %s | %.0f MB | %.0f MB | %d | %d | %s | %s |\n", name, f.startMB, f.peakMB,
				f.homeRequests, f.homeFailed, f.homeP50.Round(time.Millisecond), f.homeP99.Round(time.Millisecond))
			out.Close()
		}
	}
	if f.peakMB >= memoryBudgetMB {
		t.Errorf("%s: resident memory peaked at %.0f MB, budget %d MB", name, f.peakMB, memoryBudgetMB)
	}
	if f.homeRequests == 0 {
		t.Errorf("%s: the home page was not loaded once while the attack ran", name)
	} else if f.homeP99 >= homeP99Budget {
		t.Errorf("%s: the home page's p99 was %s while the attack ran, budget %s", name, f.homeP99, homeP99Budget)
	}
	if f.homeFailed > 0 {
		t.Errorf("%s: %d of %d home page loads failed while the attack ran", name, f.homeFailed, f.homeRequests)
	}
	return f
}

// TestAbuseHarnessMeasures checks the harness itself: an instance at rest
// is inside its budgets, and the figures are real numbers.
func TestAbuseHarnessMeasures(t *testing.T) {
	a := startAbuseTarget(t, nil)
	f := a.underAttack(t, "nothing (the harness at rest)", func() {
		v := newVisitor(t, a.origin, false)
		for range 50 {
			if ans, err := v.do("GET", "/blog", nil, nil); err != nil || ans.status != 200 {
				t.Fatalf("GET /blog: %v %d", err, ans.status)
			}
		}
	})
	if f.startMB <= 0 || f.peakMB < f.startMB {
		t.Errorf("memory figures make no sense: %s", f)
	}
}
