package luminateauthextension

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// This test pins down what an OTLP client sees when Authenticate refuses it, through the real
// core OTLP receiver (confighttp + configgrpc), as described in errors.go: gRPC keeps our
// status code (PermissionDenied for a missing scope), HTTP is always 401.

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func oneGauge() pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("api_latency")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetDoubleValue(145.5)
	dp.SetTimestamp(1735603200000000000)
	return md
}

func startOTLP(t *testing.T) (grpcAddr, httpAddr string, sink *consumertest.MetricsSink) {
	t.Helper()
	ctx := context.Background()
	ef := NewFactory()
	ecfg := ef.CreateDefaultConfig().(*Config)
	ecfg.Secret = testSecret
	ext, err := ef.Create(ctx, extensiontest.NewNopSettings(ef.Type()), ecfg)
	require.NoError(t, err)
	host := hostWith{component.NewID(Type): ext}

	grpcAddr, httpAddr = freeAddr(t), freeAddr(t)
	authCfg := map[string]any{"authenticator": "luminateauth"}
	rf := otlpreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"protocols": map[string]any{
		"grpc": map[string]any{"endpoint": grpcAddr, "include_metadata": true, "auth": authCfg},
		"http": map[string]any{"endpoint": httpAddr, "include_metadata": true, "auth": authCfg},
	}}).Unmarshal(rcfg))
	sink = new(consumertest.MetricsSink)
	rcv, err := rf.CreateMetrics(ctx, receivertest.NewNopSettings(rf.Type()), rcfg, sink)
	require.NoError(t, err)
	require.NoError(t, ext.Start(ctx, host))
	require.NoError(t, rcv.Start(ctx, host))
	t.Cleanup(func() {
		require.NoError(t, rcv.Shutdown(context.Background()))
		require.NoError(t, ext.Shutdown(context.Background()))
	})
	return grpcAddr, httpAddr, sink
}

func TestOTLPHTTPAuthErrors(t *testing.T) {
	_, httpAddr, sink := startOTLP(t)
	body, err := pmetricotlp.NewExportRequestFromMetrics(oneGauge()).MarshalJSON()
	require.NoError(t, err)
	write := token(t, "acme", []string{"write"}, time.Hour)
	tests := []struct {
		name   string
		auth   string
		status int
		body   string
	}{
		{"no token", "", http.StatusUnauthorized, "UNAUTHORIZED: missing Authorization header"},
		{"expired", "Bearer " + token(t, "acme", []string{"write"}, -time.Hour), http.StatusUnauthorized, "TOKEN_EXPIRED"},
		// confighttp answers 401 for every Authenticate error; 403 is not reachable here.
		{"missing scope", "Bearer " + token(t, "acme", []string{"read"}, time.Hour), http.StatusUnauthorized,
			`FORBIDDEN: token lacks the \"write\" scope (token scopes: read)`},
		{"valid", "bearer " + write, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/v1/metrics", bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Luminate-Tenant", "victim") // spoofing attempt
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, tt.status, resp.StatusCode, "body: %s", got)
			require.Contains(t, string(got), tt.body)
			if tt.status != http.StatusOK {
				require.Contains(t, string(got), `"code":16`) // google.rpc.Status Unauthenticated
				require.NotContains(t, string(got), write)
			}
		})
	}
	require.Equal(t, 1, sink.DataPointCount(), "only the valid request reaches the pipeline")
	require.Equal(t, []string{"acme"}, client.FromContext(sink.Contexts()[0]).Metadata.Get("x-luminate-tenant"))
}

func TestOTLPGRPCAuthErrors(t *testing.T) {
	grpcAddr, _, sink := startOTLP(t)
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	exp := pmetricotlp.NewGRPCClient(conn)
	tests := []struct {
		name string
		auth string
		code codes.Code
		msg  string
	}{
		{"no token", "", codes.Unauthenticated, "UNAUTHORIZED"},
		{"bad token", "Bearer a.b.c", codes.Unauthenticated, "INVALID_TOKEN"},
		{"missing scope", "Bearer " + token(t, "acme", []string{"read"}, time.Hour), codes.PermissionDenied,
			`FORBIDDEN: token lacks the "write" scope (token scopes: read)`},
		{"valid", "Bearer " + token(t, "acme", []string{"write"}, time.Hour), codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			md := metadata.Pairs("x-luminate-tenant", "victim")
			if tt.auth != "" {
				md.Append("authorization", tt.auth)
			}
			_, err := exp.Export(metadata.NewOutgoingContext(ctx, md), pmetricotlp.NewExportRequestFromMetrics(oneGauge()))
			st := status.Convert(err)
			require.Equal(t, tt.code, st.Code(), "status: %v", st)
			require.Contains(t, st.Message(), tt.msg)
		})
	}
	require.Equal(t, 1, sink.DataPointCount())
	require.Equal(t, []string{"acme"}, client.FromContext(sink.Contexts()[0]).Metadata.Get("x-luminate-tenant"))
}
