package markdown

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// commentRel is the rel attribute of every link in a comment: no search
// engine credit for what a reader links to (nofollow, ugc) and no
// window.opener for the linked page (noopener).
const commentRel = "nofollow ugc noopener"

// Nesting limits for comments. Deeper block quotes and lists are flattened
// into their parent, and deeper emphasis loses its markup, so that a line of
// 5,000 ">" or "*" cannot build thousands of nested elements: HTML parsers
// stop nesting at 512 (golang.org/x/net/html refuses such a page outright)
// and beyond that the page's structure is at the parser's mercy.
const (
	maxCommentBlockNesting  = 8 // block quotes and lists inside each other
	maxCommentInlineNesting = 8 // emphasis, strong and strikethrough inside each other
)

// comments is the goldmark instance for readers' comments, separate from
// articles. It is CommonMark without raw HTML — the HTML block and inline
// parsers are left out, so "<b>" or "<script>" is text, shown escaped — plus
// bare-URL autolinks (http, https, www. and e-mail addresses), strikethrough,
// typographic punctuation and hard line wraps (a line break in a comment is a
// line break on the page); no tables or task lists. commentTransformer checks
// links and limits nesting; commentRenderer turns headings into paragraphs,
// images into their alt text and drops thematic breaks. Never
// html.WithUnsafe: and commentPolicy sanitises the result anyway.
var comments = goldmark.New(
	goldmark.WithParser(parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(parser.NewListParser(), 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewBlockquoteParser(), 800),
			// No parser.NewHTMLBlockParser (900): HTML blocks are text.
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(parser.NewLinkParser(), 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			// No parser.NewRawHTMLParser (400): inline tags are text.
			util.Prioritized(parser.NewEmphasisParser(), 500),
		),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		parser.WithASTTransformers(util.Prioritized(commentTransformer{}, 100)),
	)),
	goldmark.WithExtensions(
		extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		extension.Strikethrough,
		extension.NewTypographer(extension.WithTypographicSubstitutions(typography)), // as for articles
	),
	goldmark.WithRendererOptions(
		gmhtml.WithHardWraps(),
		renderer.WithNodeRenderers(util.Prioritized(commentRenderer{}, 100)),
	),
)

// commentPolicy is the sanitiser run on every rendered comment: only the
// elements comments can produce, no attributes but href and rel on links,
// hrefs only http(s) and mailto, and rel only exactly commentRel (which the
// transformer sets; a link that somehow lacked it would still get nofollow).
// A bluemonday.Policy is safe for concurrent use once built.
var commentPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "del", "ul", "ol", "li", "blockquote", "pre", "code")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + commentRel + `$`)).OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	return p
}()

// Comment renders a reader's comment (untrusted) to safe HTML and reports how many links it contains.
//
// Comments are light Markdown: paragraphs, line breaks (every newline is
// one), *emphasis*, **strong**, ~~strikethrough~~, links and bare URLs,
// bulleted and numbered lists, block quotes, `code` and code blocks, with
// typographic punctuation. Headings become paragraphs, images their alt
// text, thematic breaks nothing, and tables stay text. Raw HTML is never
// interpreted: it shows as the text that was typed. Links must be absolute
// http(s) or mailto: URLs (others, and any that mention javascript: or
// vbscript:, keep only their text) and all get rel="nofollow ugc noopener".
// Block quotes and lists nest at most 8 deep, emphasis 8 deep; deeper markup
// is flattened.
//
// The HTML is then sanitised to the elements p, br, em, strong, del, ul, ol,
// li, blockquote, pre, code and a, with no attributes other than href and rel
// on a, so it is balanced and safe to place inside an <article> as it is.
// links is the number of <a> elements in it. Empty or blank input gives ""
// and 0.
func Comment(src string) (html string, links int) {
	if strings.TrimSpace(src) == "" {
		return "", 0
	}
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/4)
	if err := comments.Convert([]byte(src), &buf); err != nil {
		return "", 0 // rendering into a bytes.Buffer does not fail
	}
	out := commentPolicy.SanitizeBytes(buf.Bytes())
	if len(bytes.TrimSpace(out)) == 0 {
		return "", 0 // e.g. only a thematic break or a link reference definition
	}
	html = string(out)
	// Exact: bluemonday writes every tag it keeps as "<a ..." and escapes
	// "<" in text and attribute values, and it drops an <a> without
	// attributes.
	return html, strings.Count(html, "<a ")
}

// commentTransformer checks a comment's links and limits its nesting.
type commentTransformer struct{}

func (commentTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	commentChildren(doc, reader.Source(), 0, 0, false)
}

