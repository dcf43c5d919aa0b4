package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/markdown"
)

// Limits of a comment.
const (
	maxNameLen     = 80
	maxBodyLen     = 5000
	maxLinks       = 3                // links per comment, against spam
	editWindow     = 10 * time.Minute // an author may edit or delete their comment this long
	minFillTime    = 2 * time.Second  // faster than this is a script, not a person
	maxFormAge     = 24 * time.Hour   // a form older than this is asked to be sent again
	commenterKey   = "commenter"      // session: the random key that owns a person's comments
	adminKey       = "admin_email"    // session: set when the therapist is logged in
	honeypotField  = "website"        // hidden from people; bots fill it in
	startedField   = "started"        // when the form was shown, signed
	commentsAnchor = "#comments"
)

// commentView is one comment as a page shows it.
type commentView struct {
	ID         int64
	Slug       string
	Name       string
	Body       template.HTML
	Created    time.Time
	Edited     bool
	ByPractice bool
	Deleted    bool // a placeholder: the author deleted it, replies remain
	Held       bool // waiting for approval (only its author sees it)
	Own        bool // this visitor may still edit or delete it
	Mine       bool // this visitor wrote it: its Helpful is a count, not a button
	IsReply    bool
	ParentID   int64
	OOB        bool // sent out of band: replaces the comment with its id
	Just       bool // its author's own, just posted: marked as theirs for a moment
	Replies    []commentView
	ReplyForm  *commentForm // a reply form opened under it (without JavaScript)
	Helpful    int          // how many found it helpful (comment_helpful.go)
	Voted      bool         // this visitor did
}

// commentsData is the comment section of an article.
type commentsData struct {
	Slug    string
	Count   int
	Threads []commentView
	// Rendered is Threads already rendered, the same for every visitor with
	// no comment of their own on the page and no reply form open (most
	// readers): made once per cached article, it saves rendering every
	// comment on every view. Empty: the page renders Threads.
	Rendered template.HTML
	shared   bool // Threads are those every such visitor sees
	// Earlier is the cursor of the next older page ("Earlier comments"), 0
	// when this page has the oldest; Older marks a page that is not the
	// newest (no live stream: new comments would not belong at its end).
	Earlier   int64
	Older     bool
	Form      commentForm
	LastEvent int64 // the live stream starts after this event
	// Sort is "helpful" when the page shows the most helpful threads
	// first (comment_helpful.go), from the From-th on; Next is the From of
	// the page after (0: none). Long offers that order (enough comments).
	Sort       string
	From, Next int
	Long       bool
}

// commentPage is how many comments a page of comments shows, at least,
// in whole threads (a thread's replies stay with it): the newest threads
// on the article, older ones behind "Earlier comments". 50 ordinary
// comments keep the page within its weight budget (pageweight_test.go),
// and a thread of any length costs a post the same.
const commentPage = 50

// commentsWant is which page of comments an article shows: the threads
// before the top-level comment before (0: the newest), or the page that has
// the thread of the top-level comment thread (a reply form open under it,
// replying to the comment to in that thread). posted is the comment its
// author was just sent back to, to be marked as theirs. helpful: the most
// helpful threads first, after from threads (?sort=helpful&from=).
type commentsWant struct {
	before, thread, to, posted int64
	helpful                    bool
	from                       int
}

// commentForm is the form for a new comment or a reply, with what was
// typed and what was wrong with it.
type commentForm struct {
	Slug       string
	FormID     string // element id of the form: "comment-form" or "reply-form-<id>"
	ParentID   int64
	ReplyTo    int64  // the comment replied to: the thread's first, or a reply in it
	ParentName string // the name of the person replied to
	Name       string
	Body       string
	Notify     bool   // "Email me replies" is ticked
	Email      string // where replies go, when Notify
	Errors     map[string]string
	Notice     string // a message about the whole form (too fast, too many, expired)
	Started    string
	OOB        bool            // sent out of band, in place of the main form
	Preview    *commentPreview // the text as it will look (Preview without JavaScript)
}

// commentPreview is a comment's text rendered as it will be posted, or what
// is wrong with it.
type commentPreview struct {
	HTML    template.HTML // byte for byte what the posted comment will show
	Problem string
}

// commentEdit is the form that edits a comment.
type commentEdit struct {
	Comment commentView
	Body    string
	Errors  map[string]string
	Until   time.Time // the end of the edit window
	Left    int       // whole minutes left of it, rounded up; 0 when it is over
	Seconds int       // seconds left, for the page to count down (site.js)
	// Form names the form's elements for the preview (its id "edit-<id>",
	// the article) and holds a preview asked for without JavaScript.
	Form commentForm
}

