package luminateexporter

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/extension/luminatelimitsextension"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/store"
)

// With self_metrics set, the exporter counts stored points and refusals by reason in the
// registry of GET /metrics; a real Badger store enforces a series limit, whose refusals are a
// permanent error counted as cardinality.
func TestSelfMetricsAndCardinality(t *testing.T) {
	lf := luminatelimitsextension.NewFactory()
	lcfg := lf.CreateDefaultConfig().(*luminatelimitsextension.Config)
	lcfg.Limits.Overrides = map[string]limits.Override{"acme": limits.Override{}.Set(limits.MaxSeriesPerTenant, 3)}
	ext, err := lf.Create(context.Background(), extensiontest.NewNopSettings(lf.Type()), lcfg)
	if err != nil {
		t.Fatal(err)
	}
	lp := ext.(extlink.LimitsProvider)
	st := openBadger(t)
	st.(store.Limited).SetLimits(lp.Guard().Limits)
	limID := component.MustNewID("luminatelimits")
	cfg := syncConfig()
	cfg.SelfMetrics = SelfMetricsConfig{Extension: &limID, Path: "otlp"}
	exp, err := NewFactory().CreateMetrics(context.Background(), exportertest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	host := testHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{storeID: &storeExtension{st: st}, limID: ext}}
	if err := exp.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr(tenantAttr, "acme")
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("cpu")
	dps := g.SetEmptyGauge().DataPoints()
	for i := range 5 { // 5 series, 3 allowed
		dp := dps.AppendEmpty()
		dp.SetTimestamp(ts(int64(i)))
		dp.SetDoubleValue(1)
		dp.Attributes().PutStr("host", fmt.Sprint("h", i))
	}
	err = exp.ConsumeMetrics(context.Background(), md)
	if !consumererror.IsPermanent(err) || !strings.Contains(err.Error(), "err-luminate-max-series-per-tenant") {
		t.Fatalf("want a permanent cardinality error, got %v", err)
	}
	text, err := lp.SelfMetrics().Text()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`luminate_points_accepted_total{path="otlp"} 3`,
		`luminate_points_rejected_total{path="otlp",reason="cardinality"} 2`,
		`luminate_storage_write_duration_seconds_count 1`,
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("missing %s", want)
		}
	}
	// The existing series keep flowing.
	for i := range 3 {
		g.Gauge().DataPoints().At(i).SetTimestamp(ts(100))
	}
	g.Gauge().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool { v, _ := dp.Attributes().Get("host"); return v.Str() >= "h3" })
	if err := exp.ConsumeMetrics(context.Background(), md); err != nil {
		t.Fatalf("existing series: %v", err)
	}
}
