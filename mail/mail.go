// Package mail builds and sends the site's e-mail over SMTP.
//
// It is the sending layer only: the job queue that decides when a message goes out and the texts of the
// messages live elsewhere. Every message has a plain-text and an HTML part, optional attachments, and no
// tracking (no pixels, no rewritten links, no library User-Agent).
//
// Message structure, as rendered by [Build] and sent by [SMTP.Send]:
//
//	multipart/mixed                                   (only when there are attachments)
//	├── multipart/alternative
//	│   ├── text/plain; charset=UTF-8
//	│   ├── text/html; charset=UTF-8
//	│   └── text/calendar; method=REQUEST; charset=UTF-8   (one per calendar attachment)
//	└── attachments, e.g. invite.ics (text/calendar; …; method=REQUEST), Content-Disposition: attachment
//
// A message without attachments is a plain multipart/alternative. The calendar copy inside
// multipart/alternative is what makes Gmail and Outlook show their "Add to calendar"/RSVP controls; the
// attachment is for every other client.
//
// The MIME rendering and the SMTP conversation are done by github.com/wneessen/go-mail.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"path"
	"strings"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/net/idna"
)

// Message is one e-mail: both a plain-text and an HTML part, optional attachments, no tracking.
type Message struct {
	To          Address
	ReplyTo     Address // optional
	Subject     string
	Text        string // the plain-text part (required)
	HTML        string // the HTML part (required), a full small document
	Attachments []Attachment
	Headers     map[string]string // extra headers, e.g. List-Unsubscribe, List-Unsubscribe-Post
}

// Address is a mailbox: an optional display name (any Unicode; encoded per RFC 2047 on the wire) and a
// bare address such as "clare@example.com" (no angle brackets, no name).
type Address struct{ Name, Email string }

// Attachment is a file sent with a message.
//
// An attachment whose ContentType is text/calendar (an invitation, a cancellation) is sent twice: as a
// part of multipart/alternative with the same content type, method= included (what Gmail and Outlook need
// to offer "Add to calendar"), and as a normal attachment. Inline asks for the same treatment for another
// text/* type; it is implied for text/calendar.
type Attachment struct {
	Filename    string
	ContentType string // e.g. `text/calendar; charset=utf-8; method=REQUEST`
	Data        []byte
	Inline      bool // also offer the data as an alternative part (always so for text/calendar)
}

// reservedHeaders are set by Build itself; Message.Headers may not override them.
var reservedHeaders = map[string]bool{
	"From": true, "Sender": true, "To": true, "Cc": true, "Bcc": true, "Reply-To": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
	"Return-Path": true,
}

// invalidError is a message (or sender) that can never be sent as it stands; Temporary reports false.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return "mail: " + e.msg }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Build renders a message as RFC 5322 bytes (what SMTP would send), for the development outbox and for
// tests. It validates the message first (see [SMTP.Send]).
func Build(from Address, m Message) ([]byte, error) {
	msg, err := compose(from, m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mail: render message: %w", err)
	}
	return buf.Bytes(), nil
}

