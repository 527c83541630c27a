#!/usr/bin/env bash
# The Makefile's k8s-* targets: deploy an overlay, delete, logs, status. Usage:
#
#   deploy/kubernetes/k8s.sh deploy clickhouse|badger   (IMAGE=registry/luminate:tag)
#   deploy/kubernetes/k8s.sh delete | logs | status
#
# kubectl talks to the cluster of the current context (KUBECTL overrides the command). Objects go
# to the namespace luminate, which the overlays name.
set -euo pipefail
cd "$(dirname "$0")/../.."

KUBECTL=${KUBECTL:-kubectl}
NAMESPACE=luminate
IMAGE=${IMAGE:-luminate:latest}
# Every object of both overlays carries this label (kustomize `labels`), PVCs excepted.
SELECTOR=app.kubernetes.io/part-of=luminate

if ! command -v "$KUBECTL" >/dev/null 2>&1; then
	echo "k8s: '$KUBECTL' not found. Install kubectl (1.30 or newer, which also renders the" >&2
	echo "kustomize overlays) and point it at your cluster, or set KUBECTL=/path/to/kubectl." >&2
	exit 1
fi

# write_secrets writes base/secrets.env, the input of the base's secretGenerator: JWT_SECRET
# from the environment or .env (scripts/env.sh creates .env with a random secret the first time),
# CLICKHOUSE_PASSWORD from the environment (empty by default). The file is git-ignored and
# readable by its owner only.
write_secrets() {
	# shellcheck source=../../scripts/env.sh
	source scripts/env.sh
	if [[ ${#JWT_SECRET} -lt 32 ]]; then
		echo "k8s: JWT_SECRET is ${#JWT_SECRET} bytes; Luminate needs at least 32 (see .env)" >&2
		exit 1
	fi
	(
		umask 077
		# removed first: umask applies only to a file being created
		rm -f deploy/kubernetes/base/secrets.env
		# JWT_SECRET_PREVIOUS: the old secret during a rotation (docs/deploy.md), else empty
		printf 'JWT_SECRET=%s\nJWT_SECRET_PREVIOUS=%s\nCLICKHOUSE_PASSWORD=%s\n' "$JWT_SECRET" "${JWT_SECRET_PREVIOUS:-}" "${CLICKHOUSE_PASSWORD:-}" \
			>deploy/kubernetes/base/secrets.env
	)
}

# apply renders overlay $1 with the image set to $IMAGE and applies it. The image is set by a
# throw-away kustomization on top of the overlay, so that the committed files stay as they are;
# it names the overlay by a relative path because kustomize refuses absolute ones.
apply() {
	local overlay=$1
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cat >"$tmp/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$tmp" "deploy/kubernetes/overlays/$overlay")
images:
  - name: luminate
    newName: ${IMAGE%:*}
    newTag: ${IMAGE##*:}
YAML
	"$KUBECTL" create namespace "$NAMESPACE" --dry-run=client -o yaml | "$KUBECTL" apply -f -
	"$KUBECTL" apply -k "$tmp"
}

deploy() {
	local overlay=${1:?overlay: clickhouse or badger}
	[[ -d deploy/kubernetes/overlays/$overlay ]] || { echo "k8s: no overlay $overlay" >&2; exit 2; }
	write_secrets
	echo "k8s: deploying overlay $overlay with image $IMAGE to namespace $NAMESPACE"
	case $overlay in
	clickhouse)
		# A Job's pod template is immutable: the finished Job of the last deploy goes first,
		# and this deploy's Job applies the migrations of this image.
		"$KUBECTL" -n "$NAMESPACE" delete job luminate-schema --ignore-not-found
		apply clickhouse
		if ! "$KUBECTL" -n "$NAMESPACE" wait --for=condition=complete job/luminate-schema --timeout=5m; then
			echo "k8s: the schema Job did not complete; its log:" >&2
			"$KUBECTL" -n "$NAMESPACE" logs job/luminate-schema --tail=50 >&2 || true
			exit 1
		fi
		"$KUBECTL" -n "$NAMESPACE" rollout status deployment/luminate-ingest --timeout=10m
		"$KUBECTL" -n "$NAMESPACE" rollout status deployment/luminate-query --timeout=10m
		;;
	badger)
		apply badger
		"$KUBECTL" -n "$NAMESPACE" rollout status statefulset/luminate --timeout=10m
		;;
	*)
		echo "k8s: unknown overlay $overlay" >&2
		exit 2
		;;
	esac
}

case ${1:-} in
deploy)
	deploy "${2:-}"
	;;
delete)
	# Both overlays' objects; the Badger PVC (data-luminate-0) stays: delete it yourself to drop
	# the data.
	"$KUBECTL" -n "$NAMESPACE" delete \
		deployment,statefulset,service,hpa,pdb,ingress,networkpolicy,job,configmap,secret,serviceaccount \
		-l "$SELECTOR" --ignore-not-found
	;;
logs)
	"$KUBECTL" -n "$NAMESPACE" logs -l "$SELECTOR" --all-containers --prefix --tail=100 -f --max-log-requests=20
	;;
status)
	"$KUBECTL" -n "$NAMESPACE" get deployment,statefulset,pod,service,hpa,pdb,ingress,job -l "$SELECTOR" -o wide
	# a StatefulSet's claims carry its selector's labels, not the kustomize ones
	"$KUBECTL" -n "$NAMESPACE" get pvc -l app.kubernetes.io/name=luminate
	;;
*)
	echo "usage: $0 deploy clickhouse|badger | delete | logs | status" >&2
	exit 2
	;;
esac
