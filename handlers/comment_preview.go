package handlers

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// previewComment is POST /blog/:slug/comments/preview: the text of a
// comment, a reply or an edit as it will look once posted. It goes through
// renderCommentBody, the very Markdown and sanitiser a posted comment goes
// through, so what is previewed is byte for byte what is posted; nothing is
// stored. With htmx the answer is only the preview, for the form's preview
// slot; without, the page comes back with the form as it was sent (stamp
// included) and the preview at its top.
func (h *Handler) previewComment(c echo.Context) error {
	a, err := h.findArticle(c)
	if err != nil {
		return err
	}
	if a.moved {
		return articleMoved(c, a)
	}
	body := formValue(c, "body")
	status, pv := http.StatusOK, &commentPreview{}
	if wait := h.limits.preview.take(limitKey(c.RealIP()), h.now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		status = http.StatusTooManyRequests
		pv.Problem = fmt.Sprintf("You have asked for many previews in a short time. Please wait %s before the next; your text is still here.", roundWait(wait))
	} else {
		html, problem := renderCommentBody(body, "There is nothing to preview yet: write your comment first.")
		pv.HTML, pv.Problem = template.HTML(html), problem
	}

	if edit := c.FormValue("edit"); edit != "" {
		if isFragment(c) {
			return h.renderFragment(c, status, "article#comment-preview", pv)
		}
		c.SetParamNames("slug", "id")
		c.SetParamValues(a.post.Slug, edit)
		a, cm, err := h.findAuthorsComment(c)
		if err != nil {
			return err
		}
		e := newCommentEdit(cm, a.post.Slug, body)
		e.Form.Preview = pv
		if !changeable(cm) {
			e.Errors["body"] = tooLate(cm)
		}
		return h.renderEditPage(c, status, a, e)
	}

	f, _ := h.sentCommentForm(c, a)
	if isFragment(c) {
		return h.renderFragment(c, status, "article#comment-preview", pv)
	}
	f.Preview = pv
	return h.commentFormError(c, status, f)
}
