package markdown_test

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"dynamicmotion/markdown"
)

// commentRel is the rel every link in a comment carries.
const commentRel = "nofollow ugc noopener"

// commentCase is one Comment input and its exact output.
type commentCase struct {
	name, src, want string
	links           int
}

// runCommentCases checks each case's output and link count, and that the
// output meets the invariants of every comment.
func runCommentCases(t *testing.T, tests []commentCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, links := markdown.Comment(tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Comment(%q) mismatch (-want +got):\n%s", tt.src, diff)
			}
			if links != tt.links {
				t.Errorf("Comment(%q) links = %d, want %d", tt.src, links, tt.links)
			}
			if problem := commentProblem(got, links); problem != "" {
				t.Errorf("Comment(%q): %s\n%s", tt.src, problem, got)
			}
		})
	}
}

// The light Markdown a comment may use.
func TestComment_Allowed(t *testing.T) {
	runCommentCases(t, []commentCase{
		{name: "paragraphs", src: "First.\n\nSecond.", want: "<p>First.</p>\n<p>Second.</p>\n"},
		{name: "a newline is a line break", src: "Thanks Sam!\nSee you Tuesday", want: "<p>Thanks Sam!<br>\nSee you Tuesday</p>\n"},
		{name: "CRLF, as browsers submit a textarea", src: "Line one\r\nLine two\r\n\r\n- a\r\n- b\r\n", want: "<p>Line one<br>\nLine two</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"},
		{name: "a hard line break", src: "a  \nb", want: "<p>a<br>\nb</p>\n"},
		{name: "emphasis and strong", src: "*really* _very_ **much** __so__", want: "<p><em>really</em> <em>very</em> <strong>much</strong> <strong>so</strong></p>\n"},
		{name: "strikethrough", src: "~~£50~~ £45", want: "<p><del>£50</del> £45</p>\n"},
		{name: "link", src: "[the NHS](https://www.nhs.uk/)", want: `<p><a href="https://www.nhs.uk/" rel="nofollow ugc noopener">the NHS</a></p>` + "\n", links: 1},
		{name: "emphasis in a link", src: "[*the* NHS](https://www.nhs.uk/)", want: `<p><a href="https://www.nhs.uk/" rel="nofollow ugc noopener"><em>the</em> NHS</a></p>` + "\n", links: 1},
		{name: "bulleted list", src: "- warm up\n- stretch\n", want: "<ul>\n<li>warm up</li>\n<li>stretch</li>\n</ul>\n"},
		{name: "numbered list", src: "1. warm up\n2. stretch\n", want: "<ol>\n<li>warm up</li>\n<li>stretch</li>\n</ol>\n"},
		// Only href and rel survive, so a list's start number does not.
		{name: "numbered list from 3 starts at 1", src: "3. c\n4. d\n", want: "<ol>\n<li>c</li>\n<li>d</li>\n</ol>\n"},
		{name: "loose list", src: "- a\n\n- b\n", want: "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n"},
		{name: "nested list", src: "- a\n  - b\n", want: "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n"},
		{name: "block quote", src: "> It helped.\n\nAgreed.", want: "<blockquote>\n<p>It helped.</p>\n</blockquote>\n<p>Agreed.</p>\n"},
		{name: "nested block quote", src: "> a\n> > b", want: "<blockquote>\n<p>a</p>\n<blockquote>\n<p>b</p>\n</blockquote>\n</blockquote>\n"},
		{name: "inline code", src: "use `--force` carefully", want: "<p>use <code>--force</code> carefully</p>\n"},
		{name: "fenced code keeps no language class", src: "```go\nx := \"a\" -- b\n```", want: "<pre><code>x := &#34;a&#34; -- b\n</code></pre>\n"},
		{name: "indented code", src: "    a < b\n", want: "<pre><code>a &lt; b\n</code></pre>\n"},
		{name: "typographic punctuation", src: `"Don't" -- 9--5... --- ok`, want: "<p>“Don’t” – 9–5… — ok</p>\n"},
		{name: "backslash escapes", src: `\*not emphasis\*`, want: "<p>*not emphasis*</p>\n"},
		{name: "text is escaped", src: "a < b && c > d", want: "<p>a &lt; b &amp;&amp; c &gt; d</p>\n"},
	})
}

