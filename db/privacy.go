package db

// Privacy: the UK GDPR tools of the data controller (the therapist). Find
// what the site holds about an e-mail address, hand it over, erase it, and
// erase health answers once they are no longer needed.
//
// An e-mail address is the only key a client has here. It finds their
// bookings, waitlist entries, contact messages, reply subscriptions and the
// e-mail sent to them. Comments carry no address: those found are the ones
// linked through a reply subscription, and other comments written with the
// same author key (the same browser session) as one of those.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Privacy is the practice's privacy settings.
type Privacy struct {
	bun.BaseModel `bun:"table:privacy_settings"`

	ID int16 `bun:"id,pk"`
	// HealthKeepMonths is how many months after an appointment its health
	// answers and notes are erased; 0 keeps them.
	HealthKeepMonths int       `bun:"health_keep_months"`
	UpdatedAt        time.Time `bun:"updated_at,nullzero,default:now()"`
}

// Limits of Privacy.HealthKeepMonths (besides 0, keep). Under three months
// the practice's e-mail that quotes the notes could outlive the notes (the
// outbox keeps sent mail for 90 days).
const (
	MinHealthKeepMonths = 3
	MaxHealthKeepMonths = 240
)

// DefaultPrivacy is used until the therapist saves her own settings: health
// answers are kept seven years, what professional insurers commonly ask.
var DefaultPrivacy = Privacy{ID: 1, HealthKeepMonths: 84}

// GetPrivacy returns the saved privacy settings, or DefaultPrivacy.
func GetPrivacy(ctx context.Context, idb bun.IDB) (Privacy, error) {
	var p Privacy
	err := idb.NewSelect().Model(&p).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPrivacy, nil
	}
	return p, err
}

// SavePrivacy saves the privacy settings.
func SavePrivacy(ctx context.Context, idb bun.IDB, p Privacy) error {
	p.ID = 1
	_, err := idb.NewInsert().Model(&p).ExcludeColumn("updated_at").
		On("CONFLICT (id) DO UPDATE").Set("health_keep_months = EXCLUDED.health_keep_months, updated_at = now()").
		Exec(ctx)
	return err
}

// healthOlderThan selects the bookings that ended more than ? months before
// the instant ? and still hold health answers or notes (the client's note
// when booking, or their reason for cancelling): what a retention period
// erases.
const healthOlderThan = `ends_at < ?::timestamptz - make_interval(months => ?) AND (health IS NOT NULL OR notes <> '' OR client_cancel_reason <> '')`

