package emails

import (
	"strings"

	"dynamicmotion/db"
	"dynamicmotion/mail"
)

// ContactMessage is a message from the site's contact form, for the practice's inbox: who wrote it and how to
// reach them, when, and what they wrote (its line breaks kept). Reply-To is the sender (when their address is
// usable), so that answering is just replying; nothing is ever sent to the sender's address by the site.
func ContactMessage(p Practice, m db.ContactMessage) mail.Message {
	name := oneLine(m.Name)
	if name == "" {
		name = "Someone"
	}
	email, phone := oneLine(m.Email), oneLine(m.Phone)
	if phone == "" {
		phone = "not given"
	}
	v := p.view("New message from the website", "")
	v.para("", name+" has sent a message through the contact form.")
	fs := []fact{{"From", name}, {"E-mail", email}, {"Phone", phone}}
	if !m.CreatedAt.IsZero() {
		fs = append(fs, fact{"Sent", when(m.CreatedAt)})
	}
	v.facts(fs...)
	v.quote("Message", multiLine(m.Message))
	if validAddress(email) {
		v.para("", "To answer, reply to this e-mail: the reply goes to "+email+". The site has not e-mailed "+name+".")
	} else {
		v.para("", "The e-mail address given does not look usable; please answer another way if you can.")
	}
	v.para("", "The message is also kept in the admin area.")
	v.link("Open the admin area", p.site("/admin"))
	if host := p.siteHost(); host != "" {
		v.Why = "You are receiving this e-mail because someone used the contact form at " + host + "."
	}

	msg := message("Message from "+name+" (contact form)", v, nil)
	msg.To = mail.Address{Name: oneLine(p.Name), Email: strings.TrimSpace(p.Email)}
	if validAddress(email) {
		msg.ReplyTo = mail.Address{Name: name, Email: email}
	}
	return msg
}

// multiLine makes text someone typed safe to show line by line: valid UTF-8, line ends as "\n", no other
// control characters (a tab becomes a space), no trailing spaces, no blank lines at either end.
func multiLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\t", " ").Replace(s)
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n') || r == 0x7f {
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
