package booking_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/db"
)

// The limits that keep the booking form from being a way to mail strangers
// (issue 15): upcoming bookings per e-mail address, and the daily ceiling on
// confirmations to addresses the practice has not seen.

// apart is n free studio times, each at least two hours after the one
// before, so that booking one leaves the others free.
func (e *env) apart(t *testing.T, n int) []time.Time {
	t.Helper()
	var out []time.Time
	for _, s := range e.free(t, db.PlaceStudio) {
		if len(out) == n {
			break
		}
		if len(out) == 0 || !s.Before(out[len(out)-1].Add(2*time.Hour)) {
			out = append(out, s)
		}
	}
	if len(out) < n {
		t.Fatalf("only %d free times two hours apart, want %d", len(out), n)
	}
	return out
}

// bookAs books start for who with the e-mail address email, holding the
// time in the booking's own transaction.
func (e *env) bookAs(who, email string, start time.Time) (db.Booking, error) {
	r := e.request(who, start, 0)
	r.Booking.ClientEmail = email
	err := e.desk.Book(context.Background(), r)
	return *r.Booking, err
}

// confirmations returns the status of each confirmation to the client, by
// recipient.
func (e *env) confirmations(t *testing.T) map[string]string {
	t.Helper()
	var ms []db.OutboxMessage
	if err := e.bdb.NewSelect().Model(&ms).ExcludeColumn("message").Where("kind = 'booking_confirmed'").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[m.Recipient] = m.Status
	}
	return out
}

func (e *env) setCeiling(t *testing.T, n int) {
	t.Helper()
	if err := db.SetNewAddressesPerDay(context.Background(), e.bdb, n); err != nil {
		t.Fatal(err)
	}
}

// One address has at most three upcoming bookings, whatever its case or
// spaces: the fourth is refused and the visitor's hold is left as it was.
// A cancelled booking, or one whose time has passed, no longer counts.
func TestThreeUpcomingPerAddress(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	ctx := context.Background()
	times := e.apart(t, 6)
	var ids []int64
	for i, email := range []string{"ann@example.com", "Ann@Example.COM", " ann@example.com "} {
		b, err := e.bookAs("ann", email, times[i])
		if err != nil {
			t.Fatalf("booking %d of 3: %v", i+1, err)
		}
		ids = append(ids, b.ID)
	}
	hold, err := e.hold(t, "ann", times[3])
	if err != nil {
		t.Fatal(err)
	}
	r := e.request("ann", times[3], hold.ID)
	r.Booking.ClientEmail = "ANN@example.com"
	if err := e.desk.Book(ctx, r); !errors.Is(err, booking.ErrTooManyUpcoming) {
		t.Fatalf("a fourth upcoming booking: %v, want ErrTooManyUpcoming", err)
	}
	if held, err := e.desk.HeldBy(ctx, owner("ann")); err != nil || held.ID != hold.ID {
		t.Errorf("after the refusal the hold is %+v (%v), want it kept", held.ID, err)
	}
	// Another address books as usual.
	if _, err := e.bookAs("bob", "bob@example.com", times[4]); err != nil {
		t.Errorf("another address: %v", err)
	}
	// Cancelling one makes room.
	if err := e.desk.CancelByClient(ctx, ids[1], ""); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.Book(ctx, r); err != nil {
		t.Errorf("after a cancellation, the held time: %v, want booked", err)
	}
	if _, err := e.bookAs("ann", "ann@example.com", times[5]); !errors.Is(err, booking.ErrTooManyUpcoming) {
		t.Errorf("again a fourth: %v, want ErrTooManyUpcoming", err)
	}
	// Once the first has begun, it is no longer upcoming.
	e.clk.Set(times[0].Add(time.Minute))
	if _, err := e.bookAs("ann", "ann@example.com", times[5]); err != nil {
		t.Errorf("after the first appointment began: %v, want booked", err)
	}
}

