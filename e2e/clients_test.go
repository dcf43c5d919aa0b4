package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dynamicmotion/db"
)

// pastClient stores, as the diary holds it after the day, an appointment
// two days before now of a client whose name and address no other test
// uses, and returns it. Its status is completed, which takes no time in the
// diary, so it can be anywhere in the past.
func pastClient(t *testing.T, name, email string) db.Booking {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, databaseURL, db.Options{AppName: "e2e-clients"})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var svc db.Service
	if err := bdb.NewSelect().Model(&svc).Where("active").OrderExpr("sort_order, id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	// The binary runs on the wall clock, so "a finished session" is one that
	// ended by the wall clock: two days ago, whatever the day or hour.
	start := time.Now().Add(-48 * time.Hour).Truncate(time.Hour)
	consent := start.Add(-24 * time.Hour)
	b := db.Booking{ServiceID: svc.ID, Place: db.PlaceStudio, StartsAt: start, EndsAt: start.Add(time.Hour),
		BlockedFrom: start, BlockedTo: start.Add(time.Hour), Status: db.BookingCompleted, ClientName: name, ClientEmail: email,
		ClientPhone: "07700 900777", ManageTokenHash: db.HashToken(email), ServiceName: svc.Name, DurationMin: 60,
		PricePence: 5000, ConsentAt: &consent,
		Health: map[string]any{"injury": map[string]any{"question": "Any injury?", "answer": "yes", "details": "Sore shoulder"}}}
	if _, err := bdb.NewInsert().Model(&b).ExcludeColumn("id").Returning("id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClientsAndTreatmentNotes: the therapist, on a phone (390×844) and on
// a laptop (1280×800), finds a client by name, opens their past booking,
// writes the treatment note, changes it, sees "edited" and both versions in
// the history, and exports the client (the export holds both versions).
// Every page fits the screen's width, has no serious axe violation, and
// logs no error.
func TestClientsAndTreatmentNotes(t *testing.T) {
	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"laptop", 1280, 800}} {
		t.Run(vp.name, func(t *testing.T) { noteFlow(t, vp.name, vp.width, vp.height) })
	}
}

func noteFlow(t *testing.T, screen string, width, height int64) {
	u := fmt.Sprintf("%d", time.Now().UnixNano()) // a name no other run or test used
	name, email := "Nora Notes"+u[len(u)-6:], "nora."+u+"@example.com"
	b := pastClient(t, name, email)
	tb := openTab(t)
	logIn(tb)
	tb.do("setting a "+screen+"'s viewport", chromedp.EmulateViewport(width, height))
	check := func(what string) {
		t.Helper()
		tb.assertClean(what)
		pageFits(t, tb, what)
		checkAxe(tb, what+" ("+screen+")")
	}

	tb.open("/admin/clients")
	check("the clients list")
	tb.do("searching for the client", chromedp.SendKeys(chromedp.CSS(`#f-q`), name))
	loadBy(tb, "searching", chromedp.Click(byText(`form[role=search] button`, "Search")))
	loadBy(tb, "opening the client", chromedp.Click(byText(`.client-list a`, name)))
	check("the client's page")
	if txt := eval[string](tb, `document.querySelector('.health-answers').textContent`); !strings.Contains(txt, "Sore shoulder") {
		t.Errorf("the client's page shows health answers %q", txt)
	}

	loadBy(tb, "opening the booking", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.client-bookings a[href="/admin/bookings/%d"]`, b.ID))))
	loadBy(tb, "opening the note form", chromedp.Click(byText(`.booking-note a`, "Write the treatment note")))
	check("the empty note form")
	tb.do("writing the note",
		chromedp.SendKeys(chromedp.CSS(`#f-subjective`), "Right shoulder stiff after swimming"),
		chromedp.SendKeys(chromedp.CSS(`#f-plan`), "Band exercises daily"))
	loadBy(tb, "saving the note", chromedp.Click(byText(`.note-form button`, "Save note")))
	if s := eval[string](tb, `(document.querySelector('[role=status]') || {}).textContent || ''`); !strings.Contains(s, "Saved") {
		t.Errorf("after saving the page says %q", s)
	}
	check("the saved note")

	tb.do("changing the plan", chromedp.Clear(chromedp.CSS(`#f-plan`)), chromedp.SendKeys(chromedp.CSS(`#f-plan`), "Band exercises twice a day"))
	loadBy(tb, "saving the change", chromedp.Click(byText(`.note-form button`, "Save note")))
	if s := eval[string](tb, `document.querySelector('.note-state').textContent`); !strings.Contains(s, "edited") {
		t.Errorf("the changed note says %q, want it edited", s)
	}
	loadBy(tb, "opening the history", chromedp.Click(byText(`.note-state a`, "see every version")))
	versions := eval[[]string](tb, `[...document.querySelectorAll('.note-version')].map(a => a.textContent.replace(/\s+/g, ' '))`)
	if len(versions) != 2 || !strings.Contains(versions[0], "twice a day") || !strings.Contains(versions[1], "Band exercises daily") {
		t.Errorf("the history shows %q", versions)
	}
	check("the note's history")

	// The export, as the client page's button posts it.
	tb.open(fmt.Sprintf("/admin/clients/%d", b.ID))
	export, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(async () => {
		const form = document.querySelector('form[action$="/export"]');
		const r = await fetch(form.action, {method: 'POST', body: new URLSearchParams(new FormData(form))});
		return r.status + ' ' + r.headers.get('Content-Disposition') + '\n' + await r.text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("posting the export form: %v", err)
	}
	for _, want := range []string{"200 attachment", `"treatment_notes"`, "Band exercises twice a day", "Band exercises daily", email} {
		if !strings.Contains(export, want) {
			t.Errorf("the export lacks %q:\n%.600s", want, export)
		}
	}
}
