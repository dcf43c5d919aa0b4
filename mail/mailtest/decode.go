package mailtest

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
)

func newQP(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }

// newBase64 decodes base64 split over lines.
func newBase64(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, lineJoiner{r})
}

// lineJoiner drops CR and LF, which the base64 decoder already skips; it
// exists so a trailing blank line cannot confuse it.
type lineJoiner struct{ r io.Reader }

func (l lineJoiner) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(p[:n]))
	return copy(p, s), err
}
