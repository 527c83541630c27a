package writeapi

import "time"

// Defaults of docs/api.md. The receiver config repeats them as max_batch, max_body_bytes,
// max_age and max_future; error messages name those settings.
const (
	DefaultMaxBatch     = 10000
	DefaultMaxBodyBytes = 10 << 20
	DefaultMaxAge       = 7 * 24 * time.Hour
	DefaultMaxFuture    = time.Hour
)

// Limits bound one write request. Zero values are not replaced by defaults (a zero MaxBatch
// refuses every request); start from DefaultLimits.
type Limits struct {
	// MaxBatch is the most items one request may carry (max_batch).
	MaxBatch int
	// MaxBodyBytes bounds the raw body and the decompressed body (max_body_bytes).
	MaxBodyBytes int64
	// MaxAge: timestamps before now-MaxAge are refused (max_age).
	MaxAge time.Duration
	// MaxFuture: timestamps after now+MaxFuture are refused (max_future).
	MaxFuture time.Duration
}

// DefaultLimits returns the limits of docs/api.md.
func DefaultLimits() Limits {
	return Limits{
		MaxBatch:     DefaultMaxBatch,
		MaxBodyBytes: DefaultMaxBodyBytes,
		MaxAge:       DefaultMaxAge,
		MaxFuture:    DefaultMaxFuture,
	}
}
