package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// structure is what a screen reader user navigates by, read from one page.
type structure struct {
	HeadingSkips []string `json:"headingSkips"` // "h1 "A" → h3 "B""
	Banners      int      `json:"banners"`      // <header> outside main and sectioning elements
	Navs         int      `json:"navs"`         // <nav> elements
	UnnamedNavs  []string `json:"unnamedNavs"`  // <nav> without aria-label / aria-labelledby
	Mains        int      `json:"mains"`        // <main> elements
	ContentInfos int      `json:"contentInfos"` // <footer> outside main and sectioning elements
	ImagesNoAlt  []string `json:"imagesNoAlt"`  // <img> without an alt attribute
	UnnamedLinks []string `json:"unnamedLinks"` // <a href> with no accessible text
}

const structureJS = `(() => {
	const squash = s => (s || '').trim().replace(/\s+/g, ' ');
	const short = s => { s = squash(s); return s.length > 50 ? s.slice(0, 49) + '…' : s; };
	const describe = el => '<' + el.tagName.toLowerCase() +
		(el.id ? ' id="' + el.id + '"' : '') +
		(el.getAttribute('href') !== null ? ' href="' + el.getAttribute('href') + '"' : '') +
		(el.getAttribute('src') !== null ? ' src="' + el.getAttribute('src') + '"' : '') +
		(typeof el.className === 'string' && el.className ? ' class="' + el.className + '"' : '') + '>';
	const byIds = ids => squash((ids || '').split(/\s+/).map(id => {
		const el = id && document.getElementById(id);
		return el ? el.textContent : '';
	}).join(' '));
	const label = el => squash(el.getAttribute('aria-label')) || byIds(el.getAttribute('aria-labelledby'));

	const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
		.map(h => ({level: +h.tagName[1], text: short(h.textContent)}));
	const headingSkips = [];
	for (let i = 1; i < headings.length; i++) {
		const a = headings[i - 1], b = headings[i];
		if (b.level > a.level + 1) {
			headingSkips.push('h' + a.level + ' "' + a.text + '" → h' + b.level + ' "' + b.text + '"');
		}
	}

	// A header or footer is the page's banner or contentinfo only outside
	// main and the sectioning elements.
	const topLevel = el => !el.parentElement.closest('main, article, aside, nav, section');
	const navs = [...document.querySelectorAll('nav')];

	const linkName = a => label(a) || squash(a.textContent) ||
		squash([...a.querySelectorAll('img[alt], [role="img"][aria-label]')]
			.map(i => i.getAttribute('alt') || i.getAttribute('aria-label')).join(' ')) ||
		squash(a.getAttribute('title'));

	return {
		headingSkips,
		banners: [...document.querySelectorAll('header')].filter(topLevel).length,
		navs: navs.length,
		unnamedNavs: navs.filter(n => !label(n)).map(describe),
		mains: document.querySelectorAll('main').length,
		contentInfos: [...document.querySelectorAll('footer')].filter(topLevel).length,
		imagesNoAlt: [...document.querySelectorAll('img:not([alt])')].map(describe),
		unnamedLinks: [...document.querySelectorAll('a[href]')].filter(a => !linkName(a)).map(describe),
	};
})()`

