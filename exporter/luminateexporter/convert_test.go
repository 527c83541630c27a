package luminateexporter

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

// TestMetricTypes writes each supported OTLP type to a real Badger store and checks what a
// query answers, so the metadata (type, temporality) is proven by the semantics it drives.
func TestMetricTypes(t *testing.T) {
	cum, delta := pmetric.AggregationTemporalityCumulative, pmetric.AggregationTemporalityDelta
	tests := []struct {
		name     string
		build    func(ms pmetric.MetricSlice)
		kind     store.Kind
		agg      store.Aggregation
		to       int64 // seconds after base
		want     float64
		wantMeta model.MetricMeta
	}{
		{
			name: "gauge int",
			build: func(ms pmetric.MetricSlice) {
				dps := gauge(ms, "queue.size")
				for i, v := range []int64{5, 7} {
					dp := dps.AppendEmpty()
					dp.SetTimestamp(ts(int64(i) * 10))
					dp.SetIntValue(v)
				}
			},
			kind: store.KindAggregate, agg: agg(store.AggAvg), to: 10, want: 6,
			wantMeta: model.MetricMeta{Type: model.TypeGauge, Unit: "{item}"},
		},
		{
			name: "gauge double",
			build: func(ms pmetric.MetricSlice) {
				dps := gauge(ms, "cpu.utilization")
				point(dps, 0, 1.5)
				point(dps, 10, 2.25)
			},
			kind: store.KindAggregate, agg: agg(store.AggSum), to: 10, want: 3.75,
			wantMeta: model.MetricMeta{Type: model.TypeGauge, Unit: "{item}"},
		},
		{
			// 10, 20, 5 (a reset), 15: increases 10 + 5 + 10 = 25 over 30 s.
			name: "sum cumulative monotonic with a reset",
			build: func(ms pmetric.MetricSlice) {
				dps := sum(ms, "http.requests", true, cum)
				for i, v := range []int64{10, 20, 5, 15} {
					dp := dps.AppendEmpty()
					dp.SetTimestamp(ts(int64(i) * 10))
					dp.SetIntValue(v)
				}
			},
			kind: store.KindRate, to: 30, want: 25.0 / 30,
			wantMeta: model.MetricMeta{Type: model.TypeCounter, Unit: "{item}", Temporality: model.TemporalityCumulative, Monotonic: true},
		},
		{
			// deltas 3, 4, 5 add up to 12 over 20 s.
			name: "sum delta monotonic",
			build: func(ms pmetric.MetricSlice) {
				dps := sum(ms, "bytes.sent", true, delta)
				point(dps, 0, 3)
				point(dps, 10, 4)
				point(dps, 20, 5)
			},
			kind: store.KindRate, to: 20, want: 12.0 / 20,
			wantMeta: model.MetricMeta{Type: model.TypeCounter, Unit: "{item}", Temporality: model.TemporalityDelta, Monotonic: true},
		},
		{
			// 10, 4, 6: an updowncounter's decrease is not a reset, so the rate is -4 over 20 s.
			name: "sum cumulative non-monotonic",
			build: func(ms pmetric.MetricSlice) {
				dps := sum(ms, "connections.active", false, cum)
				point(dps, 0, 10)
				point(dps, 10, 4)
				point(dps, 20, 6)
			},
			kind: store.KindRate, to: 20, want: -4.0 / 20,
			wantMeta: model.MetricMeta{Type: model.TypeUpDownCounter, Unit: "{item}", Temporality: model.TemporalityCumulative},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, openBadger(t), nil)
			md, _, ms := newMetrics("acme")
			tt.build(ms)
			ms.At(0).SetUnit("{item}")
			e.mustConsume(t, md)

			name := ms.At(0).Name()
			got := single(t, query(t, e.st, "acme", name, tt.kind, tt.agg, 0, tt.to))
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("%s = %v, want %v", tt.kind, got, tt.want)
			}
			infos, err := e.st.Metrics(context.Background(), "acme")
			if err != nil || len(infos) != 1 {
				t.Fatalf("metrics: %+v %v", infos, err)
			}
			if infos[0].Name != name || infos[0].Meta != tt.wantMeta {
				t.Errorf("metric %q meta %+v, want %q %+v", infos[0].Name, infos[0].Meta, name, tt.wantMeta)
			}
			e.wantCounts(t, int64(md.DataPointCount()), nil)
		})
	}
}

// TestHistogramsWithoutEngineSupport: on an engine whose appender cannot store histograms
// (no store.PointAppender), histogram and exponential histogram points are counted as dropped
// and each name is warned about once; summaries become value series and are stored; the gauge
// next to them is stored and the push succeeds.
func TestHistogramsWithoutEngineSupport(t *testing.T) {
	e := startEnv(t, &faultStore{Store: openBadger(t)}, nil)
	batch := func() pmetric.Metrics {
		md, _, ms := newMetrics("acme")
		h := ms.AppendEmpty()
		h.SetName("http.server.request.duration")
		hd := h.SetEmptyHistogram().DataPoints()
		hd.AppendEmpty().SetTimestamp(ts(0))
		hd.AppendEmpty().SetTimestamp(ts(1))
		x := ms.AppendEmpty()
		x.SetName("rpc.duration")
		x.SetEmptyExponentialHistogram().DataPoints().AppendEmpty().SetTimestamp(ts(0))
		s := ms.AppendEmpty()
		s.SetName("gc.pause")
		s.SetEmptySummary().DataPoints().AppendEmpty().SetTimestamp(ts(0))
		point(gauge(ms, "up"), 0, 1)
		return md
	}
	for range 3 {
		e.mustConsume(t, batch())
	}
	// per batch: the gauge, and the summary's _sum and _count
	e.wantCounts(t, 9, map[string]int64{"unsupported_type": 9})
	if got := len(rawPoints(t, e.st, "acme", "up")); got != 1 {
		t.Fatalf("gauge points: %d, want 1 (the same point three times)", got)
	}
	warned := map[string]string{}
	for _, l := range e.logs.FilterMessageSnippet("cannot store this metric type").All() {
		fields := l.ContextMap()
		name := fields["metric"].(string)
		if _, dup := warned[name]; dup {
			t.Errorf("metric %q warned about twice", name)
		}
		warned[name] = fields["type"].(string)
	}
	want := map[string]string{"http.server.request.duration": "histogram", "rpc.duration": "exphistogram"}
	if len(warned) != len(want) || warned["http.server.request.duration"] != "histogram" || warned["rpc.duration"] != "exphistogram" {
		t.Fatalf("warnings %v, want %v", warned, want)
	}
}

