package handlers

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
)

// How many comments each list of the moderation page shows.
const (
	queueShown  = 50
	recentShown = 20
)

// moderationModes are the choices of the moderation setting, in order.
var moderationModes = []moderationMode{
	{db.ModerationOff, "Off", "Comments appear at once (blocked commenters' still wait for you)."},
	{db.ModerationFirst, "First-time commenters", "A person's first comment waits for you; once one is approved, the next appear at once."},
	{db.ModerationAll, "All comments", "Every comment waits for you."},
}

type moderationMode struct{ Value, Label, Hint string }

// moderationNotices are the messages shown after an action (?done=).
var moderationNotices = map[string]string{
	"approved":  "Approved: the comment is on the article now.",
	"hidden":    "Hidden: nobody sees the comment now (its replies are hidden with it).",
	"shown":     "Shown again on the article.",
	"deleted":   "Deleted for good.",
	"blocked":   "Blocked: this commenter's new comments will wait for you, whatever the setting.",
	"unblocked": "Unblocked.",
	"mode":      "Saved the moderation setting.",
	"gone":      "That comment had already been moderated (in another tab?). Here is the page as it is now.",
}

type moderationData struct {
	Mode   string
	Modes  []moderationMode
	Queue  []moderationItem
	Held   int // all the comments waiting, when more than Queue shows
	Recent []moderationItem
	Newest bool // Recent is the newest visible comments, not the most helpful (?visible=newest)
	Hidden []moderationItem
	Blocks []db.CommentBlock
	Notice string
	Errors map[string]string
}

// moderationItem is one comment in a list of the moderation page: State
// (held, visible or hidden) decides what she can do with it.
type moderationItem struct {
	Comment db.ModeratedComment
	State   string
	Parent  string // the start of the comment it replies to
}

// moderationItems lists comments cs, all in state, for the page.
func moderationItems(cs []db.ModeratedComment, state string) []moderationItem {
	items := make([]moderationItem, len(cs))
	for i, c := range cs {
		items[i] = moderationItem{Comment: c, State: state, Parent: excerpt(c.ParentBody, 140)}
	}
	return items
}

// excerpt is the start of s, at most n characters, cut at a space.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// moderationDone is the htmx answer to an action on one comment: a line in
// its place saying what became of it.
type moderationDone struct {
	ID      int64
	Message string
}

// showModeration is GET /admin/comments: the comments awaiting approval
// (oldest first), the latest visible and hidden ones, the moderation
// setting and the blocked commenters.
func (h *Handler) showModeration(c echo.Context) error {
	d := moderationData{Notice: moderationNotices[c.QueryParam("done")]}
	return h.renderModeration(c, http.StatusOK, d)
}

func (h *Handler) renderModeration(c echo.Context, status int, d moderationData) error {
	ctx := c.Request().Context()
	b, err := db.GetBusiness(ctx, h.db)
	if err != nil {
		return err
	}
	if d.Mode == "" {
		d.Mode = b.CommentModeration
	}
	d.Modes = moderationModes
	queue, err := db.ModerationQueue(ctx, h.db, queueShown)
	if err != nil {
		return err
	}
	if d.Held, _, err = db.CommentsAwaiting(ctx, h.db, 0); err != nil {
		return err
	}
	// The most helpful first, unless she asks for the newest.
	d.Newest = c.QueryParam("visible") == "newest"
	recent, err := db.MostHelpfulComments(ctx, h.db, recentShown)
	if d.Newest {
		recent, err = db.RecentComments(ctx, h.db, db.CommentVisible, recentShown)
	}
	if err != nil {
		return err
	}
	hidden, err := db.RecentComments(ctx, h.db, db.CommentHidden, recentShown)
	if err != nil {
		return err
	}
	d.Queue = moderationItems(queue, db.CommentHeld)
	d.Recent = moderationItems(recent, db.CommentVisible)
	d.Hidden = moderationItems(hidden, db.CommentHidden)
	if d.Blocks, err = db.CommentBlocks(ctx, h.db); err != nil {
		return err
	}
	p, err := h.adminPage(c, "Comments", d)
	if err != nil {
		return err
	}
	return h.render(c, status, "admin-comments", "", p)
}