// EraseOldHealthAnswers empties the health answers and notes of every
// booking that ended more than the saved number of months ago (nothing when
// it is 0), and returns how many bookings it changed. The booking itself
// stays in the diary.
func EraseOldHealthAnswers(ctx context.Context, idb bun.IDB, now time.Time) (int64, error) {
	p, err := GetPrivacy(ctx, idb)
	if err != nil || p.HealthKeepMonths <= 0 {
		return 0, err
	}
	res, err := idb.NewRaw(`UPDATE bookings SET health = NULL, notes = '', client_cancel_reason = '' WHERE `+healthOlderThan, now, p.HealthKeepMonths).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CountHealthOlderThan counts the bookings whose health answers or notes a
// retention of months would erase now (0: none, they are kept).
func CountHealthOlderThan(ctx context.Context, idb bun.IDB, months int, now time.Time) (int, error) {
	if months <= 0 {
		return 0, nil
	}
	var n int
	err := idb.NewRaw(`SELECT count(*) FROM bookings WHERE `+healthOlderThan, now, months).Scan(ctx, &n)
	return n, err
}

// ClientData is what the site holds about one e-mail address.
type ClientData struct {
	Email         string
	Bookings      []Booking // live holds carry no client details and are left out
	Waitlist      []WaitlistEntry
	Messages      []ContactMessage
	Subscriptions []CommentSubscription
	Comments      []CommentInPost // linked through a subscription (see the package's privacy notes)
	Mail          []OutboxMessage // sent (or to be sent) to the address, oldest first
	// Notes are the treatment notes of Bookings, with their earlier
	// versions, by booking id.
	Notes map[int64]NoteWithHistory
}

// Found reports whether anything is held about the address.
func (d ClientData) Found() bool {
	return len(d.Bookings)+len(d.Waitlist)+len(d.Messages)+len(d.Subscriptions)+len(d.Comments)+len(d.Mail) > 0
}

// Upcoming returns the confirmed bookings that have not ended yet: erasure
// waits until they are cancelled (the client is told) or over.
func (d ClientData) Upcoming(now time.Time) []Booking {
	var out []Booking
	for _, b := range d.Bookings {
		if b.Status == BookingConfirmed && b.EndsAt.After(now) {
			out = append(out, b)
		}
	}
	return out
}

// NormalEmail is how addresses are compared: trimmed, lower case.
func NormalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// FindClient returns everything held about email, compared without regard
// to case.
func FindClient(ctx context.Context, idb bun.IDB, email string) (ClientData, error) {
	email = NormalEmail(email)
	d := ClientData{Email: email, Notes: map[int64]NoteWithHistory{}}
	if email == "" {
		return d, nil
	}
	if err := idb.NewSelect().Model(&d.Bookings).
		Where("lower(b.client_email) = ? AND b.status <> ?", email, BookingHeld).
		OrderExpr("b.starts_at, b.id").Scan(ctx); err != nil {
		return d, err
	}
	if err := idb.NewRaw(entryQuery+`WHERE lower(w.email) = ? ORDER BY w.id`, email).Scan(ctx, &d.Waitlist); err != nil {
		return d, err
	}
	if err := idb.NewSelect().Model(&d.Messages).Where("lower(cm.email) = ?", email).
		OrderExpr("cm.id").Scan(ctx); err != nil {
		return d, err
	}
	if err := idb.NewSelect().Model(&d.Subscriptions).Where("lower(s.email) = ?", email).
		OrderExpr("s.id").Scan(ctx); err != nil {
		return d, err
	}
	if err := idb.NewRaw(commentInPostSQL+"WHERE c.id IN ("+linkedCommentsSQL+") ORDER BY c.id", email, email).
		Scan(ctx, &d.Comments); err != nil {
		return d, err
	}
	if err := idb.NewSelect().Model(&d.Mail).Where("lower(o.recipient) = ?", email).OrderExpr("o.id").Scan(ctx); err != nil {
		return d, err
	}
	ids := make([]int64, len(d.Bookings))
	for i, b := range d.Bookings {
		ids[i] = b.ID
	}
	var err error
	d.Notes, err = NotesOfBookings(ctx, idb, ids)
	return d, err
}

// linkedCommentsSQL selects the ids of the comments linked to an address
// (its two parameters, both the address): the comments its subscriptions were made with, and
// the others written with the same author key. The practice's own
// comments are never among them.
const linkedCommentsSQL = `
	SELECT lc.id FROM comments lc
	WHERE NOT lc.by_practice AND (
		lc.id IN (SELECT comment_id FROM comment_subscriptions WHERE lower(email) = ?)
		OR (length(lc.author_hash) > 0 AND lc.author_hash IN (
			SELECT sc.author_hash FROM comments sc JOIN comment_subscriptions ss ON ss.comment_id = sc.id
			WHERE lower(ss.email) = ?)))`

// ErasedName and ErasedCommenter replace the names of an erased client's
// bookings and comments.
const (
	ErasedName      = "Erased client"
	ErasedCommenter = "Former commenter"
)

// ErrUpcomingBooking is returned by EraseClient while the address has a
// confirmed appointment still to come: cancel it first (the client is told)
// or wait until it is over.
var ErrUpcomingBooking = errors.New("the client has an appointment still to come")

// Erasure counts what EraseClient did.
type Erasure struct {
	Bookings      int64 // kept for the diary, without the client's details
	BookingLinks  int64 // manage links deleted
	Waitlist      int64 // waitlist entries deleted (with their offers)
	Messages      int64 // contact messages deleted
	Subscriptions int64 // reply subscriptions deleted (with their links)
	Comments      int64 // comments kept, without name or keys
	Mail          int64 // outbox messages deleted
	Sessions      int64 // website sessions that held the address, ended
	// NotesKept counts the treatment notes inside their retention: a
	// clinical record the practice must keep, so they stay, and the bookings
	// they belong to (KeptBookings) keep the client's name and address to
	// identify them, until the retention job removes them.
	NotesKept    int64
	KeptBookings int64
	NotesRemoved int64 // treatment notes past their retention, deleted
}

// Total is how many rows were erased or anonymised in all.
func (e Erasure) Total() int64 {
	return e.Bookings + e.BookingLinks + e.Waitlist + e.Messages + e.Subscriptions + e.Comments + e.Mail + e.Sessions + e.NotesRemoved
}

// EraseClient erases what is held about email, in one transaction:
//
//   - bookings stay in the diary (time, service, price, status) with the
//     name "Erased client"; email, phone, address, notes, health answers
//     and the cancellation reason are emptied, the postcode cut to its
//     district (PE27), the manage links made unusable;
//   - waitlist entries, contact messages and reply subscriptions are
//     deleted (a waitlist offer still open gives its time back);
//   - the linked comments keep their text (a thread must still make sense;
//     the author wrote it for publication) but lose the name, which becomes
//     "Former commenter", and the author and address keys;
//   - the outbox loses every message to the address, about its bookings,
//     mentioning the address (a contact message's Reply-To), or telling
//     others of its comments;
//   - website sessions holding the address (a form just sent) end.
//
// Job arguments in River's table carry ids only, and stay. While the
// address has a confirmed appointment still to come nothing is changed and
// the error is ErrUpcomingBooking.
func EraseClient(ctx context.Context, idb bun.IDB, email string, now time.Time) (Erasure, error) {
	var e Erasure
	email = NormalEmail(email)
	if email == "" {
		return e, nil
	}
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Under the booking lock: no booking for the address can be
		// confirmed between the check and the erasure.
		if err := LockDiaryAndClearExpiredHolds(ctx, tx, now); err != nil {
			return err
		}
		var upcoming int
		if err := tx.NewRaw(`SELECT count(*) FROM bookings WHERE lower(client_email) = ? AND status = ? AND ends_at > ?`,
			email, BookingConfirmed, now).Scan(ctx, &upcoming); err != nil {
			return err
		}
		if upcoming > 0 {
			return ErrUpcomingBooking
		}
		var bookingIDs, commentIDs []int64
		if err := tx.NewRaw(`SELECT id FROM bookings WHERE lower(client_email) = ? AND status <> ?`, email, BookingHeld).
			Scan(ctx, &bookingIDs); err != nil {
			return err
		}
		kept, err := eraseNotesRule(ctx, tx, email, bookingIDs, now, &e)
		if err != nil {
			return err
		}
		if err := tx.NewRaw(linkedCommentsSQL, email, email).Scan(ctx, &commentIDs); err != nil {
			return err
		}
		steps := []struct {
			n     *int64
			query string
			args  []any
		}{
			{&e.Mail, `DELETE FROM outbox WHERE lower(recipient) = ? OR booking_id = ANY(?)
				OR lower(message::text) ~ ?
				OR (kind = 'comment_reply' AND message::text ~ ANY(?))`,
				[]any{email, pgdialect.Array(bookingIDs), wholeAddress(email), pgdialect.Array(commentPatterns(commentIDs))}},
			{&e.BookingLinks, `DELETE FROM booking_links WHERE booking_id = ANY(?)`, []any{pgdialect.Array(bookingIDs)}},
			{&e.Bookings, `UPDATE bookings SET client_name = ?, client_email = '', client_phone = '', address = '',
				notes = '', health = NULL, cancel_reason = '', client_cancel_reason = '',
				postcode = coalesce(substring(upper(postcode) FROM '^\s*([A-Z]{1,2}[0-9][0-9A-Z]{0,1})\s*[0-9][A-Z]{2}\s*$'), ''),
				manage_token_hash = sha256(convert_to(gen_random_uuid()::text || id::text, 'UTF8'))
				WHERE id = ANY(?) AND NOT id = ANY(?)`, []any{ErasedName, pgdialect.Array(bookingIDs), pgdialect.Array(kept)}},
			// Bookings whose treatment notes must be kept: the same, but
			// the name and address stay with the clinical record.
			{nil, `UPDATE bookings SET client_phone = '', address = '',
				notes = '', health = NULL, cancel_reason = '', client_cancel_reason = '',
				postcode = coalesce(substring(upper(postcode) FROM '^\s*([A-Z]{1,2}[0-9][0-9A-Z]{0,1})\s*[0-9][A-Z]{2}\s*$'), ''),
				manage_token_hash = sha256(convert_to(gen_random_uuid()::text || id::text, 'UTF8'))
				WHERE id = ANY(?)`, []any{pgdialect.Array(kept)}},
			// An open offer's hold gives the time back; the waitlist's
			// sweep offers it to the next person.
			{nil, `DELETE FROM bookings WHERE status = 'held' AND id IN (SELECT o.hold_id FROM waitlist_offers o
				JOIN waitlist w ON w.id = o.entry_id WHERE lower(w.email) = ? AND o.outcome = 'offered')`, []any{email}},
			{&e.Waitlist, `DELETE FROM waitlist WHERE lower(email) = ?`, []any{email}},
			{&e.Messages, `DELETE FROM contact_messages WHERE lower(email) = ?`, []any{email}},
			{&e.Subscriptions, `DELETE FROM comment_subscriptions WHERE lower(email) = ?`, []any{email}},
			{&e.Comments, `UPDATE comments SET name = ?, author_hash = '\x'::bytea, ip_hash = '\x'::bytea WHERE id = ANY(?)`,
				[]any{ErasedCommenter, pgdialect.Array(commentIDs)}},
			{nil, `UPDATE comment_blocks SET name = ? WHERE comment_id = ANY(?)`, []any{ErasedCommenter, pgdialect.Array(commentIDs)}},
			{&e.Sessions, `DELETE FROM sessions WHERE lower(encode(data, 'escape')) ~ ?`, []any{wholeAddress(email)}},
		}
		for _, s := range steps {
			res, err := tx.NewRaw(s.query, s.args...).Exec(ctx)
			if err != nil {
				return err
			}
			if s.n != nil {
				if *s.n, err = res.RowsAffected(); err != nil {
					return err
				}
			}
		}
		return commentsChanged(ctx, tx, commentIDs)
	})
	if err != nil {
		return Erasure{}, err
	}
	e.KeptBookings = e.NotesKept
	return e, nil
}

