# fsviews — see README.md. Every target runs from a fresh checkout.
GO      ?= go
BIN     := bin/fsviews
DEMO_STATE ?= /tmp/fsviews-demo-state
FUZZTIME ?= 20s

.PHONY: build demo test fuzz bench clean

# One static binary, no cgo.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags urfave_cli_no_docs -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/fsviews

# Run a jail on the bundled "demo" profile; it prints its own view.
demo: build
	./$(BIN) run --state-dir $(DEMO_STATE) demo

# Every test. As root the integration tests mount, pivot and exec for real.
# Then the e2e suite once more against a position-independent build, as
# distributions build it, and the race detector (which needs cgo) on the
# packages that start goroutines; e2e/buildmode_test.go also runs fsviews
# itself built with -race.
test: build
	FSVIEWS_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...
	CGO_ENABLED=0 $(GO) build -buildmode=pie -trimpath -tags urfave_cli_no_docs -o bin/fsviews-pie ./cmd/fsviews
	FSVIEWS_BIN=$(CURDIR)/bin/fsviews-pie $(GO) test -count=1 ./e2e
	$(GO) test -race -count=1 ./launch ./audit ./registry ./cmd/...

# Coverage-guided fuzzing of the parsers, FUZZTIME per target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

# fsviews beside bubblewrap and the plain unshare + pivot_root recipe: a
# markdown report (root; ~10 min; docs/performance.md). BENCH_FLAGS=-quick
# for a smoke test. Never fails on timing.
bench: build
	scripts/bench/run.sh $(BENCH_FLAGS)

clean:
	rm -rf bin
