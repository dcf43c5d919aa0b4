package views_test

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"dynamicmotion/db"
	"dynamicmotion/mail"
	"dynamicmotion/static"
	"dynamicmotion/views"
)

// stubAsset stands in for static.Assets.URL.
func stubAsset(name string) string { return "/static/" + name }

func newRenderer(t *testing.T) *views.Renderer {
	t.Helper()
	r, err := views.New(template.FuncMap{"asset": stubAsset})
	if err != nil {
		t.Fatalf("views.New: %v", err)
	}
	return r
}

// pageNames lists pages/*.html, so that a new page is covered by these tests
// as soon as it exists.
func pageNames(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(os.DirFS("."), "pages/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages found: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".html"))
	}
	return names
}

var sampleBusiness = db.Business{
	ID:            1,
	Name:          "Dynamic Motion Sports Therapy",
	Tagline:       "Sports massage in St Ives",
	Intro:         "Deep tissue massage and myofascial release.",
	About:         "First paragraph.\r\n\r\nSecond paragraph.",
	Phone:         "01480 000000",
	Email:         "hello@example.com",
	StreetAddress: "1 Example Road",
	Locality:      "St Ives",
	Region:        "Cambridgeshire",
	Postcode:      "PE27 0XX",
	MobileArea:    "St Ives and nearby villages",
	HoursSummary:  "Monday to Saturday, 9:00 to 18:00",
	IsExample:     true,
}

var sampleServices = []db.Service{
	{ID: 1, Slug: "sports-massage-30", Name: "Sports massage — 30 minutes", Summary: "One area.", DurationMin: 30, PricePence: 3000, AtStudio: true, Mobile: true, Active: true, IsExample: true},
	{ID: 2, Slug: "sports-massage-90", Name: "Sports massage — 90 minutes", DurationMin: 90, PricePence: 7050, AtStudio: true, Active: true},
}

var samplePublished = time.Date(2024, 7, 16, 8, 0, 0, 0, time.UTC)

var samplePosts = []db.Post{
	{ID: 1, Slug: "sports-massage-for-lower-back-pain", Title: "Sports Massage for Lower Back Pain", Summary: "How it helps.",
		Author: "Dynamic Motion", Tags: []string{"lower back pain", "recovery"}, Status: db.StatusPublished,
		PublishedAt: &samplePublished, ReadingMinutes: 4, Likes: 1, Views: 12},
	{ID: 2, Slug: "hamstrings", Title: "Tight Hamstrings", Status: db.StatusPublished, PublishedAt: &samplePublished, ReadingMinutes: 2},
}

// sampleComment mirrors the comment the handlers pass to the templates.
type sampleComment struct {
	ID                                                   int64
	Slug, Name                                           string
	Body                                                 template.HTML
	Created                                              time.Time
	Edited, ByPractice, Deleted, Held, Own, IsReply, OOB bool
	Just, Mine                                           bool
	ParentID                                             int64
	Replies                                              []sampleComment
	ReplyForm                                            *sampleForm
	Helpful                                              int
	Voted                                                bool
}

type sampleForm struct {
	Slug, FormID      string
	ParentID, ReplyTo int64
	ParentName        string
	Name, Body, Email string
	Notify            bool
	Errors            map[string]string
	Notice, Started   string
	OOB               bool
	Preview           *samplePreview
}

// samplePreview mirrors a comment's preview.
type samplePreview struct {
	HTML    template.HTML
	Problem string
}

func sampleComments() any {
	at := time.Date(2026, 11, 25, 14, 5, 0, 0, time.UTC)
	return struct {
		Slug      string
		Count     int
		Threads   []sampleComment
		Rendered  template.HTML // empty: the threads are rendered here
		Earlier   int64
		Older     bool
		Form      sampleForm
		LastEvent int64
		Sort      string
		From      int
		Next      int
		Long      bool
	}{
		Slug: samplePosts[0].Slug, Count: 2, LastEvent: 41, Earlier: 5, Long: true,
		Threads: []sampleComment{{
			ID: 7, Slug: samplePosts[0].Slug, Name: "Ann <b>", Body: "<p>Helpful, thanks.</p>", Created: at, Own: true, Just: true, Helpful: 3, Voted: true,
			Replies: []sampleComment{{ID: 8, Slug: samplePosts[0].Slug, Name: "Dynamic Motion", Body: "<p>Glad it helped.</p>",
				Created: at, ByPractice: true, IsReply: true, ParentID: 7, Edited: true},
				{ID: 9, Slug: samplePosts[0].Slug, Name: "Ann", Body: "<p>Thanks.</p>", Created: at, IsReply: true, ParentID: 7, Mine: true, Helpful: 2}},
		}},
		Form: sampleForm{Slug: samplePosts[0].Slug, FormID: "comment-form", Name: "Bo", Body: "Too",
			Errors:  map[string]string{"body": "Please write a little more."},
			Preview: &samplePreview{HTML: "<p><em>Too</em></p>"}},
	}
}

func sampleCommentEdit() any {
	return struct {
		Comment sampleComment
		Body    string
		Errors  map[string]string
		Until   time.Time
		Left    int
		Seconds int
		Form    sampleForm
	}{Comment: sampleComment{ID: 7, Slug: samplePosts[0].Slug, Name: "Ann"}, Body: "Helpful",
		Until: time.Date(2026, 11, 25, 14, 15, 0, 0, time.UTC), Left: 7, Seconds: 400,
		Form: sampleForm{Slug: samplePosts[0].Slug, FormID: "edit-7", Preview: &samplePreview{Problem: "There is nothing to preview yet."}}}
}

type sampleSlot struct {
	Value, Time, Name string
	Held              bool
}

type sampleDay struct {
	Date                  time.Time
	Label, Short, Num     string
	Free                  int
	Open, Selected, Today bool
	Query                 string
}

func (d sampleDay) State() string { return map[bool]string{true: "free", false: "full"}[d.Free > 0] }
func (d sampleDay) Name() string  { return d.Label + ", free times" }

type samplePart struct {
	Name  string
	Slots []sampleSlot
}

type samplePickerData struct {
	Services                     []db.Service
	Service                      db.Service
	Place                        string
	Offered                      bool
	Area, Postcode               string
	Ready                        bool
	Base, Frag, Query            string
	Move                         bool
	Again                        string
	Days                         []sampleDay
	WeekName, PrevWeek, NextWeek string
	Day                          sampleDay
	Parts                        []samplePart
	NextFree                     *sampleDay
	Waitlist                     string
	HeldStart, Message, DayNote  string
}

