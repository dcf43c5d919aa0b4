package handlers

// The therapist's pictures: uploaded, prepared, served, and put in an
// article with their size so nothing moves as they load.

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dynamicmotion/db"
)

// pngOf is a w×h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload sends the pictures form as a browser does: file (nil: none) and a
// description.
func (cl *client) upload(t *testing.T, file []byte, description string, headers ...string) response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("description", description)
	if file != nil {
		fw, err := w.CreateFormFile("picture", "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, mediaPath, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.RemoteAddr = cl.ip + ":4321"
	return cl.do(t, req, headers...)
}

// The form works from the site's own page (Sec-Fetch-Site: same-origin) and
// from a client that is not a browser (no Fetch Metadata at all); from
// another site it is refused.
func TestUploadFromTheSiteOnly(t *testing.T) {
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	for _, headers := range [][]string{{"Sec-Fetch-Site: same-origin"}, nil} {
		res := admin.upload(t, pngOf(t, 120, 80), "Sent from the page", headers...)
		wantStatus(t, res, http.StatusSeeOther)
		if !strings.Contains(res.Header.Get("Location"), "added=") {
			t.Errorf("%q: went to %q, want the added picture", headers, res.Header.Get("Location"))
		}
	}
	res := admin.upload(t, pngOf(t, 120, 80), "From another site", "Sec-Fetch-Site: cross-site")
	wantStatus(t, res, http.StatusForbidden)
	noServerErrors(t, s)
}

func TestUploadAPictureAndUseItInAnArticle(t *testing.T) {
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)

	res := admin.upload(t, pngOf(t, 2000, 1000), "A calf massage")
	wantStatus(t, res, http.StatusSeeOther)
	loc, _ := url.Parse(res.Header.Get("Location"))
	name := loc.Query().Get("added")
	if !mediaName.MatchString(name) || !strings.HasSuffix(name, ".png") {
		t.Fatalf("the upload went to %q, want ?added=<name>.png", res.Header.Get("Location"))
	}
	page := admin.get(t, loc.RequestURI())
	wantStatus(t, page, http.StatusOK)
	checkHTML(t, page.body,
		count("li.is-added", 1),
		in("li.is-added input.media-markdown", hasAttr("value", "![A calf massage](/media/"+name+")")),
		in("li.is-added img", hasAttr("width", "1600"), hasAttr("height", "800"), hasAttr("alt", "A calf massage")),
		// Deleting asks first (site.js): a tap meant for the next button
		// must not lose a picture.
		in("li.is-added form[action$=/delete]", hasAttr("data-confirm", "Delete this picture for good?")))

	// Served to anyone, cached for a year, as the picture it says it is.
	pic := s.visitor().get(t, mediaURL+name)
	wantStatus(t, pic, http.StatusOK)
	if ct, cc := pic.Header.Get("Content-Type"), pic.Header.Get("Cache-Control"); ct != "image/png" || !strings.Contains(cc, "immutable") {
		t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
	}
	if pic.Header.Get("Set-Cookie") != "" {
		t.Error("a picture sets a cookie")
	}
	if cfg, _, err := image.DecodeConfig(strings.NewReader(pic.body)); err != nil || cfg.Width != 1600 || cfg.Height != 800 {
		t.Errorf("the served picture: %+v, %v; want 1600x800", cfg, err)
	}
	wantStatus(t, s.visitor().get(t, mediaURL+"0000000000000000.png"), http.StatusNotFound)
	wantStatus(t, s.visitor().get(t, mediaURL+"../etc/passwd"), http.StatusNotFound)

	// In an article it has its size, so nothing moves as it loads; while an
	// article shows it, it cannot be deleted.
	preview := admin.post(t, articlesPath+"/preview", url.Values{"title": {"Pictures"}, "body": {"Hello.\n\n![A calf massage](/media/" + name + ")"}})
	wantStatus(t, preview, http.StatusOK)
	checkHTML(t, preview.body, in("#article-preview img[src=/media/"+name+"]",
		hasAttr("width", "1600"), hasAttr("height", "800"), hasAttr("loading", "lazy"), hasAttr("alt", "A calf massage")))
	p := savePost(t, db.Post{BodyMD: "![A calf massage](/media/" + name + ")", Title: "With a picture"})
	var m db.Media
	if err := seededDB(t).NewSelect().Model(&m).ExcludeColumn("data").Where("name = ?", name).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	res = admin.post(t, mediaPath+"/"+itoa(m.ID)+"/delete", url.Values{})
	wantStatus(t, res, http.StatusConflict)
	checkHTML(t, res.body, in(".form-notice", hasText("in an article")))
	if _, err := seededDB(t).NewDelete().Model((*db.Post)(nil)).Where("id = ?", p.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, admin.post(t, mediaPath+"/"+itoa(m.ID)+"/delete", url.Values{}), http.StatusSeeOther)
	wantStatus(t, s.visitor().get(t, mediaURL+name), http.StatusNotFound)
	noServerErrors(t, s)
}

// A file that is not a picture, or none, comes back with a message next to
// the field and what was typed kept; nothing is stored.
func TestUploadMistakes(t *testing.T) {
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	before := mediaCount(t)
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"no file", nil, "choose a picture"},
		{"not a picture", []byte("%PDF-1.7 a document"), "not a picture"},
	} {
		res := admin.upload(t, tc.file, "typed words")
		wantStatus(t, res, http.StatusUnprocessableEntity)
		checkHTML(t, res.body, in("#media-picture-error", hasText(tc.want)), in("#media-description", hasAttr("value", "typed words")))
	}
	if n := mediaCount(t); n != before {
		t.Errorf("%d pictures stored by mistaken uploads", n-before)
	}
	noServerErrors(t, s)
}

func mediaCount(t *testing.T) int {
	t.Helper()
	n, err := seededDB(t).NewSelect().Model((*db.Media)(nil)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPictureTooLargeForm: a file over the upload limit gets the pictures
// form with its message (413), judged from its Content-Length, not the
// site's error page.
func TestPictureTooLargeForm(t *testing.T) {
	s := adminServer(t)
	admin := s.client(t)
	admin.logIn(t)
	before := mediaCount(t)
	res := admin.upload(t, make([]byte, 17<<20), "typed words")
	wantStatus(t, res, http.StatusRequestEntityTooLarge)
	checkHTML(t, res.body, in("#media-picture-error", hasText("larger than 15 MB")), in("form[action='"+mediaPath+"']"))
	if n := mediaCount(t); n != before {
		t.Errorf("%d pictures stored by a file too large", n-before)
	}
	noServerErrors(t, s)
}
