package markdown

import (
	"bytes"
	"dynamicmotion/clock"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must exist in a minimal container too

	"gopkg.in/yaml.v3"
)

// Document is one article file: YAML front matter between --- lines, then
// Markdown.
//
//	---
//	title: "Sports Massage for Lower Back Pain: Relief and Recovery"
//	slug: sports-massage-for-lower-back-pain
//	author: dynamicmotionsport
//	published: 2024-07-16
//	tags: [lower back pain, sports massage, recovery]
//	summary: "How sports massage relieves muscle tension..."
//	---
//
//	Lower back pain is a common issue...
type Document struct {
	// Title is the article's title (front matter `title:`, required).
	Title string
	// Slug is the article's URL name (front matter `slug:`, required),
	// lower-case words of letters and digits joined by single hyphens.
	Slug string
	// Author is who wrote it (front matter `author:`, optional).
	Author string
	// Summary is a sentence or two for lists and meta descriptions (front
	// matter `summary:`, optional).
	Summary string

	// Published is when the article is (or is to be) published, in UTC.
	// Front matter `published:` takes a date (2024-07-16), meaning 09:00
	// Europe/London that day so that the date shown in London is that day, or
	// an RFC 3339 time (2024-07-16T09:00:00+01:00). Required unless Status is
	// "draft".
	Published time.Time
	// Updated is when the article was last changed, in UTC, in the same forms
	// as Published (front matter `updated:`, optional, not before Published).
	Updated time.Time

	// Tags are the article's tags (front matter `tags: [a, b]` or a YAML
	// list): trimmed, inner spaces collapsed, lower-cased, de-duplicated,
	// first-seen order kept. Nil when there are none.
	Tags []string

	// Status is "draft", "scheduled" or "published" (front matter `status:`,
	// optional, default "published").
	Status string

	// Body is the Markdown after the front matter, without the blank lines
	// that separate it from the front matter.
	Body string
}

// Statuses a Document can have.
const (
	StatusDraft     = "draft"
	StatusScheduled = "scheduled"
	StatusPublished = "published"
)

// slugPattern is what a Document.Slug must match.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// frontMatterKeys are the keys a front matter may have, in the order error
// messages list them.
var frontMatterKeys = []string{"title", "slug", "author", "summary", "published", "updated", "tags", "status"}

// london is the practice's time zone.
var london = clock.Zone // the practice's time zone

