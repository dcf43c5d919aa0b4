package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// What became of the client's mail of an online booking to a new address
// (new_address_bookings.mail).
const (
	NewAddressSent     = "sent"     // under the day's ceiling: sent as usual
	NewAddressHeld     = "held"     // past it: kept in the outbox until the therapist decides
	NewAddressReleased = "released" // she sent it
	NewAddressDropped  = "dropped"  // she deleted it: later mail about the booking is not written
)

// OutboxHeld is the status of a message kept back: no job sends it until
// the therapist releases it (ReleaseHeldMail) or deletes it (DropHeldMail).
const OutboxHeld = "held"

// DefaultNewAddressesPerDay is the daily ceiling on confirmations to new
// addresses until the therapist sets her own: a busy day of a one-person
// practice brings a handful of new clients, not twenty.
const DefaultNewAddressesPerDay = 20

// normalEmail is how addresses are compared: case and surrounding spaces
// ignored (the index on lower(btrim(client_email)) serves it).
func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UpcomingBookings counts the bookings of email (case ignored) that are not
// cancelled (or mere holds) and start after now.
func UpcomingBookings(ctx context.Context, idb bun.IDB, email string, now time.Time) (int, error) {
	var n int
	err := idb.NewRaw(`SELECT count(*) FROM bookings
		WHERE lower(btrim(client_email)) = ? AND client_email <> '' AND status NOT IN ('held', 'cancelled') AND starts_at > ?`,
		normalEmail(email), now).Scan(ctx, &n)
	return n, err
}

// KnownAddress reports whether the practice has seen email before the day
// that begins at dayStart: a booking of it that the therapist made herself
// (no new_address_bookings row), whose held mail she released, or that was
// made online before that day with its confirmation sent. Bookings whose
// mail was held or dropped do not make an address known, nor do waitlist
// entries or contact messages (anyone can type any address into those).
func KnownAddress(ctx context.Context, idb bun.IDB, email string, dayStart time.Time) (bool, error) {
	var known bool
	err := idb.NewRaw(`SELECT EXISTS (SELECT 1 FROM bookings AS b
			LEFT JOIN new_address_bookings AS n ON n.booking_id = b.id
		WHERE lower(btrim(b.client_email)) = ? AND b.client_email <> '' AND b.status <> 'held'
		  AND (n.booking_id IS NULL OR n.mail = 'released' OR (n.mail = 'sent' AND b.created_at < ?)))`,
		normalEmail(email), dayStart).Scan(ctx, &known)
	return known, err
}

// NewAddressBookingsOn counts the online bookings to new addresses made on
// day (a date in the practice's zone; the time of day is ignored).
func NewAddressBookingsOn(ctx context.Context, idb bun.IDB, day time.Time) (int, error) {
	var n int
	err := idb.NewRaw("SELECT count(*) FROM new_address_bookings WHERE day = ?::date", day.Format(time.DateOnly)).Scan(ctx, &n)
	return n, err
}

// AddNewAddressBooking records booking id as one to a new address, made on
// day, with what became of its mail (NewAddressSent or NewAddressHeld).
func AddNewAddressBooking(ctx context.Context, idb bun.IDB, id int64, day time.Time, mail string) error {
	_, err := idb.NewRaw("INSERT INTO new_address_bookings (booking_id, day, mail) VALUES (?, ?::date, ?)",
		id, day.Format(time.DateOnly), mail).Exec(ctx)
	return err
}

// NewAddressMail returns what became of booking id's mail if it was made
// online to a new address (a NewAddress… value), or "" if it was not.
func NewAddressMail(ctx context.Context, idb bun.IDB, id int64) (string, error) {
	var mail string
	err := idb.NewRaw("SELECT mail FROM new_address_bookings WHERE booking_id = ?", id).Scan(ctx, &mail)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return mail, err
}

// NewAddressesPerDay is the daily ceiling on confirmations to new
// addresses: the therapist's setting, or DefaultNewAddressesPerDay.
func NewAddressesPerDay(ctx context.Context, idb bun.IDB) (int, error) {
	var n int
	err := idb.NewRaw("SELECT new_addresses_per_day FROM booking_mail_settings WHERE id = 1").Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultNewAddressesPerDay, nil
	}
	return n, err
}

// SetNewAddressesPerDay saves the daily ceiling (0 to 1000, the table's
// check).
func SetNewAddressesPerDay(ctx context.Context, idb bun.IDB, n int) error {
	_, err := idb.NewRaw(`INSERT INTO booking_mail_settings (id, new_addresses_per_day) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET new_addresses_per_day = EXCLUDED.new_addresses_per_day, updated_at = now()`, n).Exec(ctx)
	return err
}