func (d samplePickerData) Href(q string) string { return d.Base + "?" + q }

func samplePicker() samplePickerData {
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, views.London)
	days := make([]sampleDay, 7)
	for i := range days {
		d := week.AddDate(0, 0, i)
		days[i] = sampleDay{Date: d, Label: d.Format("Monday 2 January"), Short: d.Format("Mon"), Num: d.Format("2"), Open: true,
			Query: "service=1&location=studio&date=" + d.Format(time.DateOnly)}
	}
	days[3].Free, days[3].Selected = 1, true
	return samplePickerData{
		Services: sampleServices, Service: sampleServices[0], Place: "studio", Offered: true, Ready: true, Base: "/book",
		Query: "service=1&location=studio", Days: days, WeekName: "30 November to 6 December", NextWeek: "service=1&location=studio&week=2026-12-07",
		Day: days[3], Parts: []samplePart{{Name: "Morning", Slots: []sampleSlot{{Value: "2026-12-03T09:00:00Z", Time: "09:00", Name: "Thursday 3 December, 09:00"}}}},
	}
}

type sampleWaitlist struct {
	View                                    string
	Service                                 db.Service
	Place, PlaceText, Day, DayLabel         string
	Times                                   []string
	Earliest, Latest, Name, Email, Postcode string
	Errors                                  map[string]string
	Notice                                  string
	FreeNow                                 bool
	BookURL                                 string
	Window, Offered, Ended, Status, Token   string
	Waiting                                 bool
}

func (d sampleWaitlist) TimeFields() []views.Field {
	return []views.Field{{Name: "earliest", Label: "Earliest start", Value: d.Earliest}, {Name: "latest", Label: "Latest start", Value: d.Latest}}
}

type sampleHealth struct{ Key, Question, Answer, Details string }

func sampleBookingForm() any {
	return struct {
		ServiceID                                    int64
		Service                                      db.Service
		Place, Start, StartText, HeldUntil           string
		HoldMin                                      int
		Name, Email, Phone, Address, Postcode, Notes string
		Health                                       []sampleHealth
		ConsentPolicy, ConsentHealth                 bool
		EndText                                      string
		PricePence                                   int
		Practice                                     db.Business
		CancelUntil                                  string
		CutoffHours                                  int
		InsideCutoff, LateMove                       bool
		Policy                                       string
		Errors                                       map[string]string
		Notice                                       string
		Alternate                                    []sampleSlot
		ChangeURL, Again                             string
		HealthNone, CanRefill                        bool
	}{
		ChangeURL: "/book?service=1&location=mobile&date=2026-12-03", Again: "abcdefghijklmnopqrstuvwxyz", CanRefill: true,
		EndText: "10:00", PricePence: 5000, CancelUntil: "Wednesday 2 December, 09:00", CutoffHours: 24,
		ServiceID: 1, Service: sampleServices[0], Place: "mobile", Start: "2026-12-03T09:00:00Z",
		StartText: "Thursday 3 December 2026, 09:00", HeldUntil: "14:32", HoldMin: 10, Name: "Ann", Email: "ann@",
		Health: []sampleHealth{{Key: "injury", Question: "Recent injury?", Answer: "yes"}},
		Policy: "Cancel 24 hours ahead.", Errors: map[string]string{"email": "Please enter your email address", "health_injury_details": "Please say a little more",
			"consent_policy": "Please agree to the cancellation policy to book."},
	}
}

func sampleManage() any {
	cut := 24
	return struct {
		Token                        string
		Booking                      db.Booking
		Heading                      string
		Booked, Cancelled            bool
		MailHeld                     bool
		When, PlaceText              string
		Upcoming, CanCancel, CanMove bool
		Cutoff, Moved, Notice        string
		Picker                       *samplePickerData
		GoogleURL, OutlookURL        string
		BookAgain                    string
		Reason, ReasonError          string
	}{
		Token: "tok", Heading: "You’re booked", Booked: true, When: "Thursday 3 December 2026, 09:00 to 10:00", PlaceText: "At the studio",
		Upcoming: true, CanCancel: true, CanMove: true, Cutoff: "Wednesday 2 December 2026, 09:00",
		Moved:     "Moved from Tuesday 1 December, 10:00 to Thursday 3 December, 09:00",
		GoogleURL: "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Sports%20massage", OutlookURL: "https://outlook.live.com/calendar/0/action/compose?subject=Sports%20massage",
		BookAgain: "/book?service=2&location=studio&again=tok",
		Reason:    "A cold <b>", ReasonError: "Please keep the reason to 1000 characters (it has 1001), or leave it empty.",
		Booking: db.Booking{ServiceName: "Sports massage — 60 minutes", DurationMin: 60, PricePence: 5000, ClientName: "Ann",
			ClientEmail: "ann@example.com", Status: "confirmed", PolicyCutoffHours: &cut},
	}
}

// sampleServiceForm is the therapist's form for a service.
type sampleServiceForm struct {
	ID                             int64
	Name, Summary, Duration, Price string
	AtStudio, Mobile, Active       bool
	Errors                         map[string]string
	Submission                     string
}

