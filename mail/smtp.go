package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode says how the connection to the SMTP server is secured.
type TLSMode int

const (
	// StartTLSIfOffered (smtp://) upgrades with STARTTLS when the server offers it and speaks plain SMTP
	// otherwise. If the server offers STARTTLS and the handshake fails (an untrusted certificate, say), the
	// send fails: there is no fallback to plain text. Over plain SMTP, credentials are only sent to a
	// loopback server (go-mail's rule, see Config).
	StartTLSIfOffered TLSMode = iota
	// ImplicitTLS (smtps://) speaks TLS from the first byte.
	ImplicitTLS
)

func (m TLSMode) String() string {
	switch m {
	case StartTLSIfOffered:
		return "starttls-if-offered"
	case ImplicitTLS:
		return "implicit-tls"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Config is where mail goes, from SMTP_URL.
//
// With Username set, the client authenticates, preferring AUTH PLAIN, then LOGIN, then whatever else the
// server offers (go-mail's auto-discovery). go-mail refuses to send PLAIN or LOGIN credentials over an
// unencrypted connection unless Host is literally "localhost", "127.0.0.1" or "::1", so on smtp:// to a
// remote server that does not offer STARTTLS the send fails ("unencrypted connection") instead of leaking
// the password.
type Config struct {
	Host               string
	Port               int
	Username, Password string
	TLS                TLSMode // StartTLSIfOffered for smtp://, ImplicitTLS for smtps://
	From               Address // the practice's sender
	HeloName           string  // the EHLO name; empty: the machine's host name

	// RootCAs, when set, replaces the system's roots for verifying the server certificate. It exists for
	// tests (a self-signed certificate made on the fly); production leaves it nil.
	RootCAs *x509.CertPool
}

// ParseURL reads SMTP_URL: smtp://[user[:pass]@]host[:port] (default port 587, STARTTLS when the server
// offers it and plain SMTP otherwise) or smtps://… (default port 465, TLS from the start). Credentials are
// optional and percent-decoded. Anything else is an error naming SMTP_URL and what is wrong (no panic, no
// secret in the message).
func ParseURL(raw string, from Address) (Config, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Config{}, errors.New("SMTP_URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, urlError(err)
	}
	var c Config
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.Port, c.TLS = 587, StartTLSIfOffered
	case "smtps":
		c.Port, c.TLS = 465, ImplicitTLS
	default:
		// The scheme is not quoted: in "user:secret@host" it would be the user name.
		return Config{}, errors.New("SMTP_URL must start with smtp:// or smtps://")
	}
	if u.Opaque != "" {
		return Config{}, errors.New("SMTP_URL must start with smtp:// or smtps:// (the two slashes are missing)")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("SMTP_URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("SMTP_URL has an invalid port %q (want 1-65535)", p)
		}
		c.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, errors.New("SMTP_URL must not have a path")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return Config{}, errors.New("SMTP_URL must not have a query or fragment")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" && c.Password != "" {
			return Config{}, errors.New("SMTP_URL has a password but no user name")
		}
	}
	if _, err := checkAddress("sender (From)", from, true); err != nil {
		return Config{}, fmt.Errorf("SMTP_URL: %w", err)
	}
	c.From = from
	return c, nil
}

