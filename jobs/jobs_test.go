package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/emails"
	"dynamicmotion/jobs"
	"dynamicmotion/mail"
	"dynamicmotion/mail/mailtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// epoch is the instant this package's tests run at: 00:30 on 29 March 2026,
// half an hour before the clocks in London go forward (the day has 23
// hours). The queue, River's scheduler and the tests all read clk, which
// starts there and runs at the wall clock's pace, so that nothing here
// depends on the day or hour the suite runs.
var epoch = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

var clk = clock.StartingAt(epoch)

// onClock is the instant on clk of at, an instant on the wall clock (River
// schedules jobs on the wall clock).
func onClock(at time.Time) time.Time { return at.Add(time.Until(clk.Now())) }

const practiceEmail = "clare@dynamicmotion.example"

func practice(context.Context, bun.IDB) (emails.Practice, error) {
	return emails.Practice{
		Name: "Dynamic Motion Sports Therapy", Phone: "01480 000000", Email: practiceEmail,
		Address: "1 Bridge Street, St Ives, PE27 5AA", SiteURL: "https://dm.example", Host: "dm.example",
	}, nil
}

// quickRetry retries after 100 ms, so that a test sees a retry at once.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond) // River schedules on the wall clock
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a running queue over the package's database, sending to smtp (nil: keep in the outbox).
type env struct {
	q    *jobs.Queue
	bdb  *bun.DB
	smtp *mailtest.Server
	log  *logBuffer
}

// start empties the bookings and the queue, and starts a queue that sends to a fresh test SMTP server
// (or keeps mail, if keep).
func start(t *testing.T, keep bool) *env {
	t.Helper()
	ctx := context.Background()
	bdb := dbtest.DB(t)
	if err := db.Seed(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	dbtest.Truncate(t, "bookings", "outbox", "river_job")
	e := &env{bdb: bdb, log: &logBuffer{}}
	cfg := jobs.Config{
		DB: bdb, DSN: dbtest.DSN(t), Practice: practice,
		Log:          slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:          clk.Now,
		PollInterval: 50 * time.Millisecond, RetryPolicy: quickRetry{}, MaxAttempts: 5, OrderWait: 100 * time.Millisecond,
	}
	if !keep {
		e.smtp = mailtest.Start(t)
		sc, err := mail.ParseURL(e.smtp.URL(), mail.Address{Name: "Dynamic Motion", Email: "bookings@dm.example"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Sender = mail.NewSMTP(sc)
	}
	q, err := jobs.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The waitlist's rules, as main wires them.
	q.SetWaitlist(booking.New(bdb, q, clk.Now))
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if t.Failed() {
			t.Logf("queue log:\n%s", e.log.String())
		}
	})
	e.q = q
	return e
}

// book makes a confirmed booking starting at start, enqueuing its mail in the same transaction.
func (e *env) book(t *testing.T, start time.Time, email string) db.Booking {
	t.Helper()
	ctx := context.Background()
	var svc db.Service
	if err := e.bdb.NewSelect().Model(&svc).Where("active").OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	owner := bytes.Repeat([]byte{byte(len(email))}, 32)
	exp := clk.Now().Add(10 * time.Minute)
	h := &db.Booking{
		ServiceID: svc.ID, Place: db.PlaceStudio, StartsAt: start, EndsAt: start.Add(time.Hour),
		BlockedFrom: start, BlockedTo: start.Add(75 * time.Minute), HoldOwner: owner, HoldExpiresAt: &exp,
		ServiceName: svc.Name, DurationMin: 60, PricePence: 5000,
	}
	if err := db.HoldSlot(ctx, e.bdb, h, clk.Now()); err != nil {
		t.Fatal(err)
	}
	b := &db.Booking{ClientName: "Ann Client", ClientEmail: email, ClientPhone: "07700 900123",
		ManageTokenHash: db.HashToken("token-" + email), Health: map[string]any{"q": "secret answer"}}
	err := e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.Confirm(ctx, tx, owner, h.ID, b, clk.Now()); err != nil {
			return err
		}
		return e.q.BookingConfirmed(ctx, tx, *b, "https://dm.example/bookings/token-"+email)
	})
	if err != nil {
		t.Fatal(err)
	}
	return *b
}

