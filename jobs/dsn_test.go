package jobs

import "testing"

func TestPgxDSN(t *testing.T) {
	for in, want := range map[string]string{
		// The development database: a socket file becomes its directory and port.
		"postgres://postgres@/dynamicmotion?host=/work/data/run/.s.PGSQL.5432&sslmode=disable": "postgres://postgres@/dynamicmotion?host=%2Fwork%2Fdata%2Frun&port=5432&sslmode=disable",
		// Everything else is left alone.
		"postgres://postgres@127.0.0.1:5432/db?sslmode=disable": "postgres://postgres@127.0.0.1:5432/db?sslmode=disable",
		"postgres://postgres@/db?host=/var/run/postgresql":      "postgres://postgres@/db?host=/var/run/postgresql",
		"not a url %": "not a url %",
	} {
		if got := pgxDSN(in); got != want {
			t.Errorf("pgxDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
