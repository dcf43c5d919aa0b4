# The two commands that matter: `go run .` (or `make run`) and `make test`.
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.9.0

.PHONY: run build test lint vuln bench lighthouse load vendor ci

## run: the site on the private development database with demo content
run:
	$(GO) run .

## build: the single self-contained binary
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/dynamicmotion .

## test: every test (unit, real PostgreSQL, real headless Chromium), with -race
test:
	@url=$$(.ci/ensure-deps) && echo "tests use PostgreSQL at $$url" && \
	CGO_ENABLED=1 TEST_DATABASE_URL="$$url" $(GO) test -race -count=1 -timeout 15m ./...

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... ./.ci/loadgen
	$(GO) run $(STATICCHECK) ./... ./.ci/loadgen

## vuln: known vulnerabilities in the code's call graph
vuln:
	$(GO) run $(GOVULNCHECK) ./...

## bench: Go benchmarks, then a load run against the real binary on 127.0.0.1
## (.ci/load drives it with the Go load generator in .ci/loadgen)
bench:
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" \
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" .ci/load

## lighthouse: Lighthouse (npm, pinned; installed outside the work tree) with
## Debian's Chromium on the home page, an article with 50 comments and /book
lighthouse:
	@url=$$(.ci/ensure-deps) && TEST_DATABASE_URL="$$url" .ci/lighthouse

## vendor: re-fetch htmx from the npm registry and verify its pinned checksum
vendor:
	static/vendor/fetch.sh

## ci: what .ci/run does
ci: lint test
	VERIFY=1 static/vendor/fetch.sh
