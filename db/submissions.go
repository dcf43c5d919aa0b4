package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
)

// ClaimSubmission claims the submission keyHash for the transaction tx.
// It answers claimed when this is the first time the form was sent; the
// caller then creates what the form asks for in tx and records where it
// went with FinishSubmission. Otherwise the form was sent before and its
// first sending committed: result is where that one went. A twin sent at
// the same moment waits here until the first commits or rolls back (and
// then claims it for itself).
func ClaimSubmission(ctx context.Context, tx bun.Tx, keyHash []byte) (result string, claimed bool, err error) {
	var got []byte
	err = tx.QueryRowContext(ctx,
		"INSERT INTO form_submissions (key_hash) VALUES (?) ON CONFLICT DO NOTHING RETURNING key_hash",
		keyHash).Scan(&got)
	switch {
	case err == nil:
		return "", true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", false, err
	}
	err = tx.QueryRowContext(ctx, "SELECT result FROM form_submissions WHERE key_hash = ?", keyHash).Scan(&result)
	return result, false, err
}

// FinishSubmission records where the submission keyHash, claimed in tx,
// went: the page its twin should be sent to.
func FinishSubmission(ctx context.Context, tx bun.Tx, keyHash []byte, result string) error {
	_, err := tx.ExecContext(ctx, "UPDATE form_submissions SET result = ? WHERE key_hash = ?", result, keyHash)
	return err
}

// SubmissionResult is where the submission keyHash went, if it committed.
func SubmissionResult(ctx context.Context, idb bun.IDB, keyHash []byte) (result string, found bool, err error) {
	err = idb.QueryRowContext(ctx, "SELECT result FROM form_submissions WHERE key_hash = ?", keyHash).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return result, err == nil, err
}

// PruneSubmissions forgets submissions older than a day (a form is not sent
// twice a day apart), and returns how many.
func PruneSubmissions(ctx context.Context, idb bun.IDB) (int64, error) {
	res, err := idb.ExecContext(ctx, "DELETE FROM form_submissions WHERE created_at < now() - interval '1 day'")
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
