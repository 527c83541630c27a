package luminateexporter

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/badgerstore"
)

// The ingest target is 200,000 points/s on 2 cores with HTTP, JSON decoding and storage, i.e.
// 5 us per point for everything; conversion must stay well under 1 us of that.
//
//	go test -run '^$' -bench Push -benchtime 100x ./exporter/luminateexporter/

const benchPoints = 10_000

// benchBatch is one push as the batch processor would send it: one tenant's resource with 3
// attributes, 10 gauges of 1,000 points, each point with 3 attributes (2 strings, 1 int):
// 10,000 distinct series.
func benchBatch() pmetric.Metrics {
	md, rm, ms := newMetrics("acme")
	r := rm.Resource().Attributes()
	r.PutStr("service.name", "checkout")
	r.PutStr("host.name", "ip-10-0-3-17")
	r.PutStr("deployment.environment.name", "production")
	for m := range 10 {
		dps := gauge(ms, fmt.Sprintf("api.latency.%d", m))
		dps.EnsureCapacity(benchPoints / 10)
		for i := range benchPoints / 10 {
			dp := dps.AppendEmpty()
			dp.SetTimestamp(ts(0))
			dp.SetDoubleValue(float64(i))
			a := dp.Attributes()
			a.PutStr("customer_id", fmt.Sprintf("cust_%04d", i))
			a.PutStr("endpoint", fmt.Sprintf("/api/v1/resource/%d", i%10))
			a.PutInt("http.response.status_code", 200+int64(i%3))
		}
	}
	return md
}

// shift moves every point of md by d, so each push writes new samples rather than
// overwriting the previous ones.
func shift(md pmetric.Metrics, d pcommon.Timestamp) {
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range ms.Len() {
		dps := ms.At(i).Gauge().DataPoints()
		for j := range dps.Len() {
			dps.At(j).SetTimestamp(dps.At(j).Timestamp() + d)
		}
	}
}

func benchPush(b *testing.B, st store.Store) {
	cfg := syncConfig()
	e, err := newExporter(cfg, exportertest.NewNopSettings(Type))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.start(context.Background(), hostWith(st)); err != nil {
		b.Fatal(err)
	}
	md := benchBatch()
	ctx := context.Background()
	// The first push creates the 10,000 series; measure the steady state.
	if err := e.push(ctx, md); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		shift(md, 10e9)
		b.StartTimer()
		if err := e.push(ctx, md); err != nil {
			b.Fatal(err)
		}
	}
	points := float64(b.N) * benchPoints
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/points, "ns/point")
	b.ReportMetric(points/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkPushNop isolates conversion: the appender accepts and forgets every point.
func BenchmarkPushNop(b *testing.B) { benchPush(b, nopStore{}) }

// BenchmarkPushBadger is conversion plus a real Badger commit (without fsync, which measures
// the disk rather than the code).
func BenchmarkPushBadger(b *testing.B) {
	st, err := badgerstore.Open(badgerstore.Options{Dir: b.TempDir(), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	benchPush(b, st)
}

// nopStore is a store whose appenders do nothing. It exists for BenchmarkPushNop only; every
// test uses a real engine.
type nopStore struct{ store.Store }

func (nopStore) Appender(string) store.Appender { return nopAppender{} }

type nopAppender struct{}

func (nopAppender) Append(string, model.MetricMeta, model.Labels, int64, float64) error { return nil }
func (nopAppender) Commit(context.Context) error                                        { return nil }
func (nopAppender) Rollback()                                                           {}