// AddHeldToOutbox stores m as held: kept, with no job to send it. Call it
// in the transaction of the change that causes the message. It sets m.ID.
func AddHeldToOutbox(ctx context.Context, idb bun.IDB, m *OutboxMessage) error {
	m.Status = OutboxHeld
	m.Recipient, m.Subject = m.Message.To.Email, m.Message.Subject
	_, err := idb.NewInsert().Model(m).ExcludeColumn("id", "created_at").Returning("id, created_at").Exec(ctx)
	return err
}

// HeldMessage is a message kept back, with its booking: the day (a date
// in the practice's zone) it was made, its client and its time.
type HeldMessage struct {
	ID         int64     `bun:"id"`
	Kind       string    `bun:"kind"`
	Recipient  string    `bun:"recipient"`
	Subject    string    `bun:"subject"`
	BookingID  int64     `bun:"booking_id"`
	Day        time.Time `bun:"day"`
	ClientName string    `bun:"client_name"`
	StartsAt   time.Time `bun:"starts_at"`
	Status     string    `bun:"status"` // the booking's
	CreatedAt  time.Time `bun:"created_at"`
}

// ListHeldMail returns the messages kept back, oldest first, at most limit.
// Only client mail about a booking is ever held (a booking deleted since
// leaves its message listed, with booking 0, for her to send or delete).
func ListHeldMail(ctx context.Context, idb bun.IDB, limit int) ([]HeldMessage, error) {
	var ms []HeldMessage
	err := idb.NewRaw(`SELECT o.id, o.kind, o.recipient, o.subject, coalesce(o.booking_id, 0) AS booking_id,
			coalesce(n.day, o.created_at::date) AS day, coalesce(b.client_name, '') AS client_name,
			coalesce(b.starts_at, o.created_at) AS starts_at, coalesce(b.status, '') AS status, o.created_at
		FROM outbox AS o LEFT JOIN new_address_bookings AS n ON n.booking_id = o.booking_id
			LEFT JOIN bookings AS b ON b.id = o.booking_id
		WHERE o.status = 'held' ORDER BY o.id LIMIT ?`, limit).Scan(ctx, &ms)
	return ms, err
}

// HeldConfirmationsOn counts the confirmations of bookings made on day (a
// date in the practice's zone) to new addresses that were held past the
// ceiling and are still waiting for the therapist.
func HeldConfirmationsOn(ctx context.Context, idb bun.IDB, day time.Time) (int, error) {
	var n int
	err := idb.NewRaw(`SELECT count(*) FROM outbox AS o JOIN new_address_bookings AS n ON n.booking_id = o.booking_id
		WHERE o.status = 'held' AND o.kind = 'booking_confirmed' AND n.day = ?::date`, day.Format(time.DateOnly)).Scan(ctx, &n)
	return n, err
}

// ReleaseHeldMail puts the held messages up to id upto (those the
// therapist saw) about booking (0: about any) in the queue and returns
// their ids, for the caller to enqueue their jobs in tx; their bookings'
// later mail is sent as usual.
func ReleaseHeldMail(ctx context.Context, tx bun.Tx, upto, booking int64) ([]int64, error) {
	var ids []int64
	err := tx.NewRaw(`WITH released AS (
			UPDATE outbox SET status = 'queued'
			WHERE status = 'held' AND id <= ? AND (? = 0 OR booking_id = ?) RETURNING id, booking_id
		), marked AS (
			UPDATE new_address_bookings SET mail = 'released'
			WHERE mail = 'held' AND booking_id IN (SELECT booking_id FROM released)
		)
		SELECT id FROM released ORDER BY id`, upto, booking, booking).Scan(ctx, &ids)
	return ids, err
}

// DropHeldMail deletes the held messages up to id upto about booking (0:
// about any) and returns how many went; their bookings' later mail (a
// reminder, a cancellation) is not written at all.
func DropHeldMail(ctx context.Context, tx bun.Tx, upto, booking int64) (int, error) {
	var n int
	err := tx.NewRaw(`WITH dropped AS (
			DELETE FROM outbox WHERE status = 'held' AND id <= ? AND (? = 0 OR booking_id = ?) RETURNING booking_id
		), marked AS (
			UPDATE new_address_bookings SET mail = 'dropped'
			WHERE mail = 'held' AND booking_id IN (SELECT booking_id FROM dropped)
		)
		SELECT count(*) FROM dropped`, upto, booking, booking).Scan(ctx, &n)
	return n, err
}
