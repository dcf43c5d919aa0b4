package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Places an appointment can happen.
const (
	PlaceStudio = "studio"
	PlaceMobile = "mobile"
)

// Booking statuses. Only held and confirmed bookings take up time.
const (
	BookingHeld      = "held"
	BookingConfirmed = "confirmed"
	BookingCancelled = "cancelled"
	BookingCompleted = "completed"
	BookingNoShow    = "no_show"
)

// ErrSlotTaken is returned when a time overlaps a booking or hold made
// first: PostgreSQL's exclusion constraint said no (SQLSTATE 23P01).
var ErrSlotTaken = errors.New("that time was just taken")

// MaxHoldsPerAddress is how many times one client address may hold at once.
const MaxHoldsPerAddress = 3

// ErrTooManyHolds is returned by HoldSlot when the hold's address already
// holds MaxHoldsPerAddress times.
var ErrTooManyHolds = errors.New("too many times held from one address")

// ErrHoldGone is returned when a visitor's hold is no longer there (it
// expired and the time was taken, or they released it).
var ErrHoldGone = errors.New("the hold on that time has ended")

// Schedule is the practice's scheduling rules.
type Schedule struct {
	bun.BaseModel `bun:"table:schedule_settings"`

	ID                 int16     `bun:"id,pk"`
	StepMin            int       `bun:"step_min"` // 15, 30 or 60; StepServiceLength: the service's own length
	BufferMin          int       `bun:"buffer_min"`
	TravelMin          int       `bun:"travel_min"`
	NoticeHours        int       `bun:"notice_hours"`
	HorizonWeeks       int       `bun:"horizon_weeks"`
	HoldMin            int       `bun:"hold_min"`
	OfferHoldMin       int       `bun:"offer_hold_min"` // a waitlist offer's hold`
	CancelCutoffHours  int       `bun:"cancel_cutoff_hours"`
	LateMoveAllowed    bool      `bun:"late_move_allowed"`
	CancellationPolicy string    `bun:"cancellation_policy"`
	MobileDistricts    []string  `bun:"mobile_districts,array"`
	UpdatedAt          time.Time `bun:"updated_at,nullzero,default:now()"`
}

// StepServiceLength is the step_min that offers starts at the service's
// own length apart (a 45-minute service at 09:00, 09:45, 10:30…).
const StepServiceLength = 0

// StepChoices are the steps between offered starts the therapist may
// choose, in minutes (the table's check allows these only).
var StepChoices = []int{15, 30, 60, StepServiceLength}

// DefaultSchedule is used until the therapist saves her own rules: starts
// on the hour and half hour.
var DefaultSchedule = Schedule{
	ID: 1, StepMin: 30, BufferMin: 15, TravelMin: 30, NoticeHours: 12, HorizonWeeks: 8, HoldMin: 10, OfferHoldMin: 120,
	CancelCutoffHours: 24, LateMoveAllowed: true,
	CancellationPolicy: "Please cancel or move your appointment at least 24 hours before it starts. " +
		"Inside 24 hours you can still move it to another free time; to cancel, please phone the practice.",
	MobileDistricts: []string{"PE26", "PE27", "PE28", "PE29", "CB24"},
}

// GetSchedule returns the saved scheduling rules, or DefaultSchedule.
func GetSchedule(ctx context.Context, idb bun.IDB) (Schedule, error) {
	var s Schedule
	err := idb.NewSelect().Model(&s).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSchedule, nil
	}
	return s, err
}

// WorkingHours is one weekly range of working hours at a place, in minutes
// after local midnight (Ends 1440 is midnight).
type WorkingHours struct {
	ID       int64  `bun:"id"`
	Weekday  int    `bun:"weekday"`
	Place    string `bun:"place"`
	FromMin  int    `bun:"from_min"`
	UntilMin int    `bun:"until_min"`
}

// ListWorkingHours returns every weekly range, by weekday, place and time.
func ListWorkingHours(ctx context.Context, idb bun.IDB) ([]WorkingHours, error) {
	var hs []WorkingHours
	err := idb.NewRaw(`
		SELECT id, weekday, place,
			(extract(epoch FROM starts) / 60)::int AS from_min,
			CASE WHEN ends = '00:00' THEN 1440 ELSE (extract(epoch FROM ends) / 60)::int END AS until_min
		FROM working_hours ORDER BY weekday, place, starts`).Scan(ctx, &hs)
	return hs, err
}

