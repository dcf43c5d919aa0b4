package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// nginxArticle is where .ci/load's nginx serves the article's bytes, as the
// site served them to this run: article.html, and article.html.gz for a
// request that accepts gzip (gzip_static).
const nginxArticle = "/article.html"

// budget is one ratio of issue 16: the site's requests per second over a
// reference's, both measured in this run, one after the other, with the same
// connections and duration.
type budget struct {
	label, refLabel string
	site, ref       scenario
	min             float64 // the ratio it must reach
	skip            string  // why it is not measured ("": it is)
	fail            string  // why it fails without being measured
	// filled in by the runs
	siteRuns, refRuns []result
}

// budgets measures the budgets against nginx (at nginxOrigin, serving the
// article's bytes) and the site's /healthz and prints one table of the runs
// and one of the ratios. err is a run that could not be made or a request
// that failed; missed, with BENCH_BUDGETS=1, names the budgets not met.
func budgets(origin, article, nginxOrigin string) (missed string, err error) {
	site, ref := origin+article, nginxOrigin+nginxArticle
	gz := []string{"Accept-Encoding", "gzip"}

	// The four answers compared must be the same page, compressed or not as
	// asked: otherwise the ratios compare different work.
	siteGz, err := probe(site, gz...)
	if err != nil {
		return "", err
	}
	refGz, err := probe(ref, gz...)
	if err != nil {
		return "", err
	}
	siteID, err := probe(site)
	if err != nil {
		return "", err
	}
	refID, err := probe(ref)
	if err != nil {
		return "", err
	}
	switch {
	case siteGz.encoding != "gzip":
		return "", fmt.Errorf("budgets: %s with Accept-Encoding: gzip came back as %q, not gzip", site, siteGz.encoding)
	case refGz.encoding != "gzip":
		return "", fmt.Errorf("budgets: nginx's %s with Accept-Encoding: gzip came back as %q (is gzip_static on and article.html.gz there?)", ref, refGz.encoding)
	case siteID.encoding != "" || refID.encoding != "":
		return "", fmt.Errorf("budgets: asked for no compression, got %q from the site and %q from nginx", siteID.encoding, refID.encoding)
	case title(siteID.body) == "" || title(siteID.body) != title(refID.body):
		return "", fmt.Errorf("budgets: nginx serves %q, the site %q: not the same page", title(refID.body), title(siteID.body))
	case 100*abs(len(siteID.body)-len(refID.body)) > len(refID.body):
		return "", fmt.Errorf("budgets: the site's article is %d bytes, nginx's copy %d: it changed since nginx got it", len(siteID.body), len(refID.body))
	}
	fmt.Printf("\nbudgets: %s against nginx's copy of it (%s): gzip %d bytes from the site, %d from nginx; without gzip %d and %d\n",
		article, nginxArticle, len(siteGz.body), len(refGz.body), len(siteID.body), len(refID.body))

	// The revalidation: the ETag the site sent, asked for again.
	reval := budget{label: "revalidation: article with If-None-Match → 304", refLabel: "site `/healthz`", min: 0.8,
		ref: fetch("healthz", "site: `/healthz`", origin+"/healthz", http.StatusOK, true)}
	if etag := siteGz.header.Get("ETag"); etag == "" {
		reval.skip = "no ETag: skipped"
	} else {
		inm := append([]string{"If-None-Match", etag}, gz...)
		res, err := probe(site, inm...)
		if err != nil {
			return "", err
		}
		if res.status != http.StatusNotModified {
			reval.fail = fmt.Sprintf("ETag %s sent, but If-None-Match with it answered %d", etag, res.status)
		}
		reval.site = fetch("revalidate", "site: article, If-None-Match → 304", site, http.StatusNotModified, true, inm...)
		fmt.Printf("revalidation: ETag %s (with gzip)\n", etag)
	}
	all := []*budget{
		{label: "article, gzip", refLabel: "nginx, gzip_static", min: 0.4,
			site: fetch("article-gzip", "site: article, gzip", site, http.StatusOK, true),
			ref:  fetch("nginx-gzip", "nginx: article.html, gzip_static", ref, http.StatusOK, true)},
		{label: "article, no gzip", refLabel: "nginx, no gzip", min: 0.5,
			site: fetch("article-identity", "site: article, no gzip", site, http.StatusOK, false),
			ref:  fetch("nginx-identity", "nginx: article.html, no gzip", ref, http.StatusOK, false)},
		&reval,
	}

	fmt.Printf("budget runs: %d connections, %s each, %d round(s) a side\n", *conns, *duration, *rounds)
	var runs []result
	for _, b := range all {
		if b.skip != "" || b.fail != "" {
			continue
		}
		for round := range max(*rounds, 1) {
			// One side first, then the other; the next round the other way
			// round, so that a drift of the machine favours neither.
			sides := []*[]result{&b.siteRuns, &b.refRuns}
			scenarios := []scenario{b.site, b.ref}
			if round%2 == 1 {
				sides[0], sides[1] = sides[1], sides[0]
				scenarios[0], scenarios[1] = scenarios[1], scenarios[0]
			}
			for i, s := range scenarios {
				r, err := measure(origin, s)
				if err != nil {
					return "", fmt.Errorf("%s: %w", s.name, err)
				}
				*sides[i] = append(*sides[i], r)
				runs = append(runs, r)
				fmt.Fprintf(os.Stderr, "  %-40s %8.0f req/s (%d requests, %d errors)\n", r.label, r.rps(), r.n, r.errs)
			}
		}
	}

	fmt.Println("| run | req/s | p50 | p90 | p99 | bytes | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		fmt.Printf("| %s | %.0f | %s | %s | %s | %d | %s |\n", r.label, r.rps(), ms(r.p50), ms(r.p90), ms(r.p99), r.bytes, errCell(r))
	}
	fmt.Println()
	fmt.Println("| budget | site req/s | reference | reference req/s | ratio | needs | verdict |")
	fmt.Println("|---|---:|---|---:|---:|---:|---|")
	var failed, skipped []string
	for _, b := range all {
		switch {
		case b.skip != "":
			skipped = append(skipped, b.label)
			fmt.Printf("| %s | — | %s | — | — | ≥ %.1f | %s |\n", b.label, b.refLabel, b.min, b.skip)
		case b.fail != "":
			failed = append(failed, b.label)
			fmt.Printf("| %s | — | %s | — | — | ≥ %.1f | FAIL: %s |\n", b.label, b.refLabel, b.min, b.fail)
		default:
			s, r := rate(b.siteRuns), rate(b.refRuns)
			ratio := s / r
			verdict := "PASS"
			if ratio < b.min {
				verdict = "FAIL"
				failed = append(failed, b.label)
			}
			fmt.Printf("| %s | %.0f | %s | %.0f | %.2f | ≥ %.1f | %s |\n", b.label, s, b.refLabel, r, ratio, b.min, verdict)
		}
	}
	for _, r := range runs {
		if r.errs > 0 {
			return "", fmt.Errorf("%s: %d requests failed (first: %s)", r.label, r.errs, r.firstErr)
		}
	}
	enforced := os.Getenv("BENCH_BUDGETS") == "1"
	switch {
	case len(failed) == 0 && len(skipped) == 0:
		fmt.Println("\nbudgets: all met")
	case enforced:
		// Enforced, a budget that could not be measured has not been met.
		return fmt.Sprintf("budgets (BENCH_BUDGETS=1): failed: %s; skipped: %s",
			list(failed), list(skipped)), nil
	default:
		fmt.Printf("\nbudgets: failed: %s; skipped: %s (not enforced: BENCH_BUDGETS=1 makes these fail the run)\n",
			list(failed), list(skipped))
	}
	return "", nil
}

