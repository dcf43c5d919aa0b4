package jobs

import (
	"context"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/emails"
)

// ContactMessage enqueues, in tx, the e-mail that brings contact message m to the practice (Reply-To the
// sender). It reports false, enqueuing nothing, when the practice has no e-mail address yet: the message is
// then only in the admin area. Nothing is ever sent to the sender.
func (q *Queue) ContactMessage(ctx context.Context, tx bun.Tx, m db.ContactMessage) (mailed bool, err error) {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil || p.Email == "" {
		return false, err
	}
	return true, q.Mail(ctx, tx, "contact_message", About{}, emails.ContactMessage(p, m))
}
