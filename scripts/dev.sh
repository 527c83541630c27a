#!/usr/bin/env bash
# make dev: build with go build, run, and restart whenever a .go, .yaml or .env file changes.
# Polls once a second (no file-watcher dependency).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

stamp() { find . -path ./_build -prune -o -path ./data -prune -o \( -name '*.go' -o -name '*.yaml' -o -name '.env' \) -newer "$1" -print -quit; }
pid=""
stop() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap 'stop; exit 0' INT TERM

marker=$(mktemp)
while true; do
	touch "$marker"
	if make --no-print-directory build-local; then
		bin/luminate --config configs/luminate.yaml &
		pid=$!
	else
		echo "build failed; waiting for a change" >&2
	fi
	until [[ -n $(stamp "$marker") ]]; do sleep 1; done
	echo "change detected; restarting" >&2
	stop
done