// TestPublicPagesAccessibleStructure: every public page can be navigated by
// a screen reader: headings that do not skip a level on the way down, one
// banner, a labelled navigation, one main, one contentinfo, an alt attribute
// on every image and a name for every link.
func TestPublicPagesAccessibleStructure(t *testing.T) {
	b := newBrowser(t)
	for _, pg := range publicPages {
		t.Run(pg.name, func(t *testing.T) {
			tb := b.newTab(t)
			if pg.status != 200 {
				tb.expectStatus(pg.path, pg.status)
			}
			tb.do("setting a desktop viewport", chromedp.EmulateViewport(1280, 800))
			tb.open(pg.path)
			s := eval[structure](tb, structureJS)

			if len(s.HeadingSkips) > 0 {
				t.Errorf("%s: headings skip a level going down (screen reader users navigate by heading level and "+
					"would think a section is missing):\n  %s", pg.path, strings.Join(s.HeadingSkips, "\n  "))
			}
			if s.Banners != 1 {
				t.Errorf("%s has %d <header> banners (outside <main> and sectioning elements), want exactly one", pg.path, s.Banners)
			}
			if s.Navs == 0 {
				t.Errorf("%s has no <nav>: the site navigation is no landmark", pg.path)
			} else if len(s.UnnamedNavs) == s.Navs || (s.Navs > 1 && len(s.UnnamedNavs) > 0) {
				t.Errorf("%s: <nav> without aria-label or aria-labelledby: %s (a screen reader announces it only as \"navigation\")",
					pg.path, strings.Join(s.UnnamedNavs, ", "))
			}
			if s.Mains != 1 {
				t.Errorf("%s has %d <main> elements, want exactly one", pg.path, s.Mains)
			}
			if s.ContentInfos != 1 {
				t.Errorf("%s has %d <footer> contentinfo landmarks (outside <main> and sectioning elements), want exactly one", pg.path, s.ContentInfos)
			}
			if len(s.ImagesNoAlt) > 0 {
				t.Errorf("%s: images without an alt attribute (alt=\"\" for decoration, a description otherwise): %s",
					pg.path, strings.Join(s.ImagesNoAlt, ", "))
			}
			if len(s.UnnamedLinks) > 0 {
				t.Errorf("%s: links with no accessible text (no text, aria-label or image alt): %s",
					pg.path, strings.Join(s.UnnamedLinks, ", "))
			}
		})
	}
}

// contrastCheck is one measured element.
type contrastCheck struct {
	Group    string  `json:"group"`
	Element  string  `json:"element"`
	Text     string  `json:"text"`
	FG       string  `json:"fg"`
	BG       string  `json:"bg"`
	Ratio    float64 `json:"ratio"`
	Required float64 `json:"required"`
	Problem  string  `json:"problem"` // set when the colours could not be worked out
}

// contrastGroups are the key texts of the site, by CSS selector. Only
// elements that are rendered and have text of their own are measured.
var contrastGroups = []struct{ name, selector string }{
	{"body text", "main p, main li, main dd, main dt, main address"},
	{"headings", "main h1, main h2, main h3"},
	{"nav links", "header nav a:not(.button)"},
	{`"Book a session" button`, "a.button:not(.secondary)"},
	{"footer text", "footer p, footer li, footer h2, footer a"},
	{`"example" label`, ".example"},
}

// contrastJS measures, for each group, every matching element: the WCAG 2
// contrast of its text colour on its effective background. The background
// is worked out by compositing the background colours and gradient stops of
// the element and its ancestors over a white canvas; for a gradient every
// stop is a candidate and the worst one counts (the lightest under light
// text, the darkest under dark text).
const contrastJS = `((groups) => {
	const parse = s => {
		const m = /^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(s.trim());
		if (!m) return null;
		let a = m[4] === undefined ? 1 : parseFloat(m[4]);
		if (m[4] && m[4].endsWith('%')) a /= 100;
		return [+m[1], +m[2], +m[3], a];
	};
	const over = (top, bottom) => { // bottom is opaque
		const a = top[3];
		return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1);
	};
	const lum = c => {
		const [r, g, b] = c.slice(0, 3).map(v => {
			v /= 255;
			return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const ratio = (x, y) => {
		const [l1, l2] = [lum(x), lum(y)].sort((p, q) => q - p);
		return (l1 + 0.05) / (l2 + 0.05);
	};
	const hex = c => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
	const squash = s => (s || '').trim().replace(/\s+/g, ' ');
	const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
		(typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '');
	const ownText = el => squash([...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join(' '));

	// backgrounds returns the candidate opaque backgrounds behind el's text.
	const backgrounds = el => {
		const chain = [];
		for (let n = el; n; n = n.parentElement) chain.unshift(n);
		let cands = [[255, 255, 255, 1]];
		const problems = [];
		for (const n of chain) {
			const cs = getComputedStyle(n);
			const bg = parse(cs.backgroundColor);
			if (!bg) problems.push('unreadable background-color ' + cs.backgroundColor + ' on ' + describe(n));
			else if (bg[3] > 0) cands = cands.map(c => over(bg, c));
			const img = cs.backgroundImage;
			if (img && img !== 'none') {
				if (!/gradient\(/.test(img)) {
					problems.push('a background image on ' + describe(n) + ' (' + img.slice(0, 60) + ')');
					continue;
				}
				const stops = [...img.matchAll(/rgba?\([^)]*\)/g)].map(m => parse(m[0]));
				if (stops.length === 0 || stops.some(s => !s)) {
					problems.push('unreadable gradient on ' + describe(n) + ': ' + img);
					continue;
				}
				cands = cands.flatMap(c => stops.map(s => over(s, c)));
			}
		}
		return {cands, problems};
	};

	const out = [];
	for (const [name, selector] of groups) {
		for (const el of document.querySelectorAll(selector)) {
			const text = ownText(el);
			if (!text || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
			const cs = getComputedStyle(el);
			const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
			const required = (size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5;
			const fg = parse(cs.color);
			const {cands, problems} = backgrounds(el);
			const item = {group: name, element: describe(el), text: text.slice(0, 40), fg: cs.color, bg: '', ratio: 0, required, problem: ''};
			if (!fg) problems.push('unreadable color ' + cs.color);
			if (problems.length) {
				item.problem = problems.join('; ');
				out.push(item);
				continue;
			}
			let worst = null;
			for (const bg of cands) {
				const r = ratio(over(fg, bg), bg);
				if (!worst || r < worst.r) worst = {r, bg};
			}
			item.fg = hex(over(fg, worst.bg));
			item.bg = hex(worst.bg);
			item.ratio = Math.round(worst.r * 100) / 100;
			out.push(item);
		}
	}
	return out;
})`

