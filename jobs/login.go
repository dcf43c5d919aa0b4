package jobs

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/emails"
)

// LoginAlert enqueues, in tx, the notice to the therapist at to (her login's address) that wrong passwords were
// tried failures times on her login since since. The caller decides when one is due (db.ClaimLoginAlert, in the
// same transaction): at most once a day.
func (q *Queue) LoginAlert(ctx context.Context, tx bun.Tx, to string, failures int, since time.Time) error {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	return q.Mail(ctx, tx, "login_alert", About{}, emails.LoginAlert(p, to, failures, since))
}
