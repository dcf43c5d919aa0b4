package handlers

// A small HTML checker in the spirit of pkgsite's internal/testing/htmlcheck:
// a checker is a function of a parsed node; in(selector, checkers...) finds
// the first element matching a selector and runs the checkers on it.
//
// Selectors are a small subset of CSS: compound selectors (tag, #id, .class,
// [attr], [attr=value], [attr^=prefix]) joined by spaces (descendant).

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

type checker func(*html.Node) error

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	return doc
}

// checkHTML runs the checkers on the parsed body and reports each failure.
func checkHTML(t *testing.T, body string, checkers ...checker) {
	t.Helper()
	doc := parseHTML(t, body)
	for _, c := range checkers {
		if err := c(doc); err != nil {
			t.Error(err)
		}
	}
}

// in checks the first element matching sel with the checkers.
func in(sel string, checkers ...checker) checker {
	return func(n *html.Node) error {
		m := selectAll(n, sel)
		if len(m) == 0 {
			return fmt.Errorf("no element matches %q", sel)
		}
		for _, c := range checkers {
			if err := c(m[0]); err != nil {
				return fmt.Errorf("%s: %w", sel, err)
			}
		}
		return nil
	}
}

// notIn checks that no element matches sel.
func notIn(sel string) checker {
	return func(n *html.Node) error {
		if m := selectAll(n, sel); len(m) > 0 {
			return fmt.Errorf("%d element(s) match %q, want none: %s", len(m), sel, render(m[0]))
		}
		return nil
	}
}

// count checks that exactly want elements match sel.
func count(sel string, want int) checker {
	return func(n *html.Node) error {
		if got := len(selectAll(n, sel)); got != want {
			return fmt.Errorf("%d element(s) match %q, want %d", got, sel, want)
		}
		return nil
	}
}

// hasText checks that the node's text, with white space collapsed, contains
// want.
func hasText(want string) checker {
	return func(n *html.Node) error {
		if got := text(n); !strings.Contains(got, want) {
			return fmt.Errorf("text %q does not contain %q", got, want)
		}
		return nil
	}
}

// hasExactText checks the node's collapsed text.
func hasExactText(want string) checker {
	return func(n *html.Node) error {
		if got := text(n); got != want {
			return fmt.Errorf("text is %q, want %q", got, want)
		}
		return nil
	}
}

func hasAttr(name, want string) checker {
	return func(n *html.Node) error {
		got, ok := attr(n, name)
		if !ok {
			return fmt.Errorf("no attribute %s", name)
		}
		if got != want {
			return fmt.Errorf("%s=%q, want %q", name, got, want)
		}
		return nil
	}
}

var space = regexp.MustCompile(`\s+`)

// text is the text content of n with runs of white space made one space.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(space.ReplaceAllString(b.String(), " "))
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func render(n *html.Node) string {
	var b strings.Builder
	html.Render(&b, n)
	s := b.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// selectAll returns the elements under root that match sel, in document order.
func selectAll(root *html.Node, sel string) []*html.Node {
	parts := strings.Fields(sel)
	matches := []*html.Node{root}
	for _, p := range parts {
		cs := parseCompound(p)
		var next []*html.Node
		seen := map[*html.Node]bool{}
		for _, m := range matches {
			for _, d := range descendants(m) {
				if !seen[d] && cs.match(d) {
					seen[d] = true
					next = append(next, d)
				}
			}
		}
		matches = next
	}
	return matches
}

func descendants(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
		out = append(out, descendants(c)...)
	}
	return out
}

type attrCond struct{ name, op, value string }

type compound struct {
	tag   string
	conds []attrCond
}

var compoundRE = regexp.MustCompile(`^([a-z0-9]*)((?:#[\w-]+|\.[\w-]+|\[[\w-]+(?:[\^$]?=[^\]]*)?\])*)$`)
var partRE = regexp.MustCompile(`#[\w-]+|\.[\w-]+|\[[^\]]+\]`)

func parseCompound(s string) compound {
	m := compoundRE.FindStringSubmatch(s)
	if m == nil {
		panic(fmt.Sprintf("htmlcheck: unsupported selector %q", s))
	}
	c := compound{tag: m[1]}
	for _, p := range partRE.FindAllString(m[2], -1) {
		switch p[0] {
		case '#':
			c.conds = append(c.conds, attrCond{"id", "=", p[1:]})
		case '.':
			c.conds = append(c.conds, attrCond{"class", "~=", p[1:]})
		case '[':
			inner := p[1 : len(p)-1]
			if name, v, ok := strings.Cut(inner, "^="); ok {
				c.conds = append(c.conds, attrCond{name, "^=", strings.Trim(v, `"'`)})
			} else if name, v, ok := strings.Cut(inner, "$="); ok {
				c.conds = append(c.conds, attrCond{name, "$=", strings.Trim(v, `"'`)})
			} else if name, v, ok := strings.Cut(inner, "="); ok {
				c.conds = append(c.conds, attrCond{name, "=", strings.Trim(v, `"'`)})
			} else {
				c.conds = append(c.conds, attrCond{inner, "", ""})
			}
		}
	}
	return c
}

func (c compound) match(n *html.Node) bool {
	if n.Type != html.ElementNode || (c.tag != "" && n.Data != c.tag) {
		return false
	}
	for _, cond := range c.conds {
		v, ok := attr(n, cond.name)
		if !ok {
			return false
		}
		switch cond.op {
		case "=":
			if v != cond.value {
				return false
			}
		case "^=":
			if !strings.HasPrefix(v, cond.value) {
				return false
			}
		case "$=":
			if !strings.HasSuffix(v, cond.value) {
				return false
			}
		case "~=":
			found := false
			for _, f := range strings.Fields(v) {
				found = found || f == cond.value
			}
			if !found {
				return false
			}
		}
	}
	return true
}
