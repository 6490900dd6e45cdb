# Selkie build, test, demo and bench entry points.
GO        ?= go
TAGS      := containers_image_openpgp exclude_graphdriver_btrfs
GOFLAGS_B := -tags '$(TAGS)' -trimpath
BIN       := bin/selkie

.PHONY: build test unit e2e demo bench deps clean

build:
	$(GO) build $(GOFLAGS_B) -o $(BIN) ./cmd/selkie

# deps installs the Debian packages the demo and the tests use (needs root).
deps:
	bash hack/install-deps.sh

# test runs the whole suite: unit tests, then the end-to-end tests against
# the real runtime, conmon, registry and images built offline.
test: build
	SELKIE_BINARY=$(CURDIR)/$(BIN) $(GO) test $(GOFLAGS_B) -count=1 -timeout 60m -p 2 ./...

unit:
	$(GO) test $(GOFLAGS_B) -count=1 -short ./...

demo: deps build
	bash hack/demo.sh

bench: build
	bash bench/run.sh

clean:
	rm -rf bin
