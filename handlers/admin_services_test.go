package handlers

// Tests of the services page. Services added here go to the end of the
// list and are taken off the booking page when each test ends, so the
// seeded services the booking tests use stay first.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dynamicmotion/db"
)

// validServiceForm is a complete, valid service form.
func validServiceForm(name string) url.Values {
	return url.Values{"name": {name}, "summary": {"Test summary"}, "duration": {"45"}, "price": {"40"},
		"at_studio": {"yes"}, "mobile": {"yes"}, "active": {"yes"}}
}

// addTestService adds a service through the page and returns it; it stops
// being offered when the test ends.
func addTestService(t *testing.T, cl *client, f url.Values) db.Service {
	t.Helper()
	res := cl.post(t, servicesPath, f)
	wantStatus(t, res, http.StatusSeeOther)
	var s db.Service
	if err := seededDB(t).NewSelect().Model(&s).Where("name = ?", f.Get("name")).OrderExpr("id DESC").Limit(1).
		Scan(context.Background()); err != nil {
		t.Fatalf("the service %q: %v", f.Get("name"), err)
	}
	t.Cleanup(func() {
		if err := db.SetServiceActive(context.Background(), seededDB(t), s.ID, false); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Each mistake comes back next to its field (422) with everything typed
// kept, and nothing is added.
func TestServiceValidation(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	tests := []struct {
		name, field, value, errID, want string
	}{
		{"no name", "name", " ", "name", "give the service a name"},
		{"long name", "name", strings.Repeat("n", 81), "name", "80 characters"},
		{"long summary", "summary", strings.Repeat("s", 501), "summary", "500 characters"},
		{"no length", "duration", "", "duration", "from 5 to 480"},
		{"too short", "duration", "4", "duration", "from 5 to 480"},
		{"too long", "duration", "481", "duration", "from 5 to 480"},
		{"not minutes", "duration", "1h", "duration", "whole minutes"},
		{"no price", "price", "", "price", "such as 45 or 45.50"},
		{"negative price", "price", "-5", "price", "in pounds"},
		{"three decimals", "price", "45.505", "price", "in pounds"},
		{"nowhere", "at_studio", "", "places", "at the studio, as a mobile visit, or both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := validServiceForm("Test invalid service")
			f.Set(tc.field, tc.value)
			if tc.field == "at_studio" {
				f.Del("mobile")
			}
			res := cl.post(t, servicesPath, f)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			checkHTML(t, res.body, in("#svc-"+tc.errID+"-error", hasText(tc.want)), count(".field-error", 1),
				in("input#svc-name", hasAttr("value", strings.TrimSpace(f.Get("name")))))
		})
	}
	if ss, _ := db.ListServices(context.Background(), seededDB(t)); len(ss) > 0 && strings.HasPrefix(ss[len(ss)-1].Name, "Test invalid") {
		t.Error("a service was added from a form with mistakes")
	}
	noServerErrors(t, s)
}

// A new service is at the end of the list and bookable at once; editing it
// changes what clients see (the price in pounds becomes pence).
func TestAddAndEditService(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	visitor := s.client(t)
	checkHTML(t, visitor.get(t, "/book").body, in("input[name=service]")) // the services are now cached

	// A name of this run's own (the slug of an earlier run's is taken).
	name := "Test calf clinic " + unique()
	f := validServiceForm(name)
	f.Set("price", "£42.5")
	f.Del("mobile")
	svc := addTestService(t, cl, f)
	if svc.PricePence != 4250 || svc.DurationMin != 45 || !svc.AtStudio || svc.Mobile || !svc.Active || svc.Slug != strings.ReplaceAll(strings.ToLower(name), " ", "-") {
		t.Errorf("added %+v", svc)
	}
	list := cl.get(t, servicesPath+"?saved=added")
	checkHTML(t, list.body, in("li#service-"+itoa(svc.ID)+" a[href='/admin/services/"+itoa(svc.ID)+"']", hasText(name)),
		in("li#service-"+itoa(svc.ID), hasText("£42.50"), hasText("studio only")),
		in("[role=status]", hasText("added")))
	checkHTML(t, visitor.get(t, "/book").body, in("input[name=service][value='"+itoa(svc.ID)+"']"))

	edit := cl.get(t, servicesPath+"/"+itoa(svc.ID))
	wantStatus(t, edit, http.StatusOK)
	checkHTML(t, edit.body, in("form[action='/admin/services/"+itoa(svc.ID)+"'] input#svc-price", hasAttr("value", "42.50")),
		in("input#svc-duration", hasAttr("value", "45")), notIn("input[name=mobile][checked]"), in("input[name=at_studio][checked]"))

	f = validServiceForm("Test calf clinic, longer")
	f.Set("duration", "75")
	f.Set("price", "55")
	f.Del("at_studio")
	wantStatus(t, cl.post(t, servicesPath+"/"+itoa(svc.ID), f), http.StatusSeeOther)
	got, err := db.ServiceByID(context.Background(), seededDB(t), svc.ID)
	if err != nil || got.Name != "Test calf clinic, longer" || got.DurationMin != 75 || got.PricePence != 5500 || got.AtStudio || !got.Mobile {
		t.Errorf("after the edit %+v, %v", got, err)
	}
	checkHTML(t, visitor.get(t, "/services").body, in("body", hasText("Test calf clinic, longer")))

	f.Set("duration", "0")
	res := cl.post(t, servicesPath+"/"+itoa(svc.ID), f)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	checkHTML(t, res.body, in("#svc-duration-error"), in("input#svc-name", hasAttr("value", "Test calf clinic, longer")))

	wantStatus(t, cl.get(t, servicesPath+"/99999999"), http.StatusNotFound)
	wantStatus(t, cl.get(t, servicesPath+"/x"), http.StatusNotFound)
	wantStatus(t, cl.post(t, servicesPath+"/99999999", validServiceForm("Test ghost")), http.StatusNotFound)
	noServerErrors(t, s)
}

// Up and Down are forms that swap a service with its neighbour; the first
// has no Up and the last no Down.
func TestReorderServices(t *testing.T) {
	s := adminServer(t)
	cl := s.client(t)
	cl.logIn(t)
	a := addTestService(t, cl, validServiceForm("Test order A"))
	b := addTestService(t, cl, validServiceForm("Test order B"))
	order := func() []int64 {
		ss, err := db.ListServices(context.Background(), seededDB(t))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, s := range ss {
			ids = append(ids, s.ID)
		}
		return ids[len(ids)-2:]
	}
	if o := order(); o[0] != a.ID || o[1] != b.ID {
		t.Fatalf("order %v, want A then B last", o)
	}
	page := cl.get(t, servicesPath)
	move := func(id int64) string { return "form[action='/admin/services/" + itoa(id) + "/move']" }
	checkHTML(t, page.body, count("li#service-"+itoa(b.ID)+" "+move(b.ID), 1), in("li#service-"+itoa(b.ID)+" "+move(b.ID)+" input[name=dir]", hasAttr("value", "up")),
		count("li#service-"+itoa(a.ID)+" "+move(a.ID), 2))

	res := cl.post(t, servicesPath+"/"+itoa(b.ID)+"/move", url.Values{"dir": {"up"}})
	wantStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != servicesPath+"?saved=order#service-"+itoa(b.ID) {
		t.Errorf("Location %q", loc)
	}
	if o := order(); o[0] != b.ID || o[1] != a.ID {
		t.Errorf("after B up: %v, want B then A", o)
	}
	wantStatus(t, cl.post(t, servicesPath+"/"+itoa(b.ID)+"/move", url.Values{"dir": {"down"}}), http.StatusSeeOther)
	wantStatus(t, cl.post(t, servicesPath+"/"+itoa(b.ID)+"/move", url.Values{"dir": {"down"}}), http.StatusSeeOther) // already last
	if o := order(); o[0] != a.ID || o[1] != b.ID {
		t.Errorf("after B down twice: %v, want A then B", o)
	}
	wantStatus(t, cl.post(t, servicesPath+"/"+itoa(b.ID)+"/move", url.Values{"dir": {"sideways"}}), http.StatusBadRequest)
	wantStatus(t, cl.post(t, servicesPath+"/99999999/move", url.Values{"dir": {"up"}}), http.StatusNotFound)
	noServerErrors(t, s)
}

// A service that is no longer offered leaves the booking page at once but
// keeps its bookings, which the diary still shows as booked; it can be
// offered again.
func TestDeactivateServiceKeepsBookings(t *testing.T) {
	runAt(t, epoch)
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	svc := addTestService(t, admin, validServiceForm("Test seasonal massage"))
	client := s.client(t)
	start := client.firstFree(t, svc.ID, db.PlaceStudio, weekAfter(7))
	client.hold(t, svc.ID, db.PlaceStudio, start)
	token := client.book(t, svc.ID, db.PlaceStudio, start)
	b := bookingOf(t, token)
	freeBefore := client.freeTimes(t, svc.ID, db.PlaceStudio, weekAfter(7))

	res := admin.post(t, servicesPath+"/"+itoa(svc.ID)+"/active", url.Values{"active": {"no"}})
	wantStatus(t, res, http.StatusSeeOther)
	loc, _, _ := strings.Cut(res.Header.Get("Location"), "#") // browsers keep the fragment to themselves
	checkHTML(t, admin.get(t, loc).body,
		in("li#service-"+itoa(svc.ID)+" .badge", hasText("not offered")),
		in("li#service-"+itoa(svc.ID)+" form[action='/admin/services/"+itoa(svc.ID)+"/active'] button", hasText("Offer again")),
		in("[role=status]", hasText("Its bookings stay")))
	checkHTML(t, s.client(t).get(t, "/book").body, notIn("input[name=service][value='"+itoa(svc.ID)+"']"))

	kept, err := db.BookingByID(context.Background(), seededDB(t), b.ID)
	if err != nil || kept.Status != db.BookingConfirmed || kept.ServiceName != "Test seasonal massage" || kept.DurationMin != 45 {
		t.Errorf("the booking after the service was withdrawn: %+v, %v", kept, err)
	}
	page := admin.get(t, adminPath+"/bookings/"+itoa(b.ID))
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body, in("body", hasText("Test seasonal massage")))
	manage := client.get(t, bookingsPath+token) // the client's own page
	wantStatus(t, manage, http.StatusOK)
	checkHTML(t, manage.body, in("body", hasText("Test seasonal massage")))
	// Moving it offers times for its own service (45 minutes), not for
	// another that is still on the list.
	move := client.get(t, bookingsPath+token+"/move?week="+weekAfter(7))
	wantStatus(t, move, http.StatusOK)
	offered := values(slotInputs(t, move.body))
	for _, v := range offered {
		// Only times near its own (now free to it) may be new.
		if !slices.Contains(freeBefore, v) && mustTime(t, v).Sub(b.StartsAt).Abs() > 2*time.Hour {
			t.Errorf("the move picker offers %s, which a 45-minute appointment cannot have", v)
		}
	}
	if len(offered) == 0 {
		t.Error("the move picker offers nothing for the withdrawn service")
	}

	wantStatus(t, admin.post(t, servicesPath+"/"+itoa(svc.ID)+"/active", url.Values{"active": {"yes"}}), http.StatusSeeOther)
	checkHTML(t, s.client(t).get(t, "/book").body, in("input[name=service][value='"+itoa(svc.ID)+"']"))
	noServerErrors(t, s)
}
