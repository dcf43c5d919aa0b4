package emails

import (
	"embed"
	"html/template"
	"strings"
	"unicode/utf8"
)

//go:embed templates/message.html
var templateFiles embed.FS

// htmlTemplate is the HTML part of every message, parsed once; a broken template stops the program at start-up.
var htmlTemplate = template.Must(template.New("message.html").Funcs(template.FuncMap{"tel": tel}).
	ParseFS(templateFiles, "templates/message.html"))

// view is one message's content, from which both parts are rendered: a heading, an optional
// greeting, blocks in order (paragraphs, label/value facts, links), then the practice's footer.
type view struct {
	Title    string // the subject: the HTML <title>
	Heading  string // the first line of both parts
	Greeting string
	Blocks   []block
	Practice Practice
	SiteURL  string // the site's address without a trailing slash, or ""
	SiteHost string
	Why      string // why the recipient gets this mail (client messages)
	// Unsubscribe is the one-click unsubscribe page of a message someone
	// asked for (reply notifications), or "".
	Unsubscribe string
}

// block is one of: a paragraph (Para, with an optional bold Lead), a quotation of someone's words as they
// wrote them (Quote: plain text, line by line, with an optional Lead), a table of facts, or a link.
type block struct {
	Lead, Para string
	Quote      []string
	Facts      []fact
	Link       *link
}

type fact struct{ Label, Value string }

type link struct{ Text, URL string }

func (p Practice) view(heading, greeting string) view {
	p.Name, p.Phone, p.Email, p.Address = oneLine(p.Name), oneLine(p.Phone), oneLine(p.Email), oneLine(p.Address)
	site := p.site("")
	return view{Heading: heading, Greeting: greeting, Practice: p, SiteURL: site, SiteHost: p.siteHost()}
}

func (v *view) para(lead, text string) { v.Blocks = append(v.Blocks, block{Lead: lead, Para: text}) }
func (v *view) facts(fs ...fact)       { v.Blocks = append(v.Blocks, block{Facts: fs}) }

// quote adds text someone wrote (a contact message, a reply), its line breaks kept; it does nothing if text is
// blank.
func (v *view) quote(lead, text string) {
	if strings.TrimSpace(text) != "" {
		v.Blocks = append(v.Blocks, block{Lead: lead, Quote: strings.Split(text, "\n")})
	}
}

func (v *view) link(text, url string) {
	if url = strings.TrimSpace(url); url != "" {
		v.Blocks = append(v.Blocks, block{Link: &link{Text: text, URL: url}})
	}
}

// render returns the plain-text and the HTML part. The HTML template only fails on a programming error (every
// path is tested), so that is a panic rather than an error every caller would have to handle.
func (v view) render() (text, html string) {
	var h strings.Builder
	if err := htmlTemplate.Execute(&h, v); err != nil {
		panic("emails: " + err.Error())
	}
	return v.text(), h.String()
}

// text is the plain-text part: the same blocks as the HTML, then the footer after a "-- " signature line.
func (v view) text() string {
	var b strings.Builder
	b.WriteString(v.Heading + "\n")
	b.WriteString(strings.Repeat("=", utf8.RuneCountInString(v.Heading)) + "\n\n")
	if v.Greeting != "" {
		b.WriteString(v.Greeting + "\n\n")
	}
	for _, bl := range v.Blocks {
		switch {
		case bl.Para != "":
			if bl.Lead != "" {
				b.WriteString(bl.Lead + ": ")
			}
			b.WriteString(bl.Para + "\n\n")
		case len(bl.Quote) > 0:
			if bl.Lead != "" {
				b.WriteString(bl.Lead + ":\n")
			}
			for _, l := range bl.Quote {
				b.WriteString(strings.TrimRight("> "+l, " ") + "\n")
			}
			b.WriteString("\n")
		case len(bl.Facts) > 0:
			for _, f := range bl.Facts {
				b.WriteString(f.Label + ": " + f.Value + "\n")
			}
			b.WriteString("\n")
		case bl.Link != nil:
			b.WriteString(bl.Link.Text + ":\n" + bl.Link.URL + "\n\n")
		}
	}
	p := v.Practice
	b.WriteString("-- \n")
	for _, l := range []string{p.Name, p.Address, prefixed("Phone: ", p.Phone), prefixed("E-mail: ", p.Email), v.SiteURL} {
		if l != "" {
			b.WriteString(l + "\n")
		}
	}
	if v.Why != "" {
		b.WriteString("\n" + v.Why + "\n")
	}
	if v.Unsubscribe != "" {
		b.WriteString("\nTo stop these e-mails, unsubscribe (one click):\n" + v.Unsubscribe + "\n")
	}
	return b.String()
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// tel turns a phone number as people write it ("01480 000000") into a tel: link; only + and digits survive,
// so the result is safe as a URL.
func tel(phone string) template.URL {
	out := make([]rune, 0, len(phone))
	for _, r := range phone {
		if r == '+' || (r >= '0' && r <= '9') {
			out = append(out, r)
		}
	}
	return template.URL("tel:" + string(out))
}
