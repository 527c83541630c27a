// Package deploytest checks the deployment files of Luminate with the libraries that consume
// them: the Kubernetes overlays in deploy/kubernetes are rendered with kustomize (krusty) and
// decoded strictly into the k8s.io/api types, the configs they mount are validated by the real
// binaries built from the parent module, and deploy/docker/Dockerfile is read with BuildKit's
// parser. No cluster and no Docker engine are needed: the files must be right by construction.
//
// It is a Go module of its own (deploy/deploytest/go.mod) so that kustomize, k8s.io/api and
// BuildKit never enter the product's go.mod; `make test` runs it after the main module's tests.
package deploytest
