package handlers

import (
	"context"
	"database/sql"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"dynamicmotion/db"
	"dynamicmotion/markdown"
	"dynamicmotion/views"
)

// Limits of the article editor. articleBodyLimit is the request size the
// editor's routes accept (the rest of the site takes 64K): room for
// maxArticleChars of Markdown even when form encoding triples it.
const (
	articleBodyLimit = "1M"
	maxArticleChars  = 100_000
	maxTitleChars    = 200
	maxSlugChars     = 100
	maxSummaryChars  = 300
	maxTagChars      = 40
	maxTags          = 10
	maxAuthorChars   = 80
	// publishAtLayout is the value of a datetime-local input.
	publishAtLayout = "2006-01-02T15:04"
)

// articlesPath is the therapist's list of articles.
const articlesPath = adminPath + "/articles"

// articleList is the data of the list of articles.
type articleList struct {
	Posts []db.AdminPost
	Now   time.Time
}

// articleForm is the article editor: what she typed, her mistakes, and the
// preview.
type articleForm struct {
	ID                   int64  // 0 for a new article
	Action               string // where the form posts
	Title, Slug, Summary string
	Tags, Body, Author   string
	Status               string // db.StatusDraft, db.StatusScheduled or db.StatusPublished
	PublishAt            string // publishAtLayout, London time, for a scheduled article
	Errors               map[string]string
	Saved                string // what the last save did, shown above the form
	CurrentSlug          string // the saved slug, where the article is (or will be) read
	Public               bool   // readers can see the saved article now
	PublishedAt          time.Time
	Preview              articlePreview
	Submission           string     // a new article's submission token
	Revision             string     // revisionOf the post the editor was opened on
	Conflict             string     // the post was saved elsewhere meanwhile: what happened
	CoverID, CoverAlt    string     // the cover picture (its media id; "" for none) and what it shows
	Pictures             []db.Media // her pictures, to choose a cover from
	AuthorShown          string     // how the blog shows the author, when not as typed (the old blog's handle)
	NoName               bool       // she has not given her name on the Business page yet
	cover                db.Media   // the cover picture, once checked (checkCover)
	stored               db.Post    // the post as saved, for an edit
	seen                 time.Time  // the update time of the post the editor was opened on; zero: not known
	publishAt            time.Time
}

// articlePreview is the preview pane: the article as the blog will show it.
type articlePreview struct {
	Title, Slug string
	Minutes     int
	Body        template.HTML
	TooLong     bool
	Cover       db.Post // only its cover fields: the cover as the article will show it
}

// action is where the editor's form for the article id posts.
func articleAction(id int64) string {
	if id == 0 {
		return articlesPath
	}
	return articlesPath + "/" + strconv.FormatInt(id, 10)
}

// showArticles is GET /admin/articles: every article, newest first, with its
// status, dates and comment count.
func (h *Handler) showArticles(c echo.Context) error {
	posts, err := db.AllPosts(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	p, err := h.adminPage(c, "Articles", articleList{Posts: posts, Now: h.now()})
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "admin-articles", "", p)
}

// showNewArticle is GET /admin/articles/new: an empty draft, by the author
// of her latest article.
func (h *Handler) showNewArticle(c echo.Context) error {
	f := articleForm{Status: db.StatusDraft, Submission: newSubmission()}
	var err error
	if f.Author, err = h.defaultAuthor(c); err != nil {
		return err
	}
	return h.renderArticleForm(c, http.StatusOK, f)
}

// showEditArticle is GET /admin/articles/:id (?saved= after a save).
func (h *Handler) showEditArticle(c echo.Context) error {
	p, err := h.storedArticle(c)
	if err != nil {
		return err
	}
	f := formOf(p, h.now())
	f.Saved = savedMessage(c.QueryParam("saved"), p, h.now())
	f.Preview = h.preview(f)
	return h.renderArticleForm(c, http.StatusOK, f)
}

// createArticle is POST /admin/articles: saves a new article, or, for the
// Preview button, shows the form with the preview and saves nothing.
func (h *Handler) createArticle(c echo.Context) error {
	return h.saveArticle(c, db.Post{})
}

// updateArticle is POST /admin/articles/:id: saves her edit (or previews
// it).
func (h *Handler) updateArticle(c echo.Context) error {
	p, err := h.storedArticle(c)
	if err != nil {
		return err
	}
	return h.saveArticle(c, p)
}

