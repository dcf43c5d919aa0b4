// Package migrations embeds the numbered SQL migrations applied by db.Migrate.
//
// File names follow bun/migrate: NNNN_name.tx.up.sql runs in a transaction;
// each has a matching .down.sql.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
