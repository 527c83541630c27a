# Luminate. `make help` lists the targets. Only Go is needed: every tool is installed into
# bin/tools by the target that needs it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

OCB_VERSION         := v0.165.0
STATICCHECK_VERSION := v0.8.2
TELEMETRYGEN_VERSION := v0.161.0
TOOLS   := $(CURDIR)/bin/tools
OCB     := $(TOOLS)/builder
GOFILES  = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './_build/*')


.PHONY: help deps build build-local tools test test-coverage lint run dev bench bench-storage clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

deps: $(OCB) ## download modules and install the build tools (ocb, staticcheck)
	go mod download
	GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(OCB):
	GOBIN=$(TOOLS) go install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

build: $(OCB) tools ## build the collector distribution with ocb into bin/luminate (plus the CLIs)
	$(OCB) --config builder-config.yaml
	@mkdir -p bin && cp _build/luminate bin/luminate
	@echo "built bin/luminate (ocb $(OCB_VERSION))"

build-local: tools ## build bin/luminate with plain go build (same components, faster, for development)
	go build -o bin/luminate ./cmd/luminate

tools: ## build the CLIs: bin/luminate-token, bin/luminate-bench, bin/luminate-query (standalone query server)
	go build -o bin/ ./cmd/luminate-token ./cmd/luminate-bench ./cmd/luminate-query

test: ## run every test (Badger, collector pipelines, real HTTP)
	go test -count=1 ./...

test-coverage: ## run the tests with coverage; writes coverage.out and coverage.html
	go test -count=1 -coverpkg=./... -coverprofile=coverage.out ./...
	go tool cover -func=coverage.out | tail -1
	go tool cover -html=coverage.out -o coverage.html

lint: ## gofmt check, go vet, staticcheck
	@out=$$(gofmt -l $(GOFILES)); if [[ -n "$$out" ]]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	@test -x $(TOOLS)/staticcheck || GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS)/staticcheck ./...

run: build ## start Luminate on Badger (data in ./data) and print a token and first curl commands
	@scripts/run.sh

dev: ## rebuild (go build) and restart Luminate whenever a .go or config file changes
	@scripts/dev.sh

bench: tools ## load test a running or freshly started Luminate through the JSON API (see docs/benchmarks.md)
	@scripts/bench.sh

bench-storage: ## benchmark the Badger engine alone: write path and the queries at 100k series
	go test -run='^$$' -bench=Workload100k -benchtime=1x ./internal/store/badgerstore/

clean: ## remove build output (keeps ./data and .env)
	rm -rf bin _build coverage.out coverage.html
