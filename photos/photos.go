// Package photos prepares the pictures the therapist puts in articles. It
// reads a JPEG, PNG, GIF or WebP file, turns a phone photo upright (its EXIF
// orientation), scales it down to fit MaxWidth×MaxHeight pixels, and writes
// it again: a JPEG for photographs, a PNG for pictures that may be
// transparent. Writing it again drops its metadata, which for a photo taken
// on a phone can include where it was taken. A picture that would take too
// much memory to decode is refused from its header (header.go).
package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	_ "image/gif" // decoders, registered with image.Decode
	"image/jpeg"
	"image/png"
	"runtime/debug"

	_ "golang.org/x/image/webp"
)

// MaxWidth is the widest a prepared picture is: twice the article column,
// for sharp pictures on high-density screens. MaxHeight bounds a tall one
// (a long screenshot, say) the same way: a prepared picture fits in
// MaxWidth×MaxHeight, so it never takes more than 20 MB to hold.
const (
	MaxWidth  = 1600
	MaxHeight = 2 * MaxWidth
)

// maxPixels bounds the size of what is decoded at all; maxDecodeBytes
// (header.go) bounds its memory.
const maxPixels = 50_000_000

// jpegQuality is good for photographs at a fraction of the camera's size.
const jpegQuality = 82

// ErrNotAPicture is returned for a file that is not a JPEG, PNG, GIF or
// WebP picture.
var ErrNotAPicture = errors.New("not a JPEG, PNG, GIF or WebP picture")

// ErrTooManyPixels is returned for a picture larger than 50 megapixels, or
// one that would take too much memory to decode (then it is a
// *TooLargeError, which says more).
var ErrTooManyPixels = errors.New("the picture is too large to prepare")

// Photo is a prepared picture.
type Photo struct {
	Data          []byte
	ContentType   string // image/jpeg or image/png
	Ext           string // jpg or png
	Width, Height int
}

// Prepare reads src and returns it upright, fitting in MaxWidth×MaxHeight,
// written again without its metadata. Its header is checked first (Check),
// so a picture too large to decode is refused before it is decoded.
//
// It takes the memory of the decoded picture (maxDecodeBytes at most) and
// of the prepared one; callers run one at a time (the site has one
// machine's memory for it).
func Prepare(src []byte) (Photo, error) {
	hd, err := inspect(src)
	if err != nil {
		return Photo{}, err
	}
	img, _, err := image.Decode(bytes.NewReader(src))
	if err != nil {
		return Photo{}, ErrNotAPicture
	}
	o := 1
	if hd.format == "jpeg" {
		o = orientation(src)
	}
	// Scale first (fewer pixels to turn), to the size it will have upright.
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if o >= 5 {
		w, h = h, w
	}
	if w > MaxWidth || h > MaxHeight {
		f := min(float64(MaxWidth)/float64(w), float64(MaxHeight)/float64(h))
		w, h = max(1, min(MaxWidth, int(float64(w)*f+0.5))), max(1, min(MaxHeight, int(float64(h)*f+0.5)))
	}
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	scaled := resize(img, sw, sh)
	img = nil
	if hd.cost > 16<<20 {
		// The decoded picture is let go at once, and its memory handed
		// back: otherwise the collector would let the heap grow to twice
		// its size before reusing it, and the machine would keep it.
		debug.FreeOSMemory()
	}
	upright := orient(scaled, o)

	var out bytes.Buffer
	p := Photo{Width: upright.Bounds().Dx(), Height: upright.Bounds().Dy()}
	if hd.format == "png" || hd.format == "gif" {
		p.ContentType, p.Ext = "image/png", "png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, upright)
	} else {
		p.ContentType, p.Ext = "image/jpeg", "jpg"
		err = jpeg.Encode(&out, opaque(upright), &jpeg.Options{Quality: jpegQuality})
	}
	if err != nil {
		return Photo{}, err
	}
	p.Data = out.Bytes()
	return p, nil
}

// opaque puts a picture on white, for JPEG, which has no transparency. It
// works in place: an NRGBA picture with every pixel opaque is the same
// bytes as an RGBA one.
func opaque(img *image.NRGBA) *image.RGBA {
	px := img.Pix
	for i := 0; i < len(px); i += 4 {
		if a := uint32(px[i+3]); a != 255 {
			for c := range 3 {
				px[i+c] = uint8((uint32(px[i+c])*a + 255*(255-a) + 127) / 255)
			}
			px[i+3] = 255
		}
	}
	return &image.RGBA{Pix: px, Stride: img.Stride, Rect: img.Rect}
}

// orient turns img as EXIF orientation o says the camera held it (1: as
// stored; 2–8: mirrored and/or turned).
func orient(img *image.NRGBA, o int) *image.NRGBA {
	if o < 2 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored upside down
				dx, dy = x, h-1-y
			case 5: // mirrored, turned a quarter anticlockwise
				dx, dy = y, x
			case 6: // turned a quarter anticlockwise: turn it clockwise
				dx, dy = h-1-y, x
			case 7: // mirrored, turned a quarter clockwise
				dx, dy = h-1-y, w-1-x
			case 8: // turned a quarter clockwise: turn it anticlockwise
				dx, dy = y, w-1-x
			}
			si, di := img.PixOffset(x, y), dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return dst
}

// orientation reads the EXIF orientation (1–8) of a JPEG file, or 1 if it
// has none or cannot be read.
func orientation(jpg []byte) int {
	b := jpg
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	b = b[2:]
	for len(b) >= 4 && b[0] == 0xFF {
		marker, size := b[1], int(binary.BigEndian.Uint16(b[2:4]))
		if size < 2 || len(b) < 2+size {
			return 1
		}
		seg := b[4 : 2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		if marker == 0xDA { // the picture itself: no more metadata
			return 1
		}
		b = b[2+size:]
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in the first directory of a TIFF
// header (the body of an EXIF segment).
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off : off+2]))
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:e+2]) == 0x0112 && bo.Uint16(t[e+2:e+4]) == 3 { // SHORT
			if o := int(bo.Uint16(t[e+8 : e+10])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}
