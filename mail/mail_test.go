package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------------------------------------
// A small SMTP server speaking the real protocol over TCP: EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL FROM,
// RCPT TO, DATA, RSET, NOOP, QUIT. Replies can be overridden per command to provoke 4xx/5xx answers.

type testServer struct {
	t        *testing.T
	ln       net.Listener
	host     string
	port     int
	tlsConf  *tls.Config // the server certificate (for STARTTLS and implicit TLS)
	starttls bool        // offer STARTTLS
	implicit bool        // TLS from the first byte
	// authUser/authPass: offer AUTH (PLAIN only after TLS when authAfterTLS) and require it before MAIL.
	authUser, authPass string
	authAfterTLS       bool
	greeting           string            // default "220 …"
	replies            map[string]string // verb ("MAIL", "RCPT", "DATA", "." for end of data) → reply
	stallAfterData     bool              // read the message, then never answer
	stalled            chan struct{}     // closed when the server starts stalling

	mu       sync.Mutex
	accepted []string // the remote address of each connection, in the order accepted
	sessions []*session
	mails    []delivery
	wg       sync.WaitGroup
}

type session struct {
	mu     sync.Mutex
	events []string      // "EHLO name", "STARTTLS", "TLS", "AUTH PLAIN user tls=true", "MAIL …", …
	wire   bytes.Buffer  // what the client sent in clear text (nothing after STARTTLS or with implicit TLS)
	done   chan struct{} // closed when the connection is over
}

func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wire.Write(p)
}

func (s *session) clearText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wire.String()
}

func (s *session) add(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *session) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

type delivery struct {
	from  string
	rcpts []string
	data  []byte // as received, CRLF line ends, dot-stuffing removed
	tls   bool
}

// startServer listens on addr (default 127.0.0.1:0) after configure has set the options.
func startServer(t *testing.T, listenAddr string, configure func(*testServer)) *testServer {
	t.Helper()
	s := &testServer{t: t, greeting: "220 test.local ESMTP ready", replies: map[string]string{},
		stalled: make(chan struct{})}
	if configure != nil {
		configure(s)
	}
	if listenAddr == "" {
		listenAddr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s.ln = ln
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.host = host
	s.port, _ = strconv.Atoi(port)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.accepted = append(s.accepted, c.RemoteAddr().String())
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *testServer) config() Config {
	return Config{Host: s.host, Port: s.port, From: practice, TLS: StartTLSIfOffered}
}

func (s *testServer) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.mails...)
}

func (s *testServer) allSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*session(nil), s.sessions...)
}

// connectionsBefore returns how many connections the server accepted before
// a probe connection made now. The kernel queues established connections
// for Accept in order, and the server greets a connection only after
// recording it, so once the probe is greeted every connection made before
// it has been counted: no wait for a quiet spell.
func (s *testServer) connectionsBefore(t *testing.T) int {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort(s.host, strconv.Itoa(s.port)))
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatalf("probe: no greeting: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.accepted, c.LocalAddr().String())
	if i < 0 {
		t.Fatalf("probe %s not among the accepted connections %v", c.LocalAddr(), s.accepted)
	}
	return i
}

