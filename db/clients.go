package db

// Clients: the people in the bookings. There is no clients table; a client
// is every booking made with one e-mail address (trimmed, lower case), or
// with several once the therapist has said they are the same person
// (client_merges). Bookings without an address (some taken by phone) belong
// to no client here. A client is named in URLs by the id of one of their
// bookings, never by the address.

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// personSQL is the person a booking b belongs to: the address it was merged
// into, or its own.
const personSQL = `coalesce((SELECT into_email FROM client_merges WHERE email = lower(btrim(b.client_email))), lower(btrim(b.client_email)))`

// phoneSQL is a phone number column as its digits, a UK +44 written as the
// 0 it stands for, so that "+44 7700 900123" and "07700 900123" match.
func phoneSQL(col string) string {
	return `regexp_replace(regexp_replace(` + col + `, '\D', '', 'g'), '^44(\d{10})$', '0\1')`
}

// ClientSummary is one line of the clients list.
type ClientSummary struct {
	Key       int64      `bun:"key"` // the first booking's id: the client's address in URLs
	Person    string     `bun:"person"`
	Name      string     `bun:"name"` // the name of the latest booking
	Email     string     `bun:"email"`
	Phone     string     `bun:"phone"`
	Count     int        `bun:"bookings"` // bookings of every status
	Visits    int        `bun:"visits"`
	NoShows   int        `bun:"no_shows"`
	LastVisit *time.Time `bun:"last_visit"`
	NextVisit *time.Time `bun:"next_visit"`
}

// clientsSQL sums each person's bookings at the instant ? (a visit is an
// appointment that was completed, or confirmed and over).
const clientsSQL = `
	WITH cb AS (
		SELECT b.*, ` + personSQL + ` AS person FROM bookings b
		WHERE b.status <> 'held' AND btrim(b.client_email) <> ''
	)
	SELECT person, min(id) AS key,
		(array_agg(client_name ORDER BY starts_at DESC, id DESC))[1] AS name,
		(array_agg(client_email ORDER BY starts_at DESC, id DESC))[1] AS email,
		coalesce((array_agg(client_phone ORDER BY starts_at DESC, id DESC) FILTER (WHERE client_phone <> ''))[1], '') AS phone,
		count(*) AS bookings,
		count(*) FILTER (WHERE status = 'completed' OR (status = 'confirmed' AND ends_at <= ?0)) AS visits,
		count(*) FILTER (WHERE status = 'no_show') AS no_shows,
		max(starts_at) FILTER (WHERE status = 'completed' OR (status = 'confirmed' AND ends_at <= ?0)) AS last_visit,
		min(starts_at) FILTER (WHERE status = 'confirmed' AND starts_at > ?0) AS next_visit
	FROM cb GROUP BY person`

// ClientsPage is how many clients the list shows at a time.
const ClientsPage = 50

// ListClients returns a page (from 0) of clients at now whose name, address
// or phone contains q (any of them, without regard to case), the ones seen
// most recently first, and whether there are more.
func ListClients(ctx context.Context, idb bun.IDB, q string, page int, now time.Time) ([]ClientSummary, bool, error) {
	var cs []ClientSummary
	q = strings.TrimSpace(q)
	where := "TRUE"
	args := []any{now}
	if q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, q)
		where = `person IN (SELECT ` + personSQL + ` FROM bookings b WHERE btrim(b.client_email) <> '' AND (lower(b.client_name) LIKE ?1 OR lower(b.client_email) LIKE ?1`
		args = append(args, like)
		if len(digits) >= 4 {
			if strings.HasPrefix(digits, "44") && len(digits) == 12 {
				digits = "0" + digits[2:]
			}
			where += ` OR ` + phoneSQL("b.client_phone") + ` LIKE ?2`
			args = append(args, "%"+digits+"%")
		}
		where += "))"
	}
	err := idb.NewRaw(`SELECT * FROM (`+clientsSQL+`) c WHERE `+where+`
		ORDER BY coalesce(next_visit, last_visit) DESC NULLS LAST, key DESC LIMIT `+strconv.Itoa(ClientsPage+1)+` OFFSET `+strconv.Itoa(max(page, 0)*ClientsPage),
		args...).Scan(ctx, &cs)
	more := len(cs) > ClientsPage
	if more {
		cs = cs[:ClientsPage]
	}
	return cs, more, err
}

// Client is everything about one person: their bookings, latest first, and
// the addresses that make them up.
type Client struct {
	ClientSummary
	Emails   []string  // every address, the person's own first
	Bookings []Booking // latest first
}

// ErrNoClient is returned for a booking that belongs to no client (no
// address, erased, or a hold).
var ErrNoClient = errors.New("no such client")

// personOf returns the person booking id belongs to.
func personOf(ctx context.Context, idb bun.IDB, id int64) (string, error) {
	var person string
	err := idb.NewRaw(`SELECT `+personSQL+` FROM bookings b WHERE b.id = ? AND b.status <> 'held' AND btrim(b.client_email) <> ''`, id).
		Scan(ctx, &person)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoClient
	}
	return person, err
}

