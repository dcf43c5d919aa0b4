package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Waitlist entry statuses. Only waiting and offered entries are on the list.
const (
	WaitlistWaiting = "waiting" // waiting for a time to come free
	WaitlistOffered = "offered" // a time is offered and held for them
	WaitlistBooked  = "booked"  // they booked through an offer
	WaitlistExpired = "expired" // the day went by
	WaitlistRemoved = "removed" // they took themselves off the list
)

// Outcomes of a waitlist offer.
const (
	OfferOpen      = "offered"   // held for them until ExpiresAt
	OfferBooked    = "booked"    // they booked it
	OfferExpired   = "expired"   // not taken in time: offered to the next person
	OfferWithdrawn = "withdrawn" // they left the list while it was open
)

// ErrOfferGone is returned when a waitlist offer can no longer be taken: it
// expired, was booked, or its time was released.
var ErrOfferGone = errors.New("that offer has ended")

// WaitlistEntry is someone waiting for a time on a day at a place.
type WaitlistEntry struct {
	bun.BaseModel `bun:"table:waitlist,alias:w"`

	ID             int64     `bun:"id,pk,autoincrement"`
	ServiceID      int64     `bun:"service_id"`
	Place          string    `bun:"place"`
	Day            time.Time `bun:"day,type:date"` // the London date, as midnight UTC
	EarliestMin    int       `bun:"earliest_min"`  // earliest start, minutes after local midnight
	LatestMin      int       `bun:"latest_min"`    // latest start, likewise (inclusive)
	Name           string    `bun:"name"`
	Email          string    `bun:"email"`
	Postcode       string    `bun:"postcode"`
	Status         string    `bun:"status"`
	LeaveTokenHash []byte    `bun:"leave_token_hash"`
	CreatedAt      time.Time `bun:"created_at,nullzero,default:now()"`

	// The service, read with the entry.
	ServiceName string `bun:"service_name,scanonly"`
	DurationMin int    `bun:"duration_min,scanonly"`
	PricePence  int    `bun:"price_pence,scanonly"`
}

// WaitlistOffer is a time offered to a waitlist entry.
type WaitlistOffer struct {
	bun.BaseModel `bun:"table:waitlist_offers,alias:o"`

	ID        int64     `bun:"id,pk,autoincrement"`
	EntryID   int64     `bun:"entry_id"`
	StartsAt  time.Time `bun:"starts_at"`
	HoldID    int64     `bun:"hold_id"`
	TokenHash []byte    `bun:"token_hash"`
	ExpiresAt time.Time `bun:"expires_at"`
	Outcome   string    `bun:"outcome"`
	BookingID *int64    `bun:"booking_id"`
	TakenBy   []byte    `bun:"taken_by"` // the hold owner of the visitor who last took it through its link
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
}

// LockDiaryAndClearExpiredHolds takes the lock every transaction that takes
// time holds (see BookingLockKey) for the rest of tx, and deletes the holds
// whose time is up at now: after it, tx sees the diary as it is and nobody
// else changes it.
func LockDiaryAndClearExpiredHolds(ctx context.Context, tx bun.Tx, now time.Time) error {
	return releaseExpiredHolds(ctx, tx, now)
}

// entryQuery reads entries with their service.
const entryQuery = `SELECT w.*, s.name AS service_name, s.duration_min, s.price_pence
	FROM waitlist AS w JOIN services AS s ON s.id = w.service_id `

