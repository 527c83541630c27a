package luminatelimitsprocessor

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/luminate-metrics/luminate/extension/luminatelimitsextension"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
)

// host holds the limits extension.
type host struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// slowLimits: tenant "slow" may write 10 points/s (burst 20); everyone else has the defaults.
func startLimits(t *testing.T) (component.ID, host, *luminatelimitsextension.Config) {
	t.Helper()
	f := luminatelimitsextension.NewFactory()
	cfg := f.CreateDefaultConfig().(*luminatelimitsextension.Config)
	cfg.Limits.Overrides = map[string]limits.Override{"slow": limits.Override{}.Set(limits.PointsPerSecond, 10)}
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	id := component.NewID(f.Type())
	return id, host{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{id: ext}}, cfg
}

func newProc(t *testing.T, limitsID component.ID, h host) (*limitsProcessor, *consumertest.MetricsSink) {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Limits = limitsID
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	sink := new(consumertest.MetricsSink)
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p.(*limitsProcessor), sink
}

// gauge returns n data points of one gauge.
func gauge(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("cpu")
	dps := m.SetEmptyGauge().DataPoints()
	for i := range n {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(1)
		dp.SetDoubleValue(float64(i))
	}
	return md
}

func withTenant(tenant string) context.Context {
	return client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"x-luminate-tenant": {tenant}})})
}

type authData struct{ tenant string }

func (a authData) GetAttribute(n string) any {
	if n == "tenant_id" {
		return a.tenant
	}
	return nil
}
func (authData) GetAttributeNames() []string { return []string{"tenant_id"} }

func TestConsume(t *testing.T) {
	id, h, _ := startLimits(t)
	p, sink := newProc(t, id, h)
	if err := p.ConsumeMetrics(withTenant("slow"), gauge(20)); err != nil {
		t.Fatalf("the burst of 20: %v", err)
	}
	err := p.ConsumeMetrics(withTenant("slow"), gauge(15)) // 1.5 s of refill away
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "err-luminate-points-per-second") {
		t.Fatalf("over the burst: %v", err)
	}
	var retry *errdetails.RetryInfo
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.RetryInfo:
			retry = d
		case *errdetails.ErrorInfo:
			info = d
		}
	}
	if retry == nil || retry.RetryDelay.AsDuration() != 2*time.Second { // 15 tokens at 10/s, rounded up
		t.Errorf("retry info %v", retry)
	}
	if info == nil || info.Reason != "RATE_LIMIT_EXCEEDED" || info.Metadata["setting"] != "limits.points_per_second" || info.Metadata["x-ratelimit-limit"] != "10" {
		t.Errorf("error info %v", info)
	}
	// The verified auth data wins over metadata, and another tenant is not affected.
	ctx := client.NewContext(context.Background(), client.Info{Auth: authData{"fast"},
		Metadata: client.NewMetadata(map[string][]string{"x-luminate-tenant": {"slow"}})})
	if err := p.ConsumeMetrics(ctx, gauge(1000)); err != nil {
		t.Errorf("tenant fast (auth data) refused: %v", err)
	}
	// Without a tenant the call passes (the exporter refuses it: no_tenant).
	if err := p.ConsumeMetrics(context.Background(), gauge(1000)); err != nil {
		t.Errorf("no tenant: %v", err)
	}
	if n := sink.DataPointCount(); n != 2020 {
		t.Errorf("%d points passed, want 2020", n)
	}
	if !strings.Contains(textOf(t, h, id), `luminate_points_rejected_total{path="otlp",reason="rate_limited"} 15`) {
		t.Error("the refused points are not counted")
	}
}

func textOf(t *testing.T, h host, id component.ID) string {
	t.Helper()
	b, err := h.exts[id].(extlink.LimitsProvider).SelfMetrics().Text()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestThroughOTLPReceiver checks what a client sees through the real OTLP receiver: over gRPC
// the status RESOURCE_EXHAUSTED with its RetryInfo; over HTTP 429 with Retry-After. Meanwhile
// another tenant writes through both.
func TestThroughOTLPReceiver(t *testing.T) {
	id, h, _ := startLimits(t)
	p, sink := newProc(t, id, h)
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	rf := otlpreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	err := confmap.NewFromStringMap(map[string]any{"protocols": map[string]any{
		"grpc": map[string]any{"endpoint": grpcAddr, "include_metadata": true},
		"http": map[string]any{"endpoint": httpAddr, "include_metadata": true},
	}}).Unmarshal(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	rcv, err := rf.CreateMetrics(context.Background(), receivertest.NewNopSettings(rf.Type()), rcfg, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	defer rcv.Shutdown(context.Background())

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	gc := pmetricotlp.NewGRPCClient(conn)
	export := func(tenant string, n int) error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-luminate-tenant", tenant)
		_, err := gc.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(gauge(n)))
		return err
	}
	post := func(tenant string, n int) (*http.Response, string) {
		body, err := pmetricotlp.NewExportRequestFromMetrics(gauge(n)).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/v1/metrics", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("X-Luminate-Tenant", tenant)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if err := export("slow", 20); err != nil {
		t.Fatalf("gRPC, the burst: %v", err)
	}
	err = export("slow", 20)
	st, _ := status.FromError(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "per-tenant ingestion rate of 10 points/s exceeded") {
		t.Fatalf("gRPC over the limit: %v", err)
	}
	hasRetry := false
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok && r.RetryDelay.AsDuration() >= time.Second {
			hasRetry = true
		}
	}
	if !hasRetry {
		t.Errorf("gRPC status without RetryInfo: %v", st.Details())
	}
	if err := export("other", 5000); err != nil {
		t.Errorf("gRPC, another tenant at the same time: %v", err)
	}

	resp, body := post("slow", 20)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("HTTP over the limit: %d %s", resp.StatusCode, body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, "err-luminate-points-per-second") {
		t.Errorf("HTTP body: %s", body)
	}
	if resp, body := post("other", 5000); resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP, another tenant: %d %s", resp.StatusCode, body)
	}
	if n := sink.DataPointCount(); n != 10020 {
		t.Errorf("%d points reached the pipeline, want 10020", n)
	}
}

func TestConfig(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	cfg.TenantMetadataKey = ""
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "limits must name the luminatelimits extension") || !strings.Contains(err.Error(), "tenant_metadata_key") {
		t.Errorf("validate: %v", err)
	}
	// Start fails without the extension.
	cfg = createDefaultConfig().(*Config)
	cfg.Limits = component.MustNewID("luminatelimits")
	p := newProcessor(cfg, processortest.NewNopSettings(Type), new(consumertest.MetricsSink))
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("start without the extension: %v", err)
	}
}