// What a comment may not use: rendered as plain text, as a paragraph, or not
// at all, but never as its HTML.
func TestComment_Refused(t *testing.T) {
	runCommentCases(t, []commentCase{
		{name: "ATX heading is a paragraph", src: "# Best massage *ever*", want: "<p>Best massage <em>ever</em></p>\n"},
		{name: "every heading level", src: "###### six", want: "<p>six</p>\n"},
		{name: "setext heading is a paragraph", src: "Title\n=====\n\nSub\n---\n", want: "<p>Title</p>\n<p>Sub</p>\n"},
		{name: "thematic break is dropped", src: "a\n\n***\n\nb", want: "<p>a</p>\n<p>b</p>\n"},
		{name: "image shows its alt text", src: "![a *red* light](https://example.org/a.png)", want: "<p>a <em>red</em> light</p>\n"},
		{name: "image with no alt text is nothing", src: "a ![](https://example.org/a.png) b", want: "<p>a  b</p>\n"},
		{name: "image in a link leaves the link", src: "[![pic](https://example.org/a.png)](https://example.org)", want: `<p><a href="https://example.org" rel="nofollow ugc noopener">pic</a></p>` + "\n", links: 1},
		{name: "reference image", src: "![pic][i]\n\n[i]: https://example.org/a.png", want: "<p>pic</p>\n"},
		{name: "table is text", src: "| a | b |\n|---|---|\n| 1 | 2 |", want: "<p>| a | b |<br>\n|—|—|<br>\n| 1 | 2 |</p>\n"},
		{name: "task list is a plain list", src: "- [x] done", want: "<ul>\n<li>[x] done</li>\n</ul>\n"},
		{name: "raw HTML block is text", src: "<div class=\"x\">\nhi\n</div>", want: "<p>&lt;div class=“x”&gt;<br>\nhi<br>\n&lt;/div&gt;</p>\n"},
		{name: "script block is text", src: "<script>alert(1)</script>", want: "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{name: "inline HTML is text", src: "I <b>loved</b> it", want: "<p>I &lt;b&gt;loved&lt;/b&gt; it</p>\n"},
		{name: "a placeholder in angle brackets is not swallowed", src: "Ask for <your name>", want: "<p>Ask for &lt;your name&gt;</p>\n"},
		{name: "HTML comment is text (with typography)", src: "<!-- hidden -->", want: "<p>&lt;!– hidden –&gt;</p>\n"},
		{name: "entity-encoded tags stay text", src: "&lt;script&gt;alert(1)&lt;/script&gt;", want: "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{name: "numeric entities stay text", src: "&#60;img src=x onerror=alert(1)&#62;", want: "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"},
		{name: "named entities resolve", src: "&copy; &amp; &eacute;", want: "<p>© &amp; é</p>\n"},
		{name: "only a thematic break", src: "---", want: ""},
		{name: "only a link reference definition", src: "[r]: https://example.org", want: ""},
	})
}

// Links keep only absolute http(s) and mailto: destinations and always carry
// rel="nofollow ugc noopener"; bare URLs become links.
func TestComment_Links(t *testing.T) {
	a := func(href, text string) string {
		return fmt.Sprintf(`<a href="%s" rel="%s">%s</a>`, href, commentRel, text)
	}
	runCommentCases(t, []commentCase{
		{name: "http", src: "[a](http://example.org/x?y=1#z)", want: "<p>" + a("http://example.org/x?y=1#z", "a") + "</p>\n", links: 1},
		{name: "title is dropped", src: `[a](https://example.org "Example")`, want: "<p>" + a("https://example.org", "a") + "</p>\n", links: 1},
		{name: "mailto", src: "[write](mailto:hello@example.org)", want: "<p>" + a("mailto:hello@example.org", "write") + "</p>\n", links: 1},
		{name: "reference link", src: "[a][r]\n\n[r]: https://example.org", want: "<p>" + a("https://example.org", "a") + "</p>\n", links: 1},
		{name: "space in angle brackets is encoded", src: "[a](<https://example.org/a b>)", want: "<p>" + a("https://example.org/a%20b", "a") + "</p>\n", links: 1},
		{name: "bare URL", src: "See https://example.org/x.", want: "<p>See " + a("https://example.org/x", "https://example.org/x") + ".</p>\n", links: 1},
		{name: "bare www", src: "See www.example.org, then", want: "<p>See " + a("http://www.example.org", "www.example.org") + ", then</p>\n", links: 1},
		{name: "bare e-mail address", src: "Mail hello@example.org", want: "<p>Mail " + a("mailto:hello@example.org", "hello@example.org") + "</p>\n", links: 1},
		{name: "angle-bracket autolink", src: "<https://example.org>", want: "<p>" + a("https://example.org", "https://example.org") + "</p>\n", links: 1},
		{name: "angle-bracket e-mail", src: "<hello@example.org>", want: "<p>" + a("mailto:hello@example.org", "hello@example.org") + "</p>\n", links: 1},
		{name: "several links are counted", src: "[a](https://a.example) https://b.example\n\n- <https://c.example>", want: "<p>" + a("https://a.example", "a") + " " + a("https://b.example", "https://b.example") + "</p>\n<ul>\n<li>" + a("https://c.example", "https://c.example") + "</li>\n</ul>\n", links: 3},
		{name: "a URL as link text is not a second link", src: "[https://a.example](https://b.example)", want: "<p>" + a("https://b.example", "https://a.example") + "</p>\n", links: 1},
		// Refused destinations keep their text.
		{name: "relative path", src: "[a](/admin)", want: "<p>a</p>\n"},
		{name: "fragment", src: "[a](#top)", want: "<p>a</p>\n"},
		{name: "protocol-relative", src: "[a](//example.org)", want: "<p>a</p>\n"},
		{name: "http without a host", src: "[a](http:/x)", want: "<p>a</p>\n"},
		{name: "tel", src: "[a](tel:+441480000000)", want: "<p>a</p>\n"},
		{name: "ftp", src: "[a](ftp://example.org)", want: "<p>a</p>\n"},
		{name: "bare ftp URL is text", src: "ftp://example.org/x", want: "<p>ftp://example.org/x</p>\n"},
		{name: "javascript:", src: "[a](javascript:alert(1))", want: "<p>a</p>\n"},
		{name: "javascript: in the query of a real URL", src: "[a](https://example.org/?next=javascript:alert(1))", want: "<p>a</p>\n"},
		{name: "bare URL with javascript: in it is text", src: "https://example.org/?q=javascript:x", want: "<p>https://example.org/?q=javascript:x</p>\n"},
		{name: "angle-bracket javascript:", src: "<javascript:alert(1)>", want: "<p>javascript:alert(1)</p>\n"},
		// CommonMark: no link inside a link, so the outer brackets are text
		// (and the bare URL in them a link of its own).
		{name: "link inside an image inside a link", src: "[![a [b](https://b.example)](i.png)](https://a.example)", want: "<p>[a " + a("https://b.example", "b") + "](" + a("https://a.example", "https://a.example") + ")</p>\n", links: 2},
	})
}

// Blank input gives nothing at all.
func TestComment_Blank(t *testing.T) {
	for _, src := range []string{"", " ", "\n\n", "\t \r\n", "\u00a0\u2003"} {
		if got, links := markdown.Comment(src); got != "" || links != 0 {
			t.Errorf("Comment(%q) = %q, %d; want \"\", 0", src, got, links)
		}
	}
}

// Deep nesting is flattened: the text stays, the markup stops at the limits.
func TestComment_Nesting(t *testing.T) {
	tests := []struct {
		name, src, text string
		maxDepth        int // of elements in the output
	}{
		{"block quotes", strings.Repeat(">", 5000) + " deep", "deep", 9},
		{"block quotes with text at each level", nestedQuotes(20), "level 19", 9},
		{"lists", nestedLists(20), "item 19", 2*8 + 1},
		{"mixed quotes and lists", strings.Repeat("> - ", 50) + "deep", "deep", 2*8 + 1},
		{"emphasis", strings.Repeat("*", 2500) + "deep" + strings.Repeat("*", 2500), "deep", 1 + 8},
		{"strikethrough and emphasis", strings.Repeat("~~*", 30) + "deep" + strings.Repeat("*~~", 30), "deep", 1 + 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, links := markdown.Comment(tt.src)
			if problem := commentProblem(out, links); problem != "" {
				t.Fatalf("%s\n%.500s", problem, out)
			}
			if !strings.Contains(out, tt.text) {
				t.Errorf("output lacks %q:\n%.500s", tt.text, out)
			}
			if d := depth(out); d > tt.maxDepth {
				t.Errorf("elements nest %d deep, want at most %d:\n%.500s", d, tt.maxDepth, out)
			}
		})
	}
}

// nestedQuotes returns n block quotes, each inside the last, with a line of
// text at each level.
func nestedQuotes(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s level %d\n%s\n", strings.Repeat(">", i+1), i, strings.Repeat(">", i+1))
	}
	return b.String()
}

