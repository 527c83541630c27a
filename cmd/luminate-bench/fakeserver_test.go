package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the server side of --gzip over gRPC
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// fakeLuminate serves the API of api.md from Luminate's own parts (the write decoder, the query
// parser and encoder, the reference engine), so the whole benchmark runs against real answers
// without the collector binary. OTLP points are stored after a delay, as the batch processor
// does, so the "stored" wait has something to wait for.
type fakeLuminate struct {
	store      *memstore.Store
	authorized func(header string) bool // the Authorization header is good
	otlpDelay  time.Duration
	rejectEach int       // >0: refuse every n-th JSON item (a 207), to test error reporting
	wal        io.Writer // when set, JSON write bodies are appended here (a data dir to measure)
	walMu      sync.Mutex
	pending    sync.WaitGroup

	api, otlpHTTP *httptest.Server
	otlpGRPC      string
}

const fakeToken = "fake-token"

func newFake() *fakeLuminate {
	return &fakeLuminate{store: memstore.New(), otlpDelay: 300 * time.Millisecond,
		authorized: func(h string) bool { return h == "Bearer "+fakeToken }}
}

// newFakeLuminate serves a fake on loopback test servers until the test ends.
func newFakeLuminate(t *testing.T) *fakeLuminate {
	f := newFake()
	f.api = httptest.NewServer(f.apiHandler())
	t.Cleanup(f.api.Close)
	f.otlpHTTP = httptest.NewServer(f.otlpHandler())
	t.Cleanup(f.otlpHTTP.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := f.grpcServer()
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	f.otlpGRPC = l.Addr().String()
	t.Cleanup(f.pending.Wait)
	return f
}

func (f *fakeLuminate) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ready") })
	mux.HandleFunc("POST /api/v1/write", f.authed(f.write))
	mux.HandleFunc("POST /api/v1/query", f.authed(f.query))
	return mux
}

func (f *fakeLuminate) otlpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/metrics", f.authed(f.otlpHTTPExport))
	return mux
}

func (f *fakeLuminate) grpcServer() *grpc.Server {
	gs := grpc.NewServer()
	pmetricotlp.RegisterGRPCServer(gs, &grpcExporter{f: f})
	return gs
}

func (f *fakeLuminate) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(r.Header.Get("Authorization")) {
			fail(w, apierror.New(apierror.Unauthorized, "bad token"))
			return
		}
		h(w, r)
	}
}