// eraseNotesRule applies the treatment notes' rule to an erasure of email
// (its bookings ids) in tx: notes past their retention are deleted; those
// inside it are a clinical record the practice has a legal duty to keep,
// and stay (their booking ids are returned), and the address is recorded
// so that the retention job finishes the erasure when they go.
func eraseNotesRule(ctx context.Context, tx bun.Tx, email string, bookingIDs []int64, now time.Time, e *Erasure) ([]int64, error) {
	kept := []int64{}
	if len(bookingIDs) == 0 {
		return kept, nil
	}
	years, err := NotesKeepYears(ctx, tx)
	if err != nil {
		return nil, err
	}
	if years > 0 {
		res, err := tx.NewRaw(`DELETE FROM treatment_notes WHERE booking_id = ANY(?2) AND id IN (`+notesPastSQL+`)`,
			now, years, pgdialect.Array(bookingIDs)).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if e.NotesRemoved, err = res.RowsAffected(); err != nil {
			return nil, err
		}
	}
	if err := tx.NewRaw(`SELECT booking_id FROM treatment_notes WHERE booking_id = ANY(?) ORDER BY booking_id`,
		pgdialect.Array(bookingIDs)).Scan(ctx, &kept); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if kept == nil {
		kept = []int64{} // NOT id = ANY(NULL) would keep every booking
	}
	e.NotesKept = int64(len(kept))
	if len(kept) == 0 {
		// Nothing identifies the person any longer: neither does a merge.
		if _, err := tx.NewRaw(`DELETE FROM client_merges WHERE email = ?0 OR into_email = ?0`, email).Exec(ctx); err != nil {
			return nil, err
		}
	}
	if len(kept) > 0 {
		if _, err := tx.NewRaw(`INSERT INTO client_erasures (email, erased_at) VALUES (?, ?)
			ON CONFLICT (email) DO UPDATE SET erased_at = EXCLUDED.erased_at`, email, now).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// commentPatterns are regular expressions that find a link to one of the
// comments ids in a message (…#comment-12, not #comment-123).
func commentPatterns(ids []int64) []string {
	ps := make([]string, 0, len(ids))
	for _, id := range ids {
		ps = append(ps, fmt.Sprintf(`#comment-%d([^0-9]|$)`, id))
	}
	return ps
}

// commentsChanged tells live readers (and every instance's article cache)
// that the public comments ids changed.
func commentsChanged(ctx context.Context, tx bun.Tx, ids []int64) error {
	var cs []Comment
	if len(ids) == 0 {
		return nil
	}
	if err := tx.NewSelect().Model(&cs).Where("c.id = ANY(?)", pgdialect.Array(ids)).
		Where("c.status IN (?, ?)", CommentVisible, CommentDeleted).OrderExpr("c.id").Scan(ctx); err != nil {
		return err
	}
	for i := range cs {
		if err := addEvent(ctx, tx, &cs[i], EventUpdate); err != nil {
			return err
		}
	}
	return nil
}

// wholeAddress is a PostgreSQL regular expression that finds email as a
// whole address in text, not inside a longer one (erasing jo@gmail.com must
// not touch banjo@gmail.com's mail).
func wholeAddress(email string) string {
	var b strings.Builder
	for _, r := range email {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteString(`\`)
			b.WriteRune(r)
		}
	}
	return `(^|[^a-z0-9._%+-])` + b.String() + `($|[^a-z0-9.-]|\.($|[^a-z0-9-]))`
}
