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


# Image and cluster: `make docker-build docker-push REGISTRY=ghcr.io/acme TAG=0.1.0`, then
# `make k8s-deploy REGISTRY=ghcr.io/acme TAG=0.1.0` (docs/deploy.md).
REGISTRY ?=
TAG      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
IMAGE    := $(if $(REGISTRY),$(REGISTRY)/,)luminate:$(TAG)
DOCKER   ?= docker
KUBECTL  ?= kubectl

.PHONY: help deps build build-local tools test test-coverage lint run dev bench bench-storage telemetrygen clickhouse-local clickhouse-setup clean
STORAGE ?= badger
.PHONY: docker-build docker-run docker-push k8s-deploy k8s-deploy-badger k8s-delete k8s-logs k8s-status k8s-configs

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

tools: ## build the CLIs: luminate-token, luminate-bench, luminate-query (standalone query server), luminate-schema
	go build -o bin/ ./cmd/luminate-token ./cmd/luminate-bench ./cmd/luminate-query ./cmd/luminate-schema

test: ## run every test (Badger, collector pipelines, real HTTP, the Docker and Kubernetes files)
	go test -count=1 ./...
	cd deploy/deploytest && go test -count=1 ./...

test-coverage: ## run the tests with coverage; writes coverage.out and coverage.html
	go test -count=1 -coverpkg=./... -coverprofile=coverage.out ./...
	go tool cover -func=coverage.out | tail -1
	go tool cover -html=coverage.out -o coverage.html

lint: ## gofmt check, go vet, staticcheck
	@out=$$(gofmt -l $(GOFILES)); if [[ -n "$$out" ]]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	@test -x $(TOOLS)/staticcheck || GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS)/staticcheck ./...

run: build ## start Luminate on Badger (data in ./data; STORAGE=clickhouse: on CLICKHOUSE_ADDR) and print a token and curls
	@STORAGE=$(STORAGE) scripts/run.sh

clickhouse-setup: tools ## apply the ClickHouse schema migrations (CLICKHOUSE_ADDR, CLICKHOUSE_DATABASE, CLICKHOUSE_CLUSTER; see luminate-schema -h)
	bin/luminate-schema apply

clickhouse-local: ## start ClickHouse on 127.0.0.1:9000 with data in ./data/clickhouse (installs Debian's when root); STOP=1 stops it
	@STOP=$(STOP) scripts/clickhouse-local.sh

dev: ## rebuild (go build) and restart Luminate whenever a .go or config file changes
	@scripts/dev.sh

bench: tools ## load test a running or freshly started Luminate through the JSON API (STORAGE=clickhouse: on ClickHouse; docs/benchmarks.md)
	@STORAGE=$(STORAGE) scripts/bench.sh

telemetrygen: ## install telemetrygen $(TELEMETRYGEN_VERSION) into bin/tools (the OTLP tests install it themselves when missing)
	GOBIN=$(TOOLS) go install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(TELEMETRYGEN_VERSION)

bench-storage: ## benchmark the Badger engine alone: write path and the queries at 100k series
	go test -run='^$$' -bench=Workload100k -benchtime=1x ./internal/store/badgerstore/

clean: ## remove build output (keeps ./data and .env)
	rm -rf bin _build coverage.out coverage.html

# docker-check fails with a clear message when there is no docker command or no engine behind it
# (a machine can have the CLI alone).
define docker-check
@command -v $(DOCKER) >/dev/null 2>&1 || { echo "$@: '$(DOCKER)' not found: install Docker 23+ (BuildKit) or set DOCKER=..."; exit 1; }
@$(DOCKER) info >/dev/null 2>&1 || { echo "$@: '$(DOCKER)' is installed but no Docker engine answers (docker info failed): start the engine or set DOCKER_HOST"; exit 1; }
endef

docker-build: ## build the image [REGISTRY/]luminate:TAG (TAG: git commit; deploy/docker/Dockerfile: ocb build, distroless non-root runtime)
	$(docker-check)
	DOCKER_BUILDKIT=1 $(DOCKER) build -f deploy/docker/Dockerfile -t $(IMAGE) .
	@echo "built $(IMAGE)"

docker-run: docker-build ## run the image on Badger: ports 8080 4317 4318 13133, data in volume luminate-data, JWT_SECRET from .env
	@source scripts/env.sh && exec $(DOCKER) run --rm $$([[ -t 0 ]] && echo -it) --name luminate \
		-p 8080:8080 -p 4317:4317 -p 4318:4318 -p 13133:13133 \
		-v luminate-data:/data -e JWT_SECRET -e JWT_SECRET_PREVIOUS $(IMAGE)

docker-push: ## push REGISTRY/luminate:TAG (make docker-push REGISTRY=ghcr.io/acme TAG=0.1.0)
	@test -n "$(REGISTRY)" || { echo "docker-push: set REGISTRY, e.g. make docker-push REGISTRY=ghcr.io/acme TAG=0.1.0"; exit 1; }
	$(MAKE) docker-build REGISTRY=$(REGISTRY) TAG=$(TAG)
	$(DOCKER) push $(IMAGE)

k8s-deploy: ## deploy the ClickHouse overlay (ingest 3-10 pods, query, schema Job) with image [REGISTRY/]luminate:TAG
	@IMAGE=$(IMAGE) KUBECTL=$(KUBECTL) deploy/kubernetes/k8s.sh deploy clickhouse

k8s-deploy-badger: ## deploy the Badger overlay (one StatefulSet, 100Gi volume) with image [REGISTRY/]luminate:TAG
	@IMAGE=$(IMAGE) KUBECTL=$(KUBECTL) deploy/kubernetes/k8s.sh deploy badger

k8s-delete: ## delete what k8s-deploy or k8s-deploy-badger created (the Badger volume stays)
	@KUBECTL=$(KUBECTL) deploy/kubernetes/k8s.sh delete

k8s-logs: ## follow the logs of every Luminate pod
	@KUBECTL=$(KUBECTL) deploy/kubernetes/k8s.sh logs

k8s-status: ## show Luminate's deployments, pods, services, autoscalers and volumes
	@KUBECTL=$(KUBECTL) deploy/kubernetes/k8s.sh status

k8s-configs: ## copy configs/*.yaml into the Kubernetes overlays (their ConfigMaps are built from the copies)
	cp configs/ingest-clickhouse.yaml configs/query-clickhouse.yaml deploy/kubernetes/overlays/clickhouse/config/
	cp configs/luminate.yaml deploy/kubernetes/overlays/badger/config/

.PHONY: ui
ui: ## rebuild the web UI (ui/ -> internal/webui/dist, committed; needs Node 20 and npm): npm ci, unit tests, typecheck, bundle
	cd ui && npm ci --no-audit --no-fund && npm test && npm run build
