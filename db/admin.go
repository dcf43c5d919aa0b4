package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// SetAdminPassword creates the admin account for email, or replaces its
// password hash if it exists (emails compare case-insensitively).
func SetAdminPassword(ctx context.Context, idb bun.IDB, email, hash string) error {
	_, err := idb.NewRaw(`
		INSERT INTO admins (email, password_hash) VALUES (?, ?)
		ON CONFLICT (lower(email)) DO UPDATE
		SET password_hash = EXCLUDED.password_hash, updated_at = now()`,
		email, hash).Exec(ctx)
	return err
}

// AdminPasswordHash returns the stored hash for email, or sql.ErrNoRows.
func AdminPasswordHash(ctx context.Context, idb bun.IDB, email string) (string, error) {
	var hash string
	err := idb.NewRaw(`SELECT password_hash FROM admins WHERE lower(email) = lower(?)`, email).
		Scan(ctx, &hash)
	return hash, err
}

// ClaimLoginAlert records that the notice of failed logins to email's
// account goes out at now, and reports true, unless one went out less than
// every before now (or there is no such account): then false. The check
// and the record are one statement, so that of several instances that see
// the failures at once only one sends the notice.
func ClaimLoginAlert(ctx context.Context, idb bun.IDB, email string, now time.Time, every time.Duration) (bool, error) {
	res, err := idb.NewRaw(`
		UPDATE admins SET login_alert_at = ?
		WHERE lower(email) = lower(?) AND (login_alert_at IS NULL OR login_alert_at <= ?)`,
		now, email, now.Add(-every)).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
