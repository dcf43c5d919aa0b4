// Package views holds the site's HTML templates and the renderer that Echo
// uses to write them.
//
// Every page is its own template set: the shared layout and partials plus
// one file from pages/. A page defines "content"; the htmx
// fragments it swaps are {{define}} blocks inside that same file, so the full
// page and the fragment always come from one source. All templates are
// parsed once at start-up: a missing or broken template stops the process
// before it serves anything.
package views

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"text/template/parse"
)

//go:embed layout.html partials/*.html pages/*.html
var files embed.FS

// Renderer renders pages and fragments by name.
type Renderer struct {
	pages map[string]*template.Template
	bufs  sync.Pool
}

// New parses every page with the layout and partials. funcs adds template
// functions that need the running site (such as the asset URL helper).
func New(funcs template.FuncMap) (*Renderer, error) {
	all := template.FuncMap{}
	for k, v := range baseFuncs {
		all[k] = v
	}
	for k, v := range funcs {
		all[k] = v
	}
	base, err := template.New("layout.html").Funcs(all).ParseFS(files, "layout.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("views: %w", err)
	}
	names, err := fs.Glob(files, "pages/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	r.bufs.New = func() any { return new(bytes.Buffer) }
	for _, file := range names {
		t, err := template.Must(base.Clone()).ParseFS(files, file)
		if err != nil {
			return nil, fmt.Errorf("views: %w", err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("views: %s does not define \"content\"", file)
		}
		if err := checkCalls(t); err != nil {
			return nil, fmt.Errorf("views: %s: %w", file, err)
		}
		r.pages[strings.TrimSuffix(path.Base(file), ".html")] = t
	}
	return r, nil
}

// Render writes the template called name with data. A name is either a page
// ("home", rendered in the layout) or a block inside a page ("home#services",
// rendered alone, as htmx swaps it). The output goes to a buffer first, so a
// template error never leaves half a page on the wire; when w is already a
// buffer (as Echo's c.Render passes), that buffer is used and cut back on
// error.
func (r *Renderer) Render(w io.Writer, name string, data any) error {
	page, block, isBlock := strings.Cut(name, "#")
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("views: no page %q", page)
	}
	if !isBlock {
		block = "layout"
	}
	if out, ok := w.(*bytes.Buffer); ok {
		n := out.Len()
		if err := t.ExecuteTemplate(out, block, data); err != nil {
			out.Truncate(n)
			return fmt.Errorf("views: rendering %s: %w", name, err)
		}
		return nil
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := t.ExecuteTemplate(buf, block, data); err != nil {
		return fmt.Errorf("views: rendering %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// checkCalls fails if any template in the set calls a template that does
// not exist: html/template would only notice when a visitor hit that page.
func checkCalls(set *template.Template) error {
	var walk func(n parse.Node) error
	walk = func(n parse.Node) error {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.TemplateNode:
			if set.Lookup(n.Name) == nil {
				return fmt.Errorf("template %q is called but not defined", n.Name)
			}
		case *parse.IfNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.RangeNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.WithNode:
			return walkBranch(walk, &n.BranchNode)
		}
		return nil
	}
	for _, t := range set.Templates() {
		if t.Tree == nil {
			continue
		}
		if err := walk(t.Tree.Root); err != nil {
			return fmt.Errorf("in %s: %w", t.Name(), err)
		}
	}
	return nil
}

func walkBranch(walk func(parse.Node) error, b *parse.BranchNode) error {
	if err := walk(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return walk(b.ElseList)
	}
	return nil
}

// Has reports whether name (a page or "page#block") exists.
func (r *Renderer) Has(name string) bool {
	page, block, isBlock := strings.Cut(name, "#")
	t, ok := r.pages[page]
	if !ok {
		return false
	}
	return !isBlock || t.Lookup(block) != nil
}
