# fsviews — see README.md. Every target runs from a fresh checkout.
GO      ?= go
BIN     := bin/fsviews
DEMO_STATE ?= /tmp/fsviews-demo-state
FUZZTIME ?= 20s

.PHONY: build demo test fuzz bench clean

# One static binary, no cgo.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/fsviews

# Run a jail on the bundled "demo" profile; it prints its own view.
demo: build
	./$(BIN) run --state-dir $(DEMO_STATE) demo

# Every test. As root the integration tests mount, pivot and exec for real.
test: build
	FSVIEWS_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...

# Coverage-guided fuzzing of the parsers, FUZZTIME per target.
fuzz:
	$(GO) test ./profiles -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./views -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./units -run '^$$' -fuzz '^FuzzServiceName$$' -fuzztime $(FUZZTIME)
	$(GO) test ./units -run '^$$' -fuzz '^FuzzExecLine$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf bin
