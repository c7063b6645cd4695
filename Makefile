# Lanner build and test entry points. `make help` lists them.

GO       ?= go
BIN      := bin/lanner
PKG      := github.com/lannersec/lanner
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# Rules files compiled into a custom binary by `make build RULES="a.yaml b.yaml"`,
# in load order. Empty means the default rules in rules/ (already generated
# in compiled/).
RULES    ?=
# Flags of gen for `make build RULES=...`: GENFLAGS=-strict fails the build
# when rules of a source Lanner does not support (k8s_audit) are left out.
GENFLAGS ?=
FUZZTIME ?= 10s

.PHONY: help build run generate generate-bpf check-generated test test-unit fuzz bench vet clean

help:
	@echo "make build            build $(BIN) with the default rules"
	@echo "make build RULES='a.yaml b.yaml'  build $(BIN) from other rules files"
	@echo "make run              build and run the monitor with the default rules"
	@echo "make generate         regenerate compiled/ from rules/"
	@echo "make check-generated  fail if compiled/ is stale"
	@echo "make test             vet, unit and integration tests, short fuzzing"
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
	GO=$(GO) scripts/fuzz.sh ./output FuzzAppendJSON $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./output FuzzAlertLines $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./ruleset FuzzAppendEscaped $(FUZZTIME)
	GO=$(GO) scripts/fuzz.sh ./cmd/lanner FuzzLoadConfig $(FUZZTIME)

	GO=$(GO) scripts/fuzz.sh ./engine FuzzOwnAlert $(FUZZTIME)

test: vet check-generated test-unit fuzz

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
	rm -rf bin