// ParseDocument parses an article file: a first line "---", YAML front
// matter, a line "---", then the Markdown body. A UTF-8 byte order mark and
// CRLF line endings are accepted.
//
// It returns an error that names the problem for: no front matter or no
// closing "---", YAML that is not a mapping or does not parse, an unknown or
// repeated key (typo protection), a value of the wrong kind, a missing title
// or slug, a slug that is not lower-case-words-with-hyphens, a date that is
// neither 2024-07-16 nor RFC 3339, a missing published date (unless draft),
// updated before published, an empty tag, and an unknown status.
func ParseDocument(src []byte) (Document, error) {
	front, body, err := splitFrontMatter(src)
	if err != nil {
		return Document{}, err
	}

	var root yaml.Node
	if err := yaml.Unmarshal(front, &root); err != nil {
		return Document{}, fmt.Errorf("front matter: %w", err)
	}
	var pairs []*yaml.Node
	if len(root.Content) > 0 {
		m := root.Content[0]
		if m.Kind != yaml.MappingNode {
			return Document{}, fmt.Errorf("front matter: line %d: want key: value lines, got %s", m.Line+1, kindName(m))
		}
		pairs = m.Content
	}

	d := Document{Status: StatusPublished}
	seen := map[string]bool{}
	for i := 0; i+1 < len(pairs); i += 2 {
		k, v := pairs[i], pairs[i+1]
		key := k.Value
		if seen[key] {
			return Document{}, fmt.Errorf("front matter: line %d: key %q appears twice", k.Line+1, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "title":
			d.Title, err = stringValue(v)
		case "slug":
			d.Slug, err = stringValue(v)
		case "author":
			d.Author, err = stringValue(v)
		case "summary":
			d.Summary, err = stringValue(v)
		case "published":
			d.Published, err = timeValue(v)
		case "updated":
			d.Updated, err = timeValue(v)
		case "tags":
			d.Tags, err = tagsValue(v)
		case "status":
			var s string
			if s, err = stringValue(v); err == nil && s != "" {
				d.Status = strings.ToLower(s)
			}
		default:
			return Document{}, fmt.Errorf("front matter: line %d: unknown key %q (known keys: %s)",
				k.Line+1, key, strings.Join(frontMatterKeys, ", "))
		}
		if err != nil {
			return Document{}, fmt.Errorf("front matter: line %d: %s: %w", v.Line+1, key, err)
		}
	}

	switch {
	case d.Title == "":
		return Document{}, errors.New("front matter: missing title")
	case d.Slug == "":
		return Document{}, errors.New("front matter: missing slug")
	case !slugPattern.MatchString(d.Slug):
		return Document{}, fmt.Errorf("front matter: bad slug %q: use lower-case letters and digits in words joined by single hyphens, like lower-back-pain", d.Slug)
	}
	switch d.Status {
	case StatusDraft, StatusScheduled, StatusPublished:
	default:
		return Document{}, fmt.Errorf("front matter: unknown status %q (use %s, %s or %s)",
			d.Status, StatusDraft, StatusScheduled, StatusPublished)
	}
	if d.Published.IsZero() && d.Status != StatusDraft {
		return Document{}, fmt.Errorf("front matter: missing published date (required when status is %s)", d.Status)
	}
	if !d.Updated.IsZero() && !d.Published.IsZero() && d.Updated.Before(d.Published) {
		return Document{}, fmt.Errorf("front matter: updated (%s) is before published (%s)",
			d.Updated.Format(time.RFC3339), d.Published.Format(time.RFC3339))
	}
	d.Body = body
	return d, nil
}

// splitFrontMatter returns the YAML between the opening and closing "---"
// lines and the Markdown after them, less leading blank lines.
func splitFrontMatter(src []byte) (front []byte, body string, err error) {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	first, rest, _ := bytes.Cut(src, []byte("\n"))
	if !isDelimiter(first) {
		return nil, "", errors.New("missing front matter: the file must start with a line --- followed by YAML and another line ---")
	}
	for off := 0; off < len(rest); {
		line, _, found := bytes.Cut(rest[off:], []byte("\n"))
		next := off + len(line) + 1
		if isDelimiter(line) {
			if !found {
				next = len(rest)
			}
			return rest[:off], strings.TrimLeft(string(rest[next:]), "\r\n"), nil
		}
		off = next
	}
	return nil, "", errors.New("front matter not closed: no line --- after the YAML")
}

// isDelimiter reports whether line is "---" (trailing spaces and CR allowed).
func isDelimiter(line []byte) bool {
	return string(bytes.TrimRight(line, " \t\r")) == "---"
}

func stringValue(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want text, got %s", kindName(v))
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return strings.TrimSpace(v.Value), nil
}

func timeValue(v *yaml.Node) (time.Time, error) {
	s, err := stringValue(v)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, london).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q: want a date like 2024-07-16 or an RFC 3339 time like 2024-07-16T09:00:00+01:00", s)
	}
	return t.UTC(), nil
}

func tagsValue(v *yaml.Node) ([]string, error) {
	if v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list like [a, b], got %s", kindName(v))
	}
	var tags []string
	seen := map[string]bool{}
	for i, item := range v.Content {
		s, err := stringValue(item)
		if err != nil {
			return nil, fmt.Errorf("tag %d: %w", i+1, err)
		}
		tag := strings.ToLower(strings.Join(strings.Fields(s), " "))
		if tag == "" {
			return nil, fmt.Errorf("tag %d is empty", i+1)
		}
		if !seen[tag] {
			seen[tag] = true
			tags = append(tags, tag)
		}
	}
	return tags, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a single value"
	}
}
