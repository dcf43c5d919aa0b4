// Command loadgen drives a running dynamicmotion site on loopback for a
// bounded time per scenario and prints, per scenario, requests per second,
// p50/p90/p99 latency, compressed bytes of one answer and the ratio to the
// ceiling (/_bench/ceiling: the same server answering a fixed page from
// memory) measured in the same run, before and after the others.
//
// It is run by .ci/load, which starts the site with BENCH_CEILING=1 and
// BENCH_NO_LIMITS=1 (the rate limits on comments and bookings would stop a
// load run after a few posts; the site accepts that switch only on a loopback
// BASE_URL). It refuses any target that is not a loopback address.
//
// Scenarios: the home page, an article with at least 50 visible comments
// (seeded through the site's own comment form first), blog search, the slot
// picker fragment (as it opens, and for a day with free times), posting a comment, booking (POST /book with a full form,
// each request a different free time read from the slot picker first), and
// for reference /blog, /services, the stylesheet and /healthz.
//
// With -nginx (an nginx on loopback that serves the article's very bytes as
// /article.html and, with gzip_static, /article.html.gz: .ci/load starts
// one), it then measures the budgets of issue 16, each a ratio of requests
// per second measured back to back in the same run, with the same
// connections and duration: the article with gzip against nginx's
// gzip_static, the article without gzip against nginx's plain copy, and a
// revalidation of the article (If-None-Match with the ETag the site sent,
// answered 304) against the site's own /healthz, before the scenarios above
// (the comment scenario may post to the same article). It prints PASS or
// FAIL for each; a failed budget fails the run only with BENCH_BUDGETS=1 in the
// environment (the budgets are for the page cache, which may not be there
// yet). A site that sends no ETag has its revalidation skipped.
//
//	go run ./.ci/loadgen -base http://127.0.0.1:8080 -duration 10s -conns 32
//	go run ./.ci/loadgen -base http://127.0.0.1:8080 -nginx http://127.0.0.1:8081 -only budgets
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Europe/London, whatever the machine has
)

