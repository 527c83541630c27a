package queryapi

import "time"

// Limits are the configurable guards of the query API. A zero field means its default (see
// DefaultLimits), so a config that omits a setting gets the documented value. The setting names
// in the comments are the ones error messages quote.
type Limits struct {
	MaxBodyBytes    int           `mapstructure:"max_body_bytes"`    // query.max_body_bytes: request body size (default 1 MiB)
	MaxRange        time.Duration `mapstructure:"max_range"`         // query.max_range: end - start (default 31d)
	DefaultRange    time.Duration `mapstructure:"default_range"`     // query.default_range: used when timeRange is absent (default 1h)
	MinInterval     time.Duration `mapstructure:"min_interval"`      // query.min_interval: smallest interval (default 1s)
	MaxBuckets      int64         `mapstructure:"max_buckets"`       // query.max_buckets: buckets per series (default 11000)
	MaxLimit        int           `mapstructure:"max_limit"`         // query.max_limit: largest "limit" (default 10000)
	DefaultLimit    int           `mapstructure:"default_limit"`     // query.default_limit: "limit" when absent (default 1000)
	MaxGroupBy      int           `mapstructure:"max_group_by"`      // query.max_group_by: groupBy keys (default 10)
	MaxFilterValues int           `mapstructure:"max_filter_values"` // query.max_filter_values: values of one in/nin (default 1000)
	DefaultTimeout  time.Duration `mapstructure:"default_timeout"`   // query.default_timeout (default 10s)
	MaxTimeout      time.Duration `mapstructure:"max_timeout"`       // query.max_timeout: larger timeouts are capped (default 30s)
	MaxSeries       int64         `mapstructure:"max_series"`        // query.max_series: series scanned per query (default 1000000)
	MaxPoints       int64         `mapstructure:"max_points"`        // query.max_points: points scanned per query (default 100000000)
}

// DefaultLimits are the limits of a fresh install. 11000 buckets lets a day be drawn at 10 s
// resolution (8640) with room to spare, while keeping a worst-case response in the megabytes.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:    1 << 20,
		MaxRange:        31 * 24 * time.Hour,
		DefaultRange:    time.Hour,
		MinInterval:     time.Second,
		MaxBuckets:      11000,
		MaxLimit:        10000,
		DefaultLimit:    1000,
		MaxGroupBy:      10,
		MaxFilterValues: 1000,
		DefaultTimeout:  10 * time.Second,
		MaxTimeout:      30 * time.Second,
		MaxSeries:       1_000_000,
		MaxPoints:       100_000_000,
	}
}

// WithDefaults returns l with every zero (or negative) field replaced by its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	def(&l.MaxBodyBytes, d.MaxBodyBytes)
	def(&l.MaxRange, d.MaxRange)
	def(&l.DefaultRange, d.DefaultRange)
	def(&l.MinInterval, d.MinInterval)
	def(&l.MaxBuckets, d.MaxBuckets)
	def(&l.MaxLimit, d.MaxLimit)
	def(&l.DefaultLimit, d.DefaultLimit)
	def(&l.MaxGroupBy, d.MaxGroupBy)
	def(&l.MaxFilterValues, d.MaxFilterValues)
	def(&l.DefaultTimeout, d.DefaultTimeout)
	def(&l.MaxTimeout, d.MaxTimeout)
	def(&l.MaxSeries, d.MaxSeries)
	def(&l.MaxPoints, d.MaxPoints)
	// A default above a configured maximum would make requests without the field fail.
	l.DefaultLimit = min(l.DefaultLimit, l.MaxLimit)
	l.DefaultTimeout = min(l.DefaultTimeout, l.MaxTimeout)
	l.DefaultRange = min(l.DefaultRange, l.MaxRange)
	return l
}

func def[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
