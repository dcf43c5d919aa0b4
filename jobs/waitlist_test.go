package jobs_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/jobs"
	"dynamicmotion/mail/mailtest"
)

// waitDay is a weekday at least n days ahead (the studio works 9:00 to 18:00), as a London date.
func waitDay(n int) time.Time {
	d := clk.Now().In(london).AddDate(0, 0, n)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// localAt is hh:mm on day (a London date held as midnight UTC), as an instant.
func localAt(day time.Time, hh, mm int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, london)
}

// wait puts email on the waitlist for day, starting at 10:00 only.
func (e *env) wait(t *testing.T, day time.Time, email string) db.WaitlistEntry {
	t.Helper()
	var svc db.Service
	ctx := context.Background()
	if err := e.bdb.NewSelect().Model(&svc).Where("active").OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	w := db.WaitlistEntry{ServiceID: svc.ID, Place: db.PlaceStudio, Day: day, EarliestMin: 600, LatestMin: 600,
		Name: "Wait " + email, Email: email, LeaveTokenHash: db.HashToken("leave-" + email)}
	if added, err := db.AddToWaitlist(ctx, e.bdb, &w); err != nil || !added {
		t.Fatalf("AddToWaitlist: %v, %v", added, err)
	}
	return w
}

// cancel cancels booking b as the manage page does, enqueuing its mail (and the waitlist's offer) in the same
// transaction.
func (e *env) cancel(t *testing.T, b db.Booking) {
	t.Helper()
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.CancelBooking(ctx, tx, b.ID, "cancelled by the client", clk.Now()); err != nil {
			return err
		}
		b, err := db.BookingByID(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		return e.q.BookingCancelled(ctx, tx, b, "")
	})
	if err != nil {
		t.Fatal(err)
	}
}

type offerRow struct {
	ID        int64     `bun:"id"`
	EntryID   int64     `bun:"entry_id"`
	StartsAt  time.Time `bun:"starts_at"`
	ExpiresAt time.Time `bun:"expires_at"`
	Outcome   string    `bun:"outcome"`
	HoldID    int64     `bun:"hold_id"`
}

func (e *env) offers(t *testing.T) []offerRow {
	t.Helper()
	var os []offerRow
	if err := e.bdb.NewRaw("SELECT id, entry_id, starts_at, expires_at, outcome, hold_id FROM waitlist_offers ORDER BY id").
		Scan(context.Background(), &os); err != nil {
		t.Fatal(err)
	}
	return os
}