func (e *env) outbox(t *testing.T) []db.OutboxMessage {
	t.Helper()
	var ms []db.OutboxMessage
	if err := e.bdb.NewSelect().Model(&ms).OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ms
}

// waitTried waits until a message of kind is in the outbox and its sending
// was tried at least once (the mail server being away, it is still queued).
func (e *env) waitTried(t *testing.T, kind string) {
	t.Helper()
	waitFor(t, "a "+kind+" message to be written and tried", func() bool {
		for _, m := range e.outbox(t) {
			if m.Kind == kind && m.Attempts >= 1 {
				return true
			}
		}
		return false
	})
}

// waitIdle waits until the queue has nothing left to do now: no job is
// available, running or waiting to be retried, and none is scheduled within
// the next minute (reminders and digests wait longer). What was going to be
// sent has been sent: a test can then count messages, and a duplicate
// would have arrived.
func (e *env) waitIdle(t *testing.T) {
	t.Helper()
	waitFor(t, "the queue to have nothing left to do", func() bool {
		n, err := e.bdb.NewSelect().Table("river_job").
			Where("state IN ('available', 'running', 'retryable', 'pending') OR (state = 'scheduled' AND scheduled_at < now() + interval '1 minute')").
			Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// waitDropped waits until no message of kind is left in the outbox.
func (e *env) waitDropped(t *testing.T, kind string) {
	t.Helper()
	waitFor(t, "the "+kind+" message to be dropped", func() bool {
		for _, m := range e.outbox(t) {
			if m.Kind == kind {
				return false
			}
		}
		return true
	})
}

// waitFor polls cond until it holds, failing after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling the condition: it has no event of its own
	}
}

// dueNow makes the scheduled jobs of kind due at once, as if their time had
// come, and available as River's scheduler would make them: the scheduler
// runs only on the elected leader, which a client started just after
// another test's may not be for several seconds.
func (e *env) dueNow(t *testing.T, kind string) int {
	t.Helper()
	res, err := e.bdb.NewRaw(`UPDATE river_job SET scheduled_at = now(), state = 'available' WHERE kind = ? AND state = 'scheduled'`, kind).
		Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := res.RowsAffected()
	return int(n)
}

func (e *env) jobStates(t *testing.T, kind string) []string {
	t.Helper()
	var states []string
	if err := e.bdb.NewRaw("SELECT state FROM river_job WHERE kind = ? ORDER BY id", kind).
		Scan(context.Background(), &states); err != nil {
		t.Fatal(err)
	}
	return states
}

func calendarOf(t *testing.T, p mailtest.Parsed, method string) goical.Event {
	t.Helper()
	if len(p.Calendar) == 0 {
		t.Fatalf("%q has no calendar part", p.Subject)
	}
	for _, part := range p.Calendar {
		if got := strings.ToUpper(part.Params["method"]); got != method {
			t.Errorf("%q: calendar part method=%q, want %s", p.Subject, got, method)
		}
		cal, err := goical.NewDecoder(bytes.NewReader(part.Body)).Decode()
		if err != nil {
			t.Fatalf("%q: the calendar does not parse: %v", p.Subject, err)
		}
		if m := cal.Props.Get(goical.PropMethod); m == nil || m.Value != method {
			t.Errorf("%q: METHOD %v, want %s", p.Subject, m, method)
		}
	}
	cal, _ := goical.NewDecoder(bytes.NewReader(p.Calendar[0].Body)).Decode()
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%q: %d events, want 1", p.Subject, len(evs))
	}
	return evs[0]
}

func prop(e goical.Event, name string) string {
	if p := e.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

// inDays is a time n days from now at 10:00 UTC.
func inDays(n int) time.Time {
	d := clk.Now().UTC().AddDate(0, 0, n)
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, time.UTC)
}

