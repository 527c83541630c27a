package luminateauthextension

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/extlink"
)

func newTestAuthenticator(t *testing.T, edit func(*Config)) *authenticator {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Secret = testSecret
	if edit != nil {
		edit(cfg)
	}
	require.NoError(t, cfg.Validate())
	a, err := newAuthenticator(cfg, zap.NewNop(), time.Now)
	require.NoError(t, err)
	return a
}

func token(t *testing.T, tenant string, scopes []string, ttl time.Duration) string {
	t.Helper()
	c := jwt.MapClaims{"exp": time.Now().Add(ttl).Unix()}
	if tenant != "" {
		c["tenant_id"] = tenant
	}
	if scopes != nil {
		c["scopes"] = scopes
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(testSecret))
	require.NoError(t, err)
	return s
}

func TestAuthenticateSuccess(t *testing.T) {
	a := newTestAuthenticator(t, nil)
	tok := token(t, "acme", []string{"read", "write"}, time.Hour)
	tests := []struct {
		name    string
		sources map[string][]string
	}{
		{"HTTP canonical key", map[string][]string{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}},
		{"gRPC lower-case key", map[string][]string{"authorization": {"Bearer " + tok}, "content-type": {"application/grpc"}}},
		{"odd case, lower-case scheme", map[string][]string{"AUTHORIZATION": {"bearer " + tok}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := a.Authenticate(context.Background(), tt.sources)
			require.NoError(t, err)
			info := client.FromContext(ctx)
			require.NotNil(t, info.Auth)
			require.Equal(t, "acme", info.Auth.GetAttribute("tenant_id"))
			require.Equal(t, []string{"read", "write"}, info.Auth.GetAttribute("scopes"))
			require.ElementsMatch(t, []string{"tenant_id", "scopes"}, info.Auth.GetAttributeNames())
			require.Nil(t, info.Auth.GetAttribute("tenant"))
			require.Equal(t, []string{"acme"}, info.Metadata.Get("x-luminate-tenant"))
		})
	}
}

// A client that sets the tenant metadata header itself gets it replaced by the verified
// tenant; the other metadata (set by confighttp/configgrpc include_metadata) is kept.
func TestAuthenticateOverwritesSpoofedTenant(t *testing.T) {
	a := newTestAuthenticator(t, nil)
	tok := token(t, "acme", []string{"write"}, time.Hour)
	addr := &fakeAddr{"10.0.0.7:5555"}
	in := client.NewContext(context.Background(), client.Info{
		Addr: addr,
		Metadata: client.NewMetadata(map[string][]string{
			"X-Luminate-Tenant": {"victim", "victim2"},
			"x-request-id":      {"r-1"},
			"authorization":     {"Bearer " + tok},
		}),
	})
	sources := map[string][]string{"Authorization": {"Bearer " + tok}, "X-Luminate-Tenant": {"victim"}}
	ctx, err := a.Authenticate(in, sources)
	require.NoError(t, err)
	info := client.FromContext(ctx)
	require.Equal(t, []string{"acme"}, info.Metadata.Get("x-luminate-tenant"))
	require.Equal(t, []string{"acme"}, info.Metadata.Get("X-Luminate-Tenant"))
	require.Equal(t, []string{"r-1"}, info.Metadata.Get("x-request-id"))
	require.Equal(t, addr, info.Addr)
	// The caller's context and sources are not modified.
	require.Equal(t, []string{"victim", "victim2"}, client.FromContext(in).Metadata.Get("x-luminate-tenant"))
	require.Equal(t, []string{"victim"}, sources["X-Luminate-Tenant"])
}

func TestAuthenticateCustomMetadataKey(t *testing.T) {
	a := newTestAuthenticator(t, func(c *Config) { c.MetadataKey = "X-Tenant" })
	ctx, err := a.Authenticate(context.Background(),
		map[string][]string{"authorization": {"Bearer " + token(t, "acme", []string{"write"}, time.Hour)}})
	require.NoError(t, err)
	require.Equal(t, []string{"acme"}, client.FromContext(ctx).Metadata.Get("x-tenant"))
	require.Nil(t, client.FromContext(ctx).Metadata.Get("x-luminate-tenant"))
}

