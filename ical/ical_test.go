package ical_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"dynamicmotion/ical"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// booking is a typical summer studio booking, as the mail code would describe it.
func booking() ical.Event {
	return ical.Event{
		UID:         "booking-42@dynamicmotion.example",
		Sequence:    0,
		Stamp:       time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC),
		Start:       time.Date(2026, 7, 15, 10, 0, 0, 0, london),
		End:         time.Date(2026, 7, 15, 11, 0, 0, 0, london),
		Summary:     "Sports massage (60 min) with Dynamic Motion",
		Description: "Please arrive five minutes early.\nManage or cancel: https://dynamicmotion.example/booking/manage/abc123",
		Location:    "Dynamic Motion Studio, 14 Bridge Street, St Ives, Cambridgeshire PE27 5EG",
		URL:         "https://dynamicmotion.example/booking/manage/abc123",
		Organizer:   ical.Person{Name: "Dynamic Motion Sports Therapy", Email: "bookings@dynamicmotion.example"},
		Attendee:    ical.Person{Name: "Jane Smith", Email: "jane@example.com"},
		Alarm:       24 * time.Hour,
	}
}

const prodID = "-//Dynamic Motion//Bookings//EN"

// ---- the strict checker ----------------------------------------------------------------------------

// contentLine is one unfolded content line: name *(";" param) ":" value.
type contentLine struct {
	name   string
	params []param
	value  string
}

type param struct {
	name   string
	values []string // as written, quotes removed
	quoted []bool
}

func (l contentLine) param(name string) (param, bool) {
	for _, p := range l.params {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

// checkRaw checks the octets of a calendar against RFC 5545 section 3.1 and returns its unfolded content
// lines: CRLF and nothing else as line ends, at most 75 octets a line, folds only as CRLF + one space and
// never inside a UTF-8 character, every content line of the right grammar, BEGIN/END properly nested.
func checkRaw(t *testing.T, b []byte) []contentLine {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("output does not end with CRLF")
	}
	physical := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	var logical []string
	for i, l := range physical {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d: bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Fatalf("line %d: %d octets (> 75): %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("line %d: not valid UTF-8 on its own (a fold split a character): %q", i+1, l)
		}
		if l == "" {
			t.Fatalf("line %d: empty line", i+1)
		}
		if l[0] == ' ' || l[0] == '\t' {
			if i == 0 {
				t.Fatalf("first line is a continuation")
			}
			if len(l) == 1 {
				t.Fatalf("line %d: a continuation with nothing in it", i+1)
			}
			logical[len(logical)-1] += l[1:]
			continue
		}
		logical = append(logical, l)
	}

	var out []contentLine
	var stack []string
	for _, l := range logical {
		cl, err := parseContentLine(l)
		if err != nil {
			t.Fatalf("%v in %q", err, l)
		}
		switch cl.name {
		case "BEGIN":
			stack = append(stack, cl.value)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != cl.value {
				t.Fatalf("END:%s does not close %v", cl.value, stack)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 && len(out) != len(logical)-1 {
				t.Fatalf("content after the end of the VCALENDAR")
			}
		default:
			if len(stack) == 0 {
				t.Fatalf("property %s outside any component", cl.name)
			}
		}
		checkValue(t, cl)
		out = append(out, cl)
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed components %v", stack)
	}
	if out[0].name != "BEGIN" || out[0].value != "VCALENDAR" {
		t.Fatalf("does not start with BEGIN:VCALENDAR")
	}
	return out
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9-]+`)

// parseContentLine parses RFC 5545's contentline grammar strictly.
func parseContentLine(s string) (contentLine, error) {
	var cl contentLine
	cl.name = nameRE.FindString(s)
	if cl.name == "" {
		return cl, errors.New("no property name")
	}
	s = s[len(cl.name):]
	for strings.HasPrefix(s, ";") {
		s = s[1:]
		var p param
		p.name = nameRE.FindString(s)
		if p.name == "" || !strings.HasPrefix(s[len(p.name):], "=") {
			return cl, errors.New("bad parameter name")
		}
		s = s[len(p.name)+1:]
		for {
			var v string
			var quoted bool
			if strings.HasPrefix(s, `"`) {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					return cl, errors.New("unterminated quoted-string")
				}
				v, s, quoted = s[1:1+end], s[2+end:], true
				for _, r := range v {
					if r < 0x20 && r != '\t' || r == 0x7f {
						return cl, errors.New("control character in a quoted-string")
					}
				}
			} else {
				end := strings.IndexAny(s, `;:,"`)
				if end < 0 {
					return cl, errors.New("parameter runs to the end of the line")
				}
				if s[end] == '"' {
					return cl, errors.New("double quote inside an unquoted parameter value")
				}
				v, s = s[:end], s[end:]
				for _, r := range v {
					if r < 0x20 && r != '\t' || r == 0x7f {
						return cl, errors.New("control character in a parameter value")
					}
				}
			}
			p.values = append(p.values, v)
			p.quoted = append(p.quoted, quoted)
			if !strings.HasPrefix(s, ",") {
				break
			}
			s = s[1:]
		}
		cl.params = append(cl.params, p)
	}
	if !strings.HasPrefix(s, ":") {
		return cl, errors.New("expected ':' after the name and parameters")
	}
	cl.value = s[1:]
	for _, r := range cl.value {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return cl, errors.New("control character in the value")
		}
	}
	return cl, nil
}

var (
	utcDateTimeRE   = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	localDateTimeRE = regexp.MustCompile(`^\d{8}T\d{6}$`)
	durTime         = `T(\d+H(\d+M(\d+S)?)?|\d+M(\d+S)?|\d+S)`
	durationRE      = regexp.MustCompile(`^[+-]?P(\d+W|\d+D(` + durTime + `)?|` + durTime + `)$`)
	offsetRE        = regexp.MustCompile(`^[+-]\d{4}$`)
	mailtoRE        = regexp.MustCompile(`^mailto:[^\s"<>]+@[^\s"<>]+$`)
)

