# The two commands that matter: `go run .` (or `make run`) and `make test`.
GO ?= go
# Every build, test and check runs on go1.27.3, which the go command fetches from the module proxy
# (about 76 MB, once per machine): it has the standard library's security fixes that this machine's
# go1.26.8 lacks. go.mod still says 1.26.8, so a plain `go run .` works on the machine's own Go.
export GOTOOLCHAIN := go1.27.3
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.9.0
# The Go vulnerability database, from the module proxy (vuln.go.dev is not always reachable): the OSV
# files of golang.org/x/vulndb at this version, indexed into the layout govulncheck reads.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB_DIR ?= $(HOME)/.cache/dynamicmotion-vulndb-$(VULNDB_VERSION)
FUZZTIME ?= 10s
FUZZMINIMIZE ?= 2s

.PHONY: run build test proof abuse lint vuln fuzz bench lighthouse load vendor ci

## run: the site on the private development database with demo content
run:
	$(GO) run .

## build: the single self-contained binary
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/dynamicmotion .

## test: every test (unit, real PostgreSQL, real headless Chromium), with -race. The longest packages
## (e2e, handlers) take 5 to 11 minutes on two cores; -timeout is a cap for a slow machine, not a pace.
test:
	@url=$$(.ci/ensure-deps) && echo "tests use PostgreSQL at $$url" && \
	CGO_ENABLED=1 TEST_DATABASE_URL="$$url" $(GO) test -race -count=1 -timeout 25m ./...

## proof: the reliability proofs alone (part of `make test` too), with their figures: PostgreSQL
## restarted under load, SIGINT under load, two instances on one database
proof:
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" \
	CGO_ENABLED=1 $(GO) test -race -count=1 -v -run '^Test(Fault|Sigint|Instances)' ./e2e

## abuse: the attacks of issue 15 against the real binary (part of `make test` too), each with the
## resident memory and the home page's latency measured while it runs; the figures are collected in
## abuse-figures.md (a table for BENCHMARKS.md)
abuse:
	@url=$$(.ci/ensure-deps) && rm -f abuse-figures.md && TEST_DATABASE_URL="$$url" ABUSE_FIGURES=$$PWD/abuse-figures.md \
	CGO_ENABLED=1 $(GO) test -race -count=1 -v -run '^TestAbuse' ./e2e && \
	echo "| attack | memory before | peak | home requests | failed | p50 | p99 |" && echo "|---|---:|---:|---:|---:|---:|---:|" && cat abuse-figures.md

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... ./.ci/loadgen
	$(GO) run $(STATICCHECK) ./... ./.ci/loadgen

## vuln: known vulnerabilities in the code's call graph (fails on any called one not in .ci/vuln-allow.txt)
vuln:
	@if [ ! -f "$(VULNDB_DIR)/index/db.json" ]; then \
	  src=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') && \
	  $(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$src/data/osv" -out "$(VULNDB_DIR).tmp" && \
	  rm -rf "$(VULNDB_DIR)" && mv "$(VULNDB_DIR).tmp" "$(VULNDB_DIR)"; fi
	$(GO) run $(GOVULNCHECK) -db "file://$(VULNDB_DIR)" -format json ./... | $(GO) run ./.ci/vulncheck .ci/vuln-allow.txt

## fuzz: every fuzz test for FUZZTIME each (default 10s), after its seeds ran in `make test`.
## Minimising a new input is capped at FUZZMINIMIZE: left to Go's default (60s) one
## minimisation of a large seed can outlast a 10s run. Go's fuzzer can also end a run
## with "context deadline exceeded" and no failing input when its time is up
## (golang/go#56238, #52569): such a run, and only such a run, is tried once more.
## A real finding is written to testdata/fuzz and its output printed. Fuzz
## tests that run the real queries (db, handlers) use the test PostgreSQL.
fuzz:
	@url=$$(.ci/ensure-deps) && export TEST_DATABASE_URL="$$url" && \
	for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    log=$$(mktemp); \
	    for try in 1 2; do \
	      if $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg >$$log 2>&1; then break; fi; \
	      if [ $$try = 1 ] && grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
	        echo "  the fuzzer stopped without a finding (context deadline exceeded): once more"; continue; fi; \
	      grep -v '^fuzz: elapsed' $$log | tail -60; rm -f $$log; exit 1; \
	    done; \
	    rm -f $$log; \
	  done; \
	done

## bench: Go benchmarks; posting on a 50- and a 3,000-comment thread (fails
## if the rates differ by more than 20%); then a load run against the real
## binary on 127.0.0.1 (.ci/load drives it with the Go load generator in
## .ci/loadgen), with nginx beside it for the budgets of issue 16: a missed
## budget fails the run (BENCH_BUDGETS=0 only reports it)
bench: export BENCH_BUDGETS ?= 1
bench:
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" \
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" BENCH_THREADS=1 \
	$(GO) test -count=1 -v -run '^TestPostingCostsTheSameOnAnyThread$$' ./handlers
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" .ci/load

## lighthouse: Lighthouse (npm, pinned; installed outside the work tree) with
## Debian's Chromium on the home page, an article with 50 comments and /book
lighthouse:
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" .ci/lighthouse

## vendor: re-fetch htmx from the npm registry and verify its pinned checksum
vendor:
	static/vendor/fetch.sh

## ci: what .ci/run does
ci: lint vuln test fuzz
	VERIFY=1 static/vendor/fetch.sh