// saveArticle checks the form and saves it over stored (a zero Post for a
// new article), then goes back to the editor; mistakes come back as 422
// with everything she typed.
func (h *Handler) saveArticle(c echo.Context, stored db.Post) error {
	f := readArticleForm(c, stored, h.now())
	if err := h.checkCover(c.Request().Context(), &f); err != nil {
		return err
	}
	if c.FormValue("preview") != "" { // the Preview button: nothing is saved or checked
		f.Errors = map[string]string{}
		f.Preview = h.preview(f)
		return h.renderArticleForm(c, http.StatusOK, f)
	}
	if len(f.Errors) > 0 {
		f.Preview = h.preview(f)
		return h.renderArticleForm(c, http.StatusUnprocessableEntity, f)
	}
	p, err := h.postOf(f)
	if err != nil {
		return err
	}
	saved := func(p db.Post) string { return articlesPath + "/" + strconv.FormatInt(p.ID, 10) + "?saved=" + p.Status }
	var page string
	if p.ID == 0 {
		page, err = h.once(c, func(ctx context.Context, tx bun.Tx) (string, error) {
			err := db.CreatePost(ctx, tx, &p)
			return saved(p), err
		})
	} else {
		err = db.UpdatePost(c.Request().Context(), h.db, &p, f.seen)
		page = saved(p)
	}
	switch {
	case errors.Is(err, db.ErrPostChanged):
		return h.articleChanged(c, f)
	case errors.Is(err, db.ErrSlugTaken):
		f.Errors["slug"] = "Another article has this address, or had it (its old links lead there). Please choose another."
		f.Preview = h.preview(f)
		return h.renderArticleForm(c, http.StatusUnprocessableEntity, f)
	case errors.Is(err, sql.ErrNoRows):
		return echo.ErrNotFound // deleted meanwhile
	case err != nil:
		return err
	}
	h.contentChanged()
	return c.Redirect(http.StatusSeeOther, page)
}

// articleChanged answers a save of an article that was saved from
// elsewhere (another tab, another device) after this editor was opened:
// nothing is saved, her text is shown again with what happened, and saving
// once more replaces the other version.
func (h *Handler) articleChanged(c echo.Context, f articleForm) error {
	stored, err := h.storedArticle(c)
	if err != nil {
		return err
	}
	f.stored, f.seen, f.Revision = stored, stored.UpdatedAt, revisionOf(stored)
	f.CurrentSlug, f.Public, f.PublishedAt = stored.Slug, stored.Public(h.now()), stored.Published()
	f.Conflict = "This article was saved somewhere else (another tab or device) at " +
		stored.UpdatedAt.In(views.London).Format("15:04 on 2 January") +
		", after you opened it here. Nothing from this page was saved: your version is below. " +
		"Save again to replace the other version with yours, or open the article afresh to keep the other one."
	f.Preview = h.preview(f)
	return h.renderArticleForm(c, http.StatusConflict, f)
}

// revisionOf is the hidden field that remembers which save of p the editor
// was opened on.
func revisionOf(p db.Post) string {
	if p.ID == 0 {
		return ""
	}
	return strconv.FormatInt(p.UpdatedAt.UnixMicro(), 10)
}

// previewArticle is POST /admin/articles/preview: the preview pane for the
// editor's current content, which htmx asks for as she types.
func (h *Handler) previewArticle(c echo.Context) error {
	f := readArticleForm(c, db.Post{}, h.now())
	if err := h.checkCover(c.Request().Context(), &f); err != nil {
		return err
	}
	return h.renderFragment(c, http.StatusOK, "admin-article#article-preview", h.preview(f))
}

// storedArticle is the post of the :id parameter, any status; 404 if none.
func (h *Handler) storedArticle(c echo.Context) (db.Post, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.Post{}, echo.ErrNotFound
	}
	p, err := db.PostByID(c.Request().Context(), h.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return p, echo.ErrNotFound
	}
	return p, err
}