// samplePage is what the handlers pass to each page; pages not listed here
// take no data of their own.
// sampleAdmin is the data of the therapist's pages.
func sampleAdmin(name string) any {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	sent := start.Add(-time.Hour)
	later := start.AddDate(0, 0, 7)
	failed := db.OutboxMessage{ID: 7, Kind: "booking_confirmed", Recipient: "ann@example.com", Subject: "Booking confirmed",
		Status: db.OutboxFailed, Attempts: 3, LastError: "550 no such user", CreatedAt: sent,
		Message: mail.Message{To: mail.Address{Name: "Ann", Email: "ann@example.com"}, Subject: "Booking confirmed",
			Text: "Hello <Ann>", HTML: "<p>Hello</p>", Attachments: []mail.Attachment{{Filename: "booking.ics", ContentType: "text/calendar"}}}}
	switch name {
	case "admin-dashboard":
		type off struct {
			db.TimeOff
			When string
		}
		type day struct {
			Label, Date string
			Bookings    []db.Booking
			Off         []off
		}
		type item struct {
			Start         time.Time
			Off           *off
			Hold, Booking *db.Booking
		}
		type upDay struct {
			day
			Items []item
		}
		type heldBooking struct {
			ID                    int64
			ClientName, Recipient string
			StartsAt              time.Time
			Cancelled             bool
			Day                   string
			Subjects              []string
		}
		type needs struct {
			Today                                              int
			NextToday                                          time.Time
			TodayDate                                          string
			Unwritten, Comments, FailingMail, HeldMail, Unread int
			Notes                                              []db.UnwrittenNote
			MoreNotes                                          int
			Bookings                                           db.BookingAlerts
			Anything                                           bool
		}
		ann := db.Booking{ID: 1, StartsAt: start, EndsAt: start.Add(time.Hour),
			ServiceName: "Sports massage", Place: db.PlaceMobile, Postcode: "PE27 5AA", ClientName: "<Ann>", Status: db.BookingConfirmed}
		until := start.Add(3 * time.Hour)
		hold := db.Booking{ID: 2, StartsAt: start.Add(2 * time.Hour), EndsAt: start.Add(3 * time.Hour), ServiceName: "<Sports> massage",
			Place: db.PlaceStudio, Status: db.BookingHeld, HoldExpiresAt: &until}
		tomorrowOff := []off{{TimeOff: db.TimeOff{ID: 2, StartsAt: start, EndsAt: start.Add(3 * time.Hour), Note: "<Dentist>"}, When: "14:00–17:00"}}
		return struct {
			Days         []day
			Upcoming     []upDay
			Booked       int
			HeldNow      int
			Held         int
			HeldShown    []db.HeldComment
			FailedMail   []db.OutboxMessage
			DelayedMail  []db.OutboxMessage
			Unread       int
			HeldTodayN   int
			HeldToday    string
			HeldBookings []heldBooking
			HeldUpto     int64
			Ceiling      int
			CeilingValue string
			CeilingError string
			Done         string
			CeilingSaved bool
			Needs        needs
		}{
			Needs: needs{Anything: true, Today: 2, NextToday: start, TodayDate: "2026-11-26", Unwritten: 7, MoreNotes: 6,
				Notes: []db.UnwrittenNote{{BookingID: 5, ClientName: "<Cat>", ServiceName: "Sports massage", StartsAt: start, EndsAt: start.Add(time.Hour)}}, Comments: 1,
				FailingMail: 2, HeldMail: 1, Unread: 2, Bookings: db.BookingAlerts{New: 1, Cancelled: 1, Waiting: 3, FirstWaitDay: "2026-11-27"}},
			Done: "3 e-mails sent on their way.", CeilingSaved: true,
			HeldTodayN: 2, HeldToday: "x1@example.com, <x2>@example.com", HeldUpto: 9, Ceiling: 20, CeilingValue: "20x",
			CeilingError: "Please enter a whole number from 0 to 1000.",
			HeldBookings: []heldBooking{{ID: 4, ClientName: "<X>", Recipient: "x1@example.com", StartsAt: later, Day: "today",
				Subjects: []string{"Booking confirmed", "Booking cancelled"}, Cancelled: true}, {Recipient: "gone@example.com", Day: "Monday 23 November"}},
			Unread: 2,
			Days: []day{{Label: "Today", Date: "2026-11-26", Bookings: []db.Booking{ann}},
				{Label: "Tomorrow", Date: "2026-11-27", Off: tomorrowOff}},
			Upcoming: []upDay{{day: day{Label: "Today", Date: "2026-11-26", Bookings: []db.Booking{ann}},
				Items: []item{{Start: ann.StartsAt, Booking: &ann}, {Start: hold.StartsAt, Hold: &hold}}},
				{day: day{Label: "Tomorrow", Date: "2026-11-27", Off: tomorrowOff}}},
			Booked: 1, HeldNow: 1, Held: 1, HeldShown: []db.HeldComment{{ID: 3, Name: "Bob", BodyMD: "Hi", PostSlug: "a", PostTitle: "A"}},
			FailedMail: []db.OutboxMessage{failed}, DelayedMail: []db.OutboxMessage{{ID: 7, Subject: "Reminder", LastError: "421 try later"}},
		}
	case "admin-diary":
		type off struct {
			db.TimeOff
			When string
		}
		type item struct {
			Start         time.Time
			Off           *off
			Hold, Booking *db.Booking
		}
		type day struct {
			Label, Date string
			Bookings    []db.Booking
			Off         []off
			Items       []item
			Detail      bool
		}
		type cell struct {
			Kind               string
			Rows               []struct{}
			Start, End         time.Time
			Label, Href, Place string
			Booking            *db.Booking
			Also               []string
			Lines              int
			Title              string
		}
		type gridDay struct {
			Date, Label, Short string
			Today              bool
			Cells              []cell
		}
		type hour struct {
			Label string
			Rows  []struct{}
		}
		type grid struct {
			Hours []hour
			Days  []gridDay
		}
		rows := func(n int) []struct{} { return make([]struct{}, n) }
		visit := &db.Booking{ID: 1, StartsAt: start, EndsAt: start.Add(time.Hour), ServiceName: "Sports massage", ClientName: "<Ann>",
			ClientPhone: "07700 900123", Place: db.PlaceMobile, Address: "1 High St", Postcode: "PE27 5AA", Status: db.BookingConfirmed}
		hold := &db.Booking{ID: 2, StartsAt: later, EndsAt: later.Add(time.Hour), ServiceName: "Sports massage", Place: db.PlaceStudio, Status: db.BookingHeld, HoldExpiresAt: &later}
		dentist := off{TimeOff: db.TimeOff{ID: 3, StartsAt: later, EndsAt: later.Add(2 * time.Hour), Note: "<Dentist>"}, When: "14:00–16:00"}
		g := grid{Hours: []hour{{Label: "09:00", Rows: rows(4)}, {Label: "10:00", Rows: rows(4)}},
			Days: []gridDay{{Date: "2026-11-23", Label: "Monday 23 November", Short: "Mon 23", Today: true, Cells: []cell{
				{Kind: "past", Rows: rows(1), Start: start, End: start},
				{Kind: "travel", Rows: rows(2), Label: "Travel 30 min"},
				{Kind: "booking", Rows: rows(4), Start: start, End: start.Add(time.Hour), Place: db.PlaceMobile, Booking: visit, Also: []string{"<Dentist>"},
					Lines: 3, Title: "09:00–10:00 <Ann>, Sports massage, mobile visit (PE27 5AA). Also <Dentist>"},
				{Kind: "hold", Rows: rows(4), Start: later, End: later.Add(time.Hour), Booking: hold, Lines: 4, Title: "14:00–15:00 held, \"Sports\" massage"},
				{Kind: "off", Rows: rows(2), Label: "<Dentist>", Lines: 2, Title: "14:00–14:30 Time off: <Dentist>"},
				{Kind: "free", Rows: rows(2), Start: later, Href: "/admin/bookings/new?date=2026-11-23&time=15:00&place=studio"},
				{Kind: "gap", Rows: rows(1)}, {Kind: "closed", Rows: rows(1)}, {Kind: "buffer", Rows: rows(1)}}}}}
		return struct {
			Day                     bool
			Week, Prev, Next, Title string
			Days                    []day
			Booked                  int
			Grid, Focus             grid
			FocusDate, FocusName    string
			FocusPrev, FocusNext    string
		}{Week: "2026-11-23", Prev: "2026-11-16", Next: "2026-11-30", Title: "23 – 29 November 2026", Booked: 1, Grid: g, Focus: g,
			FocusDate: "2026-11-23", FocusName: "Monday 23 November", FocusPrev: "2026-11-22", FocusNext: "2026-11-24",
			Days: []day{{Label: "Monday 23 November", Date: "2026-11-23", Bookings: []db.Booking{*visit}, Off: []off{dentist},
				Items: []item{{Start: start, Booking: visit}, {Start: later, Hold: hold}, {Start: later, Off: &dentist}}}}}
	case "admin-booking", "admin-booking-cancel":
		type answer struct{ Key, Question, Answer, Details string }
		return struct {
			Booking            db.Booking
			When               string
			Health             []answer
			Mail               []db.OutboxMessage
			CanMark, CanCancel bool
			Notice, Reason     string
			Errors             map[string]string
			Note               *db.Note
		}{Note: sampleNote(start), Booking: db.Booking{ID: 1, StartsAt: start, EndsAt: start.Add(time.Hour), ClientName: "Ann", ClientEmail: "ann@example.com",
			ClientPhone: "07700 900123", Place: db.PlaceMobile, Address: "1 High St", Postcode: "PE27 5AA", Status: db.BookingConfirmed, Sequence: 1},
			When: "Thursday", Health: []answer{{"injury", "Any injury?", "yes", "Calf"}}, Mail: []db.OutboxMessage{failed},
			CanMark: true, CanCancel: true, Errors: map[string]string{"reason": "Please give a reason."}}
	case "admin-booking-new":
		return struct {
			Services                              []db.Service
			ServiceID                             int64
			Place, Date, Time                     string
			Name, Email, Phone, Address, Postcode string
			Notes, Notice, Submission             string
			Errors                                map[string]string
			Query                                 string
			Clients                               []db.PastClient
			Searched                              bool
			Times                                 []string
			Day                                   string
			TimesFor, Other                       bool
			Outside                               string
			ConfirmOutside, SendMail              bool
			Now                                   time.Time
		}{Now: start, Services: sampleServices, ServiceID: sampleServices[0].ID, Place: db.PlaceStudio, Name: "Ann", Notice: "Not free",
			Errors: map[string]string{"time": "Please give the date."}, Query: "<ann", Searched: true,
			Clients: []db.PastClient{{Name: "<Ann>", Email: "ann@example.com", Phone: "07700 900123"}},
			Times:   []string{"09:00", "09:30"}, Day: "Monday 23 November", TimesFor: true, Time: "09:30",
			Outside: "That is outside your hours (Monday, studio 09:00–18:00) — book anyway?", SendMail: true}
	case "admin-availability":
		type day struct {
			Weekday        int
			Name           string
			Studio, Mobile string
		}
		type off struct {
			ID         int64
			When, Note string
		}
		type affected struct {
			Booking   db.Booking
			When, Why string
		}
		return struct {
			Days                                   []day
			HoursErrors, OffErrors, SettingsErrors map[string]string
			TimeOff                                []off
			Off                                    struct{ FromDate, FromTime, ToDate, ToTime, Note string }
			Settings                               struct {
				Step, Buffer, Travel, Notice, Horizon, Hold, Cutoff string
				OfferHold                                           string
				LateMove                                            bool
				Policy, Districts                                   string
			}
			Affected    []affected
			StepOptions []struct{ Value, Label string }
			Saved       string
		}{
			StepOptions: []struct{ Value, Label string }{{"30", "Every half hour"}, {"service", "The service's own length"}},
			Days:        []day{{1, "Monday", "09:00-13:00, 14:00-18:00", "10:00-16:00"}, {0, "Sunday", "", ""}},
			HoursErrors: map[string]string{"studio-0": "\"9-5\" is not a range of times."},
			OffErrors:   map[string]string{"to": "The time off must end after it starts."},
			SettingsErrors: map[string]string{"step": "Please enter a whole number.", "policy": "Please write the policy.",
				"districts": "\"P\" is not a postcode district."},
			TimeOff: []off{{ID: 3, When: "Thursday 24 December 2026, all day", Note: "<Christmas>"}},
			Affected: []affected{{Booking: db.Booking{ID: 1, StartsAt: start, EndsAt: start.Add(time.Hour), ClientName: "Ann",
				ServiceName: "Sports massage", Place: db.PlaceMobile}, When: "Thursday 26 November 2026, 09:00 to 10:00", Why: "during time off"}},
			Saved: "The weekly hours are saved.",
		}
	case "admin-services":
		type row struct {
			db.Service
			First, Last bool
		}
		return struct {
			Services []row
			Form     sampleServiceForm
			Errors   map[string]string
			Saved    string
		}{Services: []row{{Service: sampleServices[0], First: true}, {Service: db.Service{ID: 9, Name: "Old", DurationMin: 45, Mobile: true}, Last: true}},
			Form:  sampleServiceForm{Name: "New <one>", Errors: map[string]string{"price": "Please give the price.", "places": "Please choose."}},
			Saved: "The order is saved."}
	case "admin-service":
		return sampleServiceForm{ID: 9, Name: "Old", Duration: "45", Price: "40.50", Mobile: true,
			Errors: map[string]string{"name": "Please keep the name to 80 characters."}}
	case "admin-articles":
		return struct {
			Posts []db.AdminPost
			Now   time.Time
		}{Now: start, Posts: []db.AdminPost{
			{Post: db.Post{ID: 1, Slug: "live", Title: "Live <one>", Status: db.StatusPublished, PublishedAt: &sent}, Comments: 3},
			{Post: db.Post{ID: 2, Slug: "later", Title: "Later", Status: db.StatusScheduled, PublishedAt: &later}},
			{Post: db.Post{ID: 3, Slug: "draft", Title: "Draft", Status: db.StatusDraft, CreatedAt: sent}},
		}}
	case "admin-article":
		type preview struct {
			Title, Slug string
			Minutes     int
			Body        template.HTML
			TooLong     bool
			Cover       db.Post
		}
		return struct {
			CoverID, CoverAlt, AuthorShown         string
			NoName                                 bool
			Pictures                               []db.Media
			ID                                     int64
			Action, Title, Slug, Summary, Tags     string
			Body, Author, Status, PublishAt, Saved string
			CurrentSlug                            string
			Submission, Revision, Conflict         string
			Public                                 bool
			PublishedAt                            time.Time
			Errors                                 map[string]string
			Preview                                preview
		}{ID: 1, Action: "/admin/articles/1", Title: "Calves <&> you", Slug: "calves", Summary: "Why.", Tags: "calves, running",
			Body: "## Hi\n\n<script>x</script>", Author: "Clare", Status: db.StatusScheduled, PublishAt: "2026-12-01T09:00",
			Saved: "Saved.", CurrentSlug: "calves", Public: true, PublishedAt: sent,
			Revision: "1764000000000000", Conflict: "This article was saved somewhere else.",
			Errors:  map[string]string{"slug": "Please choose another.", "publish_at": "That time has passed."},
			CoverID: "5", CoverAlt: "A calf <stretch>", AuthorShown: "Clare Example",
			Pictures: []db.Media{{ID: 5, Name: "0123456789abcdef.jpg", Width: 1600, Height: 900, Description: "A <calf>"}, {ID: 6, Name: "fedcba9876543210.png", Width: 40, Height: 40}},
			Preview: preview{Title: "Calves", Slug: "calves", Minutes: 1, Body: `<h2 id="hi">Hi</h2>`,
				Cover: db.Post{CoverName: "0123456789abcdef.jpg", CoverWidth: 1600, CoverHeight: 900, CoverAlt: "A calf <stretch>"}}}
	case "admin-media":
		return struct {
			Items                      []db.Media
			Added, Notice, Description string
			Errors                     map[string]string
		}{Items: []db.Media{{ID: 1, Name: "0123456789abcdef.jpg", Width: 1600, Height: 900, Size: 181000, Description: "A calf <massage>"},
			{ID: 2, Name: "fedcba9876543210.png", Width: 40, Height: 40, Size: 900, UsedIn: []string{"Lower back pain"}}},
			Added: "0123456789abcdef.jpg", Notice: "That picture is in an article.", Description: "typed",
			Errors: map[string]string{"picture": "That file is not a picture."}}
	case "admin-outbox":
		return struct {
			Messages   []db.OutboxMessage
			Before     int64
			Kept       bool
			FailedMail []db.OutboxMessage
		}{Messages: []db.OutboxMessage{failed, {ID: 6, Subject: "Sent", Status: db.OutboxSent, SentAt: &sent}}, Before: 6, Kept: true}
	case "admin-privacy":
		// Everything at once: a search with results of every kind, an
		// appointment still to come, an erasure's summary, mistakes.
		return struct {
			Email    string
			Searched bool
			Client   db.ClientData
			Upcoming []db.Booking
			Erased   *db.Erasure
			Confirm  string
			Keep     string
			Saved    bool
			Kept     bool
			ToErase  int
			Errors   map[string]string
			Notice   string
			// The treatment notes' retention (issue 17).
			NotesKeep    string
			NotesToErase int
			NotesSaved   bool
		}{
			NotesKeep: "8", NotesToErase: 2, NotesSaved: true,
			Email: "ann@example.com", Searched: true, Confirm: "ann@example", Keep: "84", Saved: true, ToErase: 3,
			Client: db.ClientData{
				Email: "ann@example.com",
				Bookings: []db.Booking{{ID: 1, StartsAt: start, EndsAt: start.Add(time.Hour), ServiceName: "Sports massage",
					ClientName: "<Ann>", ClientPhone: "07700 900123", Status: db.BookingConfirmed, Notes: "Knee",
					Health: map[string]any{"injury": map[string]any{"answer": "yes"}}}},
				Waitlist:      []db.WaitlistEntry{{ID: 2, Day: start, ServiceName: "Sports massage", Status: db.WaitlistWaiting}},
				Messages:      []db.ContactMessage{{ID: 3, Name: "Ann", Email: "ann@example.com", Message: "Hello <b>", CreatedAt: start}},
				Subscriptions: []db.CommentSubscription{{ID: 4, Email: "ann@example.com", CommentID: 5}},
				Comments: []db.CommentInPost{{Comment: db.Comment{ID: 5, Name: "Ann", BodyMD: "Great", CreatedAt: start},
					PostSlug: "a-post", PostTitle: "A post"}},
				Mail: []db.OutboxMessage{failed},
			},
			Upcoming: []db.Booking{{ID: 1, StartsAt: start, ServiceName: "Sports massage"}},
			Erased:   &db.Erasure{Bookings: 1, BookingLinks: 2, Comments: 1, Mail: 3, NotesKept: 2, KeptBookings: 2, NotesRemoved: 1},
			Errors:   map[string]string{"email": "Please enter the client's email address.", "confirm": "Type it again.", "keep_months": "0 to 240"},
			Notice:   "Nothing was erased.",
		}
	}
	return failed
}

