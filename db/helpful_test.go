package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// One Helpful per voter per comment: a second vote changes nothing, an
// undo takes only the voter's own, the count is kept on the comment, each
// change (and only a change) writes a count event with its notification,
// and a comment deleted for good takes its votes with it.
func TestVoteOncePerVoter(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("voted", "Voted", "Body.", at(1)))
	c := addComment(t, newComment(p.ID, "Ann", "Useful", nil))
	other := addComment(t, newComment(p.ID, "Bob", "Also", nil))
	ann, bob := []byte("voter-ann"), []byte("voter-bob")
	ip := []byte("ip")

	events := func() []int64 {
		t.Helper()
		var ids []int64
		if err := bdb.NewRaw("SELECT id FROM comment_events WHERE comment_id = ? AND kind = ? ORDER BY id", c.ID, db.EventCount).Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	notes := listen(t, bdb, db.CommentsChannel)
	vote := func(voter []byte, up bool, want int) {
		t.Helper()
		n, err := db.Vote(ctx, bdb, p.ID, c.ID, voter, ip, up)
		if err != nil || n != want {
			t.Fatalf("Vote(%s, %v) = %d, %v; want %d", voter, up, n, err, want)
		}
		var stored db.Comment
		if stored, err = db.CommentByID(ctx, bdb, p.ID, c.ID); err != nil || stored.Helpful != want {
			t.Fatalf("stored count %d (%v), want %d", stored.Helpful, err, want)
		}
	}
	vote(ann, true, 1)
	select {
	case n := <-notes:
		if ev := events(); len(ev) != 1 || n.Payload != itoa(ev[0]) {
			t.Errorf("notification %q, events %v: want the count event's id", n.Payload, ev)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no notification for a vote")
	}
	vote(ann, true, 1) // twice: once
	vote(bob, true, 2)
	vote(bob, false, 1) // undo: only Bob's
	vote(bob, false, 1) // again: nothing to undo
	if n := len(events()); n != 3 {
		t.Errorf("%d count events, want 3 (one per change)", n)
	}
	evs, err := db.CommentEvents(ctx, bdb, events())
	if err != nil || len(evs) != 3 || evs[2].Kind != db.EventCount || evs[2].Comment.Helpful != 1 {
		t.Errorf("CommentEvents = %+v, %v: want count events with the count now (1)", evs, err)
	}
	voted, err := db.VotedComments(ctx, bdb, p.ID, ann)
	if err != nil || !slices.Equal(voted, []int64{c.ID}) {
		t.Errorf("VotedComments(ann) = %v, %v; want [%d]", voted, err, c.ID)
	}
	if voted, _ := db.VotedComments(ctx, bdb, p.ID, bob); len(voted) != 0 {
		t.Errorf("VotedComments(bob) = %v, want none", voted)
	}
	if o, _ := db.CommentByID(ctx, bdb, p.ID, other.ID); o.Helpful != 0 {
		t.Errorf("the other comment counts %d, want 0", o.Helpful)
	}

	// Only visible comments of the post can be voted on.
	if _, err := db.Vote(ctx, bdb, p.ID+1000000, c.ID, bob, ip, true); !errors.Is(err, db.ErrNotVotable) {
		t.Errorf("a vote through another post: %v, want ErrNotVotable", err)
	}
	held := newComment(p.ID, "Cat", "Waiting", nil)
	held.Status = db.CommentHeld
	addComment(t, held)
	if _, err := db.Vote(ctx, bdb, p.ID, held.ID, bob, ip, true); !errors.Is(err, db.ErrNotVotable) {
		t.Errorf("a vote on a held comment: %v, want ErrNotVotable", err)
	}

	// Deleted for good (as with the post): its votes go too.
	if _, err := bdb.NewRaw("DELETE FROM comments WHERE id = ?", c.ID).Exec(ctx); err != nil {
		t.Fatalf("deleting the comment: %v", err)
	}
	var left int
	if err := bdb.NewRaw("SELECT count(*) FROM comment_votes WHERE comment_id = ?", c.ID).Scan(ctx, &left); err != nil || left != 0 {
		t.Errorf("%d votes left after the comment was deleted (%v), want 0", left, err)
	}
}

// Most helpful first: threads by their count, ties oldest first, replies
// in time order under their thread, paged by whole threads.
func TestHelpfulThreads(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("sorted", "Sorted", "Body.", at(1)))
	a := addComment(t, newComment(p.ID, "A", "a", nil))
	b := addComment(t, newComment(p.ID, "B", "b", nil))
	c := addComment(t, newComment(p.ID, "C", "c", nil))
	r1 := addComment(t, newComment(p.ID, "R1", "r1", &a.ID))
	r2 := addComment(t, newComment(p.ID, "R2", "r2", &a.ID))
	for _, v := range []string{"x", "y"} {
		if _, err := db.Vote(ctx, bdb, p.ID, c.ID, []byte(v), []byte("ip"), true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Vote(ctx, bdb, p.ID, r1.ID, []byte("x"), []byte("ip"), true); err != nil {
		t.Fatal(err)
	}
	ids := func(cs []db.Comment) []int64 {
		var out []int64
		for _, x := range cs {
			out = append(out, x.ID)
		}
		return out
	}
	cs, next, err := db.HelpfulThreads(ctx, bdb, p.ID, 0, 50)
	if want := []int64{c.ID, a.ID, r1.ID, r2.ID, b.ID}; err != nil || !slices.Equal(ids(cs), want) || next != 0 {
		t.Errorf("HelpfulThreads = %v, next %d, %v; want %v, next 0", ids(cs), next, err, want)
	}
	// Pages of at least two comments, in whole threads.
	cs, next, err = db.HelpfulThreads(ctx, bdb, p.ID, 0, 2)
	if want := []int64{c.ID, a.ID, r1.ID, r2.ID}; err != nil || !slices.Equal(ids(cs), want) || next != 2 {
		t.Errorf("page 1 = %v, next %d, %v; want %v, next 2", ids(cs), next, err, want)
	}
	cs, next, err = db.HelpfulThreads(ctx, bdb, p.ID, 2, 2)
	if want := []int64{b.ID}; err != nil || !slices.Equal(ids(cs), want) || next != 0 {
		t.Errorf("page 2 = %v, next %d, %v; want %v, next 0", ids(cs), next, err, want)
	}
}