// newCommentEdit is the edit form of cm with body in it, saying how long
// it can still be changed.
func newCommentEdit(cm db.Comment, slug, body string) commentEdit {
	d := max(editLeft(cm), 0)
	left := int((d + time.Minute - 1) / time.Minute)
	return commentEdit{Comment: viewOf(cm, slug), Body: body, Errors: map[string]string{}, Until: cm.CreatedAt.Add(editWindow), Left: left, Seconds: int(d.Seconds()),
		Form: commentForm{Slug: slug, FormID: "edit-" + strconv.FormatInt(cm.ID, 10)}}
}

// threads arranges comments (oldest first) into top-level comments with
// their replies; deleted comments without replies are left out.
func threads(cs []db.Comment, slug string) []commentView {
	var top []commentView
	index := map[int64]int{}
	for _, c := range cs {
		v := viewOf(c, slug)
		if c.ParentID == nil {
			index[c.ID] = len(top)
			top = append(top, v)
		} else if i, ok := index[*c.ParentID]; ok && !v.Deleted {
			top[i].Replies = append(top[i].Replies, v)
		}
	}
	out := top[:0]
	for _, t := range top {
		if !t.Deleted || len(t.Replies) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func viewOf(c db.Comment, slug string) commentView {
	v := commentView{
		ID: c.ID, Slug: slug, Name: c.Name, Body: template.HTML(c.BodyHTML), Created: c.CreatedAt,
		Edited: c.EditedAt != nil, ByPractice: c.ByPractice, Deleted: c.Status == db.CommentDeleted,
		Held: c.Status == db.CommentHeld, IsReply: c.ParentID != nil, Helpful: c.Helpful,
	}
	if c.ParentID != nil {
		v.ParentID = *c.ParentID
	}
	if v.Deleted {
		v.Name, v.Body = "", ""
	}
	return v
}

// hasThread reports whether the top-level comment top is among cs.
func hasThread(cs []db.Comment, top int64) bool {
	return slices.ContainsFunc(cs, func(x db.Comment) bool { return x.ID == top && x.ParentID == nil })
}

// onFirstPage reports whether the thread of the top-level comment top is
// on the article's newest page of comments (or would be: a new one).
func (a *article) onFirstPage(top int64) bool { return a.earlier == 0 || top >= a.earlier }

// commentURL is where a comment is seen without JavaScript: on the
// article, or on the older page that has its thread.
func commentURL(a *article, cm db.Comment) string {
	top := cm.ID
	if cm.ParentID != nil {
		top = *cm.ParentID
	}
	u := "/blog/" + a.post.Slug
	if !a.onFirstPage(top) {
		u += "?before=" + strconv.FormatInt(top+1, 10)
	}
	return u + "#comment-" + strconv.FormatInt(cm.ID, 10)
}

// postedURL is where a comment's author lands after posting it without
// JavaScript: the comment, marked as just posted (?posted=).
func postedURL(a *article, cm db.Comment) string {
	u := commentURL(a, cm)
	path, anchor, _ := strings.Cut(u, "#")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "posted=" + strconv.FormatInt(cm.ID, 10) + "#" + anchor
}

// replyName is the name of the person a reply answers: the comment to, when
// it is in the thread of top, else top's author. It is looked up whatever
// the comment's state, so that a reply form sent back with a mistake, or
// after the comment was hidden, still says whom it answers.
func (h *Handler) replyName(ctx context.Context, postID, top, to int64) string {
	for _, id := range []int64{to, top} {
		if id <= 0 {
			continue
		}
		cm, err := db.CommentByID(ctx, h.db, postID, id)
		if err == nil && (cm.ID == top || (cm.ParentID != nil && *cm.ParentID == top)) {
			return cm.Name
		}
	}
	return ""
}

// commentsFor builds an article's comment section for this visitor: the
// page of comments want asks for (the cached newest page, or an older one
// read now), their own held ones, and which they may still edit.
func (h *Handler) commentsFor(c echo.Context, a *article, want commentsWant) (commentsData, error) {
	ctx := c.Request().Context()
	cs, earlier, before := a.comments, a.earlier, int64(0)
	load := func(b int64) (err error) {
		before = b
		cs, earlier, err = db.CommentThreads(ctx, h.db, a.post.ID, b, commentPage)
		return err
	}
	if want.before > 0 {
		if err := load(want.before); err != nil {
			return commentsData{}, err
		}
	}
	next := 0
	if want.helpful { // its own pages (comment_helpful.go)
		var err error
		if cs, next, err = h.helpfulPage(c, a, want.from); err != nil {
			return commentsData{}, err
		}
		earlier, want.thread = 0, 0
	}
	if want.thread > 0 && !hasThread(cs, want.thread) && (before > 0 || !a.onFirstPage(want.thread)) {
		if err := load(want.thread + 1); err != nil {
			return commentsData{}, err
		}
	}
	author := h.authorHash(c)
	if author != nil {
		held, err := db.HeldComments(ctx, h.db, a.post.ID, author)
		if err != nil {
			return commentsData{}, err
		}
		// Only those that belong on this page: a held reply goes with its
		// thread (threads drops it elsewhere), a held comment by its id.
		held = slices.DeleteFunc(held, func(x db.Comment) bool {
			return x.ParentID == nil && ((earlier != 0 && x.ID < earlier) || (before != 0 && x.ID >= before))
		})
		if want.helpful { // in helpful order: after the page, a held comment on the first
			held = slices.DeleteFunc(held, func(x db.Comment) bool { return x.ParentID == nil && want.from > 0 })
			cs = append(slices.Clip(cs), held...)
		} else if len(held) > 0 {
			cs = mergeByID(cs, held)
		}
	}
	reply := want.thread
	d := commentsData{
		Slug: a.post.Slug, Count: a.count, Threads: threads(cs, a.post.Slug),
		LastEvent: a.lastEvent, shared: author == nil && reply == 0 && before == 0 && !want.helpful,
		Earlier: earlier, Older: before != 0, Long: a.count > sortChoiceFrom,
	}
	if want.helpful {
		d.Sort, d.From, d.Next = helpfulSort, want.from, next
	}
	voted, err := h.votedOn(c, a)
	if err != nil {
		return commentsData{}, err
	}
	mine, owned := map[int64]bool{}, map[int64]bool{}
	for _, cm := range cs {
		if author != nil && hmac.Equal(cm.AuthorHash, author) {
			mine[cm.ID], owned[cm.ID] = true, changeable(cm)
		}
	}
	mark := func(v *commentView) {
		v.Own, v.Mine = owned[v.ID], mine[v.ID]
		v.Just = v.Own && v.ID == want.posted
		v.Voted = voted[v.ID]
		if v.Voted {
			d.shared = false // their buttons are pressed
		}
	}
	for i := range d.Threads {
		t := &d.Threads[i]
		mark(t)
		for j := range t.Replies {
			mark(&t.Replies[j])
		}
		if reply != 0 && t.ID == reply && !t.Deleted && !t.Held {
			// Replying to the thread's comment, or to a reply in it (the
			// reply goes under the thread all the same, one level deep).
			f := newCommentForm(d.Slug)
			f.ParentID, f.ReplyTo, f.ParentName, f.FormID = t.ID, t.ID, t.Name, "reply-form-"+strconv.FormatInt(t.ID, 10)
			if want.to != 0 && want.to != t.ID {
				if name := h.replyName(ctx, a.post.ID, t.ID, want.to); name != "" {
					f.ReplyTo, f.ParentName = want.to, name // hidden meanwhile, it is still whom they answer
				}
			}
			t.ReplyForm = &f
		}
	}
	d.Form = newCommentForm(d.Slug)
	return d, nil
}

// mergeByID merges two lists of comments sorted by id.
func mergeByID(a, b []db.Comment) []db.Comment {
	out := make([]db.Comment, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || (i < len(a) && a[i].ID < b[j].ID) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// newCommentForm is an empty form without a stamp: in a page it fetches
// its own (form-stamp), as the page may be shared by every visitor.
func newCommentForm(slug string) commentForm {
	return commentForm{Slug: slug, FormID: "comment-form"}
}

// formStamp is GET /form-stamp: a fresh stamp for the form of a page that
// every visitor shares, which carries none (a cached page's stamp would be
// as old as the page for a script that fetched it just now). Never cached.
func (h *Handler) formStamp(c echo.Context) error {
	st := h.stampForm(c.Request().Context(), h.now())
	if st == "" {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The form could not be prepared. Please reload the page.")
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return h.renderFragment(c, http.StatusOK, "article#form-stamp", st)
}

// postComment saves a new comment or reply. With htmx it answers with a
// fresh form and the new comment placed in the list (out of band); without,
// it redirects to the comment. Mistakes re-render the form with what was
// typed (422 for htmx).
func (h *Handler) postComment(c echo.Context) error {
	a, err := h.findArticle(c)
	if err != nil {
		return err
	}
	if a.moved {
		return articleMoved(c, a)
	}
	ctx := c.Request().Context()
	f, ok := h.sentCommentForm(c, a)
	if !ok {
		f.Notice = "The comment you replied to could not be found. Your comment is below: you can send it as a new comment."
		return h.commentFormError(c, http.StatusUnprocessableEntity, f)
	}

	// Spam checks first: they say what to do and keep what was typed.
	switch {
	case c.FormValue(honeypotField) != "":
		f.Notice = "Please leave the “Leave this empty” field empty, then send again."
		return h.commentFormError(c, http.StatusUnprocessableEntity, f)
	case f.Started == "":
		// No JavaScript, or the stamp's fetch failed: not a mistake. The
		// form comes back stamped (with its mistakes, if any), and a second
		// press sends it.
		f.Notice = "Please check your comment and press Post again."
	case !h.filledByAPerson(ctx, f.Started):
		f.Notice = h.stampNotice(ctx, f.Started, "comment", "Post")
		f.Started = h.stampForm(ctx, h.now())
		return h.commentFormError(c, http.StatusUnprocessableEntity, f)
	}

	if f.Name == "" {
		f.Errors["name"] = "Please enter your name."
	} else if utf8.RuneCountInString(f.Name) > maxNameLen {
		f.Errors["name"] = fmt.Sprintf("Please shorten your name to %d characters or fewer.", maxNameLen)
	}
	bodyHTML, problem := renderCommentBody(f.Body, "Please write your comment.")
	if problem != "" {
		f.Errors["body"] = problem
	}
	if f.Notify && !validEmail(f.Email) {
		f.Errors["email"] = "Please enter your email address, like name@example.com, or untick “Email me replies”."
	}
	if len(f.Errors) > 0 {
		f.Notice = "" // the mistakes say what to do
		return h.commentFormError(c, http.StatusUnprocessableEntity, f)
	}
	if f.Started == "" {
		return h.commentFormError(c, http.StatusUnprocessableEntity, f)
	}

	ipHash, err := h.ipHash(ctx, limitKey(c.RealIP()))
	if err != nil {
		return err
	}
	author := h.ensureAuthor(c)
	if wait := h.limits.comment.allow(string(ipHash), string(author), h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.Notice = fmt.Sprintf("You have sent several comments in a short time. Please wait %s and send this one again; it is still here.", roundWait(wait))
		return h.commentFormError(c, http.StatusTooManyRequests, f)
	}

	cm := &db.Comment{
		PostID: a.post.ID, Name: f.Name, BodyMD: f.Body, BodyHTML: bodyHTML,
		Status: db.CommentVisible, ByPractice: h.isAdmin(c), AuthorHash: author, IPHash: ipHash,
	}
	if f.ParentID != 0 {
		cm.ParentID = &f.ParentID
	}
	if held, err := h.holdForApproval(c, author, ipHash); err != nil {
		return err
	} else if held {
		cm.Status = db.CommentHeld
	}
	email := ""
	if f.Notify {
		email = f.Email
	}
	// A form sent twice (a double click, or again after a slow answer)
	// carries the same stamp, token and words: it is saved once, and the
	// twin's answer is the first one's.
	first, err := h.onceFor(ctx, sentKey("comment", f.Started, strconv.FormatInt(f.ParentID, 10), f.Name, f.Body), func(ctx context.Context, tx bun.Tx) (string, error) {
		if err := db.AddComment(ctx, tx, cm); err != nil {
			return "", err
		}
		return strconv.FormatInt(cm.ID, 10), h.jobs.CommentAdded(ctx, tx, *cm, email)
	})
	if err == nil && cm.ID == 0 {
		id, _ := strconv.ParseInt(first, 10, 64)
		if *cm, err = db.CommentByID(ctx, h.db, a.post.ID, id); errors.Is(err, sql.ErrNoRows) {
			return c.Redirect(http.StatusSeeOther, "/blog/"+a.post.Slug+"#comments") // deleted since
		}
	}
	switch {
	case errors.Is(err, db.ErrNoParent):
		f.ParentID, f.FormID = 0, "comment-form"
		f.Notice = "The comment you replied to is no longer there. Your comment is below: you can send it as a new comment."
		if isFragment(c) {
			// The reply form closes; what was typed moves into the main
			// form (one form with its ids on the page, not two).
			f.OOB = true
			return h.renderFragment(c, http.StatusUnprocessableEntity, "article#comment-form-moved", f)
		}
		return h.commentFormError(c, http.StatusUnprocessableEntity, f)
	case err != nil:
		return err
	}
	h.commentsChanged()

	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, postedURL(a, *cm))
	}
	v := viewOf(*cm, a.post.Slug)
	v.Own, v.Mine, v.Just = true, true, true
	var fresh *commentForm // a reply form closes; the main form empties
	if f.ParentID == 0 {
		nf := newCommentForm(a.post.Slug)
		nf.Started = h.stampForm(ctx, h.now()) // this answer is this visitor's own
		fresh = &nf
	}
	count, err := db.CommentCount(ctx, h.db, a.post.ID) // kept by the database: no counting
	if err != nil {
		return err
	}
	return h.renderFragment(c, http.StatusOK, "article#comment-posted", commentPosted{
		Form: fresh, Comment: v, Count: count, Reply: cm.ParentID != nil,
	})
}

// sentCommentForm reads a comment or reply form as it was sent; ok is false
// when its parent_id is not an id (f is then the main form, with the text).
func (h *Handler) sentCommentForm(c echo.Context, a *article) (f commentForm, ok bool) {
	f = commentForm{
		Slug: a.post.Slug, FormID: "comment-form",
		Name:    formValue(c, "name"),
		Body:    formValue(c, "body"),
		Notify:  c.FormValue("notify") != "",
		Email:   formValue(c, "email"),
		Started: c.FormValue(startedField),
		Errors:  map[string]string{},
	}
	p := c.FormValue("parent_id")
	if p == "" {
		return f, true
	}
	id, err := strconv.ParseInt(p, 10, 64)
	if err != nil || id <= 0 {
		return f, false
	}
	f.ParentID = id
	f.FormID = "reply-form-" + p
	f.ReplyTo, _ = strconv.ParseInt(c.FormValue("reply_to"), 10, 64)
	return f, true
}

// commentPosted is the htmx answer to a new comment.
type commentPosted struct {
	Form    *commentForm // nil after a reply: its form goes away
	Comment commentView
	Count   int
	Reply   bool
}

// commentFormError answers a comment that was not saved: the form again
// with the messages and what was typed; without htmx, the whole article
// with that form in place.
func (h *Handler) commentFormError(c echo.Context, status int, f commentForm) error {
	if f.Started == "" {
		f.Started = h.stampForm(c.Request().Context(), h.now())
	}
	if f.ParentID != 0 && f.ParentName == "" {
		a, err := h.findArticle(c)
		if err != nil {
			return err
		}
		f.ParentName = h.replyName(c.Request().Context(), a.post.ID, f.ParentID, f.ReplyTo)
	}
	if isFragment(c) {
		return h.renderFragment(c, status, "article#comment-form", f)
	}
	return h.renderArticle(c, status, commentsWant{thread: f.ParentID}, func(d *commentsData) {
		if f.ParentID == 0 {
			d.Form = f
			return
		}
		for i := range d.Threads {
			if d.Threads[i].ID == f.ParentID {
				d.Threads[i].ReplyForm = &f
				return
			}
		}
		d.Form = f // the parent is gone: offer it as a new comment
	})
}

// holdForApproval applies the moderation mode: nothing is held when it is
// off (or for the therapist), everything when it is "all", and a person's
// first comment when it is "first". A blocked commenter's comments are
// always held, silently: they see "awaiting approval" like anyone else's,
// so they have no reason to try from elsewhere, and the therapist can still
// let a comment through if the block was a mistake.
func (h *Handler) holdForApproval(c echo.Context, author, ipHash []byte) (bool, error) {
	if h.isAdmin(c) {
		return false, nil
	}
	if blocked, err := db.IsBlocked(c.Request().Context(), h.db, ipHash); err != nil || blocked {
		return blocked, err
	}
	b, err := h.business(c)
	if err != nil {
		return false, err
	}
	switch b.CommentModeration {
	case db.ModerationAll:
		return true, nil
	case db.ModerationFirst:
		approved, err := db.HasApprovedComment(c.Request().Context(), h.db, author)
		return !approved, err
	}
	return false, nil
}

// isAdmin reports whether the therapist is logged in on this session: as
// the account ADMIN_EMAIL names, with the password it has now (a new one
// ends older sessions, on every instance within cache.TTL), and not away
// longer than adminIdle.
func (h *Handler) isAdmin(c echo.Context) bool {
	ctx := c.Request().Context()
	email := h.sessions.GetString(ctx, adminKey)
	if email == "" || !strings.EqualFold(email, h.cfg.AdminEmail) ||
		h.now().Sub(time.Unix(h.sessions.GetInt64(ctx, adminSeenKey), 0)) >= adminIdle {
		return false
	}
	stamp, err := h.adminStamp.Get(ctx)
	return err == nil && stamp != "" &&
		subtle.ConstantTimeCompare([]byte(stamp), []byte(h.sessions.GetString(ctx, adminStampKey))) == 1
}

// authorHash is the hash of this visitor's commenter key, or nil if they
// have never commented in this session.
func (h *Handler) authorHash(c echo.Context) []byte { return h.sessionKeyHash(c, commenterKey) }

// ensureAuthor gives the session a commenter key if it has none and
// returns its hash.
func (h *Handler) ensureAuthor(c echo.Context) []byte { return h.ensureSessionKey(c, commenterKey) }

// siteKey returns one of the site's own secret keys, made once and shared
// by every instance through the database.
func (h *Handler) siteKey(ctx context.Context, name string) ([]byte, error) {
	h.keysMu.Lock()
	defer h.keysMu.Unlock()
	if k, ok := h.keys[name]; ok {
		return k, nil
	}
	k, err := db.SiteKey(ctx, h.db, name)
	if err != nil {
		return nil, err
	}
	h.keys[name] = k
	return k, nil
}

// ipHash is a keyed hash of the client address: enough to rate-limit and
// recognise a returning commenter, without keeping the address.
func (h *Handler) ipHash(ctx context.Context, ip string) ([]byte, error) {
	key, err := h.siteKey(ctx, "ip-hash")
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ip))
	return m.Sum(nil)[:16], nil
}

// stampForm signs the time a form was shown ("unix-milliseconds.signature").
// It is no longer bound to a per-visitor token: anonymous visitors have no
// cookie (issue 16), so one page's stamp is valid for anyone until
// maxFormAge. Without a key (the database is down) the stamp is empty and
// the form asks to be sent again, which loses nothing.
func (h *Handler) stampForm(ctx context.Context, t time.Time) string {
	key, err := h.siteKey(ctx, "form-stamp")
	if err != nil {
		return ""
	}
	ts := strconv.FormatInt(t.UnixMilli(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "|"))
	return ts + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// filledByAPerson reports whether a form stamp is genuine and at least
// minFillTime and at most maxFormAge old.
func (h *Handler) filledByAPerson(ctx context.Context, stamp string) bool {
	age, ok := h.stampAge(ctx, stamp)
	return ok && age >= minFillTime && age <= maxFormAge
}

// stampNotice says why a form's stamp was refused, and what to do: the
// form (a "comment" or "message", sent with its button) comes back with
// everything in it. A person who presses the button again at once, as the
// page without JavaScript asked, is told to wait a moment, not that they
// typed too fast.
func (h *Handler) stampNotice(ctx context.Context, stamp, what, button string) string {
	age, ok := h.stampAge(ctx, stamp)
	switch {
	case ok && age < minFillTime:
		return fmt.Sprintf("That was very quick: please wait a moment, then press %s again. Everything you wrote is kept.", button)
	case ok:
		return fmt.Sprintf("This page had been open for a day or more: please check your %s and press %s again.", what, button)
	}
	return fmt.Sprintf("This form could not be checked: please check your %s and press %s again.", what, button)
}

// stampAge is how long ago a form stamp was made; ok is false when it is
// not one of ours.
func (h *Handler) stampAge(ctx context.Context, stamp string) (age time.Duration, ok bool) {
	ts, _, ok := strings.Cut(stamp, ".")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return 0, false
	}
	shown := time.UnixMilli(ms)
	if !hmac.Equal([]byte(stamp), []byte(h.stampForm(ctx, shown))) {
		return 0, false
	}
	return h.now().Sub(shown), true
}

// errNoLongerChangeable answers a change to a comment that is past its
// edit window, or was deleted meanwhile.
var errNoLongerChangeable = echo.NewHTTPError(http.StatusForbidden,
	"A comment can be changed for 10 minutes after it is posted; this one can no longer be changed.")

// findOwnComment loads the :id comment of the article for its author: it
// must be theirs, visible and within the edit window.
func (h *Handler) findOwnComment(c echo.Context) (*article, db.Comment, error) {
	a, cm, err := h.findAuthorsComment(c)
	if err == nil && !changeable(cm) {
		return nil, cm, errNoLongerChangeable
	}
	return a, cm, err
}

// findAuthorsComment is findOwnComment without the edit window: the
// comment is theirs, whether it can still be changed or not.
func (h *Handler) findAuthorsComment(c echo.Context) (*article, db.Comment, error) {
	a, cm, err := h.findComment(c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cm, echo.ErrNotFound
	}
	if err != nil {
		return nil, cm, err
	}
	author := h.authorHash(c)
	if author == nil || !hmac.Equal(author, cm.AuthorHash) {
		return nil, cm, echo.NewHTTPError(http.StatusForbidden, "Only the person who wrote a comment can change it, from the browser they wrote it in.")
	}
	return a, cm, nil
}

// tooLate is what an edit form says when its comment can no longer be
// changed: the words typed stay in the form, to be copied.
func tooLate(cm db.Comment) string {
	if cm.Status == db.CommentVisible || cm.Status == db.CommentHeld {
		return "The 10 minutes for changing this comment are over: your change can no longer be saved. Your text is still here: copy it if you want to keep it."
	}
	return "This comment was deleted or hidden meanwhile: your change can no longer be saved. Your text is still here: copy it if you want to keep it."
}

// changeable reports whether a comment may still be edited or deleted by
// its author: shown or awaiting approval, and written within editWindow.
func changeable(cm db.Comment) bool {
	return (cm.Status == db.CommentVisible || cm.Status == db.CommentHeld) && editLeft(cm) > 0
}

// editLeft is how much of cm's edit window is left (negative: none). The
// window is measured on the wall clock, not the injected one: it starts at
// created_at, the database's own stamp (now() when the comment was saved),
// and a test that sets the site's clock to a chosen day must still be able
// to edit a comment it just posted. The one place that reads it.
func editLeft(cm db.Comment) time.Duration {
	return editWindow - time.Since(cm.CreatedAt)
}

// showEditComment is the form that edits one's own comment: in place with
// htmx, or as a page of its own.
func (h *Handler) showEditComment(c echo.Context) error {
	a, cm, err := h.findOwnComment(c)
	if err != nil {
		return err
	}
	e := newCommentEdit(cm, a.post.Slug, cm.BodyMD)
	if isFragment(c) {
		return h.renderFragment(c, http.StatusOK, "article#comment-edit", e)
	}
	return h.renderEditPage(c, http.StatusOK, a, e)
}

func (h *Handler) renderEditPage(c echo.Context, status int, a *article, e commentEdit) error {
	p, err := h.page(c, "Edit your comment", "", e)
	if err != nil {
		return err
	}
	p.NoIndex = true
	p.Canonical = h.cfg.BaseURL.String() + "/blog/" + a.post.Slug
	return h.render(c, status, "comment-edit", "", p)
}

// saveComment saves an edit of one's own comment.
func (h *Handler) saveComment(c echo.Context) error {
	a, cm, err := h.findAuthorsComment(c)
	if err != nil {
		return err
	}
	e := newCommentEdit(cm, a.post.Slug, formValue(c, "body"))
	if !changeable(cm) {
		// Said in the form, where the eye is, with the words kept (409:
		// htmx swaps it in).
		e.Errors["body"] = tooLate(cm)
		if isFragment(c) {
			return h.renderFragment(c, http.StatusConflict, "article#comment-edit", e)
		}
		return h.renderEditPage(c, http.StatusConflict, a, e)
	}
	bodyHTML, problem := renderCommentBody(e.Body, "Please write your comment, or delete it instead.")
	if problem != "" {
		e.Errors["body"] = problem
	}
	status := http.StatusUnprocessableEntity
	if len(e.Errors) == 0 {
		// Every edit reaches every reader of the article: limited like
		// new comments, per address and per session.
		ipHash, err := h.ipHash(c.Request().Context(), limitKey(c.RealIP()))
		if err != nil {
			return err
		}
		if wait := h.limits.edit.allow(string(ipHash), string(cm.AuthorHash), h.now()); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			e.Errors["body"] = fmt.Sprintf("You have changed your comments several times in a short time. Please wait %s and save again; your text is still here.", roundWait(wait))
			if wait >= editLeft(cm) {
				e.Errors["body"] = "You have changed your comments several times in a short time, and this one can no longer be changed after this. Your text is still here: copy it if you want to keep it."
			}
			status = http.StatusTooManyRequests
		}
	}
	if len(e.Errors) > 0 {
		if isFragment(c) {
			return h.renderFragment(c, status, "article#comment-edit", e)
		}
		return h.renderEditPage(c, status, a, e)
	}
	// An edit is moderated as a new comment would be: with every comment
	// held, an approved one goes back to the queue rather than be
	// rewritten past it; a held one stays held.
	hold, err := h.holdForApproval(c, cm.AuthorHash, cm.IPHash)
	if err != nil {
		return err
	}
	hold = hold || cm.Status == db.CommentHeld
	was := cm.Status
	err = h.db.RunInTx(c.Request().Context(), nil, func(ctx context.Context, tx bun.Tx) error {
		if err := db.EditComment(ctx, tx, &cm, e.Body, bodyHTML, hold); err != nil {
			return err
		}
		if was == db.CommentVisible && cm.Status == db.CommentHeld {
			return h.jobs.CommentAdded(ctx, tx, cm, "") // the therapist's digest
		}
		return nil
	})
	switch {
	case errors.Is(err, sql.ErrNoRows): // deleted meanwhile, in another tab
		return errNoLongerChangeable
	case err != nil:
		return err
	}
	h.commentsChanged()
	return h.ownComment(c, a, cm)
}

