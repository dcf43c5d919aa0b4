package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// testTimeout bounds each test: browser start, every page and every check.
const testTimeout = 30 * time.Second

// cspRecorder runs before any script of every document. The page's own CSP
// does not apply to scripts that the DevTools protocol injects, so it sees
// every violation, including those of blocked inline scripts and styles.
const cspRecorder = `
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
	window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});`

// browser is one headless Chromium with its own fresh profile.
type browser struct {
	ctx    context.Context // a chromedp context whose browser has started
	output *syncBuffer     // Chromium's stdout and stderr, for start-up failures
}

// newBrowser starts Chromium for the test and stops it when the test ends, or
// when testTimeout has passed.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	profile, err := os.MkdirTemp("", "e2e-chromium-profile-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	b := &browser{output: &syncBuffer{}}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromePath),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container: the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Stay off the network: this machine has none, and every attempt
		// would fill the log with refused connections.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(b.output),
	)
	var cancelBrowser context.CancelFunc
	b.ctx, cancelBrowser = chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // closes the browser and waits for it to exit
		cancel()
		os.RemoveAll(profile)
	})
	if err := chromedp.Do(b.ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v\n%s", chromePath, err, b.output.String())
	}
	return b
}

// tab is one browser tab that records everything that went wrong in it.
type tab struct {
	t      *testing.T
	ctx    context.Context
	origin string // the site open opens pages of: baseURL unless a test sets another instance's

	mu            sync.Mutex
	consoleErrors []string // console.error and console.assert calls
	exceptions    []string // uncaught exceptions and promise rejections
	logErrors     []string // the browser's own error log: failed loads, CSP, ...
	failed        []string // requests that failed, or same-origin answers >= 400
	requestURL    map[network.RequestID]string
	expected      map[string]int64 // URL → an error status the test expects
}

// newTab opens a tab in b that records console errors, exceptions, the
// browser log's errors, failed requests and CSP violations.
func (b *browser) newTab(t *testing.T) *tab {
	t.Helper()
	tb := &tab{t: t, requestURL: map[network.RequestID]string{}, expected: map[string]int64{}}
	// chromedp enables the runtime, log, network and page domains when it
	// attaches a tab; WithListener sees their events from the first one on.
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(tb.record))
	t.Cleanup(cancel)
	tb.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v\n%s", err, b.output.String())
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder}); err != nil {
		t.Fatalf("installing the CSP violation recorder: %v", err)
	}
	// Reduced motion: the site's smooth scrolling is off, so a click lands
	// where chromedp scrolled the element to even on a busy machine (a
	// person waits for the page to stop moving; chromedp does not).
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("asking for reduced motion: %v", err)
	}
	return tb
}

// openTab starts a browser with one tab, for tests that need only one.
func openTab(t *testing.T) *tab {
	t.Helper()
	return newBrowser(t).newTab(t)
}

// record runs in the tab's event loop: it must return fast and run no command.
func (tb *tab) record(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			tb.consoleErrors = append(tb.consoleErrors, "console."+string(ev.Type)+": "+argsText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
		}
		tb.exceptions = append(tb.exceptions, fmt.Sprintf("%s (at %s:%d)", text, d.URL, d.LineNumber+1))
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		u, _, _ := strings.Cut(e.URL, "#") // a form's action may name the form to land on
		if _, ok := tb.expected[u]; ok && e.Source == log.EntrySourceNetwork {
			return // "Failed to load resource: 404" for the page the test asked for
		}
		tb.logErrors = append(tb.logErrors, fmt.Sprintf("[%s] %s (%s)", e.Source, e.Text, e.URL))
	case *network.EventRequestWillBeSent:
		tb.requestURL[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		r := ev.Response
		if r.Status < 400 || !strings.HasPrefix(r.URL, baseURL+"/") {
			return
		}
		if want, ok := tb.expected[r.URL]; ok && want == r.Status {
			return
		}
		tb.failed = append(tb.failed, fmt.Sprintf("%s %s answered %d", ev.Type, r.URL, r.Status))
	case *network.EventLoadingFailed:
		if ev.Canceled {
			return // the page moved on (a navigation); nothing failed to load
		}
		msg := fmt.Sprintf("%s %s failed", ev.Type, tb.requestURL[ev.RequestID])
		if ev.ErrorText != "" {
			msg += ": " + ev.ErrorText
		}
		if ev.BlockedReason != "" {
			msg += " (blocked: " + string(ev.BlockedReason) + ")"
		}
		tb.failed = append(tb.failed, msg)
	}
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// expectStatus tells the tab that path is meant to answer status (a 404
// page), so that the answer and its console line are not counted as failures.
func (tb *tab) expectStatus(path string, status int64) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	origin := tb.origin
	if origin == "" {
		origin = baseURL
	}
	tb.expected[origin+path] = status
}

// open loads path on the site, waits for the page to load and returns the
// HTTP status of the document.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	origin := tb.origin
	if origin == "" {
		origin = baseURL
	}
	resp, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(origin+path))
	if err != nil {
		tb.t.Fatalf("loading %s: %v", path, err)
	}
	if err := chromedp.Do(tb.ctx, chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		tb.t.Fatalf("waiting for the body of %s: %v", path, err)
	}
	return resp.Status
}

// do runs actions in the tab and fails the test if one fails.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the tab's page and decodes its
// value into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// cspViolations returns the violations the current document has reported.
func (tb *tab) cspViolations() []string {
	tb.t.Helper()
	return eval[[]string](tb, `window.__cspViolations || []`)
}

// problems lists what went wrong in the tab, by kind.
type problems struct {
	consoleErrors, exceptions, logErrors, failedRequests []string
}

// takeProblems returns what went wrong since the last call and forgets it.
func (tb *tab) takeProblems() problems {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := problems{tb.consoleErrors, tb.exceptions, tb.logErrors, tb.failed}
	tb.consoleErrors, tb.exceptions, tb.logErrors, tb.failed = nil, nil, nil, nil
	return p
}

// assertClean fails the test for every console error, uncaught exception,
// browser error log entry and failed request since the last call, and every
// CSP violation of the current document. what names the page in the messages.
func (tb *tab) assertClean(what string) {
	tb.t.Helper()
	p := tb.takeProblems()
	report := func(items []string, explanation string) {
		tb.t.Helper()
		if len(items) > 0 {
			tb.t.Errorf("%s: %s:\n  %s", what, explanation, strings.Join(items, "\n  "))
		}
	}
	report(p.consoleErrors, "the page writes errors to the console")
	report(p.exceptions, "the page's JavaScript throws uncaught exceptions")
	report(p.logErrors, "the browser logs errors for the page")
	report(p.failedRequests, "requests of the page fail")
	report(tb.cspViolations(), "the Content-Security-Policy blocks part of the page (violated directive, blocked URI)")
}
