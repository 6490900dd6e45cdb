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
# the real runtime, conmon, registry and images built offline. The e2e
# package runs alone (its containers' mount namespaces would hold copies of
# the network tests' namespace mounts, and its leak check compares the
# host's interfaces before and after); both steps run even if one fails.
test: build
	@rc=0; \
	SELKIE_BINARY=$(CURDIR)/$(BIN) $(GO) test $(GOFLAGS_B) -count=1 -timeout 20m -p 2 $$($(GO) list ./... | grep -v /test/e2e$$) || rc=1; \
	SELKIE_BINARY=$(CURDIR)/$(BIN) $(GO) test $(GOFLAGS_B) -count=1 -timeout 60m ./test/e2e || rc=1; \
	exit $$rc

unit:
	$(GO) test $(GOFLAGS_B) -count=1 -short ./...

demo: deps build
	bash hack/demo.sh

bench: build
	bash bench/run.sh

clean:
	rm -rf bin
