// Package config reads the site's configuration from the environment.
//
// Every value is checked when the process starts; a missing or malformed value
// becomes one error that names the variable, never a panic later on.
package config

import (
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/uptrace/bun/driver/pgdriver"

	"dynamicmotion/mail"
)

// Config is the validated configuration of one process.
type Config struct {
	// DatabaseURL is the pooled connection for queries. Empty means
	// "start the private development PostgreSQL under ./data".
	DatabaseURL string
	// DirectDatabaseURL bypasses a transaction pooler; it is used for
	// migrations and LISTEN. It defaults to DatabaseURL.
	DirectDatabaseURL string
	// Port is the TCP port the HTTP server listens on.
	Port int
	// BaseURL is the public origin of the site, without a trailing slash.
	BaseURL *url.URL
	// SMTPURL is the mail server; nil keeps mail in the outbox.
	SMTPURL *url.URL
	// SMTP is SMTPURL parsed for sending, with MailFrom as the sender.
	SMTP mail.Config
	// MailFrom is the sender of the site's e-mail (MAIL_FROM, e.g.
	// "Dynamic Motion <bookings@dynamicmotion.example>"); by default
	// bookings@ the host of BASE_URL. Replies go to the practice's address.
	MailFrom mail.Address
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// DBDebug logs every SQL query (BUNDEBUG=1).
	DBDebug bool
	// OnFly is true when the process runs on Fly.io (FLY_APP_NAME is set);
	// only then is the Fly-Client-IP header trusted.
	OnFly bool
	// AdminEmail names the therapist's login account.
	AdminEmail string
	// BenchCeiling (BENCH_CEILING=1) adds /_bench/ceiling, an article page
	// served from memory, which the load script measures pages against.
	BenchCeiling bool
	// BenchNoLimits (BENCH_NO_LIMITS=1) lifts the per-address and
	// per-session limits on comments and bookings, so that a load run can
	// post thousands from one address. It is for the load script only: it
	// is refused unless BENCH_CEILING=1 is set too, BASE_URL is a loopback
	// address and the process is not on Fly.io.
	BenchNoLimits bool
}

// Secure reports whether the site is served over HTTPS, which decides
// cookie flags and HSTS.
func (c Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// Error is a configuration problem with one variable.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return e.Var + ": " + e.Reason }

// FromEnv reads the configuration through getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Config, error) {
	var c Config
	var err error

	if c.DatabaseURL, err = databaseURL("DATABASE_URL", getenv("DATABASE_URL")); err != nil {
		return c, err
	}
	if c.DirectDatabaseURL, err = databaseURL("DIRECT_DATABASE_URL", getenv("DIRECT_DATABASE_URL")); err != nil {
		return c, err
	}
	if c.DirectDatabaseURL == "" {
		c.DirectDatabaseURL = c.DatabaseURL
	} else if c.DatabaseURL == "" {
		return c, &Error{"DIRECT_DATABASE_URL", "is set but DATABASE_URL is not; set both or neither"}
	}

	c.Port = 8080
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return c, &Error{"PORT", fmt.Sprintf("%q is not a port number (1-65535)", v)}
		}
		c.Port = p
	}

	base := getenv("BASE_URL")
	if base == "" {
		base = fmt.Sprintf("http://localhost:%d", c.Port)
	}
	if c.BaseURL, err = parseBaseURL(base); err != nil {
		return c, err
	}

	c.MailFrom = mail.Address{Name: "Dynamic Motion Sports Therapy", Email: "bookings@" + c.BaseURL.Hostname()}
	if v := strings.TrimSpace(getenv("MAIL_FROM")); v != "" {
		a, err := netmail.ParseAddress(v)
		if err != nil {
			return c, &Error{"MAIL_FROM", fmt.Sprintf("%q is not an address such as \"Dynamic Motion <bookings@example.com>\"", v)}
		}
		c.MailFrom = mail.Address{Name: a.Name, Email: a.Address}
	}
	if v := getenv("SMTP_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			return c, &Error{"SMTP_URL", "must look like smtp://user:pass@host:587 or smtps://host:465"}
		}
		sc, err := mail.ParseURL(v, c.MailFrom)
		if err != nil {
			return c, &Error{"SMTP_URL", strings.TrimPrefix(err.Error(), "SMTP_URL ")}
		}
		c.SMTPURL, c.SMTP = u, sc
	}

	c.LogLevel = slog.LevelInfo
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, &Error{"LOG_LEVEL", fmt.Sprintf("%q is not one of debug, info, warn, error", v)}
		}
	}

	c.DBDebug = getenv("BUNDEBUG") != "" && getenv("BUNDEBUG") != "0"
	c.OnFly = getenv("FLY_APP_NAME") != ""
	c.BenchCeiling = getenv("BENCH_CEILING") == "1"
	if getenv("BENCH_NO_LIMITS") != "" && getenv("BENCH_NO_LIMITS") != "0" {
		switch {
		case !c.BenchCeiling:
			return c, &Error{"BENCH_NO_LIMITS", "lifts the rate limits for a load run and is only allowed together with BENCH_CEILING=1"}
		case c.OnFly || !loopback(c.BaseURL):
			return c, &Error{"BENCH_NO_LIMITS", "lifts the rate limits for a load run and is only allowed on a loopback BASE_URL (http://127.0.0.1:PORT), never on Fly.io"}
		}
		c.BenchNoLimits = true
	}
	if c.OnFly && c.DatabaseURL == "" {
		// The private development database cannot run in the container.
		return c, &Error{"DATABASE_URL", "is required on Fly.io: attach a PostgreSQL (fly postgres attach) or set the secret"}
	}
	c.AdminEmail = strings.TrimSpace(getenv("ADMIN_EMAIL"))
	if c.AdminEmail != "" && !strings.Contains(c.AdminEmail, "@") {
		return c, &Error{"ADMIN_EMAIL", fmt.Sprintf("%q is not an email address", c.AdminEmail)}
	}
	return c, nil
}

func parseBaseURL(v string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, &Error{"BASE_URL", fmt.Sprintf("%q must be an origin such as https://dynamicmotion.fly.dev", v)}
	}
	return u, nil
}

// loopback reports whether u names this machine by a loopback address.
func loopback(u *url.URL) bool {
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// databaseURL checks a PostgreSQL URL well enough that pgdriver, which
// panics on a malformed DSN, never sees a bad one.
func databaseURL(name, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", &Error{name, "is not a valid URL (postgres://user:password@host:5432/dbname?sslmode=disable)"}
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", &Error{name, fmt.Sprintf("scheme %q: want postgres://user:password@host:5432/dbname", u.Scheme)}
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return "", &Error{name, "has no host"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", &Error{name, fmt.Sprintf("port %q: want a number from 1 to 65535", p)}
		}
	}
	if len(u.Path) <= 1 {
		return "", &Error{name, "has no database name"}
	}
	switch m := u.Query().Get("sslmode"); m {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return "", &Error{name, fmt.Sprintf("unknown sslmode %q", m)}
	}
	if !pgdriverAccepts(v) {
		return "", &Error{name, "has a parameter the PostgreSQL driver cannot use (check the *_timeout values and certificate paths)"}
	}
	return v, nil
}

// pgdriverAccepts runs the driver's own DSN parser, which panics on what it
// cannot use (a bad timeout, an unreadable certificate). The panic text may
// quote the URL with its password, so only the verdict is kept.
func pgdriverAccepts(dsn string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	pgdriver.NewConnector(pgdriver.WithDSN(dsn))
	return true
}