// AddToWaitlist puts e on the waitlist and reports whether it was added:
// someone already waiting with that e-mail address for that day, place and
// service is not added twice (added is false, e untouched).
func AddToWaitlist(ctx context.Context, idb bun.IDB, e *WaitlistEntry) (added bool, err error) {
	e.Status = WaitlistWaiting
	res, err := idb.NewInsert().Model(e).ExcludeColumn("id", "created_at").
		On("CONFLICT (lower(email), day, place, service_id) WHERE status IN ('waiting', 'offered') DO NOTHING").
		Returning("id, created_at").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// WaitingOn returns the entries still waiting (none open offer) for day,
// first come first.
func WaitingOn(ctx context.Context, idb bun.IDB, day time.Time) ([]WaitlistEntry, error) {
	var es []WaitlistEntry
	err := idb.NewRaw(entryQuery+`WHERE w.day = ? AND w.status = 'waiting' ORDER BY w.id`,
		day.Format(time.DateOnly)).Scan(ctx, &es)
	return es, err
}

// WaitingDays returns the days from today (a London date) on which someone
// is waiting.
func WaitingDays(ctx context.Context, idb bun.IDB, today time.Time) ([]time.Time, error) {
	var days []time.Time
	err := idb.NewRaw(`SELECT DISTINCT day FROM waitlist WHERE status = 'waiting' AND day >= ? ORDER BY day`,
		today.Format(time.DateOnly)).Scan(ctx, &days)
	return days, err
}

// EndPastWaits marks the entries of days before today (a London date)
// expired, and deletes entries (with their offers) whose day is more than
// keep ago: the list keeps no one's name and address longer than it needs.
func EndPastWaits(ctx context.Context, idb bun.IDB, today time.Time, keep time.Duration) error {
	d := today.Format(time.DateOnly)
	if _, err := idb.NewRaw(`UPDATE waitlist SET status = 'expired' WHERE status = 'waiting' AND day < ?`, d).Exec(ctx); err != nil {
		return err
	}
	_, err := idb.NewRaw(`DELETE FROM waitlist WHERE day < ?::date - ?::int`, d, int(keep/(24*time.Hour))).Exec(ctx)
	return err
}

// OfferedStarts returns the starts ever offered to entry id: one not taken
// is not offered to them again.
func OfferedStarts(ctx context.Context, idb bun.IDB, id int64) ([]time.Time, error) {
	var ts []time.Time
	err := idb.NewRaw(`SELECT starts_at FROM waitlist_offers WHERE entry_id = ?`, id).Scan(ctx, &ts)
	return ts, err
}

// CreateOffer holds hold's time for a waitlist entry and records offer o of
// it: the hold is inserted (ErrSlotTaken if the time is not free), o gets
// its id, and the entry is marked offered; the hold is made at now (the
// notice of a booking that takes it counts from then). Call it after
// LockDiaryAndClearExpiredHolds in tx.
func CreateOffer(ctx context.Context, tx bun.Tx, hold *Booking, o *WaitlistOffer, now time.Time) error {
	hold.Status, hold.CreatedAt = BookingHeld, now
	if _, err := tx.NewInsert().Model(hold).ExcludeColumn("id").Returning("id, created_at").Exec(ctx); err != nil {
		return slotTaken(err)
	}
	o.HoldID, o.Outcome, o.StartsAt = hold.ID, OfferOpen, hold.StartsAt
	if _, err := tx.NewInsert().Model(o).ExcludeColumn("id", "created_at").Returning("id, created_at").Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewRaw(`UPDATE waitlist SET status = 'offered' WHERE id = ?`, o.EntryID).Exec(ctx)
	return err
}

// ExpireOffer ends offer id if it is still open: its hold is released, it
// is marked expired and its entry waits again (for other times). It returns
// the offer's entry and whether it ended it. Call it after LockDiaryAndClearExpiredHolds in tx.
func ExpireOffer(ctx context.Context, tx bun.Tx, id int64) (WaitlistEntry, bool, error) {
	return endOffer(ctx, tx, "o.id = ?", id, OfferExpired, WaitlistWaiting)
}

// endOffer ends the open offer that where finds, as outcome, and gives its
// entry status.
func endOffer(ctx context.Context, tx bun.Tx, where string, arg any, outcome, status string) (WaitlistEntry, bool, error) {
	var o WaitlistOffer
	err := tx.NewSelect().Model(&o).Where(where, arg).Where("o.outcome = 'offered'").For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return WaitlistEntry{}, false, nil
	}
	if err != nil {
		return WaitlistEntry{}, false, err
	}
	if _, err := tx.NewRaw(`DELETE FROM bookings WHERE id = ? AND status = 'held'`, o.HoldID).Exec(ctx); err != nil {
		return WaitlistEntry{}, false, err
	}
	if _, err := tx.NewRaw(`UPDATE waitlist_offers SET outcome = ? WHERE id = ?`, outcome, o.ID).Exec(ctx); err != nil {
		return WaitlistEntry{}, false, err
	}
	var e WaitlistEntry
	err = tx.NewRaw(`UPDATE waitlist SET status = ? WHERE id = ? AND status = 'offered' RETURNING *`, status, o.EntryID).Scan(ctx, &e)
	if errors.Is(err, sql.ErrNoRows) { // the entry moved on meanwhile
		err = tx.NewSelect().Model(&e).Where("w.id = ?", o.EntryID).Scan(ctx)
	}
	return e, true, err
}

// OfferByToken returns the offer whose link token has tokenHash, with its
// entry, or sql.ErrNoRows.
func OfferByToken(ctx context.Context, idb bun.IDB, tokenHash []byte) (WaitlistOffer, WaitlistEntry, error) {
	var o WaitlistOffer
	if err := idb.NewSelect().Model(&o).Where("o.token_hash = ?", tokenHash).Scan(ctx); err != nil {
		return o, WaitlistEntry{}, err
	}
	e, err := WaitlistEntryByID(ctx, idb, o.EntryID)
	return o, e, err
}

// WaitlistEntryByID returns one entry with its service, or sql.ErrNoRows.
func WaitlistEntryByID(ctx context.Context, idb bun.IDB, id int64) (WaitlistEntry, error) {
	var es []WaitlistEntry
	if err := idb.NewRaw(entryQuery+`WHERE w.id = ?`, id).Scan(ctx, &es); err != nil {
		return WaitlistEntry{}, err
	}
	if len(es) == 0 {
		return WaitlistEntry{}, sql.ErrNoRows
	}
	return es[0], nil
}

