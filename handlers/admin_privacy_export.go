package handlers

import (
	"fmt"
	"strconv"
	"time"

	"dynamicmotion/db"
)

// clientExport is the JSON file a client is given when they ask for their
// data (UK GDPR article 15): what the practice holds about their e-mail
// address, in plain words. Internal keys (token hashes, hold keys) are left
// out: they are not about the person, and they would unlock things.
type clientExport struct {
	Email           string                `json:"email"`
	Controller      string                `json:"controller"`
	ExportedAt      time.Time             `json:"exported_at"`
	Bookings        []exportBooking       `json:"bookings"`
	Waitlist        []exportWaitlistEntry `json:"waitlist"`
	ContactMessages []exportContact       `json:"contact_messages"`
	Subscriptions   []exportSubscription  `json:"reply_subscriptions"`
	Comments        []exportComment       `json:"comments"`
	CommentsNote    string                `json:"comments_note"`
	Emails          []exportEmail         `json:"emails_sent"`
	// TreatmentNotes are the therapist's notes of their appointments, each
	// with every earlier version kept when it was changed.
	TreatmentNotes []exportNote `json:"treatment_notes"`
	// OtherAddresses are the client's other e-mail addresses, when the
	// therapist merged them into one client (the client page's export).
	OtherAddresses []string `json:"other_addresses,omitempty"`
}

type exportNote struct {
	BookingID   int64     `json:"booking_id"`
	Appointment time.Time `json:"appointment_starts_at"`
	db.NoteFields
	WrittenAt time.Time           `json:"written_at"`
	SavedAt   time.Time           `json:"last_saved_at"`
	Earlier   []exportNoteVersion `json:"earlier_versions"`
}

type exportNoteVersion struct {
	Version int `json:"version"`
	db.NoteFields
	SavedAt    time.Time `json:"saved_at"`
	ReplacedAt time.Time `json:"replaced_at"`
}

type exportBooking struct {
	ID           int64          `json:"id"`
	Service      string         `json:"service"`
	Place        string         `json:"place"`
	StartsAt     time.Time      `json:"starts_at"`
	EndsAt       time.Time      `json:"ends_at"`
	Status       string         `json:"status"`
	PricePence   int            `json:"price_pence"`
	Name         string         `json:"name"`
	Email        string         `json:"email"`
	Phone        string         `json:"phone"`
	Address      string         `json:"address"`
	Postcode     string         `json:"postcode"`
	Notes        string         `json:"notes"`
	Health       map[string]any `json:"health_answers"`
	ConsentAt    *time.Time     `json:"health_consent_at"`
	BookedAt     time.Time      `json:"booked_at"`
	CancelledAt  *time.Time     `json:"cancelled_at,omitempty"`
	CancelReason string         `json:"cancel_reason,omitempty"`
	// ClientReason is what the client wrote when cancelling online.
	ClientReason string `json:"client_cancel_reason,omitempty"`
}

type exportWaitlistEntry struct {
	Service  string    `json:"service"`
	Place    string    `json:"place"`
	Day      string    `json:"day"`
	Earliest string    `json:"earliest"`
	Latest   string    `json:"latest"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	Postcode string    `json:"postcode"`
	Status   string    `json:"status"`
	JoinedAt time.Time `json:"joined_at"`
}

type exportContact struct {
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Phone   string    `json:"phone"`
	Message string    `json:"message"`
	SentAt  time.Time `json:"sent_at"`
}

type exportSubscription struct {
	Email          string     `json:"email"`
	CommentID      int64      `json:"comment_id"`
	CreatedAt      time.Time  `json:"created_at"`
	ConfirmedAt    *time.Time `json:"confirmed_at"`
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
}

type exportComment struct {
	ID        int64      `json:"id"`
	Article   string     `json:"article"`
	Link      string     `json:"link"`
	Name      string     `json:"name"`
	Text      string     `json:"text"`
	Status    string     `json:"status"`
	WrittenAt time.Time  `json:"written_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
}

type exportEmail struct {
	Kind      string     `json:"kind"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	WrittenAt time.Time  `json:"written_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	Text      string     `json:"text"`
}