func (h *Handler) renderArticleForm(c echo.Context, status int, f articleForm) error {
	f.Action = articleAction(f.ID)
	pictures, err := db.ListMedia(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	f.Pictures = pictures
	if b, err := h.business(c); err != nil {
		return err
	} else {
		if shown := byline(f.Author, b); shown != f.Author {
			f.AuthorShown = shown
		}
		f.NoName = b.TherapistName == ""
	}
	title := "New article"
	if f.ID != 0 {
		title = "Edit: " + f.stored.Title
	}
	p, err := h.adminPage(c, title, f)
	if err != nil {
		return err
	}
	p.Scripts = []string{"js/editor.js"} // the editor's drafts and pictures (admin_area.go)
	return h.render(c, status, "admin-article", "", p)
}

// formOf is the editor filled with a saved post. A scheduled post whose
// time has come shows as published: that is what it is.
func formOf(p db.Post, now time.Time) articleForm {
	f := articleForm{
		ID: p.ID, Title: p.Title, Slug: p.Slug, Summary: p.Summary, Tags: strings.Join(p.Tags, ", "),
		Body: p.BodyMD, Author: p.Author, Status: p.Status, Errors: map[string]string{},
		CurrentSlug: p.Slug, Public: p.Public(now), PublishedAt: p.Published(), stored: p,
		Revision: revisionOf(p), seen: p.UpdatedAt, CoverAlt: p.CoverAlt,
	}
	if p.CoverID != nil {
		f.CoverID = strconv.FormatInt(*p.CoverID, 10)
		f.cover = db.Media{ID: *p.CoverID, Name: p.CoverName, Width: p.CoverWidth, Height: p.CoverHeight}
	}
	if p.Status == db.StatusScheduled {
		if f.Public {
			f.Status = db.StatusPublished
		} else {
			f.PublishAt = p.Published().In(views.London).Format(publishAtLayout)
		}
	}
	return f
}

// savedMessage says what the last save did.
func savedMessage(status string, p db.Post, now time.Time) string {
	switch {
	case status == "":
		return ""
	case p.Public(now):
		return "Saved. It is on the blog."
	case p.Status == db.StatusScheduled:
		return "Saved. It will be published on " + p.Published().In(views.London).Format("2 January 2006 at 15:04") + "."
	default:
		return "Saved as a draft: only you can see it."
	}
}

// readArticleForm reads and checks the editor's form for stored (zero for a
// new article); mistakes go in f.Errors.
func readArticleForm(c echo.Context, stored db.Post, now time.Time) articleForm {
	f := formOf(stored, now)
	f.Errors = map[string]string{}
	f.Submission = postedSubmission(c)
	// The save the editor was opened on; without one (an old page, a
	// script) the save goes in as it would have before.
	f.Revision, f.seen = "", time.Time{}
	if us, err := strconv.ParseInt(c.FormValue("revision"), 10, 64); err == nil && stored.ID != 0 {
		f.Revision, f.seen = strconv.FormatInt(us, 10), time.UnixMicro(us)
	}
	val := func(name string, max int, tooLong string) string {
		v := strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(c.FormValue(name), "\r\n", "\n"), ""))
		if utf8.RuneCountInString(v) > max {
			f.Errors[name] = tooLong
		}
		return v
	}
	f.Title = val("title", maxTitleChars, "Please keep the title under "+strconv.Itoa(maxTitleChars)+" characters.")
	f.Slug = val("slug", maxSlugChars, "Please keep the address under "+strconv.Itoa(maxSlugChars)+" characters.")
	f.Summary = val("summary", maxSummaryChars, "Please keep the summary under "+strconv.Itoa(maxSummaryChars)+" characters: a sentence or two.")
	f.Tags = val("tags", maxTags*(maxTagChars+2), "Please use at most "+strconv.Itoa(maxTags)+" short tags.")
	f.Author = val("author", maxAuthorChars, "Please keep the author's name under "+strconv.Itoa(maxAuthorChars)+" characters.")
	f.Body = val("body", maxArticleChars, "The article is too long: please keep it under "+strconv.Itoa(maxArticleChars/1000)+",000 characters.")
	readCover(c, &f)
	f.Status = c.FormValue("status")
	f.PublishAt = strings.TrimSpace(c.FormValue("publish_at"))

	if f.Title == "" {
		f.Errors["title"] = "Please give the article a title."
	}
	if f.Slug == "" && f.ID == 0 {
		f.Slug = suggestSlug(f.Title)
	}
	switch {
	case f.Errors["slug"] != "":
	case f.Slug == "":
		f.Errors["slug"] = "Please give the article an address, such as lower-back-pain."
	case !slugPattern.MatchString(f.Slug):
		f.Errors["slug"] = "Please use lower-case letters and digits joined by single hyphens, such as lower-back-pain."
	}
	if _, err := splitTags(f.Tags); err != "" && f.Errors["tags"] == "" {
		f.Errors["tags"] = err
	}
	switch f.Status {
	case db.StatusDraft:
	case db.StatusPublished, db.StatusScheduled:
		if f.Body == "" {
			f.Errors["body"] = "Please write the article before publishing it."
		}
	default:
		f.Status = db.StatusDraft
		f.Errors["status"] = "Please choose draft, scheduled or published."
	}
	if f.Status == db.StatusScheduled {
		f.checkPublishAt(now)
	}
	return f
}

