package emails_test

import (
	"strings"
	"testing"
	"time"

	"dynamicmotion/emails"
)

// The notice of failed logins goes to the therapist's login address, says
// how many and since when, that her password still works, and carries no
// link to click.
func TestLoginAlert(t *testing.T) {
	since := time.Date(2026, 12, 6, 19, 10, 0, 0, time.UTC)
	m := emails.LoginAlert(practice(), " clare@dynamicmotion.example ", 12, since)
	p := build(t, m)
	if m.To.Email != "clare@dynamicmotion.example" || p.subject != "Failed logins to your admin area" {
		t.Errorf("to %q, subject %q", m.To.Email, p.subject)
	}
	for name, part := range map[string]string{"text": p.text, "html": p.html} {
		for _, want := range []string{"12 times", "Sunday 6 December 2026 at 19:10", "dynamicmotion.fly.dev",
			"still works from any device", "at most once a day"} {
			if !strings.Contains(part, want) {
				t.Errorf("the %s part does not say %q:\n%s", name, want, part)
			}
		}
	}
	if strings.Contains(p.html, "/admin") || strings.Contains(p.text, "/admin") {
		t.Errorf("the notice links the admin area; it should carry no link to click:\n%s", p.text)
	}
	if p.header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted %q", p.header.Get("Auto-Submitted"))
	}
}