// showComment puts one's comment back after "Cancel" on the edit form
// (htmx). Opened as a page, it is the comment's permanent link: anyone is
// sent to where it is shown, the article or the older page of comments
// that has its thread (the therapist's list links to comments so).
func (h *Handler) showComment(c echo.Context) error {
	if !isFragment(c) {
		return h.commentLink(c)
	}
	a, cm, err := h.findOwnComment(c)
	if err != nil {
		return err
	}
	return h.ownComment(c, a, cm)
}

// commentLink redirects to the :id comment where the article shows it.
func (h *Handler) commentLink(c echo.Context) error {
	a, cm, err := h.findShownComment(c, echo.NewHTTPError(http.StatusNotFound,
		"That comment is not shown on the article (it may have been deleted, or be waiting for approval)."))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, commentURL(a, cm))
}

// findShownComment loads the :id comment of the article for something any
// reader may do with it (open it, answer it, find it helpful): it must be
// shown to everyone, else notShown says why not. An article renamed
// meanwhile has been answered with its new address (errAnswered).
func (h *Handler) findShownComment(c echo.Context, notShown error) (*article, db.Comment, error) {
	a, cm, err := h.findComment(c)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && cm.Status != db.CommentVisible) {
		return nil, cm, notShown
	}
	return a, cm, err
}

