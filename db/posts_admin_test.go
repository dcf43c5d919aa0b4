package db_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// commentWith adds a comment with status to post id.
func commentWith(t *testing.T, postID int64, status string) {
	t.Helper()
	c := db.Comment{PostID: postID, Name: "Reader", BodyMD: "Thanks", BodyHTML: "<p>Thanks</p>",
		Status: status, AuthorHash: []byte("a"), IPHash: []byte("i")}
	if err := db.AddComment(context.Background(), dbtest.DB(t), &c); err != nil {
		t.Fatalf("AddComment: %v", err)
	}
}

// The therapist's list has every post, drafts and scheduled ones too,
// newest first, with the number of comments readers can see.
func TestAllPostsListsEveryStatusNewestFirst(t *testing.T) {
	emptyPosts(t)
	old := save(t, article("old-post", "Old", "Body.", at(1)))
	future := time.Now().Add(48 * time.Hour)
	scheduled := article("scheduled-post", "Scheduled", "Body.", &future)
	scheduled.Status = db.StatusScheduled
	save(t, scheduled)
	draft := article("draft-post", "Draft", "Body.", nil)
	draft.Status = db.StatusDraft
	save(t, draft)
	commentWith(t, old.ID, db.CommentVisible)
	commentWith(t, old.ID, db.CommentVisible)
	commentWith(t, old.ID, db.CommentHeld)

	posts, err := db.AllPosts(context.Background(), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, p := range posts {
		slugs = append(slugs, p.Slug)
		if p.Slug == "old-post" && p.Comments != 2 {
			t.Errorf("old-post has %d comments, want the 2 visible ones", p.Comments)
		}
		if p.Status == "" || p.CreatedAt.IsZero() {
			t.Errorf("%s lacks its status or creation time: %+v", p.Slug, p.Post)
		}
	}
	if want := []string{"scheduled-post", "draft-post", "old-post"}; !slices.Equal(slugs, want) {
		t.Errorf("AllPosts = %v, want %v", slugs, want)
	}
}

// A new post may not take a slug that another post has, or had (its old
// links lead there).
func TestCreatePostRefusesTakenSlugs(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	p := save(t, article("first-name", "A post", "Body.", at(1)))
	if err := db.RenamePost(ctx, bdb, p.ID, "second-name"); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"second-name", "first-name"} {
		n := article(slug, "New", "Body.", nil)
		n.Status = db.StatusDraft
		if err := db.CreatePost(ctx, bdb, &n); !errors.Is(err, db.ErrSlugTaken) {
			t.Errorf("CreatePost(%s) = %v, want ErrSlugTaken", slug, err)
		}
	}
	n := article("third-name", "New", "Body.", nil)
	n.Status, n.Tags = db.StatusDraft, nil
	if err := db.CreatePost(ctx, bdb, &n); err != nil || n.ID == 0 || n.CreatedAt.IsZero() {
		t.Fatalf("CreatePost = %v, id %d", err, n.ID)
	}
	got, err := db.PostByID(ctx, bdb, n.ID)
	if err != nil || got.Slug != "third-name" || got.Status != db.StatusDraft {
		t.Errorf("PostByID = %+v, %v", got, err)
	}
	if _, err := db.PostByID(ctx, bdb, n.ID+1000); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("PostByID(unknown) = %v, want sql.ErrNoRows", err)
	}
}

