// Package migrations embeds the numbered SQL migrations applied by db.Migrate.
//
// File names follow bun/migrate: NNNN_name.tx.up.sql runs in a transaction;
// each has a matching .down.sql.
package migrations

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS

// All returns the names of every migration (the part before the first
// underscore, as bun/migrate names them), in order.
func All() ([]string, error) {
	files, err := fs.Glob(FS, "*.up.sql")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		name, _, _ := strings.Cut(f, "_")
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}
