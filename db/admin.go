package db

import (
	"context"

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
