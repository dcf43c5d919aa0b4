package config_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"dynamicmotion/config"
)

// env turns a map into a getenv function.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// summary is the part of a Config that a test compares; URLs become strings.
type summary struct {
	DatabaseURL, DirectDatabaseURL string
	Port                           int
	BaseURL, SMTPURL               string
	LogLevel                       slog.Level
	DBDebug, OnFly, Secure         bool
	AdminEmail                     string
}

func summarise(c config.Config) summary {
	s := summary{
		DatabaseURL: c.DatabaseURL, DirectDatabaseURL: c.DirectDatabaseURL,
		Port: c.Port, LogLevel: c.LogLevel, DBDebug: c.DBDebug, OnFly: c.OnFly,
		AdminEmail: c.AdminEmail, Secure: c.Secure(),
	}
	if c.BaseURL != nil {
		s.BaseURL = c.BaseURL.String()
	}
	if c.SMTPURL != nil {
		s.SMTPURL = c.SMTPURL.String()
	}
	return s
}

func TestFromEnvAcceptsValidConfiguration(t *testing.T) {
	const pg = "postgres://app:pw@db.internal:5432/dynamicmotion?sslmode=disable"
	const direct = "postgresql://app:pw@db-direct.internal:5432/dynamicmotion?sslmode=verify-full"
	tests := []struct {
		name string
		env  map[string]string
		want summary
	}{
		{
			name: "an empty environment gives the development defaults",
			env:  nil,
			want: summary{Port: 8080, BaseURL: "http://localhost:8080", LogLevel: slog.LevelInfo},
		},
		{
			name: "DIRECT_DATABASE_URL defaults to DATABASE_URL",
			env:  map[string]string{"DATABASE_URL": pg},
			want: summary{DatabaseURL: pg, DirectDatabaseURL: pg, Port: 8080, BaseURL: "http://localhost:8080", LogLevel: slog.LevelInfo},
		},
		{
			name: "DIRECT_DATABASE_URL is kept when both are set",
			env:  map[string]string{"DATABASE_URL": pg, "DIRECT_DATABASE_URL": direct},
			want: summary{DatabaseURL: pg, DirectDatabaseURL: direct, Port: 8080, BaseURL: "http://localhost:8080", LogLevel: slog.LevelInfo},
		},
		{
			name: "a unix-socket URL names its host in the query",
			env:  map[string]string{"DATABASE_URL": "postgres://app@/dynamicmotion?host=/run/postgresql"},
			want: summary{
				DatabaseURL: "postgres://app@/dynamicmotion?host=/run/postgresql", DirectDatabaseURL: "postgres://app@/dynamicmotion?host=/run/postgresql",
				Port: 8080, BaseURL: "http://localhost:8080", LogLevel: slog.LevelInfo,
			},
		},
		{
			name: "the default BASE_URL follows PORT",
			env:  map[string]string{"PORT": "3000"},
			want: summary{Port: 3000, BaseURL: "http://localhost:3000", LogLevel: slog.LevelInfo},
		},
		{
			name: "an https BASE_URL loses its trailing slash and makes the site secure",
			env:  map[string]string{"BASE_URL": "https://dynamicmotion.fly.dev/"},
			want: summary{Port: 8080, BaseURL: "https://dynamicmotion.fly.dev", Secure: true, LogLevel: slog.LevelInfo},
		},
		{
			name: "everything else",
			env: map[string]string{
				"PORT": "1", "SMTP_URL": "smtps://mail:pw@smtp.example.com:465", "LOG_LEVEL": "DEBUG",
				"BUNDEBUG": "1", "FLY_APP_NAME": "dynamicmotion", "ADMIN_EMAIL": "  ther@example.com ",
				"DATABASE_URL": "postgres://app@db.internal:5432/dm",
			},
			want: summary{
				DatabaseURL: "postgres://app@db.internal:5432/dm", DirectDatabaseURL: "postgres://app@db.internal:5432/dm",
				Port: 1, BaseURL: "http://localhost:1", SMTPURL: "smtps://mail:pw@smtp.example.com:465",
				LogLevel: slog.LevelDebug, DBDebug: true, OnFly: true, AdminEmail: "ther@example.com",
			},
		},
		{
			name: "BUNDEBUG=0 leaves query logging off; LOG_LEVEL warn",
			env:  map[string]string{"BUNDEBUG": "0", "LOG_LEVEL": "warn", "PORT": "65535"},
			want: summary{Port: 65535, BaseURL: "http://localhost:65535", LogLevel: slog.LevelWarn},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.FromEnv(env(tt.env))
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarise(c)); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromEnvNamesTheMalformedVariable(t *testing.T) {
	const good = "postgres://app:pw@localhost:5432/dm?sslmode=disable"
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"DATABASE_URL that is not a URL", map[string]string{"DATABASE_URL": "::::"}, "DATABASE_URL"},
		{"DATABASE_URL of another database", map[string]string{"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"},
		{"DATABASE_URL without a database name", map[string]string{"DATABASE_URL": "postgres://host"}, "DATABASE_URL"},
		{"DATABASE_URL with only a slash for a database", map[string]string{"DATABASE_URL": "postgres://host/"}, "DATABASE_URL"},
		{"DATABASE_URL without a host", map[string]string{"DATABASE_URL": "postgres:///dm"}, "DATABASE_URL"},
		{"DATABASE_URL with an unknown sslmode", map[string]string{"DATABASE_URL": "postgres://u@h:5432/dm?sslmode=bogus"}, "DATABASE_URL"},
		{"DATABASE_URL with a port out of range", map[string]string{"DATABASE_URL": "postgres://u@h:99999/dm"}, "DATABASE_URL"},
		{"DIRECT_DATABASE_URL with a port of 0", map[string]string{"DATABASE_URL": "postgres://u@h/dm", "DIRECT_DATABASE_URL": "postgres://u@h:0/dm"}, "DIRECT_DATABASE_URL"},
		// pgdriver panics on a timeout it cannot parse, so config must catch it.
		{"DATABASE_URL with a malformed connect_timeout", map[string]string{"DATABASE_URL": "postgres://u@h:5432/dm?connect_timeout=soon"}, "DATABASE_URL"},
		{"DATABASE_URL with a malformed read_timeout", map[string]string{"DATABASE_URL": "postgres://u@h:5432/dm?read_timeout=abc"}, "DATABASE_URL"},
		{"DIRECT_DATABASE_URL without DATABASE_URL", map[string]string{"DIRECT_DATABASE_URL": good}, "DIRECT_DATABASE_URL"},
		{"no DATABASE_URL on Fly.io, where the dev database cannot run", map[string]string{"FLY_APP_NAME": "dynamicmotion"}, "DATABASE_URL"},
		{"DIRECT_DATABASE_URL malformed", map[string]string{"DATABASE_URL": good, "DIRECT_DATABASE_URL": "mysql://x/y"}, "DIRECT_DATABASE_URL"},
		{"PORT that is not a number", map[string]string{"PORT": "abc"}, "PORT"},
		{"PORT zero", map[string]string{"PORT": "0"}, "PORT"},
		{"PORT too large", map[string]string{"PORT": "70000"}, "PORT"},
		{"PORT negative", map[string]string{"PORT": "-1"}, "PORT"},
		{"BASE_URL with another scheme", map[string]string{"BASE_URL": "ftp://x"}, "BASE_URL"},
		{"BASE_URL with a path", map[string]string{"BASE_URL": "https://x/path"}, "BASE_URL"},
		{"BASE_URL with a query", map[string]string{"BASE_URL": "https://x?a=b"}, "BASE_URL"},
		{"BASE_URL that is not a URL", map[string]string{"BASE_URL": "notaurl"}, "BASE_URL"},
		{"SMTP_URL with another scheme", map[string]string{"SMTP_URL": "http://x"}, "SMTP_URL"},
		{"SMTP_URL without a host", map[string]string{"SMTP_URL": "smtp://"}, "SMTP_URL"},
		{"MAIL_FROM not an address", map[string]string{"MAIL_FROM": "bookings at example"}, "MAIL_FROM"},
		{"SMTP_URL with a password but no user", map[string]string{"SMTP_URL": "smtp://:pw@mail.example.com"}, "SMTP_URL"},
		{"LOG_LEVEL unknown", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"ADMIN_EMAIL without @", map[string]string{"ADMIN_EMAIL": "nope"}, "ADMIN_EMAIL"},
		// The load run's switch that lifts the rate limits is refused
		// anywhere it could reach a real site.
		{"BENCH_NO_LIMITS without BENCH_CEILING", map[string]string{"BENCH_NO_LIMITS": "1", "BASE_URL": "http://127.0.0.1:8080"}, "BENCH_NO_LIMITS"},
		{"BENCH_NO_LIMITS on a public BASE_URL", map[string]string{"BENCH_NO_LIMITS": "1", "BENCH_CEILING": "1", "BASE_URL": "https://dynamicmotion.fly.dev"}, "BENCH_NO_LIMITS"},
		{"BENCH_NO_LIMITS on Fly.io", map[string]string{"BENCH_NO_LIMITS": "1", "BENCH_CEILING": "1", "BASE_URL": "http://127.0.0.1:8080", "FLY_APP_NAME": "dynamicmotion", "DATABASE_URL": good}, "BENCH_NO_LIMITS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.FromEnv(env(tt.env))
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("FromEnv error = %v (%T), want a *config.Error", err, err)
			}
			if cerr.Var != tt.wantVar {
				t.Errorf("error names %s, want %s (%v)", cerr.Var, tt.wantVar, err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantVar+": ") {
				t.Errorf("message %q does not start with %s", err, tt.wantVar)
			}
			if cerr.Reason == "" {
				t.Errorf("error %v gives no reason", err)
			}
		})
	}
}

