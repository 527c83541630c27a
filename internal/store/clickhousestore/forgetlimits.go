package clickhousestore

// Placeholders for the limiter (store.Limited), which is added in another change: it replaces
// this file (limiter.go), so the merge is deleting it.

// forgetLimits drops what the limiter counts for a deleted metric.
// replaced by the limiter (limiter.go)
func (s *Store) forgetLimits(tenant, metric string) {}

// defaultRetentionDays is a tenant's default retention: limits.RetentionDays of the LimitsFunc
// that store.Limited installs; 0 (keep forever) without limits.
// replaced by the limiter (limiter.go)
func (s *Store) defaultRetentionDays(tenant string) int { return 0 }
