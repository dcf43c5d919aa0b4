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
