package money

import "testing"

func TestFormats(t *testing.T) {
	tests := []struct {
		pence                  int
		pounds, plain, decimal string
	}{
		{0, "£0", "0", "0.00"},
		{5, "£0.05", "0.05", "0.05"},
		{3000, "£30", "30", "30.00"},
		{3550, "£35.50", "35.50", "35.50"},
		{123456, "£1234.56", "1234.56", "1234.56"},
		{-500, "−£5", "-5", "-5.00"},
	}
	for _, tc := range tests {
		if got := Pounds(tc.pence); got != tc.pounds {
			t.Errorf("Pounds(%d) = %q, want %q", tc.pence, got, tc.pounds)
		}
		if got := Decimal(tc.pence); got != tc.decimal {
			t.Errorf("Decimal(%d) = %q, want %q", tc.pence, got, tc.decimal)
		}
		if tc.pence >= 0 {
			if got := Plain(tc.pence); got != tc.plain {
				t.Errorf("Plain(%d) = %q, want %q", tc.pence, got, tc.plain)
			}
		}
	}
}
