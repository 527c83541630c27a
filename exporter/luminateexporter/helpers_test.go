package luminateexporter

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/badgerstore"
)

const tenantAttr = DefaultTenantAttribute

// base is the time the tests' points start at (Unix ms).
var base = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixMilli()

// ts turns "seconds after base" into an OTLP timestamp.
func ts(sec int64) pcommon.Timestamp { return pcommon.Timestamp((base + sec*1000) * 1e6) }

var storeID = component.MustNewID("luminatequery")

// storeExtension is the smallest extlink.StoreProvider: what the query server extension is to
// the exporter.
type storeExtension struct {
	component.StartFunc
	component.ShutdownFunc
	st store.Store
}

func (s *storeExtension) Store() store.Store { return s.st }

// testHost serves a fixed extension map.
type testHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h testHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func hostWith(st store.Store) component.Host {
	return testHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{storeID: &storeExtension{st: st}}}
}

func openBadger(t testing.TB) store.Store {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// env is a started exporter writing to a real store, with its counters and logs observable.
type env struct {
	exp  exporter.Metrics
	st   store.Store
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

// syncConfig is a config without queue and retry, so ConsumeMetrics returns push's error.
func syncConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Store = storeID
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.BackOffConfig.Enabled = false
	return cfg
}

func startEnv(t *testing.T, st store.Store, mutate func(*Config)) *env {
	t.Helper()
	cfg := syncConfig()
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	core, logs := observer.New(zapcore.InfoLevel)
	set := exportertest.NewNopSettings(Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	exp, err := NewFactory().CreateMetrics(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), hostWith(st)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return &env{exp: exp, st: st, tel: tel, logs: logs}
}

func (e *env) consume(t *testing.T, md pmetric.Metrics) error {
	t.Helper()
	return e.exp.ConsumeMetrics(context.Background(), md)
}

func (e *env) mustConsume(t *testing.T, md pmetric.Metrics) {
	t.Helper()
	if err := e.consume(t, md); err != nil {
		t.Fatalf("ConsumeMetrics: %v", err)
	}
}

// stored and dropped read the exporter's counters.
func (e *env) stored(t *testing.T) int64 {
	t.Helper()
	m, err := e.tel.GetMetric("luminate_exporter_points_stored")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

func (e *env) dropped(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := e.tel.GetMetric("luminate_exporter_points_dropped")
	if err != nil {
		return out
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		r, _ := dp.Attributes.Value("reason")
		out[r.AsString()] += dp.Value
	}
	return out
}

func (e *env) wantCounts(t *testing.T, stored int64, dropped map[string]int64) {
	t.Helper()
	if got := e.stored(t); got != stored {
		t.Errorf("points stored = %d, want %d", got, stored)
	}
	got := e.dropped(t)
	if dropped == nil {
		dropped = map[string]int64{}
	}
	if len(got) != len(dropped) {
		t.Errorf("points dropped = %v, want %v", got, dropped)
		return
	}
	for r, n := range dropped {
		if got[r] != n {
			t.Errorf("points dropped = %v, want %v", got, dropped)
			return
		}
	}
}

// newMetrics starts a batch with one resource (tenant attribute set unless tenant is "") and
// one scope, and returns the scope's metric slice.
func newMetrics(tenant string) (pmetric.Metrics, pmetric.ResourceMetrics, pmetric.MetricSlice) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	if tenant != "" {
		rm.Resource().Attributes().PutStr(tenantAttr, tenant)
	}
	return md, rm, rm.ScopeMetrics().AppendEmpty().Metrics()
}

func addResource(md pmetric.Metrics, tenant string) pmetric.MetricSlice {
	rm := md.ResourceMetrics().AppendEmpty()
	if tenant != "" {
		rm.Resource().Attributes().PutStr(tenantAttr, tenant)
	}
	return rm.ScopeMetrics().AppendEmpty().Metrics()
}

func gauge(ms pmetric.MetricSlice, name string) pmetric.NumberDataPointSlice {
	m := ms.AppendEmpty()
	m.SetName(name)
	return m.SetEmptyGauge().DataPoints()
}

func sum(ms pmetric.MetricSlice, name string, monotonic bool, temp pmetric.AggregationTemporality) pmetric.NumberDataPointSlice {
	m := ms.AppendEmpty()
	m.SetName(name)
	s := m.SetEmptySum()
	s.SetIsMonotonic(monotonic)
	s.SetAggregationTemporality(temp)
	return s.DataPoints()
}

// point appends a double point at base+sec with string attributes k1, v1, k2, v2, ...
func point(dps pmetric.NumberDataPointSlice, sec int64, v float64, kv ...string) pmetric.NumberDataPoint {
	dp := dps.AppendEmpty()
	dp.SetTimestamp(ts(sec))
	dp.SetDoubleValue(v)
	for i := 0; i+1 < len(kv); i += 2 {
		dp.Attributes().PutStr(kv[i], kv[i+1])
	}
	return dp
}

func query(t *testing.T, st store.Store, tenant, metric string, kind store.Kind, agg store.Aggregation, fromSec, toSec int64) *store.Result {
	t.Helper()
	r, err := st.Query(context.Background(), &store.Query{
		Tenant: tenant, Metric: metric, Kind: kind, Agg: agg,
		Start: base + fromSec*1000, End: base + toSec*1000, Limit: 1000,
	})
	if err != nil {
		t.Fatalf("query %s %s of tenant %q: %v", kind, metric, tenant, err)
	}
	return r
}

func agg(f store.AggFunc) store.Aggregation { return store.Aggregation{Func: f} }

// single returns the value of a one-group result.
func single(t *testing.T, r *store.Result) float64 {
	t.Helper()
	if len(r.Groups) != 1 {
		t.Fatalf("want 1 group, got %+v", r.Groups)
	}
	return r.Groups[0].Value
}

// rawPoints returns the raw points of a metric over the test range.
func rawPoints(t *testing.T, st store.Store, tenant, metric string) []store.RawPoint {
	t.Helper()
	return query(t, st, tenant, metric, store.KindRange, store.Aggregation{}, 0, 3600).Points
}

// onlyLabels returns the labels of the one raw point of a metric.
func onlyLabels(t *testing.T, st store.Store, tenant, metric string) model.Labels {
	t.Helper()
	pts := rawPoints(t, st, tenant, metric)
	if len(pts) != 1 {
		t.Fatalf("%s: want 1 point, got %+v", metric, pts)
	}
	return pts[0].Labels
}

// rejectedError unwraps a permanent error to the *store.RejectedError it must hold.
func rejectedError(t *testing.T, err error) *store.RejectedError {
	t.Helper()
	if err == nil || !consumererror.IsPermanent(err) {
		t.Fatalf("want a permanent error, got %v", err)
	}
	var rej *store.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("error %v holds no *store.RejectedError", err)
	}
	return rej
}

func labelsString(ls model.Labels) string {
	s := "{"
	for i, l := range ls {
		if i > 0 {
			s += ", "
		}
		s += l.Name + "=" + l.Value
	}
	return s + "}"
}
