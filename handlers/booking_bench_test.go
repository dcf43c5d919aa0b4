package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"dynamicmotion/booking"
	"dynamicmotion/db"
	"dynamicmotion/schedule"
	"dynamicmotion/views"
)

// The booking benchmarks run in-process (no network) through the whole
// middleware chain, the templates and PostgreSQL. Each leaves the database
// as it found it: the rows it adds carry an email address of its own and
// are deleted at the end.

// benchEmail is a client address no test uses; the bookings made with it
// are deleted when the benchmark ends.
func benchEmail(b *testing.B) string {
	email := "bench-" + unique() + "@example.com"
	b.Cleanup(func() { deleteBookingsOf(b, email) })
	return email
}

// deleteBookingsOf deletes the bookings of email and of its variants
// (bench-x+1@example.com…).
func deleteBookingsOf(b *testing.B, email string) {
	if _, err := seededDB(b).NewRaw("DELETE FROM bookings WHERE client_email = ? OR client_email LIKE ?",
		email, strings.Replace(email, "@", "+%@", 1)).Exec(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// busyWeek fills the week of monday (YYYY-MM-DD) with bookings, as a busy
// diary has them: a 60-minute studio session every two hours from 09:00,
// and on Tuesdays and Thursdays a mobile visit (with its travel time) in the
// afternoon instead. It returns how many it stored; times already taken are
// left as they are.
func busyWeek(b *testing.B, s *testServer, monday, email string) int {
	ctx := context.Background()
	r, err := s.h.bookingRules(ctx)
	if err != nil {
		b.Fatal(err)
	}
	svc := bookingServices(b)[1] // 60 minutes
	day0, err := time.ParseInLocation(time.DateOnly, monday, r.Settings.Location)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for d := range 6 {
		day := day0.AddDate(0, 0, d)
		last := 17
		if day.Weekday() == time.Saturday {
			last = 12
		}
		for h := 9; h < last; h += 2 {
			place := db.PlaceStudio
			if (day.Weekday() == time.Tuesday || day.Weekday() == time.Thursday) && h == 13 {
				place = db.PlaceMobile
			}
			start := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, r.Settings.Location).UTC()
			bk := booking.NewBooking(svc, place, start, r)
			var hash [32]byte
			rand.Read(hash[:])
			now := clk.Now()
			bk.Status, bk.ManageTokenHash, bk.ClientName, bk.ClientEmail, bk.ConfirmedAt = db.BookingConfirmed, hash[:], "Busy Diary", email, &now
			if place == db.PlaceMobile {
				bk.Address, bk.Postcode = "1 Example Road", "PE27 5AB"
			}
			_, err := seededDB(b).NewInsert().Model(bk).ExcludeColumn("id", "created_at").Exec(ctx)
			var pgErr pgdriver.Error
			switch {
			case errors.As(err, &pgErr) && pgErr.Field('C') == "23P01":
			case err != nil:
				b.Fatal(err)
			default:
				n++
			}
		}
	}
	return n
}

// BenchmarkSlotPicker is the cost of one day's picker as htmx asks for it
// (GET /book/slots with HX-Request) in a busy week: the diary's version
// read, the free times (kept per instance while the diary does not change,
// see booking.Desk.FreeTimes), the strip and the day's times rendered.
// "32 at once" runs 32 requests at a time and reports the 99th percentile
// of their latencies, the figure the budget is about (under 10 ms).
func BenchmarkSlotPicker(b *testing.B) {
	runAt(b, epoch)
	s := newTestServer(b, nil)
	week := weekAfter(5)
	if n := busyWeek(b, s, week, benchEmail(b)); n < 20 {
		b.Fatalf("only %d bookings in the busy week", n)
	}
	monday, _ := time.ParseInLocation(time.DateOnly, week, views.London)
	target := slotsURL(bookingServices(b)[0].ID, db.PlaceStudio, "") + "&date=" + monday.AddDate(0, 0, 2).Format(time.DateOnly)
	get := func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("HX-Request", "true")
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", target, rec.Code)
		}
	}
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b)
		}
	})
	b.Run("32 at once", func(b *testing.B) {
		var mu sync.Mutex
		var took []time.Duration
		b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				t0 := time.Now()
				get(b)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
		slices.Sort(took)
		if len(took) > 0 {
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		}
	})
}

// benchTimes returns free 30-minute studio times from the notice (plus an
// hour, so that none falls out of it during a run) to the horizon, none of
// which blocks another: each can be booked, in any order.
func benchTimes(b *testing.B, s *testServer, svc db.Service) []string {
	ctx := context.Background()
	r, err := s.h.bookingRules(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := clk.Now()
	slots, err := s.h.freeSlots(ctx, r, svc, db.PlaceStudio, now.Add(r.Settings.Notice+time.Hour), now.Add(r.Settings.Horizon-time.Hour), nil, now)
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	var until time.Time
	for _, t := range slots {
		blocked := schedule.Blocked(t, time.Duration(svc.DurationMin)*time.Minute, schedule.Studio, r.Settings)
		if blocked.Start.Before(until) {
			continue
		}
		out = append(out, t.Format(time.RFC3339))
		until = blocked.End
	}
	if len(out) < 50 {
		b.Fatalf("only %d free times to book", len(out))
	}
	return out
}

// BenchmarkBook is bookings per second through POST /book, each a new
// visitor booking a different free time, rate limits lifted: "direct" is
// the form posted straight to /book (the handler holds the time and
// confirms it: the re-check, two transactions, the session), "hold+book"
// the browser's two steps, POST /book/hold then POST /book. When the free
// times run out, the run's bookings are deleted (timer stopped) and the
// times used again.
func BenchmarkBook(b *testing.B) {
	for _, withHold := range []bool{false, true} {
		name := "direct"
		if withHold {
			name = "hold+book"
		}
		b.Run(name, func(b *testing.B) {
			s := newTestServer(b, nil)
			s.h.limits.booking = newRateLimit(1<<30, time.Hour)
			s.h.limits.newBooking = newRateLimit(1<<30, time.Hour)
			svc := bookingServices(b)[0]
			email := benchEmail(b)
			times := benchTimes(b, s, svc)

			post := func(path string, f url.Values, cookies ...*http.Cookie) *http.Response {
				req := postForm(path, f)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				s.e.ServeHTTP(rec, req)
				if rec.Code != http.StatusSeeOther {
					b.Fatalf("POST %s %s = %d\n%.2000s", path, f.Get("start"), rec.Code, rec.Body.String())
				}
				return rec.Result()
			}

			next := 0
			for b.Loop() {
				if next == len(times) {
					b.StopTimer()
					deleteBookingsOf(b, email)
					next = 0
					b.StartTimer()
				}
				start := times[next]
				next++
				var session []*http.Cookie
				if withHold {
					for _, c := range post("/book/hold", holdForm(svc.ID, db.PlaceStudio, start)).Cookies() {
						if c.Name == "session" {
							session = append(session, c)
						}
					}
				}
				f := detailsForm(svc.ID, db.PlaceStudio, start)
				// An address of its own for each (one address has three
				// bookings to come at most).
				f.Set("email", strings.Replace(email, "@", "+"+strconv.Itoa(next)+"@", 1))
				post("/book", f, session...)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
		})
	}
}
