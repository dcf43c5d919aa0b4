package jobs_test

import (
	"context"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// The queue prunes live comment events past the replay window when it
// starts (and every ten minutes), keeping the newest of them.
func TestCommentEventsArePruned(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	if err := db.Seed(ctx, bdb); err != nil { // an article to comment on
		t.Fatal(err)
	}
	var postID int64
	if err := bdb.NewRaw("SELECT id FROM posts ORDER BY id LIMIT 1").Scan(ctx, &postID); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c := &db.Comment{PostID: postID, Name: "Ann", BodyMD: "Hi", BodyHTML: "<p>Hi</p>", Status: db.CommentVisible,
			AuthorHash: []byte("a"), IPHash: []byte("i")}
		if err := db.AddComment(ctx, bdb, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bdb.NewRaw("UPDATE comment_events SET created_at = now() - interval '2 hours'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	last, _ := db.LastCommentEvent(ctx, bdb)

	e := start(t, true)                          // the job runs as soon as this queue leads (periodic jobs run on the leader)
	deadline := time.Now().Add(30 * time.Second) // leading can take a few seconds after another test's queue
	for {
		oldest, err := db.OldestCommentEvent(ctx, bdb)
		if err == nil && oldest == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old events were not pruned within 30 s (oldest kept %d, want %d)", oldest, last)
		}
		time.Sleep(50 * time.Millisecond) // polling the table: pruning has no event of its own
	}
	if s := e.jobStates(t, "prune_comment_events"); len(s) == 0 {
		t.Error("no prune_comment_events job in River's table")
	}
}
