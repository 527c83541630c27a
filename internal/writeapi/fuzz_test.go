package writeapi

import (
	"bytes"
	"math"
	"testing"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

// FuzzDecode feeds arbitrary bodies, plain or gzip-compressed, to Decode. It must never panic,
// must answer every problem with an *apierror.Error, and every item it accepts must satisfy the
// rules of api.md. The body limit is small so that memory stays bounded whatever the input
// decompresses to. Seeds live in testdata/fuzz/FuzzDecode, so plain `go test` runs them.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(smallBody), false)
	f.Add(gzipBytes(f, []byte(smallBody)), true)
	lim := DefaultLimits()
	lim.MaxBodyBytes = 1 << 20
	lim.MaxBatch = 1000
	f.Fuzz(func(t *testing.T, body []byte, gz bool) {
		enc := ""
		if gz {
			enc = "gzip"
		}
		b, err := Decode(bytes.NewReader(body), enc, lim, testNow)
		if err != nil {
			if _, ok := apierror.As(err); !ok {
				t.Fatalf("error %v is a %T, not an *apierror.Error", err, err)
			}
			return
		}
		checkBatch(t, b, lim)
	})
}

// checkBatch asserts the invariants of a decoded batch.
func checkBatch(t *testing.T, b *Batch, lim Limits) {
	t.Helper()
	if b.Total < 1 || b.Total > lim.MaxBatch || len(b.Items)+len(b.Errors) != b.Total {
		t.Fatalf("total %d, %d items, %d errors", b.Total, len(b.Items), len(b.Errors))
	}
	seen := make(map[int]bool, b.Total)
	minT := testNow.Add(-lim.MaxAge).UnixMilli()
	maxT := testNow.Add(lim.MaxFuture).UnixMilli()
	for _, it := range b.Items {
		seen[it.Index] = true
		if err := model.CheckMetricName(it.Name); err != nil {
			t.Fatalf("accepted bad name: %v", err)
		}
		if it.T < minT || it.T > maxT {
			t.Fatalf("accepted timestamp %d outside [%d, %d]", it.T, minT, maxT)
		}
		if math.IsNaN(it.V) || math.IsInf(it.V, 0) {
			t.Fatalf("accepted value %v", it.V)
		}
		if len(it.Labels) > model.MaxLabels {
			t.Fatalf("accepted %d labels", len(it.Labels))
		}
		for i, l := range it.Labels {
			if err := model.CheckLabelName(l.Name); err != nil {
				t.Fatalf("accepted bad key: %v", err)
			}
			if err := model.CheckLabelValue(l.Name, l.Value); err != nil {
				t.Fatalf("accepted bad value: %v", err)
			}
			if i > 0 && it.Labels[i-1].Name >= l.Name {
				t.Fatalf("labels not sorted and unique: %v", it.Labels)
			}
		}
	}
	for _, e := range b.Errors {
		seen[e.Index] = true
		if e.Code != apierror.InvalidRequest && e.Code != apierror.InvalidMetricName {
			t.Fatalf("item error with code %s", e.Code)
		}
		if e.Error == "" {
			t.Fatalf("item error without message: %+v", e)
		}
	}
	if len(seen) != b.Total {
		t.Fatalf("indexes cover %d of %d items", len(seen), b.Total)
	}
}
