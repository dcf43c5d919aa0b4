package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// eventKinds returns the kinds of a post's comment events for comment id.
func eventKinds(t *testing.T, postID, commentID int64) []string {
	t.Helper()
	var kinds []string
	if err := dbtest.DB(t).NewRaw("SELECT kind FROM comment_events WHERE post_id = ? AND comment_id = ? ORDER BY id",
		postID, commentID).Scan(context.Background(), &kinds); err != nil {
		t.Fatal(err)
	}
	return kinds
}

func statusOf(t *testing.T, postID, id int64) db.Comment {
	t.Helper()
	c, err := db.CommentByID(context.Background(), dbtest.DB(t), postID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Hiding a visible comment tells live readers (an update event) and hides
// its replies with it; hiding a held one tells nobody; showing it again is
// a new comment for live readers.
func TestHideAndShowComment(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("moderated", "Moderated", "Body.", at(1)))
	top := addComment(t, newComment(p.ID, "Ann", "Rude", nil))
	reply := addComment(t, newComment(p.ID, "Bob", "Agreed", &top.ID))
	held := newComment(p.ID, "Cat", "Waiting", nil)
	held.Status = db.CommentHeld
	addComment(t, held)

	c := db.Comment{ID: top.ID}
	if err := db.HideComment(ctx, bdb, &c); err != nil {
		t.Fatal(err)
	}
	if c.Status != db.CommentHidden || c.PostID != p.ID {
		t.Errorf("hidden comment %+v", c)
	}
	if got := eventKinds(t, p.ID, top.ID); len(got) != 2 || got[1] != db.EventUpdate {
		t.Errorf("events of the hidden comment: %v, want new, update", got)
	}
	if r := statusOf(t, p.ID, reply.ID); r.Status != db.CommentHidden {
		t.Errorf("its reply is %s, want hidden", r.Status)
	}
	if got := eventKinds(t, p.ID, reply.ID); len(got) != 2 || got[1] != db.EventUpdate {
		t.Errorf("events of the hidden reply: %v", got)
	}
	if err := db.HideComment(ctx, bdb, &db.Comment{ID: top.ID}); !errors.Is(err, db.ErrNotVisible) {
		t.Errorf("hiding twice: %v, want ErrNotVisible", err)
	}

	h := db.Comment{ID: held.ID}
	if err := db.HideComment(ctx, bdb, &h); err != nil {
		t.Fatal(err)
	}
	if got := eventKinds(t, p.ID, held.ID); len(got) != 0 {
		t.Errorf("a held comment hidden made events %v", got)
	}

	if err := db.ShowComment(ctx, bdb, &db.Comment{ID: reply.ID}); !errors.Is(err, db.ErrNotHidden) {
		t.Errorf("showing a reply under a hidden comment: %v, want ErrNotHidden", err)
	}
	if err := db.ShowComment(ctx, bdb, &db.Comment{ID: top.ID}); err != nil {
		t.Fatal(err)
	}
	if got := eventKinds(t, p.ID, top.ID); len(got) != 3 || got[2] != db.EventNew {
		t.Errorf("events after showing again: %v", got)
	}
	if err := db.ShowComment(ctx, bdb, &db.Comment{ID: reply.ID}); err != nil {
		t.Errorf("showing the reply once its comment is back: %v", err)
	}
}

// Removing a comment that was never public deletes it; one that was public
// keeps an empty hidden row behind its events, and is out of every list.
func TestRemoveComment(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("removed", "Removed", "Body.", at(1)))
	held := newComment(p.ID, "Spam", "Buy now", nil)
	held.Status = db.CommentHeld
	addComment(t, held)
	public := addComment(t, newComment(p.ID, "Ann", "Regret this", nil))

	if err := db.RemoveComment(ctx, bdb, held.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CommentByID(ctx, bdb, p.ID, held.ID); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("the held comment is still there: %v", err)
	}
	if err := db.RemoveComment(ctx, bdb, public.ID); err != nil {
		t.Fatal(err)
	}
	c := statusOf(t, p.ID, public.ID)
	if c.Status != db.CommentHidden || c.BodyMD != "" || c.BodyHTML != "" || c.DeletedAt == nil {
		t.Errorf("removed public comment: %+v", c)
	}
	if got := eventKinds(t, p.ID, public.ID); len(got) != 2 || got[1] != db.EventUpdate {
		t.Errorf("events: %v, want new, update", got)
	}
	hidden, err := db.RecentComments(ctx, bdb, db.CommentHidden, 10)
	if err != nil || len(hidden) != 0 {
		t.Errorf("hidden list %v, %v: want none (nothing left to read)", hidden, err)
	}
	if err := db.RemoveComment(ctx, bdb, held.ID); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("removing a missing comment: %v", err)
	}
}

