// Command dynamicmotion is the website of Dynamic Motion Sports Therapy:
// articles, live comments, online booking and the therapist's admin area, in
// one binary with PostgreSQL as its only store.
//
// Usage:
//
//	dynamicmotion [serve]        run the site (the default)
//	dynamicmotion migrate        apply pending database migrations and exit
//	dynamicmotion seed           load the demo content (safe to repeat)
//	dynamicmotion admin-password set the therapist's password from stdin
//
// Configuration comes from the environment; see README.md. With
// DATABASE_URL unset, a private PostgreSQL is started under ./data.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/London on any base image

	"github.com/alexedwards/scs/postgresstore"
	"github.com/uptrace/bun"

	"dynamicmotion/booking"
	"dynamicmotion/clock"
	"dynamicmotion/config"
	"dynamicmotion/db"
	"dynamicmotion/devpg"
	"dynamicmotion/emails"
	"dynamicmotion/handlers"
	"dynamicmotion/jobs"
	"dynamicmotion/mail"
	"dynamicmotion/password"
	"dynamicmotion/static"
	"dynamicmotion/views"
)

// shutdownGrace is how long in-flight requests get to finish after SIGINT or
// SIGTERM. Everything else fits in the second and a half that fly.toml's
// kill_timeout (5 s) leaves: saving the article views (half a second at
// most) after the drain, and beside it the job queue (the grace less half a
// second, then at most a second to cancel what still runs).
const shutdownGrace = 3500 * time.Millisecond

const usage = `usage: dynamicmotion [serve | migrate | seed | admin-password]`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stderr))
}

