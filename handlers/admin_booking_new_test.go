package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The booking form's Find, client and "Show free times" buttons post the
// form back (no address carries what was typed, the notes least of all),
// and what comes back keeps everything, books nothing, and still has
// "Add the booking" as the form's default (first) button, so that Enter
// books.
func TestPhoneBookingFormIsPostedBack(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	svc := bookingServices(t)[0]
	client := s.client(t)
	bookedToken(t, client.post(t, "/book", detailsForm(svc.ID, db.PlaceStudio, client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(3)))))
	admin := s.client(t)
	admin.logIn(t)
	week := weekAfter(2)
	first := mustTime(t, admin.freeTimes(t, svc.ID, db.PlaceStudio, week)[0]).In(views.London)
	date := first.Format(time.DateOnly)
	const notes = "Left knee: private note"

	// The form as the diary opens it: the three buttons post to the form's
	// own address; none sends it by GET.
	page := admin.get(t, adminPath+"/bookings/new?date="+date+"&place=studio")
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		in("form#new-booking[method=post][action=/admin/bookings]"),
		in("form#new-booking button[formaction='/admin/bookings/new#client-matches'][formmethod=post]", hasText("Find")),
		in("form#new-booking button[formaction='/admin/bookings/new#free-times'][formmethod=post]", hasText("Show free times")),
		in(".hand-when[hx-post=/admin/bookings/new/times][hx-include=#new-booking]"),
		notIn("[formmethod=get]"),
		notIn(".hand-when[hx-get]"))
	submission := formInput(t, page.body, adminPath+"/bookings", submissionField)

	// Find, with notes and a date typed: the clients found, all of it kept.
	form := url.Values{submissionField: {submission}, "mail_choice": {"1"}, "send_mail": {"1"}, "q": {"ann"}, "service": {itoa(svc.ID)},
		"location": {db.PlaceStudio}, "date": {date}, "notes": {notes}, "phone": {"07700 900999"}}
	res := admin.post(t, adminPath+"/bookings/new", form)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("form#new-booking ul.client-matches button[name=client][value=0][formmethod=post]", hasText("Ann Example")),
		in("input[name=q]", hasAttr("value", "ann")),
		in("textarea[name=notes]", hasExactText(notes)),
		in("input[name=phone]", hasAttr("value", "07700 900999")),
		in("input[name=date]", hasAttr("value", date)),
		in("select[name=service] option[selected]", hasAttr("value", itoa(svc.ID))),
		in("input[name="+submissionField+"]", hasAttr("value", submission)),
		in("input[name=send_mail][checked]"),
		notIn(".field-error"),
		in("#free-times .time-buttons input[name=time][value="+first.Format("15:04")+"]"))
	// Enter still books: the first submit button of the form is the
	// (hidden) "Add the booking", before Find and "Show free times".
	body := res.body[strings.Index(res.body, `id="new-booking"`):]
	if i, j := strings.Index(body, "<button"), strings.Index(body, ">Find</button>"); i < 0 || j < 0 || !strings.Contains(body[i:j], "Add the booking") {
		t.Error("the form's first button is not \"Add the booking\": Enter would not book")
	}

	// Without JavaScript, Enter in the search box sends the form with Add:
	// words to find and nobody to book yet is a Find, not four mistakes.
	enter := url.Values{submissionField: {submission}, "mail_choice": {"1"}, "send_mail": {"1"}, "q": {"ann"}, "service": {itoa(svc.ID)},
		"location": {db.PlaceStudio}, "date": {date}, "notes": {notes}}
	res = admin.post(t, adminPath+"/bookings", enter)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body, in("ul.client-matches button[name=client][value=0]", hasText("Ann Example")),
		in("textarea[name=notes]", hasExactText(notes)), notIn(".field-error"))

	// Choosing the client fills in their details, the notes and "send the
	// e-mail" unticked kept.
	form.Set("client", "0")
	form.Del("send_mail")
	res = admin.post(t, adminPath+"/bookings/new", form)
	wantStatus(t, res, http.StatusOK)
	checkHTML(t, res.body,
		in("input[name=name]", hasAttr("value", "Ann Example")),
		in("input[name=email]", hasAttr("value", "ann@example.com")),
		in("textarea[name=notes]", hasExactText(notes)),
		notIn("input[name=send_mail][checked]"),
		notIn("ul.client-matches"))

	// The day's free times as htmx asks for them, by POST with the whole
	// form: the fragment.
	res = admin.post(t, adminPath+"/bookings/new/times", form, "HX-Request: true")
	wantStatus(t, res, http.StatusOK)
	isFragmentBody(t, res)
	checkHTML(t, res.body, in(".time-buttons input[name=time][value="+first.Format("15:04")+"]"))

	// Nonsense posted back is the form again, never an error.
	res = admin.post(t, adminPath+"/bookings/new", url.Values{"service": {"x"}, "date": {"not a date"}, "client": {"99"}, "q": {strings.Repeat("é", 300)}})
	wantStatus(t, res, http.StatusOK)

	// Nothing of it was booked.
	var n int
	if err := seededDB(t).NewRaw(`SELECT count(*) FROM bookings WHERE notes = ?`, notes).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("posting the form back made %d bookings", n)
	}
	noServerErrors(t, s)
}