// checkPublishAt reads the time of a scheduled article: a London date and
// time that exists, in the future — unless it is the time already saved.
func (f *articleForm) checkPublishAt(now time.Time) {
	t, err := time.ParseInLocation(publishAtLayout, f.PublishAt, views.London)
	switch {
	case f.PublishAt == "":
		f.Errors["publish_at"] = "Please give the date and time it should go live."
	case err != nil:
		f.Errors["publish_at"] = "Please give a date and time such as 2026-12-01T09:00."
	case t.In(views.London).Format(publishAtLayout) != f.PublishAt:
		f.Errors["publish_at"] = "That time does not exist on that day (the clocks go forward). Please choose another."
	case f.stored.Status == db.StatusScheduled && t.Equal(f.stored.Published()):
		f.publishAt = t // as saved, even if that time has now passed
	case !t.After(now):
		f.Errors["publish_at"] = "That time has passed. Choose a time in the future, or publish it now."
	default:
		f.publishAt = t
	}
}

// postOf is the post to save from a checked form.
func (h *Handler) postOf(f articleForm) (db.Post, error) {
	body, err := h.articleHTML(f.Body)
	if err != nil {
		return db.Post{}, err
	}
	tags, _ := splitTags(f.Tags)
	p := db.Post{
		ID: f.ID, Slug: f.Slug, Title: f.Title, Summary: f.Summary, Author: f.Author, Tags: tags,
		Status: f.Status, BodyMD: f.Body, BodyHTML: body, BodyText: markdown.Plain(f.Body),
		ReadingMinutes: markdown.ReadingMinutes(f.Body),
	}
	coverOf(f, &p)
	switch f.Status {
	case db.StatusScheduled:
		p.PublishedAt = &f.publishAt
	case db.StatusPublished:
		at := h.now()
		if f.stored.Public(at) { // already out: it keeps its date
			at = f.stored.Published()
		}
		p.PublishedAt = &at
	}
	return p, nil
}

// articleHTML renders article Markdown as the blog shows it. Pictures
// from the therapist's media get their width and height, so that nothing
// moves as they load.
func (h *Handler) articleHTML(src string) (string, error) {
	return markdown.Article(src, markdown.Options{SiteHost: h.cfg.BaseURL.Host, ImageSize: h.mediaSize})
}

// preview renders the editor's content as the article page will show it.
func (h *Handler) preview(f articleForm) articlePreview {
	pv := articlePreview{Title: f.Title, Slug: f.Slug, Minutes: markdown.ReadingMinutes(f.Body)}
	coverOf(f, &pv.Cover)
	if f.Slug == "" {
		pv.Slug = suggestSlug(f.Title)
	}
	if utf8.RuneCountInString(f.Body) > maxArticleChars {
		pv.TooLong = true
		return pv
	}
	body, err := h.articleHTML(f.Body)
	if err != nil { // rendering into a buffer does not fail
		h.log.Error("rendering a preview", "err", err)
	}
	pv.Body = template.HTML(body) // markdown.Article drops raw HTML and unsafe links
	return pv
}

// splitTags reads comma-separated tags as the seed's front matter does:
// trimmed, inner spaces collapsed, lower-cased, each once, in order. The
// message is not empty if there are too many or one is too long.
func splitTags(s string) (tags []string, problem string) {
	tags = []string{}
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.Join(strings.Fields(t), " "))
		if t == "" || slices.Contains(tags, t) {
			continue
		}
		if utf8.RuneCountInString(t) > maxTagChars {
			return tags, "Please keep each tag under " + strconv.Itoa(maxTagChars) + " characters."
		}
		tags = append(tags, t)
	}
	if len(tags) > maxTags {
		return tags, "Please use at most " + strconv.Itoa(maxTags) + " tags."
	}
	return tags, ""
}

// suggestSlug makes an address from a title: accents dropped, letters and
// digits lower-cased, words joined by single hyphens, at most maxSlugChars
// long and cut between words ("Sports Massage & Back Pain" →
// "sports-massage-back-pain"). Words of other scripts are left out.
func suggestSlug(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(title) {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r) || r == '\'' || r == '’':
			// accents and apostrophes: "Clare’s" → "clares"
		default:
			hyphen = true
		}
	}
	s := b.String()
	for len(s) > maxSlugChars {
		i := strings.LastIndexByte(s[:maxSlugChars+1], '-')
		if i <= 0 {
			s = strings.Trim(s[:maxSlugChars], "-")
			break
		}
		s = s[:i]
	}
	return s
}
