package jobs

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/schedule"
)

// Paths of the waitlist's links, each followed by a token.
const (
	OfferPath = "/book/offer/"          // takes an offered time
	LeavePath = "/book/waitlist/leave/" // takes someone off the waitlist
)

// DefaultOfferHold is how long a freed time is held for the person it is offered to, unless the schedule
// settings say otherwise (offer_hold_min).
const DefaultOfferHold = 2 * time.Hour

// waitlistKeep is how long after its day a waitlist entry is kept.
const waitlistKeep = 30 * 24 * time.Hour

// sweepEvery is how often every waiting day is looked at again, for times freed without a cancellation (a hold
// that lapsed, hours added, time off removed).
const sweepEvery = 15 * time.Minute

var london = clock.Zone // the practice's time zone

// WaitlistOfferArgs is the job that offers the free times of Day (a London date, "2006-01-02") to the people
// waiting for that day, first come first served. An empty Day means every day someone is waiting for.
type WaitlistOfferArgs struct {
	Day string `json:"day,omitempty"`
}

// Kind names the job in River's table.
func (WaitlistOfferArgs) Kind() string { return "waitlist_offer" }

// WaitlistExpireArgs is the job that ends offer OfferID when its hold runs out, and offers the time to the next
// person.
type WaitlistExpireArgs struct {
	OfferID int64 `json:"offer_id"`
}

// Kind names the job in River's table.
func (WaitlistExpireArgs) Kind() string { return "waitlist_offer_expire" }

// OfferFreedTimes enqueues, in tx, the offer of whatever is free on the London dates of the given instants to
// the people waiting for those days. Call it in the transaction of any change that frees time: a cancellation,
// a move (with the old time), more working hours, less time off.
func (q *Queue) OfferFreedTimes(ctx context.Context, tx bun.Tx, at ...time.Time) error {
	var days []string
	for _, t := range at {
		if d := t.In(london).Format(time.DateOnly); !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	for _, d := range days {
		if err := q.insert(ctx, tx, WaitlistOfferArgs{Day: d}, nil); err != nil {
			return err
		}
	}
	return nil
}

// WaitlistJoined enqueues, in tx, the confirmation that entry e is on the waitlist, with its leave link.
func (q *Queue) WaitlistJoined(ctx context.Context, tx bun.Tx, e db.WaitlistEntry, leaveToken string) error {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	return q.Mail(ctx, tx, "waitlist_joined", About{}, emails.WaitlistJoined(p, e, p.SiteURL+LeavePath+leaveToken))
}

type waitlistOfferWorker struct {
	river.WorkerDefaults[WaitlistOfferArgs]
	q *Queue
}

// Work offers the day's free times (or every waiting day's) in one transaction under the booking lock.
func (w *waitlistOfferWorker) Work(ctx context.Context, job *river.Job[WaitlistOfferArgs]) error {
	q := w.q
	if job.Args.Day != "" {
		day, err := time.Parse(time.DateOnly, job.Args.Day)
		if err != nil {
			return river.JobCancel(err)
		}
		return q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return q.offerDay(ctx, tx, day) })
	}
	today := dateOf(q.now())
	if err := db.EndPastWaits(ctx, q.db, today, waitlistKeep); err != nil {
		return err
	}
	days, err := db.WaitingDays(ctx, q.db, today)
	if err != nil {
		return err
	}
	for _, day := range days {
		if err := q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return q.offerDay(ctx, tx, day) }); err != nil {
			return err
		}
	}
	return nil
}

// dateOf is t's London date as midnight UTC, as the waitlist's days are read.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(london).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// offerDay offers, in tx, free times of day (midnight UTC of a London date) to the people waiting for it, first
// come first served: each in turn gets the first free start in their window that they have not been offered
// before, held for them (so it is offered to no one else, and the picker no longer shows it), and an e-mail with
// the link that books it. A time is only offered if it can still be booked when the hold ends (the notice counts
// from then). Everything is read and written under the booking lock, so a time offered is free.
func (q *Queue) offerDay(ctx context.Context, tx bun.Tx, day time.Time) error {
	if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, q.now()); err != nil {
		return err
	}
	entries, err := db.WaitingOn(ctx, tx, day)
	if err != nil || len(entries) == 0 {
		return err
	}
	rules, err := db.LoadRules(ctx, tx)
	if err != nil {
		return err
	}
	rules.Settings.Location = london
	hold := q.cfg.OfferHold // tests set it; else the therapist's setting
	if hold == 0 {
		hold = time.Duration(rules.Schedule.OfferHoldMin) * time.Minute
	}
	if hold <= 0 {
		hold = DefaultOfferHold
	}
	now := q.now()
	for _, e := range entries {
		start, ok, err := q.firstFree(ctx, tx, rules, e, now, hold)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := q.offer(ctx, tx, rules, e, start, now.Add(hold)); err != nil {
			return err
		}
	}
	return nil
}

