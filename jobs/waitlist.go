package jobs

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"dynamicmotion/clock"
	"dynamicmotion/db"
	"dynamicmotion/emails"
	"dynamicmotion/links"
)

// sweepEvery is how often every waiting day is looked at again, for times freed without a cancellation (a hold
// that lapsed, hours added, time off removed).
const sweepEvery = 15 * time.Minute

// Waitlist decides whom a freed time is offered to and holds it for them (package booking's Desk implements it;
// main wires it with SetWaitlist). The workers below only run it at the right moments.
type Waitlist interface {
	// OfferDay offers the free times of day (a London date as midnight UTC) to the people waiting for it.
	OfferDay(ctx context.Context, day time.Time) error
	// OfferWaitingDays does so for every day someone waits for, and ends the waits for days long past.
	OfferWaitingDays(ctx context.Context) error
	// ExpireOffer ends offer id if nobody booked it and offers its time on; ended says whether it was open.
	ExpireOffer(ctx context.Context, id int64) (ended bool, err error)
}

// SetWaitlist gives the queue what its waitlist workers run. Call it before Start.
func (q *Queue) SetWaitlist(w Waitlist) { q.waitlist = w }

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
	return q.Mail(ctx, tx, "waitlist_joined", About{}, emails.WaitlistJoined(p, e, links.LeaveURL(p.SiteURL, leaveToken)))
}

type waitlistOfferWorker struct {
	river.WorkerDefaults[WaitlistOfferArgs]
	q *Queue
}

// Work offers the day's free times (or every waiting day's).
func (w *waitlistOfferWorker) Work(ctx context.Context, job *river.Job[WaitlistOfferArgs]) error {
	if w.q.waitlist == nil {
		return errors.New("jobs: no waitlist set (SetWaitlist)")
	}
	if job.Args.Day == "" {
		return w.q.waitlist.OfferWaitingDays(ctx)
	}
	day, err := time.Parse(time.DateOnly, job.Args.Day)
	if err != nil {
		return river.JobCancel(err)
	}
	return w.q.waitlist.OfferDay(ctx, day)
}

// WaitlistOffered enqueues, in tx, the e-mail that offers o's time to e with the link that books it (token), and
// the end of the offer's hold at o.ExpiresAt.
func (q *Queue) WaitlistOffered(ctx context.Context, tx bun.Tx, e db.WaitlistEntry, o db.WaitlistOffer, token string) error {
	p, err := q.cfg.Practice(ctx, tx)
	if err != nil {
		return err
	}
	m := emails.WaitlistOffer(p, e, o, links.OfferURL(p.SiteURL, token), links.LeaveURL(p.SiteURL, token))
	if err := q.Mail(ctx, tx, "waitlist_offer", About{Offer: o.ID}, m); err != nil {
		return err
	}
	q.log.Info("waitlist time offered", slog.Int64("offer_id", o.ID), slog.Int64("entry_id", e.ID))
	return q.insert(ctx, tx, WaitlistExpireArgs{OfferID: o.ID}, &river.InsertOpts{ScheduledAt: q.when(o.ExpiresAt)})
}

type waitlistExpireWorker struct {
	river.WorkerDefaults[WaitlistExpireArgs]
	q *Queue
}

// Work ends the offer if it is still open (nobody booked it), releasing its hold, and offers the day's free
// times again: to the next person, since the one who let it go is not offered the same time twice.
func (w *waitlistExpireWorker) Work(ctx context.Context, job *river.Job[WaitlistExpireArgs]) error {
	if w.q.waitlist == nil {
		return errors.New("jobs: no waitlist set (SetWaitlist)")
	}
	ended, err := w.q.waitlist.ExpireOffer(ctx, job.Args.OfferID)
	if ended {
		w.q.log.Info("waitlist offer expired", slog.Int64("offer_id", job.Args.OfferID))
	}
	return err
}