// findComment loads the :id comment of the article whatever its state
// (sql.ErrNoRows: there is none). An article renamed meanwhile has been
// answered with its new address (errAnswered).
func (h *Handler) findComment(c echo.Context) (*article, db.Comment, error) {
	a, err := h.findArticle(c)
	if err != nil {
		return nil, db.Comment{}, err
	}
	if a.moved {
		if err := articleMoved(c, a); err != nil {
			return nil, db.Comment{}, err
		}
		return nil, db.Comment{}, errAnswered
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, db.Comment{}, echo.ErrNotFound
	}
	cm, err := db.CommentByID(c.Request().Context(), h.db, a.post.ID, id)
	return a, cm, err
}

// ownComment answers with the author's own comment, its Edit and Delete
// included: in place for htmx, else back to it on the article.
func (h *Handler) ownComment(c echo.Context, a *article, cm db.Comment) error {
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, commentURL(a, cm))
	}
	v := viewOf(cm, a.post.Slug)
	v.Own, v.Mine = true, true
	return h.renderFragment(c, http.StatusOK, "article#comment", v)
}

// deleteComment deletes one's own comment (its replies stay).
func (h *Handler) deleteComment(c echo.Context) error {
	a, cm, err := h.findOwnComment(c)
	if err != nil {
		return err
	}
	switch err := db.DeleteComment(c.Request().Context(), h.db, &cm); {
	case errors.Is(err, sql.ErrNoRows): // deleted meanwhile, in another tab
		return errNoLongerChangeable
	case err != nil:
		return err
	}
	h.commentsChanged()
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/blog/"+a.post.Slug+commentsAnchor)
	}
	return h.renderFragment(c, http.StatusOK, "article#comment", viewOf(cm, a.post.Slug))
}