// Ten bookings for one address at once, at ten different times: exactly
// three are made, the others refused with ErrTooManyUpcoming, never an
// error of the database.
func TestThreeUpcomingPerAddressConcurrently(t *testing.T) {
	e := newEnv(t, london(2026, 12, 12, 23, 30))
	times := e.apart(t, 10)
	errs := make([]error, len(times))
	var wg sync.WaitGroup
	for i, start := range times {
		wg.Go(func() { _, errs[i] = e.bookAs(fmt.Sprintf("twin%d", i), "Same@Example.com", start) })
	}
	wg.Wait()
	booked := 0
	for i, err := range errs {
		switch {
		case err == nil:
			booked++
		case !errors.Is(err, booking.ErrTooManyUpcoming):
			t.Errorf("booking %d: %v, want booked or ErrTooManyUpcoming", i, err)
		}
	}
	var rows int
	if err := e.bdb.NewRaw("SELECT count(*) FROM bookings WHERE lower(client_email) = 'same@example.com' AND status = 'confirmed'").
		Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	if booked != booking.MaxUpcomingPerEmail || rows != booking.MaxUpcomingPerEmail {
		t.Errorf("%d booked (%d rows), want exactly %d", booked, rows, booking.MaxUpcomingPerEmail)
	}
}

// Past the day's ceiling, bookings to new addresses are made but their
// confirmations are held; the practice's own notice goes as usual. An
// address the practice knows (a booking she made herself, or one made
// online on an earlier day whose mail went) is not counted and its mail
// goes. The client's later mail about a held booking (a move, a
// cancellation) is held too, until she sends it; once she deletes it, none
// is written.
func TestNewAddressCeiling(t *testing.T) {
	e := newEnv(t, london(2026, 12, 8, 10, 0))
	ctx := context.Background()
	e.setCeiling(t, 2)
	times := e.apart(t, 9)

	// Yesterday, Kim booked online (mail sent); today she is known.
	e.clk.Set(london(2026, 12, 7, 18, 0))
	if _, err := e.bookAs("kim", "kim@example.com", times[8]); err != nil {
		t.Fatal(err)
	}
	// A booking the therapist made by hand makes Pat known at once.
	e.clk.Set(london(2026, 12, 8, 10, 0))
	err := e.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		b := booking.NewBooking(e.svc, db.PlaceStudio, times[7], e.rules)
		b.ClientName, b.ClientEmail, b.ManageTokenHash = "Pat", "pat@example.com", owner("pat")
		return e.desk.BookByHand(ctx, tx, b, true, "https://dm.example/bookings/p")
	})
	if err != nil {
		t.Fatal(err)
	}

	var held []db.Booking
	for i, who := range []string{"new1", "new2", "new3", "new4"} {
		b, err := e.bookAs(who, who+"@example.com", times[i])
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if i >= 2 {
			held = append(held, b)
		}
	}
	if _, err := e.bookAs("kim", "KIM@example.com", times[4]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bookAs("pat", "pat@example.com", times[5]); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"kim@example.com": db.OutboxQueued, "KIM@example.com": db.OutboxQueued, "pat@example.com": db.OutboxQueued,
		"new1@example.com": db.OutboxQueued, "new2@example.com": db.OutboxQueued,
		"new3@example.com": db.OutboxHeld, "new4@example.com": db.OutboxHeld,
	}
	if got := e.confirmations(t); !maps.Equal(got, want) {
		t.Errorf("confirmations: %v\nwant %v", got, want)
	}
	if got := e.outbox(t, held[0].ID); !slices.Equal(got, []string{"booking_confirmed", "practice_new_booking"}) {
		t.Errorf("mail of a held booking: %v, want the confirmation (held) and the practice's notice", got)
	}
	if n, err := db.NewAddressBookingsOn(ctx, e.bdb, booking.BusinessDay(e.clk.Now())); err != nil || n != 4 {
		t.Errorf("%d bookings to new addresses counted today (%v), want 4", n, err)
	}
	if n, err := db.HeldConfirmationsOn(ctx, e.bdb, booking.BusinessDay(e.clk.Now())); err != nil || n != 2 {
		t.Errorf("%d held confirmations today (%v), want 2", n, err)
	}
	// Nothing is enqueued to send a held message.
	var jobs int
	if err := e.bdb.NewRaw(`SELECT count(*) FROM river_job WHERE kind = 'send_mail'
		AND (args->>'outbox_id')::bigint IN (SELECT id FROM outbox WHERE status = 'held')`).Scan(ctx, &jobs); err != nil || jobs != 0 {
		t.Errorf("%d jobs send held messages (%v), want none", jobs, err)
	}

	// new3's booking is moved and then cancelled by the practice: the
	// client's news is held with the confirmation.
	to := times[6]
	if err := e.desk.Move(ctx, held[0], to, e.rules, "https://dm.example/bookings/x"); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.CancelByPractice(ctx, held[0].ID, "Not a real client"); err != nil {
		t.Fatal(err)
	}
	status := func(id int64) map[string]string {
		var ms []db.OutboxMessage
		if err := e.bdb.NewSelect().Model(&ms).ExcludeColumn("message").Where("booking_id = ?", id).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, m := range ms {
			out[m.Kind] = m.Status
		}
		return out
	}
	if got := status(held[0].ID); got["booking_moved"] != db.OutboxHeld || got["booking_cancelled"] != db.OutboxHeld ||
		got["practice_booking_cancelled"] != db.OutboxQueued {
		t.Errorf("mail about a held booking after a move and a cancellation: %v", got)
	}

	// She sends what she saw of new3's; deletes new4's.
	list, err := db.ListHeldMail(ctx, e.bdb, 100)
	if err != nil || len(list) != 4 {
		t.Fatalf("held mail: %d (%v), want 4", len(list), err)
	}
	var upto int64
	for _, m := range list {
		if m.BookingID == held[0].ID {
			upto = max(upto, m.ID)
		}
	}
	sent, err := e.q.ReleaseHeld(ctx, upto, held[0].ID)
	if err != nil || sent != 3 {
		t.Fatalf("released %d (%v), want 3", sent, err)
	}
	if got := status(held[0].ID); got["booking_confirmed"] != db.OutboxQueued || got["booking_cancelled"] != db.OutboxQueued {
		t.Errorf("after release: %v", got)
	}
	if err := e.bdb.NewRaw(`SELECT count(*) FROM river_job WHERE kind = 'send_mail'
		AND (args->>'outbox_id')::bigint IN (SELECT id FROM outbox WHERE booking_id = ? AND kind LIKE 'booking_%')`, held[0].ID).Scan(ctx, &jobs); err != nil || jobs != 3 {
		t.Errorf("%d jobs send the released messages (%v), want 3", jobs, err)
	}
	dropped, err := e.q.DropHeld(ctx, list[len(list)-1].ID, 0)
	if err != nil || dropped != 1 {
		t.Fatalf("dropped %d (%v), want 1", dropped, err)
	}
	if err := e.desk.CancelByPractice(ctx, held[1].ID, "Not a real client"); err != nil {
		t.Fatal(err)
	}
	if got := status(held[1].ID); len(got) != 2 || got["practice_new_booking"] == "" || got["practice_booking_cancelled"] == "" {
		t.Errorf("mail about a booking whose held mail was deleted: %v, want the practice's only", got)
	}
	if list, err := db.ListHeldMail(ctx, e.bdb, 100); err != nil || len(list) != 0 {
		t.Errorf("still held: %v (%v)", list, err)
	}
}

