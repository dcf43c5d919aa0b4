package db_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"dynamicmotion/db"
	"dynamicmotion/db/dbtest"
)

// A form's submission is claimed once: a twin sent at the same moment
// waits for the first and learns where it went; a first sending that
// rolls back leaves the token free for the corrected form.
func TestClaimSubmissionOnce(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	key := db.HashToken(unique("submission"))

	// claimAndFinish sends the form once. With twin set, the one that
	// claims it holds its transaction open until the twin is waiting on it.
	claimAndFinish := func(result string, fail error, twin bool) (string, bool, error) {
		var got string
		var claimed bool
		err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			if got, claimed, err = db.ClaimSubmission(ctx, tx, key); err != nil || !claimed {
				return err
			}
			if twin {
				waitUntilBlocking(t, tx)
			}
			if fail != nil {
				return fail
			}
			return db.FinishSubmission(ctx, tx, key, result)
		})
		return got, claimed, err
	}

	if _, claimed, err := claimAndFinish("", context.Canceled, false); claimed != true || err != context.Canceled {
		t.Fatalf("a first sending that fails: claimed %v, %v", claimed, err)
	}
	if _, found, err := db.SubmissionResult(ctx, bdb, key); found || err != nil {
		t.Fatalf("after a rollback the submission is recorded (%v, %v)", found, err)
	}

	type answer struct {
		result  string
		claimed bool
		err     error
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			r, c, err := claimAndFinish("/admin/things/7", nil, true)
			answers[i] = answer{r, c, err}
		})
	}
	wg.Wait()
	claims := 0
	for _, a := range answers {
		if a.err != nil {
			t.Fatal(a.err)
		}
		if a.claimed {
			claims++
		} else if a.result != "/admin/things/7" {
			t.Errorf("the twin was told %q, want the first one's page", a.result)
		}
	}
	if claims != 1 {
		t.Errorf("%d of two twin sendings claimed the submission, want 1", claims)
	}
	if page, found, err := db.SubmissionResult(ctx, bdb, key); !found || err != nil || page != "/admin/things/7" {
		t.Errorf("SubmissionResult = %q, %v, %v", page, found, err)
	}
}

// waitUntilBlocking returns once another session waits for a lock that tx
// holds. PostgreSQL announces no such moment, so pg_stat_activity is polled.
func waitUntilBlocking(t *testing.T, tx bun.Tx) {
	t.Helper()
	ctx := context.Background()
	var pid int
	if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Error(err)
		return
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting bool
		if err := dbtest.DB(t).QueryRowContext(ctx,
			"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid)))", pid).
			Scan(&waiting); err != nil {
			t.Error(err)
			return
		}
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Error("the twin did not come to wait for the first sending within 10s")
			return
		}
		time.Sleep(5 * time.Millisecond) // polling interval: see above
	}
}

// Forms sent more than a day ago are forgotten by the daily clean-up;
// today's are kept, so a twin still finds its first.
func TestPruneSubmissions(t *testing.T) {
	ctx := context.Background()
	bdb := dbtest.DB(t)
	old, recent := db.HashToken(unique("old")), db.HashToken(unique("recent"))
	if _, err := bdb.ExecContext(ctx, `INSERT INTO form_submissions (key_hash, result, created_at)
		VALUES (?, '/a', now() - interval '25 hours'), (?, '/b', now() - interval '23 hours')`, old, recent); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PruneSubmissions(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := db.SubmissionResult(ctx, bdb, old); found {
		t.Error("a form sent 25 hours ago is still remembered")
	}
	if page, found, _ := db.SubmissionResult(ctx, bdb, recent); !found || page != "/b" {
		t.Errorf("a form sent 23 hours ago: %q, %v; want it remembered", page, found)
	}
}

// unique is a form token no earlier run of the test (with -count) used.
func unique(what string) string {
	var b [8]byte
	rand.Read(b[:])
	return what + "|" + hex.EncodeToString(b[:])
}
