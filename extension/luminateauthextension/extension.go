package luminateauthextension

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/extlink"
)

// authenticator is the extension. It holds no mutable state after creation, so Authenticate
// is safe for concurrent use.
type authenticator struct {
	component.StartFunc
	component.ShutdownFunc

	verifier      *auth.Verifier
	requiredScope string
	metadataKey   string
	logger        *zap.Logger
}

var (
	_ extensionauth.Server     = (*authenticator)(nil)
	_ extlink.VerifierProvider = (*authenticator)(nil)
)

func newAuthenticator(cfg *Config, logger *zap.Logger, now func() time.Time) (*authenticator, error) {
	ac, err := cfg.verifierConfig()
	if err != nil {
		return nil, fmt.Errorf("luminateauth: %w", err)
	}
	ac.Now = now
	v, err := auth.NewVerifier(ac)
	if err != nil {
		return nil, fmt.Errorf("luminateauth: %w", err)
	}
	logger.Info("Luminate JWT verification ready",
		zap.Strings("algorithms", v.Methods()), zap.Int("public_keys", len(ac.PublicKeys)),
		zap.String("required_scope", cfg.RequiredScope), zap.String("metadata_key", cfg.MetadataKey))
	return &authenticator{
		verifier:      v,
		requiredScope: cfg.RequiredScope,
		metadataKey:   strings.ToLower(cfg.MetadataKey),
		logger:        logger,
	}, nil
}

// Verifier implements extlink.VerifierProvider.
func (a *authenticator) Verifier() *auth.Verifier { return a.verifier }

// Authenticate implements extensionauth.Server. On success the returned context's
// client.Info carries Auth (an *AuthData with "tenant_id" and "scopes") and Metadata whose
// metadata_key is the verified tenant: whatever a client sent under that key is replaced,
// so no one can pick another tenant's batch partition by setting the header.
func (a *authenticator) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	header, err := authorizationHeader(sources)
	if err != nil {
		return ctx, a.refuse(ctx, err)
	}
	claims, err := a.verifier.VerifyHeader(header)
	if err != nil {
		return ctx, a.refuse(ctx, err)
	}
	if err := auth.Require(claims, a.requiredScope); err != nil {
		return ctx, a.refuse(ctx, err)
	}
	cl := client.FromContext(ctx)
	cl.Auth = newAuthData(claims)
	cl.Metadata = withTenant(cl.Metadata, a.metadataKey, claims.TenantID)
	return client.NewContext(ctx, cl), nil
}

// refuse wraps err for the interceptors and logs it at debug level: a refused client is
// normal traffic for a server, yet an operator chasing "why 401?" can turn the level up. The
// client address comes from client.Info, set by confighttp/configgrpc before auth runs.
func (a *authenticator) refuse(ctx context.Context, err error) error {
	e := newAuthError(err)
	if ce := a.logger.Check(zap.DebugLevel, "request refused"); ce != nil {
		addr := "unknown"
		if cl := client.FromContext(ctx); cl.Addr != nil {
			addr = cl.Addr.String()
		}
		ce.Write(zap.String("reason", e.Error()), zap.String("client", addr))
	}
	return e
}

// authorizationHeader finds the one Authorization value. HTTP sources are r.Header
// (canonical "Authorization"), gRPC ones are metadata (lower-case "authorization"), and a
// hand-built map may use any case, so keys are compared case-insensitively. Several values
// are refused: a proxy that appends a second header must not let either one win silently.
func authorizationHeader(sources map[string][]string) (string, error) {
	var vals []string
	for k, v := range sources {
		if strings.EqualFold(k, "authorization") {
			vals = append(vals, v...)
		}
	}
	switch len(vals) {
	case 0:
		return "", nil // auth.BearerToken answers UNAUTHORIZED "missing Authorization header"
	case 1:
		return vals[0], nil
	}
	return "", apierror.New(apierror.Unauthorized, "%d Authorization headers were sent; send exactly one", len(vals))
}

// withTenant copies md with key set to tenant (client.Metadata is immutable).
func withTenant(md client.Metadata, key, tenant string) client.Metadata {
	m := map[string][]string{key: {tenant}}
	for k := range md.Keys() {
		if !strings.EqualFold(k, key) {
			m[k] = md.Get(k)
		}
	}
	return client.NewMetadata(m)
}