// The queue lists held comments oldest first, with what they reply to and
// whether their writer is blocked; blocks are by address hash.
func TestModerationQueueAndBlocks(t *testing.T) {
	emptyPosts(t)
	dbtest.Truncate(t, "comment_blocks")
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("queue", "Queue", "Body.", at(1)))
	top := addComment(t, newComment(p.ID, "Ann", "Question", nil))
	first := newComment(p.ID, "Bob", "First held", &top.ID)
	first.Status = db.CommentHeld
	addComment(t, first)
	second := newComment(p.ID, "Cat", "Second held", nil)
	second.Status = db.CommentHeld
	addComment(t, second)

	if err := db.BlockCommenter(ctx, bdb, second.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.BlockCommenter(ctx, bdb, second.ID); err != nil {
		t.Errorf("blocking twice: %v", err)
	}
	if err := db.BlockCommenter(ctx, bdb, 1<<40); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("blocking from a missing comment: %v", err)
	}
	q, err := db.ModerationQueue(ctx, bdb, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].ID != first.ID || q[1].ID != second.ID {
		t.Fatalf("queue %+v, want Bob's then Cat's", q)
	}
	if q[0].ParentName != "Ann" || q[0].ParentBody != "Question" || q[0].PostSlug != "queue" || q[0].Blocked {
		t.Errorf("first in the queue: %+v", q[0])
	}
	if !q[1].Blocked {
		t.Error("Cat is blocked, the queue does not say so")
	}
	if blocked, err := db.IsBlocked(ctx, bdb, second.IPHash); err != nil || !blocked {
		t.Errorf("IsBlocked = %v, %v", blocked, err)
	}
	bs, err := db.CommentBlocks(ctx, bdb)
	if err != nil || len(bs) != 1 || bs[0].Name != "Cat" || bs[0].CommentID == nil || *bs[0].CommentID != second.ID {
		t.Fatalf("blocks %+v, %v", bs, err)
	}
	if err := db.Unblock(ctx, bdb, bs[0].ID); err != nil {
		t.Fatal(err)
	}
	if blocked, _ := db.IsBlocked(ctx, bdb, second.IPHash); blocked {
		t.Error("still blocked after unblocking")
	}
	if err := db.Unblock(ctx, bdb, bs[0].ID); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("unblocking twice: %v", err)
	}
}

// Saving the details makes them real (no example flag) and keeps the
// moderation mode; the mode is set on its own, even before any details.
func TestSaveBusiness(t *testing.T) {
	dbtest.Truncate(t, "business_settings")
	ctx := context.Background()
	bdb := dbtest.DB(t)
	if err := db.SetCommentModeration(ctx, bdb, "sometimes"); !errors.Is(err, db.ErrUnknownModeration) {
		t.Errorf("unknown mode: %v", err)
	}
	if err := db.SetCommentModeration(ctx, bdb, db.ModerationFirst); err != nil {
		t.Fatal(err)
	}
	b, err := db.GetBusiness(ctx, bdb)
	if err != nil || b.CommentModeration != db.ModerationFirst || b.Name != db.KnownBusiness.Name {
		t.Fatalf("after setting the mode: %+v, %v", b, err)
	}
	if _, err := bdb.NewRaw("UPDATE business_settings SET is_example = true").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	b.Name, b.Phone, b.Postcode, b.CommentModeration = "Dynamic Motion", "01480 123456", "PE27 5AB", db.ModerationOff
	if err := db.SaveBusiness(ctx, bdb, b); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetBusiness(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Dynamic Motion" || got.Phone != "01480 123456" || got.Postcode != "PE27 5AB" || got.IsExample {
		t.Errorf("saved %+v", got)
	}
	if got.CommentModeration != db.ModerationFirst {
		t.Errorf("moderation %q, want first: saving details keeps the mode", got.CommentModeration)
	}
}
