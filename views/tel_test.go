package views_test

import (
	"testing"

	"dynamicmotion/views"
)

func TestTelLink(t *testing.T) {
	for phone, want := range map[string]string{
		"01480 000000":  "tel:01480000000",
		"+44 1480":      "tel:+441480",
		"01480-000 000": "tel:01480000000",
		"":              "tel:",
	} {
		if got := string(views.Tel(phone)); got != want {
			t.Errorf("Tel of %q = %q, want %q", phone, got, want)
		}
	}
}

// The number in a notice is a link to call it; the rest stays text.
func TestLinkPhone(t *testing.T) {
	for _, c := range []struct{ text, phone, want string }{
		{"To book, please phone the practice on 01480 000000.", "01480 000000",
			`To book, please phone the practice on <a href="tel:01480000000">01480 000000</a>.`},
		{"Please e-mail <the practice>.", "01480 000000", "Please e-mail &lt;the practice&gt;."},
		{"Nothing was booked.", "", "Nothing was booked."},
	} {
		if got := string(views.LinkPhone(c.text, c.phone)); got != c.want {
			t.Errorf("LinkPhone(%q, %q) = %q, want %q", c.text, c.phone, got, c.want)
		}
	}
}