func (e *env) entryStatus(t *testing.T, id int64) string {
	t.Helper()
	var s string
	if err := e.bdb.NewRaw("SELECT status FROM waitlist WHERE id = ?", id).Scan(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

var offerLink = regexp.MustCompile(`https://dm\.example/book/offer/([A-Za-z0-9_-]{32})`)

// A cancellation offers the freed time to the first person waiting for it, by e-mail with a link, and holds it
// for them: nobody else can take it, and the second person hears nothing. When the offer runs out unused, the
// hold is released and the time is offered to the next person; the first stays on the list.
func TestWaitlistOffersFirstComeFirstServedAndMovesOnWhenUnused(t *testing.T) {
	e := start(t, false)
	dbtestTruncateWaitlist(t)
	day := waitDay(4)
	b := e.book(t, localAt(day, 10, 0), "booked@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	first, second := e.wait(t, day, "first@example.com"), e.wait(t, day, "second@example.com")

	e.cancel(t, b)
	e.smtp.Wait(t, 5, 10*time.Second) // the cancellation, the practice's notice, the offer
	got := e.smtp.To("first@example.com")
	if len(got) != 1 {
		t.Fatalf("the first person waiting got %d messages, want the offer", len(got))
	}
	m := mailtest.MustParse(t, got[0].Data)
	if !strings.HasPrefix(m.Subject, "A time has come free") {
		t.Errorf("offer subject %q", m.Subject)
	}
	for name, part := range map[string]string{"text": m.Text, "html": m.HTML} {
		if !offerLink.MatchString(part) || !strings.Contains(part, "/book/waitlist/leave/") || !strings.Contains(part, "10:00") {
			t.Errorf("the offer's %s part lacks the time, the offer link or the leave link:\n%s", name, part)
		}
	}
	offers := e.offers(t)
	if len(offers) != 1 || offers[0].EntryID != first.ID || offers[0].Outcome != db.OfferOpen ||
		!offers[0].StartsAt.Equal(localAt(day, 10, 0)) {
		t.Fatalf("offers %+v, want one open offer of 10:00 to the first person", offers)
	}
	if d := offers[0].ExpiresAt.Sub(clk.Now()); d < time.Hour+50*time.Minute || d > 2*time.Hour {
		t.Errorf("the offer runs out in %v, want 2 hours (the default setting)", d)
	}
	hold, err := db.BookingByID(context.Background(), e.bdb, offers[0].HoldID)
	if err != nil || hold.Status != db.BookingHeld || !hold.HoldExpiresAt.Equal(offers[0].ExpiresAt) {
		t.Fatalf("the offer's hold: %+v, %v", hold, err)
	}
	// Nobody else can take the time meanwhile.
	owner := []byte("someone-else-someone-else-012345")
	exp := clk.Now().Add(10 * time.Minute)
	other := &db.Booking{ServiceID: hold.ServiceID, Place: db.PlaceStudio, StartsAt: hold.StartsAt, EndsAt: hold.EndsAt,
		BlockedFrom: hold.BlockedFrom, BlockedTo: hold.BlockedTo, HoldOwner: owner, HoldExpiresAt: &exp,
		ServiceName: hold.ServiceName, DurationMin: hold.DurationMin, PricePence: hold.PricePence}
	if err := db.HoldSlot(context.Background(), e.bdb, other, clk.Now()); !errors.Is(err, db.ErrSlotTaken) {
		t.Errorf("someone else holding the offered time: %v, want ErrSlotTaken", err)
	}
	if n := len(e.smtp.To("second@example.com")); n != 0 {
		t.Errorf("the second person got %d messages while the first had the offer", n)
	}
	if s := e.entryStatus(t, second.ID); s != db.WaitlistWaiting {
		t.Errorf("the second person's entry is %s", s)
	}

	// The first person lets it go: it goes to the second.
	if n := e.dueNow(t, "waitlist_offer_expire"); n != 1 {
		t.Fatalf("%d expiry jobs scheduled, want 1", n)
	}
	e.smtp.Wait(t, 6, 10*time.Second)
	if n := len(e.smtp.To("second@example.com")); n != 1 {
		t.Fatalf("the second person got %d messages, want the offer", n)
	}
	offers = e.offers(t)
	if len(offers) != 2 || offers[0].Outcome != db.OfferExpired || offers[1].EntryID != second.ID ||
		offers[1].Outcome != db.OfferOpen || !offers[1].StartsAt.Equal(localAt(day, 10, 0)) {
		t.Fatalf("offers after the first ran out: %+v", offers)
	}
	if s := e.entryStatus(t, first.ID); s != db.WaitlistWaiting {
		t.Errorf("the first person's entry is %s, want waiting (for other times)", s)
	}
	// The second lets it go too: the first is not offered the same time again, and the time is free.
	e.dueNow(t, "waitlist_offer_expire")
	waitFor(t, "the second offer to run out", func() bool { return e.offers(t)[1].Outcome == db.OfferExpired })
	e.waitIdle(t)
	if len(e.offers(t)) != 2 || len(e.smtp.To("first@example.com")) != 1 {
		t.Errorf("the time was offered again to someone who let it go: %+v", e.offers(t))
	}
	var held int
	if err := e.bdb.NewRaw("SELECT count(*) FROM bookings WHERE status = 'held'").Scan(context.Background(), &held); err != nil || held != 0 {
		t.Errorf("%d holds left after every offer ran out (%v)", held, err)
	}
}

// A time already taken is never offered: the worker looks at the diary under the booking lock.
func TestWaitlistNeverOffersATakenTime(t *testing.T) {
	e := start(t, false)
	dbtestTruncateWaitlist(t)
	day := waitDay(5)
	e.book(t, localAt(day, 10, 0), "taken@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	e.wait(t, day, "hopeful@example.com")
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		return e.q.OfferFreedTimes(ctx, tx, localAt(day, 10, 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the offer job", func() bool {
		s := e.jobStates(t, "waitlist_offer")
		return len(s) == 1 && s[0] == "completed"
	})
	if os := e.offers(t); len(os) != 0 {
		t.Errorf("offers of a taken time: %+v", os)
	}
	if n := len(e.smtp.To("hopeful@example.com")); n != 0 {
		t.Errorf("%d messages to someone waiting for a taken time", n)
	}
}

// The offer job is enqueued in the transaction of the change that frees the time: rolled back, there is none.
func TestWaitlistOfferRolledBackEnqueuesNothing(t *testing.T) {
	e := start(t, false)
	boom := errors.New("boom")
	err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		if err := e.q.OfferFreedTimes(ctx, tx, clk.Now().AddDate(0, 0, 3)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if s := e.jobStates(t, "waitlist_offer"); len(s) != 0 {
		t.Errorf("offer jobs after a rollback: %v", s)
	}
}

var _ = jobs.WaitlistOfferArgs{}

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

func dbtestTruncateWaitlist(t *testing.T) { dbtest.Truncate(t, "waitlist") }

// Someone who let an offer go is not offered the same gap again a quarter of
// an hour later: the next person waiting gets it.
func TestWaitlistLetGoMeansTheNextPersonsTurn(t *testing.T) {
	e := start(t, false)
	dbtestTruncateWaitlist(t)
	day := waitDay(5)
	b := e.book(t, localAt(day, 10, 0), "booked2@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	ctx := context.Background()
	first, second := e.wait(t, day, "first2@example.com"), e.wait(t, day, "second2@example.com")
	// Both would take 10:00 or 10:15.
	if _, err := e.bdb.NewRaw("UPDATE waitlist SET latest_min = 615 WHERE id IN (?, ?)", first.ID, second.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	e.cancel(t, b)
	waitFor(t, "the first offer", func() bool { return len(e.offers(t)) == 1 })
	if o := e.offers(t)[0]; o.EntryID != first.ID {
		t.Fatalf("the first offer went to entry %d, want the first person's %d", o.EntryID, first.ID)
	}
	e.dueNow(t, "waitlist_offer_expire")
	waitFor(t, "the second offer", func() bool { return len(e.offers(t)) == 2 })
	if o := e.offers(t)[1]; o.EntryID != second.ID {
		t.Errorf("after the first person let 10:00 go, entry %d was offered %v; want the second person", o.EntryID, o.StartsAt.In(london))
	}
}

// An offer that waited for the mail server is dropped if its time is no
// longer held when the server is back (here: the person left the list):
// nobody is offered a time that is already gone.
func TestWaitlistOfferWaitingForTheServerIsDroppedWhenItEnds(t *testing.T) {
	e := start(t, false)
	dbtestTruncateWaitlist(t)
	day := waitDay(6)
	b := e.book(t, localAt(day, 10, 0), "booked3@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	w := e.wait(t, day, "late3@example.com")
	e.smtp.Stop()
	e.cancel(t, b)
	e.waitTried(t, "waitlist_offer")
	if err := e.bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := db.LeaveWaitlist(ctx, tx, w.ID, clk.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.smtp.Restart(t)
	e.waitDropped(t, "waitlist_offer")
	for _, r := range e.smtp.To("late3@example.com") {
		if p := mailtest.MustParse(t, r.Data); strings.Contains(p.Subject, "held for you") || strings.Contains(p.Text, "/book/offer/") {
			t.Errorf("an offer of a time no longer held was sent: %q", p.Subject)
		}
	}
}

// The therapist sets how long an offered time is held (Availability): the
// next offer is held that long.
func TestWaitlistOfferHoldIsTheTherapistsSetting(t *testing.T) {
	e := start(t, false)
	dbtestTruncateWaitlist(t)
	ctx := context.Background()
	if _, err := e.bdb.NewRaw("UPDATE schedule_settings SET offer_hold_min = 45").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.bdb.NewRaw("UPDATE schedule_settings SET offer_hold_min = 120").Exec(ctx) }) //nolint:errcheck // best effort
	day := waitDay(5)
	b := e.book(t, localAt(day, 10, 0), "booked45@example.com")
	e.smtp.Wait(t, 2, 10*time.Second)
	e.wait(t, day, "waiting45@example.com")
	e.cancel(t, b)
	waitFor(t, "the offer", func() bool { return len(e.offers(t)) == 1 })
	if d := e.offers(t)[0].ExpiresAt.Sub(clk.Now()); d < 40*time.Minute || d > 45*time.Minute {
		t.Errorf("the offer runs out in %v, want the 45 minutes set", d)
	}
}
