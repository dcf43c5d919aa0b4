package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/markdown"
)

// longThread makes a new article with n comments (four in five top-level,
// the rest replies) and returns it.
func longThread(t *testing.T, bdb *bun.DB, n int) db.Post {
	t.Helper()
	ctx := context.Background()
	at := time.Now().AddDate(-1, 0, 0).Truncate(time.Second)
	body := "An article with a long thread of comments."
	html, err := markdown.Article(body, markdown.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := db.Post{Slug: fmt.Sprintf("long-thread-%d", time.Now().UnixNano()), Title: "A long thread", BodyMD: body, BodyHTML: html,
		BodyText: body, ReadingMinutes: 1, Status: db.StatusPublished, PublishedAt: &at, UpdatedAt: at, Tags: []string{}}
	if err := db.SavePost(ctx, bdb, &p); err != nil {
		t.Fatal(err)
	}
	tops := n - n/5
	if _, err := bdb.NewRaw(`
		INSERT INTO comments (post_id, name, body_md, body_html, status, author_hash, ip_hash)
		SELECT ?, 'Reader ' || g, 'Comment ' || g, '<p>Long-thread comment ' || g || '.</p>', 'visible', '\x01'::bytea, '\x02'::bytea
		FROM generate_series(1, ?) g`, p.ID, tops).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.NewRaw(`
		INSERT INTO comments (post_id, parent_id, name, body_md, body_html, status, author_hash, ip_hash)
		SELECT ?, t.id, 'Replier ' || g, 'Reply ' || g, '<p>Long-thread reply ' || g || '.</p>', 'visible', '\x01'::bytea, '\x02'::bytea
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM comments WHERE post_id = ? AND parent_id IS NULL) t
		WHERE t.g % 4 = 1 ORDER BY t.g LIMIT ?`, p.ID, p.ID, n-tops).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEarlierCommentsInPlace: on an article with a long thread, the page
// shows the newest comments and the total; a live reply to a thread the
// page does not show only counts (no error); "Earlier comments" brings the
// older ones into the list in place (no reload), before the newer ones,
// until the oldest is there, each comment once.
func TestEarlierCommentsInPlace(t *testing.T) {
	const total = 180
	ctx := context.Background()
	bdb, err := db.Open(ctx, databaseURL, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	p := longThread(t, bdb, total)
	slug := p.Slug
	tb := openTab(t)
	tb.onNewDocument(sseOpenRecorder)
	if status := tb.open("/blog/" + slug); status != 200 {
		t.Fatalf("the article answered %d", status)
	}
	waitFor(tb, "the live stream of the comments is open", `window.__sseOpen === true`)
	eval[bool](tb, markPage)
	if n := commentCount(tb); n != total {
		t.Fatalf("the count shows (%d), want (%d)", n, total)
	}
	shown := `document.querySelectorAll('#comment-list article.comment').length`
	first := eval[int](tb, shown)
	if first >= total || first < 50 {
		t.Fatalf("the article shows %d comments at first, want the newest 50 or so of %d", first, total)
	}
	var oldest int64
	if err := bdb.NewRaw("SELECT min(id) FROM comments WHERE post_id = ?", p.ID).Scan(ctx, &oldest); err != nil {
		t.Fatal(err)
	}
	reply := db.Comment{PostID: p.ID, ParentID: &oldest, Name: "Live replier", BodyMD: "A live reply.",
		BodyHTML: "<p>A live reply to the oldest thread.</p>", Status: db.CommentVisible, AuthorHash: []byte("live"), IPHash: []byte("live")}
	if err := db.AddComment(ctx, bdb, &reply); err != nil {
		t.Fatal(err)
	}
	waitFor(tb, "the live reply to an older thread is counted", fmt.Sprintf(`document.querySelector('#comment-count').textContent.trim() === '(%d)'`, total+1))
	if n := eval[int](tb, shown); n != first {
		t.Errorf("the live reply to a thread not on the page changed the list: %d comments, want %d", n, first)
	}
	for clicks := 0; eval[bool](tb, `!!document.querySelector('#comments-earlier a')`); clicks++ {
		if clicks > 10 {
			t.Fatal("Earlier comments goes on for ever")
		}
		before := eval[int](tb, shown)
		tb.do(`clicking "Earlier comments"`, chromedp.Click(chromedp.CSS(`#comments-earlier a`)))
		waitFor(tb, "the earlier comments appear", fmt.Sprintf(`%s > %d`, shown, before))
		settled(tb)
	}
	if !eval[bool](tb, pageMarked) {
		t.Fatal(`"Earlier comments" reloaded the page; it should bring them in place`)
	}
	ids := eval[[]string](tb, `[...document.querySelectorAll('#comment-list article.comment')].map(a => a.id)`)
	if len(ids) != total+1 {
		t.Errorf("%d comments on the page after every earlier page, want %d", len(ids), total+1)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("%s is on the page twice", id)
		}
		seen[id] = true
	}
	if got := eval[string](tb, `document.querySelector('#comment-list article.comment .comment-body').textContent.trim()`); !strings.Contains(got, "comment 1.") {
		t.Errorf("the first comment on the page reads %q, want the oldest", got)
	}
	tb.assertClean("the article after every earlier page of comments")
}
