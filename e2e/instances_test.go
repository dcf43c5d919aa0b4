package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
	"dynamicmotion/db/migrations"
)

// TestInstancesShareSessionsAndLiveComments: two instances on one
// database, under a light load of readers, behave as one site. A hold made
// on A is the visitor's on B (the session is in PostgreSQL); a comment
// posted on A can be edited by its author on B; comments posted on either
// reach a live reader of the other within liveWithin, once.
func TestInstancesShareSessionsAndLiveComments(t *testing.T) {
	a := startOwnInstance(t, databaseURL, nil)
	b := startOwnInstance(t, databaseURL, nil)

	// Readers on both, throughout.
	var log callLog
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, origin := range []string{a.origin, b.origin} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths := []string{"/", "/blog/" + firstArticle, "/blog?q=massage", "/services"}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[n%len(paths)]
				log.record(newVisitor(t, origin, false), "GET "+p, "GET", p, nil, nil)
				time.Sleep(20 * time.Millisecond) // the load's pace, not a wait for anything
			}
		}()
	}

	// One visitor, one cookie jar: the two instances share a host, as
	// behind Fly's proxy, which sends each request to either machine.
	v := newVisitor(t, a.origin, false)
	onB := &visitor{origin: b.origin, ip: v.ip, client: v.client}

	// A hold made on A, seen on B.
	service, starts := freeStudioTimes(t, v, 40)
	start := starts[len(starts)-1] // far ahead, out of other tests' way
	page, err := v.do("GET", "/book", nil, nil)
	if err != nil || page.status != 200 {
		t.Fatalf("GET /book on A: %v %d", err, page.status)
	}
	hold, err := v.do("POST", "/book/hold", url.Values{
		"service": {service}, "location": {"studio"}, "start": {start},
	}, nil)
	if err != nil || (hold.status != 200 && hold.status != 303) {
		t.Fatalf("holding %s on A: %v %d\n%s", start, err, hold.status, abbreviate(hold.body, 1500))
	}
	details, err := onB.do("GET", "/book/details", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if details.status != 200 || !strings.Contains(details.body, `name="start" value="`+start+`"`) {
		t.Errorf("after holding %s on A, GET /book/details on B answered %d without that time (a session made on A is not one on B):\n%s",
			start, details.status, abbreviate(details.body, 1500))
	}
	if _, err := onB.do("POST", "/book/release", url.Values{}, nil); err != nil {
		t.Errorf("releasing the hold on B: %v", err)
	}

	// Live readers on both.
	readerA, readerB := newVisitor(t, a.origin, false), newVisitor(t, b.origin, false)
	streamOf := func(r *visitor) *stream {
		t.Helper()
		p, err := r.do("GET", "/blog/"+firstArticle, nil, nil)
		if err != nil || p.status != 200 {
			t.Fatalf("GET the article on %s: %v %d", r.origin, err, p.status)
		}
		m := streamAfterRe.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("the article names no live stream")
		}
		return openStream(t, r, strings.ReplaceAll(m[1], "&amp;", "&"), 0)
	}
	liveA, liveB := streamOf(readerA), streamOf(readerB)

	// The commenter writes on A (in v's session) and someone else on B.
	article, err := v.do("GET", "/blog/"+firstArticle, nil, nil)
	if err != nil || article.status != 200 {
		t.Fatalf("GET the article on A: %v %d", err, article.status)
	}
	body := uniqueText("Posted on A, edited on B: is sports massage fine the day before a 10k?")
	stamp, err := v.do("GET", "/form-stamp", nil, map[string]string{"HX-Request": "true"}) // as the page does when it loads
	if err != nil || stamp.status != 200 {
		t.Fatalf("GET /form-stamp on A: %v %d", err, stamp.status)
	}
	form, err := commentForm(stamp.body, "Jo on two machines", body)
	if err != nil {
		t.Fatal(err)
	}
	other := prepareComments(t, b.origin, "B to A", 1)[0]
	marker := prepareComments(t, a.origin, "marker", 1)[0]
	time.Sleep(fillTime) // time itself must pass (see fillTime)
	sentA := time.Now()
	fromA := preparedComment{v: v, form: form, body: body}.send(t)
	sentB := time.Now()
	fromB := other.send(t)

	// Each reader gets both comments (the one posted on the other
	// instance through LISTEN/NOTIFY), once. A third comment, posted once
	// both have arrived everywhere, comes after any second copy of theirs
	// (a stream sends events in order): when it has arrived, nothing more
	// is due.
	type reader struct {
		s       *stream
		who     string
		seen    map[int64]int
		arrived map[int64]time.Duration
	}
	readers := []*reader{{s: liveA, who: "A"}, {s: liveB, who: "B"}}
	sent := map[int64]time.Time{fromA: sentA, fromB: sentB}
	// read takes r's events until it has seen every id in want, at most
	// for liveWithin.
	read := func(r *reader, want ...int64) {
		t.Helper()
		deadline := time.After(liveWithin)
		for {
			missing := false
			for _, id := range want {
				missing = missing || r.seen[id] == 0
			}
			if !missing {
				return
			}
			select {
			case e := <-r.s.events:
				if e.name != "comment" {
					continue
				}
				id := e.commentID()
				r.seen[id]++
				if _, ok := r.arrived[id]; !ok && !sent[id].IsZero() {
					r.arrived[id] = e.at.Sub(sent[id])
				}
			case <-deadline:
				t.Errorf("the live reader on %s got %v of the comments %v within %s", r.who, r.seen, want, liveWithin)
				return
			}
		}
	}
	for _, r := range readers {
		r.seen, r.arrived = map[int64]int{}, map[int64]time.Duration{}
		read(r, fromA, fromB)
	}
	last := marker.send(t)
	for _, r := range readers {
		read(r, last)
		for _, id := range []int64{fromA, fromB} {
			if r.seen[id] != 1 {
				t.Errorf("comment %d reached the live reader on %s %d times, want once", id, r.who, r.seen[id])
			}
		}
		t.Logf("the live reader on %s got comment %d (posted on A) %s and comment %d (posted on B) %s after its POST was sent",
			r.who, fromA, r.arrived[fromA].Round(time.Millisecond), fromB, r.arrived[fromB].Round(time.Millisecond))
	}

	// The author may edit their comment on B.
	onBArticle, err := onB.do("GET", "/blog/"+firstArticle, nil, nil)
	if err != nil || onBArticle.status != 200 {
		t.Fatalf("GET the article on B: %v %d", err, onBArticle.status)
	}
	edit := fmt.Sprintf(`/blog/%s/comments/%d/edit`, firstArticle, fromA)
	if !strings.Contains(onBArticle.body, edit) {
		t.Errorf("the author of comment %d (posted on A) is not offered %s on B", fromA, edit)
	}
	if strings.Contains(onBArticle.body, fmt.Sprintf(`/blog/%s/comments/%d/edit`, firstArticle, fromB)) {
		t.Errorf("the author of comment %d is offered to edit comment %d, someone else's", fromA, fromB)
	}

	close(stop)
	wg.Wait()
	statuses := map[int]int{}
	for _, c := range log.all() {
		if c.err != nil || c.status != 200 {
			t.Errorf("%s during the test: %v %d", c.what, c.err, c.status)
		}
		statuses[c.status]++
	}
	t.Logf("readers' load on both instances meanwhile: %v", statuses)
}

