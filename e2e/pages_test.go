package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneWidth is the CSS width of a small phone (iPhone SE, mini, many Androids).
const phoneWidth = 375

// publicPages are the pages anyone can open, and what each must answer.
var publicPages = []struct {
	name, path string
	status     int64
	heading    string // a part of the one <h1>; "" for any
}{
	{"home", "/", 200, ""},
	{"services", "/services", 200, ""},
	{"about", "/about", 200, ""},
	{"contact", "/contact", 200, ""},
	{"privacy", "/privacy", 200, ""},
	{"book", "/book", 200, "Book a session"},
	{"blog", "/blog", 200, "Articles"},
	{"blog_search", "/blog?q=back+pain", 200, "back pain"},
	{"blog_tag", "/blog?tag=recovery", 200, "recovery"},
	{"book_mobile", "/book?location=mobile", 200, "Book a session"},
	{"article", "/blog/" + firstArticle, 200, "Sports Massage for Lower Back Pain"},
	{"not_found", "/no-such-page", 404, "Page not found"},
}

// pageFacts is what one evaluation reads from the document.
type pageFacts struct {
	Lang        string   `json:"lang"`
	H1s         []string `json:"h1s"`
	Mains       int      `json:"mains"`
	BookLinks   []string `json:"bookLinks"` // hrefs of visible "Book a session" links
	ScrollWidth int      `json:"scrollWidth"`
	Overflowing []string `json:"overflowing"` // elements wider than the viewport
}

const pageFactsJS = `(() => {
	const vw = document.documentElement.clientWidth;
	const visible = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) &&
		el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0;
	const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
		(typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '');
	return {
		lang: document.documentElement.getAttribute('lang') || '',
		h1s: [...document.querySelectorAll('h1')].map(h => h.textContent.trim().replace(/\s+/g, ' ')),
		mains: document.querySelectorAll('main').length,
		bookLinks: [...document.querySelectorAll('a')]
			.filter(a => a.textContent.trim() === 'Book a session' && visible(a))
			.map(a => a.getAttribute('href')),
		scrollWidth: document.documentElement.scrollWidth,
		overflowing: [...document.querySelectorAll('body *')]
			.filter(el => el.getBoundingClientRect().right > vw + 0.5)
			.slice(0, 8)
			.map(el => describe(el) + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)'),
	};
})()`

// TestEveryPublicPageIsClean: every public page, the friendly 404 included,
// loads without errors under the CSP, is in British English, has one main
// heading and a main landmark, always offers "Book a session", and fits a
// phone screen without sideways scrolling.
func TestEveryPublicPageIsClean(t *testing.T) {
	b := newBrowser(t)
	for _, pg := range publicPages {
		t.Run(pg.name, func(t *testing.T) {
			tb := b.newTab(t)
			if pg.status != 200 {
				tb.expectStatus(pg.path, pg.status)
			}

			// Desktop.
			tb.do("setting a desktop viewport", chromedp.EmulateViewport(1280, 800))
			if status := tb.open(pg.path); status != pg.status {
				t.Errorf("GET %s answered %d, want %d", pg.path, status, pg.status)
			}
			tb.assertClean(pg.path)
			f := eval[pageFacts](tb, pageFactsJS)
			if f.Lang != "en-GB" {
				t.Errorf("%s: <html lang=%q>, want lang=\"en-GB\" so that screen readers speak British English", pg.path, f.Lang)
			}
			if len(f.H1s) != 1 {
				t.Errorf("%s has %d <h1> elements %q, want exactly one", pg.path, len(f.H1s), f.H1s)
			} else if !strings.Contains(f.H1s[0], pg.heading) {
				t.Errorf("%s: the <h1> is %q, want it to say %q", pg.path, f.H1s[0], pg.heading)
			}
			if f.Mains != 1 {
				t.Errorf("%s has %d <main> elements, want one main landmark", pg.path, f.Mains)
			}
			checkBookLink(t, pg.path, "at 1280px", f)

			// Phone.
			tb.do("setting a phone viewport", chromedp.EmulateViewport(phoneWidth, 800), chromedp.Reload())
			f = eval[pageFacts](tb, pageFactsJS)
			if f.ScrollWidth > phoneWidth {
				t.Errorf("%s scrolls sideways on a %dpx-wide phone: the page is %dpx wide; too wide: %s",
					pg.path, phoneWidth, f.ScrollWidth, strings.Join(f.Overflowing, ", "))
			}
			checkBookLink(t, pg.path, "at "+itoa(phoneWidth)+"px", f)
			tb.assertClean(pg.path + " at " + itoa(phoneWidth) + "px")
		})
	}
}

func checkBookLink(t *testing.T, path, viewport string, f pageFacts) {
	t.Helper()
	for _, href := range f.BookLinks {
		if strings.HasSuffix(href, "/book") {
			return
		}
	}
	t.Errorf("%s %s shows no visible \"Book a session\" link to /book (visible ones: %q): a visitor ready to book must always find it",
		path, viewport, f.BookLinks)
}

func itoa[N ~int | ~int64](n N) string { return strconv.FormatInt(int64(n), 10) }
