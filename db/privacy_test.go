package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/mail"
)

// A client's personal details, unusual enough that finding one of them
// anywhere in the database means it was not erased.
const (
	privName   = "Zelda Quixotic"
	privEmail  = "Zelda.Quixotic@Example.com"
	privPhone  = "07700 900999"
	privHealth = "Hamstring tear in 2019"
	privNotes  = "Please use the side door"
	privStreet = "7 Quixote Lane"
)

// byHand books a confirmed appointment for the client at start.
func byHand(t *testing.T, svc int64, start time.Time, email string) db.Booking {
	t.Helper()
	cut := 24
	b := hold(svc, start, "", start)
	b.HoldOwner, b.HoldExpiresAt = nil, nil
	b.Place, b.Address, b.Postcode = db.PlaceMobile, privStreet, "PE27 5AB"
	b.ClientName, b.ClientEmail, b.ClientPhone, b.Notes = privName, email, privPhone, privNotes
	b.Health = map[string]any{"injury": map[string]any{"question": "Any injury?", "answer": "yes", "details": privHealth}}
	b.ManageTokenHash, b.PolicyCutoffHours = owner(email+start.String()), &cut
	if err := db.BookByHand(context.Background(), dbtest.DB(t), b, testNow); err != nil {
		t.Fatal(err)
	}
	return *b
}

// clientEverywhere gives the client a past booking (with a manage link and
// its e-mails), a waitlist entry with an open offer, a contact message (and
// its e-mail to the practice), a reply subscription with its comment and a
// second comment from the same browser, a reply notification to someone
// else about that comment, and a session holding the address.
func clientEverywhere(t *testing.T) (past db.Booking, comments []int64) {
	t.Helper()
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	dbtest.Truncate(t, "bookings", "outbox", "waitlist", "contact_messages", "comment_subscriptions", "sessions")
	emptyPosts(t)

	past = byHand(t, svc, time.Date(2021, 3, 1, 10, 0, 0, 0, time.UTC), privEmail)
	must(t, db.AddBookingLink(ctx, bdb, past.ID, owner("reminder link")))
	must(t, db.MarkAttendance(ctx, bdb, past.ID, db.BookingCompleted, testNow))
	toClient := mail.Message{To: mail.Address{Name: privName, Email: privEmail}, Subject: "Your booking is confirmed",
		Text: "Hello " + privName, HTML: "<p>Hello</p>"}
	toPractice := mail.Message{To: mail.Address{Email: "clare@dynamicmotion.example"}, Subject: "New booking",
		Text: privName + ", " + privPhone + ", " + privNotes, HTML: "<p>New</p>"}
	for _, m := range []db.OutboxMessage{{Kind: "booking_confirmed", Message: toClient, BookingID: &past.ID},
		{Kind: "practice_new_booking", Message: toPractice, BookingID: &past.ID}} {
		must(t, db.AddToOutbox(ctx, bdb, &m))
	}

	e := &db.WaitlistEntry{ServiceID: svc, Place: db.PlaceStudio, Day: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		EarliestMin: 540, LatestMin: 600, Name: privName, Email: strings.ToUpper(privEmail), LeaveTokenHash: owner("leave")}
	if _, err := db.AddToWaitlist(ctx, bdb, e); err != nil {
		t.Fatal(err)
	}
	must(t, bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockDiaryAndClearExpiredHolds(ctx, tx, testNow); err != nil {
			return err
		}
		h := hold(svc, time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC), "offer", testNow.Add(time.Hour))
		return db.CreateOffer(ctx, tx, h, &db.WaitlistOffer{EntryID: e.ID, TokenHash: owner("offer"), ExpiresAt: testNow.Add(time.Hour)}, testNow)
	}))

	cm := &db.ContactMessage{Name: privName, Email: privEmail, Phone: privPhone, Message: "Do you treat " + privHealth + "?"}
	must(t, db.AddContactMessage(ctx, bdb, cm))
	contactMail := mail.Message{To: mail.Address{Email: "clare@dynamicmotion.example"}, ReplyTo: mail.Address{Name: privName, Email: privEmail},
		Subject: "Message from the website", Text: cm.Message, HTML: "<p>msg</p>"}
	must(t, db.AddToOutbox(ctx, bdb, &db.OutboxMessage{Kind: "contact_message", Message: contactMail}))

	p := save(t, article("privacy-post", "A post", "Body.", at(1)))
	c1 := newComment(p.ID, privName, "Great article", nil)
	c1.AuthorHash, c1.IPHash = owner("zelda's session"), owner("zelda's address")
	addComment(t, c1)
	c2 := newComment(p.ID, privName, "One more thought", nil)
	c2.AuthorHash, c2.IPHash = c1.AuthorHash, c1.IPHash
	addComment(t, c2)
	addComment(t, newComment(p.ID, "Someone Else", "Unrelated", nil))
	sub, err := db.SubscribeToReplies(ctx, bdb, *c1, privEmail)
	must(t, err)
	must(t, db.AddUnsubscribeLink(ctx, bdb, sub.ID, owner("unsubscribe")))
	notice := mail.Message{To: mail.Address{Email: "other@example.com"}, Subject: "New reply from " + privName,
		Text: privName + " replied: https://dm.example/blog/privacy-post#comment-" + itoa(c1.ID) + "\n", HTML: "<p>r</p>"}
	must(t, db.AddToOutbox(ctx, bdb, &db.OutboxMessage{Kind: "comment_reply", Message: notice}))

	_, err = bdb.NewRaw(`INSERT INTO sessions (token, data, expiry) VALUES ('s1', ?, now() + interval '1 hour')`,
		[]byte("\x0e\xff\x81contact_sent_email\x06string\x0c\x1c"+privEmail)).Exec(ctx)
	must(t, err)
	return past, []int64{c1.ID, c2.ID}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Finding a client by e-mail address, whatever its case, finds what each
