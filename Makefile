# Lanner build and test entry points. `make help` lists them.

GO       ?= go
BIN      := bin/lanner
PKG      := github.com/lannersec/lanner
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)
# make dist: a static binary (no cgo, so no dynamic section), a tarball and
# .deb/.rpm packages (nfpm, deploy/nfpm.yaml) in $(DIST).
DIST     := dist
ARCH     ?= $(shell $(GO) env GOARCH)
NFPM     ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
# Package versions must start with a digit: a tag vX.Y.Z gives X.Y.Z, an
# untagged tree 0.0.0~gitHASH (sorting before any release); - becomes .
PKG_VERSION ?= $(shell echo '$(VERSION)' | sed -E -e 's/^v([0-9]+\.)/\1/' -e '/^[0-9]+\.[0-9]/!s/^/0.0.0~git/' -e 's/-/./g')
DIST_NAME := lanner_$(PKG_VERSION)_linux_$(ARCH)
# Rules files compiled into a custom binary by `make build RULES="a.yaml b.yaml"`,
# in load order. Empty means the default rules in rules/ (already generated
# in compiled/).
RULES    ?=
# Flags of gen for `make build RULES=...`: GENFLAGS=-strict fails the build
# when rules of a source Lanner does not support (k8s_audit) are left out.
GENFLAGS ?=
FUZZTIME ?= 10s

.PHONY: help build dist dist-dir image run generate generate-bpf check-generated test test-unit test-arm64 fuzz bench vet clean

help:
	@echo "make build            build $(BIN) with the default rules"
	@echo "make build RULES='a.yaml b.yaml'  build $(BIN) from other rules files"
	@echo "make dist             static binary, tarball, .deb and .rpm in $(DIST)/"
	@echo "make image            container image $(IMAGE) (local Docker, no registry)"
	@echo "make run              build and run the monitor with the default rules"
	@echo "make generate         regenerate compiled/ from rules/"
	@echo "make check-generated  fail if compiled/ is stale"
	@echo "make test             vet, unit and integration tests, short fuzzing"
	@echo "make test-arm64       linux/arm64 build and vet, and the kernel-free tests under qemu-user"
	@echo "make bench            benchmarks (see bench/README.md)"

build:
ifeq ($(strip $(RULES)),)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lanner
else
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) run ./gen -q $(GENFLAGS) -out "$$tmp" $(RULES) && \
	printf '{"Replace":{"%s":"%s"}}' "$(CURDIR)/compiled/rules_gen.go" "$$tmp/rules_gen.go" > "$$tmp/overlay.json" && \
	$(GO) build -overlay "$$tmp/overlay.json" -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lanner && \
	echo "built $(BIN) from $(RULES)"
endif

# The release directory: the static binary and what goes with it.
dist-dir:
	rm -rf $(DIST)/$(DIST_NAME) && mkdir -p $(DIST)/$(DIST_NAME)/rules
	CGO_ENABLED=0 GOARCH=$(ARCH) $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(DIST)/$(DIST_NAME)/lanner ./cmd/lanner
	@! readelf -d $(DIST)/$(DIST_NAME)/lanner 2>/dev/null | grep -q NEEDED || { echo "$(DIST)/$(DIST_NAME)/lanner is dynamically linked"; exit 1; }
	cp rules/lanner_rules.yaml $(DIST)/$(DIST_NAME)/rules/
	cp deploy/lanner.service deploy/config.yaml deploy/lanner.logrotate deploy/daemonset.yaml deploy/Dockerfile README.md $(DIST)/$(DIST_NAME)/

dist: dist-dir
	tar -C $(DIST) --owner=0 --group=0 --numeric-owner -czf $(DIST)/$(DIST_NAME).tar.gz $(DIST_NAME)
	for p in deb rpm; do \
		LANNER_BIN=$(DIST)/$(DIST_NAME)/lanner LANNER_PKG_VERSION='$(PKG_VERSION)' LANNER_ARCH=$(ARCH) \
			$(NFPM) package -f deploy/nfpm.yaml -p $$p -t $(DIST)/ || exit 1; \
	done
	@ls -l $(DIST)

