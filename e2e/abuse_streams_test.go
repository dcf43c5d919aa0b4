package e2e

// The live comment stream under abuse (issue 15, items 1, 3 and 4): streams
// opened from many addresses and never read, after a flood of long comments
// and edits, against the real binary.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"dynamicmotion/db"
)

// nonReader is a live stream on a connection whose answer is read up to
// its headers and no further, with a small receive buffer: a script that
// opens streams to make the server hold what it sends.
type nonReader struct {
	conn   net.Conn
	status int
	header http.Header
	body   string // of a refusal, read whole
}

// openNonReader opens path on origin from client address ip and reads the
// answer's status and headers only (a refusal's short body too).
func openNonReader(origin, path, ip string) (*nonReader, error) {
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	host := strings.TrimPrefix(origin, "http://")
	conn, err := d.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nFly-Client-IP: %s\r\n\r\n", path, host, ip)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetReadDeadline(time.Time{})
	nr := &nonReader{conn: conn, status: res.StatusCode, header: res.Header}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		nr.body = string(b)
		conn.Close()
	}
	return nr, nil
}

// closedWithin reports whether the server has closed the connection: what
// the kernel still holds is read out and the end comes within d.
func (nr *nonReader) closedWithin(d time.Duration) bool {
	nr.conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, nr.conn)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout() // EOF, or the connection reset
}

// streamsAbuse5xx matches a request the instance answered with a 5xx.
var streamsAbuse5xx = regexp.MustCompile(`"status":5\d\d`)

// streamLine matches the log line of a live stream that has ended.
var streamLine = regexp.MustCompile(`"route":"/blog/:slug/comments/stream","status":200,"bytes":(\d+),"ms":([\d.]+)`)

// endedStream is a live stream the instance logged as ended.
type endedStream struct {
	bytes int
	took  time.Duration
}

// streamsEnded lists the live streams the instance's log says have ended.
func streamsEnded(log string) []endedStream {
	var out []endedStream
	for _, m := range streamLine.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[1])
		ms, _ := strconv.ParseFloat(m[2], 64)
		out = append(out, endedStream{bytes: n, took: time.Duration(ms * float64(time.Millisecond))})
	}
	return out
}