// TimeOff is a time the therapist is away.
type TimeOff struct {
	bun.BaseModel `bun:"table:time_off"`

	ID       int64     `bun:"id,pk,autoincrement"`
	StartsAt time.Time `bun:"starts_at"`
	EndsAt   time.Time `bun:"ends_at"`
	Note     string    `bun:"note"`
}

// ListTimeOff returns the times off that overlap [from, to).
func ListTimeOff(ctx context.Context, idb bun.IDB, from, to time.Time) ([]TimeOff, error) {
	var ts []TimeOff
	err := idb.NewSelect().Model(&ts).
		Where("starts_at < ? AND ends_at > ?", to, from).OrderExpr("starts_at").Scan(ctx)
	return ts, err
}

// Span is a range of time [From, To).
type Span struct {
	From time.Time `bun:"blocked_from"`
	To   time.Time `bun:"blocked_to"`
}

// BusySpans returns the blocked ranges of confirmed bookings and of holds
// live at now that overlap [from, to), leaving out the holds of owner (a
// visitor sees the time they hold as theirs to choose).
func BusySpans(ctx context.Context, idb bun.IDB, from, to time.Time, owner []byte, now time.Time) ([]Span, error) {
	var spans []Span
	err := idb.NewRaw(`
		SELECT blocked_from, blocked_to FROM bookings
		WHERE blocked_from < ? AND blocked_to > ?
		  AND (status = 'confirmed' OR (status = 'held' AND hold_expires_at > ?
		       AND hold_owner IS DISTINCT FROM ?))
		ORDER BY blocked_from`, to, from, now, owner).Scan(ctx, &spans)
	return spans, err
}

// Booking is an appointment, from a hold to its end.
type Booking struct {
	bun.BaseModel `bun:"table:bookings,alias:b"`

	ID                int64          `bun:"id,pk,autoincrement"`
	ServiceID         int64          `bun:"service_id"`
	Place             string         `bun:"place"`
	StartsAt          time.Time      `bun:"starts_at"`
	EndsAt            time.Time      `bun:"ends_at"`
	BlockedFrom       time.Time      `bun:"blocked_from"`
	BlockedTo         time.Time      `bun:"blocked_to"`
	Status            string         `bun:"status"`
	HoldOwner         []byte         `bun:"hold_owner"`
	HoldIP            []byte         `bun:"hold_ip"` // keyed hash of the address the hold came from
	HoldExpiresAt     *time.Time     `bun:"hold_expires_at"`
	ClientName        string         `bun:"client_name"`
	ClientEmail       string         `bun:"client_email"`
	ClientPhone       string         `bun:"client_phone"`
	Address           string         `bun:"address"`
	Postcode          string         `bun:"postcode"`
	Notes             string         `bun:"notes"`
	Health            map[string]any `bun:"health,type:jsonb"`
	ConsentAt         *time.Time     `bun:"consent_at"`
	ManageTokenHash   []byte         `bun:"manage_token_hash"`
	ServiceName       string         `bun:"service_name"`
	DurationMin       int            `bun:"duration_min"`
	PricePence        int            `bun:"price_pence"`
	PolicyCutoffHours *int           `bun:"policy_cutoff_hours"`
	PolicyText        string         `bun:"policy_text"`
	LateMoveAllowed   bool           `bun:"late_move_allowed"`
	MovedFrom         *int64         `bun:"moved_from"`
	Sequence          int            `bun:"sequence"`   // times moved: the calendar SEQUENCE
	LateMoved         bool           `bun:"late_moved"` // moved inside the cut-off: no longer cancellable online
	CreatedAt         time.Time      `bun:"created_at,nullzero,default:now()"`
	ConfirmedAt       *time.Time     `bun:"confirmed_at"`
	CancelledAt       *time.Time     `bun:"cancelled_at"`
	CancelReason      string         `bun:"cancel_reason"`
	// ClientCancelReason is what the client wrote when cancelling online
	// (optional): for the therapist's eyes.
	ClientCancelReason string `bun:"client_cancel_reason"`
	// PreviousStartsAt is the start before the last move (nil if never
	// moved).
	PreviousStartsAt *time.Time `bun:"previous_starts_at"`
	// Offered: a hold kept for someone on the waiting list, offered the
	// time by e-mail (DiaryHolds, Overlapping), not a client choosing it now.
	Offered bool `bun:"offered,scanonly"`
}

