package luminatelimitsprocessor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
)

type limitsProcessor struct {
	cfg     *Config
	set     processor.Settings
	next    consumer.Metrics
	mdKey   string
	guard   *limits.Guard        // set in Start
	metrics *selfmetrics.Metrics // set in Start
}

func newProcessor(cfg *Config, set processor.Settings, next consumer.Metrics) *limitsProcessor {
	return &limitsProcessor{cfg: cfg, set: set, next: next, mdKey: strings.ToLower(cfg.TenantMetadataKey)}
}

// Start finds the limits extension; extensions start before pipelines.
func (p *limitsProcessor) Start(_ context.Context, host component.Host) error {
	lp, err := extlink.Find[extlink.LimitsProvider](host, p.cfg.Limits)
	if err != nil {
		return fmt.Errorf("luminatelimits processor: %w", err)
	}
	p.guard, p.metrics = lp.Guard(), lp.SelfMetrics()
	return nil
}

func (p *limitsProcessor) Shutdown(context.Context) error { return nil }

func (p *limitsProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// ConsumeMetrics admits the call or refuses it whole. A call without a tenant passes: the
// exporter refuses its points (no_tenant), and there is no bucket to charge.
func (p *limitsProcessor) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	tenant := p.tenant(ctx)
	if tenant == "" || p.guard == nil {
		return p.next.ConsumeMetrics(ctx, md)
	}
	n := md.DataPointCount()
	d := p.guard.AllowWriteRequest(tenant)
	if d == nil {
		d = p.guard.AllowPoints(tenant, n)
	}
	if d != nil {
		p.metrics.RateLimited(d.ID)
		p.metrics.PointsRejected(selfmetrics.PathOTLP, selfmetrics.ReasonRateLimited, int64(n))
		return ResourceExhausted(d)
	}
	return p.next.ConsumeMetrics(ctx, md)
}

// tenant is the verified tenant of the request: the auth data of the luminateauth extension,
// else the metadata key it overwrites with the verified tenant.
func (p *limitsProcessor) tenant(ctx context.Context) string {
	info := client.FromContext(ctx)
	if info.Auth != nil {
		if t, ok := info.Auth.GetAttribute("tenant_id").(string); ok && t != "" {
			return t
		}
	}
	if v := info.Metadata.Get(p.mdKey); len(v) > 0 {
		return v[0]
	}
	return ""
}

// ResourceExhausted is the gRPC status of a refusal: RESOURCE_EXHAUSTED (retryable), a
// RetryInfo with the delay (OTLP exporters retry RESOURCE_EXHAUSTED only with it; the OTLP/HTTP
// receiver turns it into Retry-After of a 429), and an ErrorInfo with the X-RateLimit values.
func ResourceExhausted(d *limits.Denial) error {
	st := status.New(codes.ResourceExhausted, "RATE_LIMIT_EXCEEDED: "+d.Message)
	h := d.Headers()
	info := &errdetails.ErrorInfo{Reason: "RATE_LIMIT_EXCEEDED", Domain: "luminate", Metadata: map[string]string{
		"limit":   d.ID.Def().JSON,
		"setting": d.ID.Setting(),
	}}
	for _, kv := range h[1:] {
		info.Metadata[strings.ToLower(kv[0])] = kv[1]
	}
	retry := &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(d.RetryAfterSeconds()) * time.Second)}
	if ds, err := st.WithDetails(retry, info); err == nil {
		st = ds
	}
	return st.Err()
}