var textProps = map[string]bool{"PRODID": true, "UID": true, "SUMMARY": true, "DESCRIPTION": true, "LOCATION": true, "TZNAME": true}

// checkValue checks a property's value against its value type.
func checkValue(t *testing.T, cl contentLine) {
	t.Helper()
	switch {
	case textProps[cl.name]:
		// a single TEXT: only \\ \; \, \n escapes, no bare ; or ,
		v := cl.value
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '\\':
				if i+1 >= len(v) || !strings.ContainsRune(`\;,nN`, rune(v[i+1])) {
					t.Fatalf("%s: bad escape in %q", cl.name, v)
				}
				i++
			case ';', ',':
				t.Fatalf("%s: unescaped %q in %q", cl.name, v[i], v)
			}
		}
	case cl.name == "DTSTAMP":
		if !utcDateTimeRE.MatchString(cl.value) || len(cl.params) != 0 {
			t.Fatalf("DTSTAMP must be a UTC date-time: %+v", cl)
		}
	case cl.name == "DTSTART" || cl.name == "DTEND":
		tz, ok := cl.param("TZID")
		switch {
		case ok && (len(tz.values) != 1 || tz.values[0] != "Europe/London" || !localDateTimeRE.MatchString(cl.value)):
			t.Fatalf("%s: want TZID=Europe/London and a local date-time: %+v", cl.name, cl)
		case !ok && !utcDateTimeRE.MatchString(cl.value) && !localDateTimeRE.MatchString(cl.value):
			t.Fatalf("%s: not a date-time: %q", cl.name, cl.value)
		}
	case cl.name == "DURATION" || cl.name == "TRIGGER":
		if !durationRE.MatchString(cl.value) {
			t.Fatalf("%s: not a duration: %q", cl.name, cl.value)
		}
	case cl.name == "SEQUENCE":
		if n, err := strconv.Atoi(cl.value); err != nil || n < 0 {
			t.Fatalf("SEQUENCE: not a non-negative integer: %q", cl.value)
		}
	case cl.name == "TZOFFSETFROM" || cl.name == "TZOFFSETTO":
		if !offsetRE.MatchString(cl.value) {
			t.Fatalf("%s: not a UTC offset: %q", cl.name, cl.value)
		}
	case cl.name == "ORGANIZER" || cl.name == "ATTENDEE":
		if !mailtoRE.MatchString(cl.value) {
			t.Fatalf("%s: not a mailto: URI: %q", cl.name, cl.value)
		}
		if p, ok := cl.param("CN"); ok && len(p.values) != 1 {
			t.Fatalf("%s: CN has %d values", cl.name, len(p.values))
		}
	case cl.name == "STATUS":
		if cl.value != "CONFIRMED" && cl.value != "CANCELLED" && cl.value != "TENTATIVE" {
			t.Fatalf("STATUS: %q", cl.value)
		}
	}
}

// parse checks b with checkRaw, then decodes it with go-ical, re-encodes it with go-ical's encoder (which
// checks the cardinality of properties) and checks the properties each component requires.
func parse(t *testing.T, b []byte) (*goical.Calendar, []contentLine) {
	t.Helper()
	lines := checkRaw(t, b)
	dec := goical.NewDecoder(bytes.NewReader(b))
	cal, err := dec.Decode()
	if err != nil {
		t.Fatalf("go-ical: %v\n%s", err, b)
	}
	if _, err := dec.Decode(); err != io.EOF {
		t.Fatalf("go-ical: more after the VCALENDAR: %v", err)
	}
	if err := goical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Fatalf("go-ical rejects the structure: %v", err)
	}
	checkComponent(t, cal.Component)
	return cal, lines
}

func one(t *testing.T, c *goical.Component, name string) *goical.Prop {
	t.Helper()
	if n := len(c.Props[name]); n != 1 {
		t.Fatalf("%s: want exactly one %s, got %d", c.Name, name, n)
	}
	return c.Props.Get(name)
}

func checkComponent(t *testing.T, c *goical.Component) {
	t.Helper()
	children := map[string]int{}
	for _, ch := range c.Children {
		children[ch.Name]++
		checkComponent(t, ch)
	}
	switch c.Name {
	case "VCALENDAR":
		one(t, c, "PRODID")
		if v := one(t, c, "VERSION").Value; v != "2.0" {
			t.Fatalf("VERSION:%s", v)
		}
		method := one(t, c, "METHOD").Value
		if method != "PUBLISH" && method != "REQUEST" && method != "CANCEL" {
			t.Fatalf("METHOD:%s", method)
		}
		if children["VTIMEZONE"] != 1 {
			t.Fatalf("want one VTIMEZONE, got %d", children["VTIMEZONE"])
		}
		for _, ev := range c.Children {
			if ev.Name != "VEVENT" {
				continue
			}
			// iTIP (RFC 5546 section 3.2): ORGANIZER in every method; ATTENDEE in REQUEST and CANCEL, never PUBLISH.
			one(t, ev, "ORGANIZER")
			n := len(ev.Props["ATTENDEE"])
			if method == "PUBLISH" && n != 0 || method != "PUBLISH" && n != 1 {
				t.Fatalf("METHOD:%s with %d ATTENDEE", method, n)
			}
			if method == "CANCEL" {
				if st := one(t, ev, "STATUS").Value; st != "CANCELLED" {
					t.Fatalf("CANCEL with STATUS:%s", st)
				}
				if len(ev.Children) != 0 {
					t.Fatalf("CANCEL with a VALARM")
				}
			}
			for _, name := range []string{"DTSTART", "DTEND"} {
				if p := ev.Props.Get(name); p != nil && p.Params.Get("TZID") != "" && p.Params.Get("TZID") != "Europe/London" {
					t.Fatalf("%s refers to a zone with no VTIMEZONE: %s", name, p.Params.Get("TZID"))
				}
			}
		}
	case "VEVENT":
		for _, name := range []string{"UID", "DTSTAMP", "DTSTART", "SEQUENCE"} {
			one(t, c, name)
		}
		if len(c.Props["DTEND"])+len(c.Props["DURATION"]) != 1 {
			t.Fatalf("VEVENT: want one DTEND or one DURATION")
		}
		for _, ch := range c.Children {
			if ch.Name != "VALARM" {
				t.Fatalf("VEVENT holds a %s", ch.Name)
			}
		}
	case "VTIMEZONE":
		one(t, c, "TZID")
		if children["STANDARD"] < 1 || children["DAYLIGHT"] < 1 || len(c.Children) != children["STANDARD"]+children["DAYLIGHT"] {
			t.Fatalf("VTIMEZONE: want STANDARD and DAYLIGHT and nothing else, got %v", children)
		}
	case "STANDARD", "DAYLIGHT":
		for _, name := range []string{"DTSTART", "TZOFFSETFROM", "TZOFFSETTO"} {
			one(t, c, name)
		}
		if !localDateTimeRE.MatchString(c.Props.Get("DTSTART").Value) {
			t.Fatalf("%s: DTSTART must be local time", c.Name)
		}
	case "VALARM":
		action := one(t, c, "ACTION").Value
		one(t, c, "TRIGGER")
		if action == "DISPLAY" {
			one(t, c, "DESCRIPTION")
		}
	default:
		t.Fatalf("unexpected component %s", c.Name)
	}
}

