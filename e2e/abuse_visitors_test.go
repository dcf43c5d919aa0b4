package e2e

// The abuse tests of likes, search and the therapist's login (issue 15,
// items 6 to 8), against the real binary with the harness of abuse_test.go:
// each attack runs while resident memory and a bystander's home page are
// measured, and each test asserts the mechanism as well (what was counted,
// what was refused and how, that nothing answered 500).

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// abuseDB opens the database of an abuse target, for checks.
func abuseDB(t *testing.T, dsn string) *bun.DB {
	t.Helper()
	bdb, err := db.Open(context.Background(), dsn, db.Options{MaxOpenConns: 2, AppName: "e2e-abuse-check"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return bdb
}

func scalar(t *testing.T, bdb *bun.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := bdb.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// scriptClient is a client with no cookie jar, for scripts that send the
// cookies they choose, many requests at once.
func scriptClient(t *testing.T) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// scriptAnswer is what a script's request got.
type scriptAnswer struct {
	status     int
	retryAfter string
	body       string
	header     http.Header
}

// scriptPost sends form to path from ip as a script does: no cookie, no
// Fetch Metadata (which the cross-origin check lets through).
func scriptPost(c *http.Client, origin, path, ip string, form url.Values, hdr map[string]string) (scriptAnswer, error) {
	if form == nil {
		form = url.Values{}
	}
	req, err := http.NewRequest(http.MethodPost, origin+path, strings.NewReader(form.Encode()))
	if err != nil {
		return scriptAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Fly-Client-IP", ip)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return scriptAnswer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return scriptAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(b), header: res.Header}, err
}

// TestAbuseVisitorsLikes: 120 readers at 120 addresses like an article,
// while a script at one address sends 2,000 likes with no cookie (so that
// each looks like a new visitor), and another
// walks 300 addresses of one IPv6 /64. Each reader's like counts once; each
// script's address gets its five likes of the article a day, then 429 with
// Retry-After; no like writes a session row.
func TestAbuseVisitorsLikes(t *testing.T) {
	a := startAbuseTarget(t, nil)
	bdb := abuseDB(t, a.dsn)
	likesBefore := scalar(t, bdb, "SELECT likes FROM posts WHERE slug = ?", firstArticle)
	sessionsBefore := scalar(t, bdb, "SELECT count(*) FROM sessions")
	c := scriptClient(t)
	path := "/blog/" + firstArticle + "/like"

	var mu sync.Mutex
	statuses := map[string]map[int]int{} // who → status → how many
	var badRetryAfter, failed int
	count := func(who string, ans scriptAnswer, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			return
		}
		if statuses[who] == nil {
			statuses[who] = map[int]int{}
		}
		statuses[who][ans.status]++
		if ans.status == http.StatusTooManyRequests {
			if ra, err := strconv.Atoi(ans.retryAfter); err != nil || ra < 1 {
				badRetryAfter++
			}
		}
	}
	start := time.Now()
	a.underAttack(t, "likes: 120 readers, 2,000 from one address, 300 from one /64", func() {
		var wg sync.WaitGroup
		work := make(chan func(), 64)
		for range 12 {
			wg.Go(func() {
				for f := range work {
					f()
				}
			})
		}
		for i := range 120 {
			ip := fmt.Sprintf("198.18.%d.%d", i/200, 1+i%200)
			work <- func() {
				ans, err := scriptPost(c, a.origin, path, ip, nil, map[string]string{"HX-Request": "true"})
				count("readers", ans, err)
			}
		}
		for range 2000 {
			work <- func() {
				ans, err := scriptPost(c, a.origin, path, "198.19.0.1", nil, nil)
				count("flood", ans, err)
			}
		}
		for i := range 300 {
			ip := fmt.Sprintf("2001:db8:abcd:1::%x", i+1)
			work <- func() {
				ans, err := scriptPost(c, a.origin, path, ip, nil, map[string]string{"HX-Request": "true"})
				count("ipv6", ans, err)
			}
		}
		close(work)
		wg.Wait()
	})
	took := time.Since(start)

	if failed > 0 {
		t.Errorf("%d likes got no answer", failed)
	}
	if got := statuses["readers"][http.StatusOK]; got != 120 {
		t.Errorf("readers: %v, want 120 × 200", statuses["readers"])
	}
	if s := statuses["flood"]; s[http.StatusSeeOther] != 5 || s[http.StatusTooManyRequests] != 1995 {
		t.Errorf("flood from one address: %v, want 5 × 303 and 1,995 × 429", s)
	}
	if s := statuses["ipv6"]; s[http.StatusOK] != 5 || s[http.StatusTooManyRequests] != 295 {
		t.Errorf("300 addresses of one /64: %v, want 5 × 200 and 295 × 429", s)
	}
	if badRetryAfter > 0 {
		t.Errorf("%d answers 429 without a Retry-After in seconds", badRetryAfter)
	}
	likes := scalar(t, bdb, "SELECT likes FROM posts WHERE slug = ?", firstArticle) - likesBefore
	if likes != 130 {
		t.Errorf("the article gained %d likes, want 130 (120 readers, 5 per script's address)", likes)
	}
	if n := scalar(t, bdb, "SELECT count(*) FROM sessions") - sessionsBefore; n != 0 {
		t.Errorf("%d session rows were written by likes, want none", n)
	}
	t.Logf("likes: 2,420 sent in %s; %d counted; the flood %v, the /64 %v", took.Round(time.Millisecond), likes, statuses["flood"], statuses["ipv6"])

	// The friendly answers: a note in the button for htmx, a page otherwise.
	ans, err := scriptPost(c, a.origin, path, "198.19.0.1", nil, map[string]string{"HX-Request": "true"})
	if err != nil || ans.status != http.StatusTooManyRequests || !strings.Contains(ans.body, `class="like-notice"`) ||
		strings.Contains(ans.body, "<html") {
		t.Errorf("htmx like over the limit: %d %v, want 429 with the button and its note:\n%s", ans.status, err, abbreviate(ans.body, 800))
	}
	ans, err = scriptPost(c, a.origin, path, "198.19.0.1", nil, nil)
	if err != nil || ans.status != http.StatusTooManyRequests || !strings.Contains(ans.body, "Many likes have come from your connection") {
		t.Errorf("like over the limit: %d %v, want the 429 page saying why:\n%s", ans.status, err, abbreviate(ans.body, 800))
	}
}

// nastyQueries are searches that once answered 500 ("tsquery stack too
// small" from 33 dashes on), or might.
var nastyQueries = []string{
	strings.Repeat("-", 33),
	strings.Repeat("-", 5000),
	"massage " + strings.Repeat("-", 40) + " back",
	strings.Repeat("- ", 2000) + "massage",
	strings.Repeat("-massage ", 500),
	strings.Repeat(`"`, 999) + "massage",
	strings.Repeat(`-"`, 1000),
	"(((massage))) [back] {pain} <neck>",
	`massage & !back | pain <-> neck :* \ '' ;`,
	"\u202emassage\u202c \u2066back\u2069 \u200b\u200f",
	"massage\x00\x01\x1b[31m\x7f",
	strings.Repeat("massage ", 1000),
	strings.Repeat("foam-roller ", 850), // about 10 KB
	strings.Repeat("or -", 2500),
	`-"massage" or -"-back" -`,
}

// TestAbuseVisitorsSearch: every nasty query, three times as a page or as
// the search box's fragment, from 40 addresses at once, answers 200 with
// results or "No articles match", and the instance fails no request.
func TestAbuseVisitorsSearch(t *testing.T) {
	a := startAbuseTarget(t, nil)
	var mu sync.Mutex
	byStatus := map[int]int{}
	var failed, unclear int
	unclearQueries := map[int]bool{}
	var slowest time.Duration
	a.underAttack(t, "search: 1,800 nasty queries from 40 addresses", func() {
		var wg sync.WaitGroup
		for i := range 40 {
			v := visitorAt(t, a.origin, fmt.Sprintf("198.18.1.%d", i+1))
			wg.Go(func() {
				for k := range 3 * len(nastyQueries) {
					j, q := k%len(nastyQueries), nastyQueries[k%len(nastyQueries)]
					hdr := map[string]string(nil)
					if (i+j)%2 == 1 {
						hdr = map[string]string{"HX-Request": "true", "HX-Target": "post-list"}
					}
					ans, err := v.do(http.MethodGet, "/blog?q="+url.QueryEscape(q), nil, hdr)
					mu.Lock()
					if err != nil {
						failed++
					} else {
						byStatus[ans.status]++
						if ans.status == http.StatusOK && !strings.Contains(ans.body, "No articles match") && !strings.Contains(ans.body, `post-card"`) {
							unclear++
							unclearQueries[j] = true
						}
						slowest = max(slowest, ans.took)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	})
	total := 40 * 3 * len(nastyQueries)
	if failed > 0 || byStatus[http.StatusOK] != total {
		t.Errorf("%d searches: %v by status, %d unanswered; want every one 200", total, byStatus, failed)
	}
	if unclear > 0 {
		t.Errorf("%d answers showed neither results nor \"No articles match\" (queries %v)", unclear, unclearQueries)
	}
	noFailures(t, a)
	t.Logf("search: %d nasty searches, all 200; the slowest took %s", total, slowest.Round(time.Millisecond))
}

const (
	abuseAdminEmail    = "clare@dynamicmotion.example"
	abuseAdminPassword = "the therapist's own long password"
)

// loginAs posts the login form from ip, as a script does.
func loginAs(c *http.Client, a *abuseTarget, ip, email, pw string) (scriptAnswer, error) {
	return scriptPost(c, a.origin, "/admin/login", ip, url.Values{"email": {email}, "password": {pw}}, nil)
}

// loginNotice is the login page's message.
var loginNotice = regexp.MustCompile(`(?s)(Too many failed attempts[^<]*|That email address and password do not match[^<]*|Many people are logging in[^<]*)`)

// guessRun is what one guessing address saw.
type guessRun struct {
	ip              string
	checked, waited int     // answers 422 (the password was checked) and 429
	retryAfters     []int   // of the 429s, in order
	firstThree      []int   // the statuses of its first three tries
	took            float64 // seconds from its first try to its last
}

// TestAbuseVisitorsLogin: eight addresses guess the therapist's password as
// fast as they are answered while she logs in from a new address. Each
// guessing address gets three tries, then waits 1 s, 2 s, 4 s…; she is let
// in at once; her account is not locked, and one notice of the failures is
// queued for her. An address she has and one she has not give the same
// answers at the same tries.
func TestAbuseVisitorsLogin(t *testing.T) {
	a := startAbuseTarget(t, map[string]string{"ADMIN_EMAIL": abuseAdminEmail})
	a.setAdminPassword(t, abuseAdminEmail, abuseAdminPassword)
	bdb := abuseDB(t, a.dsn)
	c := scriptClient(t)

	const guessers, tries = 8, 40
	runs := make([]*guessRun, guessers)
	var herLogin scriptAnswer
	var herErr error
	var herTook time.Duration
	a.underAttack(t, "login: 8 addresses guessing while she logs in from a new one", func() {
		var wg sync.WaitGroup
		throttled := sync.WaitGroup{}
		throttled.Add(guessers)
		for g := range guessers {
			r := &guessRun{ip: fmt.Sprintf("198.18.2.%d", g+1)}
			runs[g] = r
			wg.Go(func() {
				start, first429 := time.Now(), false
				for i := range tries {
					ans, err := loginAs(c, a, r.ip, abuseAdminEmail, fmt.Sprintf("guess %d-%d", g, i))
					if err != nil {
						t.Errorf("guess from %s: %v", r.ip, err)
						break
					}
					if i < 3 {
						r.firstThree = append(r.firstThree, ans.status)
					}
					switch ans.status {
					case http.StatusUnprocessableEntity:
						r.checked++
					case http.StatusTooManyRequests:
						r.waited++
						ra, _ := strconv.Atoi(ans.retryAfter)
						r.retryAfters = append(r.retryAfters, ra)
						if !first429 {
							first429 = true
							throttled.Done()
						}
					default:
						t.Errorf("guess from %s answered %d", r.ip, ans.status)
					}
					time.Sleep(25 * time.Millisecond) // the guesser's pace
				}
				if !first429 {
					throttled.Done()
				}
				r.took = time.Since(start).Seconds()
			})
		}
		// Once every guesser is being slowed down, she logs in from a
		// device and an address the site has never seen.
		throttled.Wait()
		t0 := time.Now()
		herLogin, herErr = loginAs(c, a, "203.0.113.77", abuseAdminEmail, abuseAdminPassword)
		herTook = time.Since(t0)
		wg.Wait()
	})

	if herErr != nil || herLogin.status != http.StatusSeeOther || herLogin.header.Get("Location") != "/admin" {
		t.Errorf("her login from a new address while others guessed: %d to %q (%v), want 303 to /admin",
			herLogin.status, herLogin.header.Get("Location"), herErr)
	}
	checkedAll := 0
	for _, r := range runs {
		checkedAll += r.checked
		// Three tries, then 1 s, 2 s, 4 s… after each further failure:
		// within took seconds at most 3 + 1 + log2(took+1) are checked.
		bound := 4 + int(math.Log2(r.took+1))
		if fmt.Sprint(r.firstThree) != "[422 422 422]" || r.checked > bound || r.waited == 0 {
			t.Errorf("%s: first tries %v, %d checked (at most %d in %.1f s), %d told to wait",
				r.ip, r.firstThree, r.checked, bound, r.took, r.waited)
		}
		for _, ra := range r.retryAfters {
			if ra < 1 || ra > 900 {
				t.Errorf("%s: Retry-After %d, want 1 s to 15 min", r.ip, ra)
				break
			}
		}
		t.Logf("%s: %d checked, %d told to wait in %.1f s; Retry-After %v", r.ip, r.checked, r.waited, r.took, r.retryAfters)
	}
	t.Logf("login: her login took %s while %d guesses were checked", herTook.Round(time.Millisecond), checkedAll)

	// Her account is not locked: a new address is checked (422), and the
	// guessing addresses still wait.
	if ans, err := loginAs(c, a, "203.0.113.78", abuseAdminEmail, "one more guess"); err != nil || ans.status != http.StatusUnprocessableEntity {
		t.Errorf("a wrong password from a new address after the attack: %d %v, want 422 (checked, no lockout)", ans.status, err)
	}
	// Its wait may be over by now (the last was a second or two): then one
	// more wrong guess is checked, and the next, at once, must wait.
	for try := 1; ; try++ {
		ans, err := loginAs(c, a, runs[0].ip, abuseAdminEmail, "another guess")
		if err == nil && ans.status == http.StatusTooManyRequests && ans.retryAfter != "" {
			break
		}
		if err != nil || try == 2 || ans.status != http.StatusUnprocessableEntity {
			t.Errorf("a guessing address after the attack, try %d: %d %v, want 429 with Retry-After (or 422 once, its wait being over)", try, ans.status, err)
			break
		}
	}
	// One notice for her, however many failures.
	if n := scalar(t, bdb, "SELECT count(*) FROM outbox WHERE kind = 'login_alert' AND recipient = ?", abuseAdminEmail); n != 1 {
		t.Errorf("%d notices of failed logins queued after %d failures, want 1", n, checkedAll)
	}

	// Her address and one without an account, from two fresh addresses:
	// the same statuses, headers and pages, try by try.
	other := "david@dynamicmotion.example"
	for i := range 5 {
		ak, errK := loginAs(c, a, "203.0.113.90", abuseAdminEmail, "wrong "+strconv.Itoa(i))
		au, errU := loginAs(c, a, "203.0.113.91", other, "wrong "+strconv.Itoa(i))
		if errK != nil || errU != nil {
			t.Fatalf("try %d: %v %v", i+1, errK, errU)
		}
		want := http.StatusUnprocessableEntity
		if i >= 3 {
			want = http.StatusTooManyRequests
		}
		bk := strings.ReplaceAll(ak.body, abuseAdminEmail, "EMAIL")
		bu := strings.ReplaceAll(au.body, other, "EMAIL")
		if ak.status != want || au.status != want || bk != bu || ak.retryAfter != au.retryAfter ||
			ak.header.Get("Content-Length") != au.header.Get("Content-Length") {
			t.Errorf("try %d: %d vs %d (want %d), Retry-After %q vs %q, notice %q vs %q",
				i+1, ak.status, au.status, want, ak.retryAfter, au.retryAfter,
				loginNotice.FindString(ak.body), loginNotice.FindString(au.body))
		}
	}
	noFailures(t, a)
}

// noFailures fails t if the instance answered a request with a 5xx or
// logged a failed one.
func noFailures(t *testing.T, a *abuseTarget) {
	t.Helper()
	for line := range strings.SplitSeq(a.log.String(), "\n") {
		if strings.Contains(line, `"msg":"request failed"`) || strings.Contains(line, `"status":5`) || strings.Contains(line, `"msg":"panic"`) {
			t.Errorf("the instance failed a request: %s", abbreviate(line, 600))
		}
	}
}
