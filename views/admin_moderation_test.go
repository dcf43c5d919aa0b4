package views_test

import (
	"time"

	"dynamicmotion/db"
)

// sampleModeration is the data of the comments, business, calendar and
// messages pages of the therapist's area (as the handlers pass it).
func sampleModeration(name string) any {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	comment := func(id int64, name, body string, blocked bool) db.ModeratedComment {
		c := db.ModeratedComment{ParentName: "Ann", ParentBody: "Is it <b>good</b>?", Blocked: blocked}
		c.ID, c.Name, c.BodyMD, c.CreatedAt, c.PostSlug, c.PostTitle = id, name, body, at, "a", "Lower back <pain>"
		return c
	}
	type item struct {
		Comment db.ModeratedComment
		State   string
		Parent  string
	}
	type mode struct{ Value, Label, Hint string }
	type message struct {
		db.ContactMessage
		Preview string
	}
	msg := db.ContactMessage{ID: 4, Name: "Ann <Lee>", Email: "ann@example.com", Phone: "07700 900123",
		Message: "Hello,\nDo you treat <calves>?\n\nThanks", CreatedAt: at}
	switch name {
	case "admin-comments":
		return struct {
			Mode                  string
			Modes                 []mode
			Queue, Recent, Hidden []item
			Held                  int
			Blocks                []db.CommentBlock
			Notice                string
			Errors                map[string]string
			Newest                bool
		}{
			Mode: db.ModerationFirst, Modes: []mode{{"off", "Off", "At once"}, {"first", "First", "First waits"}},
			Queue: []item{{comment(1, "Bob", "**Hi** <script>x</script>", false), "held", "Is it good?"},
				{comment(2, "Spam", "Buy", true), "held", ""}},
			Held:   3,
			Recent: []item{{comment(3, "Cat", "Nice", false), "visible", ""}},
			Hidden: []item{{comment(5, "Dan", "Rude", false), "hidden", ""}},
			Blocks: []db.CommentBlock{{ID: 1, Name: "Spam", CreatedAt: at}},
			Notice: "Approved.", Errors: map[string]string{"mode": "Please choose."},
		}
	case "admin-business":
		return struct {
			db.Business
			Errors map[string]string
			Saved  bool
		}{Business: sampleBusiness, Errors: map[string]string{"email": "Not an email.", "postcode": "Full postcode."},
			Saved: true}
	case "admin-calendar":
		return struct {
			Feed *db.CalendarFeed
			URL  string
			Off  bool
		}{Feed: &db.CalendarFeed{ID: 1, CreatedAt: at, LastUsedAt: &at}, URL: "https://dynamicmotion.example/calendar/secret.ics"}
	case "admin-messages":
		return struct {
			Messages []message
			Unread   int
			Before   int64
			Deleted  bool
		}{Messages: []message{{msg, "Hello, Do you treat <calves>?"}}, Unread: 1, Before: 4, Deleted: true}
	case "admin-message":
		return struct {
			Message db.ContactMessage
			Reply   string
		}{Message: msg, Reply: "mailto:ann@example.com?subject=Your%20message"}
	}
	return nil
}