// TestInstancesMigrateAtTheSameMoment: instances starting together each
// run `migrate` on a fresh, empty database at the same moment (Fly's release
// command, or a deploy that starts machines at once). Both succeed; each
// migration is applied once (one row each in bun_migrations, River's
// versions once each in river_migration); exactly one of them applied
// anything, the other found the work done.
func TestInstancesMigrateAtTheSameMoment(t *testing.T) {
	const runs = 3
	ctx := context.Background()
	dsn, drop, err := dbtest.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)

	cmds := make([]*exec.Cmd, runs)
	outs := make([]*syncBuffer, runs)
	for i := range cmds {
		cmds[i] = exec.Command(binPath, "migrate")
		cmds[i].Env = siteEnv(map[string]string{"DATABASE_URL": dsn, "BASE_URL": "http://127.0.0.1:1", "LOG_LEVEL": "info"})
		outs[i] = &syncBuffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	began := time.Now()
	for _, c := range cmds { // started back to back, before any has connected
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	applied := 0
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("migrate run %d of %d at the same moment: %v\n%s", i+1, runs, err, outs[i].String())
		}
		if strings.Contains(outs[i].String(), "migrations applied") {
			applied++
		}
	}
	took := time.Since(began)
	if applied != 1 {
		t.Errorf("%d of the %d runs say they applied migrations, want exactly 1", applied, runs)
	}

	bdb, err := db.Open(ctx, dsn, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	want, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := bdb.NewRaw(`SELECT name FROM bun_migrations ORDER BY name`).Scan(ctx, &names); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, want) {
		t.Errorf("bun_migrations holds %v, want each embedded migration once: %v", names, want)
	}
	var river struct {
		N, Distinct int
	}
	if err := bdb.NewRaw(`SELECT count(*) AS n, count(DISTINCT (line, version)) AS distinct FROM river_migration`).Scan(ctx, &river.N, &river.Distinct); err != nil {
		t.Fatal(err)
	}
	if river.N == 0 || river.N != river.Distinct {
		t.Errorf("river_migration holds %d rows for %d versions, want each version once", river.N, river.Distinct)
	}
	var pending []string
	if pending, err = db.PendingMigrations(ctx, bdb); err != nil || len(pending) > 0 {
		t.Errorf("after the runs, pending migrations: %v (%v)", pending, err)
	}
	t.Logf("%d `migrate` runs at once on an empty database: all exited 0 in %s, one applied %d migrations and River's %d versions, the others waited and found nothing to do",
		runs, took.Round(time.Millisecond), len(names), river.N)
}