var (
	base     = flag.String("base", "", "origin of the site, e.g. http://127.0.0.1:8080 (loopback only)")
	duration = flag.Duration("duration", 10*time.Second, "how long each scenario runs")
	conns    = flag.Int("conns", 32, "concurrent connections (one request at a time each)")
	only     = flag.String("only", "", "comma-separated scenario names to run (default: all)")
	comments = flag.Int("comments", 50, "visible comments the measured article must have")
	seedOnly = flag.Bool("seed-only", false, "only post the article's comments, print its path and exit (for .ci/lighthouse and .ci/load)")
	nginx    = flag.String("nginx", "", "origin of an nginx (loopback only) serving the article's bytes as "+nginxArticle+" with gzip_static: measure the budgets")
	rounds   = flag.Int("rounds", 1, "budget runs of each side: more than one alternates which side goes first")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// client sends requests without following redirects and without
// decompressing, so that sizes are what goes over the wire.
var client = &http.Client{
	Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// scenario is one kind of request, made by each connection in a loop.
type scenario struct {
	name, label string
	// setup runs once per connection before the clock starts and returns
	// the request maker for that connection.
	setup func(worker int) (func() (*http.Request, error), error)
	want  int // expected status
}

// result is one scenario's figures.
type result struct {
	label    string
	n, errs  int
	firstErr string
	elapsed  time.Duration
	p50, p90 time.Duration
	p99      time.Duration
	bytes    int
}

func (r result) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

func run() error {
	origin, err := loopback("-base", *base)
	if err != nil {
		return err
	}
	var nginxOrigin string
	if *nginx != "" {
		if nginxOrigin, err = loopback("-nginx", *nginx); err != nil {
			return err
		}
	}

	article, other, err := articles(origin)
	if err != nil {
		return err
	}
	if err := seedComments(origin, article, *comments); err != nil {
		return err
	}
	if *seedOnly {
		fmt.Println(article)
		return nil
	}
	svc, err := firstService(origin)
	if err != nil {
		return err
	}
	picker := "/book/slots?service=" + svc + "&location=studio"
	day, err := freeDay(origin, picker)
	if err != nil {
		return err
	}
	pickerDay := picker + "&date=" + day
	css, err := find(origin, "/", `/static/css/site\.[0-9a-f]+\.css`)
	if err != nil {
		return err
	}

	get := func(name, label, path string, headers ...string) scenario {
		return fetch(name, label, origin+path, http.StatusOK, true, headers...)
	}
	all := []scenario{
		get("ceiling", "ceiling: article page from memory", "/_bench/ceiling"),
		get("home", "home `/`", "/"),
		get("article", fmt.Sprintf("article with %d comments", *comments), article),
		get("search", "blog search `/blog?q=back+pain`", "/blog?q=back+pain"),
		get("picker", "slot picker fragment (htmx)", picker, "HX-Request", "true"),
		get("picker-day", "slot picker fragment for a day with free times (htmx, `&date=`)", pickerDay, "HX-Request", "true"),
		commentPost(origin, other),
		booking(origin, svc),
		get("blog", "`/blog`", "/blog"),
		get("services", "`/services`", "/services"),
		get("css", "stylesheet (pre-compressed)", css),
		get("healthz", "`/healthz`", "/healthz"),
		get("ceiling2", "ceiling again, after the others", "/_bench/ceiling"),
	}
	wantBudgets := true
	if *only != "" {
		keep := strings.Split(*only, ",")
		all = slices.DeleteFunc(all, func(s scenario) bool {
			return !slices.Contains(keep, s.name) && !strings.HasPrefix(s.name, "ceiling")
		})
		wantBudgets = slices.Contains(keep, "budgets")
	}

	if err := pageWeight(origin, article); err != nil {
		return err
	}
	// The budgets first, while the article is the page nginx was given: the
	// comment scenario may post to it (the seed has one article).
	var missed string
	switch {
	case !wantBudgets:
	case nginxOrigin == "":
		fmt.Println("budgets: skipped (no -nginx to compare with)")
	default:
		if missed, err = budgets(origin, article, nginxOrigin); err != nil {
			return err
		}
		fmt.Println()
	}
	fmt.Printf("load: %d connections, %s per scenario, against %s\n", *conns, *duration, origin)
	fmt.Printf("article: %s (%d+ comments); comments posted to %s; slot picker: %s and %s\n\n", article, *comments, other, picker, pickerDay)
	var results []result
	for _, s := range all {
		r, err := measure(origin, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "  %-40s %8.0f req/s (%d requests, %d errors)\n", r.label, r.rps(), r.n, r.errs)
	}
	// The ceiling is the mean of its two runs.
	var ceil float64
	var nceil int
	for i, s := range all {
		if strings.HasPrefix(s.name, "ceiling") {
			ceil += results[i].rps()
			nceil++
		}
	}
	ceil /= float64(max(nceil, 1))
	fmt.Println("| scenario | req/s | p50 | p90 | p99 | bytes (gzip) | of ceiling | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		errs := strconv.Itoa(r.errs)
		if r.errs > 0 {
			errs += " (" + r.firstErr + ")"
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %d | %.0f%% | %s |\n", r.label, r.rps(),
			ms(r.p50), ms(r.p90), ms(r.p99), r.bytes, 100*r.rps()/ceil, errs)
	}
	fmt.Printf("\nceiling: mean of its two runs, %.0f req/s\n", ceil)
	for _, r := range results {
		if r.errs > 0 {
			return fmt.Errorf("%s: %d requests failed (first: %s)", r.label, r.errs, r.firstErr)
		}
	}
	if missed != "" {
		return errors.New(missed)
	}
	return nil
}

// loopback checks that flag's value is an origin on a loopback address
// and returns it without a trailing slash.
func loopback(flag, origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%s %q: want an origin such as http://127.0.0.1:8080", flag, origin)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("%s %q: only loopback addresses are load-tested", flag, origin)
	}
	return strings.TrimRight(origin, "/"), nil
}

// assetRe finds the stylesheets and scripts a page loads; thirdPartyRe
// anything it would load from another origin.
var (
	assetRe      = regexp.MustCompile(`(?:src|href)="(/static/[^"]+\.(?:css|js))"`)
	thirdPartyRe = regexp.MustCompile(`<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]*)"`)
)

// maxArticleWeight is the budget of an article page's first visit: HTML,
// CSS and JS, compressed.
const maxArticleWeight = 40 << 10

// pageWeight prints what a first visit to article transfers (HTML, CSS and
// JS, compressed, as a browser asks for them) and fails when it is over
// budget or loads anything from another origin.
func pageWeight(origin, article string) error {
	size := func(path string) (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, origin+path, nil)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		res, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return len(b), res.Header.Get("Content-Encoding"), err
	}
	html, err := newVisitor(origin).get(article)
	if err != nil {
		return err
	}
	total := 0
	var parts []string
	paths := []string{article}
	for _, m := range assetRe.FindAllStringSubmatch(html, -1) {
		if !slices.Contains(paths, m[1]) {
			paths = append(paths, m[1])
		}
	}
	for _, p := range paths {
		n, enc, err := size(p)
		if err != nil {
			return err
		}
		if enc == "" {
			enc = "uncompressed"
		}
		total += n
		parts = append(parts, fmt.Sprintf("%s %d (%s)", p[strings.LastIndex(p, "/")+1:], n, enc))
	}
	fmt.Printf("article page, first visit: %d bytes (%.1f KB) in total: %s\n", total, float64(total)/1024, strings.Join(parts, ", "))
	var third []string
	for _, m := range thirdPartyRe.FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[1], origin) {
			third = append(third, m[1])
		}
	}
	switch {
	case len(third) > 0:
		return fmt.Errorf("the article page loads from other origins: %s", strings.Join(third, ", "))
	case total > maxArticleWeight:
		return fmt.Errorf("the article page weighs %d bytes compressed, over the budget of %d", total, maxArticleWeight)
	}
	fmt.Println("article page: nothing loaded from another origin")
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