// urlError describes a url.Parse failure without repeating the URL, which may hold a password.
func urlError(err error) error {
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var esc url.EscapeError
	var host url.InvalidHostError
	switch {
	case errors.As(inner, &esc):
		return errors.New("SMTP_URL has an invalid percent-escape (write a % in a password as %25)")
	case errors.As(inner, &host):
		return errors.New("SMTP_URL has an invalid host")
	case strings.Contains(inner.Error(), "invalid port"):
		return errors.New("SMTP_URL has an invalid port (want 1-65535)")
	case strings.Contains(inner.Error(), "userinfo"):
		return errors.New("SMTP_URL has invalid characters in the user name or password (percent-encode them)")
	}
	return errors.New("SMTP_URL is not a valid URL (want smtp://[user[:pass]@]host[:port] or smtps://…)")
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through a server; safe for concurrent use. Each Send opens its own connection (and its own
// go-mail client), sends one message and says QUIT.
type SMTP struct {
	c Config
}

var _ Sender = (*SMTP)(nil)

// NewSMTP returns a sender for c. Nothing is dialled until Send.
func NewSMTP(c Config) *SMTP { return &SMTP{c: c} }

// sendError is a failure of SMTP.Send, classified when it happens. Its text never contains the recipient's
// address (go-mail's errors and many servers' replies do), so that it can be logged: DESIGN.md wants no
// personal data in logs. The wrapped error is unchanged.
type sendError struct {
	stage  string // "connect" or "send"
	err    error
	temp   bool
	redact string // the recipient's address
}

func (e *sendError) Error() string {
	msg := e.err.Error()
	if e.redact != "" {
		msg = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(e.redact)).ReplaceAllLiteralString(msg, "[recipient]")
	}
	return "mail: " + e.stage + ": " + msg
}

func (e *sendError) Unwrap() error { return e.err }

// Send validates m (see Build), connects, secures the connection as configured, authenticates when
// credentials are set, and delivers m from c.From to m.To. The context bounds the whole exchange: when it
// is cancelled or its deadline passes, the connection is closed at once and Send returns an error wrapping
// ctx.Err(). Every error can be passed to Temporary.
//
// A message the server has accepted (250 after DATA) counts as sent even if the connection then fails
// (RSET, QUIT), so that a retry does not deliver it twice.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := compose(s.c.From, m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return &sendError{stage: "connect", err: err, temp: true}
	}

	tlsConf := &tls.Config{ServerName: s.c.Host, MinVersion: tls.VersionTLS12, RootCAs: s.c.RootCAs}
	addr := net.JoinHostPort(s.c.Host, strconv.Itoa(s.c.Port))

	// go-mail applies the context to dialling only; after that each command has a fixed deadline. To make
	// cancellation stop the whole exchange, the connection is closed when ctx is done. The raw connection
	// is what gets closed; go-mail must still see a *tls.Conn for implicit TLS (it decides from the type
	// whether PLAIN credentials may be sent), so it is not wrapped.
	var (
		mu       sync.Mutex
		raw      net.Conn
		stopFunc func() bool
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if stopFunc != nil {
			stopFunc()
		}
		if raw != nil {
			// go-mail leaves the connection open when the greeting, EHLO, STARTTLS or AUTH fails; after a
			// QUIT it is closed already and this is a no-op.
			raw.Close()
		}
	}()
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		d := &net.Dialer{}
		conn, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		raw = conn
		stopFunc = context.AfterFunc(ctx, func() { conn.Close() })
		mu.Unlock()
		if s.c.TLS != ImplicitTLS {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(dctx); err != nil {
			return nil, err
		}
		return tc, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.c.Port),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConf),
		gomail.WithoutNoop(), // a fresh connection needs no NOOP before MAIL FROM
		gomail.WithoutRset(), // nor an RSET before QUIT
	}
	if s.c.TLS == ImplicitTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS)) // already TLS: no STARTTLS on top
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.c.HeloName != "" {
		opts = append(opts, gomail.WithHELO(s.c.HeloName))
	}
	if s.c.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.c.Username), gomail.WithPassword(s.c.Password))
	}
	client, err := gomail.NewClient(s.c.Host, opts...)
	if err != nil {
		return &sendError{stage: "connect", err: err, temp: true}
	}

	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// Greeting, EHLO, STARTTLS and AUTH failures are about the server or our configuration, not about
		// this message: worth retrying once the server is back or the configuration is fixed.
		return &sendError{stage: "connect", err: withContext(ctx, err), temp: true}
	}
	sendErr := client.SendWithSMTPClient(conn, msg)
	_ = client.CloseWithSMTPClient(conn) // QUIT; the message's fate is already decided
	if msg.IsDelivered() {
		return nil
	}
	if sendErr == nil { // not delivered yet no error: should not happen
		sendErr = errors.New("the server did not accept the message")
	}
	if ctx.Err() != nil {
		return &sendError{stage: "send", err: withContext(ctx, sendErr), temp: true, redact: m.To.Email}
	}
	return &sendError{stage: "send", err: sendErr, temp: transient(sendErr), redact: m.To.Email}
}

// withContext makes err wrap ctx.Err() too when the context is done (the error itself is then usually a
// "use of closed network connection").
func withContext(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// Temporary reports whether err is worth retrying later (connection refused, timeouts, 4xx replies)
// rather than permanent (5xx: the address does not exist).
//
// For errors from SMTP.Send: a message that is invalid, or that the server refuses with a 5xx reply to
// MAIL FROM, RCPT TO or DATA, is permanent. Everything that goes wrong before the message is offered
// (connection refused or reset, timeouts, a cancelled context, TLS failures, a 4xx or 5xx greeting, failed
// authentication) is temporary: it says nothing about the message, and dropping every queued message
// because the password expired would lose mail. 4xx replies anywhere are temporary.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	if errorsAsInvalid(err) {
		return false
	}
	var se *sendError
	if errors.As(err, &se) {
		return se.temp
	}
	return transient(err)
}

// transient classifies an error that did not come from Send's own bookkeeping.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var gse *gomail.SendError
	if errors.As(err, &gse) {
		switch gse.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false // the message itself is unusable
		}
		if code := gse.ErrorCode(); code >= 500 && code < 600 {
			return false
		}
		// 4xx, or no reply code at all: the connection broke (EOF, reset, timeout).
		return true
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code < 500 || te.Code >= 600
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // timeouts, refused, unreachable, DNS failures
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	return false
}
