package luminateexporter

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

// TestAttributeValues: every attribute type becomes a string dimension; empty values are
// dropped; int texts of consecutive points do not overwrite each other (the arena is reused).
func TestAttributeValues(t *testing.T) {
	e := startEnv(t, memstore.New(), nil)
	md, rm, ms := newMetrics("acme")
	rm.Resource().Attributes().PutInt("service.shard", 12)
	rm.Resource().Attributes().PutStr("service.name", "api")
	dps := gauge(ms, "m")
	dp := point(dps, 0, 1)
	a := dp.Attributes()
	a.PutInt("http.response.status_code", 404)
	a.PutInt("offset", -7)
	a.PutBool("cached", true)
	a.PutBool("retried", false)
	a.PutDouble("ratio", 0.25)
	s := a.PutEmptySlice("tags")
	s.AppendEmpty().SetStr("a")
	s.AppendEmpty().SetInt(1)
	a.PutEmptyMap("owner").PutStr("team", "core")
	a.PutEmptyBytes("raw").FromRaw([]byte{0xff, 0x00})
	a.PutStr("empty", "")
	a.PutEmpty("nothing")
	dp2 := point(dps, 1, 2)
	dp2.Attributes().PutInt("http.response.status_code", 200)
	e.mustConsume(t, md)

	pts := rawPoints(t, e.st, "acme", "m")
	if len(pts) != 2 {
		t.Fatalf("points %+v", pts)
	}
	want := `{cached=true, http.response.status_code=404, offset=-7, owner={"team":"core"}, ratio=0.25, raw=/wA=, retried=false, service.name=api, service.shard=12, tags=["a",1]}`
	if got := labelsString(pts[0].Labels); got != want {
		t.Errorf("labels\n got %s\nwant %s", got, want)
	}
	if got := labelsString(pts[1].Labels); got != "{http.response.status_code=200, service.name=api, service.shard=12}" {
		t.Errorf("second point's labels %s", got)
	}
}

// TestKeySpelling: keys and metric names outside ^[a-zA-Z_][a-zA-Z0-9_.]*$ are rewritten;
// when two keys land on the same name, the exactly spelled one wins in either map order.
func TestKeySpelling(t *testing.T) {
	for _, order := range [][2]string{{"a-b", "a_b"}, {"a_b", "a-b"}} {
		e := startEnv(t, memstore.New(), nil)
		md, _, ms := newMetrics("acme")
		dp := point(gauge(ms, "http-requests/total"), 0, 1,
			"http-method", "GET", "größe", "xl", "2xx", "yes", ".hidden", "h", "ok.name", "v")
		for _, k := range order {
			dp.Attributes().PutStr(k, "from "+k)
		}
		e.mustConsume(t, md)
		got := labelsString(onlyLabels(t, e.st, "acme", "http_requests_total"))
		want := "{_.hidden=h, _2xx=yes, a_b=from a_b, gr__e=xl, http_method=GET, ok.name=v}"
		if got != want {
			t.Errorf("order %v:\n got %s\nwant %s", order, got, want)
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"service.name":         "service.name",
		"_private":             "_private",
		"http-method":          "http_method",
		"a b/c":                "a_b_c",
		"größe":                "gr__e",
		"9lives":               "_9lives",
		".x":                   "_.x",
		"\xff\xfe":             "__",
		"k8s.pod.name":         "k8s.pod.name",
		"":                     "",
		"http.route{template}": "http.route_template_",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
		if want != "" && !model.ValidName(want) {
			t.Errorf("test case %q is not a valid name", want)
		}
	}
}

func TestKeyFilter(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		keep, drop       []string
	}{
		{"defaults", nil, DefaultExclude(),
			[]string{"service.name", "service.namespace", "service.instance.id", "deployment.environment", "deployment.environment.name", "host.name", "k8s.pod.name", "process.runtime.name", "customer_id"},
			[]string{"process.pid", "process.command_line", "process.command_args", "process.executable.path", "telemetry.sdk.version", "telemetry.distro.name"}},
		{"include exact and prefix", []string{"customer_id", "k8s.*"}, nil,
			[]string{"customer_id", "k8s.pod.name", "k8s."},
			[]string{"customer", "customer_id_2", "host.name", "k8"}},
		{"exclude wins over include", []string{"k8s.*"}, []string{"k8s.pod.uid"},
			[]string{"k8s.pod.name"},
			[]string{"k8s.pod.uid", "region"}},
		{"a lone * excludes everything", nil, []string{"*"}, nil, []string{"a", "service.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newKeyFilter(DimensionsConfig{Include: tt.include, Exclude: tt.exclude})
			for _, k := range tt.keep {
				if !f.keep(k) {
					t.Errorf("%q dropped, want kept", k)
				}
			}
			for _, k := range tt.drop {
				if f.keep(k) {
					t.Errorf("%q kept, want dropped", k)
				}
			}
		})
	}
}

