// Package storage turns the `storage:` block of a config into an open store.Store, so the
// collector extension and the standalone query server choose engines the same way.
package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/badgerstore"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore"
)

// Engines.
const (
	EngineBadger     = "badger"
	EngineClickHouse = "clickhouse"
)

// Config selects and configures an engine.
type Config struct {
	// Engine is "badger" (embedded, the default) or "clickhouse".
	Engine     string           `mapstructure:"engine"`
	Badger     BadgerConfig     `mapstructure:"badger"`
	ClickHouse ClickHouseConfig `mapstructure:"clickhouse"`
}

// ClickHouseConfig configures the ClickHouse engine (docs/storage-clickhouse.md). Zero values
// take the engine's defaults.
type ClickHouseConfig struct {
	// Addrs are native-protocol addresses, tried in order (e.g. ["127.0.0.1:9000"]).
	Addrs    []string `mapstructure:"addrs"`
	Database string   `mapstructure:"database"`
	Username string   `mapstructure:"username"`
	Password string   `mapstructure:"password"`
	// Cluster names a remote_servers cluster: reads and writes then go through Distributed
	// tables created by the schema tool with the same name.
	Cluster     string        `mapstructure:"cluster"`
	DialTimeout time.Duration `mapstructure:"dial_timeout"`
	// Compression of the native protocol: lz4 (default) or none (loopback, fast local network).
	Compression string `mapstructure:"compression"`
	// BatchSize points make an INSERT at once; FlushInterval is the longest a point waits for
	// others to join its INSERT.
	BatchSize         int           `mapstructure:"batch_size"`
	FlushInterval     time.Duration `mapstructure:"flush_interval"`
	Inserters         int           `mapstructure:"inserters"`
	MaxBufferedPoints int           `mapstructure:"max_buffered_points"`
	RetryTimeout      time.Duration `mapstructure:"retry_timeout"`
	// LimitsRefresh is how often the cardinality limits read again the series that other
	// processes created (default 1m; docs/storage-clickhouse.md, "Cardinality limits").
	LimitsRefresh time.Duration `mapstructure:"limits_refresh"`
	// RetentionInterval is how often retention runs in the background (default 15m; negative:
	// never); DeletionPollInterval how often this process learns of metrics that another one
	// deleted (default 10s). docs/storage-clickhouse.md, "Retention and deletes".
	RetentionInterval    time.Duration `mapstructure:"retention_interval"`
	DeletionPollInterval time.Duration `mapstructure:"deletion_poll_interval"`
	// HotDimensions fixes, per metric, the up to 3 keys stored as sorting-key columns.
	HotDimensions map[string][]string `mapstructure:"hot_dimensions"`
	// ApplySchema applies the schema migrations at start (otherwise run luminate-schema apply).
	ApplySchema bool `mapstructure:"apply_schema"`
}

func (c ClickHouseConfig) options(log *zap.Logger) clickhousestore.Options {
	return clickhousestore.Options{
		Addrs: c.Addrs, Database: c.Database, Username: c.Username, Password: c.Password, Cluster: c.Cluster,
		DialTimeout: c.DialTimeout, Compression: c.Compression, BatchSize: c.BatchSize, FlushInterval: c.FlushInterval, Inserters: c.Inserters,
		MaxBufferedPoints: c.MaxBufferedPoints, RetryTimeout: c.RetryTimeout, HotDimensions: c.HotDimensions,
		LimitsRefresh: c.LimitsRefresh, RetentionInterval: c.RetentionInterval, DeletionPollInterval: c.DeletionPollInterval,
		ApplySchema: c.ApplySchema, Logger: log,
	}
}

// BadgerConfig configures the embedded engine.
type BadgerConfig struct {
	// Dir holds the database (created when missing). Only one process may open it.
	Dir string `mapstructure:"dir"`
}

// Default is Badger in ./data.
func Default() Config {
	return Config{Engine: EngineBadger, Badger: BadgerConfig{Dir: "./data"}}
}

// Validate implements confmap's validator.
func (c *Config) Validate() error {
	switch c.Engine {
	case EngineBadger:
		if c.Badger.Dir == "" {
			return errors.New("storage.badger.dir must be set")
		}
		return nil
	case EngineClickHouse:
		if c.ClickHouse.BatchSize < 0 || c.ClickHouse.MaxBufferedPoints < 0 || c.ClickHouse.Inserters < 0 {
			return errors.New("storage.clickhouse: batch_size, max_buffered_points and inserters must not be negative")
		}
		if err := c.ClickHouse.options(nil).WithDefaults().Validate(); err != nil {
			return fmt.Errorf("storage.%w", err)
		}
		return nil
	case "":
		return errors.New("storage.engine must be set (badger or clickhouse)")
	}
	return fmt.Errorf("storage.engine %q is not known (badger or clickhouse)", c.Engine)
}

// Open opens the configured engine.
func Open(c Config, log *zap.Logger) (store.Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.Engine {
	case EngineBadger:
		if err := os.MkdirAll(c.Badger.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("storage: create %s: %w", c.Badger.Dir, err)
		}
		return badgerstore.Open(badgerstore.Options{Dir: c.Badger.Dir, Logger: log})
	case EngineClickHouse:
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return clickhousestore.Open(ctx, c.ClickHouse.options(log))
	}
	return nil, fmt.Errorf("storage.engine %q is not known", c.Engine)
}