func fail(w http.ResponseWriter, err error) {
	status, body := apierror.ToBody(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (f *fakeLuminate) write(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if f.wal != nil {
		raw, _ := io.ReadAll(r.Body)
		f.walMu.Lock()
		f.wal.Write(raw)
		f.walMu.Unlock()
		body = bytes.NewReader(raw)
	}
	b, err := writeapi.Decode(body, r.Header.Get("Content-Encoding"), writeapi.DefaultLimits(), time.Now())
	if err != nil {
		fail(w, err)
		return
	}
	a := f.store.Appender("bench")
	errs := b.Errors
	for _, it := range b.Items {
		if f.rejectEach > 0 && it.Index%f.rejectEach == 0 {
			errs = append(errs, writeapi.ItemError{Index: it.Index, Metric: it.Name, Code: apierror.CardinalityExceeded, Error: "test refusal"})
			continue
		}
		if err := a.Append(it.Name, model.MetricMeta{}, it.Labels, it.T, it.V); err != nil {
			fail(w, err)
			return
		}
	}
	if err := a.Commit(r.Context()); err != nil {
		fail(w, err)
		return
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"accepted": b.Total - len(errs), "rejected": len(errs), "errors": errs})
}

func (f *fakeLuminate) query(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := queryapi.Parse(body, "bench", time.Now(), queryapi.DefaultLimits())
	if err != nil {
		fail(w, err)
		return
	}
	t0 := time.Now()
	res, err := f.store.Query(r.Context(), req.Query)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(queryapi.AppendResponse(nil, req.Query, res, time.Since(t0)))
}

func (f *fakeLuminate) otlpHTTPExport(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want application/x-protobuf", http.StatusUnsupportedMediaType)
		return
	}
	body, err := readMaybeGzip(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.storeLater(req.Metrics())
	out, _ := pmetricotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

type grpcExporter struct {
	pmetricotlp.UnimplementedGRPCServer
	f *fakeLuminate
}

func (g *grpcExporter) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if a := md.Get("authorization"); len(a) != 1 || !g.f.authorized(a[0]) {
		return pmetricotlp.NewExportResponse(), status.Error(codes.Unauthenticated, "bad token")
	}
	g.f.storeLater(req.Metrics())
	return pmetricotlp.NewExportResponse(), nil
}

// storeLater appends the points after otlpDelay, on a copy: the request is gone by then.
func (f *fakeLuminate) storeLater(md pmetric.Metrics) {
	c := pmetric.NewMetrics()
	md.CopyTo(c)
	f.pending.Add(1)
	time.AfterFunc(f.otlpDelay, func() {
		defer f.pending.Done()
		a := f.store.Appender("bench")
		rms := c.ResourceMetrics()
		for i := range rms.Len() {
			sms := rms.At(i).ScopeMetrics()
			for k := range sms.Len() {
				ms := sms.At(k).Metrics()
				for m := range ms.Len() {
					appendOTLP(a, ms.At(m))
				}
			}
		}
		if err := a.Commit(context.Background()); err != nil {
			panic(err)
		}
	})
}

func appendOTLP(a store.Appender, m pmetric.Metric) {
	if m.Type() == pmetric.MetricTypeHistogram {
		appendOTLPHistograms(a.(store.PointAppender), m)
		return
	}
	var pts pmetric.NumberDataPointSlice
	meta := model.MetricMeta{Unit: m.Unit()}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		pts = m.Gauge().DataPoints()
	case pmetric.MetricTypeSum:
		pts = m.Sum().DataPoints()
		meta = model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
	default:
		panic(fmt.Sprintf("metric %s: type %s", m.Name(), m.Type()))
	}
	for i := range pts.Len() {
		p := pts.At(i)
		pt := model.Point{T: p.Timestamp().AsTime().UnixMilli(), V: p.DoubleValue()}
		if meta.Temporality == model.TemporalityCumulative {
			pt.Start = p.StartTimestamp().AsTime().UnixMilli() // a new start time is a reset, as the exporter keeps it
		}
		if err := a.(store.PointAppender).AppendPoint(m.Name(), meta, otlpLabels(p.Attributes()), pt); err != nil {
			panic(err)
		}
	}
}

// appendOTLPHistograms stores cumulative explicit-bucket histogram points as the exporter does.
func appendOTLPHistograms(a store.PointAppender, m pmetric.Metric) {
	if m.Histogram().AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
		panic(fmt.Sprintf("metric %s: the fake stores cumulative histograms only", m.Name()))
	}
	meta := model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityCumulative, Unit: m.Unit()}
	pts := m.Histogram().DataPoints()
	for i := range pts.Len() {
		p := pts.At(i)
		h := &model.Histogram{Count: p.Count(), Sum: p.Sum(), HasSum: p.HasSum(), Min: p.Min(), HasMin: p.HasMin(),
			Max: p.Max(), HasMax: p.HasMax(), Bounds: p.ExplicitBounds().AsRaw(), Counts: p.BucketCounts().AsRaw()}
		pt := model.Point{T: p.Timestamp().AsTime().UnixMilli(), Start: p.StartTimestamp().AsTime().UnixMilli(), Hist: h}
		if err := a.AppendPoint(m.Name(), meta, otlpLabels(p.Attributes()), pt); err != nil {
			panic(err)
		}
	}
}

func otlpLabels(attrs pcommon.Map) model.Labels {
	var ls model.Labels
	for k, v := range attrs.All() {
		ls = append(ls, model.Label{Name: k, Value: v.Str()})
	}
	ls.Sort()
	return ls
}

func readMaybeGzip(r *http.Request) ([]byte, error) {
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return io.ReadAll(r.Body)
}
