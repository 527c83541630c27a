package writeapi

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// benchBody builds a 5,000-item batch with 3 dimensions: a few endpoints and regions and one
// high-cardinality customer id per item, the shape of the workload Luminate is built for.
func benchBody(n int, now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(`{"metrics":[`)
	endpoints := []string{"/api/users", "/api/orders", "/api/search", "/api/login"}
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1"}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"api_latency","timestamp":%d,"value":%d.5,"dimensions":{"customer_id":"cust_%06d","endpoint":%q,"region":%q}}`,
			now.UnixMilli()-int64(i), i%1000, i, endpoints[i%len(endpoints)], regions[i%len(regions)])
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkDecode reports points/s for decoding (reading, parsing, validating) a 5,000-item
// batch with 3 dimensions on one core.
func BenchmarkDecode(b *testing.B) {
	const n = 5000
	now := time.Now()
	body := benchBody(n, now)
	lim := DefaultLimits()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		batch, err := Decode(bytes.NewReader(body), "", lim, now)
		if err != nil || len(batch.Items) != n {
			b.Fatalf("decode: %v, %d items", err, len(batch.Items))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n)/float64(b.N), "ns/point")
}

// BenchmarkFastjsonParse is the floor under BenchmarkDecode: fastjson's parse of the same body
// alone, without reading, validation or building items.
func BenchmarkFastjsonParse(b *testing.B) {
	const n = 5000
	body := benchBody(n, time.Now())
	var p fastjson.Parser
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := p.ParseBytes(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n)/float64(b.N), "ns/point")
}
