package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// picture is a w×h picture, grey with a red top-left corner.
func picture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{128, 128, 128, 255}
			if x < w/4 && y < h/4 {
				c = color.NRGBA{255, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation is a JPEG of img whose EXIF says the camera was turned
// (orientation o), with a GPS-like marker in the EXIF to see it go.
func withOrientation(t *testing.T, img image.Image, o uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	jpg := b.Bytes()
	// TIFF, big-endian: header, one directory with one entry (orientation).
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01")
	entry := make([]byte, 12)
	binary.BigEndian.PutUint16(entry[0:], 0x0112)
	binary.BigEndian.PutUint16(entry[2:], 3)
	binary.BigEndian.PutUint32(entry[4:], 1)
	binary.BigEndian.PutUint16(entry[8:], o)
	tiff = append(append(tiff, entry...), []byte("\x00\x00\x00\x00GPS 52.33N 0.07W")...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	out := append([]byte{0xFF, 0xD8}, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func decode(t *testing.T, p Photo) image.Image {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatalf("the prepared picture does not decode: %v", err)
	}
	if "image/"+format != p.ContentType {
		t.Errorf("the data is %s, the content type says %s", format, p.ContentType)
	}
	if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
		t.Errorf("the data is %dx%d, Photo says %dx%d", b.Dx(), b.Dy(), p.Width, p.Height)
	}
	return img
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r > 0xc000 && g < 0x4000 && b < 0x4000
}

// A large picture is scaled down to MaxWidth, keeping its shape; a PNG
// stays a PNG.
func TestPrepareScalesDownLargePictures(t *testing.T) {
	p, err := Prepare(encodePNG(t, picture(2000, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != MaxWidth || p.Height != 800 || p.ContentType != "image/png" || p.Ext != "png" {
		t.Errorf("got %dx%d %s .%s, want 1600x800 image/png .png", p.Width, p.Height, p.ContentType, p.Ext)
	}
	decode(t, p)

	small, err := Prepare(encodePNG(t, picture(300, 200)))
	if err != nil || small.Width != 300 || small.Height != 200 {
		t.Errorf("a small picture: %dx%d, %v; want it kept at 300x200", small.Width, small.Height, err)
	}
}

// A phone photo taken with the phone turned is stored upright, and its
// metadata (which can say where it was taken) is gone.
func TestPreparePutsPhotosUpright(t *testing.T) {
	for _, tc := range []struct {
		o          uint16
		w, h       int
		redX, redY int // where the red corner ends up (a pixel inside it)
	}{
		{1, 400, 200, 10, 10},
		{3, 400, 200, 390, 190},
		{6, 200, 400, 190, 10},
		{8, 200, 400, 10, 390},
	} {
		p, err := Prepare(withOrientation(t, picture(400, 200), tc.o))
		if err != nil {
			t.Fatalf("orientation %d: %v", tc.o, err)
		}
		if p.Width != tc.w || p.Height != tc.h || p.ContentType != "image/jpeg" {
			t.Errorf("orientation %d: %dx%d %s, want %dx%d image/jpeg", tc.o, p.Width, p.Height, p.ContentType, tc.w, tc.h)
			continue
		}
		if img := decode(t, p); !isRed(img.At(tc.redX, tc.redY)) {
			t.Errorf("orientation %d: the red corner is not at (%d, %d)", tc.o, tc.redX, tc.redY)
		}
		if bytes.Contains(p.Data, []byte("Exif")) || bytes.Contains(p.Data, []byte("GPS")) {
			t.Errorf("orientation %d: the photo's metadata is still in it", tc.o)
		}
	}
}

// What is not a picture, or claims to be an enormous one, is refused
// before anything is decoded.
func TestPrepareRefuses(t *testing.T) {
	if _, err := Prepare([]byte("just some text, not a picture")); !errors.Is(err, ErrNotAPicture) {
		t.Errorf("text: %v, want ErrNotAPicture", err)
	}
	var g bytes.Buffer
	if err := gif.Encode(&g, picture(2, 2), nil); err != nil {
		t.Fatal(err)
	}
	huge := g.Bytes()
	binary.LittleEndian.PutUint16(huge[6:], 65000)
	binary.LittleEndian.PutUint16(huge[8:], 65000)
	if _, err := Prepare(huge); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("a GIF claiming 65000x65000: %v, want ErrTooManyPixels", err)
	}
}

// Whatever the file, Prepare does not panic, and what it accepts is a
// picture of the size it says, at most MaxWidth wide.
func FuzzPrepare(f *testing.F) {
	f.Add([]byte("not a picture"))
	var g bytes.Buffer
	gif.Encode(&g, picture(8, 4), nil)
	f.Add(g.Bytes())
	var j bytes.Buffer
	jpeg.Encode(&j, picture(16, 8), nil)
	f.Add(j.Bytes())
	var p bytes.Buffer
	png.Encode(&p, picture(9, 3))
	f.Add(p.Bytes())
	f.Fuzz(func(t *testing.T, src []byte) {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(src)); err == nil && cfg.Width*cfg.Height > 1_000_000 {
			return // large pictures are slow to fuzz; TestPrepareRefuses covers enormous ones
		}
		ph, err := Prepare(src)
		if err != nil {
			return
		}
		if ph.Width < 1 || ph.Width > MaxWidth || ph.Height < 1 {
			t.Fatalf("prepared %dx%d", ph.Width, ph.Height)
		}
		decode(t, ph)
	})
}