func (s *testServer) serve(c net.Conn) {
	sess := &session{done: make(chan struct{})}
	defer close(sess.done)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	s.mu.Lock()
	s.sessions = append(s.sessions, sess)
	s.mu.Unlock()

	isTLS := false
	if s.implicit {
		tc := tls.Server(c, s.tlsConf)
		if err := tc.Handshake(); err != nil {
			sess.add("TLS handshake failed: " + err.Error())
			return
		}
		c, isTLS = tc, true
		sess.add("TLS")
	}
	var r *bufio.Reader
	if isTLS {
		r = bufio.NewReader(c)
	} else {
		r = bufio.NewReader(io.TeeReader(c, sess))
	}
	w := bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	readLine := func() (string, error) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err
	}

	reply(s.greeting)
	if !strings.HasPrefix(s.greeting, "220") {
		return
	}
	var (
		from   string
		rcpts  []string
		authed bool
	)
	authOffered := func() bool { return s.authUser != "" && (isTLS || !s.authAfterTLS) }
	override := func(verb, def string) string {
		if r, ok := s.replies[verb]; ok {
			return r
		}
		return def
	}
	for {
		line, err := readLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		switch verb {
		case "EHLO":
			sess.add("EHLO " + arg)
			if resp, ok := s.replies["EHLO"]; ok {
				reply(resp)
				continue
			}
			lines := []string{"250-test.local greets " + arg, "250-8BITMIME", "250-ENHANCEDSTATUSCODES"}
			if s.starttls && !isTLS {
				lines = append(lines, "250-STARTTLS")
			}
			if authOffered() {
				lines = append(lines, "250-AUTH LOGIN PLAIN")
			}
			reply(append(lines, "250 HELP")...)
		case "HELO":
			sess.add("HELO " + arg)
			reply(override("HELO", "250 test.local"))
		case "STARTTLS":
			if !s.starttls || isTLS {
				reply("502 5.5.1 not offered")
				continue
			}
			sess.add("STARTTLS")
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				sess.add("TLS handshake failed")
				return
			}
			c, isTLS = tc, true
			sess.add("TLS")
			r = bufio.NewReader(c)
			w = bufio.NewWriter(c)
			from, rcpts, authed = "", nil, false
		case "AUTH":
			if !authOffered() {
				reply("502 5.5.1 AUTH not offered")
				continue
			}
			mech, initial, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				sess.add("AUTH " + mech)
				reply("504 5.5.4 only PLAIN here")
				continue
			}
			if initial == "" {
				reply("334 ")
				if initial, err = readLine(); err != nil {
					return
				}
			}
			raw, err := base64.StdEncoding.DecodeString(initial)
			fields := strings.Split(string(raw), "\x00")
			if err != nil || len(fields) != 3 {
				reply("501 5.5.2 bad PLAIN response")
				continue
			}
			sess.add(fmt.Sprintf("AUTH PLAIN %s tls=%t", fields[1], isTLS))
			if fields[1] != s.authUser || fields[2] != s.authPass {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			authed = true
			reply("235 2.7.0 authenticated")
		case "MAIL":
			sess.add("MAIL " + arg)
			if s.authUser != "" && !authed {
				reply("530 5.7.0 authentication required")
				continue
			}
			from = angle(arg)
			reply(override("MAIL", "250 2.1.0 ok"))
		case "RCPT":
			sess.add("RCPT " + arg)
			resp := override("RCPT", "250 2.1.5 ok")
			if strings.HasPrefix(resp, "2") {
				rcpts = append(rcpts, angle(arg))
			}
			reply(resp)
		case "DATA":
			sess.add("DATA")
			if resp := override("DATA", "354 end with <CRLF>.<CRLF>"); !strings.HasPrefix(resp, "354") {
				reply(resp)
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			if s.stallAfterData {
				sess.add("STALL")
				close(s.stalled)
				_, _ = io.Copy(io.Discard, c) // until the client hangs up
				return
			}
			resp := override(".", "250 2.0.0 queued")
			if strings.HasPrefix(resp, "2") {
				s.mu.Lock()
				s.mails = append(s.mails, delivery{from: from, rcpts: rcpts, data: data.Bytes(), tls: isTLS})
				s.mu.Unlock()
			}
			reply(resp)
			from, rcpts = "", nil
		case "RSET":
			sess.add("RSET")
			from, rcpts = "", nil
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			sess.add("QUIT")
			reply("221 2.0.0 bye")
			return
		default:
			sess.add("UNKNOWN " + line)
			reply("502 5.5.2 unknown command")
		}
	}
}

func angle(arg string) string {
	if i := strings.IndexByte(arg, '<'); i >= 0 {
		if j := strings.IndexByte(arg[i:], '>'); j >= 0 {
			return arg[i+1 : i+j]
		}
	}
	return ""
}

// selfSigned makes an ECDSA certificate for 127.0.0.1, 127.0.0.2, ::1 and localhost, and a pool trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("127.0.0.2"), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion: tls.VersionTLS12}, pool
}

// ---------------------------------------------------------------------------------------------------------
// MIME helpers: parse what arrived with mime/multipart and net/mail.

type entity struct {
	header    textproto.MIMEHeader
	mediaType string
	params    map[string]string
	body      []byte // transfer-decoded
	children  []*entity
}

func parseEntity(t *testing.T, h textproto.MIMEHeader, body io.Reader) *entity {
	t.Helper()
	e := &entity{header: h}
	var err error
	e.mediaType, e.params, err = mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	if strings.HasPrefix(e.mediaType, "multipart/") {
		mr := multipart.NewReader(body, e.params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			e.children = append(e.children, parseEntity(t, p.Header, p))
		}
		return e
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit", "binary":
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", h.Get("Content-Transfer-Encoding"))
	}
	if e.body, err = io.ReadAll(body); err != nil {
		t.Fatalf("decode %s: %v", e.mediaType, err)
	}
	return e
}

func parseMessage(t *testing.T, raw []byte) (*netmail.Message, *entity) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v\n%s", err, raw)
	}
	return msg, parseEntity(t, textproto.MIMEHeader(msg.Header), msg.Body)
}

func lf(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }

// checkWireFormat: CRLF line ends only, 7-bit, no line over 998 octets, headers ASCII.
func checkWireFormat(t *testing.T, raw []byte) {
	t.Helper()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 998 {
			t.Errorf("line %d is %d octets long", i+1, len(line))
		}
		for _, c := range []byte(line) {
			if c >= 128 {
				t.Errorf("line %d has a non-ASCII byte: %q", i+1, line)
				break
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures.

var (
	practice = Address{Name: "Dynamic Motion — Sports Massage", Email: "hello@dynamicmotion.example"}
	client   = Address{Name: "Zoë Brontë", Email: "zoe@client.example"}
)

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Dynamic Motion//Bookings//EN\r\nMETHOD:REQUEST\r\n" +
	"BEGIN:VEVENT\r\nUID:booking-42@dynamicmotion.example\r\nSEQUENCE:0\r\nDTSTAMP:20260301T090000Z\r\n" +
	"DTSTART:20260302T100000Z\r\nDTEND:20260302T110000Z\r\nSUMMARY:Sports massage (60 min)\r\n" +
	"LOCATION:Studio\\, 1 Bridge Street\\, St Ives\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

const calendarType = "text/calendar; charset=utf-8; method=REQUEST"

func booking() Message {
	return Message{
		To:      client,
		ReplyTo: Address{Name: "Clare (therapist)", Email: "clare@dynamicmotion.example"},
		Subject: "Booking confirmed: Monday 2 March, 10:00 — Zoë",
		Text: "Hello Zoë,\n\nyour sports massage is booked for Monday 2 March at 10:00.\n" +
			".a line that starts with a dot (dot-stuffing)\n\nDynamic Motion, St Ives — 01480 000000\n",
		HTML: "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Booking confirmed</title>" +
			"<body><p>Hello Zoë,</p><p>your sports massage is booked for <b>Monday 2 March at 10:00</b>.</p>" +
			"<p>Dynamic Motion, St Ives — 01480 000000</p></body></html>\n",
		Attachments: []Attachment{{Filename: "booking.ics", ContentType: calendarType, Data: []byte(ics),
			Inline: true}},
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://dynamicmotion.example/unsubscribe/abc>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------------------------------------------
// ParseURL.

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    Config // From is filled in by the test
		wantErr string // substring; "" means success
	}{
		{raw: "smtp://mail.example.com", want: Config{Host: "mail.example.com", Port: 587, TLS: StartTLSIfOffered}},
		{raw: "smtps://mail.example.com", want: Config{Host: "mail.example.com", Port: 465, TLS: ImplicitTLS}},
		{raw: "SMTPS://mail.example.com:2465", want: Config{Host: "mail.example.com", Port: 2465, TLS: ImplicitTLS}},
		{raw: "smtp://localhost:1025", want: Config{Host: "localhost", Port: 1025}},
		{raw: "  smtp://mail.example.com:25/\n", want: Config{Host: "mail.example.com", Port: 25}},
		{raw: "smtp://[::1]:2525", want: Config{Host: "::1", Port: 2525}},
		{raw: "smtp://apikey@mail.example.com", want: Config{Host: "mail.example.com", Port: 587, Username: "apikey"}},
		{raw: "smtp://user:s3cret@mail.example.com",
			want: Config{Host: "mail.example.com", Port: 587, Username: "user", Password: "s3cret"}},
		// A user name that is an e-mail address, raw and percent-encoded; a password with @, : and %.
		{raw: "smtps://clare@dynamicmotion.example:p@ss:w%25rd@smtp.example.com",
			want: Config{Host: "smtp.example.com", Port: 465, TLS: ImplicitTLS,
				Username: "clare@dynamicmotion.example", Password: "p@ss:w%rd"}},
		{raw: "smtp://clare%40dynamicmotion.example:p%40ss%2Fw%3Ard@smtp.example.com:587",
			want: Config{Host: "smtp.example.com", Port: 587,
				Username: "clare@dynamicmotion.example", Password: "p@ss/w:rd"}},
		{raw: "", wantErr: "SMTP_URL is empty"},
		{raw: "smtp://", wantErr: "no host"},
		{raw: "smtp://user:s3cret@", wantErr: "no host"},
		{raw: "smtp://user:s3cret@:587", wantErr: "no host"},
		{raw: "http://user:s3cret@mail.example.com", wantErr: "smtp:// or smtps://"},
		{raw: "user:s3cret@mail.example.com", wantErr: "smtp:// or smtps://"},
		{raw: "mail.example.com:587", wantErr: "smtp:// or smtps://"},
		{raw: "smtp:mail.example.com", wantErr: "two slashes"},
		{raw: "smtp://user:s3cret@mail.example.com:abc", wantErr: "invalid port"},
		{raw: "smtp://user:s3cret@mail.example.com:0", wantErr: "invalid port"},
		{raw: "smtp://user:s3cret@mail.example.com:70000", wantErr: "invalid port"},
		{raw: "smtp://user:s3cret%zz@mail.example.com", wantErr: "percent-escape"},
		{raw: "smtp://:s3cret@mail.example.com", wantErr: "no user name"},
		{raw: "smtp://user:s3cret@mail.example.com/path", wantErr: "path"},
		{raw: "smtp://user:s3cret@mail.example.com?tls=off", wantErr: "query"},
		{raw: "smtp://user:s3cret@mail example.com", wantErr: "SMTP_URL"},
		{raw: "smtp://user:s3cret@mail.example.com\x7f", wantErr: "SMTP_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseURL(tt.raw, practice)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseURL(%q) = %+v, want an error containing %q", tt.raw, got, tt.wantErr)
				}
				msg := err.Error()
				if !strings.Contains(msg, "SMTP_URL") || !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error %q should name SMTP_URL and contain %q", msg, tt.wantErr)
				}
				if strings.Contains(msg, "s3cret") || strings.Contains(msg, "user:") {
					t.Errorf("error %q leaks the credentials", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			tt.want.From = practice
			if got != tt.want {
				t.Errorf("ParseURL(%q)\n got %+v\nwant %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestParseURLChecksSender(t *testing.T) {
	_, err := ParseURL("smtp://mail.example.com", Address{Email: "not an address"})
	if err == nil || !strings.Contains(err.Error(), "SMTP_URL") {
		t.Fatalf("want an error about the sender, got %v", err)
	}
}

// ---------------------------------------------------------------------------------------------------------
// Sending.

func TestSendDeliversMultipartMessage(t *testing.T) {
	srv := startServer(t, "", nil)
	cfg := srv.config()
	cfg.HeloName = "app.dynamicmotion.example"
	before := time.Now().Add(-2 * time.Second)
	m := booking()
	if err := NewSMTP(cfg).Send(ctxT(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := srv.deliveries()
	if len(mails) != 1 {
		t.Fatalf("server received %d messages, want 1", len(mails))
	}
	d := mails[0]
	if d.from != practice.Email || len(d.rcpts) != 1 || d.rcpts[0] != client.Email {
		t.Errorf("envelope: from %q to %q", d.from, d.rcpts)
	}
	if ev := srv.allSessions()[0].list(); ev[0] != "EHLO app.dynamicmotion.example" || ev[len(ev)-1] != "QUIT" {
		t.Errorf("session: %q", ev)
	}
	checkWireFormat(t, d.data)
	msg, root := parseMessage(t, d.data)
	checkBookingMessage(t, msg, root, m, before)
}

// checkBookingMessage asserts headers and structure of booking() as parsed.
func checkBookingMessage(t *testing.T, msg *netmail.Message, root *entity, m Message, notBefore time.Time) {
	t.Helper()
	h := msg.Header
	dec := new(mime.WordDecoder)

	// Encoded headers: the raw values are ASCII with RFC 2047 words and decode to the originals.
	if raw := h.Get("Subject"); !strings.Contains(raw, "=?UTF-8?") {
		t.Errorf("Subject is not RFC 2047 encoded: %q", raw)
	}
	if subj, err := dec.DecodeHeader(h.Get("Subject")); err != nil || subj != m.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", subj, err, m.Subject)
	}
	for field, want := range map[string]Address{"From": practice, "To": m.To, "Reply-To": m.ReplyTo} {
		if !strings.Contains(h.Get(field), "=?") && want.Name != "Clare (therapist)" {
			t.Errorf("%s name is not encoded: %q", field, h.Get(field))
		}
		list, err := h.AddressList(field)
		if err != nil || len(list) != 1 || list[0].Name != want.Name || list[0].Address != want.Email {
			t.Errorf("%s = %q parses to %v (%v), want %+v", field, h.Get(field), list, err, want)
		}
	}
	if date, err := h.Date(); err != nil || date.Before(notBefore) || date.After(time.Now().Add(2*time.Second)) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-Id"); !regexp.MustCompile(`^<[0-9a-f]{32}@dynamicmotion\.example>$`).MatchString(id) {
		t.Errorf("Message-ID %q is not <random@from-domain>", id)
	}
	if v := h.Get("Mime-Version"); v != "1.0" {
		t.Errorf("MIME-Version %q", v)
	}
	for _, k := range []string{"User-Agent", "X-Mailer"} {
		if v := h.Get(k); v != "" {
			t.Errorf("unexpected %s: %q", k, v)
		}
	}
	for k, want := range m.Headers {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	// Structure: mixed → [alternative → [plain, html, calendar], calendar attachment].
	if root.mediaType != "multipart/mixed" || len(root.children) != 2 {
		t.Fatalf("root is %s with %d parts, want multipart/mixed with 2", root.mediaType, len(root.children))
	}
	alt := root.children[0]
	if alt.mediaType != "multipart/alternative" || len(alt.children) != 3 {
		t.Fatalf("first part is %s with %d parts, want multipart/alternative with 3", alt.mediaType, len(alt.children))
	}
	plain, html, cal := alt.children[0], alt.children[1], alt.children[2]
	if plain.mediaType != "text/plain" || !strings.EqualFold(plain.params["charset"], "utf-8") {
		t.Errorf("first alternative: %s %v", plain.mediaType, plain.params)
	}
	if got := lf(plain.body); got != m.Text {
		t.Errorf("plain text:\n got %q\nwant %q", got, m.Text)
	}
	if html.mediaType != "text/html" || !strings.EqualFold(html.params["charset"], "utf-8") {
		t.Errorf("second alternative: %s %v", html.mediaType, html.params)
	}
	if got := lf(html.body); got != m.HTML {
		t.Errorf("HTML:\n got %q\nwant %q", got, m.HTML)
	}
	if cal.mediaType != "text/calendar" || cal.params["method"] != "REQUEST" ||
		!strings.EqualFold(cal.params["charset"], "utf-8") {
		t.Errorf("third alternative: %s %v", cal.mediaType, cal.params)
	}
	if string(cal.body) != ics {
		t.Errorf("calendar alternative:\n got %q\nwant %q", cal.body, ics)
	}
	if d := cal.header.Get("Content-Disposition"); d != "" {
		t.Errorf("calendar alternative has Content-Disposition %q", d)
	}

	att := root.children[1]
	if att.mediaType != "text/calendar" || att.params["method"] != "REQUEST" || att.params["name"] != "booking.ics" {
		t.Errorf("attachment: %s %v", att.mediaType, att.params)
	}
	disp, dparams, err := mime.ParseMediaType(att.header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || dparams["filename"] != "booking.ics" {
		t.Errorf("attachment disposition %q: %v", att.header.Get("Content-Disposition"), err)
	}
	if string(att.body) != ics {
		t.Errorf("attachment body:\n got %q\nwant %q", att.body, ics)
	}
	checkICS(t, cal.body)
}

// checkICS is a light structural check of the calendar that arrived (the ical package tests RFC 5545).
func checkICS(t *testing.T, data []byte) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Errorf("calendar is not a VCALENDAR: %q", lines)
	}
	found := map[string]bool{}
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		found[name] = true
	}
	for _, want := range []string{"METHOD", "UID", "DTSTART", "DTEND"} {
		if !found[want] {
			t.Errorf("calendar lacks %s", want)
		}
	}
}

func TestSendStartTLSThenAuthPlain(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	srv := startServer(t, "", func(s *testServer) {
		s.tlsConf, s.starttls = serverTLS, true
		s.authUser, s.authPass, s.authAfterTLS = "clare@dynamicmotion.example", "p@ss:w%rd", true
	})
	cfg, err := ParseURL(fmt.Sprintf("smtp://clare%%40dynamicmotion.example:p%%40ss%%3Aw%%25rd@127.0.0.1:%d", srv.port),
		practice)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RootCAs = pool
	if err := NewSMTP(cfg).Send(ctxT(t), booking()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := srv.deliveries()
	if len(mails) != 1 || !mails[0].tls {
		t.Fatalf("want one message delivered over TLS, got %+v", mails)
	}
	ev := srv.allSessions()[0].list()
	want := []string{"STARTTLS", "TLS", "EHLO", "AUTH PLAIN clare@dynamicmotion.example tls=true", "MAIL", "RCPT", "DATA", "QUIT"}
	if !inOrder(ev, want) {
		t.Errorf("session %q does not follow %q", ev, want)
	}
	if clear := srv.allSessions()[0].clearText(); clear != "EHLO "+mustHostname(t)+"\r\nSTARTTLS\r\n" {
		t.Errorf("clear text before STARTTLS: %q", clear)
	}
}

func mustHostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// waitClosed fails the test unless every connection to srv is closed soon (no leaked connections).
func waitClosed(t *testing.T, srv *testServer) {
	t.Helper()
	for _, sess := range srv.allSessions() {
		select {
		case <-sess.done:
		case <-time.After(2 * time.Second):
			t.Errorf("connection still open after Send returned: %q", sess.list())
		}
	}
}

// inOrder reports whether each prefix in want is matched by events, in order.
func inOrder(events, want []string) bool {
	i := 0
	for _, e := range events {
		if i < len(want) && strings.HasPrefix(e, want[i]) {
			i++
		}
	}
	return i == len(want)
}

func TestSendImplicitTLS(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	srv := startServer(t, "", func(s *testServer) {
		s.tlsConf, s.implicit = serverTLS, true
		s.authUser, s.authPass, s.authAfterTLS = "apikey", "s3cret", true
	})
	cfg, err := ParseURL(fmt.Sprintf("smtps://apikey:s3cret@127.0.0.1:%d", srv.port), practice)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RootCAs = pool
	if err := NewSMTP(cfg).Send(ctxT(t), booking()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if mails := srv.deliveries(); len(mails) != 1 || !mails[0].tls {
		t.Fatalf("want one message delivered over TLS, got %d", len(mails))
	}
	ev := srv.allSessions()[0].list()
	if !inOrder(ev, []string{"TLS", "EHLO", "AUTH PLAIN apikey tls=true", "MAIL", "QUIT"}) || inOrder(ev, []string{"STARTTLS"}) {
		t.Errorf("session %q", ev)
	}
}

func TestSendUntrustedCertificateFailsWithoutFallback(t *testing.T) {
	serverTLS, _ := selfSigned(t)
	srv := startServer(t, "", func(s *testServer) {
		s.tlsConf, s.starttls = serverTLS, true
		s.authUser, s.authPass = "apikey", "s3cret" // offered in clear too: must still not be used
	})
	cfg := srv.config() // RootCAs nil: the system roots do not trust the test certificate
	cfg.Username, cfg.Password = "apikey", "s3cret"
	err := NewSMTP(cfg).Send(ctxT(t), booking())
	if err == nil {
		t.Fatal("Send succeeded with an untrusted certificate")
	}
	if !Temporary(err) {
		t.Errorf("Temporary(%v) = false, want true (a server/configuration problem, not the message's)", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
	if len(srv.deliveries()) != 0 {
		t.Error("message was delivered")
	}
	ev := srv.allSessions()[0].list()
	if inOrder(ev, []string{"AUTH"}) || inOrder(ev, []string{"MAIL"}) {
		t.Errorf("client went on in clear text after a failed STARTTLS: %q", ev)
	}
	waitClosed(t, srv)
}

// go-mail sends PLAIN (and LOGIN) credentials over an unencrypted connection only when the host is
// "localhost", "127.0.0.1" or "::1". The development setup (smtp://localhost:1025 to a local catcher) works;
// a remote server that does not offer STARTTLS never sees the password.
func TestSendPlainAuthWithoutTLSOnlyOnLoopback(t *testing.T) {
	t.Run("127.0.0.1 allowed", func(t *testing.T) {
		srv := startServer(t, "", func(s *testServer) { s.authUser, s.authPass = "dev", "devpass" })
		cfg := srv.config()
		cfg.Username, cfg.Password = "dev", "devpass"
		if err := NewSMTP(cfg).Send(ctxT(t), booking()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if ev := srv.allSessions()[0].list(); !inOrder(ev, []string{"AUTH PLAIN dev tls=false", "MAIL"}) {
			t.Errorf("session %q", ev)
		}
		if len(srv.deliveries()) != 1 {
			t.Error("not delivered")
		}
	})
	t.Run("other host refused", func(t *testing.T) {
		// 127.0.0.2 is loopback on Linux, but not one of the names go-mail treats as local.
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("cannot listen on 127.0.0.2: %v", err)
		}
		ln.Close()
		srv := startServer(t, "127.0.0.2:0", func(s *testServer) { s.authUser, s.authPass = "apikey", "s3cret" })
		cfg := srv.config()
		cfg.Username, cfg.Password = "apikey", "s3cret"
		err = NewSMTP(cfg).Send(ctxT(t), booking())
		if err == nil || !strings.Contains(err.Error(), "unencrypted") {
			t.Fatalf("want an 'unencrypted connection' error, got %v", err)
		}
		if !Temporary(err) {
			t.Errorf("Temporary(%v) = false", err)
		}
		wire := srv.allSessions()[0].clearText()
		if strings.Contains(wire, "AUTH") || strings.Contains(wire, base64.StdEncoding.EncodeToString([]byte("\x00apikey\x00s3cret"))) {
			t.Errorf("credentials went over the wire: %q", wire)
		}
		if len(srv.deliveries()) != 0 {
			t.Error("delivered without authentication")
		}
		waitClosed(t, srv)
	})
}

func TestSendAuthFailure(t *testing.T) {
	srv := startServer(t, "", func(s *testServer) { s.authUser, s.authPass = "apikey", "right" })
	cfg := srv.config()
	cfg.Username, cfg.Password = "apikey", "wrong-s3cret"
	err := NewSMTP(cfg).Send(ctxT(t), booking())
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("want a 535 error, got %v", err)
	}
	if strings.Contains(err.Error(), "wrong-s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
	// A rejected login is the configuration's fault, not the message's: keep it for a retry.
	if !Temporary(err) {
		t.Errorf("Temporary(%v) = false, want true", err)
	}
	waitClosed(t, srv)
}

func TestSendErrorReplies(t *testing.T) {
	tests := []struct {
		name     string
		greeting string
		replies  map[string]string
		temp     bool
	}{
		{name: "421 greeting", greeting: "421 4.3.2 too busy, try later", temp: true},
		{name: "554 greeting", greeting: "554 5.3.2 no service for you", temp: true},
		{name: "EHLO and HELO refused", temp: true,
			replies: map[string]string{"EHLO": "550 5.7.1 go away", "HELO": "550 5.7.1 go away"}},
		{name: "451 MAIL", replies: map[string]string{"MAIL": "451 4.3.0 local error"}, temp: true},
		{name: "452 RCPT", replies: map[string]string{"RCPT": "452 4.2.2 mailbox full"}, temp: true},
		{name: "450 RCPT greylisted", replies: map[string]string{"RCPT": "450 4.7.1 greylisted"}, temp: true},
		{name: "550 RCPT", replies: map[string]string{"RCPT": "550 5.1.1 <ZOE@client.example>: no such user"}, temp: false},
		{name: "553 MAIL", replies: map[string]string{"MAIL": "553 5.7.1 sender not allowed"}, temp: false},
		{name: "421 DATA", replies: map[string]string{"DATA": "421 4.4.2 closing"}, temp: true},
		{name: "451 end of data", replies: map[string]string{".": "451 4.3.0 try again"}, temp: true},
		{name: "554 end of data", replies: map[string]string{".": "554 5.7.1 rejected as spam"}, temp: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, "", func(s *testServer) {
				if tt.greeting != "" {
					s.greeting = tt.greeting
				}
				s.replies = tt.replies
			})
			err := NewSMTP(srv.config()).Send(ctxT(t), booking())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := Temporary(err); got != tt.temp {
				t.Errorf("Temporary(%v) = %v, want %v", err, got, tt.temp)
			}
			if len(srv.deliveries()) != 0 {
				t.Error("message was delivered")
			}
			if strings.Contains(strings.ToLower(err.Error()), "zoe@") {
				t.Errorf("error names the recipient (personal data in logs): %v", err)
			}
			waitClosed(t, srv)
		})
	}
}

func TestSendConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	err = NewSMTP(Config{Host: "127.0.0.1", Port: port, From: practice}).Send(ctxT(t), booking())
	if err == nil {
		t.Fatal("Send succeeded with nobody listening")
	}
	if !Temporary(err) {
		t.Errorf("Temporary(%v) = false, want true", err)
	}
}

func TestSendContextCancelled(t *testing.T) {
	t.Run("while the server sits on the data", func(t *testing.T) {
		srv := startServer(t, "", func(s *testServer) { s.stallAfterData = true })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-srv.stalled
			cancel()
		}()
		start := time.Now()
		err := NewSMTP(srv.config()).Send(ctx, booking())
		if err == nil {
			t.Fatal("Send succeeded")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Send took %v after cancellation", d)
		}
		if !errors.Is(err, context.Canceled) || !Temporary(err) {
			t.Errorf("err = %v (Temporary %v), want context.Canceled and temporary", err, Temporary(err))
		}
	})
	t.Run("deadline", func(t *testing.T) {
		srv := startServer(t, "", func(s *testServer) { s.stallAfterData = true })
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := NewSMTP(srv.config()).Send(ctx, booking())
		if !errors.Is(err, context.DeadlineExceeded) || !Temporary(err) {
			t.Errorf("err = %v, want context.DeadlineExceeded and temporary", err)
		}
	})
	t.Run("before connecting", func(t *testing.T) {
		srv := startServer(t, "", nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := NewSMTP(srv.config()).Send(ctx, booking())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n := srv.connectionsBefore(t); n != 0 {
			t.Errorf("server saw %d connections", n)
		}
	})
}

func TestSendConcurrent(t *testing.T) {
	srv := startServer(t, "", nil)
	s := NewSMTP(srv.config())
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := booking()
			m.To = Address{Email: fmt.Sprintf("client%d@client.example", i)}
			errs <- s.Send(ctxT(t), m)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := map[string]bool{}
	for _, d := range srv.deliveries() {
		got[d.rcpts[0]] = true
	}
	if len(got) != n {
		t.Errorf("%d distinct recipients got mail, want %d", len(got), n)
	}
}

// ---------------------------------------------------------------------------------------------------------
// Validation and Build.

func TestHeaderInjectionRefused(t *testing.T) {
	tests := map[string]func(*Message){
		"subject CRLF":       func(m *Message) { m.Subject = "Hi\r\nBcc: victim@example.com" },
		"subject LF":         func(m *Message) { m.Subject = "Hi\nBcc: victim@example.com" },
		"to name CR":         func(m *Message) { m.To.Name = "Zoë\rBcc: victim@example.com" },
		"reply-to name LF":   func(m *Message) { m.ReplyTo.Name = "x\nBcc: victim@example.com" },
		"to email LF":        func(m *Message) { m.To.Email = "zoe@client.example\nBcc: victim@example.com" },
		"header value CRLF":  func(m *Message) { m.Headers["List-Unsubscribe"] = "<https://x>\r\nBcc: v@example.com" },
		"header value NUL":   func(m *Message) { m.Headers["List-Unsubscribe"] = "<https://x>\x00" },
		"header name colon":  func(m *Message) { m.Headers["Bcc: v@example.com\r\nX"] = "y" },
		"header name space":  func(m *Message) { m.Headers["X Bad"] = "y" },
		"reserved header":    func(m *Message) { m.Headers["bcc"] = "victim@example.com" },
		"reserved From":      func(m *Message) { m.Headers["From"] = "ceo@bank.example" },
		"attachment name LF": func(m *Message) { m.Attachments[0].Filename = "a.ics\r\nX-Evil: 1" },
		"attachment type LF": func(m *Message) { m.Attachments[0].ContentType = "text/calendar\r\nX-Evil: 1" },
	}
	srv := startServer(t, "", nil)
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			m := booking()
			mutate(&m)
			if raw, err := Build(practice, m); err == nil {
				t.Fatalf("Build accepted it:\n%s", raw)
			}
			err := NewSMTP(srv.config()).Send(ctxT(t), m)
			if err == nil {
				t.Fatal("Send accepted it")
			}
			if Temporary(err) {
				t.Errorf("Temporary(%v) = true for an invalid message", err)
			}
		})
	}
	if n := len(srv.allSessions()); n != 0 {
		t.Errorf("invalid messages opened %d connections", n)
	}
}

func TestBuildValidation(t *testing.T) {
	tests := map[string]struct {
		from   Address
		mutate func(*Message)
	}{
		"no To":                 {practice, func(m *Message) { m.To = Address{} }},
		"To only a name":        {practice, func(m *Message) { m.To = Address{Name: "Zoë"} }},
		"To not an address":     {practice, func(m *Message) { m.To.Email = "zoe at client" }},
		"To with name inside":   {practice, func(m *Message) { m.To.Email = "Zoë <zoe@client.example>" }},
		"bad Reply-To":          {practice, func(m *Message) { m.ReplyTo.Email = "nope" }},
		"Reply-To name only":    {practice, func(m *Message) { m.ReplyTo = Address{Name: "Clare"} }},
		"no From":               {Address{}, func(*Message) {}},
		"bad From":              {Address{Email: "@dynamicmotion.example"}, func(*Message) {}},
		"empty subject":         {practice, func(m *Message) { m.Subject = " " }},
		"empty text":            {practice, func(m *Message) { m.Text = "" }},
		"empty HTML":            {practice, func(m *Message) { m.HTML = "\n" }},
		"invalid UTF-8 text":    {practice, func(m *Message) { m.Text = "caf\xe9" }},
		"attachment no name":    {practice, func(m *Message) { m.Attachments[0].Filename = "" }},
		"attachment no type":    {practice, func(m *Message) { m.Attachments[0].ContentType = "" }},
		"attachment bad type":   {practice, func(m *Message) { m.Attachments[0].ContentType = "calendar" }},
		"attachment empty":      {practice, func(m *Message) { m.Attachments[0].Data = nil }},
		"inline binary":         {practice, func(m *Message) { m.Attachments[0].ContentType = "application/pdf" }},
		"calendar not UTF-8":    {practice, func(m *Message) { m.Attachments[0].Data = []byte("BEGIN:\xff") }},
		"duplicate header case": {practice, func(m *Message) { m.Headers["list-unsubscribe"] = "<https://y>" }},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := booking()
			tt.mutate(&m)
			_, err := Build(tt.from, m)
			if err == nil {
				t.Fatal("Build accepted it")
			}
			if !strings.HasPrefix(err.Error(), "mail: ") || Temporary(err) {
				t.Errorf("err = %v (Temporary %v)", err, Temporary(err))
			}
		})
	}
}

func TestBuildParses(t *testing.T) {
	t.Run("booking", func(t *testing.T) {
		before := time.Now().Add(-2 * time.Second)
		m := booking()
		raw, err := Build(practice, m)
		if err != nil {
			t.Fatal(err)
		}
		checkWireFormat(t, raw)
		msg, root := parseMessage(t, raw)
		checkBookingMessage(t, msg, root, m, before)
	})
	t.Run("no attachments", func(t *testing.T) {
		m := booking()
		m.Attachments, m.ReplyTo, m.Headers = nil, Address{}, nil
		m.Subject = strings.Repeat("Ünïcödé subject that is long enough to need folding, ", 4)
		raw, err := Build(practice, m)
		if err != nil {
			t.Fatal(err)
		}
		checkWireFormat(t, raw)
		msg, root := parseMessage(t, raw)
		if root.mediaType != "multipart/alternative" || len(root.children) != 2 ||
			root.children[0].mediaType != "text/plain" || root.children[1].mediaType != "text/html" {
			t.Fatalf("structure: %s with %d parts", root.mediaType, len(root.children))
		}
		if subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || subj != m.Subject {
			t.Errorf("Subject decodes to %q (%v)", subj, err)
		}
		if msg.Header.Get("Reply-To") != "" {
			t.Errorf("Reply-To %q", msg.Header.Get("Reply-To"))
		}
	})
	t.Run("plain attachment with a non-ASCII name", func(t *testing.T) {
		m := booking()
		pdf := []byte("%PDF-1.4 \x00\x01\x02 binary")
		m.Attachments = []Attachment{{Filename: "../Préparation séance.pdf", ContentType: "application/pdf", Data: pdf}}
		raw, err := Build(practice, m)
		if err != nil {
			t.Fatal(err)
		}
		checkWireFormat(t, raw)
		_, root := parseMessage(t, raw)
		if root.mediaType != "multipart/mixed" || len(root.children) != 2 || len(root.children[0].children) != 2 {
			t.Fatalf("structure: %s with %d parts", root.mediaType, len(root.children))
		}
		att := root.children[1]
		_, dparams, err := mime.ParseMediaType(att.header.Get("Content-Disposition"))
		if err != nil || dparams["filename"] != "Préparation séance.pdf" {
			t.Errorf("Content-Disposition %q → %v (%v)", att.header.Get("Content-Disposition"), dparams, err)
		}
		if att.mediaType != "application/pdf" || !bytes.Equal(att.body, pdf) {
			t.Errorf("attachment %s %q", att.mediaType, att.body)
		}
	})
	t.Run("calendar cancel without Inline", func(t *testing.T) {
		m := booking()
		cancelICS := strings.Replace(ics, "METHOD:REQUEST", "METHOD:CANCEL", 1)
		m.Attachments = []Attachment{{Filename: "booking.ics", ContentType: "text/calendar; method=CANCEL",
			Data: []byte(cancelICS)}}
		raw, err := Build(practice, m)
		if err != nil {
			t.Fatal(err)
		}
		_, root := parseMessage(t, raw)
		alt := root.children[0]
		if len(alt.children) != 3 || alt.children[2].mediaType != "text/calendar" ||
			alt.children[2].params["method"] != "CANCEL" || string(alt.children[2].body) != cancelICS {
			t.Errorf("calendar alternative missing or wrong: %+v", alt.children[len(alt.children)-1].params)
		}
	})
}

func TestTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"cancelled", context.Canceled, true},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"451 reply", &textproto.Error{Code: 451, Msg: "try later"}, true},
		{"550 reply", &textproto.Error{Code: 550, Msg: "no such user"}, false},
		{"invalid message", invalid("the subject is empty"), false},
		{"timeout", &net.OpError{Op: "dial", Err: timeoutErr{}}, true},
		{"EOF", io.ErrUnexpectedEOF, true},
		{"unknown", errors.New("something else"), false},
	}
	for _, tt := range tests {
		if got := Temporary(tt.err); got != tt.want {
			t.Errorf("%s: Temporary(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
