package e2e

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A form on another website that posts to the site (what a CSRF attack
// is), in a real browser: the page is served from 127.0.0.2, another site
// for Chromium, which sends Sec-Fetch-Site: cross-site of its own accord.
// The site refuses it with its friendly 403 page.
func TestCrossSiteFormIsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("listening on 127.0.0.2 for the other site: %v", err)
	}
	other := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Another site</title>
<form method="post" action="%s/contact">
<input type="hidden" name="name" value="Mallory">
<input type="hidden" name="email" value="mallory@example.org">
<input type="hidden" name="message" value="Sent from another website without the reader knowing.">
<button id="go">Win a prize</button>
</form>`, html.EscapeString(baseURL))
	})}
	go other.Serve(ln)
	t.Cleanup(func() { other.Close() })

	tb := openTab(t)
	tb.expectStatus("/contact", 403)
	tb.origin = "http://" + ln.Addr().String()
	if status := tb.open("/"); status != 200 {
		t.Fatalf("the other site's page: %d", status)
	}
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`#go`)))
	if err != nil {
		t.Fatalf("sending the other site's form: %v", err)
	}
	if resp.Status != 403 || resp.URL != baseURL+"/contact" {
		t.Errorf("the other site's form was answered %d at %s, want 403 at %s/contact", resp.Status, resp.URL, baseURL)
	}
	if h := resp.RequestHeaders["Sec-Fetch-Site"]; h != nil && h != "cross-site" {
		t.Errorf("Chromium sent Sec-Fetch-Site: %v, want cross-site", h)
	}
	page := eval[string](tb, `document.querySelector('main').innerText`)
	for _, want := range []string{"Not allowed", "sent from another website"} {
		if !strings.Contains(page, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, page)
		}
	}

	// The same from a script that says where it comes from, and the
	// contrast: the same form sent from the site's own page is accepted.
	v := newVisitor(t, baseURL, false)
	form := url.Values{"name": {"Mallory"}, "email": {"mallory@example.org"}, "message": {"A script from elsewhere."}}
	ans, err := v.do("POST", "/contact", form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"})
	if err != nil || ans.status != http.StatusForbidden || !strings.Contains(ans.body, "sent from another website") {
		t.Errorf("a cross-site POST from Go: %v %d, want 403 with the friendly page:\n%s", err, ans.status, abbreviate(ans.body, 800))
	}
	ans, err = v.do("POST", "/contact", form, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": baseURL})
	if err != nil || ans.status == http.StatusForbidden || ans.status >= 500 {
		t.Errorf("a same-origin POST: %v %d, want it past the cross-origin check", err, ans.status)
	}
}
