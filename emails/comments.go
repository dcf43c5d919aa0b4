package emails

import (
	"fmt"
	"strings"
	"time"

	"dynamicmotion/mail"
)

// This file holds the messages about comments: a commenter's confirmation that they want replies by e-mail
// (double opt-in), the notification of a reply, and the practice's digest of comments awaiting approval.
// Everything a commenter wrote goes in as plain text: the HTML part escapes it, never renders it.

// Unsubscribe is where the recipient of a message they asked for stops such messages: Page is a page with an
// "Unsubscribe" button (the link in the message), OneClick the address mail programs POST to (RFC 8058,
// the List-Unsubscribe header).
type Unsubscribe struct{ Page, OneClick string }

// Subscription is a commenter's wish to hear of replies, as the confirmation describes it.
type Subscription struct {
	Email     string // where the confirmation goes
	Name      string // the name they commented under
	PostTitle string
	URL       string // their comment on the article
}

// Reply is a reply a subscriber is told about.
type Reply struct {
	Name       string // the replier's name
	ByPractice bool   // the practice's own answer
	Text       string // what they wrote, as they typed it (shown as plain text)
	PostTitle  string
	URL        string // the reply on the article
	At         time.Time
}

// HeldComment is one comment in the practice's moderation digest.
type HeldComment struct {
	Name      string
	PostTitle string
	Text      string // the comment as typed; the digest shows its first line
	URL       string // the article
	At        time.Time
}

// ConfirmReplies asks the commenter to confirm that they want replies by e-mail (double opt-in): nothing else
// is sent to the address until they follow confirmURL. It carries an unsubscribe link as well, for someone who
// did not ask.
func ConfirmReplies(p Practice, s Subscription, confirmURL string, u Unsubscribe) mail.Message {
	v := p.view("Please confirm: replies by e-mail", greetingFor(s.Name))
	v.para("", "You asked to be e-mailed when someone replies to your comment on “"+oneLine(s.PostTitle)+"”. "+
		"Please confirm that this is your address: until you do, we will send you nothing else.")
	v.link("Yes, e-mail me replies", confirmURL)
	v.para("", "If you did not ask for this, you can ignore this e-mail, and you will hear nothing more.")
	v.link("Read the article", s.URL)
	v.Why = "You are receiving this e-mail because this address was given on a comment at " + p.siteHostOr() + "."
	return commenterMessage(p, "Please confirm: replies to your comment on “"+oneLine(s.PostTitle)+"”", s.Email, v, u)
}

// ReplyNotification tells a confirmed subscriber of a reply in their thread, with the reply's text and a
// one-click unsubscribe.
func ReplyNotification(p Practice, to string, r Reply, u Unsubscribe) mail.Message {
	name := oneLine(r.Name)
	who := name
	if r.ByPractice {
		who = name + " (" + p.name() + ")"
	}
	v := p.view("New reply: "+oneLine(r.PostTitle), "Hello,")
	lead := who + " replied to the conversation you follow on “" + oneLine(r.PostTitle) + "”"
	if !r.At.IsZero() {
		lead += " on " + when(r.At)
	}
	v.para("", lead+":")
	v.quote("", plainText(r.Text))
	v.link("Read and reply on the site", r.URL)
	v.Why = "You are receiving this e-mail because you asked for replies to your comment at " + p.siteHostOr() +
		" and confirmed your address."
	return commenterMessage(p, "New reply from "+name+" on “"+oneLine(r.PostTitle)+"”", to, v, u)
}

// maxDigest is how many held comments the digest lists; it says how many more there are.
const maxDigest = 20

// CommentsAwaitingModeration is the practice's digest of the comments awaiting approval (total in all, the
// first of them listed): who, on which article, the first line, and where to approve them.
func CommentsAwaitingModeration(p Practice, held []HeldComment, total int, moderationURL string) mail.Message {
	if total < len(held) {
		total = len(held)
	}
	v := p.view("Comments awaiting approval", "")
	if total == 1 {
		v.para("", "A comment is waiting for your approval. Nobody but its author sees it until you approve it.")
	} else {
		v.para("", fmt.Sprintf("%d comments are waiting for your approval. Nobody but their authors sees them "+
			"until you approve them.", total))
	}
	for i, c := range held {
		if i == maxDigest {
			break
		}
		v.facts(
			fact{"From", oneLine(c.Name)},
			fact{"Article", oneLine(c.PostTitle)},
			fact{"Comment", firstLine(c.Text)},
			fact{"Written", when(c.At)},
		)
		v.link("Open the article", c.URL)
	}
	if more := total - min(len(held), maxDigest); more > 0 {
		v.para("", fmt.Sprintf("And %d more.", more))
	}
	v.link("Approve or hide comments", moderationURL)
	subject := "A comment is awaiting approval"
	if total > 1 {
		subject = fmt.Sprintf("%d comments are awaiting approval", total)
	}
	m := message(subject, v, nil)
	m.To = mail.Address{Name: oneLine(p.Name), Email: strings.TrimSpace(p.Email)}
	return m
}

// commenterMessage goes to a commenter's address, with the unsubscribe link in the footer and the
// List-Unsubscribe headers of RFC 2369 and RFC 8058; a reply to it goes to the practice (the sending address
// may not be read).
func commenterMessage(p Practice, subject, to string, v view, u Unsubscribe) mail.Message {
	v.Unsubscribe = strings.TrimSpace(u.Page)
	m := message(subject, v, nil)
	m.To = mail.Address{Email: strings.TrimSpace(to)}
	if e := strings.TrimSpace(p.Email); e != "" {
		m.ReplyTo = mail.Address{Name: oneLine(p.Name), Email: e}
	}
	if oc := strings.TrimSpace(u.OneClick); oc != "" {
		m.Headers["List-Unsubscribe"] = "<" + oc + ">"
		m.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return m
}

func greetingFor(name string) string {
	if n := oneLine(name); n != "" {
		return "Hello " + n + ","
	}
	return "Hello,"
}

func (p Practice) siteHostOr() string {
	if h := p.siteHost(); h != "" {
		return h
	}
	return p.name()
}

// plainText is text as someone typed it, made safe to show: valid UTF-8, Unix line breaks, no control
// characters but tabs and line breaks, no blank lines at either end.
func plainText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029':
			return ' '
		}
		return r
	}, s)
	return strings.Trim(s, "\n ")
}

// firstLine is the first line of what someone typed, cut at 120 characters.
func firstLine(s string) string {
	s = plainText(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	s = oneLine(s)
	if r := []rune(s); len(r) > 120 {
		s = strings.TrimSpace(string(r[:119])) + "…"
	}
	return s
}