// measure runs s on every connection for -duration (or until a scenario runs
// out of work, as booking does when every free time is taken).
func measure(origin string, s scenario) (result, error) {
	makers := make([]func() (*http.Request, error), *conns)
	var setupErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range makers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := s.setup(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && setupErr == nil {
				setupErr = err
			}
			makers[i] = m
		}()
	}
	wg.Wait()
	if setupErr != nil {
		return result{}, setupErr
	}
	// One answer's size, as a visitor receives it.
	size := -1

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	lat := make([][]time.Duration, *conns)
	var errs atomic.Int64
	var firstErr atomic.Value
	fail := func(msg string) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, msg)
	}
	start := time.Now()
	for i := range makers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for ctx.Err() == nil {
				req, err := makers[i]()
				if errors.Is(err, errDone) {
					return
				}
				if err != nil {
					fail(err.Error())
					return
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					fail(err.Error())
					continue
				}
				n := 0
				for {
					k, err := res.Body.Read(buf)
					n += k
					if err != nil {
						break
					}
				}
				res.Body.Close()
				lat[i] = append(lat[i], time.Since(t0))
				if res.StatusCode != s.want {
					fail(fmt.Sprintf("status %d, want %d", res.StatusCode, s.want))
				}
				mu.Lock()
				if size < 0 {
					size = n
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return result{}, errors.New("no request completed")
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	r := result{label: s.label, n: len(all), errs: int(errs.Load()), elapsed: elapsed,
		p50: pct(0.50), p90: pct(0.90), p99: pct(0.99), bytes: size}
	if v, ok := firstErr.Load().(string); ok {
		r.firstErr = v
	}
	return r, nil
}

// fetch is a scenario of GETs of target, with Accept-Encoding: gzip or
// without any Accept-Encoding, and the header pairs given (name, value),
// answered with status want.
func fetch(name, label, target string, want int, gzip bool, headers ...string) scenario {
	return scenario{name: name, label: label, want: want, setup: func(int) (func() (*http.Request, error), error) {
		return func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodGet, target, nil)
			if err == nil {
				if gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				for i := 0; i+1 < len(headers); i += 2 {
					req.Header.Set(headers[i], headers[i+1])
				}
			}
			return req, err
		}, nil
	}}
}

// errDone tells a connection that its scenario has no more work.
var errDone = errors.New("no more work")

// visitor is one browser: its cookies (the session, once it has one).
type visitor struct {
	origin  string
	cookies map[string]string
}

func newVisitor(origin string) *visitor {
	return &visitor{origin: origin, cookies: map[string]string{}}
}