// Renaming a public post keeps its old slug as a redirect; a draft that
// nobody could read simply moves. Likes and views survive an edit, and the
// update time only moves when something changed.
func TestUpdatePost(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	pub := save(t, article("public-post", "Public", "Body.", at(1)))
	if _, err := db.AddLike(ctx, bdb, pub.ID); err != nil {
		t.Fatal(err)
	}
	draft := article("draft-post", "Draft", "Body.", nil)
	draft.Status = db.StatusDraft
	draft = save(t, draft)
	other := save(t, article("other-post", "Other", "Body.", at(2)))

	before, _ := db.PostByID(ctx, bdb, pub.ID)
	same := before
	if err := db.UpdatePost(ctx, bdb, &same, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !same.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("saving without a change moved the update time from %v to %v", before.UpdatedAt, same.UpdatedAt)
	}

	pub.Slug, pub.Title = "public-post-renamed", "Public, renamed"
	if err := db.UpdatePost(ctx, bdb, &pub, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err := db.PostBySlug(ctx, bdb, "public-post")
	if !errors.Is(err, db.ErrMoved) || got.Slug != "public-post-renamed" {
		t.Errorf("the old slug of a public post: %q, %v; want a redirect to the new one", got.Slug, err)
	}
	now, _ := db.PostByID(ctx, bdb, pub.ID)
	if now.Title != "Public, renamed" || now.Likes != 1 || !now.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("after the edit: title %q, likes %d, updated %v (was %v)", now.Title, now.Likes, now.UpdatedAt, before.UpdatedAt)
	}

	draft.Slug = "draft-post-renamed"
	if err := db.UpdatePost(ctx, bdb, &draft, time.Time{}); err != nil {
		t.Fatal(err)
	}
	draft.Slug = "draft-post" // and back: its own former slug is free for it
	if err := db.UpdatePost(ctx, bdb, &draft, time.Time{}); err != nil {
		t.Fatalf("taking a draft's own earlier slug back: %v", err)
	}
	n := article("draft-post-renamed", "New", "Body.", nil)
	n.Status = db.StatusDraft
	if err := db.CreatePost(ctx, bdb, &n); err != nil {
		t.Errorf("a draft's earlier slug stays reserved: %v", err)
	}

	for _, slug := range []string{"public-post-renamed", "public-post"} {
		other.Slug = slug
		if err := db.UpdatePost(ctx, bdb, &other, time.Time{}); !errors.Is(err, db.ErrSlugTaken) {
			t.Errorf("UpdatePost to %s = %v, want ErrSlugTaken", slug, err)
		}
	}
	missing := article("missing-post", "Missing", "Body.", at(3))
	missing.ID = pub.ID + 1000
	if err := db.UpdatePost(ctx, bdb, &missing, time.Time{}); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("UpdatePost(unknown id) = %v, want sql.ErrNoRows", err)
	}
}

// An edit made on an older save of the post is refused when the post was
// saved with other content since (another tab), and goes through when the
// newer save has this very content (the same save sent twice).
func TestUpdatePostSeesSavesFromElsewhere(t *testing.T) {
	emptyPosts(t)
	ctx := context.Background()
	bdb := dbtest.DB(t)
	opened, err := db.PostByID(ctx, bdb, save(t, article("two-tabs", "Two tabs", "First version.", at(1))).ID)
	if err != nil {
		t.Fatal(err)
	}

	tabA := opened
	tabA.BodyMD = "Tab A's version."
	if err := db.UpdatePost(ctx, bdb, &tabA, opened.UpdatedAt); err != nil {
		t.Fatalf("the first save from the opened version: %v", err)
	}
	twin := opened
	twin.BodyMD = "Tab A's version."
	if err := db.UpdatePost(ctx, bdb, &twin, opened.UpdatedAt); err != nil {
		t.Errorf("the same save sent again = %v, want success", err)
	}
	tabB := opened
	tabB.BodyMD = "Tab B's version."
	if err := db.UpdatePost(ctx, bdb, &tabB, opened.UpdatedAt); !errors.Is(err, db.ErrPostChanged) {
		t.Errorf("a save made on the version before tab A's = %v, want ErrPostChanged", err)
	}
	if got, _ := db.PostByID(ctx, bdb, opened.ID); got.BodyMD != "Tab A's version." {
		t.Errorf("after the refused save the body is %q, want tab A's", got.BodyMD)
	}
	latest, _ := db.PostByID(ctx, bdb, opened.ID)
	if err := db.UpdatePost(ctx, bdb, &tabB, latest.UpdatedAt); err != nil {
		t.Fatalf("saving again on the latest version: %v", err)
	}
	if got, _ := db.PostByID(ctx, bdb, opened.ID); got.BodyMD != "Tab B's version." {
		t.Errorf("after saving on the latest version the body is %q, want tab B's", got.BodyMD)
	}
}
