package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/mail/mailtest"
)

// A contact message reaches the practice's inbox by SMTP, once, with Reply-To the sender; nothing goes to the
// sender's address.
func TestContactMessageReachesThePractice(t *testing.T) {
	e := start(t, false)
	ctx := context.Background()
	m := db.ContactMessage{Name: "Ann Client", Email: "ann@example.com", Message: "Do you treat hamstring strains?\nThanks"}
	err := e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.AddContactMessage(ctx, tx, &m); err != nil {
			return err
		}
		mailed, err := e.q.ContactMessage(ctx, tx, m)
		if !mailed {
			t.Error("not mailed, though the practice has an address")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.smtp.Wait(t, 1, 10*time.Second)
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != practiceEmail {
		t.Fatalf("sent %+v; want one message to %s", msgs, practiceEmail)
	}
	p := mailtest.MustParse(t, msgs[0].Data)
	if r := p.Header.Get("Reply-To"); !strings.Contains(r, "<ann@example.com>") {
		t.Errorf("Reply-To %q, want the sender", r)
	}
	for name, part := range map[string]string{"text": p.Text, "html": p.HTML} {
		if !strings.Contains(part, "Do you treat hamstring strains?") {
			t.Errorf("the %s part lacks the message", name)
		}
	}
	waitFor(t, "the outbox to record the sending", func() bool {
		ms := e.outbox(t)
		return len(ms) == 1 && ms[0].Status == db.OutboxSent && ms[0].Kind == "contact_message"
	})
	e.waitIdle(t)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Errorf("%d messages sent, want exactly 1", n)
	}
}
