package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashThenVerify(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the chosen parameters", h)
	}
	if ok, err := Verify(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("Verify(right password) = %v, %v; want true", ok, err)
	}
	if ok, _ := Verify(h, "correct horse batterY"); ok {
		t.Error("Verify(wrong password) = true")
	}
	h2, _ := Hash("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt is not random")
	}
}

func TestHashRefusesShortPasswords(t *testing.T) {
	if _, err := Hash("short"); !errors.Is(err, ErrTooShort) {
		t.Errorf("Hash(short) error = %v, want ErrTooShort", err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=18$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=1,t=1,p=1$!!$a2V5"} {
		if ok, err := Verify(bad, "whatever password"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", bad, ok, err)
		}
	}
}

// Absent matches no password and costs what a real hash costs: the same
// parameters, salt and key lengths as Hash makes.
func TestAbsent(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	made, absent := strings.Split(h, "$"), strings.Split(Absent, "$")
	if len(absent) != 6 || absent[1] != made[1] || absent[2] != made[2] || absent[3] != made[3] ||
		len(absent[4]) != len(made[4]) || len(absent[5]) != len(made[5]) {
		t.Errorf("Absent %q is not shaped like a hash of today's parameters, %q", Absent, h)
	}
	for _, pw := range []string{"", "correct horse battery", "not the password of anyone", strings.Repeat("x", 64<<10)} {
		if ok, err := Verify(Absent, pw); ok || err != nil {
			t.Errorf("Verify(Absent, %.20q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}