// TestTextContrast: the key texts of every public page (body text, headings,
// the navigation, the "Book a session" button, the footer and the "example"
// label) have a WCAG AA contrast with what is behind them: at least 4.5:1,
// or 3:1 for large text (24px, or 18.66px bold). On the home page every group
// must be found, so that a changed class cannot make the test pass by
// measuring nothing.
func TestTextContrast(t *testing.T) {
	groups := make([][2]string, len(contrastGroups))
	for i, g := range contrastGroups {
		groups[i] = [2]string{g.name, g.selector}
	}
	arg, err := json.Marshal(groups)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, pg := range publicPages {
		t.Run(pg.name, func(t *testing.T) {
			tb := b.newTab(t)
			if pg.status != 200 {
				tb.expectStatus(pg.path, pg.status)
			}
			tb.do("setting a desktop viewport", chromedp.EmulateViewport(1280, 800))
			tb.open(pg.path)
			checks := eval[[]contrastCheck](tb, contrastJS+"("+string(arg)+")")

			seen := map[string]int{}
			for _, c := range checks {
				seen[c.Group]++
				switch {
				case c.Problem != "":
					t.Errorf("%s: %s <%s> %q: cannot work out its contrast: %s", pg.path, c.Group, c.Element, c.Text, c.Problem)
				case c.Ratio < c.Required:
					t.Errorf("%s: %s <%s> %q has contrast %.2f:1 (%s on %s), want at least %.1f:1 (WCAG AA)",
						pg.path, c.Group, c.Element, c.Text, c.Ratio, c.FG, c.BG, c.Required)
				}
			}
			if pg.path == "/" {
				for _, g := range contrastGroups {
					if seen[g.name] == 0 {
						t.Errorf("the home page has no %s to measure (selector %q)", g.name, g.selector)
					}
				}
			}
			if testing.Verbose() {
				t.Logf("%s: %s", pg.path, summarise(checks))
			}
		})
	}
}

// summarise gives the lowest contrast measured per group.
func summarise(checks []contrastCheck) string {
	low := map[string]contrastCheck{}
	var order []string
	for _, c := range checks {
		if c.Problem != "" {
			continue
		}
		if l, ok := low[c.Group]; !ok || c.Ratio < l.Ratio {
			if !ok {
				order = append(order, c.Group)
			}
			low[c.Group] = c
		}
	}
	parts := make([]string, 0, len(order))
	for _, g := range order {
		c := low[g]
		parts = append(parts, fmt.Sprintf("%s ≥ %.2f:1 (%s on %s)", g, c.Ratio, c.FG, c.BG))
	}
	return strings.Join(parts, "; ")
}

