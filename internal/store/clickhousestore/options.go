package clickhousestore

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Options configure the engine. Zero values take the defaults below.
type Options struct {
	// Addrs are native-protocol addresses (host:port, port 9000 by default on a server).
	Addrs    []string
	Database string
	Username string
	Password string
	// Cluster, when set, names a cluster of the servers' remote_servers config: the schema has
	// local tables on every server plus Distributed tables, and all reads and writes go through
	// the Distributed tables.
	Cluster     string
	DialTimeout time.Duration
	// Compression of the native protocol: "lz4" (default) or "none". Over loopback, or a fast
	// local network, "none" saves both ends the (de)compression of every INSERT.
	Compression string

	// BatchSize is the number of sample rows that makes the group-commit buffer send an INSERT
	// at once; FlushInterval is the longest a committed point waits for more to join its INSERT.
	BatchSize     int
	FlushInterval time.Duration
	// Inserters is the number of INSERTs in flight at once.
	Inserters int
	// MaxBufferedPoints bounds the points waiting for or inside an INSERT: Commit blocks while
	// the buffer is full (backpressure) and fails when its context ends first.
	MaxBufferedPoints int
	// RetryTimeout bounds how long a failing INSERT is retried before the commits in it fail.
	RetryTimeout time.Duration
	// SeriesCacheSize bounds the series this process remembers (series row stored, latest
	// timestamp written, hot values); past it the cache starts over with a new writer epoch:
	// series rows are written again (harmless), and queries over rows of both epochs run the
	// exact duplicate scan (docs/storage-clickhouse.md, "Versions and de-duplication").
	SeriesCacheSize int

	// LimitsRefresh is how often a tenant's series are read again from the series table for the
	// cardinality limits (when it next creates a series), to count what other ingest processes
	// created (limiter.go).
	LimitsRefresh time.Duration

	// HotDimensions fixes, per metric name, the dimension keys stored as the columns d1, d2, d3
	// (most selective first). Metrics not listed get the first three keys of their first point.
	HotDimensions map[string][]string
	// ApplySchema applies the embedded migrations at Open (development and tests); otherwise Open
	// only checks that the schema is current.
	ApplySchema bool

	// RetentionInterval is how often the background applies retention (default 15m; the first
	// run is one minute after Open). Negative: never (ApplyRetention only).
	RetentionInterval time.Duration
	// DeletionPollInterval is how often this process reads the deletions table to forget what
	// it cached about metrics another process deleted (default 10s). Negative: never.
	DeletionPollInterval time.Duration

	Logger *zap.Logger
}

// Defaults.
const (
	DefaultDatabase          = "luminate"
	DefaultDialTimeout       = 5 * time.Second
	DefaultBatchSize         = 50_000
	DefaultFlushInterval     = 150 * time.Millisecond
	DefaultInserters         = 2
	DefaultMaxBufferedPoints = 1_000_000
	DefaultRetryTimeout      = 30 * time.Second
	DefaultSeriesCacheSize   = 2_000_000
	DefaultLimitsRefresh     = time.Minute
	DefaultRetentionInterval = 15 * time.Minute
	DefaultDeletionPoll      = 10 * time.Second
)

// MaxHotSlots is the number of dimension columns (d1, d2, d3) of the samples table.
const MaxHotSlots = 3

// WithDefaults fills unset options with the defaults.
func (o Options) WithDefaults() Options {
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.Username == "" {
		o.Username = "default"
	}
	if o.Compression == "" {
		o.Compression = "lz4"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Inserters <= 0 {
		o.Inserters = DefaultInserters
	}
	if o.MaxBufferedPoints <= 0 {
		o.MaxBufferedPoints = DefaultMaxBufferedPoints
	}
	if o.RetryTimeout <= 0 {
		o.RetryTimeout = DefaultRetryTimeout
	}
	if o.SeriesCacheSize <= 0 {
		o.SeriesCacheSize = DefaultSeriesCacheSize
	}
	if o.LimitsRefresh <= 0 {
		o.LimitsRefresh = DefaultLimitsRefresh
	}
	if o.RetentionInterval == 0 {
		o.RetentionInterval = DefaultRetentionInterval
	}
	if o.DeletionPollInterval == 0 {
		o.DeletionPollInterval = DefaultDeletionPoll
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// Validate reports the first setting that cannot work.
func (o Options) Validate() error {
	if len(o.Addrs) == 0 {
		return errors.New("clickhouse: at least one address is needed (storage.clickhouse.addrs, e.g. [127.0.0.1:9000])")
	}
	for _, a := range o.Addrs {
		if a == "" {
			return errors.New("clickhouse: empty address in storage.clickhouse.addrs")
		}
	}
	if !validIdent(o.Database) {
		return fmt.Errorf("clickhouse: database name %q must match [A-Za-z_][A-Za-z0-9_]* (storage.clickhouse.database)", o.Database)
	}
	if o.Cluster != "" && !validIdent(o.Cluster) {
		return fmt.Errorf("clickhouse: cluster name %q must match [A-Za-z_][A-Za-z0-9_]* (storage.clickhouse.cluster)", o.Cluster)
	}
	if o.Username == "" {
		return errors.New("clickhouse: empty username (storage.clickhouse.username)")
	}
	if o.Compression != "lz4" && o.Compression != "none" {
		return fmt.Errorf("clickhouse: compression %q must be lz4 or none (storage.clickhouse.compression)", o.Compression)
	}
	if o.BatchSize > o.MaxBufferedPoints {
		return fmt.Errorf("clickhouse: batch size %d is larger than the buffer of %d points (storage.clickhouse.batch_size, max_buffered_points)", o.BatchSize, o.MaxBufferedPoints)
	}
	for m, keys := range o.HotDimensions {
		if len(keys) > MaxHotSlots {
			return fmt.Errorf("clickhouse: metric %q has %d hot dimensions, at most %d (storage.clickhouse.hot_dimensions)", m, len(keys), MaxHotSlots)
		}
	}
	return nil
}

// validIdent reports whether s can be written into SQL as an unquoted identifier.
func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