// showReplyForm is the reply form under a comment (htmx); without
// JavaScript the "Reply" link opens the article with ?reply=.
func (h *Handler) showReplyForm(c echo.Context) error {
	a, cm, err := h.findShownComment(c, echo.NewHTTPError(http.StatusNotFound,
		"That comment is no longer shown, so it cannot be answered. Reload the page to see the comments as they are now."))
	if err != nil {
		return err
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/blog/"+a.post.Slug+"?reply="+c.Param("id")+"#reply-form-"+c.Param("id"))
	}
	top := cm.ID
	if cm.ParentID != nil {
		top = *cm.ParentID
	}
	ctx := c.Request().Context()
	f := newCommentForm(a.post.Slug)
	f.ParentID, f.ReplyTo, f.ParentName, f.FormID = top, cm.ID, cm.Name, "reply-form-"+strconv.FormatInt(top, 10)
	// The page's stamp comes along (hx-include): the reader has been on the
	// page since then, so a short reply ("Thanks!") typed at once after
	// Reply is not "quicker than anyone can type". Without one (not fetched
	// yet), a fresh one.
	f.Started = h.stampForm(ctx, h.now())
	if st := c.QueryParam("started"); st != "" {
		if age, ok := h.stampAge(ctx, st); ok && age >= 0 && age <= maxFormAge {
			f.Started = st
		}
	}
	return h.renderFragment(c, http.StatusOK, "article#comment-form", f)
}

