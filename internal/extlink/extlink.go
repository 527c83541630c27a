// Package extlink names the interfaces through which Luminate's collector components find each
// other via component.Host: the query server extension shares its HTTP port (the single front
// door of api.md), the store extension its open store, the auth extension its token verifier,
// the limits extension its limits and self-metrics. Every link is an explicit component ID in
// the config, never global state.
package extlink

import (
	"fmt"
	"reflect"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Mounter serves extra routes on the query server's port (the JSON write handler).
type Mounter interface {
	Mount(method, path string, h fiber.Handler) error
}

// StoreProvider hands out the process's one open store (Badger allows one opener per directory).
type StoreProvider interface {
	Store() store.Store
}

// VerifierProvider hands out the token verifier of the auth extension.
type VerifierProvider interface {
	Verifier() *auth.Verifier
}

// LimitsProvider hands out the process's tenancy guard state (the luminatelimits extension):
// the Guard with every tenant's limits and token buckets, shared by the JSON receiver, the OTLP
// limits processor, the query server and the store; and the self-metrics registry that GET
// /metrics serves.
type LimitsProvider interface {
	Guard() *limits.Guard
	SelfMetrics() *selfmetrics.Metrics
}

// Locals keys a handler mounted on the query server sets, so the server's access log and
// request metrics name what the handler decided (fiber.Ctx.Locals with these string keys).
const (
	LocalTenant    = "luminate.tenant"    // string: the verified tenant
	LocalErrorCode = "luminate.errorCode" // string: the api.md code of an error answer
)

// Find returns the extension with the given ID as a T.
func Find[T any](host component.Host, id component.ID) (T, error) {
	var zero T
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return zero, fmt.Errorf("extension %q is not configured (add it to service.extensions)", id)
	}
	t, ok := ext.(T)
	if !ok {
		return zero, fmt.Errorf("extension %q is a %T, which does not provide %v", id, ext, reflect.TypeFor[T]())
	}
	return t, nil
}