// TestNoRecordedValue: a staleness marker is skipped, neither stored nor an error.
func TestNoRecordedValue(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, ms := newMetrics("acme")
	dps := gauge(ms, "up")
	point(dps, 0, 1)
	point(dps, 10, 0).SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	e.mustConsume(t, md)
	if pts := rawPoints(t, e.st, "acme", "up"); len(pts) != 1 || pts[0].V != 1 {
		t.Fatalf("points %+v, want only the recorded one", pts)
	}
	e.wantCounts(t, 1, nil)
}

// TestInvalidPoints: NaN, ±Inf, a missing timestamp or value, and a metric name that is empty
// or too long are refused with INVALID_REQUEST in a permanent *store.RejectedError; the valid
// point in the same push is stored.
func TestInvalidPoints(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, ms := newMetrics("acme")
	dps := gauge(ms, "temp")
	point(dps, 0, 20, "room", "ok")
	point(dps, 1, math.NaN(), "room", "nan")
	point(dps, 2, math.Inf(1), "room", "inf")
	point(dps, 3, math.Inf(-1), "room", "-inf")
	noTS := dps.AppendEmpty()
	noTS.SetDoubleValue(1)
	noTS.Attributes().PutStr("room", "nots")
	noValue := dps.AppendEmpty()
	noValue.SetTimestamp(ts(4))
	noValue.Attributes().PutStr("room", "novalue")
	point(gauge(ms, ""), 0, 1)
	point(gauge(ms, strings.Repeat("x", model.MaxMetricNameLen+1)), 0, 1)

	rej := rejectedError(t, e.consume(t, md))
	want := []string{
		"value NaN is not a finite number",
		"value +Inf is not a finite number",
		"value -Inf is not a finite number",
		"data point has no timestamp",
		"data point has no value",
		"metric name must be 1-256 bytes, got 0",
		"metric name must be 1-256 bytes, got 257",
	}
	if len(rej.Rejections) != len(want) {
		t.Fatalf("%d rejections, want %d: %+v", len(rej.Rejections), len(want), rej.Rejections)
	}
	for i, w := range want {
		r := rej.Rejections[i]
		if r.Code != apierror.InvalidRequest || !strings.Contains(r.Message, w) {
			t.Errorf("rejection %d: %s %q, want INVALID_REQUEST %q", i, r.Code, r.Message, w)
		}
	}
	if r := rej.Rejections[0]; r.Metric != "temp" || r.T != base+1000 || labelsString(r.Labels) != "{room=nan}" {
		t.Errorf("rejection 0 identifies %q %d %s, want temp %d {room=nan}", r.Metric, r.T, labelsString(r.Labels), base+1000)
	}
	if pts := rawPoints(t, e.st, "acme", "temp"); len(pts) != 1 || pts[0].V != 20 {
		t.Fatalf("stored %+v, want the one valid point", pts)
	}
	e.wantCounts(t, 1, map[string]int64{"invalid": 7})
}

// TestAllInvalidIsPermanent: a push of which nothing could be appended is a permanent error.
func TestAllInvalidIsPermanent(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, ms := newMetrics("acme")
	point(gauge(ms, "temp"), 0, math.NaN())
	rej := rejectedError(t, e.consume(t, md))
	if len(rej.Rejections) != 1 {
		t.Fatalf("rejections %+v", rej.Rejections)
	}
	e.wantCounts(t, 0, map[string]int64{"invalid": 1})
}

// TestWarnedNamesBounded: the set of names warned about stops growing at maxWarnedNames, with
// one line saying so.
func TestWarnedNamesBounded(t *testing.T) {
	e := startEnv(t, &faultStore{Store: memstore.New()}, nil)
	md, _, ms := newMetrics("acme")
	for i := range maxWarnedNames + 5 {
		h := ms.AppendEmpty()
		h.SetName(fmt.Sprintf("hist.%d", i))
		h.SetEmptyHistogram().DataPoints().AppendEmpty().SetTimestamp(ts(0))
	}
	e.mustConsume(t, md)
	e.mustConsume(t, md)
	if n := e.logs.FilterMessageSnippet("cannot store this metric type").Len(); n != maxWarnedNames {
		t.Errorf("%d per-name warnings, want %d", n, maxWarnedNames)
	}
	if n := e.logs.FilterMessageSnippet("not logging further names").Len(); n != 1 {
		t.Errorf("%d cap warnings, want 1", n)
	}
	e.wantCounts(t, 0, map[string]int64{"unsupported_type": 2 * (maxWarnedNames + 5)})
}
