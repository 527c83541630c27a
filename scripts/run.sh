#!/usr/bin/env bash
# make run: start Luminate (Badger by default; STORAGE=clickhouse for ClickHouse at
# CLICKHOUSE_ADDR) with the ports of api.md and print a ready-to-paste token.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

host=localhost
configs=(--config configs/luminate.yaml)
storage="Badger (data in ${LUMINATE_DATA_DIR})"
if [[ "${STORAGE:-badger}" == clickhouse ]]; then
	export CLICKHOUSE_ADDR="${CLICKHOUSE_ADDR:-127.0.0.1:9000}"
	echo "applying the ClickHouse schema on ${CLICKHOUSE_ADDR} ..."
	bin/luminate-schema apply || { echo "is ClickHouse running? make clickhouse-local starts one" >&2; exit 1; }
	configs+=(--config configs/storage-clickhouse.yaml)
	storage="ClickHouse (${CLICKHOUSE_ADDR}, database ${CLICKHOUSE_DATABASE:-luminate})"
elif [[ "${STORAGE:-badger}" != badger ]]; then
	echo "STORAGE must be badger or clickhouse, not ${STORAGE}" >&2
	exit 2
fi
token=$(bin/luminate-token --tenant demo --scopes read,write,admin --ttl 24h)
now=$(($(date +%s) * 1000))
cat <<MSG

Luminate is starting on ${storage}.
  API          http://${host}:8080   (write, query, discovery, health)
  OTLP         ${host}:4317 (gRPC), http://${host}:4318 (HTTP)
  health check http://${host}:13133

A token for tenant "demo" (scopes read, write, admin; valid 24 h):

  export TOKEN=${token}

Write a point:

  curl -s -X POST http://${host}:8080/api/v1/write -H "Authorization: Bearer \$TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{"metrics":[{"name":"api_latency","timestamp":${now},"value":145.5,"dimensions":{"customer_id":"cust_123","endpoint":"/api/users"}}]}'

Query it:

  curl -s -X POST http://${host}:8080/api/v1/query -H "Authorization: Bearer \$TOKEN" \\
    -d '{"queryType":"aggregate","metricName":"api_latency","timeRange":{"relative":"1h"},"aggregation":"avg","groupBy":["customer_id"]}'

More tokens: bin/luminate-token --tenant acme --scopes read,write --ttl 24h
Stop with Ctrl-C.

MSG
exec bin/luminate "${configs[@]}"
