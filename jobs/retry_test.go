package jobs

import (
	"testing"
	"time"
)

// Retries come attempt⁴ seconds apart at first, never more than ten
// minutes apart, so that mail held up by an outage goes out soon after the
// server returns; jitter only ever shortens the wait, by at most a tenth.
func TestRetryWait(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second},
		{2, 16 * time.Second},
		{4, 256 * time.Second},
		{5, retryCeiling}, // 625 s
		{20, retryCeiling},
		{450, retryCeiling},
	} {
		if got := retryWait(tt.attempt, 0); got != tt.want {
			t.Errorf("retryWait(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
		if got := retryWait(tt.attempt, 0.999); got > tt.want || got < tt.want*9/10 {
			t.Errorf("retryWait(%d) with jitter = %v, want within 10%% under %v", tt.attempt, got, tt.want)
		}
	}
	// The whole schedule: about three days before a message counts as failed.
	var total time.Duration
	for a := 1; a < 450; a++ {
		total += retryWait(a, 0)
	}
	if total < 70*time.Hour || total > 80*time.Hour {
		t.Errorf("450 attempts span %v, want about three days", total)
	}
}
