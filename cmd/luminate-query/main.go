// Command luminate-query is the standalone, stateless query server for ClickHouse deployments:
// the same API as the collector's luminatequery extension (query, discovery, health) on :8080,
// scaled separately from the ingest pods. It reads a YAML config with ${env:VAR} references,
// like the collector's (configs/query-clickhouse.yaml).
//
//	luminate-query --config configs/query-clickhouse.yaml
//	luminate-query validate --config configs/query-clickhouse.yaml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/storage"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/queryserver"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	validateOnly := len(args) > 0 && args[0] == "validate"
	if validateOnly {
		args = args[1:]
	}
	fs := flag.NewFlagSet("luminate-query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML config file (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cfgPath == "" {
		fmt.Fprintln(stderr, "luminate-query: --config is required")
		return 2
	}
	cfg, err := loadConfig(context.Background(), *cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "luminate-query: %v\n", err)
		return 1
	}
	if validateOnly {
		if _, err := cfg.Auth.NewVerifier(); err != nil {
			fmt.Fprintf(stderr, "luminate-query: auth: %v\n", err)
			return 1
		}
		fmt.Fprintln(stderr, "luminate-query: config is valid")
		return 0
	}
	if err := serve(cfg); err != nil {
		fmt.Fprintf(stderr, "luminate-query: %v\n", err)
		return 1
	}
	return 0
}

// serve runs until SIGTERM or SIGINT, then drains in-flight requests for up to
// cfg.ShutdownTimeout and closes the store.
func serve(cfg *Config) error {
	log, err := zap.NewProduction()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	verifier, err := cfg.Auth.NewVerifier()
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	st, err := storage.Open(cfg.Storage, log)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Endpoint, err)
	}
	guard := limits.NewGuard(cfg.Limits, nil)
	if l, ok := st.(store.Limited); ok {
		l.SetLimits(guard.Limits) // the default retention (retention_days) of the retention loop
	}
	srv := queryserver.New(queryserver.Config{Store: st, Verifier: verifier, Limits: cfg.Query, Version: version, Logger: log,
		Guard: guard, Metrics: selfmetrics.New(0)})
	done := make(chan error, 1)
	go func() { done <- srv.Listen(ln) }()
	log.Info("luminate-query listening", zap.String("endpoint", ln.Addr().String()), zap.String("storage", cfg.Storage.Engine))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Info("shutting down", zap.String("signal", s.String()))
	case err := <-done:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(ctx)
	if lerr := <-done; lerr != nil && !errors.Is(lerr, queryserver.ErrServerClosed) {
		err = errors.Join(err, lerr)
	}
	return err
}
