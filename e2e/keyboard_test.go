package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// maxTabs is how many presses of Tab a keyboard user may need, at most, to
// reach the booking link from the top of the home page.
const maxTabs = 15

// focused describes document.activeElement.
type focused struct {
	Tag          string  `json:"tag"`
	ID           string  `json:"id"`
	Text         string  `json:"text"`
	Href         string  `json:"href"`
	OutlineStyle string  `json:"outlineStyle"`
	OutlineWidth string  `json:"outlineWidth"`
	FocusVisible bool    `json:"focusVisible"`
	Top          float64 `json:"top"`
	Bottom       float64 `json:"bottom"`
}

func (f focused) String() string {
	s := "<" + f.Tag
	if f.ID != "" {
		s += ` id="` + f.ID + `"`
	}
	if f.Href != "" {
		s += ` href="` + f.Href + `"`
	}
	return s + ">" + f.Text
}

const activeElementJS = `(() => {
	const el = document.activeElement;
	if (!el) return {tag: ''};
	const cs = getComputedStyle(el);
	const r = el.getBoundingClientRect();
	return {
		tag: el.tagName.toLowerCase(),
		id: el.id || '',
		text: (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80),
		href: el.href || '',
		outlineStyle: cs.outlineStyle,
		outlineWidth: cs.outlineWidth,
		focusVisible: el.matches(':focus-visible'),
		top: r.top,
		bottom: r.bottom,
	};
})()`

func activeElement(tb *tab) focused {
	tb.t.Helper()
	return eval[focused](tb, activeElementJS)
}

func pressTab(tb *tab) focused {
	tb.t.Helper()
	tb.do("pressing Tab", chromedp.KeyEvent(kb.Tab))
	return activeElement(tb)
}

// TestKeyboardReachesBookLink: someone who cannot use a mouse starts at the
// skip link, can always see where the focus is, reaches "Book a session"
// within a few presses of Tab, and Enter takes them to the booking page.
func TestKeyboardReachesBookLink(t *testing.T) {
	tb := openTab(t)
	tb.open("/")

	var order []string
	var book *focused
	for i := 1; i <= maxTabs && book == nil; i++ {
		f := pressTab(tb)
		order = append(order, fmt.Sprintf("%2d. %s", i, f))

		if i == 1 {
			if f.Tag != "a" || f.Text != "Skip to main content" {
				t.Errorf("the first Tab on the home page focuses %s, want the skip link \"Skip to main content\"", f)
			} else if f.Top < 0 || f.Bottom <= 0 {
				t.Errorf("the focused skip link is off screen (top %.0fpx, bottom %.0fpx): a sighted keyboard user cannot see it", f.Top, f.Bottom)
			}
		}
		if f.OutlineStyle == "none" || f.OutlineWidth == "0px" || !f.FocusVisible {
			t.Errorf("Tab %d focuses %s with no visible focus indicator (outline %s %s, :focus-visible %v): keyboard users lose their place",
				i, f, f.OutlineStyle, f.OutlineWidth, f.FocusVisible)
		}
		if f.Tag == "a" && f.Text == "Book a session" && strings.HasSuffix(f.Href, "/book") {
			book = &f
		}
	}
	if book == nil {
		t.Fatalf("%d presses of Tab on the home page never reach the \"Book a session\" link to /book; the focus went:\n%s",
			maxTabs, strings.Join(order, "\n"))
	}

	if _, err := chromedp.Run(tb.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(kb.Enter))); err != nil {
		t.Fatalf("pressing Enter on the focused \"Book a session\" link did not load a page: %v", err)
	}
	if path := eval[string](tb, `location.pathname`); path != "/book" {
		t.Fatalf("Enter on \"Book a session\" went to %s, want /book", path)
	}
	if h1 := eval[string](tb, `(document.querySelector('h1') || {}).textContent || ''`); strings.TrimSpace(h1) != "Book a session" {
		t.Errorf("the booking page's heading is %q, want \"Book a session\"", strings.TrimSpace(h1))
	}
	tb.assertClean("the booking page reached by keyboard")
}

// TestSkipLinkMovesFocusToMain: the skip link takes a keyboard or screen
// reader user past the header, straight into the page's main content, and
// the next Tab continues from there.
func TestSkipLinkMovesFocusToMain(t *testing.T) {
	tb := openTab(t)
	tb.open("/")

	if f := pressTab(tb); f.Text != "Skip to main content" {
		t.Fatalf("the first Tab focuses %s, want the skip link \"Skip to main content\"", f)
	}
	tb.do("pressing Enter on the skip link", chromedp.KeyEvent(kb.Enter))

	// Following a same-page link fires no load event: wait for the hash.
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](`location.hash === '#main'`,
		chromedp.WithPollingTimeout(3*time.Second)))
	if err != nil {
		t.Errorf("after Enter on the skip link the address is %q, want it to end in #main (%v)",
			eval[string](tb, `location.href`), err)
	}
	if f := activeElement(tb); f.Tag != "main" || f.ID != "main" {
		t.Errorf("after Enter on the skip link the focus is on %s, want the <main id=\"main\" tabindex=\"-1\"> element", f)
	}
}
