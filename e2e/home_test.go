package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHomePage: the first page a visitor sees loads completely and quietly,
// says whose site it is, and has htmx ready for the interactive parts.
func TestHomePage(t *testing.T) {
	tb := openTab(t)
	if status := tb.open("/"); status != 200 {
		t.Fatalf("GET / answered %d, want 200", status)
	}

	tb.assertClean("the home page")

	if title := eval[string](tb, `document.title`); !strings.Contains(title, "Dynamic Motion Sports Therapy") {
		t.Errorf("the home page's title is %q: it should name the practice, Dynamic Motion Sports Therapy, for tabs, bookmarks and search results", title)
	}
	if n := eval[int](tb, `document.querySelectorAll('h1').length`); n != 1 {
		t.Errorf("the home page has %d <h1> elements, want exactly one (screen reader users jump to it)", n)
	}
	version := eval[string](tb, `(window.htmx && typeof htmx.version === 'string') ? htmx.version : ''`)
	if !strings.HasPrefix(version, "2.") {
		t.Errorf("htmx is not loaded on the home page (window.htmx.version = %q, want 2.x): forms and live updates would not be enhanced", version)
	}

	saveScreenshots(t, tb)
}

// saveScreenshots keeps full-page PNGs of the current page at desktop and
// phone widths in $E2E_SCREENSHOTS, for a person to look at. Without that
// variable it does nothing.
func saveScreenshots(t *testing.T, tb *tab) {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("E2E_SCREENSHOTS: %v", err)
	}
	for _, width := range []int64{1280, 375} {
		tb.do("resizing the viewport", chromedp.EmulateViewport(width, 800), chromedp.Reload())
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("taking a screenshot at %dpx: %v", width, err)
		}
		name := filepath.Join(dir, "home-"+itoa(width)+".png")
		if err := os.WriteFile(name, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the home page at %dpx wide: %s", width, name)
	}
}