func run(args []string, getenv func(string) string, stdin io.Reader, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "configuration error:", err)
		return 2
	}
	log := newLogger(cfg, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		softMemoryLimit(getenv, log)
		err = serve(ctx, stop, cfg, log)
	case "migrate":
		err = withDatabase(ctx, cfg, log, func(_, direct *bun.DB, _ string) error { return migrate(ctx, direct, log) })
	case "seed":
		err = withDatabase(ctx, cfg, log, func(app, direct *bun.DB, _ string) error {
			if err := migrate(ctx, direct, log); err != nil {
				return err
			}
			return db.Seed(ctx, app)
		})
	case "admin-password":
		err = setAdminPassword(ctx, cfg, log, stdin, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stderr, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	if err != nil {
		log.Error(cmd+" failed", slog.Any("err", err))
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.OnFly {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// withDatabase opens the pooled and the direct connection, starting the
// private development server when DATABASE_URL is unset, runs fn with both
// and the direct URL, and closes everything.
func withDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(app, direct *bun.DB, directURL string) error) error {
	appURL, directURL := cfg.DatabaseURL, cfg.DirectDatabaseURL
	if appURL == "" {
		dev, err := devpg.Start(ctx, "data", "dynamicmotion", log)
		if err != nil {
			return err
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := dev.Stop(stopCtx); err != nil {
				log.Warn("stopping dev postgres", slog.Any("err", err))
			}
		}()
		appURL, directURL = dev.DSN(), dev.DSN()
	}
	app, err := db.Open(ctx, appURL, db.Options{Debug: cfg.DBDebug})
	if err != nil {
		return err
	}
	defer app.Close()
	direct, err := db.Open(ctx, directURL, db.Options{MaxOpenConns: 3, ReadTimeout: 10 * time.Minute, AppName: "dynamicmotion-direct"})
	if err != nil {
		return err
	}
	defer direct.Close()
	return fn(app, direct, directURL)
}

func migrate(ctx context.Context, direct *bun.DB, log *slog.Logger) error {
	applied, err := db.Migrate(ctx, direct)
	if len(applied) > 0 {
		log.Info("migrations applied", slog.String("names", strings.Join(applied, ", ")))
	}
	return err
}

// serve runs the site until ctx ends (SIGINT or SIGTERM), then drains:
// new connections are refused, in-flight requests get shutdownGrace to
// finish, event streams are told to end, and whatever still runs after the
// grace has its request context cancelled (which cancels its queries) before
// the pool closes. stopSignals restores the default signal handling once the
// drain starts, so a second Ctrl-C ends the process at once.
// defaultMemoryLimit is the memory the Go runtime works to stay under when
// GOMEMLIMIT is not set: the machine has 256 MB and the budget for the
// process is 200 MB resident, of which the binary and what the runtime does
// not manage take some 20 MB. Without it the collector lets the heap double
// before it runs and returns freed memory lazily: eight addresses guessing
// passwords at once (19 MiB of argon2 memory per check) took the process
// to 200 MB; with 128 MiB, to 150 MB.
const defaultMemoryLimit = 128 << 20

// softMemoryLimit sets defaultMemoryLimit unless GOMEMLIMIT says otherwise
// (the runtime has then read it already). It is a soft limit: past it the
// collector runs more often; it never refuses an allocation.
func softMemoryLimit(getenv func(string) string, log *slog.Logger) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	log.Debug("soft memory limit", slog.Int("MiB", defaultMemoryLimit>>20))
}

func serve(ctx context.Context, stopSignals func(), cfg config.Config, log *slog.Logger) error {
	return withDatabase(ctx, cfg, log, func(app, direct *bun.DB, directURL string) error {
		if cfg.DatabaseURL == "" { // development: make the private database ready to browse
			if err := migrate(ctx, direct, log); err != nil {
				return err
			}
			if err := db.Seed(ctx, app); err != nil {
				return fmt.Errorf("seeding: %w", err)
			}
			if err := devAdmin(ctx, &cfg, app, log); err != nil {
				return err
			}
		}
		assets, err := static.Load()
		if err != nil {
			return err
		}
		renderer, err := views.New(map[string]any{"asset": assets.URL})
		if err != nil {
			return err
		}

		store := postgresstore.NewWithCleanupInterval(app.DB, 30*time.Minute)
		defer store.StopCleanup()
		sessions := handlers.NewSessions(store, cfg.Secure())

		done := make(chan struct{})
		// Every request's context descends from base, cancelled when the
		// drain's grace is over.
		base, cancelBase := context.WithCancel(context.Background())
		defer cancelBase()
		queue, err := newQueue(ctx, cfg, app, directURL, log)
		if err != nil {
			return err
		}
		// One clock for everything that decides by the time: the wall clock.
		// The booking rules queue their mail through the job queue, whose
		// waitlist workers run the rules' offers in turn.
		now := clock.System
		desk := booking.New(app, queue, now)
		queue.SetWaitlist(desk)
		h := handlers.New(handlers.Deps{
			Config: cfg, DB: app, Views: renderer, Assets: assets,
			Sessions: sessions, Log: log, Done: done, DirectDB: direct, Jobs: queue,
			Now: now, Booking: desk,
		})
		// Background work (e-mail, reminders) runs until the drain is over;
		// jobs cut short are retried by whichever instance runs next.
		if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
			queue.Close()
			if pending, perr := db.PendingMigrations(ctx, direct); perr == nil && len(pending) > 0 {
				return fmt.Errorf("the database is not migrated (%d migrations pending, the first %s): run `dynamicmotion migrate` first (on Fly the release command does)",
					len(pending), pending[0])
			}
			return fmt.Errorf("starting the job queue: %w", err)
		}
		// The queue stops taking jobs as soon as the drain starts, beside it,
		// and gets most of the drain's grace to finish what runs.
		queueStopped := make(chan struct{})
		stopQueue := sync.OnceFunc(func() {
			go func() {
				defer close(queueStopped)
				stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace-500*time.Millisecond)
				defer cancel()
				if err := queue.Stop(stopCtx); err != nil {
					log.Warn("job queue stopped with jobs running; they will be retried", slog.Any("err", err))
				}
			}()
		})
		defer func() { stopQueue(); <-queueStopped }()
		// Live comments: hear every instance's comment events until the
		// drain is over.
		hubCtx, stopHub := context.WithCancel(context.Background())
		hubDone := make(chan struct{})
		go func() {
			defer close(hubDone)
			if err := h.Run(hubCtx); err != nil {
				log.Error("live comments stopped", slog.Any("err", err))
			}
		}()
		defer func() { stopHub(); <-hubDone }()
		srv := &http.Server{
			Addr:              ":" + strconv.Itoa(cfg.Port),
			Handler:           h.Echo(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return base },
			// WriteTimeout stays 0: event streams stay open for minutes.
		}
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return fmt.Errorf("PORT %d: %w", cfg.Port, err)
		}
		log.Info("listening", slog.String("url", cfg.BaseURL.String()), slog.Int("port", cfg.Port))

		serveErr := make(chan error, 1)
		go func() { serveErr <- srv.Serve(ln) }()
		select {
		case err := <-serveErr:
			return err
		case <-ctx.Done():
		}
		stopSignals()

		log.Info("shutting down: draining requests", slog.Duration("grace", shutdownGrace))
		close(done) // ends event streams so that they do not hold the drain
		stopQueue()
		drainCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(drainCtx); err != nil {
			log.Warn("drain incomplete, cancelling remaining requests", slog.Any("err", err))
			cancelBase()
			srv.Close()
		}
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		closeCtx, cancelClose := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancelClose()
		if err := h.Close(closeCtx); err != nil {
			log.Warn("article views not saved", slog.Any("err", err))
		}
		log.Info("stopped")
		return nil
	})
}

