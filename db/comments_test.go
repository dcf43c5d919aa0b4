package db_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

func newComment(postID int64, name, body string, parent *int64) *db.Comment {
	return &db.Comment{
		PostID: postID, ParentID: parent, Name: name, BodyMD: body, BodyHTML: "<p>" + body + "</p>",
		Status: db.CommentVisible, AuthorHash: []byte("author-" + name), IPHash: []byte("ip-" + name),
	}
}

func addComment(t *testing.T, c *db.Comment) *db.Comment {
	t.Helper()
	if err := db.AddComment(context.Background(), dbtest.DB(t), c); err != nil {
		t.Fatalf("AddComment: %v", err)
	}
	return c
}

// A visible comment is saved with its event and a notification in one
// transaction; a held one has neither; replies are one level deep.
func TestAddCommentEventsAndReplies(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("commented", "Commented", "Body.", at(1)))
	other := save(t, article("other-post", "Other", "Body.", at(2)))

	notes := listen(t, bdb, db.CommentsChannel)
	first := addComment(t, newComment(p.ID, "Ann", "First!", nil))
	select {
	case n := <-notes:
		ids, _ := db.CommentEventsSince(ctx, bdb, p.ID, 0, 10)
		if len(ids) != 1 || n.Payload != itoa(ids[0]) {
			t.Errorf("notification %q, events %v: want the one event's id", n.Payload, ids)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no notification for a visible comment")
	}

	reply := addComment(t, newComment(p.ID, "Bob", "Agreed", &first.ID))
	replyToReply := addComment(t, newComment(p.ID, "Cat", "Me too", &reply.ID))
	if replyToReply.ParentID == nil || *replyToReply.ParentID != first.ID {
		t.Errorf("a reply to a reply has parent %v, want the top-level comment %d", replyToReply.ParentID, first.ID)
	}
	for _, parent := range []int64{999999} {
		if err := db.AddComment(ctx, bdb, newComment(p.ID, "Dan", "?", &parent)); !errors.Is(err, db.ErrNoParent) {
			t.Errorf("reply to a missing comment: %v, want ErrNoParent", err)
		}
	}
	if err := db.AddComment(ctx, bdb, newComment(other.ID, "Dan", "?", &first.ID)); !errors.Is(err, db.ErrNoParent) {
		t.Errorf("reply to another post's comment: %v, want ErrNoParent", err)
	}

	held := newComment(p.ID, "Eve", "Wait for me", nil)
	held.Status = db.CommentHeld
	addComment(t, held)
	ids, err := db.CommentEventsSince(ctx, bdb, p.ID, 0, 10)
	if err != nil || len(ids) != 3 {
		t.Fatalf("events %v (%v): want 3 (the held comment has none)", ids, err)
	}
	evs, err := db.CommentEvents(ctx, bdb, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[2].Comment.Name != "Cat" || evs[2].Kind != db.EventNew || evs[2].Count != 3 ||
		evs[0].Comment.BodyHTML != "<p>First!</p>" || evs[0].PostID != p.ID {
		t.Errorf("events = %+v", evs)
	}

	shown, err := db.PostComments(ctx, bdb, p.ID)
	if err != nil || len(shown) != 3 {
		t.Fatalf("PostComments: %d (%v), want 3 (not the held one)", len(shown), err)
	}
	mine, err := db.HeldComments(ctx, bdb, p.ID, []byte("author-Eve"))
	if err != nil || len(mine) != 1 {
		t.Errorf("the author's held comments: %d (%v), want 1", len(mine), err)
	}
	if theirs, _ := db.HeldComments(ctx, bdb, p.ID, []byte("author-Ann")); len(theirs) != 0 {
		t.Errorf("someone else sees %d held comments, want 0", len(theirs))
	}
}

// Edits and deletions are events too; a deleted comment keeps its place
// without its text.
func TestEditAndDeleteComment(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("edited", "Edited", "Body.", at(1)))
	c := addComment(t, newComment(p.ID, "Ann", "Tpyo", nil))
	if err := db.EditComment(ctx, bdb, c, "Typo", "<p>Typo</p>", false); err != nil {
		t.Fatal(err)
	}
	if c.EditedAt == nil || c.BodyMD != "Typo" {
		t.Errorf("after an edit: %+v", c)
	}
	if err := db.DeleteComment(ctx, bdb, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.CommentByID(ctx, bdb, p.ID, c.ID)
	if err != nil || got.Status != db.CommentDeleted || got.BodyMD != "" || got.BodyHTML != "" || got.DeletedAt == nil {
		t.Errorf("after deleting: %+v (%v)", got, err)
	}
	if err := db.EditComment(ctx, bdb, c, "Back", "<p>Back</p>", false); err == nil {
		t.Error("editing a deleted comment succeeded")
	}
	ids, _ := db.CommentEventsSince(ctx, bdb, p.ID, 0, 10)
	evs, _ := db.CommentEvents(ctx, bdb, ids)
	if len(evs) != 3 || evs[1].Kind != db.EventUpdate || evs[2].Kind != db.EventUpdate || evs[2].Count != 0 {
		t.Errorf("events after add, edit, delete = %+v", evs)
	}
	if _, err := db.CommentByID(ctx, bdb, p.ID+1000, c.ID); err == nil {
		t.Error("CommentByID found a comment under another post")
	}

	// An edit that must be approved again takes the comment off the page
	// (readers hear of it); a held comment's edits and deletion concern
	// no reader.
	c2 := addComment(t, newComment(p.ID, "Bea", "Fine words", nil))
	if err := db.EditComment(ctx, bdb, c2, "Spam", "<p>Spam</p>", true); err != nil || c2.Status != db.CommentHeld {
		t.Fatalf("an edit to hold: status %s, %v; want held", c2.Status, err)
	}
	if err := db.EditComment(ctx, bdb, c2, "Fine again", "<p>Fine again</p>", false); err != nil || c2.Status != db.CommentHeld {
		t.Errorf("a held comment's edit: status %s, %v; want still held", c2.Status, err)
	}
	if err := db.DeleteComment(ctx, bdb, c2); err != nil || c2.Status != db.CommentDeleted {
		t.Errorf("deleting a held comment: status %s, %v", c2.Status, err)
	}
	ids, _ = db.CommentEventsSince(ctx, bdb, p.ID, 0, 10)
	evs, _ = db.CommentEvents(ctx, bdb, ids)
	if len(evs) != 5 || evs[4].Comment.ID != c2.ID || evs[4].Kind != db.EventUpdate || evs[4].Comment.Status != db.CommentDeleted {
		t.Errorf("events for Bea's comment: want its addition and the edit that held it only; got %+v", evs[3:])
	}
}

// "First comment" moderation: a person (by their commenter key) with a
// comment let through before is not held again; someone else at the same
// address is.
func TestHasApprovedComment(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("approved", "Approved", "Body.", at(1)))
	held := newComment(p.ID, "New", "Hello", nil)
	held.Status = db.CommentHeld
	addComment(t, held)
	addComment(t, newComment(p.ID, "Old", "Hi", nil))
	for author, want := range map[string]bool{
		"author-Old": true,  // let through before
		"author-New": false, // only a held comment
		"author-x":   false, // never commented (whatever address they share)
	} {
		got, err := db.HasApprovedComment(ctx, bdb, []byte(author))
		if err != nil || got != want {
			t.Errorf("HasApprovedComment(%s) = %v, %v; want %v", author, got, err, want)
		}
	}
}

