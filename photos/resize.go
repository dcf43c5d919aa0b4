package photos

import (
	"image"
	"image/color"
	"math"
)

// resize returns src scaled to dw×dh (at most src's size) with the
// Catmull-Rom filter, widened by the scale when shrinking so that every
// source pixel counts.
//
// It works a row at a time: each source row is scaled across once, and
// only the few scaled rows the current output row needs are kept. The
// Catmull-Rom scaler of golang.org/x/image/draw instead keeps every source
// row scaled across, 32 bytes a value: 155 MB for a 12-megapixel phone
// photo made 1600 wide, 358 MB for a 7000×7000 picture. Here the working
// memory is under a megabyte beside the picture and its result.
func resize(src image.Image, dw, dh int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	xs, ys := newTaps(dw, sw), newTaps(dh, sh)
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))

	read := rowReader(src)
	row := make([]float32, 4*sw)          // one source row, premultiplied, 0–1
	ring := make([]float32, ys.most*4*dw) // the last ys.most rows scaled across
	acc := make([]float32, 4*dw)
	next := 0 // the next source row to scale across
	for y := range dh {
		first, weights := ys.of(y)
		for ; next < first+len(weights); next++ {
			read(b.Min.Y+next, row)
			xs.apply(row, ring[(next%ys.most)*4*dw:][:4*dw])
		}
		clear(acc)
		for k, w := range weights {
			scaled := ring[((first+k)%ys.most)*4*dw:][:4*dw]
			for i, v := range scaled {
				acc[i] += w * v
			}
		}
		out := dst.Pix[y*dst.Stride:][:4*dw]
		for i := 0; i < len(acc); i += 4 {
			a := min(max(acc[i+3], 0), 1)
			if a == 0 {
				out[i], out[i+1], out[i+2], out[i+3] = 0, 0, 0, 0
				continue
			}
			for c := range 3 { // the filter overshoots at edges: clamp, then undo premultiplying
				out[i+c] = uint8(min(max(acc[i+c], 0), a)/a*255 + 0.5)
			}
			out[i+3] = uint8(a*255 + 0.5)
		}
	}
	return dst
}

// taps are the weights of the source pixels that make each output pixel
// along one axis.
type taps struct {
	first   []int     // the first source pixel of each output pixel
	offset  []int     // where its weights start in weights
	weights []float32 // normalised to sum to 1
	most    int       // the most source pixels any output pixel takes
}

func (t *taps) of(i int) (first int, weights []float32) {
	end := len(t.weights)
	if i+1 < len(t.offset) {
		end = t.offset[i+1]
	}
	return t.first[i], t.weights[t.offset[i]:end]
}

// newTaps maps n source pixels onto m (m ≤ n) output pixels.
func newTaps(m, n int) *taps {
	t := &taps{first: make([]int, m), offset: make([]int, m)}
	scale := float64(n) / float64(m)
	width := max(scale, 1) // the filter's width, in source pixels per unit
	support := 2 * width
	for i := range m {
		center := (float64(i)+0.5)*scale - 0.5
		lo := max(int(math.Ceil(center-support)), 0)
		hi := min(int(math.Floor(center+support)), n-1)
		t.first[i], t.offset[i] = lo, len(t.weights)
		sum := 0.0
		start := len(t.weights)
		for j := lo; j <= hi; j++ {
			w := catmullRom((float64(j) - center) / width)
			t.weights = append(t.weights, float32(w))
			sum += w
		}
		if sum == 0 { // cannot happen with this filter; nearest pixel, to be safe
			t.weights = append(t.weights[:start], 1)
			t.first[i] = min(max(int(center+0.5), 0), n-1)
			sum = 1
		}
		for k := start; k < len(t.weights); k++ {
			t.weights[k] = float32(float64(t.weights[k]) / sum)
		}
		t.most = max(t.most, len(t.weights)-start)
	}
	return t
}

// apply scales one row of 4-value pixels across: src is n pixels, dst m.
func (t *taps) apply(src, dst []float32) {
	for i := range t.first {
		first, weights := t.of(i)
		var r, g, b, a float32
		s := src[4*first:]
		for k, w := range weights {
			p := s[4*k:][:4]
			r += w * p[0]
			g += w * p[1]
			b += w * p[2]
			a += w * p[3]
		}
		d := dst[4*i:][:4]
		d[0], d[1], d[2], d[3] = r, g, b, a
	}
}

// catmullRom is the Catmull-Rom cubic (B=0, C=½), as x/image/draw's.
func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// rowReader returns a function that reads row y of img as premultiplied
// RGBA values from 0 to 1, four per pixel, without allocating per pixel.
func rowReader(img image.Image) func(y int, out []float32) {
	b := img.Bounds()
	const unit = 1.0 / 0xffff
	switch m := img.(type) {
	case *image.YCbCr: // JPEG and lossy WebP: most pictures, so without conversions through interfaces
		return func(y int, out []float32) {
			for x := b.Min.X; x < b.Max.X; x++ {
				ci := m.COffset(x, y)
				r, g, bl := color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[ci], m.Cr[ci])
				o := out[4*(x-b.Min.X):][:4]
				o[0], o[1], o[2], o[3] = float32(r)/255, float32(g)/255, float32(bl)/255, 1
			}
		}
	case *image.NRGBA:
		return func(y int, out []float32) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			for i := range b.Dx() {
				s, o := p[4*i:][:4], out[4*i:][:4]
				a := float32(s[3]) / 255
				o[0], o[1], o[2], o[3] = float32(s[0])/255*a, float32(s[1])/255*a, float32(s[2])/255*a, a
			}
		}
	case image.RGBA64Image: // every other decoded kind: no allocation per pixel
		return func(y int, out []float32) {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := m.RGBA64At(x, y)
				o := out[4*(x-b.Min.X):][:4]
				o[0], o[1], o[2], o[3] = float32(c.R)*unit, float32(c.G)*unit, float32(c.B)*unit, float32(c.A)*unit
			}
		}
	}
	return func(y int, out []float32) {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			o := out[4*(x-b.Min.X):][:4]
			o[0], o[1], o[2], o[3] = float32(r)*unit, float32(g)*unit, float32(bl)*unit, float32(a)*unit
		}
	}
}