// renderCommentBody renders a comment's Markdown, or says what is wrong
// with it (empty says ifEmpty).
func renderCommentBody(body, ifEmpty string) (html, problem string) {
	if body == "" {
		return "", ifEmpty
	}
	if n := utf8.RuneCountInString(body); n > maxBodyLen {
		return "", fmt.Sprintf("Your comment is %d characters long; please shorten it to %d.", n, maxBodyLen)
	}
	html, links := markdown.Comment(body)
	switch {
	case blankHTML(html):
		return "", "Please write your comment in words."
	case links > maxLinks:
		return "", fmt.Sprintf("Please include at most %d links.", maxLinks)
	}
	return html, ""
}

// tagPattern matches an HTML tag, for blankHTML.
var tagPattern = regexp.MustCompile(`<[^>]*>`)

// blankHTML reports whether rendered HTML shows no words (an image that was
// dropped, an empty heading).
func blankHTML(s string) bool {
	return strings.TrimFunc(tagPattern.ReplaceAllString(s, ""), invisible) == ""
}

// roundWait says how long to wait in words.
func roundWait(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	h := int(d.Round(time.Hour).Hours())
	switch {
	case m <= 1:
		return "a minute"
	case m < 60:
		return strconv.Itoa(m) + " minutes"
	case m < 90:
		return "an hour"
	case h < 20:
		return strconv.Itoa(h) + " hours"
	}
	return "a day"
}

// articleMoved sends a request about a comment of an article that was
// renamed meanwhile (the page was open while it happened) to the same
// place under the new slug: 308 keeps a POST a POST with its form, so a
// comment being written is not lost.
func articleMoved(c echo.Context, a *article) error {
	rest := strings.TrimPrefix(c.Request().URL.Path, "/blog/"+c.Param("slug"))
	to := "/blog/" + a.post.Slug + rest
	if q := c.Request().URL.RawQuery; q != "" {
		to += "?" + q
	}
	if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
		return c.Redirect(http.StatusMovedPermanently, to)
	}
	return c.Redirect(http.StatusPermanentRedirect, to)
}
