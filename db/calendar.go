package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// The calendar feed's secret is the whole of its protection: anyone with
// the address can read the therapist's diary (names, times, addresses and
// contact details, never health answers). So it is 256 random bits, and
// only its SHA-256 is stored: a copy of the database (a backup, a leaked
// dump) gives a snapshot of the bookings but not the live feed. The secret
// is shown once, when it is made (RotateCalendarSecret), like an API key; a
// therapist who has lost the address makes a new one and subscribes again.

// calendarSecretBytes is the secret's length before encoding: 256 bits.
const calendarSecretBytes = 32

// CalendarSecretLen is the length of an encoded secret (unpadded base64url).
var CalendarSecretLen = base64.RawURLEncoding.EncodedLen(calendarSecretBytes)

// CalendarFeed is the feed as the admin area shows it: whether one exists
// and since when, and roughly when a calendar last fetched it.
type CalendarFeed struct {
	bun.BaseModel `bun:"table:calendar_feed,alias:cf"`

	ID         int16      `bun:"id,pk"`
	SecretHash []byte     `bun:"secret_hash"`
	CreatedAt  time.Time  `bun:"created_at,nullzero,default:now()"`
	LastUsedAt *time.Time `bun:"last_used_at"`
}

// ErrNoCalendarFeed is returned for a secret that is not the feed's:
// wrong, old (rotated away), or there is no feed.
var ErrNoCalendarFeed = errors.New("no calendar feed with that secret")

// RotateCalendarSecret makes a new feed secret and returns it; the old one
// (if any) stops working at once. The returned secret is not stored: show
// it to the therapist now.
func RotateCalendarSecret(ctx context.Context, idb bun.IDB) (string, error) {
	var raw [calendarSecretBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	_, err := idb.NewRaw(`INSERT INTO calendar_feed (id, secret_hash) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = now(), last_used_at = NULL`,
		HashToken(secret)).Exec(ctx)
	if err != nil {
		return "", err
	}
	return secret, nil
}

// RevokeCalendarFeed deletes the feed: its address stops working, and no
// new one exists until RotateCalendarSecret makes one.
func RevokeCalendarFeed(ctx context.Context, idb bun.IDB) error {
	_, err := idb.NewDelete().Model((*CalendarFeed)(nil)).Where("id = 1").Exec(ctx)
	return err
}

// GetCalendarFeed returns the feed's facts, or sql.ErrNoRows when there is
// none.
func GetCalendarFeed(ctx context.Context, idb bun.IDB) (CalendarFeed, error) {
	var f CalendarFeed
	err := idb.NewSelect().Model(&f).Where("cf.id = 1").Scan(ctx)
	return f, err
}

// usedEvery is how often a fetch of the feed is recorded: calendars fetch
// every few minutes, and the admin area only needs to know roughly when.
const usedEvery = 10 * time.Minute

// CheckCalendarSecret reports whether secret is the feed's (nil) or not
// (ErrNoCalendarFeed), and notes that the feed was used. The secret is
// compared by looking up its hash, so the comparison's time tells nothing
// about the secret.
func CheckCalendarSecret(ctx context.Context, idb bun.IDB, secret string) error {
	if len(secret) != CalendarSecretLen {
		return ErrNoCalendarFeed
	}
	hash := HashToken(secret)
	var id int16
	// The fetch is noted only every usedEvery, so that a calendar polling
	// the feed does not write a row each time.
	err := idb.NewRaw(`WITH used AS (
			UPDATE calendar_feed SET last_used_at = now()
			WHERE secret_hash = ? AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ?))
		)
		SELECT id FROM calendar_feed WHERE secret_hash = ?`, hash, usedEvery.Seconds(), hash).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoCalendarFeed
	}
	return err
}

// maxFeedBookings bounds the feed (the booking horizon keeps it far below).
const maxFeedBookings = 2000

// CalendarBookings returns the appointments for the therapist's calendar:
// every booking that is not a hold and not cancelled (confirmed, and
// completed or missed ones), ending at or after since, earliest first.
func CalendarBookings(ctx context.Context, idb bun.IDB, since time.Time) ([]Booking, error) {
	var bs []Booking
	err := idb.NewSelect().Model(&bs).
		Where("b.status IN (?)", bun.List([]string{BookingConfirmed, BookingCompleted, BookingNoShow})).
		Where("b.ends_at >= ?", since).
		OrderExpr("b.starts_at, b.id").Limit(maxFeedBookings).Scan(ctx)
	return bs, err
}
