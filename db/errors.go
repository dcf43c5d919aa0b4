package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"
)

// The driver's errors are read here, so that no package above db imports
// the driver to tell one failure from another.

// sqlState is the SQLSTATE PostgreSQL gave err, or "".
func sqlState(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C')
	}
	return ""
}

// IsDeadlock reports whether PostgreSQL cancelled err's transaction to break
// a deadlock (SQLSTATE 40P01): the transaction may simply be run again.
func IsDeadlock(err error) bool { return sqlState(err) == "40P01" }

// IsUnavailable reports errors that mean the database cannot be reached
// right now, which a visitor sees as 503 rather than 500. Besides a
// connection that cannot be made or broke, that is what PostgreSQL itself
// says while it stops or starts (a restart, a failover): SQLSTATE class 08
// (connection exception), 57P01–57P03 (the server is shutting down,
// crashed, or is starting up and not accepting connections yet), 53300
// (too many connections: several instances at their pool limits) and
// 55000 with 3D000 (the database refuses connections or is gone for a
// moment, as during a restore or a failover's switch).
func IsUnavailable(err error) bool {
	switch code := sqlState(err); {
	case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03",
		code == "53300", code == "55000", code == "3D000":
		return true
	}
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne)
}