// A site key is made once and then the same for every caller.
func TestSiteKey(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	a, err := db.SiteKey(ctx, bdb, "test-key")
	if err != nil || len(a) != 32 {
		t.Fatalf("SiteKey: %x, %v", a, err)
	}
	b, _ := db.SiteKey(ctx, bdb, "test-key")
	c, _ := db.SiteKey(ctx, bdb, "other-key")
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("keys: %x %x %x; want the same key for the same name, another for another", a, b, c)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// listen returns the notifications on channels, once the LISTEN is known to
// be in force. pgdriver's Listener.Listen writes LISTEN without waiting for
// the server's answer, so a NOTIFY committed just after it returned can be
// missed. As live.Hub does, listen also LISTENs a private channel and NOTIFYs
// it (again, less and less often) until one comes back: the server handles
// a connection's commands in order, so the LISTEN on channels is then in
// force. The private channel's notifications are left out of the returned
// channel. The listener is closed when the test ends.
func listen(t *testing.T, bdb *bun.DB, channels ...string) <-chan pgdriver.Notification {
	t.Helper()
	ctx := context.Background()
	var b [8]byte
	rand.Read(b[:])
	private := "test_ready_" + hex.EncodeToString(b[:])
	ln := pgdriver.NewListener(bdb)
	if err := ln.Listen(ctx, append(slices.Clone(channels), private)...); err != nil {
		ln.Close()
		t.Fatalf("LISTEN: %v", err)
	}
	notes := ln.Channel()
	out := make(chan pgdriver.Notification, 100)
	confirmed := make(chan struct{})
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		defer close(out)
		for n := range notes {
			if n.Channel == private {
				select {
				case <-confirmed:
				default:
					close(confirmed)
				}
				continue
			}
			select {
			case out <- n:
			case <-done:
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		<-stopped
	})
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	resend := time.NewTimer(0)
	defer resend.Stop()
	for every := 10 * time.Millisecond; ; {
		select {
		case <-confirmed:
			return out
		case <-resend.C:
			if err := pgdriver.Notify(ctx, bdb, private, ""); err != nil {
				t.Fatalf("NOTIFY: %v", err)
			}
			resend.Reset(every)
			every = min(2*every, 500*time.Millisecond)
		case <-deadline.C:
			t.Fatal("the LISTEN was not confirmed within 5s")
		}
	}
}

// What a reader missed is one row per comment, in the order of the
// comment's first missed event (a reply after its parent, even when the
// parent changed later), saying whether the reader's page has it; the
// comments come as they are now, with the post's count and their replies.
func TestCommentChangesSince(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("changes", "Changes", "Body.", at(1)))
	other := save(t, article("other-changes", "Other", "Body.", at(2)))
	old := addComment(t, newComment(p.ID, "Ann", "On the page", nil))
	after, _ := db.LastCommentEvent(ctx, bdb)

	parent := addComment(t, newComment(p.ID, "Bob", "New", nil))
	reply := addComment(t, newComment(p.ID, "Cat", "A reply", &parent.ID))
	for i := range 5 {
		if err := db.EditComment(ctx, bdb, parent, "Edit "+itoa(int64(i)), "<p>Edit "+itoa(int64(i))+"</p>", false); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.EditComment(ctx, bdb, old, "Changed", "<p>Changed</p>", false); err != nil {
		t.Fatal(err)
	}
	addComment(t, newComment(other.ID, "Dan", "Elsewhere", nil))
	last, _ := db.LastCommentEvent(ctx, bdb)

	cs, err := db.CommentChangesSince(ctx, bdb, p.ID, after, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("changes = %+v, want 3 (one per comment of the post)", cs)
	}
	for i, want := range []struct {
		id  int64
		new bool
	}{{parent.ID, true}, {reply.ID, true}, {old.ID, false}} {
		if cs[i].CommentID != want.id || cs[i].New != want.new || cs[i].First > cs[i].Last {
			t.Errorf("change %d = %+v, want comment %d new %v", i, cs[i], want.id, want.new)
		}
	}
	if cs[0].Last <= cs[1].First || cs[2].Last != last-1 {
		t.Errorf("first/last ids %+v: the parent's last edit comes after the reply, the old comment's edit is the post's newest", cs)
	}
	if limited, _ := db.CommentChangesSince(ctx, bdb, p.ID, after, 2); len(limited) != 2 {
		t.Errorf("limit 2 gave %d rows", len(limited))
	}
	if none, _ := db.CommentChangesSince(ctx, bdb, p.ID, last, 10); len(none) != 0 {
		t.Errorf("after the newest event: %+v", none)
	}

	states, err := db.CommentStates(ctx, bdb, p.ID, []int64{reply.ID, parent.ID, 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[0].Comment.ID != parent.ID || states[0].Comment.BodyHTML != "<p>Edit 4</p>" ||
		states[0].Replies != 1 || states[0].Count != 3 || states[1].Comment.ParentID == nil {
		t.Errorf("states = %+v, want the parent as last edited (1 reply, 3 on the post), then the reply", states)
	}
	if st, _ := db.CommentStates(ctx, bdb, other.ID, []int64{parent.ID}); len(st) != 0 {
		t.Errorf("another post's states include this post's comment: %+v", st)
	}
}

// Pruning deletes the events older than the window but the newest of
// those, so that what is left runs on from what went; the oldest kept is
// what a reader must have seen to catch up.
func TestPruneCommentEvents(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("pruned", "Pruned", "Body.", at(1)))
	c := addComment(t, newComment(p.ID, "Ann", "Old", nil))
	for range 3 {
		if err := db.EditComment(ctx, bdb, c, "Older", "<p>Older</p>", false); err != nil {
			t.Fatal(err)
		}
	}
	oldLast, _ := db.LastCommentEvent(ctx, bdb)
	if _, err := bdb.NewRaw("UPDATE comment_events SET created_at = now() - interval '2 hours'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	recent := addComment(t, newComment(p.ID, "Bob", "Recent", nil))
	_ = recent

	n, err := db.PruneCommentEvents(ctx, bdb, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	oldest, _ := db.OldestCommentEvent(ctx, bdb)
	if n < 3 || oldest != oldLast {
		t.Errorf("pruned %d, oldest kept %d: want the old events gone but the newest of them (%d)", n, oldest, oldLast)
	}
	if n, _ := db.PruneCommentEvents(ctx, bdb, time.Hour); n != 0 {
		t.Errorf("pruning again deleted %d", n)
	}

	// Even when every event is old, the newest stays.
	if _, err := bdb.NewRaw("UPDATE comment_events SET created_at = now() - interval '2 hours'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PruneCommentEvents(ctx, bdb, time.Hour); err != nil {
		t.Fatal(err)
	}
	last, _ := db.LastCommentEvent(ctx, bdb)
	if oldest, _ := db.OldestCommentEvent(ctx, bdb); oldest != last || last == 0 {
		t.Errorf("after pruning everything old: oldest %d, newest %d, want the newest kept alone", oldest, last)
	}

	// A visible comment whose events are gone is still taken off open
	// pages when the therapist removes it: it is hidden, with an event,
	// not deleted without a word.
	if err := db.RemoveComment(ctx, bdb, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.CommentByID(ctx, bdb, p.ID, c.ID)
	if err != nil || got.Status != db.CommentHidden {
		t.Errorf("a removed visible comment without events: %+v (%v), want kept as hidden", got, err)
	}
	if cs, _ := db.CommentChangesSince(ctx, bdb, p.ID, last, 10); len(cs) != 1 || cs[0].CommentID != c.ID {
		t.Errorf("events after removing it: %+v, want its update", cs)
	}
}

// CommentThreads pages whole threads, newest first: each page has at least
// size comments unless it is the oldest, a thread's replies stay with it,
// a deleted comment is there only for its replies, and earlier leads to the
// next page until none is left.
func TestCommentThreadsPagesWholeThreads(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("paged", "Paged", "Body.", at(1)))
	var want []int64
	for i := range 12 {
		top := addComment(t, newComment(p.ID, "Top"+strconv.Itoa(i), "Top", nil))
		want = append(want, top.ID)
		for j := range i % 3 { // threads of 1, 2 and 3 comments
			want = append(want, addComment(t, newComment(p.ID, "Re"+strconv.Itoa(j), "Reply", &top.ID)).ID)
		}
	}
	gone := addComment(t, newComment(p.ID, "Gone", "Deleted, no replies", nil))
	if err := db.DeleteComment(ctx, bdb, gone); err != nil {
		t.Fatal(err)
	}
	kept := addComment(t, newComment(p.ID, "Kept", "Deleted, with a reply", nil))
	want = append(want, kept.ID, addComment(t, newComment(p.ID, "Re", "Reply", &kept.ID)).ID)
	if err := db.DeleteComment(ctx, bdb, kept); err != nil {
		t.Fatal(err)
	}

	var got []int64
	before := int64(0)
	for pages := 0; ; pages++ {
		cs, earlier, err := db.CommentThreads(ctx, bdb, p.ID, before, 5)
		if err != nil {
			t.Fatal(err)
		}
		if earlier != 0 && len(cs) < 5 {
			t.Errorf("page %d has %d comments and more before it, want at least 5", pages+1, len(cs))
		}
		var ids []int64
		tops := map[int64]bool{}
		for _, c := range cs {
			ids = append(ids, c.ID)
			if c.ParentID == nil {
				tops[c.ID] = true
			} else if !tops[*c.ParentID] {
				t.Errorf("reply %d is on a page without its comment %d", c.ID, *c.ParentID)
			}
			if c.ID == gone.ID {
				t.Error("a deleted comment without replies is on a page")
			}
		}
		got = append(ids, got...)
		if earlier == 0 {
			break
		}
		if pages > 20 {
			t.Fatal("the pages go on for ever")
		}
		before = earlier
	}
	if !slices.Equal(got, want) {
		t.Errorf("the pages show %v, want %v", got, want)
	}
	if n, err := db.CommentCount(ctx, bdb, p.ID); err != nil || n != len(want)-1 { // the deleted one is a placeholder
		t.Errorf("CommentCount = %d (%v), want %d", n, err, len(want)-1)
	}
}
