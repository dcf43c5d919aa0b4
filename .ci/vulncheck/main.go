// Command vulncheck reads govulncheck's JSON output (-format json) on stdin
// and fails if the code calls a known vulnerability that is not in the
// allow-list (.ci/vuln-allow.txt: one "GO-YYYY-NNNN  reason" per line).
// Findings only in imported or required code that is never called are
// printed, not failed on, as govulncheck itself does. An allow-list entry
// that nothing called matches fails too: the list holds only what applies.
//
// Usage: govulncheck -db file:///… -format json ./... | go run ./.ci/vulncheck .ci/vuln-allow.txt
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vulncheck ALLOW-LIST < govulncheck.json")
		os.Exit(2)
	}
	allowed, err := readAllowList(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	summaries := map[string]string{}
	called := map[string]string{}   // id → module@version
	imported := map[string]string{} // id → module@version, not called
	dec := json.NewDecoder(bufio.NewReader(os.Stdin))
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulncheck: reading govulncheck's output:", err)
			os.Exit(2)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		if f := m.Finding; f != nil && len(f.Trace) > 0 {
			t := f.Trace[0]
			where := t.Module + "@" + t.Version
			if f.FixedVersion != "" {
				where += " (fixed in " + f.FixedVersion + ")"
			}
			if t.Function != "" {
				called[f.OSV] = where
			} else if _, ok := called[f.OSV]; !ok {
				imported[f.OSV] = where
			}
		}
	}
	failed := false
	for _, id := range sorted(called) {
		if reason, ok := allowed[id]; ok {
			fmt.Printf("allowed  %s %s: %s\n         because: %s\n", id, called[id], summaries[id], reason)
			continue
		}
		failed = true
		fmt.Printf("CALLED   %s %s: %s\n", id, called[id], summaries[id])
	}
	for _, id := range sorted(imported) {
		if _, ok := called[id]; !ok {
			fmt.Printf("not called %s %s: %s\n", id, imported[id], summaries[id])
		}
	}
	// An entry that no longer matches anything called is stale: a fix
	// landed, or the call went. Stale entries would quietly allow the same
	// advisory if it came back, so the list must shrink with them.
	for _, id := range sorted(allowed) {
		if _, ok := called[id]; !ok {
			failed = true
			fmt.Printf("STALE    %s is in the allow-list but not called: take it out\n", id)
		}
	}
	if failed {
		fmt.Println("vulncheck: the code calls known vulnerabilities, or the allow-list has stale entries (above). Upgrade, or add them to the allow-list with the reason they do not apply.")
		os.Exit(1)
	}
	fmt.Printf("vulncheck: no vulnerability called beyond the %d allowed\n", len(allowed))
}

func sorted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readAllowList reads "ID reason…" lines; # starts a comment.
func readAllowList(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s has no reason", path, id)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, nil
}
