// Package markdown turns the practice's Markdown into HTML: articles (trusted,
// written by the therapist) now, comments (untrusted) later.
//
// Articles are GitHub Flavored Markdown with typographic punctuation. Raw HTML
// is never passed through, links and images may only point at http(s) URLs,
// mailto:/tel: (links only) or paths on this site, links to other sites get
// rel="noopener", and images load lazily. The output is safe to place in a
// page as it is for trusted authors; for untrusted comments run an HTML
// sanitiser on it as well.
package markdown

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Options adjusts how Article renders links and images.
// The zero value is usable: no image sizes, and every absolute link is to
// another site.
type Options struct {
	// ImageSize reports the pixel size of a local image (src like
	// "/static/img/x.jpg", with Markdown escapes and entities resolved). It is
	// only asked about sources without a scheme or host. Nil, or ok=false,
	// means no width/height attributes.
	ImageSize func(src string) (width, height int, ok bool)

	// SiteHost is the site's host (e.g. "dynamicmotion.fly.dev"): links to
	// any other host are "other sites" and get rel="noopener". Compared
	// case-insensitively, with or without the port.
	SiteHost string
}

// optionsKey carries the caller's Options from Article to the AST transformer
// through the parser.Context, so that one goldmark instance serves every call.
var optionsKey = parser.NewContextKey()

// typography is the typographer's output for articles and comments: real
// characters instead of the default entities, so that plain text and meta
// descriptions get them too; «» from << >> is off.
var typography = map[extension.TypographicPunctuation][]byte{
	extension.LeftSingleQuote:  []byte("‘"),
	extension.RightSingleQuote: []byte("’"),
	extension.LeftDoubleQuote:  []byte("“"),
	extension.RightDoubleQuote: []byte("”"),
	extension.EnDash:           []byte("–"),
	extension.EmDash:           []byte("—"),
	extension.Ellipsis:         []byte("…"),
	extension.Apostrophe:       []byte("’"),
	extension.LeftAngleQuote:   nil,
	extension.RightAngleQuote:  nil,
}

// articles is the one goldmark instance for articles. A goldmark.Markdown is
// safe for concurrent Convert calls; per-call settings travel in the context.
var articles = goldmark.New(
	goldmark.WithExtensions(
		extension.GFM, // tables, strikethrough, autolinks (linkify), task lists
		extension.NewTypographer(extension.WithTypographicSubstitutions(typography)),
	),
	goldmark.WithParserOptions(
		// Heading ids come from transformer (not parser.WithAutoHeadingID,
		// which slugs the raw source line, link URLs and all).
		parser.WithASTTransformers(util.Prioritized(transformer{}, 100)),
	),
	goldmark.WithRendererOptions(
		// Never html.WithUnsafe: raw HTML is dropped by noRawHTML.
		renderer.WithNodeRenderers(util.Prioritized(noRawHTML{}, 100)),
	),
)

// Article renders trusted article Markdown to HTML.
//
// It supports GitHub Flavored Markdown (tables, strikethrough, autolinks,
// task lists) and typographic punctuation (curly quotes, – for --, — for ---,
// … for ...). Headings get ids made from their text ("## Understanding Lower
// Back Pain" → id="understanding-lower-back-pain"), unique within the
// document ("faq", "faq-1", ...). Raw HTML, inline or block, is dropped.
// Links and images whose destination is not an http(s) URL, a path or, for
// links only, mailto:/tel: (so javascript:, vbscript:, data:, file:, ...)
// are replaced by their text. Links to hosts other than o.SiteHost get
// rel="noopener"; images get loading="lazy" decoding="async" and, when
// o.ImageSize knows them, width and height.
func Article(src string, o Options) (string, error) {
	pc := parser.NewContext()
	pc.Set(optionsKey, &o)
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/4)
	if err := articles.Convert([]byte(src), &buf, parser.WithContext(pc)); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// ReadingMinutes estimates the reading time of Markdown at 220 words a
// minute, rounded up and at least 1. Words are counted in Plain(src), so
// markup such as #, * and link URLs does not count.
func ReadingMinutes(src string) int {
	const wordsPerMinute = 220
	words := len(strings.Fields(Plain(src)))
	minutes := (words + wordsPerMinute - 1) / wordsPerMinute
	return max(minutes, 1)
}

// Plain returns the text of Markdown without markup, for search snippets and
// meta descriptions: the words a reader sees (link text but not link URLs,
// code, table cells; not image alt text or raw HTML), with typographic
// punctuation applied, escapes and entities resolved and all whitespace
// collapsed to single spaces.
func Plain(src string) string {
	source := []byte(src)
	doc := articles.Parser().Parse(text.NewReader(source), parser.WithContext(parser.NewContext()))
	var b strings.Builder
	writeText(&b, doc, source)
	return strings.Join(strings.Fields(b.String()), " ")
}

