package markdown_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"dynamicmotion/markdown"
)

const seedFile = "testdata/sports-massage-for-lower-back-pain.md"

func readSeed(t testing.TB) []byte {
	t.Helper()
	src, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The first real article parses into the fields the site shows.
func TestParseDocument_SeedArticle(t *testing.T) {
	d, err := markdown.ParseDocument(readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	want := markdown.Document{
		Title:   "Sports Massage for Lower Back Pain: Relief and Recovery",
		Slug:    "sports-massage-for-lower-back-pain",
		Author:  "dynamicmotionsport",
		Summary: "How sports massage relieves muscle tension, improves circulation and range of motion, and reduces stress for people living with lower back pain.",
		// 09:00 in London on the day, British Summer Time.
		Published: time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC),
		Tags:      []string{"lower back pain", "sports massage", "recovery"},
		Status:    "published",
	}
	if diff := cmp.Diff(want, d, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Body" }, cmp.Ignore())); diff != "" {
		t.Errorf("ParseDocument(seed) mismatch (-want +got):\n%s", diff)
	}
	if got := d.Published.In(london(t)).Format("2 January 2006"); got != "16 July 2024" {
		t.Errorf("published shows in London as %q, want 16 July 2024", got)
	}
	if d.Published.Location() != time.UTC {
		t.Errorf("Published is in %v, want UTC", d.Published.Location())
	}
	if !strings.HasPrefix(d.Body, "Lower back pain is a common issue") {
		t.Errorf("Body starts %q, want the first paragraph", d.Body[:min(len(d.Body), 40)])
	}
	if !strings.HasSuffix(d.Body, "pain-free lifestyle.\n") {
		t.Errorf("Body does not end with the last paragraph")
	}
}

// The front matter's accepted forms and how they are normalised.
func TestParseDocument_FrontMatterForms(t *testing.T) {
	const head = "---\ntitle: T\nslug: s\n"
	tests := []struct {
		name string
		src  string
		want markdown.Document
	}{
		{
			name: "a summer date is 09:00 BST, stored as 08:00 UTC",
			src:  head + "published: 2024-07-16\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC), Status: "published", Body: "Body\n"},
		},
		{
			name: "a winter date is 09:00 GMT = 09:00 UTC",
			src:  head + "published: 2024-12-25\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 12, 25, 9, 0, 0, 0, time.UTC), Status: "published", Body: "Body\n"},
		},
		{
			name: "the day the clocks go forward is still 09:00 local",
			src:  head + "published: 2026-03-29\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC), Status: "published", Body: "Body\n"},
		},
		{
			name: "RFC 3339 times are kept exactly, in UTC; quoted values work",
			src:  head + "published: 2024-07-16T23:30:00+01:00\nupdated: \"2024-08-01T10:00:00Z\"\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 7, 16, 22, 30, 0, 0, time.UTC), Updated: time.Date(2024, 8, 1, 10, 0, 0, 0, time.UTC), Status: "published", Body: "Body\n"},
		},
		{
			name: "tags as a block list are trimmed, lower-cased and de-duplicated in order",
			src:  head + "published: 2024-07-16\ntags:\n  - Recovery\n  - \"  Sports   Massage \"\n  - recovery\n  - Lower Back Pain\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC), Tags: []string{"recovery", "sports massage", "lower back pain"}, Status: "published", Body: "Body\n"},
		},
		{
			name: "a draft needs no published date; status is case-insensitive",
			src:  head + "status: Draft\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Status: "draft", Body: "Body\n"},
		},
		{
			name: "scheduled",
			src:  head + "status: scheduled\npublished: 2030-01-01\n---\nBody\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC), Status: "scheduled", Body: "Body\n"},
		},
		{
			name: "byte order mark, CRLF line endings and blank lines before the body",
			src:  "\ufeff---\r\ntitle: T\r\nslug: s\r\npublished: 2024-07-16\r\n---\r\n\r\nBody\r\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC), Status: "published", Body: "Body\r\n"},
		},
		{
			name: "empty body and no newline after the closing line",
			src:  head + "published: 2024-07-16\n---",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC), Status: "published"},
		},
		{
			name: "a --- later in the body is a thematic break, not front matter",
			src:  head + "published: 2024-07-16\n---\nOne\n\n---\n\nTwo\n",
			want: markdown.Document{Title: "T", Slug: "s", Published: time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC), Status: "published", Body: "One\n\n---\n\nTwo\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := markdown.ParseDocument([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Broken files are refused with an error that names the problem.
func TestParseDocument_Errors(t *testing.T) {
	const ok = "title: T\nslug: s\npublished: 2024-07-16\n"
	tests := []struct {
		name, src, want string
	}{
		{"empty file", "", "missing front matter"},
		{"no front matter", "# Title\n\nText\n", "missing front matter"},
		{"front matter not at the top", "\n---\n" + ok + "---\n", "missing front matter"},
		{"front matter never closed", "---\n" + ok + "Body\n", "not closed"},
		{"YAML syntax error", "---\n" + ok + "tags: [a, b\n---\n", "front matter"},
		{"front matter is a list", "---\n- a\n- b\n---\n", "want key: value lines"},
		{"missing title", "---\nslug: s\npublished: 2024-07-16\n---\n", "missing title"},
		{"blank title", "---\ntitle: \"  \"\nslug: s\npublished: 2024-07-16\n---\n", "missing title"},
		{"missing slug", "---\ntitle: T\npublished: 2024-07-16\n---\n", "missing slug"},
		{"slug with capitals", "---\ntitle: T\nslug: Lower-Back\npublished: 2024-07-16\n---\n", `bad slug "Lower-Back"`},
		{"slug with a double hyphen", "---\ntitle: T\nslug: lower--back\npublished: 2024-07-16\n---\n", "bad slug"},
		{"slug with a trailing hyphen", "---\ntitle: T\nslug: back-\npublished: 2024-07-16\n---\n", "bad slug"},
		{"slug with a slash", "---\ntitle: T\nslug: a/b\npublished: 2024-07-16\n---\n", "bad slug"},
		{"slug with spaces", "---\ntitle: T\nslug: lower back\npublished: 2024-07-16\n---\n", "bad slug"},
		{"British date order", "---\ntitle: T\nslug: s\npublished: 16/07/2024\n---\n", `published: bad date "16/07/2024"`},
		{"impossible date", "---\ntitle: T\nslug: s\npublished: 2024-02-30\n---\n", "bad date"},
		{"time without zone", "---\ntitle: T\nslug: s\npublished: 2024-07-16T09:00:00\n---\n", "bad date"},
		{"bad updated date", "---\n" + ok + "updated: yesterday\n---\n", `updated: bad date "yesterday"`},
		{"updated before published", "---\n" + ok + "updated: 2024-07-01\n---\n", "updated (2024-07-01T08:00:00Z) is before published"},
		{"missing published", "---\ntitle: T\nslug: s\n---\n", "missing published date"},
		{"unknown status", "---\n" + ok + "status: live\n---\n", `unknown status "live"`},
		{"unknown key (typo)", "---\n" + ok + "tag: [a]\n---\n", `unknown key "tag"`},
		{"unknown key names its line", "---\n" + ok + "sumary: x\n---\n", `line 5: unknown key "sumary"`},
		{"repeated key", "---\n" + ok + "title: U\n---\n", `key "title" appears twice`},
		{"title is a list", "---\ntitle: [a, b]\nslug: s\npublished: 2024-07-16\n---\n", "title: want text, got a list"},
		{"tags is a single value", "---\n" + ok + "tags: recovery\n---\n", "tags: want a list"},
		{"an empty tag", "---\n" + ok + "tags: [a, \"\"]\n---\n", "tag 2 is empty"},
		{"a tag that is a list", "---\n" + ok + "tags: [a, [b]]\n---\n", "tag 2: want text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := markdown.ParseDocument([]byte(tt.src))
			if err == nil {
				t.Fatalf("ParseDocument succeeded with %+v, want an error containing %q", d, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// The seed article renders with its headings as h2/h3 carrying stable ids,
// its paragraphs intact and typographic apostrophes.
func TestArticle_SeedArticle(t *testing.T) {
	d, err := markdown.ParseDocument(readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := markdown.Article(d.Body, markdown.Options{SiteHost: "dynamicmotion.fly.dev"})
	if err != nil {
		t.Fatal(err)
	}

	headings := []struct{ level, text, id string }{
		{"2", "Understanding Lower Back Pain", "understanding-lower-back-pain"},
		{"2", "How Sports Massage Helps", "how-sports-massage-helps"},
		{"3", "1. Muscle Tension Relief", "1-muscle-tension-relief"},
		{"3", "2. Improved Blood Circulation", "2-improved-blood-circulation"},
		{"3", "3. Enhanced Range of Motion", "3-enhanced-range-of-motion"},
		{"3", "4. Stress Reduction", "4-stress-reduction"},
		{"3", "5. Personalized Treatment Approach", "5-personalized-treatment-approach"},
		{"2", "Conclusion", "conclusion"},
	}
	var sourceHeadings, paragraphs []string
	for block := range strings.SplitSeq(strings.TrimSpace(d.Body), "\n\n") {
		if strings.HasPrefix(block, "#") {
			sourceHeadings = append(sourceHeadings, block)
		} else {
			paragraphs = append(paragraphs, block)
		}
	}
	if len(sourceHeadings) != len(headings) {
		t.Fatalf("the source has %d headings, the test expects %d: %q", len(sourceHeadings), len(headings), sourceHeadings)
	}
	for i, h := range headings {
		if want := strings.Repeat("#", int(h.level[0]-'0')) + " " + h.text; sourceHeadings[i] != want {
			t.Errorf("source heading %d is %q, want %q", i, sourceHeadings[i], want)
		}
		want := fmt.Sprintf(`<h%s id="%s">%s</h%[1]s>`, h.level, h.id, h.text)
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if n := strings.Count(out, "<h"); n != len(headings) {
		t.Errorf("output has %d headings, want %d", n, len(headings))
	}

	for _, p := range paragraphs {
		want := "<p>" + strings.ReplaceAll(p, "'", "’") + "</p>"
		if !strings.Contains(out, want) {
			t.Errorf("output lacks paragraph %s", want)
		}
	}
	if n := strings.Count(out, "<p>"); n != len(paragraphs) {
		t.Errorf("output has %d paragraphs, want %d", n, len(paragraphs))
	}
	if !strings.Contains(out, "Whether you’re an athlete") {
		t.Error(`the apostrophe in "you're" is not curled`)
	}
	if strings.Contains(out, "'") {
		t.Error("output still has a straight apostrophe")
	}
}

// Reading time of the seed article is the honest word count over 220 words a
// minute, rounded up; markup does not count as words.
func TestReadingMinutes_SeedArticle(t *testing.T) {
	d, err := markdown.ParseDocument(readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	words := len(strings.Fields(markdown.Plain(d.Body)))
	want := (words + 219) / 220
	if got := markdown.ReadingMinutes(d.Body); got != want {
		t.Errorf("ReadingMinutes = %d, want ceil(%d/220) = %d", got, words, want)
	}
	if words != 448 || want != 3 {
		t.Errorf("the seed article has %d words (%d minutes), want 448 (3 minutes)", words, want)
	}
	if plain := markdown.Plain(d.Body); strings.ContainsAny(plain, "#*") {
		t.Errorf("Plain kept markup: %q", plain[:80])
	}
}

func TestReadingMinutes(t *testing.T) {
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }
	tests := []struct {
		name string
		src  string
		want int
	}{
		{"nothing is still a minute", "", 1},
		{"one word", "Hello", 1},
		{"220 words", words(220), 1},
		{"221 words", words(221), 2},
		{"440 words", words(440), 2},
		{"441 words", words(441), 3},
		{"markup and link URLs are not words", "# " + words(110) + "\n\n" + strings.Repeat("[w](https://example.org/a/very/long/url) ", 110), 1},
		{"a list's bullets are not words", strings.Repeat("- w\n", 221), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.ReadingMinutes(tt.src); got != tt.want {
				t.Errorf("ReadingMinutes = %d, want %d", got, tt.want)
			}
		})
	}
}

// Plain is the text a reader sees, for snippets and meta descriptions.
func TestPlain(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"empty", "", ""},
		{"headings and paragraphs are separated by a space", "# Title\nText\n\nMore text", "Title Text More text"},
		{"emphasis, strikethrough and code lose their markers", "*a* **b** ~~c~~ `d`", "a b c d"},
		{"links keep their text, not their URL", "[NHS advice](https://www.nhs.uk/ \"title\") and <https://example.org>", "NHS advice and https://example.org"},
		{"images are left out", "Before ![a photo](/static/img/a.jpg) after", "Before after"},
		{"raw HTML is left out", "a <b>bold</b> move\n\n<div>\nblock\n</div>\n", "a bold move"},
		{"escapes and entities are resolved", `1\*2 &amp; caf&eacute; &#8220;q&#8221;`, "1*2 & café “q”"},
		{"typography applies", `"Don't" -- ok --- fine...`, "“Don’t” – ok — fine…"},
		{"list items and table cells are separate words", "- one\n- two\n\n| a | b |\n|---|---|\n| c | d |\n", "one two a b c d"},
		{"code blocks count", "```\nx := 1\n```\n", "x := 1"},
		{"whitespace collapses", "a  \nb\n\n\n   c", "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.Plain(tt.src); got != tt.want {
				t.Errorf("Plain(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

// contains asserts that out has every string in want and none in wantNot.
func contains(t *testing.T, out string, want, wantNot []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, w := range wantNot {
		if strings.Contains(strings.ToLower(out), strings.ToLower(w)) {
			t.Errorf("output has %q:\n%s", w, out)
		}
	}
}

func render(t *testing.T, src string, o markdown.Options) string {
	t.Helper()
	out, err := markdown.Article(src, o)
	if err != nil {
		t.Fatal(err)
	}
	if reason := unsafeHTML(out); reason != "" {
		t.Errorf("unsafe output (%s):\n%s", reason, out)
	}
	return out
}

// Raw HTML in an article never reaches the page, inline or as a block.
func TestArticle_RawHTMLDropped(t *testing.T) {
	tests := []struct{ name, src, want string }{
		// An HTML block drops everything up to its end (a blank line, or
		// the closing tag for script/style/pre/textarea).
		{"script block", "<script>alert(1)</script>\n\nAfter", "<p>After</p>"},
		{"img with onerror, block", "<img src=x onerror=alert(1)>\n\nAfter", "<p>After</p>"},
		{"iframe block", "<iframe src=\"https://evil.example\">\n</iframe>\n\nAfter", "<p>After</p>"},
		{"style block", "<style>body{display:none}</style>\n\nAfter", "<p>After</p>"},
		{"HTML comment", "<!-- secret alert -->\n\nAfter", "<p>After</p>"},
		{"svg with onload", "<svg onload=alert(1)>\n\nAfter", "<p>After</p>"},
		// Inline, each tag is dropped on its own and the words between
		// tags stay, as harmless escaped text (CommonMark's model).
		{"inline script", "Before <script>alert(1)</script> after", "<p>Before alert(1) after</p>"},
		{"img with onerror, inline", "Look <img src=x onerror=alert(1)> here", "<p>Look  here</p>"},
		{"iframe inline", "Watch <iframe src=\"https://evil.example\"></iframe> this", "<p>Watch  this</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, markdown.Options{})
			if out != tt.want+"\n" {
				t.Errorf("output is %q, want %q", out, tt.want+"\n")
			}
			contains(t, out, nil, []string{"<script", "<img", "<iframe", "<style", "<svg", "onerror", "onload", "evil", "secret", "raw HTML omitted"})
		})
	}
}

// Links to other sites get rel="noopener"; links within the site are left
// alone.
func TestArticle_Links(t *testing.T) {
	o := markdown.Options{SiteHost: "dynamicmotion.fly.dev"}
	tests := []struct {
		name, src, want string
	}{
		{"another site", "[a](https://example.org)", `<a href="https://example.org" rel="noopener">a</a>`},
		{"another site over http", "[a](http://example.org/x?y=1#z)", `<a href="http://example.org/x?y=1#z" rel="noopener">a</a>`},
		{"protocol-relative to another site", "[a](//example.org/x)", `<a href="//example.org/x" rel="noopener">a</a>`},
		{"a path on this site", "[b](/about)", `<a href="/about">b</a>`},
		{"a relative path", "[b](prices#sports)", `<a href="prices#sports">b</a>`},
		{"a fragment", "[b](#conclusion)", `<a href="#conclusion">b</a>`},
		{"this site by absolute URL, any case", "[c](https://DynamicMotion.fly.dev/x)", `<a href="https://DynamicMotion.fly.dev/x">c</a>`},
		{"this site with a port", "[c](https://dynamicmotion.fly.dev:443/x)", `<a href="https://dynamicmotion.fly.dev:443/x">c</a>`},
		{"a title is kept", `[c](/x "Prices")`, `<a href="/x" title="Prices">c</a>`},
		{"reference links", "[c][p]\n\n[p]: https://example.org", `<a href="https://example.org" rel="noopener">c</a>`},
		{"mailto", "[m](mailto:hello@example.org)", `<a href="mailto:hello@example.org">m</a>`},
		{"tel", "[t](tel:+441480000000)", `<a href="tel:+441480000000">t</a>`},
		{"bare URL (GFM autolink)", "See https://example.org/x.", `<a href="https://example.org/x" rel="noopener">https://example.org/x</a>.`},
		{"bare www (GFM autolink)", "See www.example.org.", `<a href="http://www.example.org" rel="noopener">www.example.org</a>.`},
		{"bare URL to this site", "See https://dynamicmotion.fly.dev/book.", `<a href="https://dynamicmotion.fly.dev/book">https://dynamicmotion.fly.dev/book</a>.`},
		{"angle-bracket autolink", "<https://example.org>", `<a href="https://example.org" rel="noopener">https://example.org</a>`},
		{"email autolink", "<hello@example.org>", `<a href="mailto:hello@example.org">hello@example.org</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, o)
			contains(t, out, []string{tt.want}, nil)
		})
	}

	t.Run("with no SiteHost every absolute link is to another site", func(t *testing.T) {
		out := render(t, "[c](https://dynamicmotion.fly.dev/x)", markdown.Options{})
		contains(t, out, []string{`rel="noopener"`}, nil)
	})
}

// Links and images that could run script, or point at schemes we do not
// allow, lose their destination and keep their text.
func TestArticle_DangerousDestinations(t *testing.T) {
	tests := []struct{ name, src, keep string }{
		{"javascript:", "[x](javascript:alert(1))", "<p>x</p>"},
		{"mixed case", "[x](JaVaScRiPt:alert(1))", "<p>x</p>"},
		{"entity-encoded j", "[x](&#106;avascript:alert(1))", "<p>x</p>"},
		{"hex entity and named colon", "[x](&#x6A;avascript&colon;alert(1))", "<p>x</p>"},
		{"entity-encoded tab inside", "[x](java&#x09;script:alert(1))", "<p>x</p>"},
		{"leading entity-encoded space", "[x](&#32;javascript:alert(1))", "<p>x</p>"},
		{"tab in angle brackets", "[x](<java\tscript:alert(1)>)", "<p>x</p>"},
		{"backslash escapes", `[x](javascript\:alert(1))`, "<p>x</p>"},
		{"vbscript:", "[x](vbscript:x)", "<p>x</p>"},
		{"data: HTML", "[x](data:text/html,<script>alert(1)</script>)", "<p>x</p>"},
		{"data: image link", "[x](data:image/png;base64,AAAA)", "<p>x</p>"},
		{"file:", "[x](file:///etc/passwd)", "<p>x</p>"},
		{"an unknown scheme", "[x](intent://x)", "<p>x</p>"},
		{"reference link", "[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>"},
		{"emphasis inside is kept", "[*x*](javascript:alert(1))", "<p><em>x</em></p>"},
		{"angle-bracket autolink", "<javascript:alert(1)>", "<p>javascript:alert(1)</p>"},
		{"image javascript:", "![pic](javascript:alert(1))", "<p>pic</p>"},
		{"image data:", "![pic](data:image/svg+xml,%3Csvg%20onload=alert(1)%3E)", "<p>pic</p>"},
		{"image data: png (goldmark would allow it)", "![pic](data:image/png;base64,AAAA)", "<p>pic</p>"},
		{"image mailto:", "![pic](mailto:a@example.org)", "<p>pic</p>"},
		{"image in a dangerous link", "[![pic](/a.jpg)](javascript:alert(1))", `<p><img src="/a.jpg" alt="pic" loading="lazy" decoding="async"></p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, markdown.Options{})
			contains(t, out, []string{tt.keep}, []string{"<a ", "href=", "alert(1)</a"})
		})
	}
}

// Images load lazily and carry their size when Options.ImageSize knows it.
func TestArticle_Images(t *testing.T) {
	var asked []string
	o := markdown.Options{ImageSize: func(src string) (int, int, bool) {
		asked = append(asked, src)
		if src == "/static/img/a.jpg" || src == "/static/img/ice bath.jpg" {
			return 1200, 800, true
		}
		return 0, 0, false
	}}
	tests := []struct{ name, src, want string }{
		{"known size", "![A massage](/static/img/a.jpg)", `<img src="/static/img/a.jpg" alt="A massage" loading="lazy" decoding="async" width="1200" height="800">`},
		{"unknown size", "![b](/static/img/b.jpg)", `<img src="/static/img/b.jpg" alt="b" loading="lazy" decoding="async">`},
		{"title kept", `![a](/static/img/a.jpg "Treatment room")`, `<img src="/static/img/a.jpg" alt="a" title="Treatment room" loading="lazy" decoding="async" width="1200" height="800">`},
		{"ImageSize gets the path as written, not percent-encoded", "![a](</static/img/ice bath.jpg>)", `<img src="/static/img/ice%20bath.jpg" alt="a" loading="lazy" decoding="async" width="1200" height="800">`},
		{"remote images are lazy, never sized", "![r](https://example.org/a.jpg)", `<img src="https://example.org/a.jpg" alt="r" loading="lazy" decoding="async">`},
		{"alt text is plain and escaped", `![a *b* "c"](/static/img/b.jpg)`, `alt="a b “c”"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, o)
			contains(t, out, []string{tt.want}, nil)
		})
	}
	if diff := cmp.Diff([]string{"/static/img/a.jpg", "/static/img/b.jpg", "/static/img/a.jpg", "/static/img/ice bath.jpg", "/static/img/b.jpg"}, asked); diff != "" {
		t.Errorf("ImageSize was asked about (-want +got):\n%s", diff)
	}

	t.Run("nil ImageSize", func(t *testing.T) {
		out := render(t, "![a](/static/img/a.jpg)", markdown.Options{})
		contains(t, out, []string{`loading="lazy"`}, []string{"width", "height"})
	})
}

// GitHub Flavored Markdown and typographic punctuation.
func TestArticle_GFMAndTypography(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"table", "| Treatment | Price |\n|---|--:|\n| Sports massage | £45 |\n", `<td>Sports massage</td>`},
		{"strikethrough", "~~£50~~ £45", "<del>£50</del> £45"},
		{"task list", "- [x] Warm up\n- [ ] Stretch\n", `<li><input checked="" disabled="" type="checkbox"> Warm up</li>`},
		{"double quotes", `"Relief"`, "“Relief”"},
		{"single quotes and apostrophe", `'Don't'`, "‘Don’t’"},
		{"en dash", "9--5", "9–5"},
		{"em dash", "rest --- then", "rest — then"},
		{"ellipsis", "and so on...", "and so on…"},
		{"angle quotes are not converted", "<< >>", "&lt;&lt; &gt;&gt;"},
		{"no typography in code", "`'a' -- b...`", "<code>'a' -- b...</code>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contains(t, render(t, tt.src, markdown.Options{}), []string{tt.want}, nil)
		})
	}
}

// Heading ids come from the heading's visible text and are unique within a
// document.
func TestArticle_HeadingIDs(t *testing.T) {
	tests := []struct {
		name, src string
		ids       []string
	}{
		{"repeated headings are numbered", "## FAQ\n\n## FAQ\n\n## FAQ\n", []string{"faq", "faq-1", "faq-2"}},
		{"numbering avoids an existing id", "## FAQ 1\n\n## FAQ\n\n## FAQ\n", []string{"faq-1", "faq", "faq-2"}},
		{"markup and link URLs are not part of the id", "## Ask the *NHS* [online](https://www.nhs.uk/)\n", []string{"ask-the-nhs-online"}},
		{"punctuation and apostrophes are dropped, separators collapse", "## What's Next? Pain & Recovery -- Tips\n", []string{"whats-next-pain-recovery-tips"}},
		{"letters beyond ASCII are kept", "## Café Culture\n", []string{"café-culture"}},
		{"an empty heading", "##\n", []string{"section"}},
		{"setext headings", "Title\n=====\n\nSub\n---\n", []string{"title", "sub"}},
		{"a later heading that looks numbered still gets its own id", "## A\n\n## A\n\n## A 1\n\n## A\n", []string{"a", "a-1", "a-1-1", "a-2"}},
	}
	idPattern := regexp.MustCompile(`<h\d id="([^"]*)"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.src, markdown.Options{})
			var ids []string
			for _, m := range idPattern.FindAllStringSubmatch(out, -1) {
				ids = append(ids, m[1])
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}

// One renderer serves concurrent calls, each with its own Options.
func TestArticle_Concurrent(t *testing.T) {
	src := "[a](https://one.example/x) ![i](/static/img/a.jpg)\n\n## Same\n\n## Same\n"
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			host := "one.example"
			if i%2 == 1 {
				host = "two.example"
			}
			o := markdown.Options{SiteHost: host, ImageSize: func(string) (int, int, bool) { return i + 1, i + 1, true }}
			for range 50 {
				out, err := markdown.Article(src, o)
				if err != nil {
					t.Error(err)
					return
				}
				if got := strings.Contains(out, "noopener"); got != (i%2 == 1) {
					t.Errorf("call %d with SiteHost %s: noopener = %v", i, host, got)
					return
				}
				if !strings.Contains(out, fmt.Sprintf(`width="%d"`, i+1)) || !strings.Contains(out, `id="same-1"`) {
					t.Errorf("call %d got another call's options or ids:\n%s", i, out)
					return
				}
			}
		})
	}
	wg.Wait()
}

// onAttribute is an event-handler attribute inside a tag.
var onAttribute = regexp.MustCompile(`(?i)<[^>]+\son\w+=`)

// unsafeHTML returns why out could run script in a browser, or "". It reads
// out with an HTML5 tokenizer, as a browser would: a text-only search for
// "javascript:" or " on…=" would flag harmless text (a paragraph about
// "javascript:", an alt text saying "x onclick=y") and miss entity-encoded
// attribute values.
func unsafeHTML(out string) string {
	if strings.Contains(strings.ToLower(out), "<script") {
		return "<script"
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link":
				return "element " + tok.Data
			}
			skeleton := "<" + tok.Data // the tag with attribute values left out
			for _, a := range tok.Attr {
				skeleton += " " + a.Key + "="
				if strings.HasPrefix(a.Key, "hx-") || strings.HasPrefix(a.Key, "data-hx-") {
					return "htmx attribute " + a.Key
				}
				switch a.Key {
				case "href", "src", "srcset", "action", "formaction", "xlink:href", "poster":
					v := strings.Map(func(r rune) rune {
						if r <= ' ' {
							return -1 // browsers strip tabs, newlines and leading controls
						}
						return r
					}, strings.ToLower(a.Val))
					for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
						if strings.HasPrefix(v, scheme) {
							return fmt.Sprintf("%s=%q", a.Key, a.Val)
						}
					}
				}
			}
			if onAttribute.MatchString(skeleton + ">") {
				return "event handler in " + skeleton
			}
		}
	}
}

// The XSS attempts above, and more, as a fuzz corpus.
var xssInputs = []string{
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"<iframe src=javascript:alert(1)></iframe>",
	"a <iframe src=x></iframe> b",
	"[x](javascript:alert(1))",
	"[x](JaVaScRiPt:alert(1))",
	"[x](&#106;avascript:alert(1))",
	"[x](&#x6A;avascript&colon;alert(1))",
	"[x](java&#x09;script:alert(1))",
	"[x](vbscript:x)",
	"[x](data:text/html,<script>alert(1)</script>)",
	"![x](javascript:alert(1))",
	`![x" onerror="alert(1)](/a.jpg)`,
	`[x](/a "t\" onclick=\"alert(1)")`,
	"<javascript:alert(1)>",
	"[x][r]\n\n[r]: javascript:alert(1)",
	"## <img src=x onerror=alert(1)>",
	"| a |\n|---|\n| <script>alert(1)</script> |",
	"`<script>alert(1)</script>`",
	"```html\n<script>alert(1)</script>\n```",
	"www.example.org/<script>",
	"[a](<javascript:alert(1)>)",
	"<a href=\"javascript:alert(1)\">x</a>",
	"<div onclick=alert(1)>x</div>",
}

// Whatever the input, Article does not panic and its output cannot run
// script.
func FuzzArticle(f *testing.F) {
	for _, s := range xssInputs {
		f.Add(s)
	}
	f.Add(string(readSeed(f)))
	o := markdown.Options{
		SiteHost:  "dynamicmotion.fly.dev",
		ImageSize: func(string) (int, int, bool) { return 10, 10, true },
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := markdown.Article(src, o)
		if err != nil {
			t.Fatal(err)
		}
		if reason := unsafeHTML(out); reason != "" {
			t.Errorf("unsafe output (%s) for %q:\n%s", reason, src, out)
		}
		if n := markdown.ReadingMinutes(src); n < 1 {
			t.Errorf("ReadingMinutes = %d", n)
		}
		if _, err := markdown.ParseDocument([]byte(src)); err == nil && !strings.HasPrefix(strings.TrimPrefix(src, "\ufeff"), "---") {
			t.Errorf("ParseDocument accepted a file without front matter: %q", src)
		}
	})
}

// Rendering the seed article, the typical page.
func BenchmarkArticle(b *testing.B) {
	d, err := markdown.ParseDocument(readSeed(b))
	if err != nil {
		b.Fatal(err)
	}
	o := markdown.Options{SiteHost: "dynamicmotion.fly.dev"}
	b.SetBytes(int64(len(d.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := markdown.Article(d.Body, o); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleArticle() {
	html, err := markdown.Article(`## Why "sports" massage?

It's not only for athletes -- see the [NHS](https://www.nhs.uk/) or [book](/book).

<script>alert(1)</script>
`, markdown.Options{SiteHost: "dynamicmotion.fly.dev"})
	if err != nil {
		panic(err)
	}
	fmt.Print(html)
	// Output:
	// <h2 id="why-sports-massage">Why “sports” massage?</h2>
	// <p>It’s not only for athletes – see the <a href="https://www.nhs.uk/" rel="noopener">NHS</a> or <a href="/book">book</a>.</p>
}

func ExamplePlain() {
	fmt.Println(markdown.Plain("## Relief\n\nSee [the *NHS*](https://www.nhs.uk/)."))
	// Output: Relief See the NHS.
}

// Thousands of equal headings (a pasted list, say) get unique ids; the
// benchmark below shows the cost stays linear.
func TestArticle_ManyEqualHeadings(t *testing.T) {
	const n = 3000
	out := render(t, strings.Repeat("## Step\n\n", n), markdown.Options{})
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`<h2 id="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if seen[m[1]] {
			t.Fatalf("id %q used twice", m[1])
		}
		seen[m[1]] = true
	}
	if len(seen) != n || !seen["step"] || !seen["step-2999"] {
		t.Fatalf("got %d distinct ids, want %d from step to step-2999", len(seen), n)
	}
}

func BenchmarkArticle_EqualHeadings(b *testing.B) {
	src := strings.Repeat("## Step\n\n", 5000)
	for b.Loop() {
		if _, err := markdown.Article(src, markdown.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
