# fsviews — see README.md. Every target runs from a fresh checkout.
GO      ?= go
BIN     := bin/fsviews
DEMO_STATE ?= /tmp/fsviews-demo-state
FUZZTIME ?= 20s

PREFIX  ?= /usr/local
DESTDIR ?=
DOCS    := bin/docs

DEB     ?= bin/fsviews.deb
NFPM    := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

.PHONY: build demo test fuzz bench clean man install deb

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
# itself built with -race. Last, a fresh clone of the repository runs its
# systemd tests on its own (e2e/fresh: a second container, never beside
# the first).
test: build
	FSVIEWS_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...
	CGO_ENABLED=0 $(GO) build -buildmode=pie -trimpath -tags urfave_cli_no_docs -o bin/fsviews-pie ./cmd/fsviews
	FSVIEWS_BIN=$(CURDIR)/bin/fsviews-pie $(GO) test -count=1 ./e2e
	$(GO) test -race -count=1 ./launch ./audit ./registry ./internal/sigcatch ./cmd/...
	$(GO) test -tags freshclone -count=1 ./e2e/fresh

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

# Man pages (section 8) and the fish completion, generated from the CLI
# definition by a -tags gendocs build; the installed binary has no generator.
man:
	rm -rf $(DOCS)
	$(GO) run -tags gendocs ./cmd/fsviews __gendocs $(DOCS)

# The binary, its man pages and bash, zsh and fish completions, under
# $(DESTDIR)$(PREFIX) (default /usr/local).
install: build man
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/fsviews
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 $(DOCS)/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -D -m 0644 completions/fsviews.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fsviews
	install -D -m 0644 completions/_fsviews $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_fsviews
	install -D -m 0644 $(DOCS)/fsviews.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/fsviews.fish

# A Debian package of the same files (packaging/nfpm.yaml), built with
# nfpm, fetched at its pinned version through the Go module proxy.
deb: build man
	mkdir -p $(dir $(DEB))
	sed -e 's|@BIN@|$(abspath $(BIN))|' -e 's|@DOCS@|$(abspath $(DOCS))|g' packaging/nfpm.yaml > $(DOCS)/nfpm.yaml
	VERSION="0.0.0+git$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" ARCH=$$($(GO) env GOARCH) \
	$(GO) run $(NFPM) package --config $(DOCS)/nfpm.yaml --packager deb --target $(DEB)

clean:
	rm -rf bin