func samplePage(name string) views.Page {
	p := views.Page{
		Title:       "A page",
		Description: "What the page is about.",
		Canonical:   "https://dynamicmotion.example/" + name,
		Path:        "/" + name,
		Business:    sampleBusiness,
	}
	switch name {
	case "home":
		p.Data = struct {
			Services []db.Service
			Latest   []db.Post
		}{sampleServices, samplePosts}
		p.JSONLD = map[string]any{"@type": "HealthAndBeautyBusiness", "name": "</script><script>alert(1)</script>"}
	case "services":
		p.Data = struct{ Services []db.Service }{sampleServices}
	case "blog":
		type card struct {
			Post    db.Post
			Snippet template.HTML
		}
		p.Data = struct {
			Tags  []db.TagCount
			List  any
			Title string
			OOB   bool
		}{
			Tags: []db.TagCount{{Tag: "recovery", Count: 2}},
			List: struct {
				Cards               []card
				Query, Tag, NextURL string
			}{Cards: []card{{Post: samplePosts[0], Snippet: "a <mark>match</mark>"}}, Query: "back pain", NextURL: "/blog?page=2&q=back+pain"},
		}
	case "comment-edit":
		p.Data = sampleCommentEdit()
	case "subscription":
		p.Data = struct{ State, Action, PostTitle, PostURL string }{"unsubscribe",
			"/comments/subscriptions/unsubscribe/tok", "Lower back <pain>", "/blog/x#comments"}
	case "admin-login":
		p.Data = struct {
			Email, Next, Notice, Done string
			Errors                    map[string]string
		}{Email: "clare@example.com", Next: "/admin", Notice: "Wrong password.",
			Errors: map[string]string{"password": "Please enter your password."}}
	case "admin-dashboard", "admin-outbox", "admin-outbox-message", "admin-diary", "admin-booking", "admin-booking-cancel", "admin-booking-new",
		"admin-privacy", "admin-availability", "admin-services", "admin-service", "admin-articles", "admin-article",
		"admin-media":
		p.Admin = &views.Admin{Email: "clare@example.com"}
		p.Data = sampleAdmin(name)
	case "admin-clients", "admin-client", "admin-note", "admin-note-history": // clients and treatment notes (clients_test.go)
		p.Admin = &views.Admin{Email: "clare@example.com"}
		p.Data = sampleClients(name, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	case "admin-comments", "admin-business", "admin-calendar", "admin-messages", "admin-message":
		p.Admin = &views.Admin{Email: "clare@example.com"}
		p.Data = sampleModeration(name)
	case "book":
		p.Data = samplePicker()
	case "book-details":
		p.Data = sampleBookingForm()
	case "waitlist":
		p.Data = sampleWaitlist{
			View: "join", Service: sampleServices[0], Place: "mobile", PlaceText: "as a mobile visit", Day: "2026-12-02",
			DayLabel: "Wednesday 2 December 2026", Times: []string{"09:00", "09:15"}, Earliest: "09:00", Latest: "09:15",
			Errors: map[string]string{"email": "Please enter your email address."}, BookURL: "/book",
		}
	case "booking", "booking-cancel":
		p.Data = sampleManage()
	case "article":
		p.OGType = "article"
		p.Data = struct {
			Post     db.Post
			Body     template.HTML
			Like     any
			Share    []struct{ Name, URL string }
			Related  []db.Post
			Comments any
		}{
			Comments: sampleComments(),
			Post:     samplePosts[0],
			Body:     "<h2 id=\"why\">Why</h2><p>Because.</p>",
			Like: struct {
				Slug   string
				Count  int
				Liked  bool
				Notice string
			}{samplePosts[0].Slug, 1, false, ""},
			Share:   []struct{ Name, URL string }{{"Email", "mailto:?subject=A"}, {"X", "https://x.com/intent/post?url=u"}},
			Related: samplePosts[1:],
		}
	case "error":
		p.Data = views.Error{Status: 404, Heading: "Page not found", Message: "There is no page at this address."}
	}
	return p
}

// problems lists what the Content-Security-Policy (no inline script or style,
// no eval) and the page structure forbid in rendered HTML.
func problems(t *testing.T, out string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parsing the output: %v", err)
	}
	var found []string
	h1s := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "h1":
				h1s++
			case "script":
				if !hasAttr(n, "src") && attrValue(n, "type") != "application/ld+json" {
					found = append(found, "inline <script> without src")
				}
			case "style":
				found = append(found, "<style> element")
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				switch {
				case k == "style":
					found = append(found, "style= attribute on <"+n.Data+">")
				case strings.HasPrefix(k, "on"):
					found = append(found, k+"= event handler on <"+n.Data+">")
				case strings.HasPrefix(k, "hx-on"), strings.HasPrefix(k, "data-hx-on"):
					found = append(found, k+" (needs unsafe-eval) on <"+n.Data+">")
				}
				if strings.Contains(strings.ToLower(a.Val), "javascript:") {
					found = append(found, "javascript: in "+k+" of <"+n.Data+">")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if h1s != 1 {
		found = append(found, strconv.Itoa(h1s)+" <h1> elements, want exactly 1")
	}
	// html/template writes ZgotmplZ where it refused a value as unsafe,
	// such as a URL with a scheme it does not trust.
	if i := strings.Index(out, "ZgotmplZ"); i >= 0 {
		found = append(found, "html/template refused a value as unsafe: "+out[max(0, i-40):i+len("ZgotmplZ")+1])
	}
	if strings.Contains(strings.ToLower(out), "javascript:") {
		found = append(found, `"javascript:" in the output`)
	}
	return found
}

// The checker itself finds what it is meant to find.
func TestProblemsFindsWhatCSPForbids(t *testing.T) {
	bad := `<html><head><script>alert(1)</script><style>p{}</style></head><body>` +
		`<h1 style="color:red">A</h1><h1>B</h1><a href="javascript:x()" onclick="y()" hx-on:click="z()">l</a>` +
		`<a href="#ZgotmplZ">t</a></body></html>`
	got := problems(t, bad)
	if len(got) != 9 {
		t.Errorf("found %d problems, want 9:\n%s", len(got), strings.Join(got, "\n"))
	}
	good := `<html><head><script src="/x.js" defer></script></head><body><h1>A</h1></body></html>`
	if got := problems(t, good); len(got) != 0 {
		t.Errorf("problems in clean HTML: %v", got)
	}
}

func attrValue(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func TestEveryPageRendersInTheLayout(t *testing.T) {
	r := newRenderer(t)
	for _, name := range pageNames(t) {
		t.Run(name, func(t *testing.T) {
			if !r.Has(name) {
				t.Fatalf("Has(%q) = false for a file in pages/", name)
			}
			var buf bytes.Buffer
			if err := r.Render(&buf, name, samplePage(name)); err != nil {
				t.Fatalf("Render: %v", err)
			}
			out := buf.String()
			for _, want := range []string{
				"<!doctype html>",
				`<html lang="en-GB">`,
				"<title>A page · Dynamic Motion Sports Therapy</title>",
				`<link rel="canonical" href="https://dynamicmotion.example/` + name + `">`,
				`<script src="/static/vendor/htmx.min.js" defer></script>`,
				`<main id="main"`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			// No per-visitor token: every visitor gets the same page.
			for _, unwanted := range []string{"_csrf", "hx-headers", "X-CSRF-Token"} {
				if strings.Contains(out, unwanted) {
					t.Errorf("output has %q", unwanted)
				}
			}
			for _, p := range problems(t, out) {
				t.Error(p)
			}
		})
	}
}

func TestPagesShowTheirData(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		page string
		want []string
	}{
		{"home", []string{"Sports massage in St Ives, Cambridgeshire", "£30", "30 min", "£70.50", "1 h 30 min", `id="service-sports-massage-30"`}},
		{"services", []string{"Services and prices", "£30", "£70.50", "example figures"}},
		{"about", []string{"<p>First paragraph.</p><p>Second paragraph.</p>"}},
		{"contact", []string{`href="tel:01480000000"`, `href="mailto:hello@example.com"`, "PE27 0XX", "example details"}},
		{"error", []string{"Page not found", "There is no page at this address.", "Error 404", `action="/blog"`, `name="q"`}},
		{"home", []string{"Latest articles", `href="/blog/sports-massage-for-lower-back-pain"`, `<time datetime="2024-07-16">16 July 2024</time> · 4 min read`}},
		{"article", []string{`<h1 id="article-title">Sports Massage for Lower Back Pain</h1>`, "16 July 2024", "4 min read", "12 views",
			`<h2 id="why">Why</h2>`, `action="/blog/sports-massage-for-lower-back-pain/like"`, "1 like<", `href="/blog?tag=lower%20back%20pain"`,
			`<meta property="og:type" content="article">`, `href="/book"`, `href="/blog/hamstrings"`,
			`sse-connect="/blog/sports-massage-for-lower-back-pain/comments/stream?after=41"`, "Ann &lt;b&gt;", "<p>Helpful, thanks.</p>",
			"The practice’s answer", `id="replies-7"`, "Please write a little more.", `aria-invalid="true"`, `name="website"`,
			"Yours, just now", `class="comment just-posted"`, `<div class="comment-body"><p><em>Too</em></p></div>`, `id="comment-form-preview"`,
			`href="/blog/sports-massage-for-lower-back-pain?reply=7&amp;to=8#reply-form-7"`,
			`hx-post="/blog/sports-massage-for-lower-back-pain/comments/7/delete"`, "25 November 2026 at 14:05",
			`href="/blog/sports-massage-for-lower-back-pain?before=5#comments"`, `hx-get="/blog/sports-massage-for-lower-back-pain?before=5"`,
			`data-stamp="/form-stamp"`, `<form id="helpful-form" method="post"></form>`,
			`formaction="/blog/sports-massage-for-lower-back-pain/comments/7/helpful" name="helpful" value="0" aria-pressed="true">Helpful <span>3</span>`,
			`formaction="/blog/sports-massage-for-lower-back-pain/comments/8/helpful" name="helpful" value="1" aria-pressed="false">Helpful <span>0</span>`,
			`<span class="helpful mine">Found helpful: <span>2</span></span>`,
			`<strong aria-current="true">Oldest first</strong> | <a href="/blog/sports-massage-for-lower-back-pain?sort=helpful#comments">Most helpful</a>`}},
		{"book", []string{`<h2 id="day-title" tabindex="-1">Thursday 3 December</h2>`, `<button name="start" value="2026-12-03T09:00:00Z">09:00</button>`,
			`<p id="picker-status" class="visually-hidden" role="status">Thursday 3 December, free times.</p>`,
			`<p id="picker-announce" class="visually-hidden" role="status"></p>`, `aria-current="date"`, "<h3>Morning</h3>",
			`<span class="visually-hidden">Monday 30 November, free times</span>`, `href="/book?service=1&amp;location=studio&amp;week=2026-12-07"`}},
		{"book-details", []string{"Your details", `name="start" value="2026-12-03T09:00:00Z"`, "until 14:32 (10 minutes)",
			"Please enter your email address", "Please say a little more", `id="f-postcode"`, "Recent injury?",
			`aria-describedby="f-health-injury-details-error"`, `<p id="f-health-injury-details-error" class="field-error">`,
			`aria-describedby="f-consent-policy-error"`, `<p id="f-consent-policy-error" class="field-error">Please agree`}},
		{"booking", []string{"You’re booked", "Thursday 3 December 2026, 09:00 to 10:00", "/bookings/tok/calendar.ics", "Cancel this booking", "£50",
			"A confirmation is on its way to <strong>ann@example.com</strong>", `href="https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Sports%20massage"`,
			"Moved from Tuesday 1 December, 10:00 to Thursday 3 December, 09:00", `href="/bookings/tok/cancel"`, `href="/book?service=2&amp;location=studio&amp;again=tok"`}},
		{"booking-cancel", []string{"Cancel your booking?", `action="/bookings/tok/cancel"`, ">A cold &lt;b&gt;</textarea>", `aria-invalid="true"`,
			"Keep my booking", "Cancel booking"}},
		{"comment-edit", []string{"Edit your comment", `action="/blog/sports-massage-for-lower-back-pain/comments/7#comment-7"`, ">Helpful</textarea>",
			`You can change it for <span data-edit-left="400">7 more minutes</span>, until 14:15.`, `formaction="/blog/sports-massage-for-lower-back-pain/comments/preview#edit-7-preview"`,
			`name="edit" value="7"`, "There is nothing to preview yet."}},
		{"blog", []string{"Articles about “back pain”", "a <mark>match</mark>", `hx-get="/blog?page=2&amp;q=back&#43;pain"`, "recovery <span class=\"count\">(2)</span>"}},
		{"services", []string{`aria-current="page"`}},
		{"subscription", []string{"<h1>Unsubscribe</h1>", `action="/comments/subscriptions/unsubscribe/tok"`, "Lower back &lt;pain&gt;"}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := r.Render(&buf, tt.page, samplePage(tt.page)); err != nil {
			t.Fatalf("%s: %v", tt.page, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: output lacks %q", tt.page, w)
			}
		}
	}
}

func TestBusinessTextIsEscaped(t *testing.T) {
	r := newRenderer(t)
	p := samplePage("about")
	p.Business.Name = `Tom & Jerry <script>alert(1)</script>`
	p.Business.About = `<img src=x onerror=alert(1)> hx-get="/admin"`
	var buf bytes.Buffer
	if err := r.Render(&buf, "about", p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>alert") || strings.Contains(out, "<img src=x") {
		t.Errorf("business text reached the page unescaped:\n%s", out)
	}
	if !strings.Contains(out, "Tom &amp; Jerry &lt;script&gt;") {
		t.Errorf("escaped business name missing")
	}
}

func TestErrorFragmentRendersAlone(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	err := r.Render(&buf, "error#error-message", views.Error{Status: 503, Heading: "Busy", Message: "Try again soon."})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<html") || strings.Contains(out, "<body") || strings.Contains(out, "<main") {
		t.Errorf("fragment carries the layout:\n%s", out)
	}
	for _, want := range []string{`role="alert"`, "<h1>Busy</h1>", "Try again soon.", "Error 503"} {
		if !strings.Contains(out, want) {
			t.Errorf("fragment lacks %q:\n%s", want, out)
		}
	}
}

func TestUnknownNamesAreErrors(t *testing.T) {
	r := newRenderer(t)
	for _, name := range []string{"nope", "home#nope", "#error-message", "", "nope#error-message"} {
		var buf bytes.Buffer
		if err := r.Render(&buf, name, samplePage("home")); err == nil {
			t.Errorf("Render(%q) succeeded", name)
		}
		if buf.Len() != 0 {
			t.Errorf("Render(%q) wrote %d bytes although it failed", name, buf.Len())
		}
		if r.Has(name) {
			t.Errorf("Has(%q) = true", name)
		}
	}
	if !r.Has("error#error-message") {
		t.Error(`Has("error#error-message") = false`)
	}
}

// Output goes through a buffer: a template that fails half-way writes nothing.
func TestFailedRenderWritesNothing(t *testing.T) {
	r := newRenderer(t)
	p := samplePage("home")
	p.Data = nil // home needs .Data.Services
	var buf bytes.Buffer
	if err := r.Render(&buf, "home", p); err == nil {
		t.Fatal("rendering home without its data succeeded")
	}
	if buf.Len() != 0 {
		t.Errorf("a failed render wrote %d bytes", buf.Len())
	}
}

func TestNewNeedsTheAssetFunction(t *testing.T) {
	if _, err := views.New(nil); err == nil {
		t.Error("views.New without an asset function succeeded; templates use {{asset}}")
	}
}

// The asset names in the templates exist: with the real static.Assets, whose
// URL panics on an unknown name, every page still renders.
func TestTemplatesUseRealAssetNames(t *testing.T) {
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := views.New(template.FuncMap{"asset": assets.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pageNames(t) {
		var buf bytes.Buffer
		if err := r.Render(&buf, name, samplePage(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPounds(t *testing.T) {
	for pence, want := range map[int]string{
		0: "£0", 5: "£0.05", 99: "£0.99", 100: "£1", 3000: "£30", 3550: "£35.50", 3505: "£35.05", 123456: "£1234.56",
	} {
		if got := views.Pounds(pence); got != want {
			t.Errorf("Pounds(%d) = %q, want %q", pence, got, want)
		}
	}
}

func TestMinutes(t *testing.T) {
	for m, want := range map[int]string{
		5: "5 min", 30: "30 min", 59: "59 min", 60: "1 h", 90: "1 h 30 min", 125: "2 h 5 min", 480: "8 h",
	} {
		if got := views.Minutes(m); got != want {
			t.Errorf("Minutes(%d) = %q, want %q", m, got, want)
		}
	}
}

func TestParagraphs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only blank lines", "\n\n \n\n", nil},
		{"one paragraph", "One line.", []string{"One line."}},
		{"a single newline stays inside the paragraph", "Line one\nline two", []string{"Line one\nline two"}},
		{"a blank line splits", "First.\n\nSecond.", []string{"First.", "Second."}},
		{"several blank lines split once", "First.\n\n\n\nSecond.", []string{"First.", "Second."}},
		{"surrounding space is trimmed", "  First.  \n\n\tSecond.\n", []string{"First.", "Second."}},
		{"Windows line endings", "First.\r\n\r\nSecond.\r\nstill second.", []string{"First.", "Second.\nstill second."}},
		// A line holding only spaces looks blank in the admin's textarea.
		{"a line of spaces is a blank line", "First.\n  \nSecond.", []string{"First.", "Second."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, views.Paragraphs(tt.in)); diff != "" {
				t.Errorf("Paragraphs(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

var poundsRE = regexp.MustCompile(`^£(0|[1-9][0-9]*)(\.[0-9]{2})?$`)

// Prices are never negative (services.price_pence >= 0), so the fuzz stays
// in that range. Its seed corpus runs with every `go test`.
func FuzzPounds(f *testing.F) {
	for _, p := range []int{0, 1, 5, 99, 100, 101, 3000, 3550, 999999} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pence int) {
		if pence < 0 || pence > 1<<40 {
			t.Skip()
		}
		s := views.Pounds(pence)
		m := poundsRE.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("Pounds(%d) = %q, not like £12 or £12.34", pence, s)
		}
		if m[2] == ".00" {
			t.Fatalf("Pounds(%d) = %q shows zero pence", pence, s)
		}
		whole, _ := strconv.Atoi(m[1])
		back := whole * 100
		if m[2] != "" {
			p, _ := strconv.Atoi(m[2][1:])
			back += p
		}
		if back != pence {
			t.Fatalf("Pounds(%d) = %q reads back as %d", pence, s, back)
		}
	})
}

func FuzzParagraphs(f *testing.F) {
	for _, s := range []string{"", "a", "a\n\nb", "a\r\n\r\nb", " a \n\n\n b ", "\n\n", "a\nb", "a\r\n\nb", "\xff\n\n\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps := views.Paragraphs(s)
		for _, p := range ps {
			if p == "" {
				t.Fatalf("Paragraphs(%q) has an empty paragraph", s)
			}
			if strings.TrimSpace(p) != p {
				t.Fatalf("Paragraphs(%q): %q is not trimmed", s, p)
			}
			if strings.Contains(p, "\n\n") {
				t.Fatalf("Paragraphs(%q): %q still holds an empty line", s, p)
			}
		}
		// Nothing but white space is lost, and the order is kept.
		if a, b := noSpace(s), noSpace(strings.Join(ps, "\n")); a != b {
			t.Fatalf("Paragraphs(%q) = %q: text %q became %q", s, ps, a, b)
		}
	})
}

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// Structured data is JSON inside its script element: a value cannot close the
// element or start a script of its own.
func TestJSONLDCannotBreakOut(t *testing.T) {
	r := newRenderer(t)
	var buf bytes.Buffer
	if err := r.Render(&buf, "home", samplePage("home")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>alert") {
		t.Fatalf("a JSON-LD value closed its script element:\n%s", out)
	}
	start := strings.Index(out, `<script type="application/ld+json">`)
	if start < 0 {
		t.Fatal("no JSON-LD script in the home page")
	}
	body := out[start+len(`<script type="application/ld+json">`):]
	body = body[:strings.Index(body, "</script>")]
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("JSON-LD is not JSON: %v\n%s", err, body)
	}
	if v["name"] != "</script><script>alert(1)</script>" {
		t.Errorf("name = %q, want the value back intact", v["name"])
	}
}
