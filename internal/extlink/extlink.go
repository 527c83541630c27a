// Package extlink names the interfaces through which Luminate's collector components find each
// other via component.Host: the query server extension shares its HTTP port (the single front
// door of api.md) and its open store, the auth extension shares its token verifier. Every link is
// an explicit component ID in the config, never global state.
package extlink

import (
	"fmt"
	"reflect"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"

	"github.com/luminate-metrics/luminate/internal/auth"
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