// nestedLists returns n bulleted lists, each inside the last item of the one
// before.
func nestedLists(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s- item %d\n", strings.Repeat("  ", i), i)
	}
	return b.String()
}

// depth returns how deep elements nest in out.
func depth(out string) int {
	z := html.NewTokenizer(strings.NewReader(out))
	d, deepest := 0, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return deepest
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) != "br" {
				d++
				deepest = max(deepest, d)
			}
		case html.EndTagToken:
			d--
		}
	}
}

// commentElements are the only elements a comment's HTML may contain.
var commentElements = map[string]bool{
	"p": true, "br": true, "em": true, "strong": true, "del": true, "a": true,
	"ul": true, "ol": true, "li": true, "blockquote": true, "pre": true, "code": true,
}

// commentProblem returns what is wrong with out, Comment's output with links
// reported, or "" if it meets the invariants of every comment:
//
//   - as written: tags balanced and closed in order, <br> the only void
//     element, no comments or doctypes, no <a> inside an <a>, links <a>
//     elements, nesting well below the 512 where HTML parsers give up;
//   - parsed as a browser would, inside an <article>: only commentElements,
//     none in the SVG or MathML namespace; no attributes except href and rel
//     on <a>, which has both; href an absolute http(s) URL or mailto:; rel
//     exactly commentRel; and no attribute value (controls and spaces
//     removed, any case) containing javascript: or vbscript:.
func commentProblem(out string, links int) string {
	z := html.NewTokenizer(strings.NewReader(out))
	var open []string
	anchors := 0
tokens:
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				return "tokenizer: " + z.Err().Error()
			}
			break tokens
		case html.CommentToken, html.DoctypeToken:
			return "comment or doctype " + z.Token().String()
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "a" {
				anchors++
				if slices.Contains(open, "a") {
					return "<a> inside <a>"
				}
			}
			if tag == "br" {
				continue
			}
			if tt == html.SelfClosingTagToken {
				return "self-closing <" + tag + "/>"
			}
			open = append(open, tag)
			if len(open) > 40 {
				return fmt.Sprintf("elements nest %d deep", len(open))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(open) == 0 || open[len(open)-1] != string(name) {
				return fmt.Sprintf("</%s> does not close the last open element (open: %v)", name, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		return fmt.Sprintf("unclosed elements %v", open)
	}
	if anchors != links {
		return fmt.Sprintf("links = %d but the output has %d <a> elements", links, anchors)
	}

	article := &html.Node{Type: html.ElementNode, Data: "article", DataAtom: atom.Article}
	nodes, err := html.ParseFragment(strings.NewReader(out), article)
	if err != nil {
		return "parse: " + err.Error()
	}
	for _, n := range nodes {
		for d := range n.Descendants() {
			if problem := nodeProblem(d); problem != "" {
				return problem
			}
		}
		if problem := nodeProblem(n); problem != "" {
			return problem
		}
	}
	return ""
}

// nodeProblem checks one parsed node for commentProblem.
func nodeProblem(n *html.Node) string {
	switch n.Type {
	case html.TextNode:
		return ""
	case html.ElementNode:
	default:
		return fmt.Sprintf("node of type %d: %q", n.Type, n.Data)
	}
	if n.Namespace != "" || !commentElements[n.Data] {
		return fmt.Sprintf("element <%s> (namespace %q)", n.Data, n.Namespace)
	}
	var href, rel bool
	for _, a := range n.Attr {
		v := strings.ToLower(strings.Map(func(r rune) rune {
			if r <= ' ' || r == 0x7f {
				return -1 // browsers ignore these in URLs
			}
			return r
		}, a.Val))
		if strings.Contains(v, "javascript:") || strings.Contains(v, "vbscript:") {
			return fmt.Sprintf("<%s %s=%q>", n.Data, a.Key, a.Val)
		}
		for _, prefix := range []string{"on", "hx-", "data-", "style", "class", "id", "target", "src"} {
			if strings.HasPrefix(a.Key, prefix) {
				return fmt.Sprintf("attribute %s on <%s>", a.Key, n.Data)
			}
		}
		switch {
		case a.Namespace != "" || n.Data != "a":
			return fmt.Sprintf("attribute %s:%s on <%s>", a.Namespace, a.Key, n.Data)
		case a.Key == "href":
			href = true
			u, err := url.Parse(a.Val)
			if err != nil {
				return fmt.Sprintf("href %q: %v", a.Val, err)
			}
			if !((u.Scheme == "http" || u.Scheme == "https") && u.Host != "" || u.Scheme == "mailto" && u.Opaque != "") {
				return fmt.Sprintf("href %q", a.Val)
			}
		case a.Key == "rel":
			rel = true
			if a.Val != commentRel {
				return fmt.Sprintf("rel %q", a.Val)
			}
		default:
			return fmt.Sprintf("attribute %s on <a>", a.Key)
		}
	}
	if n.Data == "a" && !(href && rel) {
		return fmt.Sprintf("<a> without href or rel: %v", n.Attr)
	}
	return ""
}

// commentProblem itself catches what it is meant to catch.
func TestCommentProblem(t *testing.T) {
	const a = `<a href="https://example.org" rel="nofollow ugc noopener">x</a>`
	tests := []struct {
		name, out string
		links     int
		bad       bool
	}{
		{"empty", "", 0, false},
		{"allowed elements and a link", "<blockquote>\n<p><em>a</em><br>" + a + "</p>\n</blockquote>\n<ul><li><code>c</code></li></ul>", 1, false},
		{"mailto", `<p><a href="mailto:a@example.org" rel="nofollow ugc noopener">a</a></p>`, 1, false},
		{"wrong link count", "<p>" + a + "</p>", 0, true},
		{"img", `<p><img src="https://example.org/a.png"></p>`, 0, true},
		{"h1", "<h1>x</h1>", 0, true},
		{"svg namespace", "<svg><p>x</p></svg>", 0, true},
		{"class", `<p class="x">x</p>`, 0, true},
		{"hx-get", `<p><a href="https://example.org" rel="nofollow ugc noopener" hx-get="/x">x</a></p>`, 1, true},
		{"data-hx-post", `<p data-hx-post="/x">x</p>`, 0, true},
		{"no rel", `<p><a href="https://example.org">x</a></p>`, 1, true},
		{"other rel", `<p><a href="https://example.org" rel="nofollow">x</a></p>`, 1, true},
		{"no href", `<p><a rel="nofollow ugc noopener">x</a></p>`, 1, true},
		{"relative href", `<p><a href="/admin" rel="nofollow ugc noopener">x</a></p>`, 1, true},
		{"javascript: href", `<p><a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a></p>`, 1, true},
		{"entity-encoded javascript:", `<p><a href="&#106;avascript&colon;alert(1)" rel="nofollow ugc noopener">x</a></p>`, 1, true},
		{"javascript: in a query", `<p><a href="https://example.org/?q=java%0Ascript:x" rel="nofollow ugc noopener">x</a></p>`, 1, false},
		{"javascript: with a tab in a query", "<p><a href=\"https://example.org/?q=java\tscript:x\" rel=\"nofollow ugc noopener\">x</a></p>", 1, true},
		{"target", `<p><a href="https://example.org" rel="nofollow ugc noopener" target="_blank">x</a></p>`, 1, true},
		{"unclosed", "<p><em>x</p>", 0, true},
		{"misnested", "<p><em><strong>x</em></strong></p>", 0, true},
		{"link in a link", "<p>" + a[:len(a)-5] + a + "</a></p>", 2, true},
		{"comment", "<!-- x --><p>x</p>", 0, true},
		{"self-closing p", "<p/>", 0, true},
		{"too deep", strings.Repeat("<blockquote>", 41) + strings.Repeat("</blockquote>", 41), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problem := commentProblem(tt.out, tt.links)
			if (problem != "") != tt.bad {
				t.Errorf("commentProblem(%q) = %q, want a problem: %v", tt.out, problem, tt.bad)
			}
		})
	}
}