// The ceiling counts the practice's day in London, on the desk's clock:
// midnight in London starts a new count, also on the days the clocks
// change (a day of 23 hours in March, of 25 in October), where a day
// counted in UTC would end an hour early or late.
func TestNewAddressCeilingDay(t *testing.T) {
	tests := []struct {
		name          string
		first, second time.Time // second is the same London day as first
		next          time.Time // the next London day
	}{
		{"an ordinary day",
			london(2026, 12, 8, 0, 5), london(2026, 12, 8, 23, 55), london(2026, 12, 9, 0, 5)},
		{"25 October 2026, 25 hours",
			time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), // 00:30 BST on the 25th
			time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC), // 23:30 GMT on the 25th
			time.Date(2026, 10, 26, 0, 10, 0, 0, time.UTC)},
		{"29 March 2026, 23 hours",
			time.Date(2026, 3, 29, 0, 10, 0, 0, time.UTC),   // 00:10 GMT on the 29th
			time.Date(2026, 3, 29, 22, 50, 0, 0, time.UTC),  // 23:50 BST on the 29th
			time.Date(2026, 3, 29, 23, 10, 0, 0, time.UTC)}, // 00:10 BST on the 30th
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Times free after the notice from the last instant.
			e := newEnv(t, tc.next)
			e.setCeiling(t, 1)
			times := e.apart(t, 3)
			book := func(at time.Time, who string, start time.Time) {
				t.Helper()
				e.clk.Set(at)
				if _, err := e.bookAs(who, who+"@example.com", start); err != nil {
					t.Fatalf("%s at %v: %v", who, at, err)
				}
			}
			book(tc.first, "first", times[0])
			book(tc.second, "second", times[1])
			book(tc.next, "next", times[2])
			want := map[string]string{
				"first@example.com": db.OutboxQueued, "second@example.com": db.OutboxHeld, "next@example.com": db.OutboxQueued,
			}
			if got := e.confirmations(t); !maps.Equal(got, want) {
				t.Errorf("confirmations: %v\nwant %v", got, want)
			}
		})
	}
}