// A booking sends the client a confirmation with the invitation and the practice a notice, through a real SMTP
// server; the practice's notice never carries the health answers.
func TestBookingConfirmationReachesClientAndPractice(t *testing.T) {
	e := start(t, false)
	b := e.book(t, inDays(3), "ann@example.com")

	msgs := e.smtp.Wait(t, 2, 10*time.Second)
	client, prac := e.smtp.To("ann@example.com"), e.smtp.To(practiceEmail)
	if len(client) != 1 || len(prac) != 1 || len(msgs) != 2 {
		t.Fatalf("got %d to the client, %d to the practice, %d in all; want 1, 1, 2", len(client), len(prac), len(msgs))
	}
	c := mailtest.MustParse(t, client[0].Data)
	if !strings.HasPrefix(c.Subject, "Booking confirmed: ") {
		t.Errorf("client subject %q", c.Subject)
	}
	for name, part := range map[string]string{"text": c.Text, "html": c.HTML} {
		if !strings.Contains(part, "https://dm.example/bookings/token-ann@example.com") {
			t.Errorf("the %s part lacks the manage link", name)
		}
		if !strings.Contains(part, "01480 000000") {
			t.Errorf("the %s part lacks the practice's phone number", name)
		}
	}
	ev := calendarOf(t, c, "REQUEST")
	if got, want := prop(ev, goical.PropUID), "booking-"+itoa(b.ID)+"@dm.example"; got != want {
		t.Errorf("UID %q, want %q", got, want)
	}
	if got := prop(ev, goical.PropSequence); got != "0" {
		t.Errorf("SEQUENCE %q, want 0", got)
	}
	start, err := ev.DateTimeStart(time.UTC)
	if err != nil || !start.Equal(b.StartsAt) {
		t.Errorf("DTSTART %v (%v), want %v", start, err, b.StartsAt)
	}
	if len(ev.Children) == 0 || ev.Children[0].Name != goical.CompAlarm {
		t.Errorf("the event has no reminder alarm")
	}

	p := mailtest.MustParse(t, prac[0].Data)
	if strings.Contains(p.Text+p.HTML, "secret answer") {
		t.Error("the practice's e-mail carries a health answer")
	}
	waitFor(t, "the outbox to record the sending", func() bool {
		for _, m := range e.outbox(t) {
			if m.Status != db.OutboxSent {
				return false
			}
		}
		return true
	})
	for _, m := range e.outbox(t) {
		if m.Status != db.OutboxSent || m.SentAt == nil || m.Attempts != 1 {
			t.Errorf("outbox %d (%s): status %s, attempts %d, sent %v", m.ID, m.Kind, m.Status, m.Attempts, m.SentAt)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The mail server is down when a client books: the booking stands, the message waits, and when the server is
// back it arrives, exactly once.
func TestMailServerDownThenUp(t *testing.T) {
	e := start(t, false)
	e.smtp.Stop()
	e.book(t, inDays(4), "bea@example.com")

	waitFor(t, "a failed attempt", func() bool {
		ms := e.outbox(t)
		return len(ms) == 2 && ms[0].Attempts >= 1 && ms[0].Status == db.OutboxQueued && ms[0].LastError != ""
	})
	if n := len(e.smtp.Messages()); n != 0 {
		t.Fatalf("%d messages arrived while the server was down", n)
	}
	var confirmed int
	if err := e.bdb.NewRaw("SELECT count(*) FROM bookings WHERE status = 'confirmed'").Scan(context.Background(), &confirmed); err != nil {
		t.Fatal(err)
	}
	if confirmed != 1 {
		t.Fatalf("%d confirmed bookings, want 1: the booking must not depend on the mail server", confirmed)
	}

	e.smtp.Restart(t)
	e.smtp.Wait(t, 2, 10*time.Second)
	waitFor(t, "the outbox to settle", func() bool {
		for _, m := range e.outbox(t) {
			if m.Status != db.OutboxSent {
				return false
			}
		}
		return true
	})
	e.waitIdle(t) // a duplicate would have come by now
	if n := len(e.smtp.To("bea@example.com")); n != 1 {
		t.Errorf("the client got %d copies, want exactly 1", n)
	}
	if n := len(e.smtp.To(practiceEmail)); n != 1 {
		t.Errorf("the practice got %d copies, want exactly 1", n)
	}
}

// A transaction that fails after enqueuing leaves neither a message nor a job.
func TestRolledBackChangeEnqueuesNothing(t *testing.T) {
	e := start(t, false)
	boom := errors.New("boom")
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		m := mail.Message{To: mail.Address{Email: "x@example.com"}, Subject: "never", Text: "t", HTML: "<p>h</p>"}
		if err := e.q.Mail(ctx, tx, "test", jobs.About{}, m); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("RunInTx: %v", err)
	}
	if ms := e.outbox(t); len(ms) != 0 {
		t.Errorf("%d outbox messages after a rollback", len(ms))
	}
	if states := e.jobStates(t, "send_mail"); len(states) != 0 {
		t.Errorf("jobs after a rollback: %v", states)
	}

	// A booking that loses its time to someone else enqueues nothing either.
	first := e.book(t, inDays(5), "first@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	ctx := context.Background()
	var svc int64 = first.ServiceID
	owner := bytes.Repeat([]byte{9}, 32)
	exp := clk.Now().Add(time.Minute)
	err = e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		h := &db.Booking{ServiceID: svc, Place: db.PlaceStudio, StartsAt: first.StartsAt, EndsAt: first.EndsAt,
			BlockedFrom: first.BlockedFrom, BlockedTo: first.BlockedTo, HoldOwner: owner, HoldExpiresAt: &exp,
			ServiceName: first.ServiceName, DurationMin: first.DurationMin, PricePence: first.PricePence}
		if err := db.HoldSlot(ctx, tx, h, clk.Now()); err != nil {
			return err
		}
		return e.q.BookingConfirmed(ctx, tx, *h, "https://dm.example/bookings/x")
	})
	if !errors.Is(err, db.ErrSlotTaken) {
		t.Fatalf("double booking: %v, want ErrSlotTaken", err)
	}
	if ms := e.outbox(t); len(ms) != 2 {
		t.Errorf("%d outbox messages, want only the first booking's 2", len(ms))
	}
}

// The reminder is scheduled a day before; when its time comes it reaches the client with a working manage link
// of its own.
func TestReminderADayBefore(t *testing.T) {
	e := start(t, false)
	b := e.book(t, inDays(6), "cat@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)

	var at time.Time
	if err := e.bdb.NewRaw("SELECT scheduled_at FROM river_job WHERE kind = 'booking_reminder'").
		Scan(context.Background(), &at); err != nil {
		t.Fatalf("no reminder scheduled: %v", err)
	}
	if want, got := b.StartsAt.Add(-24*time.Hour), onClock(at); got.Sub(want).Abs() > time.Second {
		t.Errorf("reminder scheduled for %v on the queue's clock, want %v", got, want)
	}

	if n := e.dueNow(t, "booking_reminder"); n != 1 {
		t.Fatalf("%d scheduled reminders, want 1", n)
	}
	e.smtp.Wait(t, 3, 10*time.Second)
	got := e.smtp.To("cat@example.com")
	if len(got) != 2 {
		t.Fatalf("the client has %d messages, want confirmation and reminder", len(got))
	}
	r := mailtest.MustParse(t, got[1].Data)
	if !strings.HasPrefix(r.Subject, "Reminder") {
		t.Errorf("reminder subject %q", r.Subject)
	}
	link := regexp.MustCompile(`https://dm\.example/bookings/([A-Za-z0-9_-]{32})`).FindStringSubmatch(r.Text)
	if link == nil {
		t.Fatalf("no manage link in the reminder:\n%s", r.Text)
	}
	found, err := db.BookingByToken(context.Background(), e.bdb, db.HashToken(link[1]))
	if err != nil || found.ID != b.ID {
		t.Errorf("the reminder's link finds booking %d (%v), want %d", found.ID, err, b.ID)
	}
}

// A booking made less than a day ahead gets no separate reminder: the confirmation has just arrived.
func TestNoReminderForAShortNoticeBooking(t *testing.T) {
	e := start(t, false)
	e.book(t, clk.Now().Add(20*time.Hour).Truncate(time.Hour), "dan@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	if states := e.jobStates(t, "booking_reminder"); len(states) != 0 {
		t.Errorf("reminder jobs %v, want none", states)
	}
}

// A cancelled booking's reminder is never sent; the cancellation removes the event from the client's calendar.
func TestCancelledBookingGetsNoReminder(t *testing.T) {
	e := start(t, false)
	b := e.book(t, inDays(7), "eve@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	e.cancel(t, b)
	e.smtp.Wait(t, 4, 10*time.Second)
	c := mailtest.MustParse(t, e.smtp.To("eve@example.com")[1].Data)
	ev := calendarOf(t, c, "CANCEL")
	if got, want := prop(ev, goical.PropUID), "booking-"+itoa(b.ID)+"@dm.example"; got != want {
		t.Errorf("cancellation UID %q, want %q", got, want)
	}

	e.dueNow(t, "booking_reminder")
	waitFor(t, "the reminder job to finish", func() bool {
		s := e.jobStates(t, "booking_reminder")
		return len(s) == 1 && s[0] == string(rivertype.JobStateCompleted)
	})
	if n := len(e.smtp.To("eve@example.com")); n != 2 {
		t.Errorf("the client has %d messages, want confirmation and cancellation only", n)
	}
}

// A moved booking: the client's invitation keeps its UID with a higher SEQUENCE; the old time's reminder sends
// nothing and the new time's reminder goes out.
func TestMovedBookingUpdatesTheInvitationAndTheReminder(t *testing.T) {
	e := start(t, false)
	b := e.book(t, inDays(8), "fay@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	ctx := context.Background()
	newStart := b.StartsAt.Add(3 * time.Hour)
	err := e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := db.MoveBooking(ctx, tx, b.ID, newStart, newStart.Add(time.Hour), newStart, newStart.Add(75*time.Minute), false, clk.Now()); err != nil {
			return err
		}
		moved, err := db.BookingByID(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		return e.q.BookingMoved(ctx, tx, moved, b.StartsAt, "https://dm.example/bookings/token-fay@example.com")
	})
	if err != nil {
		t.Fatal(err)
	}
	e.smtp.Wait(t, 4, 10*time.Second)
	m := mailtest.MustParse(t, e.smtp.To("fay@example.com")[1].Data)
	ev := calendarOf(t, m, "REQUEST")
	if got := prop(ev, goical.PropSequence); got != "1" {
		t.Errorf("SEQUENCE %q after a move, want 1", got)
	}
	if got, want := prop(ev, goical.PropUID), "booking-"+itoa(b.ID)+"@dm.example"; got != want {
		t.Errorf("UID %q, want %q", got, want)
	}

	if n := e.dueNow(t, "booking_reminder"); n != 2 {
		t.Fatalf("%d scheduled reminders, want the old and the new", n)
	}
	waitFor(t, "both reminder jobs", func() bool {
		s := e.jobStates(t, "booking_reminder")
		return len(s) == 2 && s[0] == "completed" && s[1] == "completed"
	})
	e.smtp.Wait(t, 5, 10*time.Second)
	// Every message the two reminders wrote has been sent (or dropped):
	// nothing more is on its way.
	waitFor(t, "every message settled", func() bool {
		for _, st := range e.jobStates(t, "send_mail") {
			if st != "completed" && st != "cancelled" && st != "discarded" {
				return false
			}
		}
		return true
	})
	got := e.smtp.To("fay@example.com")
	if len(got) != 3 {
		t.Fatalf("the client has %d messages, want confirmation, move and one reminder", len(got))
	}
	r := mailtest.MustParse(t, got[2].Data)
	if want := newStart.In(london).Format("15:04"); !strings.Contains(r.Text, want) {
		t.Errorf("the reminder does not give the new time (%s):\n%s", want, r.Text)
	}
}

// An address the server refuses is not retried: the message is marked failed for the therapist to see.
func TestRefusedAddressFailsWithoutRetrying(t *testing.T) {
	e := start(t, false)
	e.smtp.Refuse("nobody@example.com")
	e.book(t, inDays(9), "nobody@example.com")
	waitFor(t, "the failure to be recorded", func() bool {
		ms := e.outbox(t)
		return len(ms) == 2 && ms[0].Status == db.OutboxFailed
	})
	ms := e.outbox(t)
	if ms[0].Attempts != 1 || !strings.Contains(ms[0].LastError, "550") {
		t.Errorf("failed message: attempts %d, last error %q", ms[0].Attempts, ms[0].LastError)
	}
	failed, err := db.ListFailedMail(context.Background(), e.bdb, 10)
	if err != nil || len(failed) != 1 || failed[0].ID != ms[0].ID {
		t.Errorf("ListFailedMail: %v, %v", failed, err)
	}
	waitFor(t, "the practice's copy", func() bool { return len(e.smtp.To(practiceEmail)) == 1 })
	waitFor(t, "the refused message's job to be cancelled", func() bool {
		return contains(e.jobStates(t, "send_mail"), "cancelled")
	})

	// The therapist fixes nothing and tries again: it fails again, once.
	if err := e.q.Retry(context.Background(), ms[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry to fail", func() bool {
		m, _ := db.OutboxByID(context.Background(), e.bdb, ms[0].ID)
		return m.Status == db.OutboxFailed && m.Attempts == 2
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Without a mail server (development), messages are kept in the outbox and logged in one line that names no
// one.
func TestWithoutAMailServerMessagesAreKept(t *testing.T) {
	e := start(t, true)
	e.book(t, inDays(10), "gus@example.com")
	waitFor(t, "the messages to be kept", func() bool {
		ms := e.outbox(t)
		return len(ms) == 2 && ms[0].Status == db.OutboxKept && ms[1].Status == db.OutboxKept
	})
	m := e.outbox(t)[0]
	if m.Recipient != "gus@example.com" || !strings.HasPrefix(m.Message.Subject, "Booking confirmed") || m.Message.HTML == "" {
		t.Errorf("kept message: %+v", m)
	}
	if raw, err := mail.Build(mail.Address{Email: "bookings@dm.example"}, m.Message); err != nil {
		t.Errorf("the kept message does not build: %v", err)
	} else if p := mailtest.MustParse(t, raw); len(p.Calendar) == 0 {
		t.Error("the kept message lost its invitation")
	}
	log := e.log.String()
	if !strings.Contains(log, "mail kept in the outbox") {
		t.Errorf("no log line for the kept message:\n%s", log)
	}
	for _, personal := range []string{"gus@example.com", "Ann Client", "07700"} {
		if strings.Contains(log, personal) {
			t.Errorf("the log contains %q", personal)
		}
	}
}

var _ river.JobArgs = jobs.SendMailArgs{}

// A reminder that waited for the mail server is dropped if the booking was
// cancelled meanwhile: the client never gets a reminder of a cancelled time.
func TestReminderWaitingForTheServerIsDroppedWhenCancelled(t *testing.T) {
	e := start(t, false)
	b := e.book(t, inDays(11), "ida@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	e.smtp.Stop()
	e.dueNow(t, "booking_reminder")
	e.waitTried(t, "booking_reminder")
	e.cancel(t, b)
	e.smtp.Restart(t)
	waitFor(t, "the cancellation", func() bool { return len(e.smtp.To("ida@example.com")) == 2 })
	e.waitDropped(t, "booking_reminder")
	for _, r := range e.smtp.To("ida@example.com") {
		if p := mailtest.MustParse(t, r.Data); strings.HasPrefix(p.Subject, "Reminder") {
			t.Errorf("the client got a reminder of a cancelled booking")
		}
	}
}

// After an outage the messages about one booking reach each person in the
// order they were written: a cancellation never arrives before the
// confirmation it cancels (a calendar would otherwise add the booking back).
func TestMailAboutABookingArrivesInOrder(t *testing.T) {
	e := start(t, false)
	e.smtp.Stop()
	b := e.book(t, inDays(6), "jo@example.com")
	e.waitTried(t, "booking_confirmed")
	e.cancel(t, b)
	// The cancellation waits while the confirmation is still being tried:
	// once the confirmation has been tried again after it was written, the
	// cancellation had its turn to jump the queue, and must not have.
	waitFor(t, "the confirmation to be tried again", func() bool {
		for _, m := range e.outbox(t) {
			if m.Kind == "booking_confirmed" && m.Attempts >= 3 {
				return true
			}
		}
		return false
	})
	for _, m := range e.outbox(t) {
		if m.Kind == "booking_cancelled" && m.Attempts > 0 {
			t.Errorf("the cancellation was tried before the confirmation went")
		}
	}
	e.smtp.Restart(t)
	waitFor(t, "both messages to the client", func() bool { return len(e.smtp.To("jo@example.com")) == 2 })
	var subjects []string
	for _, r := range e.smtp.To("jo@example.com") {
		subjects = append(subjects, mailtest.MustParse(t, r.Data).Subject)
	}
	if !strings.HasPrefix(subjects[0], "Booking confirmed") || !strings.HasPrefix(subjects[1], "Booking cancelled") {
		t.Errorf("the client got %q, want the confirmation, then the cancellation", subjects)
	}
}

// A client's confirmation or reminder that waited for the mail server
// until the appointment began is of no use: it is dropped, not sent late.
func TestLateBookingMailIsDroppedOnceTheAppointmentBegins(t *testing.T) {
	e := start(t, false)
	e.smtp.Stop()
	b := e.book(t, inDays(3), "kim@example.com")
	e.waitTried(t, "booking_confirmed")
	now := clk.Now()
	if _, err := e.bdb.NewRaw("UPDATE bookings SET starts_at = ?, ends_at = ?, blocked_from = ?, blocked_to = ? WHERE id = ?",
		now.Add(-time.Minute), now.Add(59*time.Minute), now.Add(-time.Minute), now.Add(74*time.Minute), b.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.smtp.Restart(t)
	e.waitDropped(t, "booking_confirmed")
	if e.dueNow(t, "booking_reminder") > 0 {
		e.waitDropped(t, "booking_reminder")
	}
	waitFor(t, "the practice's notice", func() bool { return len(e.smtp.To(practiceEmail)) == 1 })
	if n := len(e.smtp.To("kim@example.com")); n != 0 {
		t.Errorf("the client got %d messages about an appointment that has begun, want none", n)
	}
}

// Once sent, a message keeps only its recipient and subject: its text held
// the client's private manage link.
func TestSentMessagesKeepOnlyTheirEnvelope(t *testing.T) {
	e := start(t, false)
	e.book(t, inDays(12), "jon@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	waitFor(t, "both messages sent", func() bool {
		ms := e.outbox(t)
		return len(ms) == 2 && ms[0].Status == db.OutboxSent && ms[1].Status == db.OutboxSent
	})
	for _, m := range e.outbox(t) {
		if m.Message.Text != "" || m.Message.HTML != "" || len(m.Message.Attachments) != 0 {
			t.Errorf("sent message %d still holds its text", m.ID)
		}
		if m.Message.Subject == "" || m.Message.To.Email == "" || m.Recipient == "" {
			t.Errorf("sent message %d lost its envelope: %+v", m.ID, m.Message)
		}
	}
}