func (v *visitor) header() string {
	parts := make([]string, 0, len(v.cookies))
	for k, val := range v.cookies {
		parts = append(parts, k+"="+val)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// do sends req with the visitor's cookies and keeps the ones set.
func (v *visitor) do(req *http.Request) (int, string, error) {
	if h := v.header(); h != "" {
		req.Header.Set("Cookie", h)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		v.cookies[c.Name] = c.Value
	}
	return res.StatusCode, string(body), err
}

func (v *visitor) get(path string, headers ...string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, v.origin+path, nil)
	if err != nil {
		return "", err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	status, body, err := v.do(req)
	if err == nil && status != 200 {
		err = fmt.Errorf("GET %s: status %d", path, status)
	}
	return body, err
}

// postRequest is a form POST carrying the visitor's cookies (set on the
// request now, so that the request can be sent by the measuring loop).
func (v *visitor) postRequest(path string, form url.Values, headers ...string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, v.origin+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Cookie", v.header())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req, nil
}

var (
	startedRe = regexp.MustCompile(`name="started" value="([^"]+)"`)
	countRe   = regexp.MustCompile(`id="comment-count"[^>]*>\((\d+)\)`)
	articleRe = regexp.MustCompile(`href="(/blog/[a-z0-9-]+)"`)
	serviceRe = regexp.MustCompile(`name="service" value="(\d+)"`)
	startRe   = regexp.MustCompile(`<button name="start" value="([^"]+)"`)
)

func submatch(re *regexp.Regexp, s, what string) (string, error) {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("no %s found (pattern %s)", what, re)
	}
	return m[1], nil
}

func find(origin, path, pattern string) (string, error) {
	body, err := newVisitor(origin).get(path)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(pattern).FindString(body)
	if m == "" {
		return "", fmt.Errorf("%s: nothing matches %s", path, pattern)
	}
	return m, nil
}

// articles returns the newest article (the one measured) and another one
// (the one comments are posted to during the load, so that the measured
// article keeps its comments as they were).
func articles(origin string) (string, string, error) {
	body, err := newVisitor(origin).get("/blog")
	if err != nil {
		return "", "", err
	}
	var found []string
	for _, m := range articleRe.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(found, m[1]) {
			found = append(found, m[1])
		}
	}
	switch len(found) {
	case 0:
		return "", "", errors.New("no article linked from /blog")
	case 1:
		return found[0], found[0], nil
	}
	return found[0], found[1], nil
}

// commentForm is a visitor on an article with a comment form whose fill-time
// stamp will be accepted once minFill has passed.
func commentForm(origin, article string) (*visitor, string, error) {
	v := newVisitor(origin)
	if _, err := v.get(article); err != nil {
		return nil, "", err
	}
	// The page every reader shares carries no stamp: the browser fetches
	// one when the page loads, as this does.
	body, err := v.get("/form-stamp")
	if err != nil {
		return nil, "", err
	}
	started, err := submatch(startedRe, body, "fill-time stamp")
	return v, started, err
}

// minFill is how long a comment form must have been open (the site's
// minFillTime, with a margin).
const minFill = 2100 * time.Millisecond

func commentValues(started string, n int) url.Values {
	return url.Values{"started": {started}, "website": {""},
		"name": {"Load Test " + strconv.Itoa(n%100)},
		"body": {"Comment " + strconv.Itoa(n) + " from the load run: a few words about *stretching* after a long run."}}
}

// seedComments posts comments through the site's own form until article
// shows at least n visible ones.
func seedComments(origin, article string, n int) error {
	v, started, err := commentForm(origin, article)
	if err != nil {
		return err
	}
	body, _ := v.get(article)
	have, _ := strconv.Atoi(countRe.FindStringSubmatch(body + `id="comment-count">(0)`)[1])
	if have < n {
		time.Sleep(minFill)
	}
	for i := have; i < n; i++ {
		req, err := v.postRequest(article+"/comments", commentValues(started, i))
		if err != nil {
			return err
		}
		if status, body, err := v.do(req); err != nil || status != http.StatusSeeOther {
			return fmt.Errorf("seeding comment %d on %s: status %d, %v\n%.500s", i+1, article, status, err, body)
		}
	}
	body, err = v.get(article)
	if err != nil {
		return err
	}
	got, _ := strconv.Atoi(countRe.FindStringSubmatch(body + `id="comment-count">(0)`)[1])
	if got < n {
		return fmt.Errorf("%s shows %d comments after seeding, want at least %d", article, got, n)
	}
	if c := strings.Count(body, `class="comment-body`); c > 0 && c < n {
		return fmt.Errorf("%s renders %d comment bodies, want at least %d", article, c, n)
	}
	return nil
}