// TestDimensionSources: resource, scope and data-point attributes merged and filtered through
// the real exporter; the tenant resource attribute is never a dimension, while a data-point
// attribute of the same name is user data and stays (as api.md says of a tenant_id dimension).
func TestDimensionSources(t *testing.T) {
	build := func() pmetric.Metrics {
		md, rm, _ := newMetrics("acme")
		r := rm.Resource().Attributes()
		r.PutStr("service.name", "checkout")
		r.PutStr("host.name", "h1")
		r.PutInt("process.pid", 4242)
		r.PutStr("telemetry.sdk.version", "1.40.0")
		r.PutStr("region", "eu")
		sm := rm.ScopeMetrics().At(0)
		sm.Scope().SetName("io.opentelemetry.http")
		sm.Scope().SetVersion("2.1.0")
		point(gauge(sm.Metrics(), "m"), 0, 1, "region", "us", "customer_id", "c1", tenantAttr, "user-data")
		return md
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"defaults: point wins, pid and sdk dropped, tenant attribute not a dimension", nil,
			"{customer_id=c1, host.name=h1, luminate.tenant_id=user-data, region=us, service.name=checkout}"},
		{"include_scope", func(c *Config) { c.Dimensions.IncludeScope = true },
			"{customer_id=c1, host.name=h1, luminate.tenant_id=user-data, otel.scope.name=io.opentelemetry.http, otel.scope.version=2.1.0, region=us, service.name=checkout}"},
		{"include list", func(c *Config) { c.Dimensions.Include = []string{"service.*", "customer_id"} },
			"{customer_id=c1, service.name=checkout}"},
		{"exclude replaces the defaults", func(c *Config) { c.Dimensions.Exclude = []string{"host.*", "region"} },
			"{customer_id=c1, luminate.tenant_id=user-data, process.pid=4242, service.name=checkout, telemetry.sdk.version=1.40.0}"},
		{"scope ignores include", func(c *Config) {
			c.Dimensions.IncludeScope = true
			c.Dimensions.Include = []string{"customer_id"}
		}, "{customer_id=c1, otel.scope.name=io.opentelemetry.http, otel.scope.version=2.1.0}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, memstore.New(), tt.mutate)
			e.mustConsume(t, build())
			if got := labelsString(onlyLabels(t, e.st, "acme", "m")); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestDimensionLimits: over-long values and keys and too many dimensions make a point invalid
// (counted, INVALID_REQUEST), never truncated; the limits themselves are accepted.
func TestDimensionLimits(t *testing.T) {
	many := func(n int) []string {
		var kv []string
		for i := range n {
			kv = append(kv, fmt.Sprintf("k%03d", i), "v")
		}
		return kv
	}
	tests := []struct {
		name    string
		maxDims int
		kv      []string
		problem string // "" means stored
	}{
		{"value at the limit", 32, []string{"k", strings.Repeat("v", model.MaxLabelValueLen)}, ""},
		{"value over the limit", 32, []string{"k", strings.Repeat("v", model.MaxLabelValueLen+1)}, `value of dimension "k" is 1025 bytes, at most 1024 are allowed`},
		{"key over the limit", 32, []string{strings.Repeat("k", model.MaxLabelNameLen+1), "v"}, "is 129 bytes, at most 128 are allowed"},
		{"32 dimensions", 32, many(32), ""},
		{"33 dimensions", 32, many(33), "33 dimensions after include/exclude, at most 32 are allowed (raise dimensions.max_dimensions"},
		{"max_dimensions 4", 4, many(5), "5 dimensions after include/exclude, at most 4 are allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, memstore.New(), func(c *Config) { c.Dimensions.MaxDimensions = tt.maxDims })
			md, _, ms := newMetrics("acme")
			point(gauge(ms, "m"), 0, 1, tt.kv...)
			err := e.consume(t, md)
			if tt.problem == "" {
				if err != nil {
					t.Fatal(err)
				}
				e.wantCounts(t, 1, nil)
				return
			}
			rej := rejectedError(t, err)
			if len(rej.Rejections) != 1 || !strings.Contains(rej.Rejections[0].Message, tt.problem) {
				t.Fatalf("rejections %+v, want one with %q", rej.Rejections, tt.problem)
			}
			if n := len(rej.Rejections[0].Labels); n != len(tt.kv)/2 {
				t.Errorf("rejection carries %d labels, want all %d (the receiver matches on them)", n, len(tt.kv)/2)
			}
			e.wantCounts(t, 0, map[string]int64{"invalid": 1})
		})
	}
}

func TestSortAndMerge(t *testing.T) {
	ls := model.Labels{{Name: "c", Value: "1"}, {Name: "a", Value: "1"}, {Name: "b", Value: "1"}, {Name: "a", Value: "2"}}
	sortLabels(ls)
	ls = dedupeSorted(ls, 0)
	if got := labelsString(ls); got != "{a=1, b=1, c=1}" {
		t.Fatalf("sort+dedupe: %s (the first of equal names must stay)", got)
	}
	var big model.Labels
	for i := 40; i > 0; i-- {
		big = append(big, model.Label{Name: fmt.Sprintf("k%03d", i)})
	}
	sortLabels(big)
	for i := 1; i < len(big); i++ {
		if big[i-1].Name >= big[i].Name {
			t.Fatalf("40 labels not sorted at %d: %v", i, big)
		}
	}
	lo := model.Labels{{Name: "a", Value: "res"}, {Name: "c", Value: "res"}}
	hi := model.Labels{{Name: "b", Value: "pt"}, {Name: "c", Value: "pt"}, {Name: "d", Value: "pt"}}
	if got := labelsString(merge(nil, lo, hi)); got != "{a=res, b=pt, c=pt, d=pt}" {
		t.Fatalf("merge: %s", got)
	}
}
