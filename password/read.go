package password

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrMismatch is returned by Read when the two entries on a terminal differ.
var ErrMismatch = errors.New("the two passwords differ; nothing changed")

// Read gets a new password for account. On a terminal it asks twice on
// prompt without echoing; otherwise (a pipe, a file) it reads one line, so
// scripts can do `printf '%s\n' "$PW" | dynamicmotion admin-password`.
func Read(in io.Reader, prompt io.Writer, account string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(prompt, "New password for %s (at least %d characters): ", account, MinLength)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "Once more: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(first) != string(again) {
			return "", ErrMismatch
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
