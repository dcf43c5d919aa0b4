package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"
)

// ContactMessage is one message sent through the contact form, kept so
// that the therapist can read it in the admin area whether or not its
// e-mail arrived.
type ContactMessage struct {
	bun.BaseModel `bun:"table:contact_messages,alias:cm"`

	ID        int64      `bun:"id,pk,autoincrement"`
	Name      string     `bun:"name"`
	Email     string     `bun:"email"`
	Phone     string     `bun:"phone"` // "" when not given
	Message   string     `bun:"message"`
	CreatedAt time.Time  `bun:"created_at,nullzero,default:now()"`
	ReadAt    *time.Time `bun:"read_at"` // nil while unread
}

// AddContactMessage stores m and sets its ID and CreatedAt. Call it in the
// transaction that enqueues its e-mail.
func AddContactMessage(ctx context.Context, idb bun.IDB, m *ContactMessage) error {
	_, err := idb.NewInsert().Model(m).ExcludeColumn("id", "created_at", "read_at").
		Returning("id, created_at").Exec(ctx)
	return err
}

// ListContactMessages returns the newest messages first, at most limit,
// older than the message with id before (0: from the newest).
func ListContactMessages(ctx context.Context, idb bun.IDB, before int64, limit int) ([]ContactMessage, error) {
	var ms []ContactMessage
	q := idb.NewSelect().Model(&ms).OrderExpr("cm.id DESC").Limit(limit)
	if before > 0 {
		q.Where("cm.id < ?", before)
	}
	err := q.Scan(ctx)
	return ms, err
}

// ContactMessageByID returns one message, or sql.ErrNoRows.
func ContactMessageByID(ctx context.Context, idb bun.IDB, id int64) (ContactMessage, error) {
	var m ContactMessage
	err := idb.NewSelect().Model(&m).Where("cm.id = ?", id).Scan(ctx)
	return m, err
}

// CountUnreadContactMessages counts the messages not yet marked read.
func CountUnreadContactMessages(ctx context.Context, idb bun.IDB) (int, error) {
	return idb.NewSelect().Model((*ContactMessage)(nil)).Where("cm.read_at IS NULL").Count(ctx)
}

// MarkContactMessageRead marks message id read (keeping the first time it
// was read), or unread again; sql.ErrNoRows if there is no such message.
func MarkContactMessageRead(ctx context.Context, idb bun.IDB, id int64, read bool) error {
	set := "read_at = NULL"
	if read {
		set = "read_at = coalesce(read_at, now())"
	}
	res, err := idb.NewUpdate().Model((*ContactMessage)(nil)).Set(set).Where("id = ?", id).Exec(ctx)
	return expectRow(res, err)
}

// DeleteContactMessage deletes message id for good (for example when its
// sender asks to be forgotten); sql.ErrNoRows if there is no such message.
// The copy in the outbox goes with the outbox's own clean-up.
func DeleteContactMessage(ctx context.Context, idb bun.IDB, id int64) error {
	res, err := idb.NewDelete().Model((*ContactMessage)(nil)).Where("id = ?", id).Exec(ctx)
	return expectRow(res, err)
}

// expectRow turns an update that changed no row into sql.ErrNoRows.
func expectRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}
