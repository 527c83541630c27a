#!/usr/bin/env bash
# make bench: load test Luminate end to end over its public APIs with bin/luminate-bench
# (cmd/luminate-bench; docs/benchmarks.md describes the workload and the report).
#
# Builds what is missing, then runs bin/luminate-bench with BENCH_ARGS (and this script's own
# arguments) passed through:
#   - bin/luminate-bench is always rebuilt with go build (incremental, seconds), so it is never stale;
#   - bin/luminate is built with `make build-local` only when it is absent and the run spawns it
#     (no --url, no --server): an existing binary, e.g. the ocb build of `make build`, is used as is.
#
# Examples:
#   make bench                                        # spawn bin/luminate, JSON write API, 6M points
#   make bench BENCH_ARGS="--mode otlp-grpc"          # the same points over OTLP gRPC
#   make bench BENCH_ARGS="--mode otlp-http --gzip"
#   make bench BENCH_ARGS="--customers 1000 --query-runs 5 --json"
#   make bench BENCH_ARGS="--url http://host:8080 --token $TOKEN"   # a running server, nothing spawned
#   make bench STORAGE=clickhouse                     # the spawned server on ClickHouse (CLICKHOUSE_ADDR)
#   scripts/bench.sh --customers 100 --points 3                      # same, without make
#
# BENCH_ARGS is split on whitespace (no quoting); `bin/luminate-bench -h` lists every flag.
# Progress goes to stderr, the summary and the markdown row to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a args <<<"${BENCH_ARGS:-}"
args+=("$@")

spawns=1
for a in "${args[@]}"; do
	case $a in
	--url | --url=* | -url | -url=* | --server | --server=* | -server | -server=*) spawns=0 ;;
	esac
done

if [[ $spawns == 1 && ! -x bin/luminate ]]; then
	echo "bench: bin/luminate is missing; building it with make build-local" >&2
	make build-local
fi
mkdir -p bin
go build -o bin/luminate-bench ./cmd/luminate-bench

# STORAGE=clickhouse: the spawned server runs on ClickHouse at CLICKHOUSE_ADDR (make
# clickhouse-local starts one), in a fresh database bench_<time> unless CLICKHOUSE_DATABASE is
# set; the schema is applied first, as make run does.
if [[ "${STORAGE:-badger}" == clickhouse && $spawns == 1 ]]; then
	export CLICKHOUSE_ADDR="${CLICKHOUSE_ADDR:-127.0.0.1:9000}"
	export CLICKHOUSE_DATABASE="${CLICKHOUSE_DATABASE:-bench_$(date +%s)}"
	go build -o bin/luminate-schema ./cmd/luminate-schema
	echo "bench: ClickHouse ${CLICKHOUSE_ADDR}, database ${CLICKHOUSE_DATABASE}" >&2
	bin/luminate-schema apply >&2 || { echo "bench: is ClickHouse running? make clickhouse-local starts one" >&2; exit 1; }
	config=configs/luminate.yaml
	for i in "${!args[@]}"; do
		case ${args[$i]} in
		--config | -config) config=${args[$((i + 1))]} ;;
		--config=* | -config=*) config=${args[$i]#*=} ;;
		esac
	done
	args+=(--config "${config},configs/storage-clickhouse.yaml")
fi

exec bin/luminate-bench "${args[@]}"
