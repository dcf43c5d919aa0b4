package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/mail/mailtest"
)

// commentEnv is a running queue with the comments emptied, and an article to comment on.
type commentEnv struct {
	*env
	post db.Post
}

func startComments(t *testing.T) *commentEnv {
	t.Helper()
	e := start(t, false)
	dbtest.Truncate(t, "comments", "comment_subscriptions")
	var p db.Post
	if err := e.bdb.NewSelect().Model(&p).Where("status = ?", db.StatusPublished).OrderExpr("id").Limit(1).
		Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &commentEnv{env: e, post: p}
}

// author is a commenter's session key hash.
func author(name string) []byte { return bytes.Repeat([]byte(name[:1]), 32) }

// subscribed is a top-level comment by name, whose author asked for
// replies at email and confirmed with the link in the first message there.
func (e *commentEnv) subscribed(t *testing.T, name, email string) db.Comment {
	t.Helper()
	c := e.comment(t, name, 0, db.CommentVisible, email)
	e.smtp.Wait(t, 1, 10*time.Second)
	token := find(t, confirmLink, mailtest.MustParse(t, e.smtp.To(email)[0].Data))
	if _, err := db.ConfirmSubscription(context.Background(), e.bdb, db.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	return c
}

// comment saves a comment by name (as status, replying to parent if not 0) and enqueues its mail in the same
// transaction, as the comment handler does; email asks for replies.
func (e *commentEnv) comment(t *testing.T, name string, parent int64, status, email string) db.Comment {
	t.Helper()
	c := db.Comment{PostID: e.post.ID, Name: name, BodyMD: "Words from " + name + "\nand <b>more</b>",
		BodyHTML: "<p>Words</p>", Status: status, AuthorHash: author(name), IPHash: author(name)}
	if parent != 0 {
		c.ParentID = &parent
	}
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.AddComment(ctx, tx, &c); err != nil {
			return err
		}
		return e.q.CommentAdded(ctx, tx, c, email)
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// approve approves a held comment and enqueues its mail, as the moderation page will.
func (e *commentEnv) approve(t *testing.T, c db.Comment) {
	t.Helper()
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.ApproveComment(ctx, tx, &c); err != nil {
			return err
		}
		return e.q.CommentApproved(ctx, tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// settled waits until every reply job has finished and the queue is idle.
func (e *commentEnv) settled(t *testing.T) {
	t.Helper()
	waitFor(t, "the reply jobs to finish", func() bool {
		for _, s := range e.jobStates(t, "comment_reply") {
			if s != "completed" {
				return false
			}
		}
		var queued int
		e.bdb.NewRaw("SELECT count(*) FROM outbox WHERE status = 'queued'").Scan(context.Background(), &queued)
		return queued == 0
	})
	e.waitIdle(t) // and any stray message would have been sent
}

var (
	confirmLink = regexp.MustCompile(`https://dm\.example/comments/subscriptions/confirm/([A-Za-z0-9_-]{32})`)
	unsubLink   = regexp.MustCompile(`https://dm\.example/comments/subscriptions/unsubscribe/([A-Za-z0-9_-]{32})`)
)

func find(t *testing.T, re *regexp.Regexp, p mailtest.Parsed) string {
	t.Helper()
	m := re.FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("%q has no link like %s:\n%s", p.Subject, re, p.Text)
	}
	return m[1]
}

// Double opt-in: one confirmation and nothing else until confirmed; then replies arrive (never one's own),
// held replies only once approved, and nothing after unsubscribing.
func TestReplyNotifications(t *testing.T) {
	e := startComments(t)
	ctx := context.Background()
	ann := e.comment(t, "Ann", 0, db.CommentVisible, "ann@example.com")

	e.smtp.Wait(t, 1, 10*time.Second)
	got := e.smtp.To("ann@example.com")
	if len(got) != 1 {
		t.Fatalf("%d messages to Ann, want the confirmation", len(got))
	}
	conf := mailtest.MustParse(t, got[0].Data)
	token := find(t, confirmLink, conf)
	if conf.Header.Get("List-Unsubscribe") == "" {
		t.Error("the confirmation has no List-Unsubscribe header")
	}

	// Not confirmed yet: a reply tells her nothing.
	e.comment(t, "Bob", ann.ID, db.CommentVisible, "")
	e.settled(t)
	if n := len(e.smtp.To("ann@example.com")); n != 1 {
		t.Fatalf("Ann has %d messages before confirming, want only the confirmation", n)
	}

	if _, err := db.ConfirmSubscription(ctx, e.bdb, db.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	cat := e.comment(t, "Cat", ann.ID, db.CommentVisible, "")
	e.smtp.Wait(t, 2, 10*time.Second)
	got = e.smtp.To("ann@example.com")
	if len(got) != 2 {
		t.Fatalf("Ann has %d messages after a reply, want 2", len(got))
	}
	n := mailtest.MustParse(t, got[1].Data)
	if !strings.Contains(n.Subject, "New reply from Cat") || !strings.Contains(n.Text, "> Words from Cat\n> and <b>more</b>") &&
		!strings.Contains(strings.ReplaceAll(n.Text, "\r\n", "\n"), "> Words from Cat\n> and <b>more</b>") {
		t.Errorf("notification %q:\n%s", n.Subject, n.Text)
	}
	if !strings.Contains(n.Text, "https://dm.example/blog/"+e.post.Slug+"#comment-"+itoa(cat.ID)) {
		t.Errorf("the notification does not link the reply:\n%s", n.Text)
	}
	if strings.Contains(n.HTML, "<b>more</b>") {
		t.Error("the reply's text reached the HTML part as markup")
	}
	unsub := find(t, unsubLink, n)
	if h := n.Header.Get("List-Unsubscribe"); h != "<https://dm.example/comments/subscriptions/unsubscribe/"+unsub+"/one-click>" ||
		n.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q, List-Unsubscribe-Post %q", h, n.Header.Get("List-Unsubscribe-Post"))
	}

	// Her own reply is not news to her.
	e.comment(t, "Ann", ann.ID, db.CommentVisible, "")
	e.settled(t)
	if n := len(e.smtp.To("ann@example.com")); n != 2 {
		t.Errorf("Ann has %d messages after her own reply, want 2", n)
	}

	// A held reply tells nobody until it is approved.
	dan := e.comment(t, "Dan", ann.ID, db.CommentHeld, "")
	e.settled(t)
	if n := len(e.smtp.To("ann@example.com")); n != 2 {
		t.Fatalf("Ann has %d messages after a held reply, want 2", n)
	}
	e.approve(t, dan)
	e.smtp.Wait(t, 3, 10*time.Second)
	got = e.smtp.To("ann@example.com")
	if len(got) != 3 || !strings.Contains(mailtest.MustParse(t, got[2].Data).Subject, "Dan") {
		t.Fatalf("Ann has %d messages after the approval, want 3 (Dan's reply)", len(got))
	}
	ids, _ := db.CommentEventsSince(ctx, e.bdb, e.post.ID, 0, 100)
	if len(ids) != 5 { // Ann, Bob, Cat, Ann, then Dan on approval
		t.Errorf("%d comment events, want 5: the approval must reach live readers", len(ids))
	}

	// Unsubscribed: nothing more, and the address is forgotten.
	s, err := db.Unsubscribe(ctx, e.bdb, db.HashToken(unsub))
	if err != nil || s.Email != "" || s.UnsubscribedAt == nil {
		t.Fatalf("Unsubscribe: %+v, %v", s, err)
	}
	e.comment(t, "Eve", ann.ID, db.CommentVisible, "")
	e.settled(t)
	if n := len(e.smtp.To("ann@example.com")); n != 3 {
		t.Errorf("Ann has %d messages after unsubscribing, want 3", n)
	}
}

// A replier who asks for replies gets their confirmation, not a notification of their own reply; someone
// subscribed twice in a thread is told once.
func TestReplierIsNotNotifiedOfTheirOwnReply(t *testing.T) {
	e := startComments(t)
	top := e.subscribed(t, "Fay", "fay@example.com")
	// Gus replies and asks for replies: one confirmation to him, one notification to Fay.
	e.comment(t, "Gus", top.ID, db.CommentVisible, "gus@example.com")
	e.smtp.Wait(t, 3, 10*time.Second)
	e.settled(t)
	if n := len(e.smtp.To("gus@example.com")); n != 1 {
		t.Errorf("Gus has %d messages, want his confirmation only", n)
	}
	// Fay ticks the box again on her own reply: no second confirmation within the hour, no notification.
	e.comment(t, "Fay", top.ID, db.CommentVisible, "FAY@example.com")
	e.settled(t)
	if n := len(e.smtp.To("fay@example.com")); n != 2 {
		t.Errorf("Fay has %d messages, want her confirmation and Gus's reply", n)
	}
}

// A comment whose transaction rolls back leaves no subscription, message or job.
func TestRolledBackCommentEnqueuesNothing(t *testing.T) {
	e := startComments(t)
	boom := errors.New("boom")
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		c := db.Comment{PostID: e.post.ID, Name: "Hal", BodyMD: "x", BodyHTML: "<p>x</p>", Status: db.CommentVisible,
			AuthorHash: author("Hal"), IPHash: author("Hal")}
		if err := db.AddComment(ctx, tx, &c); err != nil {
			return err
		}
		if err := e.q.CommentAdded(ctx, tx, c, "hal@example.com"); err != nil {
			return err
		}
		h := c
		h.ID, h.Status = 0, db.CommentHeld
		if err := db.AddComment(ctx, tx, &h); err != nil {
			return err
		}
		if err := e.q.CommentAdded(ctx, tx, h, ""); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var subs int
	if err := e.bdb.NewRaw("SELECT count(*) FROM comment_subscriptions").Scan(context.Background(), &subs); err != nil {
		t.Fatal(err)
	}
	if ms := e.outbox(t); len(ms) != 0 || subs != 0 {
		t.Errorf("%d messages, %d subscriptions after a rollback", len(ms), subs)
	}
	if s := e.jobStates(t, "comment_moderation_digest"); len(s) != 0 {
		t.Errorf("digest jobs after a rollback: %v", s)
	}
}

// Held comments make one digest for the therapist a few minutes later, however many there are; one held after
// that digest went waits for the next period's.
func TestModerationDigest(t *testing.T) {
	e := startComments(t)
	ctx := context.Background()
	e.comment(t, "Ivy", 0, db.CommentHeld, "ivy@example.com")
	e.comment(t, "Jon", 0, db.CommentHeld, "")
	var at []time.Time
	if err := e.bdb.NewRaw("SELECT scheduled_at FROM river_job WHERE kind = 'comment_moderation_digest'").Scan(ctx, &at); err != nil {
		t.Fatal(err)
	}
	if len(at) != 1 || time.Until(at[0]) < 4*time.Minute || time.Until(at[0]) > 6*time.Minute {
		t.Fatalf("digest jobs scheduled at %v, want one in 5 minutes", at)
	}
	if n := len(e.smtp.To("ivy@example.com")); n != 0 {
		t.Errorf("a held comment's author got %d messages: the confirmation waits for the approval", n)
	}
	e.dueNow(t, "comment_moderation_digest")
	e.smtp.Wait(t, 1, 10*time.Second)
	got := e.smtp.To(practiceEmail)
	if len(got) != 1 {
		t.Fatalf("the practice has %d messages, want one digest", len(got))
	}
	d := mailtest.MustParse(t, got[0].Data)
	if d.Subject != "2 comments are awaiting approval" || !strings.Contains(d.Text, "Ivy") || !strings.Contains(d.Text, "Jon") ||
		!strings.Contains(d.Text, "Words from Ivy …") || !strings.Contains(d.Text, "https://dm.example/admin/comments") {
		t.Errorf("digest %q:\n%s", d.Subject, d.Text)
	}
	waitFor(t, "the digest job to complete", func() bool {
		s := e.jobStates(t, "comment_moderation_digest")
		return len(s) == 1 && s[0] == "completed"
	})

	// Held after this period's digest went: the next period's.
	e.comment(t, "Kim", 0, db.CommentHeld, "")
	at = nil
	if err := e.bdb.NewRaw("SELECT scheduled_at FROM river_job WHERE kind = 'comment_moderation_digest' AND state = 'scheduled'").
		Scan(ctx, &at); err != nil {
		t.Fatal(err)
	}
	if len(at) != 1 || at[0].Truncate(time.Hour) != at[0] || time.Until(at[0]) > 66*time.Minute {
		t.Errorf("next digest scheduled at %v, want at the start of the next hour", at)
	}

	// Approval sends the held commenter's confirmation.
	var ivy db.Comment
	if err := e.bdb.NewSelect().Model(&ivy).Where("name = 'Ivy'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	e.approve(t, ivy)
	e.smtp.Wait(t, 2, 10*time.Second)
	if got := e.smtp.To("ivy@example.com"); len(got) != 1 || !strings.Contains(mailtest.MustParse(t, got[0].Data).Subject, "confirm") {
		t.Errorf("Ivy has %d messages after the approval, want the confirmation", len(got))
	}
}

// A reply notice that waited for the mail server is dropped if the reply
// was hidden meanwhile: nobody hears of a comment they cannot read.
func TestReplyNoticeWaitingForTheServerIsDroppedWhenHidden(t *testing.T) {
	e := startComments(t)
	ctx := context.Background()
	ann := e.subscribed(t, "Ann", "ann@example.com")
	e.smtp.Stop()
	bob := e.comment(t, "Bob", ann.ID, db.CommentVisible, "")
	e.waitTried(t, "comment_reply")
	if err := db.HideComment(ctx, e.bdb, &bob); err != nil {
		t.Fatal(err)
	}
	e.smtp.Restart(t)
	e.waitDropped(t, "comment_reply")
	if n := len(e.smtp.To("ann@example.com")); n != 1 {
		t.Errorf("Ann has %d messages, want only the confirmation: the reply was hidden before its notice went", n)
	}
}