func TestFromEnvKeepsDatabasePasswordsOutOfErrors(t *testing.T) {
	const secret = "s3cret"
	for _, name := range []string{"DATABASE_URL", "DIRECT_DATABASE_URL"} {
		for _, bad := range []string{
			"postgres://u:s3cret@h:5432?sslmode=bogus",      // no database name
			"postgres://u:s3cret@h:5432/dm?sslmode=bogus",   // unknown sslmode
			"postgres://u:s3cret@h:port/dm",                 // url.Parse fails, and its error quotes the URL
			"mysql://u:s3cret@h:5432/dm",                    // wrong scheme
			"postgres://u:s3cret@h:5432/dm\x7f",             // control character
			"postgres://u:s3cret@/dm?sslmode=verify-full&x", // no host
		} {
			vars := map[string]string{name: bad}
			if name == "DIRECT_DATABASE_URL" {
				vars["DATABASE_URL"] = "postgres://u:pw@h:5432/dm"
			}
			_, err := config.FromEnv(env(vars))
			if err == nil {
				t.Errorf("%s=%q: no error", name, bad)
				continue
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s=%q: error %q reveals the password", name, bad, err)
			}
		}
	}
}

// TestBenchNoLimitsOnlyForALoopbackLoadRun: the switch that lifts the rate
// limits takes effect with BENCH_CEILING=1 on a loopback BASE_URL, and is
// off unless asked for.
func TestBenchNoLimitsOnlyForALoopbackLoadRun(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{"BENCH_NO_LIMITS": "1", "BENCH_CEILING": "1", "BASE_URL": "http://127.0.0.1:8080"}))
	if err != nil || !c.BenchNoLimits {
		t.Errorf("BENCH_NO_LIMITS=1 BENCH_CEILING=1 on 127.0.0.1: BenchNoLimits = %v, err %v; want true, nil", c.BenchNoLimits, err)
	}
	c, err = config.FromEnv(env(map[string]string{"BENCH_CEILING": "1"}))
	if err != nil || c.BenchNoLimits {
		t.Errorf("BENCH_CEILING=1 alone: BenchNoLimits = %v, err %v; want false, nil", c.BenchNoLimits, err)
	}
}

func TestSecureOnlyForHTTPS(t *testing.T) {
	for base, want := range map[string]bool{
		"":                         false,
		"http://localhost:8080":    false,
		"http://example.com":       false,
		"https://example.com":      true,
		"https://example.com:8443": true,
	} {
		c, err := config.FromEnv(env(map[string]string{"BASE_URL": base}))
		if err != nil {
			t.Fatalf("BASE_URL=%q: %v", base, err)
		}
		if got := c.Secure(); got != want {
			t.Errorf("BASE_URL=%q: Secure() = %v, want %v", base, got, want)
		}
	}
}