// firstFree is the first free start in e's window not offered to e before.
func (q *Queue) firstFree(ctx context.Context, tx bun.Tx, r db.Rules, e db.WaitlistEntry, now time.Time, hold time.Duration) (time.Time, bool, error) {
	y, m, d := e.Day.Date()
	from := time.Date(y, m, d, e.EarliestMin/60, e.EarliestMin%60, 0, 0, london)
	to := time.Date(y, m, d, e.LatestMin/60, e.LatestMin%60, 0, 0, london).Add(time.Minute) // the latest start counts
	if lo := now.Add(hold + r.Settings.Notice); from.Before(lo) {
		from = lo
	}
	if !from.Before(to) {
		return time.Time{}, false, nil
	}
	req, err := db.SlotRequest(ctx, tx, r, time.Duration(e.DurationMin)*time.Minute, e.Place, from, to, nil, now)
	if err != nil {
		return time.Time{}, false, err
	}
	before, err := db.OfferedStarts(ctx, tx, e.ID)
	if err != nil {
		return time.Time{}, false, err
	}
	// Nothing that overlaps a time they let go already: the same gap again a
	// quarter of an hour later is the same offer, and the next person waits.
	dur := time.Duration(e.DurationMin) * time.Minute
	for _, s := range schedule.Slots(req) {
		if !slices.ContainsFunc(before, func(b time.Time) bool { return s.Before(b.Add(dur)) && b.Before(s.Add(dur)) }) {
			return s, true, nil
		}
	}
	return time.Time{}, false, nil
}

// offer holds start for e until expires, records the offer, and enqueues its e-mail and its expiry, all in tx.
func (q *Queue) offer(ctx context.Context, tx bun.Tx, r db.Rules, e db.WaitlistEntry, start, expires time.Time) error {
	token := newToken()
	dur := time.Duration(e.DurationMin) * time.Minute
	blocked := schedule.Blocked(start, dur, schedule.Place(e.Place), r.Settings)
	hold := &db.Booking{
		ServiceID: e.ServiceID, Place: e.Place, StartsAt: start, EndsAt: start.Add(dur),
		BlockedFrom: blocked.Start, BlockedTo: blocked.End,
		HoldOwner: db.HashToken(token), HoldExpiresAt: &expires, Postcode: e.Postcode,
		ServiceName: e.ServiceName, DurationMin: e.DurationMin, PricePence: e.PricePence, CreatedAt: q.now(),
	}
	o := &db.WaitlistOffer{EntryID: e.ID, TokenHash: db.HashToken(token), ExpiresAt: expires}
	if err := db.CreateOffer(ctx, tx, hold, o); err != nil {
		return err
	}
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	m := emails.WaitlistOffer(p, e, *o, p.SiteURL+OfferPath+token, p.SiteURL+LeavePath+token)
	if err := q.Mail(ctx, tx, "waitlist_offer", About{Offer: o.ID}, m); err != nil {
		return err
	}
	q.log.Info("waitlist time offered", slog.Int64("offer_id", o.ID), slog.Int64("entry_id", e.ID))
	return q.insert(ctx, tx, WaitlistExpireArgs{OfferID: o.ID}, &river.InsertOpts{ScheduledAt: q.when(expires)})
}

type waitlistExpireWorker struct {
	river.WorkerDefaults[WaitlistExpireArgs]
	q *Queue
}

// Work ends the offer if it is still open (nobody booked it), releasing its hold, and offers the day's free
// times again: to the next person, since the one who let it go is not offered the same time twice.
func (w *waitlistExpireWorker) Work(ctx context.Context, job *river.Job[WaitlistExpireArgs]) error {
	q := w.q
	return q.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, q.now()); err != nil {
			return err
		}
		e, ended, err := db.ExpireOffer(ctx, tx, job.Args.OfferID)
		if err != nil || !ended {
			return err
		}
		q.log.Info("waitlist offer expired", slog.Int64("offer_id", job.Args.OfferID))
		return q.offerDay(ctx, tx, e.Day)
	})
}