func events(t *testing.T, cal *goical.Calendar) []goical.Event {
	t.Helper()
	evs := cal.Events()
	if len(evs) == 0 {
		t.Fatalf("no VEVENT")
	}
	return evs
}

func textOf(t *testing.T, c *goical.Component, name string) string {
	t.Helper()
	s, err := one(t, c, name).Text()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func timezone(t *testing.T, cal *goical.Calendar) *goical.Component {
	t.Helper()
	for _, c := range cal.Children {
		if c.Name == "VTIMEZONE" {
			return c
		}
	}
	t.Fatalf("no VTIMEZONE")
	return nil
}

// ---- resolving times through the emitted VTIMEZONE (not the zone database) -------------------------

type onset struct {
	at     time.Time // the instant the observance begins
	offset int       // seconds east of UTC from then on
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off
}

// onsets expands the VTIMEZONE's observances with their RRULEs (rrule-go) into the instants at which the
// offset changes, up to the end of 2040.
func onsets(t *testing.T, tz *goical.Component) []onset {
	t.Helper()
	var all []onset
	for _, obs := range tz.Children {
		from := parseOffset(t, obs.Props.Get("TZOFFSETFROM").Value)
		to := parseOffset(t, obs.Props.Get("TZOFFSETTO").Value)
		// DTSTART is local time in the offset before the onset; expand as a naive wall clock in UTC.
		start, err := time.Parse("20060102T150405", obs.Props.Get("DTSTART").Value)
		if err != nil {
			t.Fatal(err)
		}
		walls := []time.Time{start}
		if r := obs.Props.Get("RRULE"); r != nil {
			opt, err := rrule.StrToROption(r.Value)
			if err != nil {
				t.Fatalf("RRULE %q: %v", r.Value, err)
			}
			opt.Dtstart = start
			rule, err := rrule.NewRRule(*opt)
			if err != nil {
				t.Fatal(err)
			}
			walls = rule.Between(start, time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC), true)
		}
		for _, w := range walls {
			all = append(all, onset{at: w.Add(-time.Duration(from) * time.Second), offset: to})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	return all
}

func offsetAt(ons []onset, u time.Time) (int, bool) {
	off, ok := 0, false
	for _, o := range ons {
		if o.at.After(u) {
			break
		}
		off, ok = o.offset, true
	}
	return off, ok
}

// resolve turns a DTSTART/DTEND into an instant using only what the calendar says: a UTC value as is, a
// TZID value through the VTIMEZONE, the earlier instant where the wall clock repeats (RFC 5545 3.3.5).
func resolve(t *testing.T, cal *goical.Calendar, p *goical.Prop) time.Time {
	t.Helper()
	if strings.HasSuffix(p.Value, "Z") {
		u, err := time.Parse("20060102T150405Z", p.Value)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tz := timezone(t, cal)
	if got := tz.Props.Get("TZID").Value; got != p.Params.Get("TZID") {
		t.Fatalf("TZID %q has no VTIMEZONE (have %q)", p.Params.Get("TZID"), got)
	}
	wall, err := time.Parse("20060102T150405", p.Value)
	if err != nil {
		t.Fatal(err)
	}
	ons := onsets(t, tz)
	var found []time.Time
	for _, off := range []int{0, 3600, 7200} {
		u := wall.Add(-time.Duration(off) * time.Second)
		if o, ok := offsetAt(ons, u); ok && o == off {
			found = append(found, u)
		}
	}
	if len(found) == 0 {
		t.Fatalf("%s:%s is in a gap of the VTIMEZONE", p.Name, p.Value)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Before(found[j]) })
	return found[0]
}

// ---- tests -------------------------------------------------------------------------------------------

func TestRequestIsValid(t *testing.T) {
	b := ical.Calendar(prodID, ical.Request, booking())
	cal, lines := parse(t, b)
	if got := one(t, cal.Component, "METHOD").Value; got != "REQUEST" {
		t.Errorf("METHOD:%s", got)
	}
	if got := textOf(t, cal.Component, "PRODID"); got != prodID {
		t.Errorf("PRODID %q", got)
	}
	ev := events(t, cal)[0]
	want := booking()
	for name, v := range map[string]string{"UID": want.UID, "SUMMARY": want.Summary, "DESCRIPTION": want.Description, "LOCATION": want.Location} {
		if got := textOf(t, ev.Component, name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if got := one(t, ev.Component, "URL").Value; got != want.URL {
		t.Errorf("URL %q", got)
	}
	if got := one(t, ev.Component, "STATUS").Value; got != "CONFIRMED" {
		t.Errorf("STATUS:%s", got)
	}
	if got := one(t, ev.Component, "SEQUENCE").Value; got != "0" {
		t.Errorf("SEQUENCE:%s", got)
	}
	if got := one(t, ev.Component, "DTSTAMP").Value; got != "20260501T093000Z" {
		t.Errorf("DTSTAMP:%s", got)
	}
	org := one(t, ev.Component, "ORGANIZER")
	if org.Value != "mailto:bookings@dynamicmotion.example" || org.Params.Get("CN") != "Dynamic Motion Sports Therapy" {
		t.Errorf("ORGANIZER %+v", org)
	}
	att := one(t, ev.Component, "ATTENDEE")
	if att.Value != "mailto:jane@example.com" || att.Params.Get("CN") != "Jane Smith" ||
		att.Params.Get("ROLE") != "REQ-PARTICIPANT" || att.Params.Get("PARTSTAT") != "ACCEPTED" || att.Params.Get("RSVP") != "FALSE" {
		t.Errorf("ATTENDEE %+v", att)
	}
	if len(ev.Children) != 1 {
		t.Fatalf("want one VALARM, got %d", len(ev.Children))
	}
	alarm := ev.Children[0]
	if got := one(t, alarm, "ACTION").Value; got != "DISPLAY" {
		t.Errorf("ACTION:%s", got)
	}
	if got := one(t, alarm, "TRIGGER").Value; got != "-PT24H" {
		t.Errorf("TRIGGER:%s", got)
	}
	if d, err := alarm.Props.Get("TRIGGER").Duration(); err != nil || d != -24*time.Hour {
		t.Errorf("TRIGGER parses as %v, %v", d, err)
	}
	// A plain CN is not quoted.
	for _, l := range lines {
		if l.name == "ATTENDEE" {
			if p, _ := l.param("CN"); p.quoted[0] {
				t.Errorf("a CN without , ; : was quoted")
			}
		}
	}
}

func TestContentType(t *testing.T) {
	for m, want := range map[ical.Method]string{
		ical.Publish: "text/calendar; charset=utf-8; method=PUBLISH",
		ical.Request: "text/calendar; charset=utf-8; method=REQUEST",
		ical.Cancel:  "text/calendar; charset=utf-8; method=CANCEL",
		"request":    "text/calendar; charset=utf-8; method=REQUEST",
		"":           "text/calendar; charset=utf-8; method=PUBLISH",
	} {
		if got := ical.ContentType(m); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", m, got, want)
		}
	}
}

func TestEscapingRoundTrips(t *testing.T) {
	cases := []string{
		`Massage, stretching; then rest \ relax`,
		"Line one\nLine two\r\nLine three\rLine four",
		`\n is not a newline here; nor is \, a comma`,
		"ends with a backslash \\",
		",;\\\n",
		"tab\tinside",
		"Studio 2,\n14 Bridge Street,\nSt Ives; PE27 5EG",
	}
	for _, s := range cases {
		e := booking()
		e.Summary, e.Description, e.Location = s, s+" (description)", s+" (location)"
		cal, _ := parse(t, ical.Calendar(prodID, ical.Publish, e))
		ev := events(t, cal)[0]
		norm := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n") }
		for name, want := range map[string]string{"SUMMARY": e.Summary, "DESCRIPTION": e.Description, "LOCATION": e.Location} {
			if got := textOf(t, ev.Component, name); got != norm(want) {
				t.Errorf("%s round trip: got %q, want %q", name, got, norm(want))
			}
		}
	}
}

func TestControlCharactersAndInvalidUTF8(t *testing.T) {
	e := booking()
	e.Summary = "bell\x07 nul\x00 del\x7f bad\xff end"
	e.URL = "https://dynamicmotion.example/m/1\r\nX-INJECTED:1"
	cal, lines := parse(t, ical.Calendar(prodID, ical.Request, e))
	if got := textOf(t, events(t, cal)[0].Component, "SUMMARY"); got != "bell nul del bad\uFFFD end" {
		t.Errorf("SUMMARY %q", got)
	}
	for _, l := range lines {
		if strings.HasPrefix(l.name, "X-") {
			t.Errorf("a URL injected a property: %+v", l)
		}
	}
}

func TestFoldingMultiByte(t *testing.T) {
	unit := []rune("Séance de récupération é 🏃‍♀️💪 ")
	var runes []rune
	for len(runes) < 300 {
		runes = append(runes, unit...)
	}
	desc := string(runes[:300])
	if utf8.RuneCountInString(desc) != 300 {
		t.Fatal("not 300 characters")
	}
	shortened := false
	// Shift the text by 0-3 octets so that folds fall at every position inside the 2- and 4-octet characters.
	for shift := 0; shift < 4; shift++ {
		e := booking()
		e.Description = strings.Repeat("x", shift) + desc
		b := ical.Calendar(prodID, ical.Publish, e)
		cal, _ := parse(t, b) // checks ≤ 75 octets and that every physical line is valid UTF-8 on its own
		if got := textOf(t, events(t, cal)[0].Component, "DESCRIPTION"); got != e.Description {
			t.Fatalf("shift %d: unfolded description differs:\n got %q\nwant %q", shift, got, e.Description)
		}
		// The description's physical lines but the last are full, except where a character would have been split.
		lines := strings.Split(string(b), "\r\n")
		first := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "DESCRIPTION:") })
		last := first + 1
		for last < len(lines) && strings.HasPrefix(lines[last], " ") {
			last++
		}
		if last-first < 5 {
			t.Fatalf("the description was folded into only %d lines", last-first)
		}
		for _, l := range lines[first : last-1] {
			if len(l) < 75 {
				shortened = true // a fold moved back to a character boundary
			}
		}
	}
	if !shortened {
		t.Errorf("no fold ever had to move back to a character boundary: the test does not test it")
	}
}