// newQueue builds the job queue: mail goes to SMTP_URL, or stays in the
// outbox when it is unset.
func newQueue(ctx context.Context, cfg config.Config, app *bun.DB, dsn string, log *slog.Logger) (*jobs.Queue, error) {
	var sender mail.Sender
	if cfg.SMTPURL != nil {
		sender = mail.NewSMTP(cfg.SMTP)
	} else if cfg.OnFly {
		// In production this is almost always a forgotten secret: clients
		// would get no confirmation. Loud, but the site still runs, and
		// every message waits in the outbox for the therapist to see.
		log.Error("SMTP_URL is not set: no e-mail is sent, every message is kept in the outbox (/admin/outbox). Set it with `fly secrets set SMTP_URL=…`")
	} else {
		log.Info("SMTP_URL is not set: e-mail is kept in the outbox (/admin/outbox)")
	}
	return jobs.New(ctx, jobs.Config{
		DB: app, DSN: dsn, Sender: sender, Log: log,
		Practice: func(ctx context.Context, idb bun.IDB) (emails.Practice, error) {
			biz, err := db.GetBusiness(ctx, idb)
			return emails.PracticeFor(biz, cfg.BaseURL), err
		},
	})
}

// devAdminEmail is the development login when ADMIN_EMAIL is unset.
const devAdminEmail = "therapist@dynamicmotion.test"

// devAdmin makes sure the private development database has a login: on
// first start it sets a random password, writes it to data/dev-admin.txt
// and logs where to find it.
func devAdmin(ctx context.Context, cfg *config.Config, app *bun.DB, log *slog.Logger) error {
	if cfg.AdminEmail == "" {
		cfg.AdminEmail = devAdminEmail
	}
	file := filepath.Join("data", "dev-admin.txt")
	if _, err := db.AdminPasswordHash(ctx, app, cfg.AdminEmail); err == nil {
		log.Info("development login at /admin/login", slog.String("email", cfg.AdminEmail), slog.String("password in", file))
		return nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var b [12]byte
	rand.Read(b[:])
	pw := base64.RawURLEncoding.EncodeToString(b[:])
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	if err := db.SetAdminPassword(ctx, app, cfg.AdminEmail, hash); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte("email: "+cfg.AdminEmail+"\npassword: "+pw+"\n"), 0o600); err != nil {
		return err
	}
	log.Info("development login created at /admin/login", slog.String("email", cfg.AdminEmail), slog.String("password in", file))
	return nil
}

// setAdminPassword reads a password (see password.Read) and stores its
// argon2id hash for ADMIN_EMAIL.
func setAdminPassword(ctx context.Context, cfg config.Config, log *slog.Logger, stdin io.Reader, stderr io.Writer) error {
	// What can be refused is refused before the database is reached (or,
	// without DATABASE_URL, a development server started for nothing).
	if cfg.AdminEmail == "" {
		return errors.New("ADMIN_EMAIL is not set: it names the account whose password to set")
	}
	pw, err := password.Read(stdin, stderr, cfg.AdminEmail)
	if err != nil {
		return err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	if err := withDatabase(ctx, cfg, log, func(app, _ *bun.DB, _ string) error {
		return db.SetAdminPassword(ctx, app, cfg.AdminEmail, hash)
	}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "password set for %s\n", cfg.AdminEmail)
	return nil
}
