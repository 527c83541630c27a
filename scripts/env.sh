#!/usr/bin/env bash
# Sourced by the Makefile's scripts: creates .env from .env.example with a random 48-byte
# JWT_SECRET when .env is missing (never overwrites it), then exports every variable of .env
# that the environment does not already set (an exported JWT_SECRET wins over the file).
set -euo pipefail

if [[ ! -f .env ]]; then
	secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
	sed "s|^JWT_SECRET=.*|JWT_SECRET=${secret}|" .env.example > .env
	chmod 600 .env
	echo "created .env with a new random JWT_SECRET" >&2
fi

while IFS= read -r line || [[ -n $line ]]; do
	[[ $line =~ ^[[:space:]]*# || ! $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] && continue
	key=${line%%=*}
	val=${line#*=}
	val=${val%\"}; val=${val#\"}; val=${val%\'}; val=${val#\'}
	if [[ -z ${!key+x} ]]; then
		export "$key=$val"
	fi
done < .env