func TestLongLinesEverywhere(t *testing.T) {
	e := booking()
	e.UID = strings.Repeat("booking-", 12) + "42@dynamicmotion.example"
	e.URL = "https://dynamicmotion.example/booking/manage/" + strings.Repeat("0123456789abcdef", 6)
	e.Organizer.Name = "Dynamic Motion Sports Therapy, St Ives — " + strings.Repeat("é", 40)
	e.Attendee.Name = strings.Repeat("🏃", 30)
	cal, _ := parse(t, ical.Calendar(strings.Repeat("-//Dynamic Motion//", 6)+"EN", ical.Request, e))
	ev := events(t, cal)[0]
	if got := textOf(t, ev.Component, "UID"); got != e.UID {
		t.Errorf("UID %q", got)
	}
	if got := one(t, ev.Component, "URL").Value; got != e.URL {
		t.Errorf("URL %q", got)
	}
	if got := decode6868(one(t, ev.Component, "ORGANIZER").Params.Get("CN")); got != e.Organizer.Name {
		t.Errorf("ORGANIZER CN %q", got)
	}
	if got := decode6868(one(t, ev.Component, "ATTENDEE").Params.Get("CN")); got != e.Attendee.Name {
		t.Errorf("ATTENDEE CN %q", got)
	}
}

