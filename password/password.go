// Package password hashes and checks the therapist's password with argon2id,
// stored in the PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Parameters follow the OWASP recommendation for argon2id (19 MiB, t=2, p=1).
const (
	memoryKiB = 19 * 1024
	timeCost  = 2
	threads   = 1
	keyLen    = 32
	saltLen   = 16
)

// MinLength is the shortest password accepted, in characters.
const MinLength = 12

// ErrTooShort is returned by Hash for a password under MinLength characters.
var ErrTooShort = fmt.Errorf("password: use at least %d characters", MinLength)

var errFormat = errors.New("password: stored hash is not an argon2id PHC string")

// Hash returns the encoded argon2id hash of pw with a fresh random salt.
func Hash(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinLength {
		return "", ErrTooShort
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return encode(salt, argon2.IDKey([]byte(pw), salt, timeCost, memoryKiB, threads, keyLen)), nil
}

// encode is the PHC string of salt and key with the current parameters.
func encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, timeCost, threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Absent is a hash that no password matches (its key is all zeros), made
// with the current parameters: Verify against it costs what it costs
// against a real hash. A login to an account that does not exist verifies
// the password against it, so that the answer takes as long as a wrong
// password's and does not tell which addresses have accounts. It is a
// constant, not made at the first such login: making it then would take
// one hash's time more, once.
var Absent = encode(make([]byte, saltLen), make([]byte, keyLen))

// Verify reports whether pw matches encoded, in constant time. It reads the
// parameters from encoded, so hashes made with older settings still verify.
func Verify(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errFormat
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false, errFormat
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errFormat
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errFormat
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