// compose validates m and turns it into a go-mail message with Date, Message-ID and MIME-Version set.
func compose(from Address, m Message) (*gomail.Msg, error) {
	fromAddr, err := checkAddress("From", from, true)
	if err != nil {
		return nil, err
	}
	toAddr, err := checkAddress("To", m.To, true)
	if err != nil {
		return nil, err
	}
	replyTo, err := checkAddress("Reply-To", m.ReplyTo, false)
	if err != nil {
		return nil, err
	}
	if err := checkHeaderValue("Subject", m.Subject); err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Subject) == "" {
		return nil, invalid("the subject is empty")
	}
	for _, part := range []struct{ name, body string }{{"plain-text", m.Text}, {"HTML", m.HTML}} {
		if strings.TrimSpace(part.body) == "" {
			return nil, invalid("the %s part is empty", part.name)
		}
		if !utf8.ValidString(part.body) {
			return nil, invalid("the %s part is not valid UTF-8", part.name)
		}
	}
	headers := make(map[string]string, len(m.Headers))
	for name, value := range m.Headers {
		if !validFieldName(name) {
			return nil, invalid("header name %q is not a valid field name", name)
		}
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		if reservedHeaders[canonical] {
			return nil, invalid("header %s is set by the mail package and cannot be overridden", canonical)
		}
		if _, dup := headers[canonical]; dup {
			return nil, invalid("header %s is given twice", canonical)
		}
		if err := checkHeaderValue(canonical, value); err != nil {
			return nil, err
		}
		headers[canonical] = value
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP))
	msg.FromMailAddress(fromAddr)
	msg.ToMailAddress(toAddr)
	if replyTo != nil {
		msg.ReplyToMailAddress(replyTo)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(newMessageID(fromAddr.Address))
	msg.SetDate()
	for name, value := range headers {
		msg.SetGenHeader(gomail.Header(name), value)
	}

	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)

	for i, a := range m.Attachments {
		if err := addAttachment(msg, i, a); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

func addAttachment(msg *gomail.Msg, i int, a Attachment) error {
	if strings.TrimSpace(a.Filename) == "" {
		return invalid("attachment %d has no file name", i)
	}
	if err := checkHeaderValue("attachment file name", a.Filename); err != nil {
		return err
	}
	if len(a.Data) == 0 {
		return invalid("attachment %q is empty", a.Filename)
	}
	if err := checkHeaderValue("attachment content type", a.ContentType); err != nil {
		return err
	}
	mediaType, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil || !strings.Contains(mediaType, "/") {
		return invalid("attachment %q has an invalid content type", a.Filename)
	}
	name := cleanFilename(a.Filename)

	alternative := a.Inline || mediaType == "text/calendar"
	if alternative {
		if !strings.HasPrefix(mediaType, "text/") {
			return invalid("attachment %q: only text/* data can be offered as an alternative part", a.Filename)
		}
		if !utf8.Valid(a.Data) {
			return invalid("attachment %q is not valid UTF-8", a.Filename)
		}
		// go-mail appends "; charset=…" to an alternative part's content type itself, so the charset
		// parameter is moved from the type to the part (a duplicate parameter would make the header invalid).
		charset := gomail.CharsetUTF8
		rest := make(map[string]string, len(params))
		for k, v := range params {
			if k == "charset" {
				charset = gomail.Charset(v)
				continue
			}
			rest[k] = v
		}
		altType := mime.FormatMediaType(mediaType, rest)
		if altType == "" {
			return invalid("attachment %q has an invalid content type", a.Filename)
		}
		msg.AddAlternativeString(gomail.ContentType(altType), string(a.Data), gomail.WithPartCharset(charset))
	}

	// Content-Type and Content-Disposition are written here rather than by go-mail so that a non-ASCII file
	// name is encoded per RFC 2231 (which mime.ParseMediaType and mail clients understand).
	params["name"] = name
	contentType := mime.FormatMediaType(mediaType, params)
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if contentType == "" || disposition == "" {
		return invalid("attachment %q has an invalid content type or file name", a.Filename)
	}
	setHeaders := func(f *gomail.File) {
		f.Header.Set("Content-Type", contentType)
		f.Header.Set("Content-Disposition", disposition)
	}
	if err := msg.AttachReader(name, bytes.NewReader(a.Data), setHeaders); err != nil {
		return fmt.Errorf("mail: attachment %q: %w", a.Filename, err)
	}
	return nil
}

// checkAddress validates a mailbox. Email must be a bare address that net/mail parses; the name must not
// contain line breaks. An empty optional address gives nil.
func checkAddress(field string, a Address, required bool) (*netmail.Address, error) {
	if a.Email == "" && a.Name == "" && !required {
		return nil, nil
	}
	if a.Email == "" {
		return nil, invalid("%s address is missing", field)
	}
	if err := checkHeaderValue(field+" name", a.Name); err != nil {
		return nil, err
	}
	if err := checkHeaderValue(field+" address", a.Email); err != nil {
		return nil, err
	}
	parsed, err := netmail.ParseAddress(a.Email)
	if err != nil || parsed.Name != "" || parsed.Address != a.Email {
		return nil, invalid("%s address %q is not a valid e-mail address", field, a.Email)
	}
	return &netmail.Address{Name: a.Name, Address: parsed.Address}, nil
}

// checkHeaderValue refuses CR, LF and NUL: a line break in a header value would let the value start a new
// header (header injection).
func checkHeaderValue(field, value string) error {
	if strings.ContainsAny(value, "\r\n\x00") {
		return invalid("%s contains a line break or NUL (header injection refused)", field)
	}
	if !utf8.ValidString(value) {
		return invalid("%s is not valid UTF-8", field)
	}
	return nil
}

// validFieldName reports whether name is an RFC 5322 field name: printable ASCII except ':'.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// cleanFilename keeps the last path element and replaces characters that are unsafe in file names.
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	return strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || strings.ContainsRune(`"/:<>?\|*`, r) {
			return '_'
		}
		return r
	}, name)
}

// newMessageID returns a random Message-ID (without angle brackets) in the sender's domain.
func newMessageID(fromEmail string) string {
	domain := fromEmail[strings.LastIndexByte(fromEmail, '@')+1:]
	if ascii, err := idna.Lookup.ToASCII(domain); err == nil && ascii != "" {
		domain = ascii
	} else {
		domain = "localhost"
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:]) + "@" + domain
}

// errorsAsInvalid reports whether err is (or wraps) a validation error.
func errorsAsInvalid(err error) bool {
	var ie *invalidError
	return errors.As(err, &ie)
}