// commentsNote says how comments were found: comments carry no address.
const commentsNote = "Comments are stored without an email address. Those listed are the comments this address " +
	"asked to be told of replies to, and others written in the same browser session."

// newClientExport turns what is held about an address into its export.
// Every list is present, empty rather than null, so that "none" is plain.
func newClientExport(d db.ClientData, controller string, now time.Time) clientExport {
	x := clientExport{
		Email: d.Email, Controller: controller, ExportedAt: now.UTC(), CommentsNote: commentsNote,
		Bookings: []exportBooking{}, Waitlist: []exportWaitlistEntry{}, ContactMessages: []exportContact{},
		Subscriptions: []exportSubscription{}, Comments: []exportComment{}, Emails: []exportEmail{},
		TreatmentNotes: []exportNote{},
	}
	for _, b := range d.Bookings {
		n, ok := d.Notes[b.ID]
		if !ok {
			continue
		}
		xn := exportNote{BookingID: b.ID, Appointment: b.StartsAt.UTC(), NoteFields: n.NoteFields,
			WrittenAt: n.CreatedAt.UTC(), SavedAt: n.UpdatedAt.UTC(), Earlier: []exportNoteVersion{}}
		for _, v := range n.Earlier {
			xn.Earlier = append(xn.Earlier, exportNoteVersion{Version: v.Version, NoteFields: v.NoteFields,
				SavedAt: v.SavedAt.UTC(), ReplacedAt: v.ReplacedAt.UTC()})
		}
		x.TreatmentNotes = append(x.TreatmentNotes, xn)
	}
	for _, b := range d.Bookings {
		x.Bookings = append(x.Bookings, exportBooking{
			ID: b.ID, Service: b.ServiceName, Place: b.Place, StartsAt: b.StartsAt.UTC(), EndsAt: b.EndsAt.UTC(),
			Status: b.Status, PricePence: b.PricePence, Name: b.ClientName, Email: b.ClientEmail, Phone: b.ClientPhone,
			Address: b.Address, Postcode: b.Postcode, Notes: b.Notes, Health: b.Health, ConsentAt: b.ConsentAt,
			BookedAt: b.CreatedAt.UTC(), CancelledAt: b.CancelledAt, CancelReason: b.CancelReason,
			ClientReason: b.ClientCancelReason,
		})
	}
	for _, e := range d.Waitlist {
		x.Waitlist = append(x.Waitlist, exportWaitlistEntry{
			Service: e.ServiceName, Place: e.Place, Day: e.Day.Format(time.DateOnly),
			Earliest: clockText(e.EarliestMin), Latest: clockText(e.LatestMin), Name: e.Name, Email: e.Email,
			Postcode: e.Postcode, Status: e.Status, JoinedAt: e.CreatedAt.UTC(),
		})
	}
	for _, m := range d.Messages {
		x.ContactMessages = append(x.ContactMessages, exportContact{Name: m.Name, Email: m.Email, Phone: m.Phone,
			Message: m.Message, SentAt: m.CreatedAt.UTC()})
	}
	for _, s := range d.Subscriptions {
		x.Subscriptions = append(x.Subscriptions, exportSubscription{Email: s.Email, CommentID: s.CommentID,
			CreatedAt: s.CreatedAt.UTC(), ConfirmedAt: s.ConfirmedAt, UnsubscribedAt: s.UnsubscribedAt})
	}
	for _, c := range d.Comments {
		x.Comments = append(x.Comments, exportComment{ID: c.ID, Article: c.PostTitle,
			Link: "/blog/" + c.PostSlug + "#comment-" + strconv.FormatInt(c.ID, 10), Name: c.Name, Text: c.BodyMD,
			Status: c.Status, WrittenAt: c.CreatedAt.UTC(), EditedAt: c.EditedAt})
	}
	for _, m := range d.Mail {
		x.Emails = append(x.Emails, exportEmail{Kind: m.Kind, To: m.Recipient, Subject: m.Subject, Status: m.Status,
			WrittenAt: m.CreatedAt.UTC(), SentAt: m.SentAt, Text: m.Message.Text})
	}
	return x
}

// clockText is minutes after midnight as 09:30.
func clockText(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }
