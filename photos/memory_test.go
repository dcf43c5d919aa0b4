package photos

// Memory: a picture is judged by its header, so that one that would take
// too much memory to decode is refused before it is decoded, and the
// worst picture that is accepted is prepared in under 150 MB.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pngChunk appends one PNG chunk to b.
func pngChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

func ihdr(w, h int, depth, colorType, interlace byte) []byte {
	d := binary.BigEndian.AppendUint32(nil, uint32(w))
	d = binary.BigEndian.AppendUint32(d, uint32(h))
	return append(d, depth, colorType, 0, 0, interlace)
}

// pngHeader is a PNG file that is all header: enough for Check, which
// reads nothing else.
func pngHeader(w, h int, depth, colorType byte) []byte {
	b := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr(w, h, depth, colorType, 0))
	if colorType == 3 {
		b = pngChunk(b, "PLTE", make([]byte, 3*256))
		b = pngChunk(b, "IDAT", nil) // DecodeConfig reads a palette's PNG up to its data
	}
	return pngChunk(b, "IEND", nil)
}

// pngTransparent is pngHeader with a transparent colour (tRNS), which
// Go's decoder turns grey and RGB into NRGBA for.
func pngTransparent(w, h int, depth, colorType byte) []byte {
	b := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr(w, h, depth, colorType, 0))
	b = pngChunk(b, "tRNS", make([]byte, 2))
	return pngChunk(b, "IEND", nil)
}

// streamPNG is a whole, valid w×h PNG written a row at a time (the
// picture is never held whole, so the test's own memory stays small):
// each row filled by row, with samples bytes a pixel. pad, when not 0,
// adds an ancillary chunk that decoders skip, to make the file that large.
func streamPNG(t testing.TB, w, h int, depth, colorType byte, samples int, row func(y int, px []byte), pad int) []byte {
	t.Helper()
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 1+w*samples) // filter byte 0, then the samples
	for y := range h {
		row(y, line[1:])
		if _, err := zw.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr(w, h, depth, colorType, 0))
	for data := z.Bytes(); len(data) > 0; {
		n := min(len(data), 1<<20)
		b = pngChunk(b, "IDAT", data[:n])
		data = data[n:]
	}
	if extra := pad - len(b) - 24; extra > 0 {
		b = pngChunk(b, "prVt", make([]byte, extra))
	}
	return pngChunk(b, "IEND", nil)
}

// jpegHeader is the start of a JPEG (marker C0 baseline, C2 progressive) of three components sampled
// h×v, 1×1, 1×1 (2, 2 is the 4:2:0 of phone photos): enough for Check.
func jpegHeader(w, height int, hv byte, marker byte) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, marker, 0, 17, 8}
	b = binary.BigEndian.AppendUint16(b, uint16(height))
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = append(b, 3, 1, hv, 0, 2, 0x11, 1, 3, 0x11, 1)
	return append(b, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0) // the scan's header, where DecodeConfig stops
}

// The 16-bit PNG of the issue (7000×7000, a few hundred kilobytes, 392 MB
// decoded) is refused from its header, having taken next to no memory, and
// the refusal says what would do.
func TestPrepareRefusesADeepPictureUndecoded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 294 MB picture (compressed to about a megabyte)")
	}
	deep := streamPNG(t, 7000, 7000, 16, 2, 6, func(y int, px []byte) {}, 0)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(deep))
	if err != nil || cfg.ColorModel != color.RGBA64Model {
		t.Fatalf("the test picture: %v, model %v; want a 16-bit RGB PNG", err, cfg.ColorModel)
	}
	t.Logf("the picture is %d KB", len(deep)>>10)

	allocated := allocatedBy(func() { _, err = Prepare(deep) })
	var tooLarge *TooLargeError
	if !errors.Is(err, ErrTooManyPixels) || !errors.As(err, &tooLarge) {
		t.Fatalf("Prepare: %v, want a TooLargeError", err)
	}
	if allocated > 2<<20 {
		t.Errorf("refusing it took %d KB: it was decoded, not judged from its header", allocated>>10)
	}
	if !tooLarge.Deep || tooLarge.Width != 7000 || tooLarge.Height != 7000 || tooLarge.Format != "png" {
		t.Errorf("the refusal says %+v", tooLarge)
	}
	// At 8 bytes a pixel, about 9 million pixels fit.
	if tooLarge.MaxPixels < 8_500_000 || tooLarge.MaxPixels > 10_000_000 {
		t.Errorf("MaxPixels %d, want about 9.3 million", tooLarge.MaxPixels)
	}
}

// The header decides: the kind of picture as much as its size.
func TestCheckJudgesMemoryNotJustPixels(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  []byte
		ok   bool
	}{
		{"16-bit RGB, 3000×3000 (72 MB)", pngHeader(3000, 3000, 16, 2), true},
		{"16-bit RGB, 4000×4000 (128 MB)", pngHeader(4000, 4000, 16, 2), false},
		{"16-bit grey, 6000×6000 (72 MB)", pngHeader(6000, 6000, 16, 0), true},
		{"16-bit grey, 7000×7000 (98 MB)", pngHeader(7000, 7000, 16, 0), false},
		{"16-bit grey with a transparent colour, 5000×5000 (200 MB)", pngTransparent(5000, 5000, 16, 0), false},
		{"8-bit grey with a transparent colour, 5000×5000 (100 MB)", pngTransparent(5000, 5000, 8, 0), false},
		{"8-bit RGBA, 4200×4200 (71 MB)", pngHeader(4200, 4200, 8, 6), true},
		{"8-bit RGBA, 4900×4900 (96 MB)", pngHeader(4900, 4900, 8, 6), false},
		{"8-bit palette, 7000×7000 (49 MB)", pngHeader(7000, 7000, 8, 3), true},
		{"8-bit grey, 7100×7100 (more than 50 million pixels)", pngHeader(7100, 7100, 8, 0), false},
		{"JPEG 4:2:0, 8064×6048 (a 48-megapixel phone photo, 73 MB)", jpegHeader(8064, 6048, 0x22, 0xC0), true},
		{"JPEG 4:4:4, 8000×6000 (144 MB)", jpegHeader(8000, 6000, 0x11, 0xC0), false},
		{"progressive JPEG 4:2:0, 3264×2448 (an 8-megapixel photo, 60 MB)", jpegHeader(3264, 2448, 0x22, 0xC2), true},
		{"progressive JPEG 4:2:0, 4032×3024 (a 12-megapixel photo, 91 MB)", jpegHeader(4032, 3024, 0x22, 0xC2), false},
	} {
		err := Check(tc.src)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: refused (%v), want it accepted", tc.name, err)
		case !tc.ok && !errors.Is(err, ErrTooManyPixels):
			t.Errorf("%s: %v, want ErrTooManyPixels", tc.name, err)
		}
	}
	var tooLarge *TooLargeError
	if err := Check(jpegHeader(8000, 6000, 0x22, 0xC2)); !errors.As(err, &tooLarge) || !tooLarge.Progressive {
		t.Errorf("a progressive JPEG: %v, want a TooLargeError that says so", err)
	}
	if err := Check([]byte("not a picture")); !errors.Is(err, ErrNotAPicture) {
		t.Errorf("text: %v, want ErrNotAPicture", err)
	}
}

// allocatedBy is how many bytes f allocates (everything, garbage too).
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The estimate Check judges by is at least what the decoders really take,
// for every kind of picture they read: progressive, CMYK and RGB JPEGs,
// interlaced and transparent PNGs, lossless and transparent WebPs (the
// files in testdata come from the Go and x/image test suites), and large
// pictures of each common kind.
func TestCheckEstimatesBoundTheDecoders(t *testing.T) {
	files := map[string][]byte{}
	names, err := filepath.Glob("testdata/*")
	if err != nil || len(names) < 10 {
		t.Fatalf("testdata: %v, %d files", err, len(names))
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	gradient := func(y int, px []byte) {
		for i := range px {
			px[i] = byte(i*7 + y)
		}
	}
	files["rgba 2000x1500"] = streamPNG(t, 2000, 1500, 8, 6, 4, gradient, 0)
	files["rgb16 1500x1000"] = streamPNG(t, 1500, 1000, 16, 2, 6, gradient, 0)
	files["grey 3000x2000"] = streamPNG(t, 3000, 2000, 8, 0, 1, gradient, 0)
	var j bytes.Buffer
	if err := jpeg.Encode(&j, picture(3000, 2000), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	files["jpeg 4:2:0 3000x2000"] = bytes.Clone(j.Bytes())
	j.Reset()
	if err := jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 2000, 1500)), nil); err != nil {
		t.Fatal(err)
	}
	files["jpeg grey 2000x1500"] = j.Bytes()

	for name, src := range files {
		hd, err := inspect(src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var decodeErr error
		took := allocatedBy(func() { _, _, decodeErr = image.Decode(bytes.NewReader(src)) })
		if decodeErr != nil {
			t.Errorf("%s: %v", name, decodeErr)
			continue
		}
		// The estimate holds without most of the megabyte it adds for
		// the decoders' fixed buffers (tens of kilobytes): the part that
		// grows with the picture is right on its own. TotalAlloc counts the
		// whole process: a run once measured the 2000×1500 PNG 167 KB
		// over its estimate, so the allowance is 256 KB, a quarter of that
		// megabyte.
		bound := uint64(hd.cost-decoderOverhead) + 256<<10
		if raceDetector {
			// Built with -race (as make test runs), the decoders
			// allocate a little more: 2% over was seen.
			bound += bound / 20
		}
		if took > bound {
			t.Errorf("%s (%s %d×%d): decoding took %d KB, the estimate without its margin is %d KB",
				name, hd.format, hd.width, hd.height, took>>10, (hd.cost-decoderOverhead)>>10)
		}
	}
	// A progressive JPEG costs its coefficients too: about five times
	// the same picture stored baseline.
	base, _ := inspect(files["video-001.q50.420.jpeg"])
	prog, _ := inspect(files["video-001.q50.420.progressive.jpeg"])
	if !prog.progressive || base.progressive || prog.cost-decoderOverhead < 4*(base.cost-decoderOverhead) {
		t.Errorf("baseline %+v, progressive %+v", base, prog)
	}
}

// rssKB reads a value in kB (VmRSS, VmHWM) from /proc/self/status.
func rssKB(t *testing.T, field string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	t.Skipf("no %s in /proc/self/status", field)
	return 0
}

// largestAccepted is the tallest h, for files made by header(h), that
// Check accepts.
func largestAccepted(t *testing.T, header func(h int) []byte) int {
	t.Helper()
	lo, hi := 1, 1<<16
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if Check(header(mid)) == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// The worst pictures that are accepted (decoding as close to the limit as
// the header allows, in a file of nearly 15 MB) are prepared with the
// process's resident memory under 150 MB at its peak.
func TestPrepareTheWorstAcceptedPictureInUnder150MB(t *testing.T) {
	if testing.Short() {
		t.Skip("prepares pictures of up to 50 megapixels")
	}
	if raceDetector {
		// make test runs with -race; the binary's own memory under the
		// same pictures is measured by e2e's TestAbuseBodiesWorstPicture.
		t.Skip("the race detector's shadow memory doubles what is resident: run without -race to measure")
	}
	const fileSize = 14 << 20
	noise := func(y int, px []byte) { // a gradient with enough noise that the file is not nothing
		for i := range px {
			px[i] = byte(i + y)
			if i%13 == 0 {
				px[i] ^= byte(y * i)
			}
		}
	}
	worst := []struct {
		name string
		make func() []byte
	}{
		{"8-bit RGBA PNG at the limit", func() []byte {
			h := largestAccepted(t, func(h int) []byte { return pngHeader(4500, h, 8, 6) })
			return streamPNG(t, 4500, h, 8, 6, 4, noise, fileSize)
		}},
		{"16-bit RGB PNG at the limit", func() []byte {
			h := largestAccepted(t, func(h int) []byte { return pngHeader(3500, h, 16, 2) })
			return streamPNG(t, 3500, h, 16, 2, 6, noise, fileSize)
		}},
		{"tall grey PNG of 50 megapixels", func() []byte {
			gradient := func(y int, px []byte) {
				for i := range px {
					px[i] = byte(i + y)
				}
			}
			return streamPNG(t, 1000, 50_000, 8, 0, 1, gradient, fileSize)
		}},
		{"JPEG 4:2:0 of 48 megapixels", func() []byte {
			img := image.NewYCbCr(image.Rect(0, 0, 8064, 6048), image.YCbCrSubsampleRatio420)
			for i := range img.Y {
				img.Y[i] = byte(i)
			}
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
				t.Fatal(err)
			}
			return append(b.Bytes(), make([]byte, max(0, fileSize-b.Len()))...) // after the end: ignored
		}},
	}
	for _, tc := range worst {
		src := tc.make()
		hd, err := inspect(src)
		if err != nil {
			t.Fatalf("%s: refused (%v); the test means the worst accepted", tc.name, err)
		}
		debug.FreeOSMemory()
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			t.Skipf("cannot reset the peak resident memory: %v", err)
		}
		before := rssKB(t, "VmRSS")
		start := time.Now()
		p, err := Prepare(src)
		took := time.Since(start)
		peak := rssKB(t, "VmHWM")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: %d×%d, %.1f MB file, decoder estimate %d MB: resident %d MB before, peak %d MB, %s; prepared %d×%d",
			tc.name, hd.width, hd.height, float64(len(src))/(1<<20), hd.cost>>20, before>>10, peak>>10, took.Round(time.Millisecond), p.Width, p.Height)
		if peak >= 150<<10 {
			t.Errorf("%s: resident memory peaked at %d MB, budget 150 MB", tc.name, peak>>10)
		}
		if p.Width > MaxWidth || p.Height > MaxHeight {
			t.Errorf("%s: prepared %d×%d, want it within %d×%d", tc.name, p.Width, p.Height, MaxWidth, MaxHeight)
		}
	}
}