// writeText appends the visible text of n to b, with a space between blocks
// and in place of line breaks (callers collapse whitespace).
func writeText(b *strings.Builder, n ast.Node, source []byte) {
	_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock {
				b.WriteByte(' ')
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			v := n.Segment.Value(source)
			if !n.IsRaw() {
				v = resolve(v)
			}
			b.Write(v)
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			v := n.Value
			if !n.IsCode() && !n.IsRaw() {
				v = resolve(v)
			}
			b.Write(v)
		case *ast.AutoLink:
			b.Write(n.Label(source))
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := n.Lines()
			for i := range lines.Len() {
				seg := lines.At(i)
				b.Write(seg.Value(source))
				b.WriteByte(' ')
			}
			return ast.WalkSkipChildren, nil
		case *ast.Image, *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
}

// resolve applies Markdown backslash escapes and HTML entity references.
func resolve(v []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
}

// transformer post-processes the parsed article: heading ids, link and image
// safety and attributes. Options come from the parser context (nil for Plain).
type transformer struct{}

func (transformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var o Options
	if p, ok := pc.Get(optionsKey).(*Options); ok && p != nil {
		o = *p
	}
	source := reader.Source()
	var ids headingIDs
	var unwrap []ast.Node // dangerous links and images, replaced after the walk
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			var b strings.Builder
			writeText(&b, n, source)
			n.SetAttributeString("id", []byte(ids.unique(slug(b.String()))))
		case *ast.Link:
			dest := util.URLEscape(n.Destination, true) // what the renderer writes
			if !allowedDestination(dest, false) {
				unwrap = append(unwrap, n)
				break
			}
			if otherSite(dest, o.SiteHost) {
				n.SetAttributeString("rel", []byte("noopener"))
			}
		case *ast.AutoLink:
			dest := util.URLEscape(n.URL(source), false)
			if n.AutoLinkType == ast.AutoLinkEmail {
				break // the renderer prefixes mailto:
			}
			if !allowedDestination(dest, false) {
				unwrap = append(unwrap, n)
				break
			}
			if otherSite(dest, o.SiteHost) {
				n.SetAttributeString("rel", []byte("noopener"))
			}
		case *ast.Image:
			dest := util.URLEscape(n.Destination, true)
			if !allowedDestination(dest, true) {
				unwrap = append(unwrap, n)
				break
			}
			n.SetAttributeString("loading", []byte("lazy"))
			n.SetAttributeString("decoding", []byte("async"))
			if o.ImageSize != nil && local(dest) {
				if w, h, ok := o.ImageSize(string(resolve(n.Destination))); ok && w > 0 && h > 0 {
					n.SetAttributeString("width", []byte(strconv.Itoa(w)))
					n.SetAttributeString("height", []byte(strconv.Itoa(h)))
				}
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unwrap {
		parent := n.Parent()
		if al, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, al, ast.NewString(al.Label(source)))
			continue
		}
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

// allowedDestination reports whether a link (or image) destination, as the
// renderer will write it (entities resolved, percent-encoded), is one we
// allow: no scheme (a path, query or fragment), http(s), or for links
// mailto: and tel:. Everything else — javascript:, vbscript:, data:, file:
// and unknown schemes — is refused. An allow-list rather than goldmark's
// deny-list (html.IsDangerousURL, which also still applies).
func allowedDestination(dest []byte, image bool) bool {
	i := bytes.IndexAny(dest, ":/?#")
	if i < 0 || dest[i] != ':' {
		return true // no scheme: relative
	}
	switch strings.ToLower(string(dest[:i])) {
	case "http", "https":
		return true
	case "mailto", "tel":
		return !image
	}
	return false
}

// otherSite reports whether an allowed destination points at a host other
// than siteHost.
func otherSite(dest []byte, siteHost string) bool {
	u, err := url.Parse(string(dest))
	if err != nil {
		return true // cannot tell: be careful
	}
	if u.Host == "" {
		return false // a path on this site, mailto:, tel:
	}
	return siteHost == "" || !(strings.EqualFold(u.Host, siteHost) || strings.EqualFold(u.Hostname(), siteHost))
}

// local reports whether a destination has neither a scheme nor a host: a
// path on this site.
func local(dest []byte) bool {
	if bytes.HasPrefix(dest, []byte("//")) {
		return false
	}
	i := bytes.IndexAny(dest, ":/?#")
	return i < 0 || dest[i] != ':'
}

// slug turns heading text into an id: letters and digits lower-cased, runs of
// spaces, hyphens and underscores become one hyphen, other characters
// (punctuation, apostrophes) are dropped. Empty text gives "section".
func slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsSpace(r) || r == '-' || r == '_':
			hyphen = true
		}
	}
	if b.Len() == 0 {
		return "section"
	}
	return b.String()
}

// headingIDs hands out unique heading ids within one document.
type headingIDs struct {
	used map[string]bool
	next map[string]int // the next suffix to try for a base id
}

// unique returns id, or id-1, id-2, ... whichever is not yet used, and
// records it. Remembering the last suffix per base id keeps a document with
// thousands of equal headings linear rather than quadratic.
func (h *headingIDs) unique(id string) string {
	if h.used == nil {
		h.used, h.next = map[string]bool{}, map[string]int{}
	}
	candidate := id
	for i := h.next[id]; h.used[candidate]; {
		i++
		candidate = id + "-" + strconv.Itoa(i)
		h.next[id] = i
	}
	h.used[candidate] = true
	return candidate
}

// noRawHTML renders raw HTML (inline and blocks) as nothing, rather than
// goldmark's "<!-- raw HTML omitted -->" comment.
type noRawHTML struct{}

func (noRawHTML) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	skip := func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil
	}
	r.Register(ast.KindRawHTML, skip)
	r.Register(ast.KindHTMLBlock, skip)
}

var (
	_ parser.ASTTransformer = transformer{}
	_ renderer.NodeRenderer = noRawHTML{}
)