IMAGE ?= local/lanner:latest

# The image: FROM scratch with the static binary of make dist (see
# deploy/Dockerfile), built by the local Docker daemon; an empty /tmp and
# the build machine's CA certificates are added.
image: dist-dir
	scripts/image.sh $(DIST)/$(DIST_NAME) $(IMAGE)

run: build
	./$(BIN) run

generate:
	$(GO) generate ./compiled

# Regenerate the BPF objects and their Go bindings (needs clang, llvm,
# libbpf-dev and bpftool from Debian); the results are committed.
generate-bpf:
	collectors/ebpf/generate.sh

check-generated: generate
	@git diff --exit-code --stat -- compiled/ || { echo "compiled/ is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- compiled/)" || { git status --porcelain -- compiled/; echo "compiled/ has untracked or stale files"; exit 1; }

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# The container tests need Docker and containerd: as root,
# scripts/containers.sh installs them where missing, starts them around the
# tests, and removes the test containers (and the daemons it started) after.
test-unit:
	scripts/containers.sh with $(GO) test -count=1 -timeout 30m ./...

# The packages that need no kernel, built for arm64 and run under
# qemu-user (Debian: qemu-user-static), after building and vetting the
# whole tree for linux/arm64 and darwin. TestSeedRealProc reads the test's
# own /proc entry, which under qemu-user is qemu's. LANNER_REQUIRE_KERNEL
# is cleared: kernel tests skip here, they run natively in test-unit.
ARM64_PKGS := ./event ./lang/... ./match ./ruleset ./interp ./gen/... ./output ./eventlog \
	./containers ./state ./collectors ./collectors/audit ./collectors/ebpf ./internal/linuxabi
QEMU_ARM64 ?= qemu-aarch64-static

test-arm64:
	GOOS=linux GOARCH=arm64 $(GO) build ./...
	GOOS=linux GOARCH=arm64 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) build $$(GOOS=darwin $(GO) list ./... | grep -v -e /cmd/lanner -e /bench)
	LANNER_REQUIRE_KERNEL= GOARCH=arm64 $(GO) test -count=1 -exec $(QEMU_ARM64) -skip '^TestSeedRealProc$$' $(ARM64_PKGS)

fuzz:
	GO=$(GO) scripts/fuzz.sh ./lang/parser FuzzParse $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./lang/parser FuzzParseFormat $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./lang FuzzRead $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./internal/yamlguard FuzzParse $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./match FuzzGlob $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./event FuzzCutArgv $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./collectors/ebpf FuzzDecode $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./eventlog FuzzRead $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./state FuzzParseStat $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./collectors/audit FuzzParse $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./collectors/audit FuzzReassemble $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./collectors/audit FuzzAppendClean $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./collectors/fanotify FuzzParseEvent $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./containers FuzzParse $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./containers FuzzContainerIDFromCgroup $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./internal/linuxabi FuzzParseInetSockaddr $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./output FuzzAppendJSON $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./output FuzzAlertLines $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./ruleset FuzzAppendEscaped $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./cmd/lanner FuzzLoadConfig $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./engine FuzzOwnAlert $(FUZZTIME)

test: vet check-generated test-unit test-arm64 fuzz

UPSTREAM := ../shared/falco-rules/falco_rules.yaml ../shared/falco-rules/falco-incubating_rules.yaml ../shared/falco-rules/falco-sandbox_rules.yaml
COUNT    ?= 1
BENCH    ?= .

# Benchmarks, the upstream rules among them: they are compiled into
# internal/upstream through a build overlay, so no upstream rule text is
# committed. Compare runs with benchstat (see bench/README.md).
bench:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) run ./gen -q -pkg upstream -out "$$tmp" $(UPSTREAM) && \
	printf '{"Replace":{"%s":"%s"}}' "$(CURDIR)/internal/upstream/rules_gen.go" "$$tmp/rules_gen.go" > "$$tmp/overlay.json" && \
	$(GO) test -tags lanner_upstream -overlay "$$tmp/overlay.json" -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) ./bench/

clean:
	rm -rf bin $(DIST)