// table holds about them, comments through their subscription.
func TestFindClient(t *testing.T) {
	past, comments := clientEverywhere(t)
	d, err := db.FindClient(context.Background(), dbtest.DB(t), "  zelda.quixotic@EXAMPLE.com ")
	must(t, err)
	if len(d.Bookings) != 1 || d.Bookings[0].ID != past.ID || d.Bookings[0].Health == nil {
		t.Errorf("bookings: %+v", d.Bookings)
	}
	if len(d.Waitlist) != 1 || len(d.Messages) != 1 || len(d.Subscriptions) != 1 {
		t.Errorf("waitlist %d, messages %d, subscriptions %d: want one of each", len(d.Waitlist), len(d.Messages), len(d.Subscriptions))
	}
	if len(d.Comments) != 2 || d.Comments[0].ID != comments[0] || d.Comments[1].ID != comments[1] {
		t.Errorf("comments: %+v, want %v (subscribed with, and the same author's other)", d.Comments, comments)
	}
	if len(d.Mail) != 1 || d.Mail[0].Subject != "Your booking is confirmed" {
		t.Errorf("mail to the client: %+v", d.Mail)
	}
	if !d.Found() {
		t.Error("Found is false")
	}
	none, err := db.FindClient(context.Background(), dbtest.DB(t), "nobody@example.com")
	must(t, err)
	if none.Found() {
		t.Errorf("found data for an unknown address: %+v", none)
	}
}

// everything returns every row of every table in the public schema as
// JSON text, lower case: what the database holds, all of it.
func everything(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	must(t, dbtest.DB(t).NewRaw(`SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`).Scan(ctx, &tables))
	var all strings.Builder
	for _, table := range tables {
		var rows []string
		must(t, dbtest.DB(t).NewRaw("SELECT row_to_json(x)::text FROM "+table+" x").Scan(ctx, &rows))
		for _, r := range rows {
			all.WriteString(table + ": " + r + "\n")
		}
	}
	// Session data is bytea, which row_to_json writes as hex.
	var sessions []string
	must(t, dbtest.DB(t).NewRaw(`SELECT encode(data, 'escape') FROM sessions`).Scan(ctx, &sessions))
	all.WriteString(strings.Join(sessions, "\n"))
	return strings.ToLower(all.String())
}