// checkTimes checks that DTSTART/DTEND are London wall clock with TZID (wantTZID) or UTC, and that both the
// emitted VTIMEZONE and the zone database give back the booking's instants.
func checkTimes(t *testing.T, start, end time.Time, wantStart string, wantTZID bool) {
	t.Helper()
	e := booking()
	e.Start, e.End = start, end
	cal, _ := parse(t, ical.Calendar(prodID, ical.Request, e))
	ev := events(t, cal)[0]
	ds := one(t, ev.Component, "DTSTART")
	if ds.Value != wantStart || (ds.Params.Get("TZID") == "Europe/London") != wantTZID {
		t.Errorf("DTSTART %v:%s, want %s (TZID %v)", ds.Params, ds.Value, wantStart, wantTZID)
	}
	if wantTZID {
		if got := start.In(london).Format("20060102T150405"); ds.Value != got {
			t.Errorf("DTSTART %s is not the London wall clock %s", ds.Value, got)
		}
	}
	for name, want := range map[string]time.Time{"DTSTART": start, "DTEND": end} {
		p := one(t, ev.Component, name)
		if got := resolve(t, cal, p); !got.Equal(want) {
			t.Errorf("%s:%s means %v through the VTIMEZONE, want %v", name, p.Value, got.UTC(), want.UTC())
		}
		// go-ical resolves TZID through the zone database, as most clients do.
		if !strings.HasSuffix(p.Value, "Z") {
			if got, err := p.DateTime(time.UTC); err != nil || !got.Equal(want) {
				t.Errorf("%s:%s means %v through the zone database (%v), want %v", name, p.Value, got, err, want.UTC())
			}
		}
	}
}

func TestSummerAndWinterTimes(t *testing.T) {
	// BST: 10:00 London is 09:00 UTC.
	checkTimes(t, time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 10, 0, 0, 0, time.UTC), "20260715T100000", true)
	// GMT: 14:30 London is 14:30 UTC.
	checkTimes(t, time.Date(2026, 1, 20, 14, 30, 0, 0, time.UTC), time.Date(2026, 1, 20, 15, 15, 0, 0, time.UTC), "20260120T143000", true)
	// A time given in another zone is still written as London wall clock: 18:00 in New York in December 2027.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	checkTimes(t, time.Date(2027, 12, 1, 6, 0, 0, 0, ny), time.Date(2027, 12, 1, 7, 0, 0, 0, ny), "20271201T110000", true)
	// BST in 2027, and seconds below a second dropped.
	checkTimes(t, time.Date(2027, 6, 1, 17, 45, 0, 0, london), time.Date(2027, 6, 1, 18, 45, 0, 0, london), "20270601T174500", true)
}

func TestClockChangeDays(t *testing.T) {
	// 29 March 2026: at 01:00 GMT the clocks go forward to 02:00 BST.
	checkTimes(t, time.Date(2026, 3, 29, 10, 0, 0, 0, london), time.Date(2026, 3, 29, 11, 0, 0, 0, london), "20260329T100000", true)
	checkTimes(t, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC), "20260329T003000", true)
	// Across the change: 00:30 GMT to 02:30 BST is one real hour.
	checkTimes(t, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "20260329T003000", true)
	// 25 October 2026: at 02:00 BST the clocks go back to 01:00 GMT.
	checkTimes(t, time.Date(2026, 10, 25, 10, 0, 0, 0, london), time.Date(2026, 10, 25, 11, 0, 0, 0, london), "20261025T100000", true)
	// 01:00-01:59 happens twice, first in BST, then in GMT: neither can be told apart by wall clock, so both
	// are written in UTC.
	checkTimes(t, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 59, 0, 0, time.UTC), "20261025T003000Z", false)
	checkTimes(t, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), "20261025T013000Z", false)
	// Either side of the repeated hour is wall clock again: 00:59:59 BST and 02:00 GMT.
	checkTimes(t, time.Date(2026, 10, 24, 23, 59, 59, 0, time.UTC), time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC), "20261025T005959", true)
	// 00:00 BST to 00:59 BST and an end at 02:00 GMT (three real hours later).
	checkTimes(t, time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC), "20261025T000000", true)
	// The 2027 changes: 28 March and 31 October.
	checkTimes(t, time.Date(2027, 3, 28, 9, 0, 0, 0, london), time.Date(2027, 3, 28, 10, 0, 0, 0, london), "20270328T090000", true)
	checkTimes(t, time.Date(2027, 10, 31, 9, 0, 0, 0, london), time.Date(2027, 10, 31, 10, 0, 0, 0, london), "20271031T090000", true)
}