// commentPost: each connection is a visitor with its own session (from its
// first comment on) who opened the article's form more than two seconds ago and posts
// a comment with htmx again and again (the rate limits are lifted).
func commentPost(origin, article string) scenario {
	return scenario{name: "comment", label: "comment post (htmx)", want: http.StatusOK,
		setup: func(worker int) (func() (*http.Request, error), error) {
			v, started, err := commentForm(origin, article)
			if err != nil {
				return nil, err
			}
			time.Sleep(minFill)
			n := worker * 1_000_000
			return func() (*http.Request, error) {
				n++
				return v.postRequest(article+"/comments", commentValues(started, n), "HX-Request", "true")
			}, nil
		}}
}

// instantRe is a free time as the picker's controls carry it (RFC 3339,
// UTC), whatever the markup around it.
var instantRe = regexp.MustCompile(`value="(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"`)

// freeDay is the UK date (2006-01-02) of the first free time the picker
// shows when it opens.
func freeDay(origin, picker string) (string, error) {
	body, err := newVisitor(origin).get(picker, "HX-Request", "true")
	if err != nil {
		return "", err
	}
	v, err := submatch(instantRe, body, "free time in the picker")
	if err != nil {
		return "", err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return "", err
	}
	return t.In(london).Format(time.DateOnly), nil
}

// london is the practice's zone, in which the picker's days are dates.
var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

func firstService(origin string) (string, error) {
	body, err := newVisitor(origin).get("/book")
	if err != nil {
		return "", err
	}
	return submatch(serviceRe, body, "service on /book")
}

// booking: every connection is a visitor who posts the
// full booking form straight to POST /book, each time for another free time.
// The free times are read from the slot picker first, week by week, and
// thinned so that no two overlap (a booking blocks the times around it).
func booking(origin, svc string) scenario {
	var (
		once  sync.Once
		times []string
		err   error
		next  atomic.Int64
	)
	return scenario{name: "booking", label: "booking (POST /book, a new time each)", want: http.StatusSeeOther,
		setup: func(int) (func() (*http.Request, error), error) {
			once.Do(func() { times, err = freeTimes(origin, svc) })
			if err != nil {
				return nil, err
			}
			v := newVisitor(origin)
			if _, err := v.get("/book"); err != nil {
				return nil, err
			}
			return func() (*http.Request, error) {
				i := int(next.Add(1)) - 1
				if i >= len(times) {
					return nil, errDone
				}
				form := url.Values{"service": {svc}, "location": {"studio"}, "start": {times[i]},
					"name": {"Load Test"}, "email": {"load" + strconv.Itoa(i) + "@example.com"}, "phone": {"07700 900123"},
					"consent_policy": {"yes"}, "consent_health": {"yes"}}
				for _, k := range []string{"injury", "clots", "skin", "pregnancy", "medication"} {
					form.Set("health_"+k, "no")
				}
				return v.postRequest("/book", form)
			}, nil
		}}
}

// freeTimes walks the slot picker day by day (it shows one day at a time)
// and returns free start times at least an hour apart, so that booking one
// (30 minutes and the 15-minute buffer either side) leaves the next free.
// A day past the booking horizon shows the first free day again: its times
// are not after the last one taken, and are skipped.
func freeTimes(origin, svc string) ([]string, error) {
	v := newVisitor(origin)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, err
	}
	var out []string
	var last time.Time
	day := time.Now().In(london)
	for range 70 {
		path := "/book/slots?service=" + svc + "&location=studio&date=" + day.Format(time.DateOnly)
		day = day.AddDate(0, 0, 1)
		body, err := v.get(path, "HX-Request", "true")
		if err != nil {
			return nil, err
		}
		for _, m := range startRe.FindAllStringSubmatch(body, -1) {
			t, err := time.Parse(time.RFC3339, m[1])
			if err != nil {
				return nil, fmt.Errorf("slot picker: start %q: %w", m[1], err)
			}
			if last.IsZero() || t.Sub(last) >= time.Hour {
				out, last = append(out, m[1]), t
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the slot picker offers no free time")
	}
	fmt.Fprintf(os.Stderr, "  %d free times to book, read from the slot picker\n", len(out))
	return out, nil
}
