package limits

import (
	"fmt"
	"testing"
)

// BenchmarkAdmitWrite is what one JSON write or OTLP export call pays for the rate limits: a
// write request token and 5,000 point tokens, with 100 tenants in the Guard.
//
//	go test -run '^$' -bench AdmitWrite ./internal/limits/
func BenchmarkAdmitWrite(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Defaults[PointsPerSecond] = 0 // never refuse: measure the check, not a refusal
	cfg.Defaults[WriteRequestsPerSecond] = 0
	g := NewGuard(cfg, nil)
	tenants := make([]string, 100)
	for i := range tenants {
		tenants[i] = fmt.Sprint("tenant-", i)
		g.AllowWriteRequest(tenants[i])
	}
	// Buckets that never run dry at benchmark speed, so every call takes tokens.
	limited := DefaultConfig()
	limited.Defaults[PointsPerSecond], limited.Defaults[WriteRequestsPerSecond] = 1e12, 1e9
	gl := NewGuard(limited, nil)
	for _, c := range []struct {
		name string
		g    *Guard
	}{{"no limits", g}, {"token buckets", gl}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				t := tenants[i%len(tenants)]
				i++
				if c.g.AllowWriteRequest(t) != nil || c.g.AllowPoints(t, 5000) != nil {
					b.Fatal("refused")
				}
			}
		})
	}
}