// Erasing leaves no trace of the client's name, address, phone, health
// answers or notes anywhere in the database; the booking stays in the
// diary, anonymised, and the comments keep their text.
func TestEraseClientLeavesNoTrace(t *testing.T) {
	past, comments := clientEverywhere(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	before := everything(t)
	for _, s := range []string{privName, privEmail, privPhone, privHealth, privNotes, privStreet} {
		if !strings.Contains(before, strings.ToLower(s)) {
			t.Fatalf("the test's data does not hold %q: the check below would prove nothing", s)
		}
	}

	e, err := db.EraseClient(ctx, bdb, "ZELDA.QUIXOTIC@example.com", testNow)
	must(t, err)
	want := db.Erasure{Bookings: 1, BookingLinks: 1, Waitlist: 1, Messages: 1, Subscriptions: 1, Comments: 2, Mail: 4, Sessions: 1}
	if e != want {
		t.Errorf("erasure %+v, want %+v", e, want)
	}
	after := everything(t)
	for _, s := range []string{privName, privEmail, privPhone, privHealth, privNotes, privStreet, "zelda", "quixot"} {
		if i := strings.Index(after, strings.ToLower(s)); i >= 0 {
			t.Errorf("%q is still in the database: …%s…", s, after[max(0, i-200):min(len(after), i+100)])
		}
	}

	b, err := db.BookingByID(ctx, bdb, past.ID)
	must(t, err)
	if b.ClientName != db.ErasedName || b.Status != db.BookingCompleted || !b.StartsAt.Equal(past.StartsAt) ||
		b.Postcode != "PE27" || b.Health != nil || b.ServiceName != past.ServiceName || b.PricePence != past.PricePence {
		t.Errorf("the booking is not kept anonymised for the diary: %+v", b)
	}
	if _, err := db.BookingByToken(ctx, bdb, past.ManageTokenHash); err == nil {
		t.Error("the old manage link still opens the booking")
	}
	var cs []db.Comment
	must(t, bdb.NewSelect().Model(&cs).Where("c.id IN (?, ?)", comments[0], comments[1]).OrderExpr("c.id").Scan(ctx))
	if len(cs) != 2 || cs[0].Name != db.ErasedCommenter || cs[0].BodyMD != "Great article" || len(cs[0].AuthorHash) != 0 || len(cs[1].IPHash) != 0 {
		t.Errorf("comments not anonymised (name and keys gone, text kept): %+v", cs)
	}
	var others int
	must(t, bdb.NewRaw("SELECT count(*) FROM comments WHERE name = 'Someone Else'").Scan(ctx, &others))
	var held int
	must(t, bdb.NewRaw("SELECT count(*) FROM bookings WHERE status = 'held'").Scan(ctx, &held))
	if others != 1 || held != 0 {
		t.Errorf("someone else's comment: %d (want 1 kept); holds: %d (want the open offer's released)", others, held)
	}

	// Twice: nothing more to do, no error.
	again, err := db.EraseClient(ctx, bdb, privEmail, testNow)
	if err != nil || again.Total() != 0 {
		t.Errorf("erasing again: %+v, %v", again, err)
	}
}

// While a confirmed appointment is still to come, nothing is erased.
func TestEraseClientRefusesWhileAnAppointmentIsToCome(t *testing.T) {
	past, _ := clientEverywhere(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	next := byHand(t, past.ServiceID, testNow.Add(48*time.Hour).Truncate(time.Hour), strings.ToLower(privEmail))

	if _, err := db.EraseClient(ctx, bdb, privEmail, testNow); !errors.Is(err, db.ErrUpcomingBooking) {
		t.Fatalf("EraseClient = %v, want ErrUpcomingBooking", err)
	}
	d, err := db.FindClient(ctx, bdb, privEmail)
	must(t, err)
	if len(d.Bookings) != 2 || len(d.Messages) != 1 || len(d.Upcoming(testNow)) != 1 {
		t.Errorf("something was erased: %d bookings, %d messages", len(d.Bookings), len(d.Messages))
	}
	must(t, db.CancelBooking(ctx, bdb, next.ID, "Client asked to be forgotten", testNow))
	if _, err := db.EraseClient(ctx, bdb, privEmail, testNow); err != nil {
		t.Fatalf("after cancelling: %v", err)
	}
}

// Health answers and notes are erased the set number of months after the
// appointment; newer ones stay, and 0 keeps them all.
func TestEraseOldHealthAnswers(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	svc := serviceID(t)
	dbtest.Truncate(t, "bookings", "privacy_settings")

	if p, err := db.GetPrivacy(ctx, bdb); err != nil || p.HealthKeepMonths != db.DefaultPrivacy.HealthKeepMonths {
		t.Fatalf("before saving: %+v, %v", p, err)
	}
	old := byHand(t, svc, testNow.AddDate(0, -13, 0).Truncate(time.Hour), "old@example.com")
	recent := byHand(t, svc, testNow.AddDate(0, -11, 0).Truncate(time.Hour), "recent@example.com")

	must(t, db.SavePrivacy(ctx, bdb, db.Privacy{HealthKeepMonths: 0}))
	if n, err := db.EraseOldHealthAnswers(ctx, bdb, testNow); n != 0 || err != nil {
		t.Errorf("with 0 (keep): erased %d, %v", n, err)
	}
	must(t, db.SavePrivacy(ctx, bdb, db.Privacy{HealthKeepMonths: 12}))
	if p, _ := db.GetPrivacy(ctx, bdb); p.HealthKeepMonths != 12 {
		t.Errorf("saved 12, read %d", p.HealthKeepMonths)
	}
	if n, err := db.EraseOldHealthAnswers(ctx, bdb, testNow); n != 1 || err != nil {
		t.Errorf("erased %d, %v; want the one older than 12 months", n, err)
	}
	o, _ := db.BookingByID(ctx, bdb, old.ID)
	r, _ := db.BookingByID(ctx, bdb, recent.ID)
	if o.Health != nil || o.Notes != "" || o.ClientName != privName {
		t.Errorf("the old booking: health %v, notes %q, name %q; want answers gone, booking kept", o.Health, o.Notes, o.ClientName)
	}
	if r.Health == nil || r.Notes != privNotes {
		t.Errorf("the recent booking lost its answers")
	}
	if _, err := bdb.NewRaw("INSERT INTO privacy_settings (health_keep_months) VALUES (2) ON CONFLICT (id) DO UPDATE SET health_keep_months = 2").
		Exec(ctx); sqlState(err) != "23514" {
		t.Errorf("2 months: %v, want a check violation", err)
	}
}

// Erasing one address leaves other people's mail and sessions alone, even
// when their address contains it (banjo@… contains jo@…).
func TestEraseMatchesWholeAddressesOnly(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	for _, tc := range []struct {
		text  string
		match bool
	}{
		{`{"To":{"Email":"jo@gmail.com"}}`, true},
		{`Reply to Jo <jo@gmail.com>.`, true},
		{`write to jo@gmail.com.`, true},
		{`{"To":{"Email":"banjo@gmail.com"}}`, false},
		{`jo@gmail.com.evil.example`, false},
		{`jo@gmail.community`, false},
		{`mojo@gmail.com`, false},
	} {
		var got bool
		if err := bdb.NewRaw("SELECT lower(?) ~ ?", tc.text, db.WholeAddress("jo@gmail.com")).Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got != tc.match {
			t.Errorf("%q matches jo@gmail.com: %v, want %v", tc.text, got, tc.match)
		}
	}
}