// commentChildren walks the children of parent, which is inside blocks block
// quotes and lists and inlines emphasis nodes, and inside a link if inLink.
// Links that are not allowed, or inside another link, are replaced by their
// text; links that are allowed get rel. Block quotes, lists and emphasis
// beyond the nesting limits are replaced by their content. Content moved up
// this way is walked in its new place.
func commentChildren(parent ast.Node, source []byte, blocks, inlines int, inLink bool) {
	for c := parent.FirstChild(); c != nil; {
		next := c.NextSibling()
		switch n := c.(type) {
		case *ast.Blockquote:
			if blocks >= maxCommentBlockNesting {
				next = unwrapNode(n)
				break
			}
			commentChildren(n, source, blocks+1, inlines, inLink)
		case *ast.List:
			if blocks >= maxCommentBlockNesting {
				next = flattenList(n)
				break
			}
			commentChildren(n, source, blocks+1, inlines, inLink)
		case *ast.Emphasis, *extast.Strikethrough:
			if inlines >= maxCommentInlineNesting {
				next = unwrapNode(n)
				break
			}
			commentChildren(n, source, blocks, inlines+1, inLink)
		case *ast.Link:
			if inLink || !commentLinkAllowed(util.URLEscape(n.Destination, true)) {
				next = unwrapNode(n)
				break
			}
			n.SetAttributeString("rel", []byte(commentRel))
			commentChildren(n, source, blocks, inlines, true)
		case *ast.AutoLink:
			dest := util.URLEscape(n.URL(source), false) // as the renderer writes it
			if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(dest), []byte("mailto:")) {
				dest = append([]byte("mailto:"), dest...)
			}
			if inLink || !commentLinkAllowed(dest) {
				s := ast.NewString(n.Label(source))
				s.SetRaw(true) // the label is the source text: no entities to resolve
				parent.ReplaceChild(parent, n, s)
				break
			}
			n.SetAttributeString("rel", []byte(commentRel))
		default:
			commentChildren(c, source, blocks, inlines, inLink)
		}
		c = next
	}
}

// commentLinkAllowed reports whether a link destination, as the renderer
// writes it (entities resolved, percent-encoded), may be a link in a
// comment: an absolute http(s) URL with a host, or a mailto: URL, that does
// not mention javascript: or vbscript: anywhere once sanitised (harmless in a
// query string, but no such text should reach the page's attributes).
func commentLinkAllowed(dest []byte) bool {
	u, err := url.Parse(string(dest))
	if err != nil {
		return false
	}
	switch u.Scheme { // url.Parse lower-cases it
	case "http", "https":
		if u.Host == "" {
			return false
		}
	case "mailto":
		if u.Opaque == "" {
			return false
		}
	default:
		return false
	}
	s := strings.ToLower(u.String()) // what bluemonday writes
	return !strings.Contains(s, "javascript:") && !strings.Contains(s, "vbscript:")
}

// unwrapNode replaces n by its children and returns the node to walk next:
// the first of those children, or n's next sibling if it had none.
func unwrapNode(n ast.Node) ast.Node {
	parent, next := n.Parent(), n.NextSibling()
	first := n.FirstChild()
	for c := first; c != nil; {
		after := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = after
	}
	parent.RemoveChild(parent, n)
	if first != nil {
		return first
	}
	return next
}

// flattenList replaces a list by the blocks of its items, in order, and
// returns the node to walk next as unwrapNode does. The text of a tight
// list's item becomes a paragraph, so that items stay apart.
func flattenList(list *ast.List) ast.Node {
	parent, next := list.Parent(), list.NextSibling()
	var first ast.Node
	for item := list.FirstChild(); item != nil; {
		afterItem := item.NextSibling()
		for c := item.FirstChild(); c != nil; {
			after := c.NextSibling()
			block := c
			if tb, ok := c.(*ast.TextBlock); ok {
				p := ast.NewParagraph()
				p.SetLines(tb.Lines())
				for t := tb.FirstChild(); t != nil; {
					afterT := t.NextSibling()
					p.AppendChild(p, t)
					t = afterT
				}
				item.RemoveChild(item, tb)
				block = p
			}
			parent.InsertBefore(parent, list, block)
			if first == nil {
				first = block
			}
			c = after
		}
		item = afterItem
	}
	parent.RemoveChild(parent, list)
	if first != nil {
		return first
	}
	return next
}

// commentRenderer renders what comments may not have: headings as
// paragraphs, images as their alt text (their children), thematic breaks
// and raw HTML (never parsed for comments) as nothing.
type commentRenderer struct{}

func (commentRenderer) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindHeading, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<p>")
		} else {
			_, _ = w.WriteString("</p>\n")
		}
		return ast.WalkContinue, nil
	})
	r.Register(ast.KindImage, func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkContinue, nil
	})
	skip := func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil
	}
	r.Register(ast.KindThematicBreak, skip)
	r.Register(ast.KindRawHTML, skip)
	r.Register(ast.KindHTMLBlock, skip)
}

var (
	_ parser.ASTTransformer = commentTransformer{}
	_ renderer.NodeRenderer = commentRenderer{}
)