// WaitlistEntryByToken returns the entry that a leave link's token (made
// when they joined) or any of its offers' tokens has tokenHash for, or
// sql.ErrNoRows.
func WaitlistEntryByToken(ctx context.Context, idb bun.IDB, tokenHash []byte) (WaitlistEntry, error) {
	var es []WaitlistEntry
	err := idb.NewRaw(entryQuery+`WHERE w.leave_token_hash = ?
		OR w.id = (SELECT entry_id FROM waitlist_offers WHERE token_hash = ?)`, tokenHash, tokenHash).Scan(ctx, &es)
	if err != nil {
		return WaitlistEntry{}, err
	}
	if len(es) == 0 {
		return WaitlistEntry{}, sql.ErrNoRows
	}
	return es[0], nil
}

// TakeOffer gives the visitor owner the hold of open offer id, so that the
// booking form confirms it as theirs; any other hold of owner's is given
// up (one hold per visitor). The offer remembers owner as its taker (see
// OfferTaken). An offer that expired, was booked or whose hold is gone is
// ErrOfferGone.
func TakeOffer(ctx context.Context, idb bun.IDB, id int64, owner []byte, now time.Time) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := LockDiaryAndClearExpiredHolds(ctx, tx, now); err != nil {
			return err
		}
		var o WaitlistOffer
		err := tx.NewSelect().Model(&o).Where("o.id = ? AND o.outcome = 'offered' AND o.expires_at > ?", id, now).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrOfferGone
		}
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM bookings WHERE status = 'held' AND hold_owner = ? AND id <> ?`, owner, o.HoldID).Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewRaw(`UPDATE bookings SET hold_owner = ? WHERE id = ? AND status = 'held'`, owner, o.HoldID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrOfferGone
		}
		_, err = tx.NewRaw(`UPDATE waitlist_offers SET taken_by = ? WHERE id = ?`, owner, o.ID).Exec(ctx)
		return err
	})
}

// OfferForHold returns the open offer whose hold is holdID, with its entry,
// or sql.ErrNoRows.
func OfferForHold(ctx context.Context, idb bun.IDB, holdID int64) (WaitlistOffer, WaitlistEntry, error) {
	var o WaitlistOffer
	if err := idb.NewSelect().Model(&o).Where("o.hold_id = ? AND o.outcome = 'offered'", holdID).Scan(ctx); err != nil {
		return o, WaitlistEntry{}, err
	}
	e, err := WaitlistEntryByID(ctx, idb, o.EntryID)
	return o, e, err
}

// OfferTaken records, in the transaction that confirmed booking b from the
// hold holdID of the visitor owner, that they are done with the waitlist
// entries it answers: the entry whose open offer's hold was holdID, and
// any entry for b's day (in London), place and service with an offer that
// owner took through its link, although they then booked another time (the
// offer's hold was given up when they held that one). Those entries are
// booked; their open offers end as booked with b, and any hold an offer
// still had is released: freed are the starts of the times that frees, to
// be offered to the next person.
func OfferTaken(ctx context.Context, idb bun.IDB, owner []byte, holdID int64, b Booking) (freed []time.Time, err error) {
	var ids []int64
	err = idb.NewRaw(`SELECT DISTINCT w.id FROM waitlist AS w JOIN waitlist_offers AS o ON o.entry_id = w.id
		WHERE w.status IN ('waiting', 'offered')
		  AND ((o.outcome = 'offered' AND o.hold_id = ?)
		    OR (o.taken_by = ? AND w.day = (?::timestamptz AT TIME ZONE 'Europe/London')::date
		        AND w.place = ? AND w.service_id = ?))`,
		holdID, owner, b.StartsAt, b.Place, b.ServiceID).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var holds []int64
	err = idb.NewRaw(`UPDATE waitlist_offers SET outcome = 'booked', booking_id = ?
		WHERE entry_id IN (?) AND outcome = 'offered' RETURNING hold_id`, b.ID, bun.List(ids)).Scan(ctx, &holds)
	if err != nil {
		return nil, err
	}
	if len(holds) > 0 {
		if err := idb.NewRaw(`DELETE FROM bookings WHERE id IN (?) AND status = 'held' RETURNING starts_at`,
			bun.List(holds)).Scan(ctx, &freed); err != nil {
			return nil, err
		}
	}
	_, err = idb.NewRaw(`UPDATE waitlist SET status = 'booked' WHERE id IN (?)`, bun.List(ids)).Exec(ctx)
	return freed, err
}

// LeaveWaitlist takes entry id off the list. An open offer is withdrawn and
// its hold released: freed reports that, so that the caller can offer the
// time to the next person in the same transaction. Leaving twice is no
// error.
func LeaveWaitlist(ctx context.Context, tx bun.Tx, id int64, now time.Time) (freed bool, err error) {
	if err := LockDiaryAndClearExpiredHolds(ctx, tx, now); err != nil {
		return false, err
	}
	_, freed, err = endOffer(ctx, tx, "o.entry_id = ?", id, OfferWithdrawn, WaitlistRemoved)
	if err != nil {
		return false, err
	}
	_, err = tx.NewRaw(`UPDATE waitlist SET status = 'removed' WHERE id = ? AND status IN ('waiting', 'offered')`, id).Exec(ctx)
	return freed, err
}
