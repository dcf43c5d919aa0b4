package handlers

import (
	"net/mail"
	"strings"
)

// validEmail reports whether s is a plain e-mail address that mail can go
// to: no display name or angle brackets, and a dot in it somewhere.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return s != "" && err == nil && a.Address == s && strings.Contains(s, ".")
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
