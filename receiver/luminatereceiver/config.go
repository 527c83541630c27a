package luminatereceiver

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// Defaults that docs/api.md does not fix.
const (
	DefaultPath            = "/api/v1/write"
	DefaultTenantAttribute = "luminate.tenant_id"
	// maxBodyBytesCeiling keeps max_body_bytes sane: the decoder holds the whole body in memory.
	maxBodyBytesCeiling = 1 << 30
)

// Config is the luminate receiver's configuration:
//
//	receivers:
//	  luminate:                   # single process: share the query server's port
//	    server: luminatequery
//	    auth: luminateauth
//	    limits: luminatelimits    # optional: per-tenant rate limits
//	  luminate/ingest:            # ClickHouse ingest pods: own listener
//	    endpoint: 0.0.0.0:8080
//	    auth: luminateauth
//	    max_batch: 20000
type Config struct {
	// Server is the ID of the extension that owns the Luminate API port and implements
	// extlink.Mounter (the query server). The receiver mounts POST Path there at Start, so one
	// base URL serves write and query. Exactly one of Server and Endpoint must be set.
	Server *component.ID `mapstructure:"server"`
	// Endpoint (host:port) makes the receiver serve Path on a listener of its own.
	Endpoint string `mapstructure:"endpoint"`
	// Path of the write handler; default /api/v1/write.
	Path string `mapstructure:"path"`
	// Auth is the ID of the auth extension (implements extlink.VerifierProvider). Required: a
	// JSON write without a verified token has no tenant.
	Auth component.ID `mapstructure:"auth"`
	// MaxBatch is the most metrics one request may carry (default 10000).
	MaxBatch int `mapstructure:"max_batch"`
	// MaxBodyBytes bounds the request body, raw and after decompression (default 10 MiB).
	MaxBodyBytes int64 `mapstructure:"max_body_bytes"`
	// MaxAge and MaxFuture bound timestamps to [now-MaxAge, now+MaxFuture] (default 168h, 1h).
	MaxAge    time.Duration `mapstructure:"max_age"`
	MaxFuture time.Duration `mapstructure:"max_future"`
	// TenantAttribute is the resource attribute that carries the verified tenant to the
	// exporter (default luminate.tenant_id).
	TenantAttribute string `mapstructure:"tenant_attribute"`
	// Limits is the ID of the luminatelimits extension (extlink.LimitsProvider). When set, a
	// write takes a token of the tenant's write request bucket before its body is decoded
	// and one per valid point after; over either, 429 RATE_LIMIT_EXCEEDED. The receiver also
	// counts refused points in the extension's self-metrics. Unset: no rate limits.
	Limits *component.ID `mapstructure:"limits"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func createDefaultConfig() component.Config {
	return &Config{
		Path:            DefaultPath,
		MaxBatch:        writeapi.DefaultMaxBatch,
		MaxBodyBytes:    writeapi.DefaultMaxBodyBytes,
		MaxAge:          writeapi.DefaultMaxAge,
		MaxFuture:       writeapi.DefaultMaxFuture,
		TenantAttribute: DefaultTenantAttribute,
	}
}

// Validate reports every problem of the config at once.
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case cfg.Server == nil && cfg.Endpoint == "":
		errs = append(errs, errors.New("set either server (the ID of the extension that serves the Luminate API port) or endpoint (host:port of a listener of the receiver's own)"))
	case cfg.Server != nil && cfg.Endpoint != "":
		errs = append(errs, fmt.Errorf("server (%s) and endpoint (%s) are exclusive: the write handler is served in one place", cfg.Server, cfg.Endpoint))
	case cfg.Endpoint != "":
		if _, _, err := net.SplitHostPort(cfg.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %q is not host:port: %w", cfg.Endpoint, err))
		}
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		errs = append(errs, fmt.Errorf("path %q must start with /", cfg.Path))
	}
	if cfg.Auth == (component.ID{}) {
		errs = append(errs, errors.New("auth is required: the ID of the auth extension that verifies bearer tokens"))
	}
	if cfg.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("max_batch must be at least 1, got %d", cfg.MaxBatch))
	}
	if cfg.MaxBodyBytes < 1 || cfg.MaxBodyBytes > maxBodyBytesCeiling {
		errs = append(errs, fmt.Errorf("max_body_bytes must be 1-%d, got %d", maxBodyBytesCeiling, cfg.MaxBodyBytes))
	}
	if cfg.MaxAge <= 0 {
		errs = append(errs, fmt.Errorf("max_age must be positive, got %s", cfg.MaxAge))
	}
	if cfg.MaxFuture < 0 {
		errs = append(errs, fmt.Errorf("max_future must not be negative, got %s", cfg.MaxFuture))
	}
	if cfg.TenantAttribute == "" {
		errs = append(errs, errors.New("tenant_attribute must not be empty"))
	}
	return errors.Join(errs...)
}

// limits returns the decoder limits of cfg.
func (cfg *Config) limits() writeapi.Limits {
	return writeapi.Limits{
		MaxBatch:     cfg.MaxBatch,
		MaxBodyBytes: cfg.MaxBodyBytes,
		MaxAge:       cfg.MaxAge,
		MaxFuture:    cfg.MaxFuture,
	}
}