// TestVTimezoneMatchesZoneDatabase expands the emitted VTIMEZONE's RRULEs and compares every change of offset
// with the zone database's Europe/London, 2000-2037; 2026 and 2027 are spelled out.
func TestVTimezoneMatchesZoneDatabase(t *testing.T) {
	cal, _ := parse(t, ical.Calendar(prodID, ical.Publish, booking()))
	tz := timezone(t, cal)
	if got := tz.Props.Get("TZID").Value; got != "Europe/London" {
		t.Fatalf("TZID:%s", got)
	}
	names := map[string]string{}
	for _, obs := range tz.Children {
		names[obs.Name] = obs.Props.Get("TZNAME").Value + " " + obs.Props.Get("TZOFFSETTO").Value
	}
	if names["STANDARD"] != "GMT +0000" || names["DAYLIGHT"] != "BST +0100" {
		t.Errorf("observances %v", names)
	}
	from, to := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2038, 1, 1, 0, 0, 0, 0, time.UTC)
	var fromVTZ []onset
	for _, o := range onsets(t, tz) {
		if !o.at.Before(from) && o.at.Before(to) {
			fromVTZ = append(fromVTZ, onset{o.at.UTC(), o.offset})
		}
	}
	var fromDB []onset
	_, prev := from.In(london).Zone()
	for at, n := from, 0; n < 1000; n++ {
		_, end := at.In(london).ZoneBounds()
		if !end.After(at) || !end.Before(to) {
			break
		}
		// Past the zone database's table Go may report a bound where nothing changes: keep real changes.
		if _, off := end.In(london).Zone(); off != prev {
			fromDB = append(fromDB, onset{end.UTC(), off})
			prev = off
		}
		at = end
	}
	if len(fromVTZ) != len(fromDB) || len(fromDB) != 2*(to.Year()-from.Year()) {
		t.Fatalf("%d changes from the VTIMEZONE, %d from the zone database", len(fromVTZ), len(fromDB))
	}
	for i := range fromDB {
		if !fromVTZ[i].at.Equal(fromDB[i].at) || fromVTZ[i].offset != fromDB[i].offset {
			t.Errorf("change %d: VTIMEZONE %v %+d, zone database %v %+d", i, fromVTZ[i].at, fromVTZ[i].offset, fromDB[i].at, fromDB[i].offset)
		}
	}
	want := []onset{
		{time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), 3600},
		{time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), 0},
		{time.Date(2027, 3, 28, 1, 0, 0, 0, time.UTC), 3600},
		{time.Date(2027, 10, 31, 1, 0, 0, 0, time.UTC), 0},
	}
	for _, w := range want {
		found := false
		for _, o := range fromVTZ {
			found = found || o == w
		}
		if !found {
			t.Errorf("the VTIMEZONE has no change to %+d at %v", w.offset, w.at)
		}
	}
}

func TestRequestMoveCancel(t *testing.T) {
	made := booking()
	moved := made
	moved.Sequence = 1
	moved.Stamp = made.Stamp.Add(48 * time.Hour)
	moved.Start, moved.End = moved.Start.Add(24*time.Hour), moved.End.Add(24*time.Hour)
	cancelled := moved // the booking as stored: its Sequence is still the last REQUEST's
	cancelled.Stamp = moved.Stamp.Add(time.Hour)

	seq := func(b []byte, method string) (*goical.Component, int) {
		t.Helper()
		cal, _ := parse(t, b)
		if got := one(t, cal.Component, "METHOD").Value; got != method {
			t.Fatalf("METHOD:%s, want %s", got, method)
		}
		ev := events(t, cal)[0].Component
		if got := textOf(t, ev, "UID"); got != made.UID {
			t.Fatalf("UID %q, want %q", got, made.UID)
		}
		n, err := strconv.Atoi(one(t, ev, "SEQUENCE").Value)
		if err != nil {
			t.Fatal(err)
		}
		return ev, n
	}
	_, s0 := seq(ical.Calendar(prodID, ical.Request, made), "REQUEST")
	_, s1 := seq(ical.Calendar(prodID, ical.Request, moved), "REQUEST")
	cev, s2 := seq(ical.Calendar(prodID, ical.Cancel, cancelled), "CANCEL")
	if !(s0 == 0 && s1 == 1 && s2 == 2) {
		t.Errorf("sequences %d, %d, %d; want 0, 1, 2", s0, s1, s2)
	}
	if got := one(t, cev, "STATUS").Value; got != "CANCELLED" {
		t.Errorf("CANCEL has STATUS:%s", got)
	}
	if len(cev.Children) != 0 {
		t.Errorf("CANCEL has an alarm")
	}
	if got := one(t, cev, "ATTENDEE"); got.Value != "mailto:jane@example.com" || got.Params.Get("PARTSTAT") != "" {
		t.Errorf("CANCEL ATTENDEE %+v", got)
	}
	if got := one(t, cev, "ORGANIZER").Value; got != "mailto:bookings@dynamicmotion.example" {
		t.Errorf("CANCEL ORGANIZER %s", got)
	}

	// Setting Cancelled too changes nothing: the cancellation is counted once.
	flagged := cancelled
	flagged.Cancelled = true
	if !bytes.Equal(ical.Calendar(prodID, ical.Cancel, cancelled), ical.Calendar(prodID, ical.Cancel, flagged)) {
		t.Errorf("CANCEL depends on Cancelled")
	}
	cancelled = flagged
	// A download of the cancelled booking agrees with the CANCEL mail.
	pev, s3 := seq(ical.Calendar(prodID, ical.Publish, cancelled), "PUBLISH")
	if s3 != s2 || one(t, pev, "STATUS").Value != "CANCELLED" || len(pev.Children) != 0 {
		t.Errorf("PUBLISH of a cancelled booking: SEQUENCE %d, STATUS %s, %d alarms", s3, pev.Props.Get("STATUS").Value, len(pev.Children))
	}
	if len(pev.Props["ATTENDEE"]) != 0 {
		t.Errorf("PUBLISH has an ATTENDEE")
	}
}

