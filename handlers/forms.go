package handlers

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// validEmail reports whether s is a plain e-mail address that mail can go
// to: no display name or angle brackets, at most 254 characters, and a dot
// in its domain.
func validEmail(s string) bool {
	if s == "" || len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	_, domain, _ := strings.Cut(s, "@")
	return err == nil && a.Address == s && strings.Contains(domain, ".")
}

// formValue is the form field name, made valid UTF-8, with line breaks as
// "\n" (a browser sends a textarea's breaks as CR LF but counts them as one
// character for maxlength), without bidirectional controls (which could
// make a name read backwards, or the text after it) and trimmed of spaces
// and invisible characters.
func formValue(c echo.Context, name string) string {
	v := strings.ToValidUTF8(c.FormValue(name), "")
	v = lineBreaks.Replace(v)
	v = strings.Map(func(r rune) rune {
		if (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return -1
		}
		return r
	}, v)
	return strings.TrimFunc(v, invisible)
}

// lineBreaks turns CR LF and a lone CR into LF.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// invisible reports whether r shows nothing: a space, or a format character
// such as a zero-width space.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// formText is formValue; a value longer than max characters also gets an
// error under its name in errs.
func formText(c echo.Context, errs map[string]string, name string, max int) string {
	v := formValue(c, name)
	if utf8.RuneCountInString(v) > max {
		errs[name] = fmt.Sprintf("Please keep this to %d characters.", max)
	}
	return v
}

// validPhone reports whether s looks like a phone number: 10 to 15 digits,
// with only spaces, + ( ) and - besides.
func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		} else if !strings.ContainsRune(" +()-", r) {
			return false
		}
	}
	return digits >= 10 && digits <= 15
}
