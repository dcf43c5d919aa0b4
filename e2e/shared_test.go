package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// seenOnB is how long a change made on one instance may take to reach the
// pages of another: a notification's trip, well under a second. It stays
// under the 5 s of the check that backs notifications up, so that this
// test fails if they are not heard.
const seenOnB = 2 * time.Second

var (
	serviceCard   = regexp.MustCompile(`class="card" id="service-`)
	serviceActive = regexp.MustCompile(`action="/admin/services/(\d+)/active"`)
)

// TestInstancesShareFreshPages: a visitor without a session gets the one
// kept copy of a public page, with a strong ETag (304 when it has not
// changed) and no cookie; and a change made on instance A — a service
// taken off, a comment posted — is on instance B's next page, heard
// through PostgreSQL's LISTEN/NOTIFY, not after some time to live.
func TestInstancesShareFreshPages(t *testing.T) {
	const email, pw = "therapist@dynamicmotion.test", "a long and private passphrase"
	a := startAbuseTarget(t, map[string]string{"ADMIN_EMAIL": email})
	a.setAdminPassword(t, email, pw)
	b := startOwnInstance(t, a.dsn, nil)

	get := func(path, etag string) answer {
		t.Helper()
		var hdr map[string]string
		if etag != "" {
			hdr = map[string]string{"If-None-Match": etag}
		}
		// A new visitor each time: no cookie, as a first visit.
		res, err := newVisitor(t, b.origin, false).do("GET", path, nil, hdr)
		if err != nil {
			t.Fatalf("GET %s on B: %v", path, err)
		}
		return res
	}

	first := get("/services", "")
	etag := first.header.Get("ETag")
	if first.status != 200 || etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("GET /services on B: %d with ETag %q, want 200 with a strong ETag", first.status, etag)
	}
	if c := first.header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("a first visit got cookies %q, want none", c)
	}
	if again := get("/services", ""); again.body != first.body || again.header.Get("ETag") != etag {
		t.Error("two visitors got different copies of /services")
	}
	if same := get("/services", etag); same.status != 304 || same.body != "" {
		t.Errorf("revalidating with the ETag answered %d with %d bytes, want 304 and none", same.status, len(same.body))
	}
	cards := len(serviceCard.FindAllString(first.body, -1))

	// The therapist stops offering a service on A.
	admin := newVisitor(t, a.origin, false)
	if res, err := admin.do("POST", "/admin/login", url.Values{"email": {email}, "password": {pw}}, nil); err != nil || res.status != 303 {
		t.Fatalf("logging in on A: %v %d", err, res.status)
	}
	list, err := admin.do("GET", "/admin/services", nil, nil)
	if err != nil || list.status != 200 {
		t.Fatalf("GET /admin/services on A: %v %d", err, list.status)
	}
	m := serviceActive.FindStringSubmatch(list.body)
	if m == nil {
		t.Fatal("the services page on A has no Stop offering form")
	}
	if res, err := admin.do("POST", "/admin/services/"+m[1]+"/active", url.Values{"active": {"no"}}, nil); err != nil || res.status != 303 {
		t.Fatalf("stopping service %s on A: %v %d", m[1], err, res.status)
	}
	waitUntil(t, "B's /services without the service stopped on A", seenOnB, func() bool {
		res := get("/services", etag)
		return res.status == 200 && len(serviceCard.FindAllString(res.body, -1)) == cards-1
	})

	// A comment posted on A is on B's copy of the article.
	article := get("/blog/"+firstArticle, "")
	c := prepareComments(t, a.origin, "shared page", 1)[0]
	time.Sleep(fillTime) // time itself must pass (see fillTime)
	id := c.send(t)
	waitUntil(t, "the comment posted on A on B's copy of the article", seenOnB, func() bool {
		res := get("/blog/"+firstArticle, article.header.Get("ETag"))
		return res.status == 200 && strings.Contains(res.body, `id="comment-`+itoa(id)+`"`)
	})
}
