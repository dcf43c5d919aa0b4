package photos

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
)

// A picture is judged by its header before it is decoded: a file of a few
// hundred kilobytes can claim a picture that takes gigabytes to hold (a
// 7000×7000 PNG of 16 bits per colour decodes to 392 MB). The header gives
// the size and the kind of picture, and from them the memory its decoder
// will take; a picture that would take more than maxDecodeBytes is refused
// before any of it is decoded.

// maxDecodeBytes bounds the memory that decoding one picture may take (the
// decoded picture and the decoder's own buffers). With the uploaded file
// (15 MB at most) and the prepared copy (1600×3200 at most, 20 MB) it keeps
// the preparation of the worst accepted picture near 110 MB, so that the
// 256 MB machine stays under its 200 MB budget with the rest of the site
// and a second upload waiting its turn. It still takes a 48-megapixel
// phone photo (4:2:0 JPEG, 70 MB).
const maxDecodeBytes = 72 << 20

// decoderOverhead is what a decoder takes whatever the picture's size
// (tables, buffers): added to every estimate.
const decoderOverhead = 1 << 20

// TooLargeError says why a picture was refused before it was decoded, in
// words the form can show.
type TooLargeError struct {
	Width, Height int
	Format        string // jpeg, png, gif or webp
	Deep          bool   // 16 bits per colour
	Progressive   bool   // a progressive JPEG, which takes five times the memory to decode
	// MaxPixels is about the most pixels a picture of this kind may have.
	MaxPixels int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the %s picture (%d×%d) would take too much memory to prepare; at most about %d pixels",
		e.Format, e.Width, e.Height, e.MaxPixels)
}

// Is makes every TooLargeError an ErrTooManyPixels.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooManyPixels }

// header is what Check learns from a picture's header.
type header struct {
	format        string
	width, height int
	// cost is the memory decoding the picture takes, in bytes (an upper
	// bound: the decoded picture, the decoder's working copies, its
	// fixed buffers).
	cost        int64
	deep        bool
	progressive bool
}

// Check reads the header of src and refuses a picture the site will not
// decode: not a picture (ErrNotAPicture), more than 50 million pixels, or
// one whose decoding would take more memory than the site allows (a
// *TooLargeError, which is ErrTooManyPixels). It decodes nothing.
func Check(src []byte) error {
	_, err := inspect(src)
	return err
}

func inspect(src []byte) (header, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(src))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return header{}, ErrNotAPicture
	}
	h := header{format: format, width: cfg.Width, height: cfg.Height}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	var perPixel float64 // bytes per pixel, for MaxPixels
	switch format {
	case "png":
		h.cost, h.deep = pngCost(src, cfg.Width, cfg.Height)
	case "jpeg":
		h.cost, h.progressive = jpegCost(src, cfg.Width, cfg.Height, cfg.ColorModel)
	case "gif":
		// The first frame, one byte a pixel, within the picture's bounds;
		// twice for an interlaced frame, which is reordered into a copy.
		h.cost = 2 * pixels
	case "webp":
		h.cost = webpCost(src, cfg.Width, cfg.Height)
	default:
		return header{}, ErrNotAPicture
	}
	if h.cost <= 0 { // a header the cost functions could not read: the decoder will refuse it too
		return header{}, ErrNotAPicture
	}
	perPixel = float64(h.cost) / float64(pixels)
	h.cost += decoderOverhead
	if pixels > maxPixels || h.cost > maxDecodeBytes {
		most := min(maxPixels, int((maxDecodeBytes-decoderOverhead)/perPixel))
		return header{}, &TooLargeError{Width: h.width, Height: h.height, Format: format,
			Deep: h.deep, Progressive: h.progressive, MaxPixels: most}
	}
	return h, nil
}

// pngCost is the memory Go's PNG decoder takes for a w×h PNG: the picture
// at the size its colour type decodes to (a transparent colour, tRNS, turns
// grey and RGB into NRGBA), twice for an interlaced one (each of its seven
// passes is decoded apart, then copied in). deep reports 16 bits per
// colour. 0 when the header cannot be read.
func pngCost(src []byte, w, h int) (cost int64, deep bool) {
	// The signature (8 bytes), then chunks: length, type, data, CRC. IHDR
	// comes first: width, height, bit depth, colour type, compression,
	// filter, interlace.
	const sig = 8
	if len(src) < sig+8+13 || string(src[sig+4:sig+8]) != "IHDR" {
		return 0, false
	}
	ihdr := src[sig+8:]
	depth, colorType, interlaced := ihdr[8], ihdr[9], ihdr[12] == 1
	transparent := false
	for b := src[sig:]; len(b) >= 8; {
		n, typ := binary.BigEndian.Uint32(b[:4]), string(b[4:8])
		if typ == "IDAT" || int64(n) > int64(len(b))-12 {
			break
		}
		if typ == "tRNS" {
			transparent = true
		}
		b = b[12+n:]
	}
	var perPixel int64
	switch colorType {
	case 0: // grey
		perPixel = 1
		if transparent {
			perPixel = 4
		}
	case 3: // a palette
		perPixel = 1
	case 2, 4, 6: // RGB, grey with alpha, RGBA
		perPixel = 4
	default:
		return 0, false
	}
	if depth == 16 {
		perPixel *= 2
		if colorType == 0 && transparent {
			perPixel = 8
		}
	}
	cost = int64(w) * int64(h) * perPixel
	if interlaced {
		cost *= 2
	}
	// The decoder's two rows (this one and the one above), as in the file.
	cost += 2 * (int64(w)*8 + 1)
	return cost, depth == 16
}

// jpegCost is the memory Go's JPEG decoder takes for a w×h JPEG, from its
// frame header (SOF): the components at their sampling (padded to whole
// blocks), a converted copy for RGB and CMYK files (model, from
// DecodeConfig, says which), and for a progressive JPEG its coefficients
// (4 bytes per sample) kept until the last scan. 0 when the header cannot
// be read.
func jpegCost(src []byte, w, h int, model color.Model) (cost int64, progressive bool) {
	type comp struct{ h, v int }
	var comps []comp
	b := src
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0, false
	}
	b = b[2:]
	for len(comps) == 0 {
		for len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFF { // fill bytes
			b = b[1:]
		}
		if len(b) < 4 || b[0] != 0xFF {
			return 0, false
		}
		marker, size := b[1], int(binary.BigEndian.Uint16(b[2:4]))
		if size < 2 || len(b) < 2+size {
			return 0, false
		}
		seg := b[4 : 2+size]
		switch marker {
		case 0xC0, 0xC1, 0xC2: // the frame header: baseline, extended, progressive
			progressive = marker == 0xC2
			if len(seg) < 6 {
				return 0, false
			}
			n := int(seg[5])
			if n != 1 && n != 3 && n != 4 || len(seg) < 6+3*n {
				return 0, false
			}
			for i := range n {
				hv := seg[6+3*i+1]
				comps = append(comps, comp{h: int(hv >> 4), v: int(hv & 0x0f)})
			}
		case 0xDA, 0xD9: // the picture, or its end, before any frame header
			return 0, false
		}
		b = b[2+size:]
	}
	if len(comps) == 1 {
		comps[0] = comp{1, 1} // as the decoder treats a grey JPEG
	}
	hmax, vmax := 1, 1
	for _, c := range comps {
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return 0, false
		}
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	mxx := int64((w + 8*hmax - 1) / (8 * hmax))
	myy := int64((h + 8*vmax - 1) / (8 * vmax))
	blocks := func(c comp) int64 { return mxx * myy * int64(c.h*c.v) } // 8×8 blocks of a component
	pixels := int64(w) * int64(h)
	if len(comps) == 1 {
		cost = 64 * blocks(comps[0])
	} else {
		y, cb, cr := comps[0], comps[1], comps[2]
		standard := cb.h == cr.h && cb.v == cr.v && y.h == hmax && y.v == vmax
		if standard {
			switch (hmax/cb.h)<<4 | vmax/cb.v {
			case 0x11, 0x12, 0x21, 0x22, 0x41, 0x42:
			default:
				standard = false
			}
		}
		if standard {
			cost = 64 * (blocks(y) + blocks(cb) + blocks(cr))
		} else {
			cost = 3 * 64 * mxx * myy * int64(hmax*vmax) // all three at full size
		}
		if len(comps) == 4 {
			cost += 64*blocks(comps[3]) + 4*pixels // the black channel, then CMYK
		} else if model == color.RGBAModel {
			cost += 4 * pixels // an RGB JPEG, converted to RGBA
		}
	}
	if progressive {
		for _, c := range comps {
			cost += 256 * blocks(c) // 64 coefficients of 4 bytes per block
		}
	}
	return cost, progressive
}

// webpCost is the memory the WebP decoder takes: a lossy picture (VP8)
// decodes to 4:2:0 YCbCr in whole macroblocks. A lossless one (VP8L) is
// 4 bytes a pixel, twice while its colour-index transform is undone, and an
// extended file (VP8X) may hold either, with an alpha channel decoded
// losslessly beside the picture: counted at its worst.
func webpCost(src []byte, w, h int) int64 {
	if len(src) < 16 {
		return 0
	}
	if string(src[12:16]) == "VP8 " {
		mbw, mbh := int64((w+15)/16), int64((h+15)/16)
		return mbw * mbh * 256 * 3 / 2
	}
	return int64(w) * int64(h) * 11
}
