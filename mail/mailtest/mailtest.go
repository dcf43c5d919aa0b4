// Package mailtest is a real SMTP server for tests (github.com/emersion/go-smtp) listening on loopback, which
// keeps what it receives, and a parser that takes a received message apart into its plain-text, HTML and
// calendar parts.
//
// The server can be stopped and started again on the same port, which is what "the mail server is down" looks
// like to the site: connections are refused until it is back.
package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message as the server got it.
type Received struct {
	From string   // MAIL FROM
	To   []string // RCPT TO
	Data []byte   // the message, as sent after DATA
}

// Server is an SMTP server on 127.0.0.1.
type Server struct {
	addr string

	mu       sync.Mutex
	srv      *smtp.Server
	received []Received
	refused  map[string]bool // recipients answered 550
	changed  chan struct{}   // closed and replaced whenever a message arrives
}

// Refuse makes the server answer RCPT TO address with 550 (no such user), a permanent failure.
func (s *Server) Refuse(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]bool{}
	}
	s.refused[strings.ToLower(address)] = true
}

// Start starts a server on a free loopback port; it stops when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{changed: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server as SMTP_URL (plain SMTP, no credentials).
func (s *Server) URL() string { return "smtp://" + s.addr }

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = true
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // ends with Stop
}

// Stop closes the server: new connections are refused until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart listens again on the same address.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment after Close
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // nothing announces that a port is free again: retry the bind
	}
	if err != nil {
		tb.Fatalf("mailtest: listening again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// Messages returns what has arrived so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Wait returns the messages once at least n have arrived, failing the test
// after timeout.
func (s *Server) Wait(tb testing.TB, n int, timeout time.Duration) []Received {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := append([]Received(nil), s.received...), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("mailtest: %d message(s) arrived within %s, want %d", len(got), timeout, n)
			return nil
		}
	}
}

// WaitTo returns the messages for address once at least n have arrived,
// failing the test after timeout.
func (s *Server) WaitTo(tb testing.TB, address string, n int, timeout time.Duration) []Received {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if got := s.To(address); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("mailtest: %d message(s) to %s arrived within %s, want %d", len(s.To(address)), address, timeout, n)
			return nil
		}
	}
}

// To returns the messages that arrived for address (case-insensitive).
func (s *Server) To(address string) []Received {
	var out []Received
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, address) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	refused := x.s.refused[strings.ToLower(to)]
	x.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.received = append(x.s.received, Received{From: x.from, To: append([]string(nil), x.to...), Data: b})
	close(x.s.changed)
	x.s.changed = make(chan struct{})
	return nil
}

// Parsed is a received message taken apart.
type Parsed struct {
	Header   netmail.Header
	Subject  string // decoded
	Text     string // the text/plain part, decoded
	HTML     string // the text/html part, decoded
	Calendar []Part // every text/calendar part (the alternative and the attachment)
	Parts    []Part // every leaf part
}

// Part is one leaf MIME part, decoded.
type Part struct {
	ContentType string // the full header value
	MediaType   string
	Params      map[string]string
	Filename    string
	Body        []byte
}

// Parse takes a message apart (quoted-printable and base64 decoded).
func Parse(data []byte) (Parsed, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return p, err
	}
	if err := p.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body); err != nil {
		return p, err
	}
	for _, part := range p.Parts {
		switch part.MediaType {
		case "text/plain":
			if p.Text == "" && part.Filename == "" {
				p.Text = string(part.Body)
			}
		case "text/html":
			if p.HTML == "" && part.Filename == "" {
				p.HTML = string(part.Body)
			}
		case "text/calendar":
			p.Calendar = append(p.Calendar, part)
		}
	}
	return p, nil
}

// MustParse is Parse for tests.
func MustParse(tb testing.TB, data []byte) Parsed {
	tb.Helper()
	p, err := Parse(data)
	if err != nil {
		tb.Fatalf("mailtest: parsing a message: %v\n%s", err, data)
	}
	return p
}

func (p *Parsed) walk(contentType, cte, disposition string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			h := part.Header
			if err := p.walk(h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"), h.Get("Content-Disposition"), part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = newQP(body)
	case "base64":
		r = newBase64(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s part: %w", mt, err)
	}
	part := Part{ContentType: contentType, MediaType: mt, Params: params, Body: b}
	if disposition != "" {
		if _, dp, err := mime.ParseMediaType(disposition); err == nil {
			part.Filename = dp["filename"]
		}
	}
	if part.Filename == "" {
		part.Filename = params["name"]
	}
	p.Parts = append(p.Parts, part)
	return nil
}