// TestAbuseStreams: 120 of the longest comments (25 KB of HTML each) are on
// the article; a reader that reads gets a catch-up bounded by the byte
// budget, ending with the reload notice; an IPv6 /64 is one address for the
// cap per address; 120 addresses open 8 streams each that ask for
// everything (after=0) and never read, while every comment is edited five
// times: the instance admits up to its cap and answers the rest 429 with
// Retry-After, every non-reader is dropped (its place frees again, its
// connection is closed), and memory and the home page stay within budget.
func TestAbuseStreams(t *testing.T) {
	a := startAbuseTarget(t, nil)
	ctx := context.Background()
	bdb, err := db.Open(ctx, a.dsn, db.Options{MaxOpenConns: 4, AppName: "e2e-abuse-streams"})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	post, err := db.PostBySlug(ctx, bdb, firstArticle)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("&", 5000)
	longHTML := "<p>" + strings.Repeat("&amp;", 5000) + "</p>"
	comments := make([]*db.Comment, 120)
	for i := range comments {
		comments[i] = &db.Comment{PostID: post.ID, Name: fmt.Sprintf("Commenter %d", i+1), BodyMD: long, BodyHTML: longHTML,
			Status: db.CommentVisible, AuthorHash: fmt.Appendf(nil, "author-%d", i), IPHash: fmt.Appendf(nil, "ip-%d", i)}
		if err := db.AddComment(ctx, bdb, comments[i]); err != nil {
			t.Fatal(err)
		}
	}
	everything := "/blog/" + firstArticle + "/comments/stream?after=0"

	var (
		catchUp, admitted, refused, perAddress int
		freedAfter, allGone                    time.Duration
		nonReaders                             []*nonReader
		ended                                  []endedStream
	)
	a.underAttack(t, "live streams: 120 addresses × 8 non-reading streams of everything, 600 edits of 25 KB comments", func() {
		// A reader that reads: the catch-up of everything (3 MB of comments
		// as they are now) stops at the budget, with the reload notice.
		r := openStream(t, visitorAt(t, a.origin, "203.0.113.250"), everything, 0)
		for notice := false; !notice; {
			select {
			case e := <-r.events:
				catchUp += len(e.data)
				notice = strings.Contains(e.data, "comments-stale")
			case <-r.ended:
				t.Errorf("the reader's stream ended before the reload notice, after %d bytes", catchUp)
				notice = true
			case <-time.After(10 * time.Second):
				t.Errorf("no reload notice within 10 s, after %d bytes", catchUp)
				notice = true
			}
		}
		r.cancel()
		if catchUp > 300<<10 {
			t.Errorf("the catch-up of everything sent %d KB, want it bounded near 256 KB", catchUp>>10)
		}

		// An IPv6 /64 is one address: its 9th stream is refused.
		for i := range 9 {
			nr, err := openNonReader(a.origin, everything, fmt.Sprintf("2001:db8:15:15::%x", i+1))
			if err != nil {
				t.Errorf("stream %d from the /64: %v", i+1, err)
				continue
			}
			switch {
			case nr.status == http.StatusOK:
				nonReaders = append(nonReaders, nr)
			case nr.status == http.StatusTooManyRequests && strings.Contains(nr.body, "from your connection") && nr.header.Get("Retry-After") != "":
				perAddress++
			default:
				t.Errorf("stream %d from the /64: %d %q", i+1, nr.status, abbreviate(nr.body, 200))
			}
		}
		if perAddress != 1 {
			t.Errorf("%d of 9 streams from one /64 refused, want the 9th", perAddress)
		}

		// 120 addresses × 8 streams that never read.
		for ip := 1; ip <= 120; ip++ {
			for range 8 {
				nr, err := openNonReader(a.origin, everything, fmt.Sprintf("203.0.113.%d", ip))
				if err != nil {
					t.Errorf("opening a stream from 203.0.113.%d: %v", ip, err)
					continue
				}
				switch {
				case nr.status == http.StatusOK:
					nonReaders = append(nonReaders, nr)
				case nr.status == http.StatusTooManyRequests && nr.header.Get("Retry-After") != "" &&
					strings.Contains(nr.body, "Live comments are busy"):
					refused++
				default:
					t.Errorf("a stream from 203.0.113.%d: %d Retry-After %q %q", ip, nr.status, nr.header.Get("Retry-After"), abbreviate(nr.body, 200))
				}
			}
		}
		admitted = len(nonReaders)
		opened := time.Now()

		// Every comment edited five times, as 120 commenters might: each
		// edit an update of 25 KB for every reader that is still there.
		for round := range 5 {
			for i, c := range comments {
				body := fmt.Sprintf("%s edit %d", long[:4980], round+1)
				html := "<p>" + strings.Repeat("&amp;", 4980) + fmt.Sprintf(" edit %d</p>", round+1)
				if err := db.EditComment(ctx, bdb, c, body, html, false); err != nil {
					t.Errorf("edit %d of comment %d: %v", round+1, i+1, err)
				}
			}
		}

		// The non-readers are dropped: a new stream is admitted again, and
		// every stream that was admitted has ended (its request logged).
		for {
			nr, err := openNonReader(a.origin, "/blog/"+firstArticle+"/comments/stream", "192.0.2.99")
			if err == nil && nr.status == http.StatusOK {
				freedAfter = time.Since(opened)
				nr.conn.Close()
				break
			}
			if time.Since(opened) > 30*time.Second {
				t.Errorf("no stream admitted 30 s after the non-readers opened: they were not dropped")
				break
			}
			time.Sleep(250 * time.Millisecond) // asking again, as a browser backs off
		}
		for want := admitted + 2; ; { // and the reader's stream, and the probe's
			if ended = streamsEnded(a.log.String()); len(ended) >= want {
				allGone = time.Since(opened)
				break
			}
			if time.Since(opened) > 30*time.Second {
				t.Errorf("%d of %d streams ended 30 s after the non-readers opened", len(ended), want)
				break
			}
			time.Sleep(100 * time.Millisecond) // reading the instance's log, which has no event of its own
		}
	})
	byDeadline, most := 0, 0
	for _, e := range ended {
		if e.took >= 9900*time.Millisecond {
			byDeadline++
		}
		most = max(most, e.bytes)
	}
	t.Logf("catch-up of everything: %d KB then the reload notice; %d non-reading streams admitted, %d refused by the instance's cap, %d by the address's; "+
		"a place was free again %v after they opened, all had ended after %v (%d of %d streams lasted 10 s or more: the write deadline); "+
		"at most %d KB was written to one stream (most of it into the kernel's socket buffers)",
		catchUp>>10, admitted, refused, perAddress, freedAfter.Round(100*time.Millisecond), allGone.Round(100*time.Millisecond), byDeadline, len(ended), most>>10)

	if admitted == 0 || refused == 0 || admitted+refused+perAddress != 960+9 {
		t.Errorf("%d admitted and %d+%d refused of %d streams: want the instance's cap to admit some and refuse the rest", admitted, refused, perAddress, 960+9)
	}
	// All at once: what the kernel buffered for each (megabytes) is read
	// out before its end shows, and one by one that added up on a busy
	// machine.
	var closed atomic.Int32
	var wg sync.WaitGroup
	for _, nr := range nonReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if nr.closedWithin(15 * time.Second) {
				closed.Add(1)
			}
			nr.conn.Close()
		}()
	}
	wg.Wait()
	if int(closed.Load()) != admitted {
		t.Errorf("%d of %d non-reading streams were closed by the server, want all", closed.Load(), admitted)
	}
	if lines := streamsAbuse5xx.FindAllString(a.log.String(), -1); len(lines) > 0 {
		t.Errorf("the instance answered %d requests with a server error", len(lines))
	}
}
