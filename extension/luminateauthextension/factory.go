// Package luminateauthextension is the collector extension that authenticates OTLP (and
// Luminate API) requests with Luminate's JWTs. It is an extensionauth.Server for receivers'
// `auth: {authenticator: luminateauth}` and an extlink.VerifierProvider, so the Luminate
// receiver and query server verify tokens with the very same configuration.
package luminateauthextension

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// Type is the extension's component type, as written in the collector config.
var Type = component.MustNewType("luminateauth")

// Defaults of Config.
const (
	DefaultMetadataKey   = "x-luminate-tenant"
	DefaultRequiredScope = auth.ScopeWrite
)

// NewFactory returns the factory of the luminateauth extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, createExtension, component.StabilityLevelAlpha)
}

func createDefaultConfig() component.Config {
	return &Config{
		Leeway:        auth.DefaultLeeway,
		RequiredScope: DefaultRequiredScope,
		MetadataKey:   DefaultMetadataKey,
	}
}

// createExtension builds the verifier now, so a short secret or a bad keys file stops the
// collector at startup rather than failing every request later.
func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newAuthenticator(cfg.(*Config), set.Logger, time.Now)
}
