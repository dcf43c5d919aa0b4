package db

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// PastClient is a person who booked before, as their latest booking has
// them: what the therapist's form fills in for a client who phones again.
type PastClient struct {
	Name     string    `bun:"client_name"`
	Email    string    `bun:"client_email"`
	Phone    string    `bun:"client_phone"`
	Address  string    `bun:"address"`
	Postcode string    `bun:"postcode"`
	LastAt   time.Time `bun:"starts_at"`
}

// SearchPastClients finds past clients whose name, e-mail or phone number
// contains q (case-insensitive; a phone number matched on its digits
// alone, so "07700 900" finds "07700900123"), each person once: by e-mail
// address, or by name and phone for a client who gave none. Their latest
// booking's details are returned, the most recent client first. Holds and
// erased clients are left out. A q of fewer than 2 characters finds
// nothing.
func SearchPastClients(ctx context.Context, idb bun.IDB, q string, limit int) ([]PastClient, error) {
	q = strings.TrimSpace(q)
	if len([]rune(q)) < 2 {
		return nil, nil
	}
	like := "%" + likeEscape(strings.ToLower(q)) + "%"
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, q)
	digitsLike := "-" // matches no string of digits
	if len(digits) >= 3 {
		digitsLike = "%" + digits + "%"
	}
	var cs []PastClient
	err := idb.NewRaw(`
		SELECT client_name, client_email, client_phone, address, postcode, starts_at FROM (
			SELECT DISTINCT ON (who) client_name, client_email, client_phone, address, postcode, starts_at
			FROM (
				SELECT *, CASE WHEN client_email <> '' THEN lower(client_email)
				               ELSE lower(client_name) || '|' || regexp_replace(client_phone, '\D', '', 'g') END AS who
				FROM bookings
				WHERE status <> ? AND client_name <> '' AND client_name <> ?
				  AND (lower(client_name) LIKE ? OR lower(client_email) LIKE ?
				       OR regexp_replace(client_phone, '\D', '', 'g') LIKE ?)
			) m
			ORDER BY who, starts_at DESC
		) p
		ORDER BY starts_at DESC
		LIMIT ?`, BookingHeld, ErasedName, like, like, digitsLike, limit).Scan(ctx, &cs)
	return cs, err
}

// likeEscape makes s match itself in a LIKE pattern (backslash is
// PostgreSQL's default escape).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
