package luminatereceiver

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
)

// BenchmarkWriteHTTP reports points/s through the whole receiver: HTTP on loopback, token
// check, decoding, pmetric building and a no-op next consumer (storage is not included), for
// 5,000-item batches with 3 dimensions sent by GOMAXPROCS concurrent clients.
func BenchmarkWriteHTTP(b *testing.B) {
	const n = 5000
	env := startEnv(b, ownEndpoint, consumertest.NewNop(), nil)
	tok := "Bearer " + token(b, "acme", "write")
	var buf bytes.Buffer
	buf.WriteString(`{"metrics":[`)
	now := time.Now().UnixMilli()
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"name":"api_latency","timestamp":%d,"value":%d.5,"dimensions":{"customer_id":"cust_%06d","endpoint":"/api/e%d","region":"r%d"}}`,
			now-int64(i), i%1000, i, i%4, i%3)
	}
	buf.WriteString(`]}`)
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			hr, _ := http.NewRequest(http.MethodPost, env.url, bytes.NewReader(body))
			hr.Header.Set("Authorization", tok)
			resp, err := http.DefaultClient.Do(hr)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