// decode6868 undoes RFC 6868's ^^, ^' and ^n in a parameter value.
func decode6868(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '^' && i+1 < len(s) {
			switch s[i+1] {
			case '^':
				b.WriteByte('^')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestPersonCN(t *testing.T) {
	cases := []struct {
		name, raw string // raw: how the CN parameter must be written
	}{
		{"Jane Smith", `CN=Jane Smith`},
		{"Smith, Jane", `CN="Smith, Jane"`},
		{`Jane "JJ" Smith`, `CN=Jane ^'JJ^' Smith`},
		{`O'Brien; Pat: "Coach"`, `CN="O'Brien; Pat: ^'Coach^'"`},
		{"Zoë Ünal 🏃", `CN=Zoë Ünal 🏃`},
		{"caret^name", `CN=caret^^name`},
		{"two\nlines", `CN=two^nlines`},
		{"  padded  ", `CN=padded`},
	}
	for _, c := range cases {
		e := booking()
		e.Attendee.Name = c.name
		e.Organizer.Name = c.name
		b := ical.Calendar(prodID, ical.Request, e)
		if !bytes.Contains(b, []byte("ATTENDEE;"+c.raw+";ROLE=")) || !bytes.Contains(b, []byte("ORGANIZER;"+c.raw+":mailto:")) {
			t.Errorf("%q: want %s in\n%s", c.name, c.raw, b)
		}
		cal, _ := parse(t, b)
		ev := events(t, cal)[0].Component
		for _, name := range []string{"ATTENDEE", "ORGANIZER"} {
			p := one(t, ev, name)
			if vs := p.Params.Values("CN"); len(vs) != 1 || decode6868(vs[0]) != strings.TrimSpace(c.name) {
				t.Errorf("%s CN %q decodes to %q, want %q", name, c.name, vs, strings.TrimSpace(c.name))
			}
		}
	}
	// No name, no CN; no email, no property.
	e := booking()
	e.Attendee.Name = ""
	e.Organizer = ical.Person{Name: "Nobody"}
	cal, _ := parseLoose(t, ical.Calendar(prodID, ical.Request, e))
	ev := events(t, cal)[0].Component
	if p := ev.Props.Get("ATTENDEE"); p == nil || len(p.Params.Values("CN")) != 0 {
		t.Errorf("ATTENDEE without a name: %+v", p)
	}
	if ev.Props.Get("ORGANIZER") != nil {
		t.Errorf("ORGANIZER without an email")
	}
}

// parseLoose is parse without the iTIP checks, for input that breaks them on purpose.
func parseLoose(t *testing.T, b []byte) (*goical.Calendar, []contentLine) {
	t.Helper()
	lines := checkRaw(t, b)
	cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	if err := goical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Fatal(err)
	}
	return cal, lines
}

func TestMailto(t *testing.T) {
	for email, want := range map[string]string{
		"jane@example.com":                  "mailto:jane@example.com",
		" jane.o'brien+physio@example.com ": "mailto:jane.o'brien+physio@example.com",
		"odd%name?x#y@example.com":          "mailto:odd%25name%3Fx%23y@example.com",
		"zoë@exämple.com":                   "mailto:zo%C3%AB@ex%C3%A4mple.com",
	} {
		e := booking()
		e.Attendee.Email = email
		cal, _ := parse(t, ical.Calendar(prodID, ical.Request, e))
		if got := one(t, events(t, cal)[0].Component, "ATTENDEE").Value; got != want {
			t.Errorf("%q: %s, want %s", email, got, want)
		}
	}
}

func TestAlarmDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour:                            "-PT24H",
		48 * time.Hour:                            "-PT48H",
		90 * time.Minute:                          "-PT1H30M",
		time.Hour + 30*time.Second:                "-PT1H0M30S",
		15 * time.Minute:                          "-PT15M",
		45 * time.Second:                          "-PT45S",
		2*time.Hour + 3*time.Minute + time.Second: "-PT2H3M1S",
		0:                      "",
		-time.Hour:             "",
		300 * time.Millisecond: "",
	} {
		e := booking()
		e.Alarm = d
		cal, _ := parse(t, ical.Calendar(prodID, ical.Request, e))
		ev := events(t, cal)[0]
		got := ""
		if len(ev.Children) == 1 {
			got = one(t, ev.Children[0], "TRIGGER").Value
			if p, _ := ev.Children[0].Props.Get("TRIGGER").Duration(); p != -d.Round(time.Second) {
				t.Errorf("%v: TRIGGER %s parses as %v", d, got, p)
			}
			if textOf(t, ev.Children[0], "DESCRIPTION") != e.Summary {
				t.Errorf("alarm description is not the summary")
			}
		}
		if got != want {
			t.Errorf("Alarm %v: TRIGGER %q, want %q", d, got, want)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	t.Run("no events", func(t *testing.T) {
		cal, _ := parse(t, ical.Calendar("", ical.Publish))
		if len(cal.Events()) != 0 || textOf(t, cal.Component, "PRODID") == "" {
			t.Errorf("empty calendar: %d events", len(cal.Events()))
		}
	})
	t.Run("method names", func(t *testing.T) {
		for m, want := range map[ical.Method]string{"request": "REQUEST", " Cancel ": "CANCEL", "": "PUBLISH", "REFRESH": "PUBLISH"} {
			e := booking()
			b := ical.Calendar(prodID, m, e)
			cal, _ := parse(t, b)
			if got := one(t, cal.Component, "METHOD").Value; got != want {
				t.Errorf("%q: METHOD:%s, want %s", m, got, want)
			}
		}
	})
	t.Run("empty UID", func(t *testing.T) {
		e := booking()
		e.UID = ""
		a := ical.Calendar(prodID, ical.Request, e)
		cal, _ := parse(t, a)
		uid := textOf(t, events(t, cal)[0].Component, "UID")
		if uid == "" || !bytes.Equal(a, ical.Calendar(prodID, ical.Request, e)) {
			t.Errorf("derived UID %q is empty or unstable", uid)
		}
		e.Start = e.Start.Add(time.Hour)
		cal2, _ := parse(t, ical.Calendar(prodID, ical.Request, e))
		if textOf(t, events(t, cal2)[0].Component, "UID") == uid {
			t.Errorf("different bookings get the same derived UID")
		}
	})
	t.Run("end not after start", func(t *testing.T) {
		e := booking()
		e.End = e.Start
		cal, _ := parse(t, ical.Calendar(prodID, ical.Publish, e))
		if got := one(t, events(t, cal)[0].Component, "DURATION").Value; got != "PT0S" {
			t.Errorf("DURATION:%s", got)
		}
	})
	t.Run("zero stamp", func(t *testing.T) {
		e := booking()
		e.Stamp = time.Time{}
		before := time.Now().Add(-time.Second)
		cal, _ := parse(t, ical.Calendar(prodID, ical.Publish, e))
		got, err := one(t, events(t, cal)[0].Component, "DTSTAMP").DateTime(time.UTC)
		if err != nil || got.Before(before.Truncate(time.Second)) || got.After(time.Now()) {
			t.Errorf("DTSTAMP %v (%v), want now", got, err)
		}
	})
	t.Run("negative sequence", func(t *testing.T) {
		e := booking()
		e.Sequence = -3
		cal, _ := parse(t, ical.Calendar(prodID, ical.Request, e))
		if got := one(t, events(t, cal)[0].Component, "SEQUENCE").Value; got != "0" {
			t.Errorf("SEQUENCE:%s", got)
		}
	})
	t.Run("stamp and sub-seconds", func(t *testing.T) {
		e := booking()
		e.Stamp = time.Date(2026, 5, 1, 10, 30, 0, 999, london) // 09:30 UTC in BST
		e.Start = e.Start.Add(500 * time.Millisecond)
		cal, _ := parse(t, ical.Calendar(prodID, ical.Request, e))
		ev := events(t, cal)[0].Component
		if got := one(t, ev, "DTSTAMP").Value; got != "20260501T093000Z" {
			t.Errorf("DTSTAMP:%s", got)
		}
		if got := one(t, ev, "DTSTART").Value; got != "20260715T100000" {
			t.Errorf("DTSTART:%s", got)
		}
	})
}

// TestFeed is a PUBLISH calendar of several bookings, summer and winter, with and without the optional parts.
func TestFeed(t *testing.T) {
	cal, _ := parse(t, ical.Calendar(prodID, ical.Publish, feedEvents()...))
	evs := events(t, cal)
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	for i, e := range feedEvents() {
		ev := evs[i].Component
		if textOf(t, ev, "UID") != e.UID {
			t.Errorf("event %d: UID", i)
		}
		if got := resolve(t, cal, one(t, ev, "DTSTART")); !got.Equal(e.Start) {
			t.Errorf("event %d: DTSTART %v, want %v", i, got, e.Start)
		}
	}
}

func feedEvents() []ical.Event {
	a := booking()
	b := booking()
	b.UID = "booking-43@dynamicmotion.example"
	b.Start = time.Date(2026, 12, 3, 16, 0, 0, 0, london)
	b.End = b.Start.Add(90 * time.Minute)
	b.Summary = "Mobile visit: deep tissue (90 min)"
	b.Location = "12 Ouse Walk, Huntingdon PE29 3QW"
	b.Description = ""
	b.URL = ""
	b.Alarm = 0
	c := booking()
	c.UID = "booking-44@dynamicmotion.example"
	c.Sequence = 3
	c.Cancelled = true
	c.Start = time.Date(2027, 3, 28, 9, 0, 0, 0, london)
	c.End = c.Start.Add(time.Hour)
	return []ical.Event{a, b, c}
}

// TestGolden pins the exact output; run `go test ./ical -run TestGolden -update` after an intended change.
func TestGolden(t *testing.T) {
	moved := booking()
	moved.Sequence = 1
	moved.Start = time.Date(2026, 10, 25, 10, 0, 0, 0, london)
	moved.End = moved.Start.Add(time.Hour)
	moved.Attendee.Name = `Smith, Jane "JJ"`
	moved.Description = "Moved to the day the clocks go back — the studio is open as usual. Café opposite: ☕ from 8am; parking 🅿️ free on Sundays."
	golden := map[string][]byte{
		"request.ics": ical.Calendar(prodID, ical.Request, booking()),
		"moved.ics":   ical.Calendar(prodID, ical.Request, moved),
		"cancel.ics":  ical.Calendar(prodID, ical.Cancel, moved),
		"feed.ics":    ical.Calendar(prodID, ical.Publish, feedEvents()...),
	}
	for name, got := range golden {
		parse(t, got)
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run with -update if intended):\n got:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := ical.Calendar(prodID, ical.Publish, feedEvents()...)
	for range 20 {
		if b := ical.Calendar(prodID, ical.Publish, feedEvents()...); !bytes.Equal(a, b) {
			t.Fatalf("output differs between two calls with equal input")
		}
	}
}

// FuzzText checks that any summary, location, description and names give valid output that round-trips.
func FuzzText(f *testing.F) {
	f.Add("Massage, stretching; rest \\ relax", "é🏃‍♀️\nline", `Smith, "JJ"^`)
	f.Add(strings.Repeat("🏃é,", 40), "\r\n\r\n", "")
	f.Fuzz(func(t *testing.T, summary, location, name string) {
		e := booking()
		e.Summary, e.Location, e.Description, e.Attendee.Name = summary, location, summary+location, name
		b := ical.Calendar(prodID, ical.Request, e)
		cal, _ := parseLoose(t, b)
		ev := events(t, cal)[0].Component
		clean := func(s string) string {
			s = strings.ToValidUTF8(s, "\uFFFD")
			s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
			return strings.Map(func(r rune) rune {
				if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
					return -1
				}
				return r
			}, s)
		}
		for prop, want := range map[string]string{"SUMMARY": summary, "LOCATION": location, "DESCRIPTION": summary + location} {
			if want == "" {
				continue
			}
			if got := textOf(t, ev, prop); got != clean(want) {
				t.Errorf("%s: got %q, want %q", prop, got, clean(want))
			}
		}
	})
}