// slotTaken turns an exclusion violation into ErrSlotTaken.
func slotTaken(err error) error {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) && pgErr.Field('C') == "23P01" {
		return ErrSlotTaken
	}
	return err
}

// BookingLockKey is the PostgreSQL advisory lock every transaction that
// takes time holds first. Without it, two transactions inserting
// overlapping ranges can each wait for the other in the exclusion
// constraint's index and PostgreSQL cancels one as a deadlock; with it they
// take turns, which for one therapist's diary costs nothing.
const BookingLockKey = 0x64_6d_62_6f_6f_6b // "dmbook"

// LockBookings takes that lock for the rest of tx, and changes nothing:
// after it, what tx reads of the bookings is what the transactions that
// took time before it committed, and no one takes time until tx ends.
func LockBookings(ctx context.Context, tx bun.Tx) error { return lockBookings(ctx, tx) }

func lockBookings(ctx context.Context, tx bun.Tx) error {
	_, err := tx.NewRaw("SELECT pg_advisory_xact_lock(?)", BookingLockKey).Exec(ctx)
	return err
}

// releaseExpiredHolds takes the booking lock and deletes the holds whose
// time is up at now, so that they block nobody; it runs inside every
// transaction that takes time.
func releaseExpiredHolds(ctx context.Context, tx bun.Tx, now time.Time) error {
	if err := lockBookings(ctx, tx); err != nil {
		return err
	}
	_, err := tx.NewRaw("DELETE FROM bookings WHERE status = 'held' AND hold_expires_at <= ?", now).Exec(ctx)
	return err
}

// HoldSlot holds b's time for its owner until b.HoldExpiresAt: expired holds
// are released and the owner's other hold is given up in the same
// transaction (one hold per visitor). A time someone else holds or booked
// is ErrSlotTaken; an address (b.HoldIP) that already holds
// MaxHoldsPerAddress times gets ErrTooManyHolds.
func HoldSlot(ctx context.Context, idb bun.IDB, b *Booking, now time.Time) error {
	b.Status, b.CreatedAt = BookingHeld, now
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := releaseExpiredHolds(ctx, tx, now); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM bookings WHERE status = 'held' AND hold_owner = ?", b.HoldOwner).Exec(ctx); err != nil {
			return err
		}
		if b.HoldIP != nil {
			var n int
			if err := tx.NewRaw("SELECT count(*) FROM bookings WHERE status = 'held' AND hold_ip = ?", b.HoldIP).Scan(ctx, &n); err != nil {
				return err
			}
			if n >= MaxHoldsPerAddress {
				return ErrTooManyHolds
			}
		}
		_, err := tx.NewInsert().Model(b).ExcludeColumn("id").Returning("id, created_at").Exec(ctx)
		return slotTaken(err)
	})
}

// ReleaseHold gives up owner's hold, if any.
func ReleaseHold(ctx context.Context, idb bun.IDB, owner []byte) error {
	_, err := idb.NewRaw("DELETE FROM bookings WHERE status = 'held' AND hold_owner = ?", owner).Exec(ctx)
	return err
}

// HeldBy returns owner's hold that is live at now, or sql.ErrNoRows.
func HeldBy(ctx context.Context, idb bun.IDB, owner []byte, now time.Time) (Booking, error) {
	var b Booking
	err := idb.NewSelect().Model(&b).
		Where("b.status = 'held' AND b.hold_owner = ? AND b.hold_expires_at > ?", owner, now).Scan(ctx)
	return b, err
}