// setModerationMode is POST /admin/comments/mode: how new comments are
// moderated, from now on.
func (h *Handler) setModerationMode(c echo.Context) error {
	mode := c.FormValue("mode")
	switch err := db.SetCommentModeration(c.Request().Context(), h.db, mode); {
	case errors.Is(err, db.ErrUnknownModeration):
		return h.renderModeration(c, http.StatusUnprocessableEntity, moderationData{
			Errors: map[string]string{"mode": "Please choose one of the three settings."}})
	case err != nil:
		return err
	}
	h.contentChanged() // the mode is part of the business settings; the comment form tells it
	return moderationRedirect(c, "mode")
}

// approveComment is POST /admin/comments/:id/approve: a held comment goes
// on its article (live for open pages), and the mail it causes (its
// author's confirmation, reply notifications) is queued in the same
// transaction.
func (h *Handler) approveComment(c echo.Context) error {
	return h.moderate(c, "approved", func(ctx context.Context, id int64) error {
		cm := db.Comment{ID: id}
		return h.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := db.ApproveComment(ctx, tx, &cm); err != nil {
				return err
			}
			return h.jobs.CommentApproved(ctx, tx, cm)
		})
	})
}

// hideComment is POST /admin/comments/:id/hide: a visible or held comment
// is hidden from everyone; open pages drop it at once.
func (h *Handler) hideComment(c echo.Context) error {
	return h.moderate(c, "hidden", func(ctx context.Context, id int64) error {
		return db.HideComment(ctx, h.db, &db.Comment{ID: id})
	})
}

// unhideComment is POST /admin/comments/:id/show: a hidden comment is
// visible again.
func (h *Handler) unhideComment(c echo.Context) error {
	return h.moderate(c, "shown", func(ctx context.Context, id int64) error {
		return db.ShowComment(ctx, h.db, &db.Comment{ID: id})
	})
}

// removeComment is POST /admin/comments/:id/delete: the comment is deleted
// for good (see db.RemoveComment).
func (h *Handler) removeComment(c echo.Context) error {
	return h.moderate(c, "deleted", func(ctx context.Context, id int64) error {
		return db.RemoveComment(ctx, h.db, id)
	})
}

// blockCommenter is POST /admin/comments/:id/block: the address comment :id
// came from is blocked.
func (h *Handler) blockCommenter(c echo.Context) error {
	return h.moderate(c, "blocked", func(ctx context.Context, id int64) error {
		return db.BlockCommenter(ctx, h.db, id)
	})
}

// unblockCommenter is POST /admin/comments/blocks/:id/delete.
func (h *Handler) unblockCommenter(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := db.Unblock(c.Request().Context(), h.db, id); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return moderationRedirect(c, "unblocked")
}

// moderate runs one action on comment :id and answers: with htmx, a line
// in the comment's place; without, the page again (POST, redirect, GET).
// A comment moderated meanwhile (another tab, another device) is not an
// error: she is shown the page as it is now.
func (h *Handler) moderate(c echo.Context, done string, act func(context.Context, int64) error) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	switch err := act(c.Request().Context(), id); {
	case errors.Is(err, db.ErrNotHeld), errors.Is(err, db.ErrNotVisible), errors.Is(err, db.ErrNotHidden),
		errors.Is(err, sql.ErrNoRows):
		done = "gone"
	case err != nil:
		return err
	}
	h.commentsChanged()
	if isFragment(c) {
		return h.renderFragment(c, http.StatusOK, "admin-comments#moderation-done",
			moderationDone{ID: id, Message: moderationNotices[done]})
	}
	return moderationRedirect(c, done)
}

// moderationRedirect goes back to the moderation page with a notice.
func moderationRedirect(c echo.Context, done string) error {
	return c.Redirect(http.StatusSeeOther, adminPath+"/comments?done="+done)
}