// TestContrastMeasure checks contrastJS itself on a page with known colours,
// so that TestTextContrast cannot pass by measuring wrongly.
func TestContrastMeasure(t *testing.T) {
	tb := openTab(t)
	const page = `<body style="margin:0;background:#fff">
<p id="grey" style="color:#777">grey on white</p>
<p id="large" style="color:#777;font-size:24px">large grey on white</p>
<p id="bold" style="color:#777;font-size:18.7px;font-weight:700">bold grey on white</p>
<div style="background:linear-gradient(160deg, #0b4f5c 0%, #073640 100%)"><p id="hero" style="color:#fff">white on the hero</p></div>
<div style="background:linear-gradient(#0b4f5c, #fff)"><p id="fade" style="color:#fff">white on a gradient to white</p></div>
<div style="background:rgba(0,0,0,0.5)"><p id="veil" style="color:#fff">white on half black</p></div>
<div style="background:#073640"><div style="background:transparent"><p id="deep" style="color:#dbe7e8">nested</p></div></div>
</body>`
	tb.do("writing the test page", chromedp.Navigate("about:blank"),
		chromedp.Evaluate[chromedp.Void](`document.documentElement.innerHTML = `+strconvQuote(page)))
	checks := eval[[]contrastCheck](tb, contrastJS+`([["all", "p"]])`)
	want := map[string]struct{ ratio, required float64 }{
		"p#grey":  {4.48, 4.5},
		"p#large": {4.48, 3},
		"p#bold":  {4.48, 3},
		"p#hero":  {9.18, 4.5}, // the lighter stop, #0b4f5c, is the worse one
		"p#fade":  {1, 4.5},
		"p#veil":  {3.98, 4.5}, // #808080
		"p#deep":  {10.31, 4.5},
	}
	if len(checks) != len(want) {
		t.Fatalf("measured %d elements, want %d: %+v", len(checks), len(want), checks)
	}
	for _, c := range checks {
		w, ok := want[c.Element]
		switch {
		case !ok:
			t.Errorf("measured an unexpected element %s", c.Element)
		case c.Problem != "":
			t.Errorf("%s: %s", c.Element, c.Problem)
		case c.Ratio < w.ratio-0.02 || c.Ratio > w.ratio+0.02 || c.Required != w.required:
			t.Errorf("%s: contrast %.2f:1 (%s on %s), required %.1f; want %.2f:1, required %.1f",
				c.Element, c.Ratio, c.FG, c.BG, c.Required, w.ratio, w.required)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestStructureMeasure checks structureJS itself on a page with known faults.
func TestStructureMeasure(t *testing.T) {
	tb := openTab(t)
	const page = `<body>
<header>top</header><header>second banner</header>
<nav><a href="/a">A</a></nav>
<main><section><header>not a banner</header><footer>not contentinfo</footer></section>
<h1>One</h1><h3>Three</h3><h2>Two</h2><h4>Four</h4>
<img src="/x.png"><img src="/y.png" alt="">
<a href="/empty"><img src="/z.png" alt=""></a><a href="/named" aria-label="Named"></a>
<a href="/by-alt"><img src="/w.png" alt="Home"></a><a href="/by-id" aria-labelledby="lbl"></a><span id="lbl">Label</span>
</main>
</body>`
	tb.do("writing the test page", chromedp.Navigate("about:blank"),
		chromedp.Evaluate[chromedp.Void](`document.documentElement.innerHTML = `+strconvQuote(page)))
	got := eval[structure](tb, structureJS)
	want := structure{
		HeadingSkips: []string{`h1 "One" → h3 "Three"`, `h2 "Two" → h4 "Four"`},
		Banners:      2,
		Navs:         1,
		UnnamedNavs:  []string{"<nav>"},
		Mains:        1,
		ContentInfos: 0,
		ImagesNoAlt:  []string{`<img src="/x.png">`},
		UnnamedLinks: []string{`<a href="/empty">`},
	}
	if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
		t.Errorf("structureJS found\n  %s\nwant\n  %s", g, w)
	}
}