// Confirm turns owner's hold with id into the confirmed booking b (the
// client's details, token hash and policy filled in by the caller). If the
// hold has expired but the time is still free it is booked all the same;
// if someone else took it meanwhile, ErrSlotTaken. Either it is booked, or
// nothing changed.
func Confirm(ctx context.Context, idb bun.IDB, owner []byte, holdID int64, b *Booking, now time.Time) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockBookings(ctx, tx); err != nil { // before any row lock
			return err
		}
		var held Booking
		err := tx.NewSelect().Model(&held).
			Where("b.id = ? AND b.status = 'held' AND b.hold_owner = ?", holdID, owner).
			For("UPDATE").Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrHoldGone
		case err != nil:
			return err
		}
		// The hold may have expired: delete it with the other expired
		// holds; the insert below then competes fairly for the time.
		if err := releaseExpiredHolds(ctx, tx, now); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM bookings WHERE id = ?", held.ID).Exec(ctx); err != nil {
			return err
		}
		b.Status, b.HoldOwner, b.HoldExpiresAt, b.ConfirmedAt, b.CreatedAt = BookingConfirmed, nil, nil, &now, now
		b.ServiceID, b.Place = held.ServiceID, held.Place
		b.StartsAt, b.EndsAt, b.BlockedFrom, b.BlockedTo = held.StartsAt, held.EndsAt, held.BlockedFrom, held.BlockedTo
		b.ServiceName, b.DurationMin, b.PricePence = held.ServiceName, held.DurationMin, held.PricePence
		_, err = tx.NewInsert().Model(b).ExcludeColumn("id").Returning("id, created_at").Exec(ctx)
		return slotTaken(err)
	})
}

// BookingByToken returns the booking whose manage token has tokenHash: the
// token made when it was booked, or a later link (AddBookingLink).
func BookingByToken(ctx context.Context, idb bun.IDB, tokenHash []byte) (Booking, error) {
	var b Booking
	err := idb.NewSelect().Model(&b).Where("b.manage_token_hash = ?", tokenHash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		err = idb.NewSelect().Model(&b).
			Where("b.id = (SELECT booking_id FROM booking_links WHERE token_hash = ?)", tokenHash).Scan(ctx)
	}
	return b, err
}

// HashToken is how a manage link's token is stored: its SHA-256.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// AddBookingLink stores the hash of another manage link to booking id.
func AddBookingLink(ctx context.Context, idb bun.IDB, id int64, tokenHash []byte) error {
	_, err := idb.NewRaw("INSERT INTO booking_links (token_hash, booking_id) VALUES (?, ?)", tokenHash, id).Exec(ctx)
	return err
}

// BookingByID returns one booking, or sql.ErrNoRows.
func BookingByID(ctx context.Context, idb bun.IDB, id int64) (Booking, error) {
	var b Booking
	err := idb.NewSelect().Model(&b).Where("b.id = ?", id).Scan(ctx)
	return b, err
}

// CancelBooking cancels a confirmed booking at now; its time is free at once.
func CancelBooking(ctx context.Context, idb bun.IDB, id int64, reason string, now time.Time) error {
	res, err := idb.NewRaw(`UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?
		WHERE id = ? AND status = 'confirmed'`, now, reason, id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// SetClientCancelReason records the client's own reason for cancelling
// booking id (the handler keeps it to 1000 characters).
func SetClientCancelReason(ctx context.Context, idb bun.IDB, id int64, reason string) error {
	_, err := idb.NewRaw("UPDATE bookings SET client_cancel_reason = ? WHERE id = ?", reason, id).Exec(ctx)
	return err
}

// MoveBooking moves a confirmed booking to new times in one statement: the
// client has the new time, or (ErrSlotTaken) still the old one. late marks
// a move inside the cancellation cut-off, after which the booking cannot be
// cancelled online. It returns the time the booking had just before this
// move, read under the row's lock: with two moves at once (two tabs), each
// knows the time it really moved the booking from; a move to the time it
// already has is ErrNotMoved and changes nothing.
func MoveBooking(ctx context.Context, idb bun.IDB, id int64, starts, ends, blockedFrom, blockedTo time.Time, late bool, now time.Time) (from time.Time, err error) {
	err = idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := releaseExpiredHolds(ctx, tx, now); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT starts_at FROM bookings WHERE id = ? AND status = 'confirmed' FOR UPDATE", id).
			Scan(ctx, &from); err != nil {
			return err
		}
		if from.Equal(starts) {
			return ErrNotMoved
		}
		_, err := tx.NewRaw(`UPDATE bookings SET previous_starts_at = starts_at, starts_at = ?, ends_at = ?, blocked_from = ?, blocked_to = ?,
			sequence = sequence + 1, late_moved = late_moved OR ? WHERE id = ?`,
			starts, ends, blockedFrom, blockedTo, late, id).Exec(ctx)
		return slotTaken(err)
	})
	return from, err
}

// ErrNotMoved is returned by MoveBooking for a move to the time the booking
// already has: the same move sent twice (a double click), whose first
// sending moved it.
var ErrNotMoved = errors.New("the booking is already at that time")
