package emails

import (
	"fmt"
	"strings"
	"time"

	"dynamicmotion/mail"
)

// LoginAlert tells the therapist, at to (her login's address), that wrong passwords have been tried on her
// login to the admin area failures times since since: that her password still works from any device, that the
// connections guessing are slowed down, and what to do if it was not her. It carries no link (a security
// notice that asks for a click is what a phishing mail looks like) and no address of whoever guessed.
func LoginAlert(p Practice, to string, failures int, since time.Time) mail.Message {
	host := p.siteHostOr()
	v := p.view("Failed logins to your admin area", "")
	v.para("", fmt.Sprintf("Since %s, wrong passwords have been tried %d times to log in to the admin area of %s "+
		"with your e-mail address.", when(since), failures, host))
	v.para("", "Your password has not changed, and none of these wrong tries let anyone in. It still works from any device: "+
		"the connections that keep guessing wrong are made to wait longer and longer between tries (up to "+
		"15 minutes), so a guesser gets only a few tries an hour from each.")
	v.para("If it was you", "Nothing to do.")
	v.para("If it was not you", "Nothing needs doing as long as your password is long and used on no other "+
		"site. If it is short, or you use it elsewhere too, ask whoever looks after the site to set a new "+
		"one for you (the admin-password command, as when the site was set up): that also ends every login made with the old one.")
	v.Why = "You are receiving this e-mail because your address is the login of the admin area at " + host +
		". It is sent at most once a day."
	m := message("Failed logins to your admin area", v, nil)
	m.To = mail.Address{Email: strings.TrimSpace(to)}
	return m
}
