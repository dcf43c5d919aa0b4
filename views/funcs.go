package views

import (
	"dynamicmotion/clock"
	"dynamicmotion/money"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// London is the business's time zone; times are shown in it.
var London = clock.Zone

var baseFuncs = template.FuncMap{
	"pounds":     Pounds,
	"minutes":    Minutes,
	"paragraphs": Paragraphs,
	"date":       func(t time.Time) string { return t.In(London).Format("2 January 2006") },
	"isoDate":    func(t time.Time) string { return t.In(London).Format("2006-01-02") },
	"isoTime":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"dateTime":   func(t time.Time) string { return t.In(London).Format("2 January 2006 at 15:04") },
	"clock":      func(t time.Time) string { return t.In(London).Format("15:04") },
	"navItem":    newNavItem,
	"navExact":   newExactNavItem,
	"field":      newField,
	"tel":        Tel,
	"linkPhone":  LinkPhone,
	"kilobytes":  Kilobytes,
	"contains":   strings.Contains,
	"status":     BookingStatus,
}

// BookingStatus is a booking's status as the therapist reads it.
func BookingStatus(s string) string {
	switch s {
	case "held":
		return "being booked"
	case "no_show":
		return "did not come"
	}
	return s
}

// Kilobytes is a size in bytes as people read it: "840 KB", "1.2 MB".
func Kilobytes(n int) string {
	if n < 1000*1000 {
		return fmt.Sprintf("%d KB", (n+999)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// Tel turns a phone number as people write it ("01480 000000") into a tel:
// link. Only + and digits survive, so the result is safe as a URL.
func Tel(phone string) template.URL {
	out := make([]rune, 0, len(phone))
	for _, r := range phone {
		if r == '+' || (r >= '0' && r <= '9') {
			out = append(out, r)
		}
	}
	return template.URL("tel:" + string(out))
}

// LinkPhone is text with the phone number in it made a tel: link, so that
// "please phone the practice on 01480 …" is one tap on a phone. Text without
// the number (or an empty number) is only escaped.
func LinkPhone(text, phone string) template.HTML {
	esc := template.HTMLEscapeString(text)
	num := template.HTMLEscapeString(phone)
	if strings.TrimSpace(phone) == "" || !strings.Contains(esc, num) {
		return template.HTML(esc)
	}
	link := `<a href="` + string(Tel(phone)) + `">` + num + `</a>`
	return template.HTML(strings.Replace(esc, num, link, 1))
}

// NavItem is one link of the main navigation.
type NavItem struct {
	Href, Label string
	Current     bool // the page being shown is this item or below it
}

func newNavItem(current, href, label string) NavItem {
	return NavItem{Href: href, Label: label, Current: current == href || strings.HasPrefix(current, href+"/")}
}

// newExactNavItem is current only on href itself (a section's home page,
// whose sub-pages have their own items).
func newExactNavItem(current, href, label string) NavItem {
	return NavItem{Href: href, Label: label, Current: current == href}
}

// Pounds formats pence as a price: 3000 → "£30", 3550 → "£35.50".
func Pounds(pence int) string { return money.Pounds(pence) }

// Minutes formats a duration in minutes: 30 → "30 min", 90 → "1 h 30 min".
func Minutes(m int) string {
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	default:
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
}

// Paragraphs splits plain text on blank lines, for settings such as "about"
// that the therapist writes without markup.
func Paragraphs(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if p := strings.TrimSpace(strings.Join(cur, "\n")); p != "" {
			out = append(out, p)
		}
		cur = cur[:0]
	}
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// Field is one labelled form input, with its error, for the "field" block.
type Field struct {
	Name, Label, Type, Value, Autocomplete, Error string
}

// newField builds a Field; errs holds the form's messages by field name.
func newField(name, label, typ, value, autocomplete string, errs map[string]string) Field {
	return Field{Name: name, Label: label, Type: typ, Value: value, Autocomplete: autocomplete, Error: errs[name]}
}
