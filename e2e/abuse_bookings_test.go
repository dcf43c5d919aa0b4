package e2e

// Issue 15, item 5: the site mails strangers. One client address tries 30
// bookings to 30 made-up e-mail addresses within a minute. At most 5 are
// made (5 an hour per address); the rest are refused with the friendly
// answer (429, Retry-After, the practice's phone number, the form kept).
// Of the bookings made, at most the day's ceiling of confirmations to new
// addresses is queued for sending; the rest are held for the therapist,
// with no job to send them. A bystander elsewhere books as usual, and the
// home page keeps its budget throughout.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dynamicmotion/db"
)

// seededPhone is the demo practice's phone number (db.Seed), which the
// refusals give.
const seededPhone = "01480 000000"

func TestAbuseBookingsToStrangers(t *testing.T) {
	const (
		attempts = 30
		workers  = 6           // the attacker's requests in flight at once
		pace     = time.Second // each worker's pause between requests: 30 in about 5 s
		ceiling  = 3           // confirmations a day to new addresses, set as the therapist would
		perHour  = 5           // bookings an address may make in an hour (handlers.newBookingsPerHour)
	)
	a := startAbuseTarget(t, nil)
	ctx := context.Background()
	bdb, err := db.Open(ctx, a.dsn, db.Options{MaxOpenConns: 2, AppName: "e2e-abuse-bookings"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	// Lower than the default (20), so that 5 bookings pass it.
	if err := db.SetNewAddressesPerDay(ctx, bdb, ceiling); err != nil {
		t.Fatal(err)
	}

	attacker := visitorAt(t, a.origin, "203.0.113.66")
	service, offered := freeStudioTimes(t, attacker, 300)
	// Times two hours apart, from the day after the first (see
	// TestFaultPostgresRestartUnderLoad): every one stays bookable while the
	// test runs, and none blocks another.
	starts := apart(t, offered[dayAfterFirst(t, offered):], 2*time.Hour)
	if len(starts) < attempts+1 {
		t.Fatalf("only %d free studio times two hours apart; the test needs %d", len(starts), attempts+1)
	}
	page, err := attacker.do("GET", "/book", nil, nil)
	if err != nil || page.status != http.StatusOK {
		t.Fatalf("GET /book: %v %d", err, page.status)
	}

	type result struct {
		email string
		ans   answer
		err   error
	}
	results := make([]result, attempts)
	a.underAttack(t, fmt.Sprintf("%d bookings to made-up addresses from one address", attempts), func() {
		next := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := range next {
					email := fmt.Sprintf("stranger-%02d@example.net", i)
					form := bookingForm(service, starts[i], fmt.Sprintf("Stranger %d", i), email)
					ans, err := attacker.do("POST", "/book", form, nil)
					results[i] = result{email: email, ans: ans, err: err}
					time.Sleep(pace) // the script's pace, not a wait for anything
				}
			})
		}
		for i := range attempts {
			next <- i
		}
		close(next)
		wg.Wait()
	})

	booked, refused := 0, 0
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("attempt %d: %v", i, r.err)
		case r.ans.status == http.StatusSeeOther && strings.HasPrefix(r.ans.header.Get("Location"), "/bookings/"):
			booked++
		case r.ans.status == http.StatusTooManyRequests:
			refused++
			if wait, err := strconv.Atoi(r.ans.header.Get("Retry-After")); err != nil || wait <= 0 || wait > 3600 {
				t.Errorf("attempt %d: 429 with Retry-After %q, want the seconds until the hour is up", i, r.ans.header.Get("Retry-After"))
			}
			for _, want := range []string{seededPhone, "everything you typed is kept", `value="` + r.email + `"`} {
				if !strings.Contains(r.ans.body, want) {
					t.Errorf("attempt %d: the 429 lacks %q:\n%s", i, want, abbreviate(r.ans.body, 1500))
					break
				}
			}
		default:
			t.Errorf("attempt %d: %d (Location %q), want 303 or 429:\n%s", i, r.ans.status, r.ans.header.Get("Location"), abbreviate(r.ans.body, 1500))
		}
	}

	// What the database holds: the bookings made, their confirmations
	// queued (each with the job that sends it) or held (with none).
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := bdb.NewRaw(query, args...).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	made := count(`SELECT count(*) FROM bookings WHERE status = 'confirmed' AND client_email LIKE 'stranger-%'`)
	queued := count(`SELECT count(*) FROM outbox WHERE kind = 'booking_confirmed' AND status <> 'held' AND recipient LIKE 'stranger-%'`)
	held := count(`SELECT count(*) FROM outbox WHERE kind = 'booking_confirmed' AND status = 'held' AND recipient LIKE 'stranger-%'`)
	heldJobs := count(`SELECT count(*) FROM river_job WHERE kind = 'send_mail'
		AND (args->>'outbox_id')::bigint IN (SELECT id FROM outbox WHERE status = 'held')`)
	counted := count(`SELECT count(*) FROM new_address_bookings`)
	t.Logf("%d attempts from one address: %d booked, %d refused (429); confirmations %d queued for sending, %d held",
		attempts, booked, refused, queued, held)
	if booked > perHour || made != booked {
		t.Errorf("%d answered booked, %d bookings made; want the same, at most %d", booked, made, perHour)
	}
	if booked == 0 {
		t.Error("no booking was made at all: the limit stops real clients too")
	}
	if booked+refused != attempts {
		t.Errorf("%d booked and %d refused of %d attempts", booked, refused, attempts)
	}
	if queued > ceiling || queued+held != made || held != max(made-ceiling, 0) {
		t.Errorf("confirmations: %d queued, %d held for %d bookings; want at most %d queued (the ceiling) and the rest held", queued, held, made, ceiling)
	}
	if heldJobs != 0 {
		t.Errorf("%d jobs would send held confirmations", heldJobs)
	}
	if counted != made {
		t.Errorf("%d bookings counted against the ceiling, want %d", counted, made)
	}

	// A bystander from elsewhere books as usual (its confirmation waits:
	// the day's ceiling is spent).
	by := newVisitor(t, a.origin, false)
	p, err := by.do("GET", "/book", nil, nil)
	if err != nil || p.status != http.StatusOK {
		t.Fatalf("the bystander's GET /book: %v %d", err, p.status)
	}
	ans, err := by.do("POST", "/book", bookingForm(service, starts[attempts], "Bystander", "bystander@example.org"), nil)
	if err != nil || ans.status != http.StatusSeeOther {
		t.Errorf("the bystander's booking: %v %d, want 303:\n%s", err, ans.status, abbreviate(ans.body, 1500))
	}
}