func TestAuthenticateFailures(t *testing.T) {
	a := newTestAuthenticator(t, nil)
	good := token(t, "acme", []string{"write"}, time.Hour)
	readOnly := token(t, "acme", []string{"read"}, time.Hour)
	expired := token(t, "acme", []string{"write"}, -time.Hour)
	noTenant := token(t, "", []string{"write"}, time.Hour)
	tests := []struct {
		name     string
		sources  map[string][]string
		code     apierror.Code
		grpcCode codes.Code
		msg      string
	}{
		{"no header", map[string][]string{"Content-Type": {"x"}}, apierror.Unauthorized, codes.Unauthenticated, "missing Authorization header"},
		{"nil sources", nil, apierror.Unauthorized, codes.Unauthenticated, "missing Authorization header"},
		{"Basic", map[string][]string{"Authorization": {"Basic dXNlcjpwYXNz"}}, apierror.Unauthorized, codes.Unauthenticated, "malformed Authorization header"},
		{"Bearer without token", map[string][]string{"authorization": {"Bearer"}}, apierror.Unauthorized, codes.Unauthenticated, "malformed"},
		{"two headers", map[string][]string{"Authorization": {"Bearer " + good}, "authorization": {"Bearer " + good}}, apierror.Unauthorized, codes.Unauthenticated, "2 Authorization headers"},
		{"expired", map[string][]string{"authorization": {"Bearer " + expired}}, apierror.TokenExpired, codes.Unauthenticated, "token expired at"},
		{"bad token", map[string][]string{"authorization": {"Bearer abc.def.ghi"}}, apierror.InvalidToken, codes.Unauthenticated, "INVALID_TOKEN"},
		{"no tenant", map[string][]string{"authorization": {"Bearer " + noTenant}}, apierror.InvalidToken, codes.Unauthenticated, "no tenant_id"},
		{"missing scope", map[string][]string{"authorization": {"Bearer " + readOnly}}, apierror.Forbidden, codes.PermissionDenied,
			`FORBIDDEN: token lacks the "write" scope (token scopes: read)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			out, err := a.Authenticate(ctx, tt.sources)
			require.Error(t, err)
			require.Equal(t, ctx, out)
			e, ok := apierror.As(err)
			require.True(t, ok, "error %T is not an apierror", err)
			require.Equal(t, tt.code, e.Code)
			require.Contains(t, err.Error(), tt.msg)
			// configgrpc's interceptor turns the error into this status (see errors.go).
			st, ok := status.FromError(err)
			require.True(t, ok)
			require.Equal(t, tt.grpcCode, st.Code())
			for _, secret := range []string{good, readOnly, expired, noTenant, testSecret} {
				require.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestRequiredScopeIsConfigurable(t *testing.T) {
	a := newTestAuthenticator(t, func(c *Config) { c.RequiredScope = "read" })
	_, err := a.Authenticate(context.Background(),
		map[string][]string{"authorization": {"Bearer " + token(t, "acme", []string{"read"}, time.Hour)}})
	require.NoError(t, err)
	_, err = a.Authenticate(context.Background(),
		map[string][]string{"authorization": {"Bearer " + token(t, "acme", nil, time.Hour)}})
	require.ErrorContains(t, err, `lacks the "read" scope (token scopes: none)`)
}

func TestAuthenticateHonoursConfiguredAudience(t *testing.T) {
	a := newTestAuthenticator(t, func(c *Config) { c.Audience = "luminate" })
	_, err := a.Authenticate(context.Background(),
		map[string][]string{"authorization": {"Bearer " + token(t, "acme", []string{"write"}, time.Hour)}})
	require.ErrorContains(t, err, "token is missing the required aud claim")
}

// The receiver and the query server find the verifier through the host, by component ID.
func TestVerifierProvider(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Secret = testSecret
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	id := component.NewID(Type)
	host := hostWith{id: ext}

	vp, err := extlink.Find[extlink.VerifierProvider](host, id)
	require.NoError(t, err)
	claims, err := vp.Verifier().VerifyHeader("Bearer " + token(t, "acme", []string{"read"}, time.Hour))
	require.NoError(t, err)
	require.Equal(t, "acme", claims.TenantID)

	srv, err := extlink.Find[extensionauth.Server](host, id)
	require.NoError(t, err)
	require.NotNil(t, srv)
}

func TestAuthDataIsACopy(t *testing.T) {
	a := newTestAuthenticator(t, nil)
	ctx, err := a.Authenticate(context.Background(),
		map[string][]string{"authorization": {"Bearer " + token(t, "acme", []string{"write"}, time.Hour)}})
	require.NoError(t, err)
	d := client.FromContext(ctx).Auth.(*AuthData)
	d.GetAttribute("scopes").([]string)[0] = "admin"
	d.Scopes()[0] = "admin"
	require.Equal(t, []string{"write"}, d.Scopes())
	require.Equal(t, "acme", d.TenantID())
}

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

type fakeAddr struct{ s string }

func (a *fakeAddr) Network() string { return "tcp" }
func (a *fakeAddr) String() string  { return a.s }

// leeway: 0 in the config means no leeway (auth.Config would read 0 as the 60 s default).
func TestLeewayZeroMeansNone(t *testing.T) {
	expired5s := token(t, "acme", []string{"write"}, -5*time.Second)
	src := map[string][]string{"authorization": {"Bearer " + expired5s}}
	_, err := newTestAuthenticator(t, nil).Authenticate(context.Background(), src)
	require.NoError(t, err, "default leeway is 60 s")
	_, err = newTestAuthenticator(t, func(c *Config) { c.Leeway = 0 }).Authenticate(context.Background(), src)
	require.ErrorContains(t, err, "TOKEN_EXPIRED")
	require.ErrorContains(t, err, "clock leeway 0s")
}

func TestRefusalIsLoggedAtDebugWithoutToken(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.Secret = testSecret
	a, err := newAuthenticator(cfg, zap.New(core), time.Now)
	require.NoError(t, err)
	tok := token(t, "acme", []string{"read"}, time.Hour)
	ctx := client.NewContext(context.Background(), client.Info{Addr: &fakeAddr{"10.0.0.7:5555"}})
	_, err = a.Authenticate(ctx, map[string][]string{"authorization": {"Bearer " + tok}})
	require.Error(t, err)
	entries := logs.FilterMessage("request refused").All()
	require.Len(t, entries, 1)
	require.Equal(t, "10.0.0.7:5555", entries[0].ContextMap()["client"])
	require.Contains(t, entries[0].ContextMap()["reason"], "FORBIDDEN")
	for _, e := range logs.All() {
		for _, v := range e.ContextMap() {
			require.NotContains(t, fmt.Sprint(v), tok)
			require.NotContains(t, fmt.Sprint(v), testSecret)
		}
	}
}