// ClientByBooking returns the client that booking id belongs to, as of now.
func ClientByBooking(ctx context.Context, idb bun.IDB, id int64, now time.Time) (Client, error) {
	var c Client
	person, err := personOf(ctx, idb, id)
	if err != nil {
		return c, err
	}
	if err := idb.NewRaw(`SELECT * FROM (`+clientsSQL+`) c WHERE person = ?1`, now, person).Scan(ctx, &c.ClientSummary); err != nil {
		return c, err
	}
	c.Emails = []string{person}
	var others []string
	if err := idb.NewRaw(`SELECT email FROM client_merges WHERE into_email = ? ORDER BY email`, person).Scan(ctx, &others); err != nil {
		return c, err
	}
	c.Emails = append(c.Emails, others...)
	err = idb.NewSelect().Model(&c.Bookings).Where("b.status <> 'held' AND btrim(b.client_email) <> ''").
		Where(personSQL+" = ?", person).OrderExpr("b.starts_at DESC, b.id DESC").Scan(ctx)
	return c, err
}

// SamePerson is another client who may be the same person: the same phone
// number, or the same name under another address.
type SamePerson struct {
	Key    int64  `bun:"key"`
	Person string `bun:"person"`
	Name   string `bun:"name"`
	Email  string `bun:"email"`
	Phone  string `bun:"phone"`
	Why    string `bun:"why"` // "same phone" or "same name"
}

// SuggestSamePerson lists the other clients that share c's phone number
// (compared by its digits, +44 as 0) or name (without regard to case or spaces): the
// obvious duplicates the client page asks about. Nothing is merged until
// she says so.
func SuggestSamePerson(ctx context.Context, idb bun.IDB, c Client) ([]SamePerson, error) {
	var out []SamePerson
	err := idb.NewRaw(`
		WITH mine AS (
			SELECT DISTINCT nullif(`+phoneSQL("client_phone")+`, '') AS phone,
				nullif(lower(regexp_replace(btrim(client_name), '\s+', ' ', 'g')), '') AS name
			FROM bookings b WHERE `+personSQL+` = ?0 AND status <> 'held'
		), other AS (
			SELECT b.id, b.client_name, b.client_email, b.client_phone, `+personSQL+` AS person,
				CASE WHEN `+phoneSQL("b.client_phone")+` IN (SELECT phone FROM mine) THEN 'same phone' ELSE 'same name' END AS why
			FROM bookings b
			WHERE b.status <> 'held' AND btrim(b.client_email) <> '' AND b.client_name <> ?1 AND (
				`+phoneSQL("b.client_phone")+` IN (SELECT phone FROM mine)
				OR lower(regexp_replace(btrim(b.client_name), '\s+', ' ', 'g')) IN (SELECT name FROM mine))
		)
		SELECT DISTINCT ON (person) (SELECT min(o2.id) FROM other o2 WHERE o2.person = other.person) AS key,
			person, client_name AS name, client_email AS email, client_phone AS phone, why
		FROM other WHERE person <> ?0 ORDER BY person, why DESC, id DESC`, c.Person, ErasedName).Scan(ctx, &out)
	return out, err
}

// MergeClients records that the person booking other belongs to is the
// same as the person booking into belongs to: from now on they are one
// client, under into's address. Merging a person with themself does
// nothing.
func MergeClients(ctx context.Context, idb bun.IDB, into, other int64, now time.Time) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		a, err := personOf(ctx, tx, into)
		if err != nil {
			return err
		}
		b, err := personOf(ctx, tx, other)
		if err != nil || a == b {
			return err
		}
		// Flat: whatever was merged into b now points at a.
		if _, err := tx.NewRaw(`UPDATE client_merges SET into_email = ? WHERE into_email = ?`, a, b).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewRaw(`INSERT INTO client_merges (email, into_email, merged_at) VALUES (?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET into_email = EXCLUDED.into_email, merged_at = EXCLUDED.merged_at`, b, a, now).Exec(ctx)
		return err
	})
}

// UnmergeClient takes email out of the person it was merged into: its
// bookings are a client of their own again.
func UnmergeClient(ctx context.Context, idb bun.IDB, email string) error {
	_, err := idb.NewRaw(`DELETE FROM client_merges WHERE email = ?`, NormalEmail(email)).Exec(ctx)
	return err
}

// KeyOfEmail returns the key (first booking id) of the client email belongs
// to, or ErrNoClient.
func KeyOfEmail(ctx context.Context, idb bun.IDB, email string) (int64, error) {
	var key int64
	err := idb.NewRaw(`SELECT min(b.id) FROM bookings b WHERE b.status <> 'held' AND btrim(b.client_email) <> ''
		AND `+personSQL+` = coalesce((SELECT into_email FROM client_merges WHERE email = ?0), ?0) HAVING count(*) > 0`,
		NormalEmail(email)).Scan(ctx, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoClient
	}
	return key, err
}