func abs(n int) int { return max(n, -n) }

// rate is the requests per second of runs taken together.
func rate(runs []result) float64 {
	var n int
	var t time.Duration
	for _, r := range runs {
		n += r.n
		t += r.elapsed
	}
	return float64(n) / t.Seconds()
}

func errCell(r result) string {
	if r.errs == 0 {
		return "0"
	}
	return strconv.Itoa(r.errs) + " (" + r.firstErr + ")"
}

// list names budgets, each quoted (their labels hold commas).
func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	q := make([]string, len(s))
	for i, l := range s {
		q[i] = strconv.Quote(l)
	}
	return strings.Join(q, ", ")
}

// answer is one response, read whole.
type answer struct {
	status   int
	encoding string
	header   http.Header
	body     []byte
}

// probe sends one GET of target with the header pairs given.
func probe(target string, headers ...string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotModified {
		return answer{}, errors.New("GET " + target + ": " + res.Status)
	}
	return answer{status: res.StatusCode, encoding: res.Header.Get("Content-Encoding"), header: res.Header, body: body}, nil
}

var titleRe = regexp.MustCompile(`<title>([^<]*)</title>`)

func title(html []byte) string {
	if m := titleRe.FindSubmatch(html); m != nil {
		return string(m[1])
	}
	return ""
}