// commentXSS are known cross-site scripting and markup-injection payloads,
// as raw HTML and as Markdown.
var commentXSS = []string{
	// Script tags in all casings and split.
	"<script>alert(1)</script>",
	"<SCRIPT>alert(1)</SCRIPT>",
	"<ScRiPt src=//evil.example/x.js></sCrIpT>",
	"<scr<script>ipt>alert(1)</script>",
	"<script\n>alert(1)</script\n>",
	// Event handlers.
	"<img src=x onerror=alert(1)>",
	"<IMG SRC=\"javascript:alert(1)\">",
	"<svg onload=alert(1)>",
	"<body onload=alert(1)>",
	"<details open ontoggle=alert(1)>",
	"<input autofocus onfocus=alert(1)>",
	"<x onclick=alert(1)>click</x>",
	// Frames, objects and friends.
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="javascript:alert(1)">`,
	`<form action="/logout" method="post"><input type="submit" value="Win"></form>`,
	`<button formaction="javascript:alert(1)">x</button>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<link rel="stylesheet" href="https://evil.example/x.css">`,
	// Raw HTML links.
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="  javascript:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
	`<a href=javascript&colon;alert(1)>x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="https://example.org" target="_blank">x</a>`,
	// Styles.
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p style="width: expression(alert(1))">x</p>`,
	`<style>@import 'javascript:alert(1)';</style>`,
	// htmx: attributes that make the page act.
	`<button hx-get="/admin/delete" hx-trigger="load">x</button>`,
	`<div data-hx-post="/logout" data-hx-trigger="load">x</div>`,
	`<div hx-on:click="alert(1)">x</div>`,
	`<div hx-on::load="alert(1)">x</div>`,
	`<a href="https://example.org" hx-get="/x" hx-swap="outerHTML" data-hx-boost="true">x</a>`,
	// Namespace confusion and parser differentials.
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<svg><p><style><img src=x onerror=alert(1)></style></p></svg>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<!--<img src=x onerror=alert(1)>-->`,
	`<![CDATA[<img src=x onerror=alert(1)>]]>`,
	`<textarea><img src=x onerror=alert(1)></textarea>`,
	// Markdown links.
	"[x](javascript:alert(1))",
	"[x](JaVaScRiPt:alert(1))",
	"[x](&#106;avascript:alert(1))",
	"[x](&#x6A;avascript&colon;alert(1))",
	"[x](javas&#99;ript&#58;alert(1))", // CVE-2026-5160 style
	"[x](&#x26;#106;avascript:alert(1))",
	"[x](java&#x09;script:alert(1))",
	"[x](java&Tab;script:alert(1))",
	"[x](&#32;javascript:alert(1))",
	"[x](<java\tscript:alert(1)>)",
	"[x](<java\nscript:alert(1)>)",
	"[x](\x01javascript:alert(1))",
	"[x](j&#0;avascript:alert(1))",
	"[x](javascript%3Aalert(1))",
	"[x](%6A%61vascript:alert(1))",
	`[x](javascript\:alert(1))`,
	"[x](javascript&colon;alert(1))",
	"[x](vbscript:msgbox(1))",
	"[x](VBScript:msgbox(1))",
	"[x](data:text/html,<script>alert(1)</script>)",
	"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
	"[x](https://example.org/?q=javascript:alert(1))",
	`[x](https://example.org "t\" onclick=\"alert(1)")`,
	`[x](https://example.org/"onmouseover="alert(1))`,
	// Reference-style links and autolinks.
	"[x][r]\n\n[r]: javascript:alert(1)",
	"[x][r]\n\n[r]: &#106;avascript:alert(1) \"t\"",
	"[x]\n\n[x]: <javascript:alert(1)>",
	"[x]: javascript:alert(1)\n\n[x]",
	"<javascript:alert(1)>",
	"<JAVASCRIPT:alert(1)>",
	"<vbscript:msgbox(1)>",
	"<data:text/html,<script>alert(1)</script>>",
	"https://example.org/\"onmouseover=\"alert(1)",
	"www.example.org/<script>alert(1)</script>",
	"javascript:alert(1)//https://example.org",
	// Images and HTML inside Markdown.
	"![x](javascript:alert(1))",
	`![x" onerror="alert(1)](https://example.org/a.png)`,
	"[<img src=x onerror=alert(1)>](https://example.org)",
	"**<script>**alert(1)",
	"> <script>alert(1)</script>",
	"- <img src=x onerror=alert(1)>",
	"# <img src=x onerror=alert(1)>",
	"`<img src=x onerror=alert(1)>`",
	"```\n<script>alert(1)</script>\n```",
	"```\" onclick=\"alert(1)\n<x>\n```",
	"&lt;script&gt;alert(1)&lt;/script&gt;",
	"&#60;img src=x onerror=alert(1)&#62;",
}

// No known payload gets through.
func TestComment_XSS(t *testing.T) {
	if len(commentXSS) < 40 {
		t.Fatalf("only %d payloads", len(commentXSS))
	}
	for _, src := range commentXSS {
		out, links := markdown.Comment(src)
		if problem := commentProblem(out, links); problem != "" {
			t.Errorf("Comment(%q): %s\n%s", src, problem, out)
		}
	}
}

// Whatever the input, Comment's output meets the invariants of every
// comment.
func FuzzComment(f *testing.F) {
	for _, src := range commentXSS {
		f.Add(src)
	}
	for _, src := range xssInputs {
		f.Add(src)
	}
	f.Add("Thanks *Sam*!\n\n> It helped.\n\n1. [NHS](https://www.nhs.uk/)\n2. https://example.org\n\n```\ncode\n```")
	f.Fuzz(func(t *testing.T, src string) {
		out, links := markdown.Comment(src)
		if problem := commentProblem(out, links); problem != "" {
			t.Errorf("Comment(%q): %s\n%s", src, problem, out)
		}
		if strings.TrimSpace(src) == "" && (out != "" || links != 0) {
			t.Errorf("Comment(%q) = %q, %d for blank input", src, out, links)
		}
	})
}

// pathological are 5,000-character inputs known to make Markdown parsers
// slow or deep.
var pathological = []struct{ name, src string }{
	{"nested brackets", strings.Repeat("[", 2500) + strings.Repeat("]", 2500)},
	{"unclosed links", strings.Repeat("[a](", 1250)},
	{"unclosed link destinations", strings.Repeat("[a](<", 1000)},
	{"links in links", strings.Repeat("[a", 1250) + strings.Repeat("](https://x.example)", 190)},
	{"reference links", strings.Repeat("[a]", 1600) + "\n\n[a]: https://x.example"},
	{"block quotes", strings.Repeat(">", 5000)},
	{"block quotes and lists", strings.Repeat("> - ", 1250)},
	{"list items", strings.Repeat("- ", 2500)},
	{"stars", strings.Repeat("*", 5000)},
	{"stars and letters", strings.Repeat("*a", 2500)},
	{"unmatched emphasis", strings.Repeat("*a _b ", 833)},
	{"emphasis openers then closers", strings.Repeat("*a", 1250) + strings.Repeat("a*", 1250)},
	{"tildes", strings.Repeat("~", 5000)},
	{"backticks", strings.Repeat("`a``", 1250)},
	{"angle brackets", strings.Repeat("<a", 2500)},
	{"bare URLs", strings.Repeat("https://x.example/ ", 263)},
	{"www without end", "www." + strings.Repeat("a.", 2498)},
	{"e-mail-ish", strings.Repeat("a@", 2500)},
	{"entities", strings.Repeat("&#1", 1666)},
	{"newlines", strings.Repeat("a\n", 2500)},
}

// proseComment is a 5,000-character comment as most are: paragraphs of
// text, a little emphasis and a couple of links.
var proseComment = func() string {
	const chunk = "I had my first sports massage with Sam last week after months of lower back pain from running. " +
		"It was firm but never too much, and Sam explained what was going on with my hip flexors as we went. " +
		"The next day I felt **much** looser and I've been stretching every morning since, as suggested.\n\n"
	s := strings.Repeat(chunk, 5000/len(chunk)+1)[:4880]
	return s + "\n\nMore at https://www.nhs.uk/conditions/back-pain/ and in [a guide](https://example.org/guide).\n"
}()

// denseComment is a 5,000-character comment using everything a comment may,
// all the time: some 80 links and 40 lists.
var denseComment = func() string {
	const chunk = "Thanks *Sam* — the session really **helped** my back. I'd read the [NHS page](https://www.nhs.uk/) first.\n\n" +
		"> Don't skip the warm-up...\n\n- stretch daily\n- drink water\n\nSee https://example.org/tips or mail hello@example.org.\n\n"
	return strings.Repeat(chunk, 5000/len(chunk)+1)[:5000]
}()

// Pathological inputs still give well-formed comments.
func TestComment_Pathological(t *testing.T) {
	for _, tt := range pathological {
		t.Run(tt.name, func(t *testing.T) {
			out, links := markdown.Comment(tt.src)
			if problem := commentProblem(out, links); problem != "" {
				t.Errorf("%s\n%.500s", problem, out)
			}
		})
	}
}

// 5,000-character comments: ordinary prose and dense markup, which should
// take well under a millisecond, and inputs that are hard on Markdown
// parsers, which should not blow up. Some grow quadratically inside goldmark
// (nested brackets, "[a](" repeated, ">" repeated take 10–20 ms at 5,000
// characters, four times that at 10,000; Article has the same costs), which
// is why callers must cap a comment's length.
func BenchmarkComment(b *testing.B) {
	cases := append([]struct{ name, src string }{{"prose", proseComment}, {"dense", denseComment}}, pathological...)
	for _, bc := range cases {
		b.Run(strings.ReplaceAll(bc.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(bc.src)))
			b.ReportAllocs()
			for b.Loop() {
				markdown.Comment(bc.src)
			}
		})
	}
}

// One renderer and one sanitiser serve concurrent calls.
func TestComment_Concurrent(t *testing.T) {
	want, wantLinks := markdown.Comment(denseComment)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got, links := markdown.Comment(denseComment); got != want || links != wantLinks {
					t.Error("concurrent calls disagree")
					return
				}
			}
		})
	}
	wg.Wait()
}

func ExampleComment() {
	html, links := markdown.Comment(`# Great session!

Thanks **Sam** -- see https://www.nhs.uk/ and [this](javascript:alert(1)).
<img src=x onerror=alert(1)>`)
	fmt.Print(html)
	fmt.Println(links, "link")
	// Output:
	// <p>Great session!</p>
	// <p>Thanks <strong>Sam</strong> – see <a href="https://www.nhs.uk/" rel="nofollow ugc noopener">https://www.nhs.uk/</a> and this.<br>
	// &lt;img src=x onerror=alert(1)&gt;</p>
	// 1 link
}
